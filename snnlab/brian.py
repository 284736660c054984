"""The same neuron model in Brian2 (clock-driven), to cross-check the event simulator.

:mod:`snnlab.neuron` processes one input event at a time.  Brian2 advances a clock in
steps of ``dt``.  The two agree exactly when every input event lies on the ``dt`` grid
and no two input events share a time step, *if* Brian2 does the operations of one
step in the same order as :func:`snnlab.neuron.simulate_group` does them per event:

=====================  ==================  ==============================================
slot (Brian2 schedule)  object              what happens
=====================  ==================  ==============================================
``groups``             state updater       leak, ``dv/dt = -v/tau_mp`` integrated exactly
``thresholds``         SpikeGeneratorGroup  input events of this step are emitted
``synapses``           input pathway       ``v += w_dyn * w``                    (Eqs. 1-2)
``after_synapses`` -1  run_regularly       clip ``v >= -vth``
``after_synapses`` 0   threshold           ``v >= vth``                          (Eq. 3)
``after_synapses`` 1   reset               ``v -= vth; tout = t``                (Eq. 3)
``after_synapses`` 2   WTA pathway         others: ``v += kappa*vth``, ``tout = t``
``after_synapses`` 3   run_regularly       clip ``v >= -vth``
=====================  ==================  ==============================================

Brian2's default schedule checks thresholds *before* the synapses slot and runs every
synaptic pathway *in* the synapses slot.  With those defaults an input would only be
compared with the threshold one step later, and the lateral inhibition of a spike would
land one step late (after one more leak, with ``tout`` one ``dt`` too late).  So the
threshold, the reset and the WTA pathway are moved into the ``after_synapses`` slot with
explicit ``order`` (orders are relative to the layer's base, ``10 * (layer + 1)``).
Spike monitors record in the ``end`` slot.  Deeper layers (:func:`brian_network`) get their input pathway in the
same slot, after the previous layer's WTA, so a spike reaches the next layer within the
same step, as in :class:`snnlab.layers.DenseLayer`.

Brian2 is optional: it is imported inside the functions, ``import snnlab`` never needs it.
"""
from __future__ import annotations

import numpy as np

from .events import check_events
from .params import check_array, check_kappa, check_T_ref, check_tau

#: "never fired": far enough in the past that the dynamic weight is 1.
_NEVER = -1.0e6

#: orders inside the ``after_synapses`` slot; layer l uses base ``_ORDER_STEP * (l + 1)``
_ORDER_STEP = 10

_QUIET = False


def _brian():
    try:
        import brian2
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("snnlab.brian needs Brian2: pip install brian2") from err
    return brian2


def _on_pre(dynamic_weight: bool) -> str:
    """Code run on the target neuron for every input spike (Eqs. 1-2).

    The clip at -V_th is a separate operation right after the pathway (see :func:`_layer`):
    a plain ``+=`` lets Brian2's numpy target vectorise the update (with a clip inside,
    it falls back to a Python loop over synapses, ~100x slower).
    """
    if dynamic_weight:
        return "v_post += w * clip((t - tout_post) / Tref, 0, 1)**2"
    return "v_post += w"


_WTA_ON_PRE = "v_post += kappa * vth_post\ntout_post = t"
_CLIP = "v = clip(v, -vth, inf)"


def _layer(b, source, weights, threshold, tau_mp, T_ref, kappa, dynamic_weight, wta,
           index, name):
    """NeuronGroup + input Synapses (+ WTA Synapses) of one dense layer; returns objects."""
    N, M = weights.shape
    base = _ORDER_STEP * (index + 1)
    namespace = {"tau_mp": tau_mp * b.second, "kappa": kappa}
    G = b.NeuronGroup(N, "dv/dt = -v / tau_mp : 1\nvth : 1 (constant)\ntout : second",
                      threshold="v >= vth", reset="v -= vth\ntout = t", method="exact",
                      namespace=namespace, name=f"{name}_neurons")
    G.vth = threshold
    G.v = 0.0
    G.tout = _NEVER * b.second
    G.thresholder["spike"].when, G.thresholder["spike"].order = "after_synapses", base
    G.resetter["spike"].when, G.resetter["spike"].order = "after_synapses", base + 1

    use_dyn = dynamic_weight and T_ref > 0
    S_in = b.Synapses(source, G, "w : 1 (constant)", on_pre=_on_pre(use_dyn),
                      delay=0 * b.second, namespace={"Tref": max(T_ref, 1e-12) * b.second},
                      name=f"{name}_input")
    pre, post = np.repeat(np.arange(M), N), np.tile(np.arange(N), M)
    S_in.connect(i=pre, j=post)                    # all-to-all (explicit: no code generation)
    S_in.w = weights[np.asarray(S_in.j[:]), np.asarray(S_in.i[:])]
    if index > 0:                                  # spikes of the previous layer, same step
        S_in.pre.when, S_in.pre.order = "after_synapses", base - _ORDER_STEP // 2
    # clip after the input (one input event per step: the same as clipping per event)
    G.run_regularly(_CLIP, when="after_synapses", order=base - 1, name=f"{name}_clip_input")
    objs = [G, S_in]
    if wta and kappa != 0.0 and N > 1:
        S_wta = b.Synapses(G, G, on_pre=_WTA_ON_PRE, delay=0 * b.second,
                           namespace={"kappa": kappa}, name=f"{name}_wta")
        pre, post = np.repeat(np.arange(N), N), np.tile(np.arange(N), N)
        S_wta.connect(i=pre[pre != post], j=post[pre != post])     # all others
        S_wta.pre.when, S_wta.pre.order = "after_synapses", base + 2
        # all WTA increments are <= 0: clipping once after their sum equals clipping each
        G.run_regularly(_CLIP, when="after_synapses", order=base + 3, name=f"{name}_clip_wta")
        objs.append(S_wta)
    return G, objs


def _input(b, events, n_inputs, dt, name="input"):
    """SpikeGeneratorGroup of the events (times rounded to the dt grid)."""
    return b.SpikeGeneratorGroup(n_inputs, np.asarray(events["ch"], dtype=np.int64),
                                 np.asarray(events["t"], dtype=np.float64) * b.second,
                                 name=name)


def _setup(b, dt, target):
    b.start_scope()
    b.prefs.codegen.target = target
    b.defaultclock.dt = dt * b.second
    # Brian2 warns that a clipped update "may depend on the order of execution" when
    # several spikes reach one neuron in the same step.  In the tests at most one input
    # event falls into a step; the WTA increments are all <= 0, for which the order of
    # clipped additions does not matter.
    global _QUIET
    if not _QUIET:
        b.BrianLogger.suppress_hierarchy("brian2.codegen.generators.base")
        _QUIET = True


def _duration(events, dt):
    """Run long enough to process the last event's step."""
    last = float(events["t"][-1]) if events.size else 0.0
    return (np.round(last / dt) + 2) * dt


def brian_group(events, weights, threshold, tau_mp=0.020, T_ref=0.001, kappa=0.0, dt=1e-5,
                target="numpy", dynamic_weight=True, wta=True) -> list:
    """Simulate N LIF neurons (one layer, optional WTA) in Brian2.

    Same model as :func:`snnlab.neuron.simulate_group`.  The results agree exactly when
    all event times are integer multiples of ``dt`` and at most one input event falls
    into each time step (Brian2 checks the threshold once per step, the event simulator
    after every event), and no single weight reaches a threshold (otherwise the residual
    ``V - V_th`` after a spike can still be ``>= V_th``: Brian2 fires again at the next step
    without input, the event simulator only at the next input event).

    Args:
        events: event array (fields ``t`` seconds, ``ch``), sorted.
        weights: (N, M) weights, ``weights[i, k]`` from input k to neuron i.
        threshold: (N,) thresholds (> 0).
        tau_mp: membrane time constant (s).
        T_ref: maximum refractory period of the dynamic weight (s); 0 = off.
        kappa: lateral inhibition in [-1, 0]; 0 = no WTA.
        dt: Brian2 time step (s).
        target: Brian2 code generation target ("numpy" or "cython").
        dynamic_weight: False switches the dynamic weight (Eq. 2) off (for tests).
        wta: False switches the lateral inhibition off (for tests).
    Returns:
        list (one per neuron) of numpy arrays of output spike times (s).
    """
    tau_mp, T_ref, kappa = check_tau(tau_mp), check_T_ref(T_ref), check_kappa(kappa)
    weights = check_array(weights, "weights")
    if weights.ndim != 2:
        raise ValueError(f"weights must be (N neurons, M inputs), got shape {weights.shape}")
    N, M = weights.shape
    threshold = check_array(threshold, "threshold", shape=(N,), positive=True)
    check_events(events, n_channels=M)
    b = _brian()
    _setup(b, dt, target)
    inp = _input(b, events, M, dt)
    G, objs = _layer(b, inp, weights, threshold, tau_mp, T_ref, kappa, dynamic_weight, wta,
                     0, "layer0")
    mon = b.SpikeMonitor(G, when="end")            # after threshold, reset and WTA
    net = b.Network(inp, *objs, mon)
    net.run(_duration(events, dt) * b.second, namespace={})
    trains = mon.spike_trains()
    return [np.asarray(trains[i] / b.second, dtype=np.float64) for i in range(N)]


def brian_neuron(events, weights, threshold, tau_mp=0.020, T_ref=0.001, dt=1e-5,
                 target="numpy", dynamic_weight=True) -> np.ndarray:
    """One neuron in Brian2; ``weights`` is (M,), ``threshold`` a number.

    Args: as :func:`brian_group`.
    Returns:
        numpy array of output spike times (s).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights of one neuron must be a 1-D array (M,), got shape {w.shape}")
    return brian_group(events, w[None, :], [threshold], tau_mp, T_ref, 0.0, dt, target,
                       dynamic_weight, False)[0]


def brian_membrane_trace(events, weights, threshold, tau_mp=0.020, T_ref=0.001, dt=1e-5,
                         target="numpy"):
    """Membrane potential of one neuron, every time step, from Brian2 (for plots).

    Args: as :func:`brian_neuron`.
    Returns:
        ``(t, v)``: times (s) and the membrane at the *end* of each step (after input,
        threshold and reset), comparable to ``simulate_neuron(..., record=True)``.
    """
    w = check_array(weights, "weights")
    if w.ndim != 1:
        raise ValueError(f"weights of one neuron must be a 1-D array (M,), got shape {w.shape}")
    tau_mp, T_ref = check_tau(tau_mp), check_T_ref(T_ref)
    check_events(events, n_channels=w.size)
    b = _brian()
    _setup(b, dt, target)
    inp = _input(b, events, w.size, dt)
    G, objs = _layer(b, inp, w[None, :], np.array([float(threshold)]), tau_mp, T_ref, 0.0,
                     True, False, 0, "layer0")
    mon = b.StateMonitor(G, "v", record=0, when="end")
    net = b.Network(inp, *objs, mon)
    net.run(_duration(events, dt) * b.second, namespace={})
    return np.asarray(mon.t / b.second, dtype=np.float64), np.asarray(mon.v[0], dtype=np.float64)


def events_to_grid(events, dt, duration=None):
    """Round event times to the ``dt`` grid, dropping repeats of a channel in one step.

    Brian2's SpikeGeneratorGroup allows one spike per input and time step.

    Args:
        events: event array.
        dt: time step (s).
        duration: if given, steps are clipped to ``[0, duration/dt - 1]``.
    Returns:
        ``(steps, ch, n_dropped)``: int64 step indices, channels, number of dropped events.
    """
    steps = np.round(np.asarray(events["t"]) / dt).astype(np.int64)
    if duration is not None:
        steps = np.clip(steps, 0, int(round(duration / dt)) - 1)
    ch = np.asarray(events["ch"], dtype=np.int64)
    key = steps * (int(ch.max(initial=0)) + 1) + ch
    _, first = np.unique(key, return_index=True)
    first.sort()
    return steps[first], ch[first], int(steps.size - first.size)


class BrianNetwork:
    """A stack of dense WTA layers in Brian2 that processes samples one after the other.

    Sample ``s`` occupies ``[s * period, (s + 1) * period)``; at the start of every
    period all membranes are set to 0 and ``tout`` to "never" (a ``run_regularly`` in the
    ``start`` slot), so samples do not influence each other, as in a batch.

    Args:
        layers: list of dicts with keys ``weights`` (N, M), ``threshold`` (N,),
            ``tau_mp``, ``T_ref``, ``kappa``.
        samples: list of event arrays, times within ``[0, period)``.
        period: presentation time of one sample (s).
        dt: Brian2 time step (s); event times are rounded to it.
        target: Brian2 code generation target.
    Attributes:
        net, groups, monitors: the Brian2 objects; ``n_dropped`` input events that
        repeated a channel within one step (Brian2 cannot represent them).
    """

    def __init__(self, layers, samples, period, dt=1e-4, target="cython"):
        b = self.b = _brian()
        _setup(b, dt, target)
        self.period, self.dt, self.n_samples = float(period), float(dt), len(samples)
        M = np.asarray(layers[0]["weights"]).shape[1]
        steps, chans, self.n_dropped = [], [], 0
        per = int(round(period / dt))
        for s, ev in enumerate(samples):
            st, ch, nd = events_to_grid(ev, dt, period)
            steps.append(st + s * per)
            chans.append(ch)
            self.n_dropped += nd
        steps, chans = np.concatenate(steps), np.concatenate(chans)
        inp = b.SpikeGeneratorGroup(M, chans, steps * dt * b.second, name="input")
        objs, self.groups, self.monitors = [inp], [], []
        source = inp
        for index, p in enumerate(layers):
            G, lo = _layer(b, source, np.asarray(p["weights"], dtype=np.float64),
                           np.asarray(p["threshold"], dtype=np.float64), p["tau_mp"],
                           p["T_ref"], p["kappa"], True, True, index, f"layer{index}")
            G.run_regularly(f"v = 0\ntout = {_NEVER}*second", dt=period * b.second,
                            when="start", name=f"layer{index}_reset_sample")
            mon = b.SpikeMonitor(G, when="end", name=f"layer{index}_spikes")
            objs += lo + [mon]
            self.groups.append(G)
            self.monitors.append(mon)
            source = G
        self.net = b.Network(*objs)

    def run(self, n_samples):
        """Simulate the next ``n_samples`` samples."""
        self.net.run(n_samples * self.period * self.b.second, namespace={})

    def counts(self):
        """(samples simulated so far, N) spike counts of every layer."""
        done = int(round(float(self.net.t / self.b.second) / self.period))
        out = []
        for G, mon in zip(self.groups, self.monitors):
            s = np.floor(np.asarray(mon.t / self.b.second) / self.period + 1e-9).astype(np.int64)
            c = np.zeros((done, len(G)), dtype=np.int64)
            np.add.at(c, (s, np.asarray(mon.i)), 1)
            out.append(c)
        return out
