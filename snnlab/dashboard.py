"""A live training dashboard and training controls for notebook 07 (same machinery as :mod:`snnlab.widgets`).

* :class:`TrainingDashboard` -- a ``Trainer`` callback and a widget: ONE figure, re-rendered in
  place into ONE ``ipywidgets.Output`` at most every ``every`` batches, with

  - loss per batch (Eq. 16, raw and smoothed) ,
  - training accuracy per batch (raw and smoothed) and test accuracy after each epoch,
  - firing rate per layer (spikes per neuron per sample, smoothed),
  - dead-neuron fraction per layer: neurons that have not fired on any sample so far in the
    epoch (solid; squares: the epoch's final value from the trainer's metrics) and neurons
    silent on the whole last batch (dotted; reacts at once when a layer falls silent),
  - the first layer as it is (:func:`first_layer_tiles`): PI-MNIST weights as 28x28 tiles
    (pixel permutation undone) with a red threshold bar under each tile, as in the paper's
    Fig. 2B; conv kernels; N-MNIST weights as OFF | ON 34x34 images.

  Attributes as for :class:`snnlab.widgets.LiveFigure`: ``.widget``, ``.fig``, ``.artists``
  (name -> matplotlib artist), ``.png`` (last rendered image), ``.text`` (status line);
  ``.update(trainer)`` redraws now.

* :func:`train_controls` -- sliders and boxes (units in the labels, paper defaults,
  ``continuous_update=False``) and a **Train** button; :func:`config_from_controls` is the pure
  function that turns the control values into a :class:`snnlab.train.TrainConfig`.

* helpers for tiles (:func:`unpermute`, :func:`tile_mosaic`) and for the results written by
  ``snnlab train`` and ``python -m snnlab.sweep`` (:func:`results_dir`, :func:`load_runs`,
  :func:`load_kappa_sweep`).
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import ipywidgets as W
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from . import plots
from .params import default_params
from .widgets import _LAYOUT, _STYLE, ControlPanel, _in_ipython

_P = default_params()
TILE = 28                 # MNIST side
_BAR_SPACE = 5            # pixels under each tile for its threshold bar
_GAP = 2


def dead_fraction(counts) -> float:
    """Fraction of neurons that fired on none of the samples: ``counts`` is (samples, neurons).

    The same rule as the trainer's ``dead_fraction`` metric (counted over an epoch there).
    """
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError(f"counts must be (samples, neurons), got shape {counts.shape}")
    return float((counts.sum(axis=0) == 0).mean())


# ============================================================================ tiles (Fig. 2B)
def unpermute(w, permutation):
    """Weights of one neuron (784 input channels) as an image in pixel order (784,).

    ``snnlab.train.encode_batch`` feeds pixel ``permutation[c]`` to input channel ``c``, so the
    weight on channel ``c`` belongs to pixel ``permutation[c]``: ``img[permutation] = w``.
    Works on (..., 784) arrays too.
    """
    w = np.asarray(w, dtype=float)
    img = np.empty_like(w)
    img[..., np.asarray(permutation)] = w
    return img


def mosaic(tiles, ncols=None, gap=1, bar_space=0):
    """Arrange (n, h, w) tiles of any size in one image, NaN between them.

    Returns:
        (image (H, W), origins (n, 2): each tile's top-left (x, y) in image pixels); ``bar_space``
        empty rows under each tile leave room for a threshold bar.
    """
    tiles = np.asarray(tiles, dtype=float)
    n, h, w = tiles.shape
    ncols = ncols or int(math.ceil(math.sqrt(n)))
    nrows = int(math.ceil(n / ncols))
    cw, ch = w + gap, h + bar_space + gap
    img = np.full((nrows * ch, ncols * cw), np.nan)
    origins = np.zeros((n, 2))
    for i in range(n):
        r, c = divmod(i, ncols)
        img[r * ch:r * ch + h, c * cw:c * cw + w] = tiles[i]
        origins[i] = (c * cw, r * ch)
    return img, origins


def bars(origins, lengths, tile_w, tile_h, bar_space):
    """Segments of horizontal bars under tiles: ``lengths`` in units of half a tile width (clipped at 2)."""
    segs = []
    for (x, y), f in zip(origins, np.clip(np.asarray(lengths, float), 0.0, 2.0)):
        yb = y + tile_h + bar_space / 2 - 0.5
        segs.append([(x - 0.5, yb), (x - 0.5 + f * tile_w / 2, yb)])
    return segs


def tile_mosaic(weights, permutation=None, ncols=None, gap=_GAP, bar_space=_BAR_SPACE):
    """Arrange the rows of ``weights`` (n, 784) as 28x28 tiles in one image (:func:`mosaic`).

    Returns:
        (mosaic (H, W) with NaN between tiles, origins: (n, 2) array of each tile's top-left
        (x, y) in mosaic pixels).  Below each tile there are ``bar_space`` rows for a bar.
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    imgs = unpermute(weights, permutation) if permutation is not None else weights
    return mosaic(imgs.reshape(-1, TILE, TILE), ncols, gap, bar_space)


def threshold_bars(origins, threshold, reference, bar_space=_BAR_SPACE):
    """Line segments of the threshold bars under 28x28 tiles: length TILE/2 * V_th / reference."""
    return bars(origins, np.asarray(threshold, float) / reference, TILE, TILE, bar_space)


SENSOR = 34                # N-MNIST: 34 x 34 pixels, two polarities


def first_layer_tiles(layer, n=25, permutation=None):
    """What the first layer has learned, as images: (tiles (n, h, w), per-tile V_th, title).

    conv: the kernels (summed over the input maps), with each map's mean V_th; dense on N-MNIST
    (2312 inputs): each neuron's weights as [OFF | ON] 34 x 34 images side by side; dense on 784
    inputs: 28 x 28 images, un-permuted with ``permutation`` (PI-MNIST); any other dense layer: one
    row per neuron.
    """
    if layer.kind == "conv":
        k = layer.weights
        C_out = k.shape[0]
        th = layer.threshold.reshape(C_out, -1).mean(axis=1)
        return k.sum(axis=1)[:n], th[:n], f"conv1 kernels ({k.shape[2]}×{k.shape[3]}), red bar = mean V_th of the map"
    w = layer.weights[:n]
    if layer.n_in == 2 * SENSOR * SENSOR:
        off, on = w[:, :SENSOR * SENSOR], w[:, SENSOR * SENSOR:]
        sep = np.full((len(w), SENSOR, 1), np.nan)
        tiles = np.concatenate([off.reshape(-1, SENSOR, SENSOR), sep, on.reshape(-1, SENSOR, SENSOR)], axis=2)
        return tiles, layer.threshold[:n], "hidden weights: OFF | ON (34×34 each), red bar = V_th"
    if layer.n_in == TILE * TILE:
        imgs = unpermute(w, permutation) if permutation is not None else w
        what = "28×28, un-permuted" if permutation is not None else "28×28"
        return imgs.reshape(-1, TILE, TILE), layer.threshold[:n], f"first hidden layer: weights ({what}), red bar = V_th"
    side = int(round(math.sqrt(layer.n_in)))
    if side * side == layer.n_in:
        return w.reshape(-1, side, side), layer.threshold[:n], "first hidden layer: weights, red bar = V_th"
    return w[:, None, :], layer.threshold[:n], "first hidden layer: weights (one row per neuron)"


# ============================================================================ dashboard
class _EMA:
    """Exponential moving average with bias correction (as Adam's moments)."""

    def __init__(self, beta):
        self.beta, self.m, self.t = beta, 0.0, 0

    def __call__(self, x):
        self.t += 1
        self.m = self.beta * self.m + (1 - self.beta) * x
        return self.m / (1 - self.beta ** self.t)


class TrainingDashboard:
    """Live plots of a training run; pass it in ``Trainer(..., callbacks=[dashboard])``.

    Args:
        every: redraw at most every ``every`` batches (and at the end of each epoch).
        n_tiles: how many first-layer neurons to show as tiles (25 or 100; fewer if the layer is
            smaller).
        smoothing: beta of the moving average of the per-batch curves (0 = none).
        figsize, dpi: of the one figure.
    """

    def __init__(self, every: int = 10, n_tiles: int = 25, smoothing: float = 0.9,
                 figsize=(11, 5.6), dpi: int = 72):
        if every < 1:
            raise ValueError(f"every must be >= 1 batch, got {every}")
        self.every, self.n_tiles, self.smoothing, self.dpi = int(every), int(n_tiles), smoothing, dpi
        self.fig = Figure(figsize=figsize, layout="constrained")
        self.out = W.Output()
        self.status = W.HTML()
        self.widget = W.VBox([self.status, self.out])
        self.artists: dict = {}
        self.png = b""
        self.text = ""
        self.n_draws = 0
        self._built_for = None
        self._reset_history()
        self._build_axes()

    # ------------------------------------------------------------------ data
    def _reset_history(self):
        self.h = {"samples": [], "loss": [], "loss_s": [], "acc": [], "acc_s": [],
                  "rate": [], "rate_s": [], "dead_samples": [], "dead": [], "silent_batch": [],
                  "epoch_samples": [], "test_acc": [], "epoch_dead": [], "epoch_rate": []}
        self._ema = None
        self._prev_spikes = None
        self.samples_seen = 0

    def _build_axes(self):
        gs = self.fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.25])
        ax = self.axes = {
            "loss": self.fig.add_subplot(gs[0, 0]), "acc": self.fig.add_subplot(gs[0, 1]),
            "rate": self.fig.add_subplot(gs[1, 0]), "dead": self.fig.add_subplot(gs[1, 1]),
            "tiles": self.fig.add_subplot(gs[:, 2]),
        }
        a = self.artists
        (a["loss_raw"],) = ax["loss"].plot([], [], color="C0", alpha=0.25, lw=0.8)
        (a["loss"],) = ax["loss"].plot([], [], color="C0", lw=1.6, label="smoothed")
        ax["loss"].set_title("loss ½‖o − y‖² per sample (Eq. 16)", fontsize=9)
        (a["acc_raw"],) = ax["acc"].plot([], [], color="C1", alpha=0.25, lw=0.8)
        (a["acc"],) = ax["acc"].plot([], [], color="C1", lw=1.6, label="train (per batch, smoothed)")
        (a["test_acc"],) = ax["acc"].plot([], [], "s", color="C3", ms=6, label="test (after each epoch)")
        ax["acc"].set_ylim(0, 100)
        ax["acc"].set_title("accuracy (%)", fontsize=9)
        ax["acc"].legend(fontsize=7, loc="lower right")
        ax["rate"].set_title("firing rate: spikes per neuron per sample", fontsize=9)
        ax["dead"].set_title("dead neurons: never fired this epoch (solid),\n"
                            "silent on the whole batch (dotted), epoch end (squares)", fontsize=9)
        ax["dead"].set_ylim(-0.03, 1.03)
        for k in ("loss", "acc", "rate", "dead"):
            ax[k].set_xlabel("training samples seen", fontsize=8)
            ax[k].tick_params(labelsize=7)
        t = ax["tiles"]
        t.set_xticks([])
        t.set_yticks([])
        cmap = plots_cmap()
        a["tiles"] = t.imshow(np.full((TILE, TILE), np.nan), cmap=cmap, vmin=-1, vmax=1,
                              interpolation="nearest")
        a["bars"] = LineCollection([], colors="red", linewidths=2.5)
        t.add_collection(a["bars"])
        t.set_title("first hidden layer: weights (28×28, un-permuted)\nred bar = V_th "
                    "(half a tile = initial V_th)", fontsize=9)

    def _build_layers(self, trainer):
        """Per-layer lines, once the network is known."""
        n_layers = len(trainer.net.layers)
        if self._built_for == n_layers:
            return
        for key in ("rate", "dead"):
            for l in range(n_layers):
                name = "output" if l == n_layers - 1 else f"hidden {l + 1}"
                (self.artists[f"{key}_{l}"],) = self.axes[key].plot([], [], color=f"C{l}", lw=1.4,
                                                                    label=name)
                (self.artists[f"{key}_epoch_{l}"],) = self.axes[key].plot([], [], "s", color=f"C{l}", ms=6)
                if key == "dead":
                    (self.artists[f"silent_batch_{l}"],) = self.axes[key].plot(
                        [], [], ":", color=f"C{l}", lw=1.2, label=f"{name}: silent on the batch")
            self.axes[key].legend(fontsize=7, loc="upper right")
        self.axes["rate"].set_yscale("log")
        self._built_for = n_layers
        self._th0 = float(trainer.floors[0].mean() / trainer.cfg.floor_fraction) \
            if getattr(trainer, "floors", None) and trainer.cfg.floor_fraction > 0 \
            else float(trainer.net.layers[0].threshold.mean())

    # ------------------------------------------------------------------ callbacks
    def on_batch_end(self, trainer, info):
        self._build_layers(trainer)
        n_layers = len(trainer.net.layers)
        if self._ema is None:
            beta = self.smoothing
            self._ema = {"loss": _EMA(beta), "acc": _EMA(beta), "rate": [_EMA(beta) for _ in range(n_layers)]}
        bs, n_train = trainer.cfg.batch_size, len(trainer.train_labels)
        self.samples_seen += min(bs, n_train - (info["batch"] - 1) * bs)
        h = self.h
        h["samples"].append(self.samples_seen)
        h["loss"].append(info["loss"])
        h["loss_s"].append(self._ema["loss"](info["loss"]))
        h["acc"].append(100 * info["accuracy"])
        h["acc_s"].append(self._ema["acc"](100 * info["accuracy"]))
        rate = [s / layer.n_out for s, layer in zip(info["spikes_per_sample"], trainer.net.layers)]
        h["rate"].append(rate)
        h["rate_s"].append([e(r) for e, r in zip(self._ema["rate"], rate)])
        stats = getattr(trainer, "_epoch_stats", None)      # running per-neuron spike counts
        if stats and "spikes" in stats:
            now = [x.copy() for x in stats["spikes"]]
            prev = self._prev_spikes if (self._prev_spikes is not None and info["batch"] > 1) \
                else [np.zeros_like(x) for x in now]
            h["dead_samples"].append(self.samples_seen)
            h["dead"].append([float((x == 0).mean()) for x in now])
            h["silent_batch"].append([float((x - p == 0).mean()) for x, p in zip(now, prev)])
            self._prev_spikes = now
        self.text = (f"epoch {info['epoch']}, batch {info['batch']}/{info['n_batches']}: "
                     f"{self.samples_seen} samples seen, train accuracy (smoothed) {h['acc_s'][-1]:.1f}%, "
                     f"loss {h['loss_s'][-1]:.3f}")
        if info["batch"] % self.every == 0:
            self.redraw(trainer)

    def on_epoch_end(self, trainer, metrics):
        self._build_layers(trainer)
        h = self.h
        h["epoch_samples"].append(self.samples_seen)
        tested = metrics["test_accuracy"] is not None       # cfg.eval_every > 1 skips epochs
        h["test_acc"].append(100 * metrics["test_accuracy"] if tested else np.nan)
        h["epoch_dead"].append(list(metrics["dead_fraction"]))
        h["epoch_rate"].append(list(metrics["spikes_per_neuron_per_sample"]))
        test = (f"test {100 * metrics['test_accuracy']:.1f}% ({metrics['test_duration_s'] * 1e3:.0f} ms per digit)"
                if tested else "not tested this epoch")
        self.text = (f"epoch {metrics['epoch']} done: train {100 * metrics['train_accuracy']:.1f}%, "
                     f"{test}, {metrics['samples_per_s']:.0f} samples/s")
        self.redraw(trainer)

    def update(self, trainer):
        """Redraw now (e.g. after training, or to show the tiles of an untrained network)."""
        self._build_layers(trainer)
        self.redraw(trainer)
        return self

    # ------------------------------------------------------------------ drawing
    def redraw(self, trainer):
        h, a, ax = self.h, self.artists, self.axes
        x = np.asarray(h["samples"], float)
        if x.size:
            a["loss_raw"].set_data(x, h["loss"])
            a["loss"].set_data(x, h["loss_s"])
            a["acc_raw"].set_data(x, h["acc"])
            a["acc"].set_data(x, h["acc_s"])
            rates = np.asarray(h["rate_s"])
            for l in range(rates.shape[1]):
                a[f"rate_{l}"].set_data(x, np.maximum(rates[:, l], 1e-4))
        a["test_acc"].set_data(h["epoch_samples"], h["test_acc"])
        if h["dead"]:
            dead = np.asarray(h["dead"])
            silent = np.asarray(h["silent_batch"])
            for l in range(dead.shape[1]):
                a[f"dead_{l}"].set_data(h["dead_samples"], dead[:, l])
                a[f"silent_batch_{l}"].set_data(h["dead_samples"], silent[:, l])
        for l in range(self._built_for or 0):
            a[f"dead_epoch_{l}"].set_data(h["epoch_samples"], [d[l] for d in h["epoch_dead"]])
            a[f"rate_epoch_{l}"].set_data(h["epoch_samples"],
                                          [max(r[l], 1e-4) for r in h["epoch_rate"]])
        for k in ("loss", "acc", "rate", "dead"):
            ax[k].relim()
            ax[k].autoscale_view()
        if x.size:
            for k in ("loss", "acc", "rate", "dead"):
                ax[k].set_xlim(0, max(x[-1], 1) * 1.02)
        ax["acc"].set_ylim(0, 100)
        ax["dead"].set_ylim(-0.03, 1.03)
        self._draw_tiles(trainer)
        self.png = plots.fig_to_png(self.fig, dpi=self.dpi)
        self.n_draws += 1
        self.status.value = f"<tt>{self.text}</tt>"
        if _in_ipython():
            from IPython.display import Image, clear_output, display
            with self.out:
                clear_output(wait=True)
                display(Image(data=self.png))

    def _draw_tiles(self, trainer):
        """The first layer as it is (:func:`first_layer_tiles`): PI-MNIST weights as un-permuted
        28x28 tiles, conv kernels, N-MNIST OFF | ON images; red bars = V_th."""
        layer = trainer.net.layers[0]
        pi = trainer.cfg.task == "pi-mnist"
        tiles, th, title = first_layer_tiles(layer, min(self.n_tiles, layer.n_out),
                                             trainer.permutation if pi else None)
        h, w = tiles.shape[1:]
        space = _BAR_SPACE if (h, w) == (TILE, TILE) else max(2, h // 6)
        img, origins = mosaic(tiles, gap=_GAP if (h, w) == (TILE, TILE) else max(1, h // 12), bar_space=space)
        art = self.artists["tiles"]
        art.set_data(img)
        art.set_extent((-0.5, img.shape[1] - 0.5, img.shape[0] - 0.5, -0.5))
        lim = float(np.nanmax(np.abs(tiles))) or 1.0
        art.set_clim(-lim, lim)
        if layer.kind == "dense" and layer.n_in == TILE * TILE:
            reference = self._th0                     # half a tile = the initial V_th
        else:
            if not hasattr(self, "_th_ref"):
                self._th_ref = float(np.mean(th)) or 1.0   # half a tile = the V_th first drawn
            reference = self._th_ref
            self.axes["tiles"].set_title(title + "\n(half a tile = V_th when first drawn)", fontsize=9)
        self.artists["bars"].set_segments(bars(origins, np.asarray(th) / reference, w, h, space))
        self.axes["tiles"].set_xlim(-0.5, img.shape[1] - 0.5)
        self.axes["tiles"].set_ylim(img.shape[0] - 0.5, -0.5)
        self.tiles_shown = (img, origins)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def plots_cmap():
    """Grey scale as in Fig. 2B (dark = negative, light = positive); white between tiles."""
    from matplotlib import colormaps
    return colormaps["gray"].with_extremes(bad="white")


# ============================================================================ controls
#: name -> (label with units, default, kind, min, max, step); defaults = paper (Table 1 / Fig. 3)
CONTROLS = {
    "kappa": ("κ, WTA strength of the hidden layer", -0.4, "float", -1.0, 0.0, 0.05),
    "tau_mp_ms": ("τ_mp, membrane time constant (ms)", _P["tau_mp"] * 1e3, "float", 2.0, 100.0, 1.0),
    "T_ref_ms": ("T_ref, max. refractory period (ms)", _P["T_ref"] * 1e3, "float", 0.0, 5.0, 0.25),
    "alpha": ("α, threshold scale of the hidden layer (Eq. 10; paper 3..10)", 3.0, "float", 1.0, 10.0, 0.5),
    "eta_w": ("η_w, weight learning rate per sample (Eq. 13; paper 0.002..0.004)", 0.004, "log", -4, -1, 0.1),
    "hidden": ("N, hidden neurons (Fig. 2B/3: 100; Table 2: 800)", 100, "int", 10, 800, 10),
    "train_samples": ("training samples (of 60,000)", 2000, "box", 64, 60000, 1),
}


def config_from_controls(values: dict, base=None):
    """A TrainConfig from control values (units as in the labels: ms for times).

    Args:
        values: any of ``kappa``, ``tau_mp_ms``, ``T_ref_ms``, ``alpha``, ``eta_w``, ``hidden``,
            ``train_samples`` (missing ones keep ``base``'s value).
        base: the TrainConfig to start from; default: the "quick" preset with one epoch,
            500 test digits presented for 100 ms.
    Returns:
        TrainConfig for a 784-N-10 network (the output layer keeps base's alpha and kappa).
    """
    from .train import PRESETS, TrainConfig
    base = base or PRESETS["quick"].replace(epochs=1, test_samples=500, eval_duration=0.1,
                                            final_eval_duration=0.1)
    if not isinstance(base, TrainConfig):
        raise TypeError(f"base must be a TrainConfig, got {type(base).__name__}")
    unknown = set(values) - set(CONTROLS)
    if unknown:
        raise ValueError(f"unknown control(s) {sorted(unknown)}; known: {sorted(CONTROLS)}")
    v = values
    ch = {}
    if "hidden" in v:
        n = int(v["hidden"])
        if n < 1:
            raise ValueError(f"hidden must be >= 1 neuron, got {v['hidden']}")
        ch["hidden"] = (n,)
    if "kappa" in v:
        if not -1.0 <= float(v["kappa"]) <= 0.0:
            raise ValueError(f"kappa must be in [-1, 0], got {v['kappa']}")
        ch["kappa_hidden"] = (float(v["kappa"]),)
    if "alpha" in v:
        ch["alpha"] = (float(v["alpha"]), base.alpha[-1])
    if "tau_mp_ms" in v:
        ch["tau_mp"] = float(v["tau_mp_ms"]) * 1e-3
    if "T_ref_ms" in v:
        ch["T_ref"] = float(v["T_ref_ms"]) * 1e-3
    if "eta_w" in v:
        ch["eta_w"] = float(v["eta_w"])
    if "train_samples" in v:
        n = int(v["train_samples"])
        if n < 1:
            raise ValueError(f"train_samples must be >= 1, got {v['train_samples']}")
        ch["train_samples"] = n
    if len(base.hidden) != 1 and not {"hidden", "kappa_hidden", "alpha"} <= set(ch):
        raise ValueError("config_from_controls builds a 784-N-10 network; give a one-hidden-layer base")
    return base.replace(**ch)


def _control(kind, label, value, lo, hi, step):
    kw = dict(description=label, continuous_update=False, style=_STYLE, layout=W.Layout(width="560px"))
    if kind == "float":
        return W.FloatSlider(value=value, min=lo, max=hi, step=step, **kw)
    if kind == "int":
        return W.IntSlider(value=value, min=lo, max=hi, step=step, **kw)
    if kind == "log":
        return W.FloatLogSlider(value=value, base=10, min=lo, max=hi, step=step, readout_format=".4f", **kw)
    kw.pop("continuous_update")
    return W.BoundedIntText(value=value, min=lo, max=hi, step=step, continuous_update=False, **kw)


class TrainControls(ControlPanel):
    """Controls + Train button + a :class:`TrainingDashboard`; ``.widget`` to display.

    ``.update(**values)`` sets controls; ``.config()`` is the TrainConfig they describe;
    ``.run()`` (= clicking Train) trains one epoch with the dashboard and returns the metrics.
    """

    def __init__(self, base=None, every=5, n_tiles=25, **values):
        self.base = base
        self.controls = {k: _control(kind, label, default, lo, hi, step)
                         for k, (label, default, kind, lo, hi, step) in CONTROLS.items()}
        self.update(**values)
        self.button = W.Button(description="Train", button_style="primary", icon="play")
        self.button.on_click(lambda _b: self.run())
        self.result = W.HTML()
        self.dashboard = TrainingDashboard(every=every, n_tiles=n_tiles)
        self.trainer = None
        self.metrics = None
        self.widget = W.VBox([W.VBox(list(self.controls.values())), W.HBox([self.button, self.result]),
                              self.dashboard.widget])

    def update(self, **values):
        self.set_values(**values)
        return self

    def config(self):
        return config_from_controls(self.values, self.base)

    def run(self):
        """Train one epoch with the current values; the dashboard updates live."""
        from .train import Trainer, TrainingDiverged
        cfg = self.config()
        self.button.disabled = True
        self.result.value = "training ..."
        dash = self.dashboard
        dash._reset_history()
        try:
            self.trainer = Trainer(cfg, callbacks=[dash], progress=False)
            self.metrics = self.trainer.train_epoch()
            m = self.metrics
            self.result.value = (f"test accuracy <b>{100 * m['test_accuracy']:.1f}%</b> on "
                                 f"{len(self.trainer.test_labels)} digits ({m['test_duration_s'] * 1e3:.0f} ms); "
                                 f"dead hidden neurons {100 * m['dead_fraction'][0]:.0f}%; "
                                 f"{m['samples_per_s']:.0f} samples/s")
        except TrainingDiverged as exc:
            self.metrics = None
            self.result.value = f"<span style='color:red'>training diverged: {exc}</span>"
        finally:
            self.button.disabled = False
        return self.metrics

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def train_controls(base=None, every=5, n_tiles=25, **values) -> TrainControls:
    """Sliders for kappa, tau_mp (ms), T_ref (ms), alpha, eta_w, hidden size, training samples
    (defaults = paper values) and a Train button that trains one epoch with a live dashboard."""
    return TrainControls(base=base, every=every, n_tiles=n_tiles, **values)


# ============================================================================ results on disk
# Where the runs live inside results/ (results/README.md explains the layout, results/INDEX.md lists
# every reported number with its folder): one folder per preset run and benchmark in canonical/, the
# comparisons in ablations/<question>/<variant>/, superseded runs in archive/.
CANONICAL = "canonical"
ABLATIONS = "ablations"
ARCHIVE = "archive"
KAPPA_SWEEP = f"{CANONICAL}/kappa_sweep"                         # python -m snnlab.sweep
CHOICES = f"{ABLATIONS}/learning-choices/choices.jsonl"          # benchmarks/learning_choices.py
# pi-mnist-800, same seed, only the trace readout changed (notebook 07 compares them)
READOUT_RUNS = {"end": f"{ABLATIONS}/trace-readout/end",
                "integral": f"{ABLATIONS}/trace-readout/integral",
                "count": f"{CANONICAL}/pi-mnist-800"}
# pi-mnist-800, both fixes, threshold floor "scale" vs "add" (the default; notebook 06)
FLOOR_RUNS = {"scale": f"{ABLATIONS}/threshold-floor/scale", "add": f"{ABLATIONS}/trace-readout/end"}
# 784-500-500-10 with SGD continued from one checkpoint in four ways (notebook 06)
WHATIF_500_500 = f"{ABLATIONS}/500-500-sgd/whatif"


def results_dir() -> Path:
    """``$SNNLAB_RESULTS``, else ``results/`` of the repository (next to the snnlab package),
    else ``./results``."""
    if os.environ.get("SNNLAB_RESULTS"):
        return Path(os.environ["SNNLAB_RESULTS"])
    repo = Path(__file__).resolve().parents[1] / "results"
    return repo if repo.is_dir() else Path("results").resolve()


def canonical_dir(root=None) -> Path:
    """``results/canonical/``: one folder per preset run (named as the preset) and benchmark."""
    return (Path(root) if root else results_dir()) / CANONICAL


def load_runs(root=None) -> dict:
    """Every ``root/*/`` with a ``metrics.jsonl`` or ``summary.json`` (written by ``snnlab train``).

    Returns:
        name -> {"path", "metrics": [one dict per epoch], "summary": dict or None}.
    """
    from .train import read_metrics
    root = Path(root) if root else results_dir()
    runs = {}
    if not root.is_dir():
        return runs
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        mfile, sfile = d / "metrics.jsonl", d / "summary.json"
        if not (mfile.exists() or sfile.exists()):
            continue
        metrics = read_metrics(d)
        summary = json.loads(sfile.read_text()) if sfile.exists() else None
        runs[d.name] = {"path": d, "metrics": metrics, "summary": summary}
    return runs


_EVALUATION_FILE = re.compile(r"evaluate-.*epoch(?P<epoch>\d+)(?:-seed(?P<seed>\d+))?\.json")


def load_evaluations(run_dir) -> list[dict]:
    """The checkpoint tests stored in a run folder as ``evaluate-1s-epochN.json`` (or
    ``evaluate-1s-epochN-seedS.json``), each the output of ``snnlab evaluate CKPT [--seed S]``.

    Training-set evaluations (``"split": "train"``) are left out. Files from before ``--seed`` existed
    have no ``seed`` or ``epoch`` fields: they used the default seed ``train.EVAL_SEED``, and the epoch is in the name.

    Returns:
        Dicts with epoch, seed, accuracy, duration_s, n and file, sorted by epoch and seed.
    """
    from .train import EVAL_SEED
    rows = []
    for path in sorted(Path(run_dir).glob("evaluate-*.json")):
        name = _EVALUATION_FILE.fullmatch(path.name)
        if not name:
            continue
        try:
            res = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not the JSON line that `snnlab evaluate` prints ({err}); if the "
                             "evaluation was interrupted or is still running, rerun it or delete the file") from None
        if res.get("split", "test") != "test":
            continue
        rows.append({"epoch": int(res.get("epoch", name["epoch"])),
                     "seed": int(res.get("seed", name["seed"] or EVAL_SEED)),
                     "accuracy": res["accuracy"], "duration_s": res["duration_s"], "n": res["n"],
                     "file": path.name})
    return sorted(rows, key=lambda r: (r["epoch"], r["seed"]))


def window_statistic(run_dir, first, last, duration_s=1.0) -> dict:
    """The paper's Table 2 statistic: [min, mean, max] of the test accuracy over epochs
    ``first``..``last``, from a run's checkpoint tests (``load_evaluations``, default seed only, so
    that the spread shows the change of the weights and not the input noise) and from the train
    command's own final test in ``summary.json`` if that epoch was not tested apart.

    Args:
        run_dir: a run folder (``snnlab train --out``).
        first, last: the epochs of the window, both included (the paper: 181, 200).
        duration_s: presentation time of the tests to use (s).

    Returns:
        Dict with window, epochs, accuracy_percent (epoch -> %), min, mean, max (%, 2 decimals),
        test_digits (the test set sizes used: [10000] for the whole test set), other_seeds (epoch -> {seed: %}, where an epoch was also tested with other input) and
        files (what each number was read from).
    """
    from .train import EVAL_SEED
    run_dir = Path(run_dir)
    if not first <= last:
        raise ValueError(f"the window {first}-{last} is empty: give the first epoch, then the last")
    rows = [r for r in load_evaluations(run_dir)
            if r["duration_s"] == duration_s and first <= r["epoch"] <= last]
    acc = {r["epoch"]: 100 * r["accuracy"] for r in rows if r["seed"] == EVAL_SEED}
    files = {r["epoch"]: r["file"] for r in rows if r["seed"] == EVAL_SEED}
    digits = {r["epoch"]: r["n"] for r in rows if r["seed"] == EVAL_SEED}
    summary = run_dir / "summary.json"
    if summary.exists():
        s = json.loads(summary.read_text())
        if (s["test_presentation_s"] == duration_s and s.get("test_seed", EVAL_SEED) == EVAL_SEED
                and first <= s["epochs"] <= last and s["epochs"] not in acc):
            acc[s["epochs"]] = 100 * s["test_accuracy"]
            files[s["epochs"]] = summary.name
            digits[s["epochs"]] = s["test_samples"]
    if not acc:
        raise ValueError(f"no {duration_s:g} s test of epochs {first}-{last} in {run_dir}: test the epoch-end "
                         "checkpoints with `snnlab evaluate CKPT --duration 1.0 > evaluate-1s-epochN.json` first")
    epochs = sorted(acc)
    values = [acc[e] for e in epochs]
    other = {}
    for r in rows:
        if r["seed"] != EVAL_SEED:
            other.setdefault(r["epoch"], {})[r["seed"]] = round(100 * r["accuracy"], 2)
    return {"window": [first, last], "epochs": epochs,
            "accuracy_percent": {e: round(acc[e], 2) for e in epochs},
            "min": round(min(values), 2), "mean": round(sum(values) / len(values), 2),
            "max": round(max(values), 2), "test_digits": sorted(set(digits[e] for e in epochs)),
            "other_seeds": other,
            "files": {e: files[e] for e in epochs}}


def load_kappa_sweep(root=None) -> list[dict]:
    """The points of ``root/canonical/kappa_sweep/*.json`` (written by ``python -m snnlab.sweep``;
    root: the results folder, default :func:`results_dir`)."""
    root = Path(root) if root else results_dir()
    return [json.loads(p.read_text()) for p in sorted((root / KAPPA_SWEEP).glob("*.json"))]


def plot_kappa_sweep(ax, points, label_fmt="N = {hidden}", marker="o-"):
    """Fig. 3: test accuracy (%) vs kappa, one line per hidden size."""
    by_n: dict = {}
    for p in points:
        by_n.setdefault(p["hidden"], []).append((p["kappa"], 100 * p["test_accuracy"]))
    for n, pts in sorted(by_n.items()):
        pts.sort()
        ax.plot([k for k, _ in pts], [a for _, a in pts], marker, label=label_fmt.format(hidden=n))
    ax.set_xlabel("κ of the hidden layer")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    return ax


def load_choices(root=None) -> list[dict]:
    """The rows of ``root/ablations/learning-choices/choices.jsonl`` (written by
    ``benchmarks/learning_choices.py``; root: the results folder, default :func:`results_dir`)."""
    path = (Path(root) if root else results_dir()) / CHOICES
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def choices_table(rows) -> str:
    """One line per measured variant, grouped by the setting that was varied (text table).

    Args:
        rows: dicts from :func:`load_choices`.
    Returns:
        A plain-text table: setting, value, training digits, test accuracy (%) on N test digits.
    """
    lines = [f"{'setting':<22}{'value':>10}{'train digits':>14}{'test acc. (%)':>15}  test digits x ms"]
    for r in sorted(rows, key=lambda r: (r["vary"], r["train_digits"])):
        acc = "diverged" if r.get("test_accuracy") is None else f"{100 * r['test_accuracy']:.2f}"
        lines.append(f"{r['vary']:<22}{str(r['value']):>10}{r['train_digits']:>14}{acc:>15}"
                     f"  {r['test_digits']} x {1e3 * r['test_duration_s']:.0f}")
    return "\n".join(lines)
