"""Widgets and helpers of notebooks 08 (convolutional SNN) and 09 (N-MNIST), same machinery as
:mod:`snnlab.widgets`: sliders with units (``continuous_update=False``) and ONE figure re-rendered in
place.

Notebook 08 (section 3.2 of the paper):

* :func:`feature_map_explorer` -- one digit through a conv layer and its pool: the kernels, the
  spike count of every feature map, the pooled maps;
* :func:`pool_explorer` -- one 2x2 pooling neuron (w = 1, V_th = 0.8) against exact sum pooling,
  with a T_ref slider; :func:`pool_count_analytic` is the dashed expectation;
* :func:`distortion_explorer` -- elastic distortion (alpha, sigma): digit before / after and the
  displacement field.

Notebook 09 (section 3.3):

* :func:`stream_scrubber` -- a time slider through a real N-MNIST recording: ON / OFF frames of a
  window around t, the event rate over time, the three saccades;
* :func:`emulator_explorer` -- the same digit recorded (N-MNIST) and emulated
  (:mod:`snnlab.data.emulator`), with sliders for the contrast threshold and refractory period;
* :func:`accuracy_vs_time` and :func:`tau_explorer` -- a trained network's accuracy as a function
  of the time of the stream seen, for several membrane time constants.

Both: :class:`EventDashboard`, another name of :class:`snnlab.dashboard.TrainingDashboard`, which
draws any first layer as it is (conv kernels, a dense layer's 2 x 34 x 34 ON / OFF weights, or
28x28 tiles); :func:`event_train_controls`, sliders and a Train button for a CNN on MNIST or a dense
network on N-MNIST; :func:`network_from_checkpoint`, a trained network without loading its data.
"""
from __future__ import annotations

import math

import numpy as np
import ipywidgets as W

from . import plots
from .dashboard import SENSOR, TrainingDashboard, bars, first_layer_tiles, mosaic, plots_cmap  # noqa: F401
from .data.emulator import SACCADES          # time windows (s) of the three saccades of a recording
from .events import EventBatch, make_events
from .widgets import _LAYOUT, _STYLE, ControlPanel, LiveFigure, _slider



# ============================================================================ dashboard
# The tiles and the dashboard live in snnlab.dashboard, which shows any first layer as it is
# (conv kernels, N-MNIST OFF | ON images); the names below are kept for notebooks 08 and 09.
EventDashboard = TrainingDashboard


# ============================================================================ checkpoints
def network_from_checkpoint(path):
    """The network stored in a training checkpoint, without loading its data set.

    (:func:`snnlab.train.trainer_from_checkpoint` builds the whole Trainer, which loads the task's
    data: for ``nmnist-800`` that means emulating 60,000 digits on a machine without their cache.)

    Returns:
        (network, info) with info = {"config": TrainConfig, "epoch": completed epochs,
        "batch_index": next batch of the current epoch, "history": per-epoch metrics}.
    """
    import dataclasses
    from .train import INPUT_SHAPES, REMOVED_OPTIONS, TrainConfig, build_network, load_checkpoint_file
    state = load_checkpoint_file(path)
    cfg = dict(state["config"])
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    for key in sorted(set(cfg) - known):
        if key in REMOVED_OPTIONS and cfg[key] == REMOVED_OPTIONS[key]:
            del cfg[key]
        else:
            raise ValueError(f"checkpoint {path} has the setting {key}={cfg[key]!r}, unknown to this snnlab")
    for key in ("hidden", "kappa_hidden", "alpha", "floor_mode", "distortion"):
        if isinstance(cfg.get(key), list):
            cfg[key] = tuple(cfg[key])
    cfg = TrainConfig(**cfg)
    net = build_network(cfg, np.random.default_rng(0), INPUT_SHAPES.get(cfg.task))
    trained = [layer for layer in net.layers if layer.trainable]
    if len(trained) != len(state["weights"]):
        raise ValueError(f"checkpoint {path}: {len(state['weights'])} trained layers, the config builds {len(trained)}")
    for layer, w, th in zip(trained, state["weights"], state["thresholds"]):
        layer.weights[...] = w.reshape(layer.weights.shape)
        layer.threshold[...] = th
    return net, {"config": cfg, "epoch": int(state["epoch"]), "batch_index": int(state["batch_index"]),
                 "history": list(state.get("history") or [])}


# ============================================================================ notebook 08
def _imshow_mosaic(ax, shape, cmap="viridis", **kw):
    art = ax.imshow(np.full(shape, np.nan), cmap=cmap, interpolation="nearest", **kw)
    ax.set_xticks([])
    ax.set_yticks([])
    return art


class FeatureMapExplorer(LiveFigure):
    """One digit through conv1 (and pool1) of a network: kernels, spike counts per map, pooled maps."""

    figsize = (10, 6.2)

    def __init__(self, controls, net, images, rate=5000.0):
        self.net, self.images, self.rate = net, np.asarray(images), rate
        self.conv, self.pool = net.layers[0], net.layers[1] if len(net.layers) > 1 else None
        if self.conv.kind != "conv":
            raise ValueError("feature_map_explorer needs a network whose first layer is a convolution")
        super().__init__(controls)

    def build(self):
        gs = self.fig.add_gridspec(3, 2, width_ratios=[1, 4])
        ax = self.axes = {"digit": self.fig.add_subplot(gs[0, 0]), "kernels": self.fig.add_subplot(gs[0, 1]),
                          "maps": self.fig.add_subplot(gs[1, 1]), "pooled": self.fig.add_subplot(gs[2, 1]),
                          "bars": self.fig.add_subplot(gs[1:, 0])}
        C = self.conv.weights.shape[0]
        self.ncols = min(C, 10)
        k = self.conv.kernel
        kimg, _ = mosaic(np.zeros((C, k, k)), self.ncols)
        _, Ho, Wo = self.conv.output_shape
        mimg, _ = mosaic(np.zeros((C, Ho, Wo)), self.ncols, gap=2)
        a = self.artists
        a["digit"] = _imshow_mosaic(ax["digit"], (28, 28), "gray_r")
        a["kernels"] = _imshow_mosaic(ax["kernels"], kimg.shape, plots_cmap())
        a["maps"] = _imshow_mosaic(ax["maps"], mimg.shape, "magma")
        if self.pool is not None:
            _, Hp, Wp = self.pool.output_shape
            pimg, _ = mosaic(np.zeros((C, Hp, Wp)), self.ncols, gap=1)
            a["pooled"] = _imshow_mosaic(ax["pooled"], pimg.shape, "magma")
        else:
            ax["pooled"].set_axis_off()
        a["bars"] = ax["bars"].barh(np.arange(C), np.zeros(C), color="C1")
        ax["bars"].set_yticks(np.arange(C))
        ax["bars"].tick_params(labelsize=6)
        ax["bars"].invert_yaxis()
        ax["bars"].set_xlabel("spikes per map", fontsize=8)
        ax["kernels"].set_title(f"the {C} kernels ({k}×{k}): light = positive, dark = negative", fontsize=9)

    def draw(self, digit, duration_ms):
        img = self.images[int(digit)].astype(float)
        rng = np.random.default_rng(int(digit))
        from .events import poisson_encode
        ev = poisson_encode(img, self.rate, duration_ms * 1e-3, rng)
        batch = EventBatch.from_list([ev], duration=duration_ms * 1e-3)
        out = self.conv.forward(batch)
        C, Ho, Wo = self.conv.output_shape
        counts = out.counts[0].reshape(C, Ho, Wo)
        a = self.artists
        a["digit"].set_data(img)
        a["digit"].set_clim(0, 255)
        kern = self.conv.weights.sum(axis=1)
        kimg, _ = mosaic(kern, self.ncols)
        lim = float(np.abs(kern).max()) or 1.0
        a["kernels"].set_data(kimg)
        a["kernels"].set_clim(-lim, lim)
        mimg, _ = mosaic(counts, self.ncols, gap=2)
        a["maps"].set_data(mimg)
        a["maps"].set_clim(0, max(1, counts.max()))
        per_map = counts.reshape(C, -1).sum(axis=1)
        for bar, v in zip(a["bars"], per_map):
            bar.set_width(v)
        self.axes["bars"].set_xlim(0, max(1, per_map.max()) * 1.1)
        text = (f"digit {int(digit)}: {ev.size} input events in {duration_ms:g} ms -> conv1 {int(counts.sum())} spikes "
                f"({int(out.synaptic_ops[0])} synaptic operations)")
        self.axes["maps"].set_title(f"spike counts of the {C} conv1 maps ({Ho}×{Wo}); brighter = more spikes",
                                    fontsize=9)
        if self.pool is not None:
            pout = self.pool.forward(out.spikes)
            Cp, Hp, Wp = self.pool.output_shape
            pc = pout.counts[0].reshape(Cp, Hp, Wp)
            pimg, _ = mosaic(pc, self.ncols, gap=1)
            a["pooled"].set_data(pimg)
            a["pooled"].set_clim(0, max(1, pc.max()))
            exact = counts.reshape(C, Hp, self.pool.size, Wp, self.pool.size).sum(axis=(2, 4))
            self.axes["pooled"].set_title(f"pool1 ({Hp}×{Wp}): {int(pc.sum())} spikes; exact sum pooling "
                                          f"would give {int(exact.sum())}", fontsize=9)
            self.pooled_counts, self.exact_pool_counts = pc, exact
            text += f" -> pool1 {int(pc.sum())} spikes"
        self.axes["digit"].set_title(f"digit {int(digit)}", fontsize=9)
        self.counts, self.events = counts, ev
        self.text = text


def feature_map_explorer(net, images, digit=0, duration_ms=50.0) -> FeatureMapExplorer:
    """Sliders: which test digit, presentation (ms).  ``net``: first layer conv, second (optional) pool."""
    return FeatureMapExplorer({
        "digit": _slider("int", "test digit (index)", digit, 0, len(images) - 1, 1),
        "duration_ms": _slider("float", "presentation (ms)", duration_ms, 10.0, 200.0, 10.0),
    }, net, images)


def pool_count_analytic(n_inputs, interval, T_ref, threshold=0.8):
    """Expected output spikes of a pooling neuron (w = 1) for ``n_inputs`` equally spaced input spikes,
    ignoring what is left on the membrane after a reset or a lost input.

    Eq. 2: an input ``dt`` after the last output spike adds ``(dt / T_ref)^2`` (1 once dt >= T_ref);
    alone it makes the neuron fire when that is >= threshold, i.e. ``dt >= sqrt(threshold) T_ref``.
    With spacing ``interval``, an input counts after ``m = ceil(sqrt(threshold) T_ref / interval)``
    intervals: ``1 + (n_inputs - 1) // m`` spikes.  ``T_ref = 0``: every input counts (exact sum pooling).
    """
    if n_inputs <= 0:
        return 0
    if T_ref <= 0 or interval >= math.sqrt(threshold) * T_ref:
        return int(n_inputs)
    m = math.ceil(math.sqrt(threshold) * T_ref / interval - 1e-12)
    return 1 + (int(n_inputs) - 1) // m


def pool_spikes(intervals, T_ref, n_inputs=4, threshold=0.8, tau_mp=0.020):
    """Output spikes of one 2x2 :class:`~snnlab.layers.SumPool` neuron for ``n_inputs`` input spikes,
    equally spaced by each of ``intervals`` (s), the inputs taking turns over the 4 pixels of the pool.

    Returns:
        (counts (len(intervals),), the LayerOutput).
    """
    from .layers import SumPool
    pool = SumPool((1, 2, 2), size=2, threshold=threshold, tau_mp=tau_mp, T_ref=T_ref)
    evs = [make_events(np.arange(n_inputs) * d, np.arange(n_inputs) % 4) for d in np.atleast_1d(intervals)]
    out = pool.forward(EventBatch.from_list(evs, duration=n_inputs * float(np.max(intervals)) + 1e-3))
    return out.counts[:, 0], out


class PoolExplorer(LiveFigure):
    """Pooling neuron vs exact sum pooling: membrane of one case and output spikes vs the interval."""

    figsize = (10, 3.8)
    threshold, tau_mp = 0.8, 0.020

    def __init__(self, controls, n_inputs=4):
        self.n_inputs = n_inputs
        self.grid = np.linspace(0.05e-3, 5e-3, 100)
        super().__init__(controls)

    def build(self):
        ax1, ax2 = self.axes = self.fig.subplots(1, 2, width_ratios=[1.2, 1])
        a = self.artists
        (a["v"],) = ax1.plot([], [], color=plots.COLORS["event"], lw=1.5, label="pooling neuron V_mp")
        (a["in"],) = ax1.plot([], [], "|", color="k", ms=14, mew=1.5, label="input spikes (4 pixels)")
        (a["out"],) = ax1.plot([], [], "v", color="C3", ms=8, label="output spikes")
        ax1.axhline(self.threshold, color=plots.COLORS["threshold"], lw=1, label="V_th = 0.8")
        ax1.set_xlabel("time (ms)")
        ax1.set_ylabel("V_mp")
        ax1.legend(fontsize=7, loc="upper right")
        (a["sim"],) = ax2.plot([], [], "o-", color="C0", ms=3, lw=1.2, label="pooling neuron (SumPool)")
        (a["analytic"],) = ax2.plot([], [], "k--", lw=1.2, label="analytic, no leftover charge")
        a["exact"] = ax2.axhline(self.n_inputs, color="C2", ls=":", lw=2, label="exact sum pooling")
        a["now"] = ax2.axvline(1.0, color="0.5", lw=0.8)
        ax2.set_xlabel("interval between the input spikes (ms)")
        ax2.set_ylabel("output spikes")
        ax2.set_ylim(0, self.n_inputs + 0.6)
        ax2.set_xlim(0, self.grid[-1] * 1e3)
        ax2.legend(fontsize=7, loc="lower right")

    def draw(self, T_ref_ms, interval_ms):
        from .neuron import membrane_between_events, simulate_neuron
        T, d = T_ref_ms * 1e-3, interval_ms * 1e-3
        a = self.artists
        counts, _ = pool_spikes(self.grid, T, self.n_inputs, self.threshold, self.tau_mp)
        a["sim"].set_data(self.grid * 1e3, counts)
        a["analytic"].set_data(self.grid * 1e3, [pool_count_analytic(self.n_inputs, g, T, self.threshold)
                                                 for g in self.grid])
        a["now"].set_xdata([interval_ms] * 2)
        n_now, out = pool_spikes([d], T, self.n_inputs, self.threshold, self.tau_mp)
        ev = make_events(np.arange(self.n_inputs) * d, np.zeros(self.n_inputs, int))
        res = simulate_neuron(ev, [1.0], self.threshold, self.tau_mp, T, record=True)
        span = max(self.n_inputs * d + 2 * T, 2e-3)
        tg = np.sort(np.r_[np.linspace(-0.1 * span, span, 800), ev["t"], ev["t"] - 1e-9])
        tt, vv = plots.with_spike_peaks(tg, membrane_between_events(res, tg, self.tau_mp), res.spike_times[0],
                                        self.threshold)
        a["v"].set_data(tt * 1e3, vv)
        a["in"].set_data(ev["t"] * 1e3, np.full(ev.size, -0.15))
        st = out.spikes.t[0, :out.spikes.n[0]]
        a["out"].set_data(st * 1e3, np.full(st.size, 1.1))
        self.axes[0].set_xlim(-0.1 * span * 1e3, span * 1e3)
        self.axes[0].set_ylim(-0.3, 1.3)
        ana = pool_count_analytic(self.n_inputs, d, T, self.threshold)
        self.axes[0].set_title(f"T_ref = {T_ref_ms:g} ms, interval {interval_ms:g} ms: {int(n_now[0])} output "
                               f"spikes (exact sum pooling {self.n_inputs}, analytic {ana})", fontsize=9)
        self.counts, self.n_spikes, self.analytic = counts, int(n_now[0]), ana
        self.same_as_reference = len(res.spike_times[0]) == int(n_now[0])
        self.text = (f"pooling neuron: {int(n_now[0])} spikes, exact sum pooling: {self.n_inputs}, analytic "
                     f"(no leftover charge): {ana};  simulate_neuron on the same inputs: {len(res.spike_times[0])}")


def pool_explorer(T_ref_ms=1.0, interval_ms=0.5, n_inputs=4) -> PoolExplorer:
    """Sliders: T_ref (ms), interval between the ``n_inputs`` input spikes (ms)."""
    return PoolExplorer({
        "T_ref_ms": _slider("float", "T_ref, max. refractory period (ms)", T_ref_ms, 0.0, 5.0, 0.1),
        "interval_ms": _slider("float", "interval between input spikes (ms)", interval_ms, 0.05, 5.0, 0.05),
    }, n_inputs=n_inputs)


class DistortionExplorer(LiveFigure):
    """Elastic distortion (Simard et al. 2003): before, after, and the displacement field."""

    figsize = (10, 3.6)

    def __init__(self, controls, images):
        self.images = np.asarray(images)
        super().__init__(controls)

    def build(self):
        ax = self.axes = self.fig.subplots(1, 3)
        a = self.artists
        a["before"] = _imshow_mosaic(ax[0], (28, 28), "gray_r", vmin=0, vmax=255)
        a["after"] = _imshow_mosaic(ax[1], (28, 28), "gray_r", vmin=0, vmax=255)
        a["field_bg"] = _imshow_mosaic(ax[2], (28, 28), "Greys", vmin=0, vmax=255 * 4)
        r, c = np.mgrid[0:28:2, 0:28:2]
        self._r, self._c = r, c
        a["quiver"] = ax[2].quiver(c, r, np.zeros_like(c, float), np.zeros_like(r, float), color="C3",
                                   angles="xy", scale_units="xy", scale=1, width=0.006)
        ax[2].set_xlim(-0.5, 27.5)
        ax[2].set_ylim(27.5, -0.5)
        ax[0].set_title("before", fontsize=9)
        ax[2].set_title("displacement field (every 2nd pixel):\narrow = where the output pixel reads from",
                        fontsize=8)

    def draw(self, alpha, sigma, digit, seed):
        from .data.distortion import displacement_field, elastic_distort
        img = self.images[int(digit)].astype(float)
        dx, dy = displacement_field(img.shape, alpha, sigma, np.random.default_rng(int(seed)))
        warped = elastic_distort(img, alpha, sigma, np.random.default_rng(int(seed)))   # the same field
        a = self.artists
        a["before"].set_data(img)
        a["after"].set_data(warped)
        a["field_bg"].set_data(img)
        a["quiver"].set_UVC(dx[::2, ::2], dy[::2, ::2])
        mag = np.hypot(dx, dy)
        self.axes[1].set_title(f"after: α = {alpha:g} px, σ = {sigma:g} px", fontsize=9)
        self.field, self.warped = (dx, dy), warped
        self.text = (f"displacement: mean |d| {mag.mean():.2f} px, max {mag.max():.2f} px, "
                     f"std of dx {dx.std():.2f} px")


def distortion_explorer(images, alpha=34.0, sigma=4.0, digit=0, seed=0) -> DistortionExplorer:
    """Sliders: alpha (px), sigma (px), digit, seed of the random field."""
    return DistortionExplorer({
        "alpha": _slider("float", "α, displacement scale (px)", alpha, 0.0, 40.0, 1.0),
        "sigma": _slider("float", "σ, smoothing width (px)", sigma, 2.0, 8.0, 0.25),
        "digit": _slider("int", "digit (index)", digit, 0, len(images) - 1, 1),
        "seed": _slider("int", "seed of the random field", seed, 0, 20, 1),
    }, images)


# ============================================================================ notebook 09
def frames_on_off(stream, t0, t1):
    """(ON, OFF) event counts per pixel, (34, 34) each, of the events with t0 <= t < t1."""
    sel = stream[(stream["t"] >= t0) & (stream["t"] < t1)]
    on = np.zeros((SENSOR, SENSOR))
    off = np.zeros((SENSOR, SENSOR))
    p = sel["p"].astype(bool)
    np.add.at(on, (sel["y"][p].astype(int), sel["x"][p].astype(int)), 1)
    np.add.at(off, (sel["y"][~p].astype(int), sel["x"][~p].astype(int)), 1)
    return on, off


def rate_profile(stream, bin_s=0.002, t_max=0.32):
    """(bin centres (s), ON rate, OFF rate) in events per second, over the whole sensor."""
    edges = np.arange(0.0, t_max + bin_s / 2, bin_s)
    t = stream["t"] - (stream["t"][0] if stream.size else 0.0)
    p = stream["p"].astype(bool)
    on = np.histogram(t[p], edges)[0] / bin_s
    off = np.histogram(t[~p], edges)[0] / bin_s
    return 0.5 * (edges[1:] + edges[:-1]), on, off


class StreamScrubber(LiveFigure):
    """A real N-MNIST recording: ON / OFF frames of a window around t, and the event rate over time."""

    figsize = (10, 5.4)

    def __init__(self, controls, streams, labels):
        self.streams, self.labels = streams, np.asarray(labels)
        self._cache = {}
        super().__init__(controls)

    def build(self):
        gs = self.fig.add_gridspec(2, 3, height_ratios=[1.3, 1])
        ax = self.axes = {"on": self.fig.add_subplot(gs[0, 0]), "off": self.fig.add_subplot(gs[0, 1]),
                          "both": self.fig.add_subplot(gs[0, 2]), "rate": self.fig.add_subplot(gs[1, :])}
        a = self.artists
        a["on"] = _imshow_mosaic(ax["on"], (SENSOR, SENSOR), "Reds", vmin=0)
        a["off"] = _imshow_mosaic(ax["off"], (SENSOR, SENSOR), "Blues", vmin=0)
        a["both"] = _imshow_mosaic(ax["both"], (SENSOR, SENSOR), "bwr", vmin=-1, vmax=1)
        ax["both"].set_title("ON − OFF (red = brighter)", fontsize=9)
        r = ax["rate"]
        for i, (lo, hi) in enumerate(SACCADES):
            r.axvspan(lo * 1e3, hi * 1e3, color=f"C{i + 2}", alpha=0.08)
            r.text((lo + hi) / 2 * 1e3, 1.0, f"saccade {i + 1}", transform=r.get_xaxis_transform(),
                   ha="center", va="top", fontsize=8)
        (a["rate_on"],) = r.plot([], [], color="C3", lw=1, label="ON events")
        (a["rate_off"],) = r.plot([], [], color="C0", lw=1, label="OFF events")
        a["window"] = r.axvspan(0, 1, color="k", alpha=0.15)
        r.set_xlabel("time (ms)")
        r.set_ylabel("events / s (whole sensor)")
        r.set_xlim(0, 320)
        r.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1.0, 0.85))

    def _profile(self, k):
        if k not in self._cache:
            self._cache[k] = rate_profile(self.streams[k])
        return self._cache[k]

    def draw(self, sample, t_ms, window_ms):
        k = int(sample)
        s = self.streams[k]
        t0 = s["t"][0] if s.size else 0.0
        lo, hi = (t_ms - window_ms / 2) * 1e-3 + t0, (t_ms + window_ms / 2) * 1e-3 + t0
        on, off = frames_on_off(s, lo, hi)
        a = self.artists
        top = max(1.0, on.max(), off.max())
        a["on"].set_data(on)
        a["on"].set_clim(0, top)
        a["off"].set_data(off)
        a["off"].set_clim(0, top)
        a["both"].set_data(np.clip(on - off, -top, top) / top)
        tc, r_on, r_off = self._profile(k)
        a["rate_on"].set_data(tc * 1e3, r_on)
        a["rate_off"].set_data(tc * 1e3, r_off)
        self.axes["rate"].set_ylim(0, max(r_on.max(), r_off.max(), 1.0) * 1.15)
        x0, x1 = t_ms - window_ms / 2, t_ms + window_ms / 2
        a["window"].remove()                      # an axvspan patch: replaced, not reshaped
        a["window"] = self.axes["rate"].axvspan(x0, x1, color="k", alpha=0.15)
        n_on, n_off = int(on.sum()), int(off.sum())
        self.axes["on"].set_title(f"ON: {n_on} events", fontsize=9)
        self.axes["off"].set_title(f"OFF: {n_off} events", fontsize=9)
        saccade = next((i + 1 for i, (a0, a1) in enumerate(SACCADES) if a0 * 1e3 <= t_ms < a1 * 1e3), None)
        self.axes["rate"].set_title(f"test sample {k} (digit {int(self.labels[k])}), {s.size} events in "
                                    f"{(s['t'][-1] - t0) * 1e3:.0f} ms; window {x0:.0f}-{x1:.0f} ms"
                                    + (f" (saccade {saccade})" if saccade else ""), fontsize=9)
        self.frames = (on, off)
        self.text = f"window {x0:.1f}-{x1:.1f} ms: {n_on} ON and {n_off} OFF events"


def stream_scrubber(streams, labels, sample=0, t_ms=50.0, window_ms=10.0) -> StreamScrubber:
    """Sliders: recording, time t (ms), window length (ms)."""
    return StreamScrubber({
        "sample": _slider("int", "recording (test sample)", sample, 0, len(streams) - 1, 1),
        "t_ms": _slider("float", "time t (ms)", t_ms, 0.0, 320.0, 1.0),
        "window_ms": _slider("float", "window around t (ms)", window_ms, 1.0, 60.0, 1.0),
    }, streams, labels)


class EmulatorExplorer(LiveFigure):
    """Recorded (N-MNIST) vs emulated stream of the same MNIST digit, emulator sliders."""

    figsize = (10, 5.4)

    def __init__(self, controls, real, images, labels, params=None):
        from .data.emulator import EmulatorParams
        self.real, self.images, self.labels = real, np.asarray(images), np.asarray(labels)
        self.params = params or EmulatorParams()
        super().__init__(controls)

    def build(self):
        gs = self.fig.add_gridspec(2, 3, height_ratios=[1.25, 1])
        ax = self.axes = {"digit": self.fig.add_subplot(gs[0, 0]), "real": self.fig.add_subplot(gs[0, 1]),
                          "emu": self.fig.add_subplot(gs[0, 2]), "rate": self.fig.add_subplot(gs[1, :])}
        a = self.artists
        a["digit"] = _imshow_mosaic(ax["digit"], (28, 28), "gray_r", vmin=0, vmax=255)
        a["real"] = _imshow_mosaic(ax["real"], (SENSOR, SENSOR), "magma", vmin=0, vmax=1)
        a["emu"] = _imshow_mosaic(ax["emu"], (SENSOR, SENSOR), "magma", vmin=0, vmax=1)
        (a["rate_real"],) = ax["rate"].plot([], [], color="k", lw=1.2, label="recorded (N-MNIST)")
        (a["rate_emu"],) = ax["rate"].plot([], [], color="C1", lw=1.2, label="emulated")
        for lo, hi in SACCADES[1:]:
            ax["rate"].axvline(lo * 1e3, color="0.6", lw=0.8, ls="--")
        ax["rate"].set_xlabel("time (ms)")
        ax["rate"].set_ylabel("events / s")
        ax["rate"].set_xlim(0, 320)
        ax["rate"].legend(fontsize=7, loc="upper right")

    def draw(self, sample, contrast, refractory_ms):
        from .data.emulator import _pearson, accumulate, emulate
        k = int(sample)
        params = self.params.replace(c_on=contrast, c_off=contrast, refractory=refractory_ms * 1e-3)
        emu = emulate(self.images[k], params, rng=k)
        real = self.real[k]
        a = self.artists
        a["digit"].set_data(self.images[k])
        imgs = {}
        for key, s in (("real", real), ("emu", emu)):
            acc = accumulate(s)
            total = acc.sum(axis=2)                 # ON + OFF events per pixel, whole stream
            a[key].set_data(total / max(1.0, total.max()))
            imgs[key] = acc
            tc, r_on, r_off = rate_profile(s, bin_s=0.005)
            a[f"rate_{key}"].set_data(tc * 1e3, r_on + r_off)
        self.axes["rate"].relim()
        self.axes["rate"].autoscale_view(scalex=False)
        on = {key: float(s["p"].mean()) if s.size else 0.0 for key, s in (("real", real), ("emu", emu))}
        r = _pearson(imgs["real"], imgs["emu"])
        self.axes["digit"].set_title(f"MNIST test digit {k} (label {int(self.labels[k])})", fontsize=9)
        self.axes["real"].set_title(f"recorded: {real.size} events, ON {on['real']:.2f}\n(events per pixel, whole stream)",
                                    fontsize=9)
        self.axes["emu"].set_title(f"emulated: {emu.size} events, ON {on['emu']:.2f}\nC = {contrast:.3f}, "
                                   f"T_ref = {refractory_ms:g} ms", fontsize=9)
        self.emulated, self.image_r = emu, r
        self.text = (f"sample {k}: events recorded {real.size}, emulated {emu.size} "
                     f"({emu.size / max(real.size, 1):.2f}x); ON fraction {on['real']:.3f} vs {on['emu']:.3f}; "
                     f"Pearson r of the accumulated 34x34x2 images {r:.3f}")


def emulator_explorer(real, images, labels, sample=0, contrast=None, refractory_ms=None, params=None):
    """Sliders: sample, contrast threshold C (log units), refractory period (ms); defaults: the fit."""
    from .data.emulator import EmulatorParams
    p = params or EmulatorParams()
    return EmulatorExplorer({
        "sample": _slider("int", "test sample (N-MNIST = MNIST index)", sample, 0, len(real) - 1, 1),
        "contrast": _slider("float", "C, contrast threshold (log intensity)", p.c_on if contrast is None else contrast,
                            0.04, 0.5, 0.005, ".3f"),
        "refractory_ms": _slider("float", "pixel refractory period (ms)",
                                 p.refractory * 1e3 if refractory_ms is None else refractory_ms, 0.0, 10.0, 0.1),
    }, real, images, labels, p)


def accuracy_vs_time(net, streams, labels, taus, times, backend="numpy"):
    """Accuracy of ``net`` predicting from the output spikes up to each time in ``times``, with the
    membrane time constant of every layer set to each of ``taus`` (s) in turn (then restored).

    Uses :func:`snnlab.nmnist_figures.snn_error_and_ops_vs_time` (no output spike = wrong).
    Returns:
        dict tau -> accuracy (len(times),).
    """
    from .nmnist_figures import snn_error_and_ops_vs_time
    saved = [layer.tau_mp for layer in net.layers]
    out = {}
    try:
        for tau in taus:
            for layer in net.layers:
                layer.tau_mp = float(tau)
            err, _ = snn_error_and_ops_vs_time(net, streams, labels, times, backend=backend)
            out[float(tau)] = 1.0 - np.asarray(err)
    finally:
        for layer, tau in zip(net.layers, saved):
            layer.tau_mp = tau
    return out


class TauExplorer(LiveFigure):
    """Accuracy vs time of the stream seen, one curve per tau_mp; the slider picks the highlighted one."""

    figsize = (9, 3.8)

    def __init__(self, controls, curves, times, trained_tau=None):
        self.curves, self.times, self.trained_tau = curves, np.asarray(times), trained_tau
        super().__init__(controls)

    def build(self):
        ax = self.ax = self.fig.add_subplot(111)
        a = self.artists
        for i, tau in enumerate(sorted(self.curves)):
            (a[f"tau_{tau}"],) = ax.plot(self.times * 1e3, 100 * self.curves[tau], color="0.75", lw=1)
        for lo, hi in SACCADES[1:]:
            ax.axvline(lo * 1e3, color="0.6", lw=0.8, ls="--")
        ax.set_xlabel("time of the stream seen (ms)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(0, 100)
        ax.set_xlim(0, self.times[-1] * 1e3)

    def draw(self, tau_ms):
        chosen = min(self.curves, key=lambda t: abs(t * 1e3 - tau_ms))
        for tau in self.curves:
            art = self.artists[f"tau_{tau}"]
            art.set_color("C0" if tau == chosen else "0.8")
            art.set_linewidth(2.2 if tau == chosen else 1.0)
            art.set_zorder(3 if tau == chosen else 2)
        acc = self.curves[chosen]
        top = max(float(c[-1]) for c in self.curves.values())
        best = ", ".join(f"{t * 1e3:g}" for t in sorted(self.curves) if self.curves[t][-1] >= top - 1e-12)
        trained = f" (trained with {self.trained_tau * 1e3:g} ms)" if self.trained_tau else ""
        self.ax.set_title(f"τ_mp = {chosen * 1e3:g} ms{trained}: {100 * acc[-1]:.0f}% after "
                          f"{self.times[-1] * 1e3:.0f} ms; grey: the other τ_mp; dashed: saccade boundaries", fontsize=9)
        marks = [t for t in (0.05, 0.1, 0.2, 0.3) if t <= self.times[-1] + 1e-9]
        vals = [f"{t * 1e3:.0f} ms: {100 * np.interp(t, self.times, acc):.0f}%" for t in marks]
        self.chosen = chosen
        self.text = (f"τ_mp = {chosen * 1e3:g} ms, accuracy after " + ", ".join(vals)
                     + f";  best at the end of the stream: τ_mp = {best} ms ({100 * top:.0f}%)")


def tau_explorer(curves, times, tau_ms=None, trained_tau=None) -> TauExplorer:
    """Slider over the tau_mp values (ms) in ``curves`` (from :func:`accuracy_vs_time`)."""
    options = [round(t * 1e3, 6) for t in sorted(curves)]
    if tau_ms is None:
        tau_ms = options[-1]
    slider = W.SelectionSlider(options=options, value=min(options, key=lambda o: abs(o - tau_ms)),
                               description="τ_mp, membrane time constant (ms)", continuous_update=False,
                               style=_STYLE, layout=_LAYOUT)
    return TauExplorer({"tau_ms": slider}, curves, times, trained_tau)


# ============================================================================ training controls
#: name -> (label with units, kind, min, max, step); the values default to the base config's
EVENT_CONTROLS = {
    "nmnist": {
        "hidden": ("N, hidden neurons (paper: 800; Figs. 5-6: 200)", "int", 10, 800, 10),
        "tau_mp_ms": ("τ_mp, membrane time constant (ms; paper: 200)", "float", 10.0, 500.0, 10.0),
        "train_events": ("events per training crop (paper: 300)", "int", 50, 2000, 50),
        "kappa": ("κ, WTA strength of the hidden layer", "float", -1.0, 0.0, 0.05),
        "train_samples": ("training recordings (this machine: 800 + 200 validation)", "box", 32, 800, 1),
        "epochs": ("epochs", "int", 1, 10, 1),
    },
    "mnist": {
        "maps": ("maps of the conv layer (paper: 20)", "int", 1, 20, 1),
        "hidden": ("N, dense hidden neurons (paper: 200)", "int", 10, 200, 10),
        "distortion_alpha": ("elastic distortion α (px; 0 = none; paper's source: 34)", "float", 0.0, 40.0, 1.0),
        "train_samples": ("training digits (of 60,000)", "box", 32, 60000, 1),
        "epochs": ("epochs", "int", 1, 5, 1),
    },
}


def _event_control(kind, label, value, lo, hi, step):
    kw = dict(description=label, style=_STYLE, layout=W.Layout(width="560px"))
    if kind == "float":
        return W.FloatSlider(value=value, min=lo, max=hi, step=step, continuous_update=False, **kw)
    if kind == "int":
        return W.IntSlider(value=value, min=lo, max=hi, step=step, continuous_update=False, **kw)
    return W.BoundedIntText(value=value, min=lo, max=hi, step=step, continuous_update=False, **kw)


def event_config_from_controls(values: dict, base):
    """A TrainConfig from the control values of :data:`EVENT_CONTROLS` (ms -> s) on top of ``base``.

    nmnist: ``base.hidden`` must be one dense layer.  mnist: ``base.hidden`` is (conv, pool, dense)
    or (conv, pool, conv, pool, dense); ``maps`` sets the first conv layer, ``hidden`` the dense one.
    """
    from .network import parse_layer
    v, ch = dict(values), {}
    if base.task == "nmnist":
        if "hidden" in v:
            ch["hidden"] = (int(v.pop("hidden")),)
        if "tau_mp_ms" in v:
            ch["tau_mp"] = float(v.pop("tau_mp_ms")) * 1e-3
        if "kappa" in v:
            ch["kappa_hidden"] = (float(v.pop("kappa")),)
        for key in ("train_events", "train_samples", "epochs"):
            if key in v:
                ch[key] = int(v.pop(key))
    elif base.task == "mnist":
        hidden = list(base.hidden)
        if "maps" in v:
            i = next(i for i, h in enumerate(hidden) if parse_layer(h)[0] == "conv")
            hidden[i] = f"{int(v.pop('maps'))}C{parse_layer(hidden[i])[2]}"
        if "hidden" in v:
            hidden[-1] = int(v.pop("hidden"))
        ch["hidden"] = tuple(hidden)
        if "distortion_alpha" in v:
            a = float(v.pop("distortion_alpha"))
            sigma = base.distortion[1] if base.distortion else 4.0
            ch["distortion"] = (a, sigma) if a > 0 else None
        for key in ("train_samples", "epochs"):
            if key in v:
                ch[key] = int(v.pop(key))
    else:
        raise ValueError(f"event_config_from_controls is for the 'nmnist' and 'mnist' tasks, got {base.task!r}")
    if v:
        raise ValueError(f"unknown control(s) {sorted(v)} for task {base.task!r}; known: {sorted(EVENT_CONTROLS[base.task])}")
    return base.replace(**ch)


def _base_value(name, base):
    from .network import parse_layer
    if name == "hidden":
        return int(base.hidden[-1])
    if name == "tau_mp_ms":
        return base.tau_mp * 1e3
    if name == "kappa":
        return float(base.kappa_hidden[0])
    if name == "maps":
        return next(parse_layer(h)[1] for h in base.hidden if parse_layer(h)[0] == "conv")
    if name == "distortion_alpha":
        return float(base.distortion[0]) if base.distortion else 0.0
    value = getattr(base, name)
    return 800 if value is None and name == "train_samples" else value


class EventTrainControls(ControlPanel):
    """Controls + Train button + an :class:`EventDashboard`; ``.run()`` = clicking Train."""

    def __init__(self, base, every=5, n_tiles=25, backend="numpy", **values):
        self.base, self.backend = base, backend
        spec = EVENT_CONTROLS[base.task]
        self.controls = {}
        for k, (label, kind, lo, hi, step) in spec.items():
            val = _base_value(k, base)
            self.controls[k] = _event_control(kind, label, min(max(val, lo), hi), lo, hi, step)
        self.set_values(**values)
        self.button = W.Button(description="Train", button_style="primary", icon="play")
        self.button.on_click(lambda _b: self.run())
        self.result = W.HTML()
        self.dashboard = EventDashboard(every=every, n_tiles=n_tiles)
        self.trainer, self.history = None, None
        self.widget = W.VBox([W.VBox(list(self.controls.values())), W.HBox([self.button, self.result]),
                              self.dashboard.widget])

    def update(self, **values):
        self.set_values(**values)
        return self

    def config(self):
        return event_config_from_controls(self.values, self.base)

    def run(self):
        """Train with the current values (``epochs`` epochs); the dashboard updates live."""
        from .train import Trainer, TrainingDiverged
        cfg = self.config()
        self.button.disabled = True
        self.result.value = "training ..."
        dash = self.dashboard
        dash._reset_history()
        try:
            self.trainer = Trainer(cfg, callbacks=[dash], progress=False, backend=self.backend)
            dash.update(self.trainer)
            self.history = self.trainer.fit()
            m = self.history[-1]
            split = m.get("test_split", "test")
            self.result.value = (f"{split} accuracy <b>{100 * m['test_accuracy']:.1f}%</b> after {m['epoch']} epoch(s) "
                                 f"of {len(self.trainer.train_labels)} samples; dead hidden neurons "
                                 f"{100 * m['dead_fraction'][0]:.0f}%; {m['samples_per_s']:.0f} samples/s")
        except TrainingDiverged as exc:
            self.history = None
            self.result.value = f"<span style='color:red'>training diverged: {exc}</span>"
        finally:
            self.button.disabled = False
        return self.history

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def event_train_controls(base, every=5, n_tiles=25, backend="numpy", **values) -> EventTrainControls:
    """Sliders for an N-MNIST (``base.task == "nmnist"``) or conv MNIST (``"mnist"``) run, and a Train button."""
    return EventTrainControls(base, every=every, n_tiles=n_tiles, backend=backend, **values)


__all__ = ["mosaic", "bars", "first_layer_tiles", "EventDashboard", "network_from_checkpoint",
           "feature_map_explorer", "pool_count_analytic", "pool_spikes", "pool_explorer", "distortion_explorer",
           "frames_on_off", "rate_profile", "stream_scrubber", "emulator_explorer", "accuracy_vs_time",
           "tau_explorer", "EVENT_CONTROLS", "event_config_from_controls", "event_train_controls"]
