"""The reference neuron against answers known in closed form (Eqs. 1-3, WTA, clip)."""
import math

import numpy as np
import pytest

from snnlab.events import make_events
from snnlab.neuron import dynamic_weight, membrane_between_events, simulate_group, simulate_neuron

TAU = 0.020


def test_leak_is_exp_minus_t_over_tau():
    # one input of weight 0.3 at t = 0, then a zero-weight event at t1: V(t1) = 0.3 exp(-t1/tau)
    for t1 in [0.001, 0.01, 0.05]:
        ev = make_events([0.0, t1], [0, 1])
        r = simulate_neuron(ev, [0.3, 0.0], threshold=1.0, tau_mp=TAU)
        assert r.membrane[0] == pytest.approx(0.3 * math.exp(-t1 / TAU), rel=1e-14)
        assert r.spike_times == [[]]


def test_threshold_crossing_at_the_analytic_time():
    # regular input every dt with weight w: V_n = w (1 - r^n) / (1 - r), r = exp(-dt/tau).
    w, dt, th = 0.2, 0.002, 1.0
    r = math.exp(-dt / TAU)
    n_cross = next(n for n in range(1, 1000) if w * (1 - r ** n) / (1 - r) >= th)
    ev = make_events(dt * np.arange(40), np.zeros(40, dtype=int))
    res = simulate_neuron(ev, [w], th, tau_mp=TAU, T_ref=0.0)
    assert res.spike_times[0][0] == pytest.approx((n_cross - 1) * dt, abs=1e-15)


def test_reset_by_subtraction_keeps_the_excess():
    res = simulate_neuron(make_events([0.0], [0]), [1.5], threshold=1.0, tau_mp=TAU)
    assert res.spike_times == [[0.0]]
    assert res.membrane[0] == pytest.approx(0.5)  # Eq. 3: V - V_th, not 0


def test_membrane_is_clipped_at_minus_threshold():
    res = simulate_neuron(make_events([0.0], [0]), [-5.0], threshold=0.7, tau_mp=TAU)
    assert res.membrane[0] == -0.7


def test_dynamic_weight_recovers_quadratically():
    T_ref = 0.004
    assert dynamic_weight(1.0, -np.inf, T_ref) == 1.0
    assert dynamic_weight(1.0, 1.0, T_ref) == 0.0
    assert dynamic_weight(1.001, 1.0, T_ref) == pytest.approx(0.0625)
    assert dynamic_weight(1.004, 1.0, T_ref) == 1.0
    assert dynamic_weight(1.0, 0.999, 0.0) == 1.0
    # in a simulation: spike at 0, input half a T_ref later counts (1/2)^2 = 1/4
    ev = make_events([0.0, T_ref / 2], [0, 1])
    res = simulate_neuron(ev, [1.0, 0.4], 1.0, tau_mp=TAU, T_ref=T_ref)
    assert res.membrane[0] == pytest.approx(0.25 * 0.4, rel=1e-14)


def test_wta_inhibits_in_proportion_to_the_inhibited_threshold():
    # neuron 0 fires on input 0; neuron 1 (threshold 2) sits at 0.5 and loses kappa * 2.
    W = np.array([[1.0, 0.0], [0.0, 0.5]])
    th = np.array([1.0, 2.0])
    ev = make_events([0.0, 0.0], [1, 0])
    res = simulate_group(ev, W, th, tau_mp=TAU, T_ref=0.001, kappa=-0.2)
    assert res.spike_times == [[0.0], []]
    assert res.membrane[1] == pytest.approx(0.5 - 0.2 * 2.0)
    assert res.membrane[0] == pytest.approx(0.0)


def test_wta_puts_the_losers_into_refractoriness():
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    ev = make_events([0.0, 0.0005], [0, 1])   # neuron 1's input arrives half a T_ref later
    res = simulate_group(ev, W, [1.0, 0.5], tau_mp=TAU, T_ref=0.001, kappa=-0.01)
    after_inhibition = -0.01 * 0.5 * math.exp(-0.0005 / TAU)
    assert res.membrane[1] == pytest.approx(after_inhibition + 0.25 * 1.0)
    assert res.spike_times[1] == []            # w_dyn = 1/4 keeps it below 0.5


def test_membrane_between_events_decays_exponentially():
    ev = make_events([0.0], [0])
    res = simulate_neuron(ev, [0.5], 1.0, tau_mp=TAU, record=True)
    grid = np.array([-0.001, 0.0, 0.01])
    v = membrane_between_events(res, grid, TAU)
    np.testing.assert_allclose(v, [0.0, 0.5, 0.5 * math.exp(-0.5)])


@pytest.mark.parametrize("kwargs, word", [
    (dict(tau_mp=0.0), "tau_mp"), (dict(tau_mp=-1.0), "tau_mp"), (dict(tau_mp=float("nan")), "tau_mp"),
    (dict(T_ref=-0.001), "T_ref"), (dict(kappa=0.5), "kappa"), (dict(kappa=-1.5), "kappa"),
])
def test_impossible_parameters_are_named(kwargs, word):
    ev = make_events([0.0], [0])
    args = dict(tau_mp=TAU, T_ref=0.001, kappa=0.0) | kwargs
    with pytest.raises(ValueError, match=word):
        simulate_group(ev, np.ones((2, 1)), [1.0, 1.0], **args)


def test_bad_events_and_weights_are_named():
    ev = make_events([0.0, 0.001], [0, 3])
    with pytest.raises(ValueError, match="channel out of range"):
        simulate_group(ev, np.ones((1, 2)), [1.0])
    unsorted = ev[::-1].copy()
    with pytest.raises(ValueError, match="sorted"):
        simulate_group(unsorted, np.ones((1, 4)), [1.0])
    with pytest.raises(ValueError, match="NaN"):
        simulate_group(ev, np.full((1, 4), np.nan), [1.0])
    with pytest.raises(ValueError, match="threshold"):
        simulate_group(ev, np.ones((1, 4)), [0.0])
