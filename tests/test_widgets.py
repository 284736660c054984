"""Widgets headless: update() with non-default values changes the plotted data."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from snnlab import widgets  # noqa: E402


def _data(artist):
    if hasattr(artist, "get_xydata"):
        return np.array(artist.get_xydata(), dtype=float).copy()
    return np.array(artist.get_offsets(), dtype=float).copy()


def _changed(before, after):
    return before.shape != after.shape or not np.allclose(before, after, equal_nan=True)


def test_lif_explorer_updates_in_place():
    pytest.importorskip("brian2")
    w = widgets.lif_explorer()
    fig, png0 = w.fig, w.png
    before = {k: _data(w.artists[k]) for k in ("event", "brian", "analytic", "spikes")}
    assert before["brian"].size > 0 and "Brian2" in w.text
    w.update(tau_mp_ms=50.0, v_th=1.5, rate=300.0)
    assert w.fig is fig and w.png != png0, "the same figure must be redrawn"
    for k, b in before.items():
        assert _changed(b, _data(w.artists[k])), f"{k} line did not change"
    assert w.controls["tau_mp_ms"].value == 50.0
    # the analytic first spike equals the simulated one, Brian2 agrees
    assert w.spikes_event[0] == pytest.approx(w.first_analytic, abs=6e-6)
    np.testing.assert_allclose(w.spikes_brian, w.spikes_event, atol=1e-9)
    assert all(not c.continuous_update for c in w.controls.values() if hasattr(c, "continuous_update"))
    with pytest.raises(ValueError):
        w.update(tau=3)


def test_refractory_explorer_updates():
    w = widgets.refractory_explorer()
    keys = ("w_analytic", "w_measured", "v_dyn", "v_hard", "raster")
    before = {k: _data(w.artists[k]) for k in keys}
    d0 = w.spike_counts
    w.update(T_ref_ms=5.0)
    for k in keys:
        assert _changed(before[k], _data(w.artists[k])), f"{k} did not change"
    assert w.spike_counts != d0
    # the measured w_dyn lies on the analytic curve
    x, y = _data(w.artists["w_measured"]).T
    np.testing.assert_allclose(y, np.minimum(1, (x / 5.0) ** 2), atol=1e-12)


def test_wta_explorer_updates():
    w = widgets.wta_explorer()
    r0, c0, s0 = _data(w.artists["raster"]), _data(w.artists["counts"]), dict(w.stats)
    w.update(kappa=-1.0, n_neurons=6)
    assert _changed(r0, _data(w.artists["raster"])) and _changed(c0, _data(w.artists["counts"]))
    assert _data(w.artists["counts"]).shape[0] == 6
    w.update(kappa=-0.4, n_neurons=10, inhibited_refractory=False)
    assert w.stats["steal_rate"] > s0["steal_rate"]
