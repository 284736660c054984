"""Widgets of notebooks 04-06 headless: update() with non-default values changes the plotted data."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from snnlab import widgets_learning as wl  # noqa: E402


def _data(artist):
    return np.array(artist.get_xydata(), dtype=float).copy()


def _changed(before, after):
    return before.shape != after.shape or not np.allclose(before, after, equal_nan=True)


def _no_continuous(w):
    assert all(not c.continuous_update for c in w.controls.values() if hasattr(c, "continuous_update"))


def test_transfer_explorer_updates_and_follows_eq6():
    w = wl.transfer_explorer()
    fig, png0 = w.fig, w.png
    keys = ("eq6", "measured", "current", "a_trace", "s_trace")
    before = {k: _data(w.artists[k]) for k in keys}
    # T_ref = 0: measured rate close to Eq. 6 (w r_in / V_th) at high rates
    hi = w.rates[:-1] > 2000
    np.testing.assert_allclose(w.measured[:-1][hi], w.predicted[:-1][hi], rtol=0.15)
    w.update(rate=3000.0, weight=0.5, T_ref_ms=2.0)
    assert w.fig is fig and w.png != png0
    for k in keys:
        assert _changed(before[k], _data(w.artists[k])), f"{k} did not change"
    # the dynamic weight saturates the neuron: far below Eq. 6 at the top rate
    assert w.measured[-2] < 0.6 * w.predicted[-2]
    _no_continuous(w)
    with pytest.raises(ValueError):
        w.update(alpha=3)


def test_alpha_explorer_updates():
    from snnlab.data import DataError, load_mnist
    try:
        images = load_mnist("test")[0][:6]
    except DataError:
        pytest.skip("MNIST not available (set SNNLAB_DATA)")
    w = wl.alpha_explorer(images=images, n_hidden=60)
    before = {k: _data(w.artists[k]) for k in ("sorted", "current")}
    s0 = dict(w.stats)
    w.update(alpha=12.0)
    for k, b in before.items():
        assert _changed(b, _data(w.artists[k])), f"{k} did not change"
    assert w.stats["spikes"] < s0["spikes"] and w.stats["silent"] >= s0["silent"]
    sweep0 = _data(w.artists["spikes"])
    w.update(note_init=True)          # the note's init: alpha cancels, a much quieter layer
    assert _changed(sweep0, _data(w.artists["spikes"]))
    assert w.stats["spikes"] <= s0["spikes"]
    _no_continuous(w)


def test_error_flow_explorer_eq12_keeps_energy_near_one():
    w = wl.error_flow_explorer()
    before = {k: _data(w.artists[k]) for k in ("chain", "plain", "eq12")}
    np.testing.assert_allclose(w.result["eq12"], 1.0, atol=0.15)
    assert w.result["plain"][0] < 0.1 and w.result["chain"][0] > 3
    w.update(alpha=10.0, active_fraction=0.6)
    for k in ("chain", "plain"):
        assert _changed(before[k], _data(w.artists[k])), f"{k} did not change"
    assert _changed(before["eq12"], _data(w.artists["eq12"]))
    np.testing.assert_allclose(w.result["eq12"], 1.0, atol=0.15)
    _no_continuous(w)


def test_regularizer_explorer_updates_and_shapes():
    w = wl.regularizer_explorer()
    r = w.result
    assert r["max-norm"].max() <= 1.0 + 1e-9                      # hard cap
    assert r["l2"].max() > 3 and r["l2"][-1] < 0.5 * r["l2"].max()  # fast growth, then continued decrease
    assert 0.5 < r["exponential"][-1] < 1.5 and r["exponential"].max() < 2   # hovers near 1
    before = {k: _data(w.artists[k]) for k in ("l2", "exponential")}
    w.update(lam=0.03, beta=5.0)
    for k, b in before.items():
        assert _changed(b, _data(w.artists[k])), f"{k} did not change"
    _no_continuous(w)


def test_trace_curve_matches_library_traces():
    from snnlab.layers import traces
    st = np.array([0.001, 0.02, 0.035])
    v = wl.trace_curve([0.05], st, 0.02)[0]
    ref = traces(np.zeros(3, int), st, np.zeros(3, int), np.array([0.05]), 1, 0.02)[0, 0]
    assert v == pytest.approx(ref, rel=1e-12)
    assert wl.trace_curve([0.0005], st, 0.02)[0] == 0.0
