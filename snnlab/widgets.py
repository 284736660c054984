"""Interactive explorers for the notebooks: sliders + ONE figure updated in place.

Each factory (:func:`lif_explorer`, :func:`refractory_explorer`, :func:`wta_explorer`)
returns a :class:`LiveFigure`:

* ``.widget``  -- the ipywidgets box to display (sliders with units, defaults = paper values,
  ``continuous_update=False``, and one ``Output`` holding the rendered figure);
* ``.update(**values)`` -- set any controls and redraw once (works headless, for tests);
* ``.fig``, ``.artists`` (name -> matplotlib artist), ``.png`` (last rendered image),
  ``.text`` (text printed under the figure, e.g. a spike-time table).

The figure is created once (``matplotlib.figure.Figure``, not pyplot); a change of a slider
updates the artists' data and re-displays the PNG into the single Output with
``clear_output(wait=True)``, so figures never pile up and no ipympl is needed.
"""
from __future__ import annotations

import numpy as np
import ipywidgets as W
from matplotlib.figure import Figure

from . import plots
from .events import make_events, poisson_encode
from .neuron import membrane_between_events, simulate_neuron
from .params import default_params
from .teaching import first_crossing_time, regular_events, simulate_variant, steal_rate, winner_share

_P = default_params()
_STYLE = {"description_width": "initial"}
_LAYOUT = W.Layout(width="460px")


def _slider(kind, description, value, lo, hi, step, readout_format=None):
    cls = {"float": W.FloatSlider, "int": W.IntSlider}[kind]
    kw = dict(value=value, min=lo, max=hi, step=step, description=description,
              continuous_update=False, style=_STYLE, layout=_LAYOUT)
    if readout_format:
        kw["readout_format"] = readout_format
    return cls(**kw)


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


class ControlPanel:
    """Named ipywidgets controls (``self.controls``): their ``values`` and ``set_values(**values)``."""

    controls: dict

    @property
    def values(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    def set_values(self, **values):
        """Set controls by name, in the control's units; unknown names are an error."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this widget has {sorted(self.controls)}")
        for k, v in values.items():
            self.controls[k].value = v


class LiveText:
    """A text that follows a :class:`ControlPanel`: ``text_fn()`` is evaluated again whenever one of
    the panel's controls changes and shown (monospace) in ``.widget``; ``.text`` is the current text.

    For what a cell would otherwise ``print`` once (e.g. the ``TrainConfig`` that sliders describe),
    which would then no longer match the sliders after the first move.
    """

    def __init__(self, panel: ControlPanel, text_fn):
        self.panel, self.text_fn = panel, text_fn
        self.widget = W.HTML()
        self.text = ""
        for c in panel.controls.values():
            c.observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    def refresh(self) -> str:
        import html
        try:
            self.text = str(self.text_fn())
        except Exception as err:  # noqa: BLE001 - e.g. a setting out of range: say so, in place
            self.text = f"{type(err).__name__}: {err}"
        self.widget.value = ("<pre style='font-size: 11px; line-height: 1.3; white-space: pre-wrap; margin: 0'>"
                             + html.escape(self.text) + "</pre>")
        return self.text

    def __str__(self) -> str:
        return self.text

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def live_text(panel: ControlPanel, text_fn) -> LiveText:
    """``text_fn()`` shown under ``panel`` and recomputed whenever one of its controls changes."""
    return LiveText(panel, text_fn)


def config_text(cfg, width: int = 110) -> str:
    """A ``TrainConfig`` (or any dataclass) as ``Name(field=value, ...)`` wrapped at ``width``."""
    import dataclasses
    import textwrap
    parts = [f"{f.name}={getattr(cfg, f.name)!r}" for f in dataclasses.fields(cfg)]
    return textwrap.fill(f"{type(cfg).__name__}(" + ", ".join(parts) + ")", width, subsequent_indent="    ",
                         break_long_words=False, break_on_hyphens=False)


class LiveFigure(ControlPanel):
    """Controls + one figure; subclasses implement :meth:`build` and :meth:`draw`."""

    figsize = (8, 4)

    def __init__(self, controls: dict):
        self.controls = controls
        self.fig = Figure(figsize=self.figsize, layout="constrained")
        self.artists: dict = {}
        self.text = ""
        self.png = b""
        self.out = W.Output()
        self._busy = False
        self.build()
        for c in controls.values():
            c.observe(self._changed, names="value")
        self.widget = W.VBox([W.VBox(list(controls.values())), self.out])
        self.redraw()

    # -- to implement
    def build(self):  # create axes and artists once
        raise NotImplementedError

    def draw(self, **values):  # update artists' data from the control values
        raise NotImplementedError

    # -- machinery
    def update(self, **values):
        """Set controls (by name, in the slider's units) and redraw once."""
        self._busy = True
        try:
            self.set_values(**values)
        finally:
            self._busy = False
        self.redraw()
        return self

    def _changed(self, change):
        if not self._busy:
            self.redraw()

    def redraw(self):
        self.text = ""
        self.draw(**self.values)
        self.png = plots.fig_to_png(self.fig)
        if _in_ipython():
            from IPython.display import Image, clear_output, display
            with self.out:
                clear_output(wait=True)
                display(Image(data=self.png))
                if self.text:
                    print(self.text)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


# ---------------------------------------------------------------------------- notebook 01
class LIFExplorer(LiveFigure):
    """One LIF neuron (Eqs. 1, 3), regular input: event-driven vs Brian2 vs closed form."""

    figsize = (8.5, 4.6)
    duration = 0.1
    dt = 1e-5                      # Brian2 step; input times are put on this grid

    def build(self):
        ax = self.ax = self.fig.add_subplot(111)
        a = self.artists
        (a["event"],) = ax.plot([], [], color=plots.COLORS["event"], lw=1.6, label="event-driven (snnlab.neuron)")
        (a["brian"],) = ax.plot([], [], ":", color=plots.COLORS["brian"], lw=2.2, label="Brian2 (snnlab.brian)")
        (a["analytic"],) = ax.plot([], [], "--", color=plots.COLORS["analytic"], lw=1.0,
                                   label="closed form: w·Σe^{-(t-t_p)/τ} − V_th·Σe^{-(t-t_q)/τ}")
        (a["spikes"],) = ax.plot([], [], "v", color="C3", ms=7, label="output spikes")
        a["threshold"] = ax.axhline(1.0, color=plots.COLORS["threshold"], lw=1, label="V_th")
        a["first"] = ax.axvline(0.0, color="C2", lw=1, ls="-.", label="analytic first spike")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("membrane potential V_mp")
        ax.set_xlim(0, self.duration * 1e3)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=3, fontsize=7, frameon=False)

    def draw(self, tau_mp_ms, v_th, rate, weight, brian):
        tau = tau_mp_ms * 1e-3
        ev = regular_events(rate, self.duration)
        ev = make_events(np.round(ev["t"] / self.dt) * self.dt, ev["ch"])   # on the Brian2 grid
        r = simulate_neuron(ev, [weight], v_th, tau, T_ref=0.0, record=True)
        tg = np.linspace(0, self.duration, 2001)
        tg = np.sort(np.r_[tg, ev["t"], ev["t"] - 1e-9])                  # sharp jumps
        a = self.artists
        st_list = r.spike_times[0]
        te, ve = plots.with_spike_peaks(tg, membrane_between_events(r, tg, tau), st_list, v_th)
        a["event"].set_data(te * 1e3, ve)
        ta, va = plots.with_spike_peaks(
            tg, plots.superposition_trace(tg, ev["t"], weight, st_list, v_th, tau), st_list, v_th)
        a["analytic"].set_data(ta * 1e3, va)
        st = np.asarray(r.spike_times[0])
        a["spikes"].set_data(st * 1e3, np.full(st.size, float(max(v_th, ve.max(initial=0))) * 1.1))
        a["threshold"].set_ydata([v_th, v_th])
        t1 = first_crossing_time(weight, v_th, tau, rate)
        a["first"].set_xdata([min(t1, 1.0) * 1e3] * 2)
        b_spikes = None
        if brian:
            from .brian import brian_membrane_trace, brian_neuron
            bt, bv = brian_membrane_trace(ev, [weight], v_th, tau, 0.0, dt=self.dt)
            a["brian"].set_data(bt * 1e3, bv)
            b_spikes = brian_neuron(ev, [weight], v_th, tau, 0.0, dt=self.dt)
        else:
            a["brian"].set_data([], [])
        self.ax.set_ylim(min(-0.1, -0.1 * v_th), 1.25 * max(v_th, float(ve.max(initial=0))))
        sim1 = st[0] if st.size else np.inf
        self.ax.set_title(f"first spike: analytic {t1 * 1e3:.3f} ms, event-driven {sim1 * 1e3:.3f} ms"
                          f"   (τ_mp = {tau_mp_ms:g} ms, V_th = {v_th:g}, {rate:g} eps, w = {weight:g})",
                          fontsize=9)
        self.spikes_event, self.spikes_brian, self.first_analytic = st, b_spikes, t1
        if b_spikes is not None:
            self.text = plots.spike_table(st, b_spikes)
            if weight >= v_th:
                self.text += ("\nnote: w >= V_th -- Brian2 checks the threshold every step and may fire again "
                              "one step later without input (see snnlab/brian.py).")


def lif_explorer(tau_mp_ms=_P["tau_mp"] * 1e3, v_th=1.0, rate=200.0, weight=0.3, brian=True) -> LIFExplorer:
    """Sliders: tau_mp (ms), V_th, input rate (events/s), weight; checkbox: Brian2 overlay."""
    return LIFExplorer({
        "tau_mp_ms": _slider("float", "τ_mp, membrane time constant (ms)", tau_mp_ms, 2, 100, 1),
        "v_th": _slider("float", "V_th, threshold", v_th, 0.5, 3.0, 0.05),
        "rate": _slider("float", "input rate (events/s)", rate, 50, 2000, 10, ".0f"),
        "weight": _slider("float", "w, synaptic weight", weight, 0.05, 0.95, 0.05),
        "brian": W.Checkbox(value=brian, description="overlay Brian2 (slower)", style=_STYLE),
    })


# ---------------------------------------------------------------------------- notebook 02
class RefractoryExplorer(LiveFigure):
    """Eq. 2: w_dyn recovery, and the dynamic weight vs a hard refractory period."""

    figsize = (8.5, 6.5)
    duration = 0.05

    def build(self):
        ax1, ax2, ax3 = self.axes = self.fig.subplots(3, 1, height_ratios=[1.1, 1.6, 0.8])
        a = self.artists
        (a["w_analytic"],) = ax1.plot([], [], "--", color=plots.COLORS["analytic"], lw=1.2,
                                      label="Eq. 2: min(1, (Δt/T_ref)²)")
        (a["w_measured"],) = ax1.plot([], [], "o", color=plots.COLORS["event"], ms=4,
                                      label="measured in simulate_neuron (probe input)")
        ax1.set_xlabel("time since the output spike Δt (ms)")
        ax1.set_ylabel("w_dyn")
        ax1.set_ylim(-0.05, 1.1)
        ax1.legend(fontsize=7, loc="lower right")
        (a["v_dyn"],) = ax2.plot([], [], color=plots.COLORS["event"], lw=1.3, label="dynamic weight (paper)")
        (a["v_hard"],) = ax2.plot([], [], color=plots.COLORS["hard"], lw=1.0, alpha=0.8,
                                  label="hard refractory (output blocked)")
        a["threshold"] = ax2.axhline(1.0, color=plots.COLORS["threshold"], lw=1)
        ax2.set_ylabel("V_mp")
        ax2.set_xlim(0, self.duration * 1e3)
        ax2.legend(fontsize=7, loc="upper right")
        (a["raster"],) = ax3.plot([], [], "|", color="k", ms=10, mew=1.5)
        ax3.set_yticks([0, 1], ["dynamic", "hard"])
        ax3.set_ylim(-0.6, 1.6)
        ax3.set_xlim(0, self.duration * 1e3)
        ax3.set_xlabel("time (ms)")

    def draw(self, T_ref_ms, rate, weight):
        T = T_ref_ms * 1e-3
        th, tau = 1.0, _P["tau_mp"]
        a = self.artists
        # (1) w_dyn measured: spike at t=0 (input = V_th), probe 0.5 at dt later -> V = 0.5 w_dyn
        span = max(T, 1e-4) * 1.6
        probes = np.linspace(0, span, 17)[1:]
        meas = []
        for d in probes:
            r = simulate_neuron(make_events([0.0, d], [0, 1]), [th, 0.5], th, tau, T, record=True)
            meas.append(r.trace_v[0, 1] / 0.5)
        dd = np.linspace(0, span, 300)
        a["w_analytic"].set_data(dd * 1e3, np.minimum(1.0, (dd / T) ** 2) if T > 0 else np.ones_like(dd))
        a["w_measured"].set_data(probes * 1e3, meas)
        self.axes[0].set_xlim(0, span * 1e3)
        # (2) membrane with both refractory rules, same Poisson input
        ev = poisson_encode(np.ones(1), total_rate=rate, duration=self.duration, rng=11)
        tg = np.sort(np.r_[np.linspace(0, self.duration, 1500), ev["t"], ev["t"] - 1e-9])
        rd = simulate_variant(ev, [weight], th, tau, T, refractory="dynamic", record=True)
        rh = simulate_variant(ev, [weight], th, tau, T, refractory="hard", record=True)
        for key, res in (("v_dyn", rd), ("v_hard", rh)):
            tt, vv = plots.with_spike_peaks(tg, membrane_between_events(res, tg, tau), res.spike_times[0], th)
            a[key].set_data(tt * 1e3, vv)
        self.axes[1].set_ylim(-0.2, max(1.3, 1.05 * float(rh.trace_v.max(initial=1.0)) + th))
        x, y = plots.raster_xy([rd.spike_times[0], rh.spike_times[0]])
        a["raster"].set_data(x, y)
        nd, nh = len(rd.spike_times[0]), len(rh.spike_times[0])
        self.axes[0].set_title(f"T_ref = {T_ref_ms:g} ms: spikes in {self.duration * 1e3:.0f} ms — dynamic weight "
                               f"{nd}, hard refractory {nh}", fontsize=9)
        self.spike_counts = (nd, nh)


def refractory_explorer(T_ref_ms=_P["T_ref"] * 1e3, rate=3000.0, weight=0.4) -> RefractoryExplorer:
    """Sliders: T_ref (ms), input rate (events/s), weight."""
    return RefractoryExplorer({
        "T_ref_ms": _slider("float", "T_ref, max. refractory period (ms)", T_ref_ms, 0.0, 10.0, 0.25),
        "rate": _slider("float", "input rate (events/s)", rate, 500, 8000, 100, ".0f"),
        "weight": _slider("float", "w, synaptic weight", weight, 0.05, 0.95, 0.05),
    })


# ---------------------------------------------------------------------------- notebook 03
class WTAExplorer(LiveFigure):
    """A WTA group (section 2.1.2): raster and spike counts vs kappa, group size, T_ref."""

    figsize = (8.5, 5.2)
    duration = 0.1
    n_inputs, max_neurons = 20, 30

    def build(self):
        rng = np.random.default_rng(5)
        self.W = rng.uniform(0.0, 0.25, size=(self.max_neurons, self.n_inputs))
        self.th = rng.uniform(0.8, 1.2, size=self.max_neurons)
        self.events = poisson_encode(rng.uniform(0.2, 1.0, self.n_inputs), total_rate=_P["rate"],
                                     duration=self.duration, rng=6)
        ax1, ax2 = self.axes = self.fig.subplots(1, 2, width_ratios=[3, 1], sharey=True)
        a = self.artists
        (a["raster"],) = ax1.plot([], [], "|", color="k", ms=6, mew=1.2)
        ax1.set_xlim(0, self.duration * 1e3)
        ax1.set_xlabel("time (ms)")
        ax1.set_ylabel("neuron")
        (a["counts"],) = ax2.plot([], [], "o-", color="C0", ms=4, lw=0.8)
        ax2.set_xlabel("spikes")

    def draw(self, kappa, n_neurons, T_ref_ms, inhibited_refractory):
        N, T = int(n_neurons), T_ref_ms * 1e-3
        r = simulate_variant(self.events, self.W[:N], self.th[:N], _P["tau_mp"], T, kappa,
                             inhibited_refractory=bool(inhibited_refractory))
        x, y = plots.raster_xy(r.spike_times)
        self.artists["raster"].set_data(x, y)
        counts = np.array([len(s) for s in r.spike_times])
        self.artists["counts"].set_data(counts, np.arange(N))
        self.axes[0].set_ylim(-0.7, N - 0.3)
        self.axes[1].set_xlim(0, max(5, counts.max(initial=0) * 1.15))
        share = winner_share(r.spike_times)
        steal = steal_rate(r.spike_times, max(T, 1e-6))
        self.axes[0].set_title(f"κ = {kappa:g}, N = {N}, T_ref = {T_ref_ms:g} ms, inhibited neurons "
                               f"{'refractory' if inhibited_refractory else 'NOT refractory'}: "
                               f"{counts.sum()} spikes, winner share {share:.2f}, stolen {steal:.2f}",
                               fontsize=8.5)
        self.result, self.stats = r, dict(total=int(counts.sum()), winner_share=share, steal_rate=steal)


def wta_explorer(kappa=_P["kappa"], n_neurons=10, T_ref_ms=_P["T_ref"] * 1e3,
                 inhibited_refractory=True) -> WTAExplorer:
    """Sliders: kappa, group size, T_ref (ms); checkbox: inhibited neurons become refractory."""
    return WTAExplorer({
        "kappa": _slider("float", "κ, lateral inhibition strength", kappa, -1.0, 0.0, 0.05),
        "n_neurons": _slider("int", "N, neurons in the WTA group", n_neurons, 2, WTAExplorer.max_neurons, 1),
        "T_ref_ms": _slider("float", "T_ref, max. refractory period (ms)", T_ref_ms, 0.0, 5.0, 0.25),
        "inhibited_refractory": W.Checkbox(value=inhibited_refractory, style=_STYLE,
                                           description="inhibition makes the losers refractory (paper)"),
    })
