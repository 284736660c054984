"""Each exercise check accepts the right answer and diagnoses typical wrong ones."""
import math
import signal
import threading
import time

import numpy as np
import pytest

from snnlab import teaching
from snnlab.events import poisson_encode
from snnlab.exercises import TIME_LIMIT, Check, CheckResult, check, nb00, nb01, nb02, nb03, same
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
    assert nb01.check_first_crossing_time(teaching.first_crossing_time, quiet=True)
    r = nb01.check_first_crossing_time(lambda w, th, tau, rate: math.ceil(th / w) / rate, quiet=True)
    assert "ignored the leak" in r.message
    r = nb01.check_simulate(nb01.buggy_simulate, quiet=True)
    assert "original bug" in r.message and "t - t_prev" in r.message
    # the diagnosis of the bug is shown after a right answer (the notebook does not print it before)
    r = nb01.check_simulate(nb01._sim_model(), quiet=True)
    assert r and "the bug was the leak" in r.message and "t - t_prev" in r.message


def test_nb01_event_step_spiked_as_0_or_1():
    def step01(*a):
        v, s = _step(*a)
        return np.float64(v), int(s)                 # numpy scalar and 0/1 for the bool
    assert nb01.check_event_step(step01, quiet=True)
    assert nb01.check_event_step(lambda *a: list(_step(*a)), quiet=True)
    assert nb01.check_event_step(lambda *a: np.array(_step(*a), dtype=float), quiet=True)


def test_nb02():
    assert nb02.check_w_dyn(dynamic_weight, quiet=True)
    r = nb02.check_w_dyn(lambda t, to, T: min(1.0, (t - to) / T) if T else 1.0, quiet=True)
    assert "linearly" in r.message and "quadratic" in r.message
    assert nb02.check_recovery_time(lambda f, T: T * math.sqrt(f), quiet=True)
    assert nb02.check_simulate_hard(
        lambda ev, w, th, tau, T: teaching.simulate_variant(ev, w, th, tau, T, refractory="hard").spike_times[0],
        quiet=True)
    r = nb02.check_simulate_hard(
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
    # values, not types: lists instead of arrays, 0/1 instead of bools, one 2-D array
    assert nb03.check_wta_step(lambda *a: tuple(x.tolist() for x in _wta(*a)), quiet=True)
    assert nb03.check_wta_step(lambda *a: [x.astype(int) if x.dtype == bool else x for x in _wta(*a)], quiet=True)
    assert nb03.check_wta_step(lambda *a: np.array(_wta(*a), dtype=float), quiet=True)
    r = nb03.check_wta_step(lambda *a: _wta(*a, own=False), quiet=True)
    assert "inhibited* neuron's own threshold" in r.message
    r = nb03.check_wta_step(lambda *a: _wta(*a, refr_all=False), quiet=True)
    assert "forgot the refractoriness" in r.message
    assert nb03.check_spikes_to_floor(lambda v, th, k: math.ceil((v + th) / (-k * th)) if k else math.inf,
                                      quiet=True)
    assert nb03.check_winner_share(teaching.winner_share, quiet=True)
    assert nb03.check_spikes_to_floor(lambda v, th, k: float(np.ceil((v + th) / (-k * th))) if k else np.inf,
                                      quiet=True)


def test_nb03_winner_share_first_to_fire_and_neuron_0_are_told_apart():
    def earliest(st):                # the neuron that fired first taken for the winner
        counts = [len(s) for s in st]
        if not sum(counts):
            return 0.0
        return counts[int(np.argmin([s[0] if s else np.inf for s in st]))] / sum(counts)
    r = nb03.check_winner_share(earliest, quiet=True)
    assert not r and "fired FIRST" in r.message and "neuron 0's share" not in r.message
    r = nb03.check_winner_share(lambda st: len(st[0]) / sum(map(len, st)) if sum(map(len, st)) else 0.0,
                                quiet=True)
    assert not r and "neuron 0's share" in r.message and "fired FIRST" not in r.message


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


# ---- values, not types: the reference's own answer in other containers passes every check of 01-07
def _as_lists(x):
    """ndarrays and tuples -> (nested) lists, bools -> 0/1, numpy scalars -> Python numbers."""
    if isinstance(x, dict):
        return x
    if isinstance(x, np.ndarray):
        return x.astype(int).tolist() if x.dtype == bool else x.tolist()
    if isinstance(x, (list, tuple)):
        return [_as_lists(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return int(x)
    if isinstance(x, np.generic):
        return x.item()
    return x


def _as_numpy(x):
    """Python numbers -> numpy scalars, lists -> arrays (where regular), tuples kept."""
    if isinstance(x, dict):
        return x
    if isinstance(x, tuple):
        return tuple(_as_numpy(v) for v in x)
    if isinstance(x, list):
        try:
            return np.array(x, dtype=float)
        except (TypeError, ValueError):
            return [_as_numpy(v) for v in x]
    if isinstance(x, bool):
        return np.bool_(x)
    if isinstance(x, int):
        return np.int64(x)
    if isinstance(x, float):
        return np.float64(x)
    return x


NOTEBOOK_CHECKS = [c for c in ALL_CHECKS if c[0] in {f"nb0{i}" for i in range(1, 8)}]
_IDS = [f"{m}.{n}" for m, n, _ in NOTEBOOK_CHECKS]


@pytest.mark.parametrize("mod,name,ck", NOTEBOOK_CHECKS, ids=_IDS)
@pytest.mark.parametrize("convert", [_as_lists, _as_numpy], ids=["lists", "numpy"])
def test_right_answer_in_other_types_is_accepted(mod, name, ck, convert):
    def student(*args, **kwargs):
        return convert(ck.reference(*args, **kwargs))
    r = ck.run(student)
    assert r.passed is True, r.message


def test_same_compares_values_not_types():
    assert same([1, 2], np.array([1.0, 2.0])) and same((1.0, 2.0), [1, 2])
    assert same((np.array([0.5, 1.0]), np.array([True, False])), [[0.5, 1], [1, 0]])
    assert same(True, 1) and same(np.bool_(False), 0.0) and same(np.float64(0.25), 0.25)
    assert same([np.array([1.0]), [2.0, 3.0]], ([1], np.array([2, 3])))           # ragged: item by item
    assert same(math.inf, np.float64("inf")) and same(float("nan"), np.nan)
    assert not same(np.array([1.0]), 1.0)                                          # the shape counts
    assert not same(None, np.nan) and not same([None], [np.nan]) and not same("1", 1)
    assert not same([1, 2], [1, 2, 3]) and not same(math.inf, -math.inf)


@pytest.mark.parametrize("mod,name,ck", NOTEBOOK_CHECKS, ids=_IDS)
def test_one_naming_convention(mod, name, ck):
    """Exercise functions are my_<what>, checked by nbNN.check_<what>."""
    assert ck.name.startswith("my_"), ck.name
    assert name == "check_" + ck.name[3:].split("(")[0], (name, ck.name)
    assert ck.time_limit == TIME_LIMIT


# ---- the time limit
def _endless_floor(v, v_th, kappa):
    """A student's loop: with kappa = 0 the membrane never moves, so the loop never ends."""
    n = 0
    while v > -v_th:
        v += kappa * v_th
        n += 1
    return n


def _check_threads():
    return [t for t in threading.enumerate() if t.name == "snnlab-exercise-check" and t.is_alive()]


def test_time_limit_stops_an_endless_loop():
    ck = nb03.check_spikes_to_floor
    t0 = time.perf_counter()
    r = ck(_endless_floor, quiet=True, time_limit=0.5)
    assert time.perf_counter() - t0 < 4
    assert r.passed is False
    assert "did not return within 0.5 s: is there a loop that never ends?" in r.message
    assert "kappa = 0" in r.message                                  # the case it hung on
    assert "stopped your function" in r.message
    time.sleep(0.1)
    assert not _check_threads()                                      # stopped, not left running
    # the same function without the endless case is just wrong (and the check works again)
    assert nb03.check_spikes_to_floor(lambda v, th, k: math.ceil((v + th) / (-k * th)) if k else math.inf,
                                      quiet=True)


def test_time_limit_says_when_the_function_keeps_running():
    def stubborn(v, v_th, kappa):          # swallows the check's stop request, ends by itself after ~2.5 s
        t_end = time.perf_counter() + 2.5
        while time.perf_counter() < t_end:
            try:
                time.sleep(0.01)
            except BaseException:  # noqa: BLE001
                pass
        return 0
    t0 = time.perf_counter()
    r = nb03.check_spikes_to_floor(stubborn, quiet=True, time_limit=0.3)
    assert time.perf_counter() - t0 < 2.4
    assert not r and "did not return within 0.3 s" in r.message
    assert "STILL RUNNING" in r.message and "restart the kernel" in r.message
    time.sleep(2.5)
    assert not _check_threads()


def test_time_limit_works_off_the_main_thread_and_leaves_alarms_alone():
    """Jupyter may run a cell outside the main thread; pytest-timeout uses SIGALRM."""
    fired, results = [], []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        th = threading.Thread(target=lambda: results.append(
            nb03.check_spikes_to_floor(_endless_floor, quiet=True, time_limit=0.3)))
        th.start()
        th.join(10)
        assert results and "did not return within 0.3 s" in results[0].message
        assert nb01.check_leak(lambda v, dt, tau: v * math.exp(-dt / tau), quiet=True)
        assert 20.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30.0 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
