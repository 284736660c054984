"""Each exercise check accepts the right answer and diagnoses typical wrong ones."""
import math

import numpy as np
import pytest

from snnlab import teaching
from snnlab.events import poisson_encode
from snnlab.exercises import Check, CheckResult, check, nb00, nb01, nb02, nb03
from snnlab.exercises.student import STUB, strip_solutions
from snnlab.neuron import dynamic_weight, simulate_group

import importlib  # noqa: E402
import pkgutil  # noqa: E402

import snnlab.exercises as _ex  # noqa: E402

# every check of every notebook module snnlab/exercises/nbNN.py, found automatically
_MODULES = [importlib.import_module(f"snnlab.exercises.{m.name}") for m in pkgutil.iter_modules(_ex.__path__)
            if m.name.startswith("nb")]
ALL_CHECKS = [(mod.__name__.rsplit(".", 1)[1], name, obj) for mod in _MODULES
              for name, obj in vars(mod).items() if isinstance(obj, Check)]


@pytest.mark.parametrize("mod,name,ck", ALL_CHECKS, ids=[f"{m}.{n}" for m, n, _ in ALL_CHECKS])
def test_every_mistake_is_recognised(mod, name, ck):
    """Each mistake model differs from the reference on some case and gets its own message."""
    assert ck.mistakes, f"{mod}.{name} has no typical mistakes to diagnose"
    assert ck.run(ck.reference).passed is True
    for m in ck.mistakes:
        with np.errstate(all="ignore"):
            res = ck.run(m.model)
        assert res.passed is False
        assert m.message in res.message, f"{name}: mistake not diagnosed: {m.message}\n got: {res.message}"


@pytest.mark.parametrize("mod,name,ck", ALL_CHECKS, ids=[f"{m}.{n}" for m, n, _ in ALL_CHECKS])
def test_not_done_and_crash(mod, name, ck):
    def todo(*a):
        raise NotImplementedError("EXERCISE: fill in this cell")

    def crash(*a):
        raise KeyError("oops")
    r = ck.run(todo)
    assert r.passed is None and "not done yet" in r.message
    r = ck.run(crash)
    assert r.passed is False and "KeyError" in r.message


# ---- right answers, written independently of the reference, and specific wrong ones
def test_nb00_input_rate():
    assert nb00.check_input_rate(lambda ev, d: len(ev) / d, quiet=True)
    r = nb00.check_input_rate(lambda ev, d: len(ev) / (d * 1e3), quiet=True)
    assert not r and "already in seconds" in r.message


def test_nb01_leak():
    assert nb01.check_leak(lambda v, dt, tau: v * np.exp(-dt / tau), quiet=True)
    r = nb01.check_leak(lambda v, dt, tau: v, quiet=True)
    assert not r and "never decays" in r.message and "exp(-dt / tau_mp)" in r.message
    r = nb01.check_leak(lambda v, dt, tau: v * np.exp(dt / tau), quiet=True)
    assert "minus sign" in r.message


def _step(v, dt, w, th, tau, reset_zero=False, clip=True):
    v = v * math.exp(-dt / tau) + w
    s = v >= th
    if s:
        v = 0.0 if reset_zero else v - th
    return (max(v, -th) if clip else v), s


def test_nb01_event_step():
    assert nb01.check_event_step(_step, quiet=True)
    r = nb01.check_event_step(lambda *a: _step(*a, reset_zero=True), quiet=True)
    assert "reset to zero" in r.message and "subtraction" in r.message
    r = nb01.check_event_step(lambda *a: _step(*a, clip=False), quiet=True)
    assert "no clipping" in r.message
    # two mistakes at once: still says which cases (what they test) fail
    r = nb01.check_event_step(lambda *a: _step(*a, reset_zero=True, clip=False), quiet=True)
    assert not r and "clip" in r.message and "reset" in r.message


def test_nb01_first_crossing_and_bug_hunt():
    assert nb01.check_first_crossing(teaching.first_crossing_time, quiet=True)
    r = nb01.check_first_crossing(lambda w, th, tau, rate: math.ceil(th / w) / rate, quiet=True)
    assert "ignored the leak" in r.message
    r = nb01.check_bug_hunt(nb01.buggy_simulate, quiet=True)
    assert "original bug" in r.message and "t - t_prev" in r.message


def test_nb02():
    assert nb02.check_w_dyn(dynamic_weight, quiet=True)
    r = nb02.check_w_dyn(lambda t, to, T: min(1.0, (t - to) / T) if T else 1.0, quiet=True)
    assert "linearly" in r.message and "quadratic" in r.message
    assert nb02.check_recovery_time(lambda f, T: T * math.sqrt(f), quiet=True)
    assert nb02.check_hard_refractory(
        lambda ev, w, th, tau, T: teaching.simulate_variant(ev, w, th, tau, T, refractory="hard").spike_times[0],
        quiet=True)
    r = nb02.check_hard_refractory(
        lambda ev, w, th, tau, T: teaching.simulate_variant(ev, w, th, tau, T).spike_times[0], quiet=True)
    assert "dynamic weight" in r.message


def _wta(v, th, kappa, own=True, refr_all=True):
    v = np.array(v, float)
    fired = v >= th
    v[fired] -= th[fired]
    n = fired.sum()
    if kappa and n:
        if own:
            v += kappa * th * (n - fired)
        else:
            v += kappa * np.array([th[fired & (np.arange(v.size) != i)].sum() for i in range(v.size)])
    refr = np.ones(v.size, bool) if (kappa and n and refr_all) else fired.copy()
    return np.maximum(v, -th), fired, refr


def test_nb03():
    assert nb03.check_wta_step(_wta, quiet=True)
    r = nb03.check_wta_step(lambda *a: _wta(*a, own=False), quiet=True)
    assert "inhibited* neuron's own threshold" in r.message
    r = nb03.check_wta_step(lambda *a: _wta(*a, refr_all=False), quiet=True)
    assert "forgot the refractoriness" in r.message
    assert nb03.check_spikes_to_floor(lambda v, th, k: math.ceil((v + th) / (-k * th)) if k else math.inf,
                                      quiet=True)
    assert nb03.check_winner_share(teaching.winner_share, quiet=True)


def test_simple_check_and_result_printing(capsys):
    r = check("sum", 1 + 1 == 3, "1 + 1 is 2", hint="count")
    out = capsys.readouterr().out
    assert isinstance(r, CheckResult) and not r and "1 + 1 is 2" in out and "hint: count" in out
    assert check("sum", True, "never")


def test_variant_equals_reference_simulator():
    rng = np.random.default_rng(0)
    W = rng.uniform(-0.1, 0.3, (6, 10))
    th = rng.uniform(0.8, 1.2, 6)
    ev = poisson_encode(np.ones(10), 5000.0, 0.05, rng=1)
    for kappa in (0.0, -0.4, -1.0):
        a = simulate_group(ev, W, th, 0.02, 0.001, kappa)
        b = teaching.simulate_variant(ev, W, th, 0.02, 0.001, kappa)
        assert a.spike_times == b.spike_times and np.array_equal(a.membrane, b.membrane)


def test_strip_solutions_keeps_indentation():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\ny = 1"
    out = strip_solutions(src)
    assert out == f"def f(x):\n    {STUB}\n\ny = 1"
    with pytest.raises(ValueError):
        strip_solutions("### BEGIN SOLUTION\nx = 1")
