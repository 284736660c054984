"""Plot helpers for the notebooks and widgets (matplotlib only; nothing in the core imports this).

Figures are made with :class:`matplotlib.figure.Figure` directly (not pyplot), so a widget can
own one figure, change its artists' data and re-render it as a PNG without piling up figures.
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

#: colours used throughout the lab
COLORS = {"event": "C0", "brian": "C1", "analytic": "k", "hard": "C3", "threshold": "0.5"}


def new_figure(nrows: int = 1, ncols: int = 1, figsize=(8, 4), **subplot_kw):
    """A figure (not registered with pyplot) and its axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def fig_to_png(fig, dpi: int = 80) -> bytes:
    """Render a figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def show(fig, dpi: int = 80):
    """Display a pyplot-free figure in a notebook (a PNG image)."""
    from IPython.display import Image, display
    display(Image(data=fig_to_png(fig, dpi)))


def superposition_trace(t_grid, in_times, in_weights, out_times, v_th, tau_mp):
    """Eqs. 1 and 3 solved in closed form: V(t) = sum_p w_p e^{-(t-t_p)/tau} - V_th sum_q e^{-(t-t_q)/tau}
    over input events t_p <= t and output spikes t_q <= t.

    Exact for the event-driven neuron as long as w_dyn = 1 (T_ref = 0, or no input inside a
    refractory period) and the membrane never hits the floor -V_th (no clipping).
    """
    t_grid = np.asarray(t_grid, float)[:, None]
    tin = np.asarray(in_times, float)[None, :]
    tout = np.asarray(out_times, float)[None, :]
    w = np.broadcast_to(np.asarray(in_weights, float), tin.shape[1:])[None, :]
    x = np.where(tin <= t_grid, w * np.exp(-np.clip(t_grid - tin, 0, None) / tau_mp), 0.0).sum(1)
    a = np.where(tout <= t_grid, np.exp(-np.clip(t_grid - tout, 0, None) / tau_mp), 0.0).sum(1)
    return x - v_th * a


def raster_xy(spike_times, scale: float = 1e3):
    """(x, y) for a raster drawn as one Line2D with '|' markers: times (ms) and neuron index."""
    xs = [np.asarray(s, float) * scale for s in spike_times]
    ys = [np.full(len(s), i) for i, s in enumerate(spike_times)]
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys)


def raster(ax, spike_times, color="k", label=None, scale: float = 1e3):
    """Spike raster on ``ax`` (times in ms); returns the Line2D (update with :func:`raster_xy`)."""
    x, y = raster_xy(spike_times, scale)
    (line,) = ax.plot(x, y, "|", color=color, markersize=8, markeredgewidth=1.5, label=label)
    ax.set_ylabel("neuron")
    ax.set_xlabel("time (ms)")
    return line


def spike_table(a, b, name_a="event-driven", name_b="Brian2", n: int = 8) -> str:
    """Text table of the first ``n`` spike times of two simulations (ms) and their difference (us)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    lines = [f"{'#':>3} {name_a + ' (ms)':>18} {name_b + ' (ms)':>14} {'diff (us)':>10}"]
    for i in range(min(n, max(a.size, b.size))):
        ta = f"{a[i] * 1e3:.5f}" if i < a.size else "-"
        tb = f"{b[i] * 1e3:.5f}" if i < b.size else "-"
        d = f"{(b[i] - a[i]) * 1e6:.3g}" if i < a.size and i < b.size else "-"
        lines.append(f"{i + 1:>3} {ta:>18} {tb:>14} {d:>10}")
    lines.append(f"spike counts: {name_a} {a.size}, {name_b} {b.size}")
    return "\n".join(lines)


def with_spike_peaks(t, v, spike_times, v_th):
    """Insert the value *before the reset* (V + V_th) at each output spike, so a plotted trace
    visibly reaches the threshold: ``t`` must contain each spike time (the post-reset value)."""
    t, v = np.asarray(t, float), np.asarray(v, float)
    spike_times = np.asarray(spike_times, float)
    if spike_times.size == 0:
        return t, v
    idx = np.searchsorted(t, spike_times, side="left")
    idx = idx[(idx < t.size)]
    idx = idx[np.isclose(t[idx], spike_times[: idx.size])]
    return np.insert(t, idx, t[idx]), np.insert(v, idx, v[idx] + v_th)
