"""DVS saccade emulator: the pixel model on synthetic inputs, rendering, determinism, and the
statistics of emulated vs real N-MNIST streams of the same digits (50 real training recordings)."""
import numpy as np
import pytest
from scipy import ndimage

from snnlab.data import emulator as em
from snnlab.data import load_mnist, load_nmnist
from snnlab.events import DVS_DTYPE, dvs_to_channels

C = 0.3          # threshold used in the synthetic tests (log units)


# ----------------------------------------------------------------------------- pixel model
@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("sign", [1, -1])
def test_step_of_n_thresholds_gives_n_events(n, sign):
    L = np.zeros((3, 2, 2))
    L[1:, 0, 1] = sign * n * C                        # one pixel steps by exactly n thresholds
    ev = em.simulate_log_video(L, [0.0, 1e-3, 2e-3], C, C)[0]
    assert ev.size == n
    assert np.all(ev["x"] == 1) and np.all(ev["y"] == 0)
    assert np.all(ev["p"] == (1 if sign > 0 else 0))
    assert np.all(np.diff(ev["t"]) >= 0) and ev["t"].max() <= 1e-3


def test_step_just_below_n_thresholds_and_back():
    L = np.zeros((5, 1, 1))
    L[1] = 2.99 * C                                   # 2 events, residual 0.99 C
    L[2] = 3.01 * C                                   # crosses the third threshold
    L[3] = 0.0                                        # back down: 3 off events
    L[4] = 0.0
    ev = em.simulate_log_video(L, np.arange(5) * 1e-3, C, C)[0]
    assert ev["p"].tolist() == [1, 1, 1, 0, 0, 0]


def test_per_pixel_thresholds():
    L = np.zeros((2, 1, 3))
    L[1] = 1.0
    ev = em.simulate_log_video(L, [0, 1e-3], c_on=[0.5, 0.25, 0.2], c_off=1.0)[0]
    assert np.bincount(ev["x"], minlength=3).tolist() == [2, 4, 5]


def test_event_time_interpolated_to_the_crossing():
    L = np.zeros((2, 1, 1))
    L[1] = 1.5 * C                                    # linear ramp over 1 ms: crossing at 2/3 ms
    ev = em.simulate_log_video(L, [0, 1e-3], C, C)[0]
    assert ev.size == 1 and ev["t"][0] == pytest.approx(1e-3 / 1.5)


@pytest.mark.parametrize("mode", ["hold", "reset"])
def test_refractory_period(mode):
    t_ref = 2e-3
    times = np.arange(0, 0.02, 0.25e-3)
    L = np.zeros((times.size, 1, 1))
    L[4:] = 5 * C                                     # a step of 5 thresholds at t = 1 ms
    ev = em.simulate_log_video(L, times, C, C, refractory=t_ref, mode=mode)[0]
    assert np.all(np.diff(ev["t"]) >= t_ref - 1e-12)  # never closer than T_ref
    if mode == "hold":                                # the change is kept: all 5 events, T_ref apart
        assert ev.size == 5 and np.allclose(np.diff(ev["t"]), t_ref)
    else:                                             # the change during T_ref is lost
        assert ev.size == 1
    no_ref = em.simulate_log_video(L, times, C, C, refractory=0.0, mode=mode)[0]
    assert no_ref.size == 5 and np.ptp(no_ref["t"]) < 0.25e-3


def test_refractory_on_random_video():
    rng = np.random.default_rng(3)
    times = np.arange(0, 0.05, 0.5e-3)
    L = np.cumsum(rng.normal(0, 0.2, (times.size, 6, 6)), axis=0)
    t_ref = 1.5e-3
    ev = em.simulate_log_video(L, times, C, C, refractory=t_ref)[0]
    pix = ev["y"] * 6 + ev["x"]
    assert ev.size > 100
    for q in np.unique(pix):
        assert np.all(np.diff(ev["t"][pix == q]) >= t_ref - 1e-12)


def test_moving_edge():
    """A bright half-plane moving right by 4 px: each pixel it passes brightens by n thresholds."""
    n, W = 4, 10
    times = np.arange(0, 0.031, 0.5e-3)
    pos = 2.5 + 4.0 * times / times[-1]               # edge position (px), moving right
    cols = np.arange(W)
    # bright (log 0) left of the edge, dark (-n C) right of it; linear over one pixel at the edge
    frac = np.clip(pos[:, None] - cols[None, :] + 0.5, 0, 1)
    L = np.broadcast_to((-n * C * (1 - frac))[:, None, :], (times.size, 3, W))
    ev = em.simulate_log_video(L, times, C, C)[0]
    counts = np.zeros((3, W), int)
    np.add.at(counts, (ev["y"], ev["x"]), 1)
    assert np.all(ev["p"] == 1)                       # brightening only
    assert counts[:, 3:7].tolist() == [[n] * 4] * 3   # the four pixels passed: n events each
    assert counts[:, :3].sum() == 0 and counts[:, 7:].sum() == 0
    # events move with the edge: mean time increases with x
    mt = [ev["t"][ev["x"] == x].mean() for x in (3, 4, 5, 6)]
    assert mt[0] < mt[1] < mt[2] < mt[3]


def test_swap_polarity_and_invert():
    L = np.zeros((2, 1, 2))
    L[1, 0, 0], L[1, 0, 1] = 2 * C, -C
    ev = em.simulate_log_video(L, [0, 1e-3], C, C)[0]
    px = em.DVSPixels(L[0].reshape(1, 2), C, C, swap_polarity=True)
    px.step(1e-3, L[1].reshape(1, 2))
    sw = px.events(width=2)[0]
    assert sorted(zip(ev["x"].tolist(), ev["p"].tolist())) == [(0, 1), (0, 1), (1, 0)]
    assert sorted(zip(sw["x"].tolist(), sw["p"].tolist())) == [(0, 0), (0, 0), (1, 1)]
    img = np.zeros((28, 28), np.uint8)
    img[10:18, 10:18] = 255
    still = (np.array([0.0]), np.array([0.0]), np.array([0.0]))
    bright = em.render_digits(img, [0.0], em.EmulatorParams(blur=0.0, invert=False), path=still)[0, 0]
    dark = em.render_digits(img, [0.0], em.EmulatorParams(blur=0.0, invert=True), path=still)[0, 0]
    assert np.allclose(dark, 1 - bright, atol=1e-6) and dark[0, 0] == 1.0 and dark[16, 16] == 0.0


def test_no_motion_no_events():
    img = load_mnist_or_fake()[0]
    still = (np.array([0.0, 1.0]), np.zeros(2), np.zeros(2))
    ev = em.emulate(img, em.EmulatorParams(noise_rate=0.0), rng=0, path=still)
    assert ev.size == 0
    noisy = em.emulate(img, em.EmulatorParams(noise_rate=10.0), rng=0, path=still)
    expect = 10.0 * 0.31 * 34 * 34                    # Hz x s x pixels
    assert abs(noisy.size - expect) < 5 * np.sqrt(expect)


def test_invalid_parameters():
    for bad in [dict(c_on=0), dict(c_off=-1), dict(refractory=-1e-3), dict(floor=0), dict(floor=1),
                dict(sigma_c=-0.1), dict(refractory_mode="drop"), dict(dt=0), dict(dt=0.1),
                dict(noise_rate=-1), dict(scale=0)]:
        with pytest.raises(ValueError):
            em.EmulatorParams(**bad)
    with pytest.raises(ValueError, match="28, 28"):
        em.emulate(np.zeros((3, 20, 20), np.uint8))


# ----------------------------------------------------------------------------- rendering, format
def test_bilinear_shift_matches_scipy():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (2, 28, 28)).astype(np.uint8)
    bright = em.EmulatorParams(blur=0.0, invert=False)
    can = em._canvas(imgs, bright).astype(np.float64)    # (n, n, B)
    for dx, dy in [(0.0, 0.0), (0.3, -1.7), (-2.25, 3.5), (5.9, -6.1)]:
        ref = ndimage.shift(can, (dy, dx, 0), order=1, mode="constant")[12:46, 12:46]
        assert np.allclose(em._shifted(can, dx, dy), ref, atol=1e-12)
    video = em.render_digits(imgs[0], [0.0], bright,
                             path=(np.array([0.0]), np.array([0.0]), np.array([0.0])))
    assert np.allclose(video[0, 0, 3:31, 3:31], imgs[0] / 255.0, atol=1e-6)


def load_mnist_or_fake(n=5):
    try:
        return np.asarray(load_mnist("train")[0][:n])
    except Exception:
        rng = np.random.default_rng(0)
        img = np.zeros((n, 28, 28), np.uint8)
        img[:, 6:22, 10:18] = 255
        return img + rng.integers(0, 2, img.shape).astype(np.uint8)


def test_format_and_determinism():
    imgs = load_mnist_or_fake(4)
    a = em.emulate(imgs, rng=7)
    b = em.emulate(imgs, rng=7)
    c = em.emulate(imgs, rng=8)
    assert len(a) == 4
    for x, y in zip(a, b):
        assert x.dtype == DVS_DTYPE and np.array_equal(x, y)
        assert np.all(np.diff(x["t"]) >= 0) and x["t"].min() >= 0 and x["t"].max() <= 0.31 + 1e-12
        assert x["x"].min() >= 0 and x["x"].max() <= 33 and x["y"].min() >= 0 and x["y"].max() <= 33
        dvs_to_channels(x)                            # usable as network input
    assert any(not np.array_equal(x, z) for x, z in zip(a, c))
    one = em.emulate(imgs[0], rng=7)                  # a single image -> a single stream
    assert np.array_equal(one, em.emulate(imgs[:1], rng=7)[0])
    split = em.emulate(imgs, em.EmulatorParams(noise_rate=5.0), rng=7, batch_size=3)
    whole = em.emulate(imgs, em.EmulatorParams(noise_rate=5.0), rng=7, batch_size=256)
    assert all(np.array_equal(x, y) for x, y in zip(split, whole))   # independent of batching


def test_saccade_path_file():
    t, dx, dy = em.load_saccade_path()
    assert t[0] == 0 and t[-1] >= 0.3 and np.all(np.diff(t) > 0)
    # three saccades forming a triangle: net displacement of each ~3-7 px, the path closes
    ends = [np.interp(x, t, dx) for x in (0.0, 0.1, 0.2, 0.3)], [np.interp(x, t, dy) for x in (0.0, 0.1, 0.2, 0.3)]
    seg = np.hypot(np.diff(ends[0]), np.diff(ends[1]))
    assert np.all((seg > 3) & (seg < 8)), seg
    assert np.hypot(ends[0][3] - ends[0][0], ends[1][3] - ends[1][0]) < 1.5
    assert np.all(np.abs(dx) < 6) and np.all(np.abs(dy) < 6)


# ----------------------------------------------------------------------------- real statistics
@pytest.fixture(scope="module")
def real_and_emulated(data_root):
    real, labels = load_nmnist("train", path=data_root, limit=50)
    images, mlabels = load_mnist("train", path=data_root)
    assert np.array_equal(labels, mlabels[:50])        # N-MNIST sample k = MNIST sample k
    return real, em.emulate(images[:50], rng=0)


def test_statistics_within_targets(real_and_emulated):
    real, emu = real_and_emulated
    s = em.compare_statistics(real, emu)
    ev = s["events_per_sample"]
    for k in ("median", "p10", "p90"):
        assert abs(ev[k]["rel_diff"]) <= 0.20, (k, ev[k])
    assert abs(s["on_fraction"]["diff"]) <= 0.05, s["on_fraction"]
    rp = s["rate_profile"]
    assert rp["pearson_r"] >= 0.8, rp["pearson_r"]
    assert all(abs(d) <= 10 for d in rp["peak_diff_ms"]), rp["peak_diff_ms"]
    assert s["accumulated_images"]["mean_pearson_r"] >= 0.6, s["accumulated_images"]
    assert min(s["accumulated_images"]["per_saccade_mean_pearson_r"]) >= 0.8, s["accumulated_images"]
    assert s["all_ok"]
    assert 280 <= s["span_ms"]["emulated"] <= 320


def test_statistics_detect_a_bad_emulator(real_and_emulated, data_root):
    """The statistics are not trivially satisfied: a wrong threshold or a still digit fails them."""
    real, _ = real_and_emulated
    images = load_mnist("train", path=data_root)[0][:50]
    coarse = em.emulate(images, em.EmulatorParams(c_on=1.0, c_off=1.0), rng=0)
    assert not em.compare_statistics(real, coarse)["events_per_sample"]["ok"]
    same = em.compare_statistics(real, real_and_emulated[1])["accumulated_images"]["mean_pearson_r"]
    shuffled = em.emulate(images[::-1], rng=0)        # other digits: images no longer match
    other = em.compare_statistics(real, shuffled)["accumulated_images"]["mean_pearson_r"]
    assert other < same - 0.15                        # (other digits still overlap: r ~ 0.6)
    # the contrast matters per saccade: a bright digit on a dark background gets ON and OFF
    # the wrong way round (whole-stream images hardly see it: both polarities cover every edge)
    wrong = em.emulate(images, em.EmulatorParams().replace(invert=False), rng=0)
    per = em.compare_statistics(real, wrong)["accumulated_images"]["per_saccade_mean_pearson_r"]
    assert max(per) < 0.6
