"""Checks of notebooks 08 (convolutional SNN) and 09 (N-MNIST) accept right answers and diagnose the
typical wrong ones by name.

The generic tests (each check's reference passes, every mistake model gets its own message, not-done
and crash messages) run for every Check in tests/test_exercises.py; here: right answers written
independently of the references, right answers in other containers (list, tuple, ndarray, numpy
numbers), the named wrong answers, the crop check (a property check, not a Check), the shared time
limit (the thread of snnlab.exercises.Check, its "did not return within" message), the short display
of large arrays, and the widget helpers the notebooks rely on.
"""
import threading
import time

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from snnlab.events import crop_events, make_events  # noqa: E402
from snnlab.exercises import Check, fmt, nb08, nb09  # noqa: E402

CHECKS_08_09 = [(mod.__name__.rsplit(".", 1)[1], name, obj) for mod in (nb08, nb09)
                for name, obj in vars(mod).items() if isinstance(obj, Check)]
_IDS = [f"{m}.{n}" for m, n, _ in CHECKS_08_09]


def _msg(mistakes, fragment):
    """The message of the mistake whose text contains ``fragment`` (so a test names its mistake)."""
    hits = [m.message for m in mistakes if fragment in m.message]
    assert len(hits) == 1, f"{fragment!r} names {len(hits)} mistakes"
    return hits[0]


# ------------------------------------------------------------------ nb08: conv_output_size
def test_nb08_conv_output_size():
    ck = nb08.check_conv_output_size
    assert ck(lambda H, W, k: (H - k + 1, W - k + 1), quiet=True)
    # values, not types: a list or a numpy array of numpy integers is the same answer
    assert ck(lambda H, W, k: [H - k + 1, W - k + 1], quiet=True)
    assert ck(lambda H, W, k: np.array([H, W]) - k + 1, quiet=True)
    for wrong, fragment in [(lambda H, W, k: (H, W), "'same' padding"),
                            (lambda H, W, k: (H - k, W - k), "off by one"),
                            (lambda H, W, k: (H + k - 1, W + k - 1), "'full' convolution"),
                            (lambda H, W, k: (W - k + 1, H - k + 1), "swapped"),
                            (lambda H, W, k: (H // k, W // k), "pooling")]:
        r = ck(wrong, quiet=True)
        assert r.passed is False and _msg(ck.mistakes, fragment) in r.message


def test_nb08_conv_output_size_matches_the_layer():
    from snnlab.layers import init_conv
    assert init_conv((1, 28, 28), 20, 5, rng=0).output_shape == (20, 24, 24)


# ------------------------------------------------------------------ nb08: synaptic_ops (one spike)
def _ops_by_loop(y, x, H, W, k, maps):
    """Count the output neurons (c, oy, ox) whose k x k window covers input (y, x), one by one."""
    n = 0
    for oy in range(H - k + 1):
        for ox in range(W - k + 1):
            if oy <= y < oy + k and ox <= x < ox + k:
                n += maps
    return n


def test_nb08_synaptic_ops():
    ck = nb08.check_synaptic_ops
    assert ck(_ops_by_loop, quiet=True)
    r = ck(lambda y, x, H, W, k, maps: k * k * maps, quiet=True)
    assert not r and "ignored the borders" in r.message
    r = ck(lambda y, x, H, W, k, maps: _ops_by_loop(y, x, H, W, k, 1), quiet=True)
    assert not r and "ONE map" in r.message
    r = ck(lambda y, x, H, W, k, maps: k * k, quiet=True)
    assert not r and "weights in one kernel" in r.message
    r = ck(lambda y, x, H, W, k, maps: _ops_by_loop(x, y, H, W, k, maps), quiet=True)   # axes mixed up
    assert not r and "rows and columns are mixed up" in r.message
    r = ck(nb08._ops_model(off_by_one=True), quiet=True)
    assert not r and "off by one" in r.message


def test_nb08_synaptic_ops_of_a_digit_are_events_times_fan_out():
    from snnlab.events import EventBatch, poisson_encode
    from snnlab.layers import init_conv
    conv = init_conv((1, 28, 28), 20, 5, rng=0)
    img = np.zeros((28, 28))
    img[0, :] = img[14, 10:20] = 1.0
    ev = poisson_encode(img, 5000.0, 0.05, rng=1)
    out = conv.forward(EventBatch.from_list([ev], duration=0.05))
    expected = sum(_ops_by_loop(int(c) // 28, int(c) % 28, 28, 28, 5, 20) for c in ev["ch"])
    assert out.synaptic_ops[0] == expected


# ------------------------------------------------------------------ nb08: kernel_gradient
def _kg_loop(delta, x):
    C, Ho, Wo = delta.shape
    Ci, H, W = x.shape
    k = H - Ho + 1
    g = np.zeros((C, Ci, k, k))
    for o in range(C):
        for i in range(Ci):
            for y in range(Ho):
                for xx in range(Wo):
                    g[o, i] += delta[o, y, xx] * x[i, y:y + k, xx:xx + k]
    return g


def test_nb08_kernel_gradient():
    ck = nb08.check_kernel_gradient
    assert ck(_kg_loop, quiet=True)
    r = ck(lambda d, x: _kg_loop(d, x)[:, :, ::-1, ::-1], quiet=True)
    assert not r and "flipped" in r.message
    r = ck(lambda d, x: _kg_loop(d, x) / (d.shape[1] * d.shape[2]), quiet=True)
    assert not r and "averaged over the positions" in r.message
    r = ck(lambda d, x: _kg_loop(d, x).transpose(0, 1, 3, 2), quiet=True)
    assert not r and "dy and dx exchanged" in r.message

    def overwrite(d, x):                 # "=" instead of "+=": the last position only
        C, Ho, Wo = d.shape
        k = x.shape[1] - Ho + 1
        g = np.zeros((C, x.shape[0], k, k))
        for o in range(C):
            for i in range(x.shape[0]):
                for y in range(Ho):
                    for xx in range(Wo):
                        g[o, i] = d[o, y, xx] * x[i, y:y + k, xx:xx + k]
        return g
    r = ck(overwrite, quiet=True)
    assert not r and "ONE position only" in r.message and "SUM over all positions" in r.message
    # messages show large arrays by shape, not in full
    assert "array of shape" in r.message and len(r.message) < 3000


def test_nb08_kernel_gradient_is_the_layer_gradient_up_to_its_factor():
    from snnlab.layers import Conv2d
    rng = np.random.default_rng(3)
    d, x = rng.normal(size=(4, 6, 6)), rng.uniform(size=(2, 8, 8))
    layer = Conv2d(np.zeros((4, 2, 3, 3)), np.ones(4 * 36), (2, 8, 8))
    active = x.reshape(1, -1) > 0.3                    # m of Eq. 13: the active inputs
    g = layer.weight_gradient(d.reshape(1, -1), x.reshape(1, -1), active)
    np.testing.assert_allclose(g, _kg_loop(d, x) * np.sqrt(layer.n_out / active.sum()), rtol=1e-12)


# ------------------------------------------------------------------ the shared Check: kind, time limit, values
def test_the_checks_are_plain_checks_with_their_time_limit():
    assert {n for _, n, _ in CHECKS_08_09} >= {"check_conv_output_size", "check_synaptic_ops",
                                               "check_kernel_gradient", "check_decode_event"}
    for _, name, ck in CHECKS_08_09:
        assert type(ck) is Check, name
        assert ck.time_limit == nb08.CHECK_TIME_LIMIT == nb09.CHECK_TIME_LIMIT == 10.0, name
    for gone in ("TimedCheck", "time_limited", "TimeLimitExceeded", "same_values", "brief"):
        assert not hasattr(nb08, gone) and not hasattr(nb09, gone), gone


def _endless(*args):
    while True:
        pass


def _check_threads():
    return [t for t in threading.enumerate() if t.name == "snnlab-exercise-check" and t.is_alive()]


@pytest.mark.parametrize("mod,name,ck", CHECKS_08_09, ids=_IDS)
def test_an_endless_loop_is_stopped_with_the_shared_message(mod, name, ck):
    t0 = time.perf_counter()
    r = ck(_endless, quiet=True, time_limit=0.3)
    assert time.perf_counter() - t0 < 4                             # the check returns
    assert r.passed is False
    assert "did not return within 0.3 s: is there a loop that never ends?" in r.message
    assert "on the case that tests " + ck.cases[0].what in r.message
    assert "stopped your function" in r.message and "hint:" in r.message
    time.sleep(0.1)
    assert not _check_threads()                                      # stopped, not left running
    assert ck(ck.reference, quiet=True)                              # and the check works again


def test_the_checks_own_time_limit_applies():
    """Without time_limit= at the call, the limit given to the Check is used."""
    ck = Check("f(a)", lambda a: a, [nb08.Case((1,), "one")],
               mistakes=[nb08.Mistake("doubled", lambda a: 2 * a)], time_limit=0.4)
    t0 = time.perf_counter()
    r = ck(_endless, quiet=True)
    assert time.perf_counter() - t0 < 4
    assert r.passed is False and "did not return within 0.4 s" in r.message
    assert ck(lambda a: a, quiet=True)
    assert "doubled" in ck(lambda a: 2 * a, quiet=True).message


def _as_list(x):
    return x.tolist() if isinstance(x, np.ndarray) else list(x) if isinstance(x, tuple) else x


def _as_tuple(x):
    return tuple(_as_list(x)) if isinstance(x, (tuple, list, np.ndarray)) else x


def _as_array(x):
    return np.asarray(x) if isinstance(x, (tuple, list, np.ndarray)) else np.float64(x)


@pytest.mark.parametrize("convert", [_as_list, _as_tuple, _as_array], ids=["list", "tuple", "array"])
@pytest.mark.parametrize("mod,name,ck", CHECKS_08_09, ids=_IDS)
def test_a_right_answer_in_another_container_passes(mod, name, ck, convert):
    r = ck.run(lambda *args: convert(ck.reference(*args)))
    assert r.passed is True, r.message


def test_large_arrays_are_shown_briefly_in_every_check():
    assert fmt(np.arange(24.0).reshape(2, 3, 4)) == "array of shape (2, 3, 4) [0, 1, 2, 3, ...]"
    assert fmt(np.array([True, False] * 4)) == "array of shape (8,) [True, False, True, False, ...]"
    assert fmt(np.array([0.5, 1.0])) == "[0.5, 1. ]" and fmt(np.zeros(3, [("t", float)])) == "<3 events>"
    assert fmt(np.eye(2)) == "[[1., 0.], [0., 1.]]"                                # small: one line
    ck = Check("f(x)", lambda x: x * 2, [nb08.Case((np.ones((10, 10)),), "a 10x10 input")], arg_names=("x",))
    r = ck(lambda x: x * 3, quiet=True)
    assert "x=array of shape (10, 10) [1, 1, 1, 1, ...]" in r.message
    assert "you returned array of shape (10, 10) [3, 3, 3, 3, ...], snnlab gives array of shape (10, 10)" \
        in r.message


# ------------------------------------------------------------------ nb09: decode_event
def _decode(b):
    b = list(b)
    return b[0], b[1], b[2] >> 7, ((b[2] & 0x7F) << 16) | (b[3] << 8) | b[4]


def test_nb09_decode_event():
    ck = nb09.check_decode_event
    assert ck(_decode, quiet=True)
    assert ck(lambda b: np.array(_decode(b)), quiet=True)                       # values, not types
    assert ck(lambda b: (*_decode(b)[:2], bool(b[2] & 0x80), _decode(b)[3]), quiet=True)   # p as a bool
    for wrong, fragment in [
            (lambda b: (b[0], b[1], b[2] >> 7, (b[4] << 16) | (b[3] << 8) | (b[2] & 0x7F)), "wrong byte order"),
            (lambda b: (b[0], b[1], b[2] >> 7, (b[2] << 16) | (b[3] << 8) | b[4]), "polarity bit is still inside"),
            (lambda b: (b[0], b[1], b[2] & 0x80, _decode(b)[3]), "128"),
            (lambda b: (b[0], b[1], b[2] & 1, _decode(b)[3]), "lowest bit"),
            (lambda b: (b[1], b[0], *_decode(b)[2:]), "x and y are swapped"),
            (lambda b: (*_decode(b)[:3], _decode(b)[3] / 1e6), "microseconds")]:
        r = ck(wrong, quiet=True)
        assert r.passed is False and _msg(ck.mistakes, fragment) in r.message, fragment


def test_nb09_decode_matches_a_real_style_file(tmp_path):
    from snnlab.data import read_nmnist_bin
    raw = bytes([5, 6, 0x80 | 0x01, 0x02, 0x03, 30, 2, 0x01, 0x02, 0x04])
    (tmp_path / "x.bin").write_bytes(raw)
    ev = read_nmnist_bin(tmp_path / "x.bin")
    for i in range(2):
        x, y, p, t = _decode(raw[5 * i:5 * i + 5])
        assert (ev["x"][i], ev["y"][i], ev["p"][i]) == (x, y, p) and round(ev["t"][i] * 1e6) == t


# ------------------------------------------------------------------ nb09: synaptic_ops of a stream
def test_nb09_synaptic_ops():
    ck = nb09.check_synaptic_ops
    assert ck(lambda s, h, sizes=(2312, 800, 10): len(s) * sizes[1] + h * sizes[2], quiet=True)
    for wrong, fragment in [(lambda s, h, sizes=(2312, 800, 10): len(s) * sizes[0] + h * sizes[1], "INPUTS"),
                            (lambda s, h, sizes=(2312, 800, 10): len(s) * sizes[1], "each one reaches the 10"),
                            (lambda s, h, sizes=(2312, 800, 10): sizes[0] * sizes[1] + sizes[1] * sizes[2],
                             "ONE frame"),
                            (nb09._ops_model("pixels"), "each active input pixel once")]:
        r = ck(wrong, quiet=True)
        assert r.passed is False and _msg(ck.mistakes, fragment) in r.message, fragment


def test_nb09_synaptic_ops_agree_with_a_network_forward_pass():
    from snnlab.events import EventBatch, dvs_to_channels
    from snnlab.network import init_dense, Network
    stream = nb09._dvs(600, 5)
    net = Network([init_dense(2312, 50, 1.0, rng=0), init_dense(50, 10, 1.0, rng=1)])
    ch = dvs_to_channels(stream)
    outs = net.forward(EventBatch.from_list([ch], duration=ch["t"][-1]))
    hidden = int(outs[0].counts.sum())
    assert sum(int(o.synaptic_ops[0]) for o in outs) == nb09.reference_synaptic_ops(stream, hidden, (2312, 50, 10))


# ------------------------------------------------------------------ nb09: crop (property check)
def _crop(stream, n, rng):
    start = int(rng.integers(0, max(len(stream) - n, 0) + 1))
    out = stream[start:start + n].copy()
    out["t"] -= out["t"][0]
    return out


def test_nb09_crop_right_answers():
    r = nb09.check_crop(_crop, quiet=True)
    assert r.passed is True and "✓ correct" in r.message and "crop_events" in r.message
    assert nb09.check_crop(lambda s, n, rng: crop_events(s, n, rng), quiet=True)

    def other_draw(stream, n, rng):       # a different (still uniform) start: right, not the same crops
        start = int(np.floor(rng.random() * (max(len(stream) - n, 0) + 1)))
        out = stream[start:start + n].copy()
        out["t"] = out["t"] - out["t"][0]
        return out
    r = nb09.check_crop(other_draw, quiet=True)
    assert r.passed is True and "crop_events" not in r.message


def _crop_variant(kind):
    def crop(stream, n, rng):
        L = len(stream)
        if kind == "off the end":
            start = int(rng.integers(0, L))
        elif kind == "always the same start":
            start = 0
        elif kind == "ignores rng":
            start = int(np.random.default_rng().integers(0, max(L - n, 0) + 1))
        elif kind == "short stream":
            start = int(rng.integers(0, L - n + 1))          # fails for L < n
        else:
            start = int(rng.integers(0, max(L - n, 0) + 1))
        if kind == "not consecutive":
            out = stream[np.sort(rng.choice(L, min(n, L), replace=False))].copy()
        elif kind == "changed the input":
            out = stream[start:start + n]
        elif kind == "too long":
            out = stream[start:start + n + 1].copy()
        else:
            out = stream[start:start + n].copy()
        if kind == "not shifted":
            return out
        if kind == "shifted by the stream's start":
            out["t"] -= stream["t"][0]
            return out
        out["t"] -= out["t"][0]
        return out
    return crop


@pytest.mark.parametrize("kind", ["not consecutive", "off the end", "not shifted", "shifted by the stream's start",
                                  "always the same start", "ignores rng", "changed the input", "too long",
                                  "short stream"])
def test_nb09_crop_mistakes_are_named(kind):
    r = nb09.check_crop(_crop_variant(kind), quiet=True)
    assert r.passed is False, kind
    assert nb09.CROP_MISTAKES[kind] in r.message, f"{kind}: {r.message}"
    assert "hint:" in r.message


def test_nb09_crop_endless_loop_is_stopped_with_the_shared_message():
    def endless_after_a_while(stream, n, rng):
        if n == len(stream):                                     # the second case: n = the stream's length
            while True:
                pass
        return _crop(stream, n, rng)
    t0 = time.perf_counter()
    r = nb09.run_crop_check(endless_after_a_while, time_limit=0.3)
    assert time.perf_counter() - t0 < 4
    assert r.passed is False
    assert "did not return within 0.3 s: is there a loop that never ends?" in r.message
    assert "n = the length of the stream: n = 1000, seed 0" in r.message and "hint:" in r.message
    time.sleep(0.1)
    assert not _check_threads()
    assert nb09.run_crop_check(_crop)                              # and the check works again


def test_nb09_crop_not_done_crash_and_not_a_function():
    def todo(*a):
        raise NotImplementedError("EXERCISE: fill in this cell")

    def crash(*a):
        raise KeyError("oops")
    r = nb09.check_crop(todo, quiet=True)
    assert r.passed is None and "not done yet" in r.message
    r = nb09.check_crop(crash, quiet=True)
    assert r.passed is False and "KeyError" in r.message
    r = nb09.check_crop(_crop(make_events([0.0, 0.1], [0, 1]), 1, np.random.default_rng(0)), quiet=True)
    assert r.passed is False and "expected a function" in r.message
    r = nb09.check_crop(lambda s, n, rng: [1, 2, 3], quiet=True)
    assert r.passed is False and "event array" in r.message


def test_nb09_crop_prints(capsys):
    nb09.check_crop(_crop)
    assert "✓ correct" in capsys.readouterr().out


# ------------------------------------------------------------------ helpers used by the notebooks
def test_pool_analytic_and_simulation():
    from snnlab.widgets_events import pool_count_analytic, pool_spikes
    grid = np.linspace(0.05e-3, 5e-3, 40)
    for T in (0.0, 1e-3, 3e-3):
        counts, _ = pool_spikes(grid, T)
        ana = np.array([pool_count_analytic(4, g, T) for g in grid])
        assert np.all(counts[grid >= T] == 4)                   # w_dyn = 1 again: exact sum pooling
        assert np.all(ana[grid >= np.sqrt(0.8) * T] == 4)
        assert np.all(counts >= ana) and np.all(counts <= 4) and np.all(counts >= 1)
    assert pool_count_analytic(4, 0.1e-3, 1e-3) == 1 and pool_count_analytic(4, 1e-3, 0.0) == 4


def test_event_dashboard_draws_conv_kernels_and_nmnist_weights():
    from snnlab.layers import DenseLayer, init_conv
    from snnlab.widgets_events import first_layer_tiles
    tiles, th, _ = first_layer_tiles(init_conv((1, 28, 28), 6, 5, rng=0))
    assert tiles.shape == (6, 5, 5) and th.shape == (6,)
    tiles, th, title = first_layer_tiles(DenseLayer(np.ones((30, 2312)), np.ones(30)), n=9)
    assert tiles.shape == (9, 34, 69) and "OFF | ON" in title


def test_event_config_from_controls():
    from snnlab.train import PRESETS
    from snnlab.widgets_events import event_config_from_controls
    cfg = event_config_from_controls({"hidden": 50, "tau_mp_ms": 100.0, "train_samples": 64},
                                     PRESETS["nmnist-800-real"])
    assert cfg.hidden == (50,) and cfg.tau_mp == pytest.approx(0.1) and cfg.train_samples == 64
    cfg = event_config_from_controls({"maps": 8, "hidden": 40, "distortion_alpha": 0.0}, PRESETS["mnist-cnn"])
    assert cfg.hidden == ("8C5", "P2", "50C5", "P2", 40) and cfg.distortion is None
    with pytest.raises(ValueError):
        event_config_from_controls({"kappa_out": 0.0}, PRESETS["nmnist-800-real"])


def test_widgets_redraw_in_place_without_continuous_update():
    from snnlab.widgets_events import distortion_explorer, pool_explorer
    w = pool_explorer()
    fig, png = w.fig, w.png
    w.update(T_ref_ms=3.0, interval_ms=1.0)
    assert w.fig is fig and w.png != png and w.same_as_reference
    assert w.n_spikes < 4
    assert all(not c.continuous_update for c in w.controls.values())
    imgs = np.random.default_rng(0).integers(0, 255, (3, 28, 28))
    d = distortion_explorer(imgs, alpha=0.0)
    np.testing.assert_allclose(d.warped, imgs[0])              # alpha = 0: unchanged
    d.update(alpha=34.0)
    assert not np.allclose(d.warped, imgs[0])


def test_time_limit_gives_back_an_outer_alarm():
    """pytest-timeout (and others) use SIGALRM: a check (its time limit is a thread) leaves their alarm alone."""
    import signal
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert nb08.check_conv_output_size(lambda H, W, k: (H - k + 1, W - k + 1), quiet=True)
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 20.0 < left <= 30.0
        assert signal.getsignal(signal.SIGALRM) is not None and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
