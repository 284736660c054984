"""Model variants the paper argues against, and small measures, for the notebooks.

Nothing in training uses this module.  It exists so that the notebooks can *compare* the
paper's choices with the obvious alternatives, and so that the exercise checks have a
reference answer for them:

* :func:`simulate_variant` -- the loop of :func:`snnlab.neuron.simulate_group` with two
  switches: ``refractory="hard"`` (block *output* spikes for ``T_ref`` after a spike, keep
  integrating every input) instead of the dynamic weight of Eq. 2, and
  ``inhibited_refractory=False`` (lateral inhibition lowers the membrane of the losers
  but does not make them refractory; only the winner is).  With the defaults it is the
  same model as :func:`~snnlab.neuron.simulate_group`, and ``tests/test_exercises.py``
  checks that it gives the same spikes.
* :func:`winner_share`, :func:`steal_rate` -- how sparse / how stable a WTA group is.
"""
from __future__ import annotations

import numpy as np

from .events import check_events
from .neuron import NeuronResult, dynamic_weight, leak
from .params import check_array, check_kappa, check_T_ref, check_tau


def simulate_variant(events, weights, threshold, tau_mp=0.020, T_ref=0.001, kappa=0.0,
                     refractory="dynamic", inhibited_refractory=True, record=False) -> NeuronResult:
    """:func:`snnlab.neuron.simulate_group` with switchable refractoriness.

    Args:
        events, weights, threshold, tau_mp, T_ref, kappa, record: as in
            :func:`~snnlab.neuron.simulate_group`.
        refractory: ``"dynamic"`` (paper, Eq. 2: inputs are scaled by w_dyn after t_out) or
            ``"hard"`` (every input is integrated in full, but the neuron may not *fire*
            until ``T_ref`` after t_out).
        inhibited_refractory: the paper's choice (True): lateral inhibition sets t_out of
            every inhibited neuron.  False: only a neuron's own spikes set its t_out.
    Returns:
        :class:`~snnlab.neuron.NeuronResult`.
    """
    if refractory not in ("dynamic", "hard"):
        raise ValueError(f"refractory must be 'dynamic' or 'hard', got {refractory!r}")
    tau_mp, T_ref, kappa = check_tau(tau_mp), check_T_ref(T_ref), check_kappa(kappa)
    weights = check_array(weights, "weights")
    if weights.ndim == 1:
        weights = weights[None, :]
    N, M = weights.shape
    threshold = check_array(np.atleast_1d(threshold), "threshold", shape=(N,), positive=True)
    check_events(events, n_channels=M)

    membrane = np.zeros(N)
    t_out = np.full(N, -np.inf)
    spike_times = [[] for _ in range(N)]
    t_prev, trace_v = 0.0, []
    for t, k in zip(events["t"], events["ch"]):
        fired = []
        for i in range(N):
            membrane[i] = leak(membrane[i], t - t_prev, tau_mp)
            if refractory == "dynamic":
                membrane[i] += dynamic_weight(t, t_out[i], T_ref) * weights[i, k]
                may_fire = True
            else:
                membrane[i] += weights[i, k]
                may_fire = (t - t_out[i]) >= T_ref
            if may_fire and membrane[i] >= threshold[i]:
                membrane[i] -= threshold[i]
                t_out[i] = t
                spike_times[i].append(float(t))
                fired.append(i)
        if kappa != 0.0 and fired:
            for i in range(N):
                n_other = len(fired) - (i in fired)
                membrane[i] += (kappa * threshold[i]) * n_other
                if inhibited_refractory and n_other > 0:
                    t_out[i] = t
        for i in range(N):
            membrane[i] = max(membrane[i], -threshold[i])
        t_prev = t
        if record:
            trace_v.append(membrane.copy())
    trace_v = np.array(trace_v).T if record else np.zeros((N, 0))
    return NeuronResult(spike_times, membrane, events["t"].copy() if record else np.zeros(0), trace_v)


def winner_share(spike_times) -> float:
    """Fraction of all output spikes of a group emitted by its most active neuron (0 if none).

    1.0 = one neuron does all the firing (a perfect winner-take-all); 1/N = all equal.
    """
    counts = np.array([len(s) for s in spike_times], dtype=float)
    total = counts.sum()
    return float(counts.max() / total) if total > 0 else 0.0


def steal_rate(spike_times, window: float) -> float:
    """Fraction of a group's output spikes fired less than ``window`` s after the group's
    latest *earlier* spike, when that spike came from a *different* neuron; nan if the
    group never fired.  (Spikes at the same time as each other are not compared.)

    The paper's argument for refractory losers (section 2.1.1): without it "another neuron
    could fire while only the winner has to reset", i.e. spikes get *stolen* from the winner.
    """
    t = np.concatenate([np.asarray(s, dtype=float) for s in spike_times] or [np.zeros(0)])
    who = np.concatenate([np.full(len(s), i) for i, s in enumerate(spike_times)] or [np.zeros(0)])
    if t.size == 0:
        return float("nan")
    order = np.argsort(t, kind="stable")
    t, who = t[order], who[order]
    stolen = 0
    for q in range(1, t.size):
        prev = q - 1
        while prev >= 0 and t[prev] == t[q]:
            prev -= 1
        if prev >= 0 and who[prev] != who[q] and t[q] - t[prev] < window:
            stolen += 1
    return stolen / t.size


def regular_events(rate: float, duration: float, channel: int = 0) -> np.ndarray:
    """A regular spike train: one event every ``1/rate`` s at ``1/rate, 2/rate, ...`` < duration."""
    from .events import make_events
    if rate <= 0 or duration <= 0:
        raise ValueError(f"rate (events/s) and duration (s) must be > 0, got {rate}, {duration}")
    n = int(np.floor(duration * rate - 1e-9))
    t = np.arange(1, n + 1) / rate
    return make_events(t, np.full(t.size, channel))


def first_crossing_time(w: float, v_th: float, tau_mp: float, rate: float) -> float:
    """Analytic time of the first output spike for regular input (Eq. 1 solved by hand).

    Input: one event of weight ``w`` every ``1/rate`` s, the first at ``1/rate``; no dynamic
    weight before the first spike.  After n inputs V = w (1 - q^n) / (1 - q) with
    q = exp(-1 / (rate tau_mp)); the neuron fires at the smallest whole n with V >= V_th, at
    t = n / rate.  Returns ``inf`` if w / (1 - q) < V_th (V saturates below threshold).
    """
    q = np.exp(-1.0 / (rate * tau_mp))
    arg = 1.0 - v_th * (1.0 - q) / w
    if w <= 0 or arg <= 0:
        return float("inf")
    n = np.ceil(np.log(arg) / np.log(q) - 1e-9)
    return float(max(n, 1.0) / rate)
