"""Explorers for the learning notebooks 04-06 (same machinery as :mod:`snnlab.widgets`).

Each factory returns a :class:`snnlab.widgets.LiveFigure` (``.widget``, ``.update(**values)``,
``.fig``, ``.artists``, ``.png``, ``.text``): sliders with units, defaults = paper values,
``continuous_update=False``, one figure redrawn in place.

* :func:`transfer_explorer` (04): Eq. 6 vs the measured output rate of a simulated neuron;
* :func:`alpha_explorer` (05): what the threshold scale alpha of Eq. 10 does to firing on MNIST;
* :func:`error_flow_explorer` (05): E[sum delta^2] per layer with and without Eq. 12;
* :func:`regularizer_explorer` (06): weight-norm trajectories, L2 vs max-norm vs Eqs. 14-15.

The simulations behind them are plain functions (:func:`trace_curve`, :func:`transfer_sweep`,
:func:`error_flow`, :func:`regularizer_trajectories`) so that notebooks and checks reuse them.
"""
from __future__ import annotations

import numpy as np
import ipywidgets as W

from . import plots
from .events import EventBatch, poisson_encode
from .layers import DenseLayer
from .learning import backprop_error, normalized_delta
from .network import init_dense
from .params import default_params
from .regularizers import exponential_gradient, l2_gradient, max_norm
from .widgets import _STYLE, LiveFigure, _slider

_P = default_params()


# ============================================================================ helpers
def trace_curve(t_grid, spike_times, tau_mp):
    """Eq. 4 on a time grid: sum over spikes t_p <= t of exp((t_p - t) / tau_mp)."""
    t = np.asarray(t_grid, float)[:, None]
    tp = np.asarray(spike_times, float)[None, :]
    return np.where(tp <= t, np.exp(-np.clip(t - tp, 0, None) / tau_mp), 0.0).sum(axis=1)


def transfer_sweep(rates, weight, v_th=1.0, tau_mp=_P["tau_mp"], T_ref=0.0, duration=0.5, seed=0):
    """Output rate (spikes/s) of one neuron with one Poisson input of each rate (one batch).

    Returns (measured output rates, the batch's LayerOutput)."""
    evs = [poisson_encode(np.ones(1), total_rate=float(r), duration=duration, rng=seed + i)
           for i, r in enumerate(rates)]
    layer = DenseLayer([[weight]], [v_th], tau_mp=tau_mp, T_ref=T_ref)
    out = layer.forward(EventBatch.from_list(evs, duration=duration))
    return out.counts[:, 0] / duration, out


def error_flow(sizes=(784, 500, 400, 300, 200, 10), alpha=_P["alpha"], active_fraction=0.3,
               batch=200, seed=0):
    """E[sum_i delta_i^2] per layer for a random-init net and random active sets.

    The output layer's delta has sum delta^2 = 1 per sample; it is sent down three ways:
    "chain" (linearized chain rule: delta_l = g * mask * W^T delta), "plain" (mask * W^T delta)
    and "eq12" (:func:`snnlab.learning.backprop_error` + :func:`~snnlab.learning.normalized_delta`).

    Returns:
        dict name -> array (one value per layer, input side first; last = output layer).
    """
    rng = np.random.default_rng(seed)
    layers = [init_dense(m, n, alpha=alpha, rng=np.random.default_rng(seed + 1 + i))
              for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]))]
    top = rng.normal(size=(batch, sizes[-1]))
    top /= np.linalg.norm(top, axis=1, keepdims=True)
    actives = [rng.random((batch, n)) < active_fraction for n in sizes[1:-1]]
    res = {}
    for name in ("chain", "plain", "eq12"):
        delta = top
        energy = [1.0]
        for l in range(len(layers) - 2, -1, -1):
            upper, layer, active = layers[l + 1], layers[l], actives[l]
            if name == "eq12":
                delta = normalized_delta(backprop_error(delta, upper.weights, active), active,
                                         layer.threshold, 0.0)
            else:
                delta = np.where(active, delta @ upper.weights, 0.0)
                if name == "chain":
                    delta = delta / layer.threshold
            energy.append(float((delta ** 2).sum(axis=1).mean()))
        res[name] = np.array(energy[::-1])
    return res


REGULARIZERS = ("none", "l2", "max-norm", "exponential")


# lambda of the regularizer pictures: 0.01, inside Table 1's 0.002-0.04, shows the effect within a few
# thousand steps (the trainer's default is 0.002)
DEMO_LAM = 0.01


def regularizer_trajectories(lam=DEMO_LAM, beta=_P["beta"], drive=2.0, steps=6000, eta=0.003,
                             fade=1000.0, rows=10, M=100, noise=1.0, seed=0):
    """sum_j w_ij^2 (mean over rows) under a fading learning drive plus each regularizer.

    Rows start from Eq. 10 (sum w^2 ~ 1).  Each step: w <- w - eta (g_learn + g_reg) with
    g_learn = -c(t) (d_i + noise xi) (a fixed direction d_i per row, unit norm, and fresh
    Gaussian noise; c(t) = drive exp(-t / fade) -- the error signal fades as the net learns).
    L2 uses lambda_L2 = beta lambda, the exponential regularizer's decay rate at sum w^2 = 1.
    Max-norm rescales rows with sum w^2 > 1 after each step.

    Returns:
        dict name -> (steps,) array, for the names in :data:`REGULARIZERS`.
    """
    rng = np.random.default_rng(seed)
    a = np.sqrt(3.0 / M)
    W0 = rng.uniform(-a, a, (rows, M))
    d = rng.normal(size=(rows, M))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    noise_rng = np.random.default_rng(seed + 1)
    xi = noise_rng.normal(size=(steps, rows, M)) * (noise / np.sqrt(M))
    c = drive * np.exp(-np.arange(steps) / fade)
    out = {}
    for kind in REGULARIZERS:
        Wt = W0.copy()
        traj = np.empty(steps)
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(steps):
                g = -c[t] * (d + xi[t])
                if kind == "l2":
                    g = g + l2_gradient(Wt, beta * lam)
                elif kind == "exponential":
                    g = g + exponential_gradient(Wt, lam, beta)
                Wt = Wt - eta * g
                if kind == "max-norm":
                    Wt = max_norm(Wt)
                traj[t] = (Wt ** 2).sum(axis=1).mean()
        out[kind] = traj
    return out


# ============================================================================ notebook 04
class TransferExplorer(LiveFigure):
    """Eq. 6 (a = s / V_th) vs a simulated neuron: output rate vs input rate, and the traces."""

    figsize = (9, 3.8)
    duration = 0.5
    n_rates = 12
    v_th = 1.0

    def build(self):
        ax1, ax2 = self.axes = self.fig.subplots(1, 2)
        a = self.artists
        (a["eq6"],) = ax1.plot([], [], "k--", lw=1.2, label="Eq. 6: r_out = w r_in / V_th")
        (a["measured"],) = ax1.plot([], [], "o", color=plots.COLORS["event"], ms=5,
                                    label="simulated DenseLayer")
        (a["current"],) = ax1.plot([], [], "o", color="C3", ms=9, mfc="none", mew=2, label="slider rate")
        ax1.set_xlabel("input rate r_in (events/s)")
        ax1.set_ylabel("output rate r_out (spikes/s)")
        ax1.legend(fontsize=7, loc="upper left")
        (a["a_trace"],) = ax2.plot([], [], color=plots.COLORS["event"], lw=1.2, label="a(t), output trace (Eq. 4)")
        (a["s_trace"],) = ax2.plot([], [], "--", color="k", lw=1.0, label="s(t) / V_th = w x(t) / V_th")
        ax2.set_xlabel("time (ms)")
        ax2.set_ylabel("trace")
        ax2.legend(fontsize=7, loc="upper left")
        ax2.set_xlim(0, self.duration * 1e3)

    def draw(self, rate, weight, T_ref_ms):
        T = T_ref_ms * 1e-3
        rates = np.r_[np.linspace(100, 5000, self.n_rates), rate]
        r_out, out = transfer_sweep(rates, weight, self.v_th, _P["tau_mp"], T, self.duration)
        a = self.artists
        grid = np.linspace(0, 5000, 50)
        a["eq6"].set_data(grid, weight * grid / self.v_th)
        a["measured"].set_data(rates[:-1], r_out[:-1])
        a["current"].set_data([rate], [r_out[-1]])
        self.axes[0].set_xlim(0, 5200)
        self.axes[0].set_ylim(0, max(weight * 5000 / self.v_th, r_out.max()) * 1.08 + 1)
        b = rates.size - 1
        t_in = out.inputs.t[b, :out.inputs.n[b]]
        t_out = out.inputs.t[b, out.spike_k[out.spike_b == b]]
        tg = np.linspace(0, self.duration, 1500)
        tau = _P["tau_mp"]
        a_tr = trace_curve(tg, t_out, tau)
        s_tr = weight * trace_curve(tg, t_in, tau) / self.v_th
        a["a_trace"].set_data(tg * 1e3, a_tr)
        a["s_trace"].set_data(tg * 1e3, s_tr)
        self.axes[1].set_ylim(-0.2, max(1.0, s_tr.max(), a_tr.max()) * 1.1)
        pred = weight * rate / self.v_th
        self.axes[0].set_title(f"w = {weight:g}, V_th = 1, T_ref = {T_ref_ms:g} ms", fontsize=9)
        self.axes[1].set_title(f"r_in = {rate:.0f} eps: measured {r_out[-1]:.0f} spikes/s, "
                               f"Eq. 6 {pred:.0f}", fontsize=9)
        self.rates, self.measured, self.predicted = rates, r_out, weight * rates / self.v_th


def transfer_explorer(rate=1000.0, weight=0.3, T_ref_ms=0.0) -> TransferExplorer:
    """Sliders: input rate (events/s), weight, T_ref (ms)."""
    return TransferExplorer({
        "rate": _slider("float", "input rate r_in (events/s)", rate, 100, 5000, 100, ".0f"),
        "weight": _slider("float", "w, synaptic weight", weight, 0.05, 1.0, 0.05),
        "T_ref_ms": _slider("float", "T_ref, max. refractory period (ms)", T_ref_ms, 0.0, 5.0, 0.25),
    })


# ============================================================================ notebook 05
class AlphaExplorer(LiveFigure):
    """A 784-N hidden layer on real MNIST digits: spikes per sample and silent neurons vs alpha."""

    figsize = (9, 3.8)
    alphas = np.array([1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 14.0])

    def __init__(self, controls, images, n_hidden=200, duration=0.05, seed=0):
        images = np.asarray(images, float).reshape(len(images), -1)
        self.n_hidden, self.duration = n_hidden, duration
        rng = np.random.default_rng(seed)
        self.batch = EventBatch.from_list([poisson_encode(im, _P["rate"], duration, rng) for im in images],
                                          duration=duration)
        self.seed = seed
        self._sweep_key, self._sweep = None, None
        super().__init__(controls)

    def layer(self, alpha, kappa, note):
        return init_dense(784, self.n_hidden, alpha=alpha, rng=self.seed, kappa=kappa,
                          variant="note" if note else "paper")

    def measure(self, alpha, kappa, note):
        """(mean hidden spikes per sample, fraction of silent neurons, counts per neuron per sample)."""
        c = self.layer(alpha, kappa, note).forward(self.batch).counts
        per_neuron = c.mean(axis=0)
        return float(c.sum(axis=1).mean()), float((c.sum(axis=0) == 0).mean()), per_neuron

    def build(self):
        ax1, ax2 = self.axes = self.fig.subplots(1, 2)
        a = self.artists
        (a["sorted"],) = ax1.plot([], [], color="C0", lw=1.5, drawstyle="steps-mid")
        ax1.set_xlabel("hidden neuron (sorted by activity)")
        ax1.set_ylabel("spikes per sample")
        ax1.set_yscale("symlog", linthresh=0.1)
        (a["spikes"],) = ax2.plot([], [], "o-", color="C0", ms=4, label="spikes per sample (left axis)")
        (a["current"],) = ax2.plot([], [], "o", color="C3", ms=9, mfc="none", mew=2, label="slider α")
        ax2.set_xlabel("α (threshold scale, Eq. 10)")
        ax2.set_ylabel("hidden spikes per sample")
        ax2.set_yscale("log")
        self.ax3 = ax2.twinx()
        (a["silent"],) = self.ax3.plot([], [], "s--", color="C2", ms=4, label="silent fraction (right axis)")
        self.ax3.set_ylim(-0.02, 1.02)
        self.ax3.set_ylabel("fraction of silent neurons", color="C2")
        ax2.legend(handles=[a["spikes"], a["silent"], a["current"]], fontsize=7, loc="upper center")

    def draw(self, alpha, kappa, note_init):
        key = (kappa, bool(note_init))
        if key != self._sweep_key:
            self._sweep = np.array([self.measure(al, kappa, note_init)[:2] for al in self.alphas])
            self._sweep_key = key
        spikes, silent, per_neuron = self.measure(alpha, kappa, note_init)
        a = self.artists
        a["sorted"].set_data(np.arange(per_neuron.size), np.sort(per_neuron)[::-1])
        self.axes[0].set_xlim(0, per_neuron.size)
        self.axes[0].set_ylim(0, max(1.0, per_neuron.max() * 1.2))
        a["spikes"].set_data(self.alphas, np.maximum(self._sweep[:, 0], 1e-2))
        a["silent"].set_data(self.alphas, self._sweep[:, 1])
        a["current"].set_data([alpha], [max(spikes, 1e-2)])
        self.axes[1].set_xlim(0, self.alphas.max() + 1)
        lo = max(1e-2, min(self._sweep[:, 0].min(), spikes) * 0.5)
        self.axes[1].set_ylim(lo, max(self._sweep[:, 0].max(), spikes) * 2 + 1)
        init = "note's init" if note_init else "paper's init (Eq. 10)"
        self.axes[0].set_title(f"α = {alpha:g}, κ = {kappa:g}, {init}: {spikes:.1f} spikes/sample, "
                               f"{silent:.0%} silent", fontsize=8.5)
        self.axes[1].set_title(f"{self.batch.batch_size} MNIST digits, 784-{self.n_hidden}, "
                               f"{self.duration * 1e3:.0f} ms at 5 keps", fontsize=8.5)
        self.stats = dict(spikes=spikes, silent=silent)


def alpha_explorer(images=None, alpha=_P["alpha"], kappa=_P["kappa"], note_init=False, n_digits=16,
                   n_hidden=200) -> AlphaExplorer:
    """Sliders: alpha, kappa; checkbox: the reading note's init.  ``images``: MNIST digits
    (default: the first ``n_digits`` test digits, loaded with :func:`snnlab.data.load_mnist`)."""
    if images is None:
        from .data import load_mnist
        images = load_mnist("test")[0][:n_digits]
    controls = {
        "alpha": _slider("float", "α, threshold scale (Eq. 10)", alpha, 0.5, 15.0, 0.5),
        "kappa": _slider("float", "κ, WTA strength of the hidden layer", kappa, -1.0, 0.0, 0.1),
        "note_init": W.Checkbox(value=note_init, description="reading note's init (V_th ~ U[α, 2α])",
                                style=_STYLE),
    }
    return AlphaExplorer(controls, images, n_hidden=n_hidden)


class ErrorFlowExplorer(LiveFigure):
    """E[sum delta^2] per layer of 784-500-400-300-200-10: chain rule, W^T delta, Eq. 12."""

    figsize = (7.5, 4)
    sizes = (784, 500, 400, 300, 200, 10)

    def build(self):
        ax = self.ax = self.fig.add_subplot(111)
        a = self.artists
        (a["chain"],) = ax.plot([], [], "o-", color="C3", label="chain rule: g ⊙ mask ⊙ Wᵀδ (no normalization)")
        (a["plain"],) = ax.plot([], [], "s-", color="C1", label="mask ⊙ Wᵀδ only")
        (a["eq12"],) = ax.plot([], [], "D-", color="C0", label="Eq. 12: backprop_error + normalized_delta")
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.set_yscale("log")
        ax.set_xticks(range(len(self.sizes) - 1),
                      [f"hidden {i + 1}\n({n})" for i, n in enumerate(self.sizes[1:-1])] + [f"output\n({self.sizes[-1]})"])
        ax.set_ylabel("E[Σ_i δ_i²] (log)")
        ax.legend(fontsize=7, loc="upper left")

    def draw(self, alpha, active_fraction):
        res = error_flow(self.sizes, alpha, active_fraction)
        x = np.arange(len(self.sizes) - 1)
        for k in ("chain", "plain", "eq12"):
            self.artists[k].set_data(x, res[k])
        vals = np.concatenate(list(res.values()))
        self.ax.set_ylim(min(vals.min(), 1.0) / 3, max(vals.max(), 1.0) * 3)
        self.ax.set_xlim(-0.3, x[-1] + 0.3)
        self.ax.set_title(f"α = {alpha:g}, active fraction {active_fraction:g}: input-side layer "
                          f"{res['chain'][0]:.3g} (chain) / {res['plain'][0]:.3g} (Wᵀδ) / {res['eq12'][0]:.3g} (Eq. 12)",
                          fontsize=8.5)
        self.result = res


def error_flow_explorer(alpha=_P["alpha"], active_fraction=0.3) -> ErrorFlowExplorer:
    """Sliders: alpha (Eq. 10), fraction of active neurons per hidden layer."""
    return ErrorFlowExplorer({
        "alpha": _slider("float", "α, threshold scale (Eq. 10)", alpha, 1.0, 15.0, 0.5),
        "active_fraction": _slider("float", "fraction of active hidden neurons", active_fraction, 0.05, 1.0, 0.05),
    })


# ============================================================================ notebook 06
class RegularizerExplorer(LiveFigure):
    """Weight-norm trajectories: none, L2, max-norm, exponential (Eqs. 14-15)."""

    figsize = (8, 4)
    steps = 6000
    styles = {"none": ("0.6", ":"), "l2": ("C1", "-"), "max-norm": ("C2", "-"), "exponential": ("C0", "-")}
    labels = {"none": "no regularizer", "l2": "L2 (λ_L2 = βλ)", "max-norm": "max-norm (Σw² ≤ 1)",
              "exponential": "exponential (Eqs. 14-15)"}

    def build(self):
        ax = self.ax = self.fig.add_subplot(111)
        for k in REGULARIZERS:
            c, ls = self.styles[k]
            (self.artists[k],) = ax.plot([], [], ls, color=c, lw=1.5, label=self.labels[k])
        self.artists["drive"] = ax.axvline(0, color="0.7", lw=0.8, ls="--")
        ax.axhline(1.0, color="k", lw=0.6)
        ax.set_yscale("log")
        ax.set_xlabel("learning step")
        ax.set_ylabel("Σ_j w_ij² (mean over rows, log)")
        ax.set_xlim(0, self.steps)
        ax.legend(fontsize=7, loc="upper right")

    def draw(self, lam, beta, drive):
        res = regularizer_trajectories(lam, beta, drive, steps=self.steps)
        x = np.arange(1, self.steps + 1)
        for k in REGULARIZERS:
            self.artists[k].set_data(x, np.clip(res[k], 1e-3, 1e6))
        vals = np.concatenate([np.clip(v, 1e-3, 1e6) for v in res.values()])
        self.ax.set_ylim(max(vals.min() / 2, 1e-3), vals.max() * 2)
        self.artists["drive"].set_xdata([1000, 1000])
        self.ax.set_title(f"λ = {lam:g}, β = {beta:g}, drive {drive:g} (fades with time constant 1000 "
                          f"steps): final Σw² — L2 {res['l2'][-1]:.2f}, max-norm {res['max-norm'][-1]:.2f}, "
                          f"exponential {res['exponential'][-1]:.2f}", fontsize=8)
        self.result = res


def regularizer_explorer(lam=DEMO_LAM, beta=_P["beta"], drive=2.0) -> RegularizerExplorer:
    """Sliders: lambda, beta (Eq. 14), strength of the learning drive."""
    return RegularizerExplorer({
        "lam": _slider("float", "λ, regularization strength", lam, 0.001, 0.04, 0.001, ".3f"),
        "beta": _slider("float", "β, sharpness (exponential)", beta, 1.0, 20.0, 0.5),
        "drive": _slider("float", "learning drive (norm growth per unit time)", drive, 0.5, 5.0, 0.25),
    })
