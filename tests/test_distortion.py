"""Elastic distortion (Simard et al. 2003): identity, reproducibility, smoothness, real MNIST, bad inputs."""
import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from snnlab.data.distortion import displacement_field, distort_batch, distortion_rng, elastic_distort


def _digit_like(shape=(28, 28), seed=0) -> np.ndarray:
    """A uint8 blob with a ring in the middle of the frame (stands in for a digit)."""
    r, c = np.mgrid[:shape[0], :shape[1]]
    rad = np.hypot(r - shape[0] / 2, c - shape[1] / 2)
    img = 255 * np.exp(-((rad - 6) / 2.0) ** 2)
    img += np.random.default_rng(seed).uniform(0, 20, shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _lag1_autocorr(f: np.ndarray) -> float:
    """Pearson correlation of horizontally and vertically neighbouring values (lag 1 pixel)."""
    a = np.concatenate([f[:, :-1].ravel(), f[:-1, :].ravel()])
    b = np.concatenate([f[:, 1:].ravel(), f[1:, :].ravel()])
    return float(np.corrcoef(a, b)[0, 1])


def _neighbour_mad(f: np.ndarray) -> float:
    """Mean absolute difference between horizontally and vertically neighbouring values."""
    return float(np.mean(np.concatenate([np.abs(np.diff(f, axis=0)).ravel(), np.abs(np.diff(f, axis=1)).ravel()])))


# ----------------------------------------------------------------------------- identity, basic contract
@pytest.mark.parametrize("image", [_digit_like(), _digit_like().astype(np.float32) / 255, _digit_like((20, 32))])
def test_alpha_zero_is_identity(image):
    out = elastic_distort(image, 0.0, 4.0, np.random.default_rng(1))
    assert out.dtype == np.float64 and out.shape == image.shape
    np.testing.assert_array_equal(out, image.astype(np.float64))
    batch = distort_batch(np.stack([image, image]), 0, 4, seed=3, epoch=2, indices=[0, 1])
    np.testing.assert_array_equal(batch, np.stack([image, image]).astype(np.float64))


def test_alpha_zero_draws_like_any_alpha():
    """The rng advances by the same amount whatever alpha is (documented)."""
    g0, g1 = np.random.default_rng(5), np.random.default_rng(5)
    elastic_distort(_digit_like(), 0, 4, g0)
    elastic_distort(_digit_like(), 34, 4, g1)
    assert g0.random() == g1.random()


def test_output_is_float64_clipped_and_changed():
    img = _digit_like()
    out = elastic_distort(img, 34, 4, np.random.default_rng(0))
    assert out.dtype == np.float64 and out.shape == (28, 28)
    assert out.min() >= img.min() and out.max() <= img.max()
    assert np.abs(out - img).mean() > 1.0            # it did warp (intensity units of 0..255)
    # uint8 and the same values as float give the same result
    np.testing.assert_array_equal(out, elastic_distort(img.astype(np.float64), 34, 4, np.random.default_rng(0)))
    # an image with background level > 0: out-of-frame zeros are lifted to that level
    bright = img.astype(np.float64) + 10.0
    out_b = elastic_distort(bright, 34, 4, np.random.default_rng(0))
    assert out_b.min() >= 10.0 and out_b.max() <= bright.max()


def test_displacement_field_is_the_applied_field():
    img = _digit_like((24, 30)).astype(np.float64)
    dx, dy = displacement_field(img.shape, 34, 4, np.random.default_rng(9))
    rows, cols = np.mgrid[:24, :30].astype(np.float64)
    expect = map_coordinates(img, [rows + dy, cols + dx], order=1, mode="constant", cval=0.0)
    np.testing.assert_array_equal(elastic_distort(img, 34, 4, np.random.default_rng(9)),
                                  np.clip(expect, img.min(), img.max()))


# ----------------------------------------------------------------------------- reproducibility
def test_same_seed_epoch_index_gives_same_image_whatever_the_batch():
    imgs = np.stack([_digit_like(seed=s) for s in range(4)])
    full = distort_batch(imgs, 34, 4, seed=11, epoch=3, indices=[5, 9, 2, 40])
    part = distort_batch(imgs[[2, 0]], 34, 4, seed=11, epoch=3, indices=[2, 5])       # other order, subset
    np.testing.assert_array_equal(part[0], full[2])
    np.testing.assert_array_equal(part[1], full[0])
    single = distort_batch(imgs[3:4], 34, 4, seed=11, epoch=3, indices=np.array([40], dtype=np.uint32))
    np.testing.assert_array_equal(single[0], full[3])
    # the documented stream: SeedSequence([seed, 7, epoch, index, 1])
    g = np.random.default_rng(np.random.SeedSequence([11, 7, 3, 9, 1]))
    np.testing.assert_array_equal(elastic_distort(imgs[1], 34, 4, g), full[1])
    np.testing.assert_array_equal(elastic_distort(imgs[1], 34, 4, distortion_rng(11, 3, 9)), full[1])


def test_other_epoch_seed_or_index_gives_another_distortion():
    img = _digit_like()[None]
    ref = distort_batch(img, 34, 4, seed=11, epoch=3, indices=[5])
    for kw in (dict(seed=11, epoch=4, indices=[5]), dict(seed=12, epoch=3, indices=[5]),
               dict(seed=11, epoch=3, indices=[6])):
        other = distort_batch(img, 34, 4, **kw)
        assert np.abs(other - ref).mean() > 1.0, kw


# ----------------------------------------------------------------------------- smoothness of the field
def test_field_is_smooth():
    for s in range(5):
        raw = np.random.default_rng(s).uniform(-1, 1, (28, 28))          # unsmoothed U(-1, 1) field
        dx, dy = displacement_field((28, 28), 34, 4, np.random.default_rng(s))
        for f in (dx, dy):
            # neighbour differences relative to the field's own size: noise ~1.3, sigma-4 field ~0.2
            rel_smooth = _neighbour_mad(f) / np.mean(np.abs(f))
            rel_raw = _neighbour_mad(raw) / np.mean(np.abs(raw))
            assert rel_smooth < 0.3 * rel_raw
            assert _neighbour_mad(f) < 0.3 * _neighbour_mad(raw * 34)        # same alpha, in pixels
            assert _lag1_autocorr(f) > 0.9
        assert abs(_lag1_autocorr(raw)) < 0.2
    # Simard's values give displacements of about a pixel or two, not tens of pixels
    dx, dy = displacement_field((28, 28), 34, 4, np.random.default_rng(0))
    assert 0.5 < np.std(np.concatenate([dx.ravel(), dy.ravel()])) < 3.0


# ----------------------------------------------------------------------------- real MNIST
@pytest.fixture(scope="module")
def mnist500(data_root):
    from snnlab.data import load_mnist
    images, _ = load_mnist("train", path=data_root)
    x = images[:500]
    return x, distort_batch(x, 34, 4, seed=0, epoch=0, indices=np.arange(500))


def test_mnist_mean_image_and_total_intensity_preserved(mnist500):
    x, d = mnist500
    m0, m1 = x.astype(np.float64).mean(0), d.mean(0)
    assert np.corrcoef(m0.ravel(), m1.ravel())[0, 1] > 0.95          # measured 0.99
    assert abs(m1.sum() / m0.sum() - 1) < 0.10                        # measured +0.2 %
    assert d.min() >= 0 and d.max() <= 255


def test_mnist_digits_keep_their_mass_in_the_frame(mnist500):
    x, d = mnist500
    mass0, mass1 = x.reshape(500, -1).sum(1).astype(np.float64), d.reshape(500, -1).sum(1)
    ratio = mass1 / mass0
    # the warp stretches and squeezes strokes (measured 0.63..1.62 per digit) but does not lose ink
    assert 0.95 < np.median(ratio) < 1.05
    assert np.mean((ratio > 0.7) & (ratio < 1.4)) > 0.95
    # ink reaching the outermost pixel ring could have been cut off by the frame: very little does
    ring = np.ones((28, 28), bool)
    ring[1:-1, 1:-1] = False
    frac = d[:, ring].sum(1) / mass1
    assert frac.mean() < 0.01 and frac.max() < 0.10                  # measured 0.16 %, 3.5 %


# ----------------------------------------------------------------------------- bad inputs
GOOD = _digit_like()
RNG = np.random.default_rng


@pytest.mark.parametrize("kwargs, name", [
    (dict(alpha=-1.0), "alpha"), (dict(alpha=np.nan), "alpha"), (dict(alpha=np.inf), "alpha"),
    (dict(alpha="34"), "alpha"), (dict(alpha=True), "alpha"),
    (dict(sigma=0.0), "sigma"), (dict(sigma=-4), "sigma"), (dict(sigma=np.nan), "sigma"),
    (dict(sigma=np.inf), "sigma"), (dict(sigma=None), "sigma"),
    (dict(image=GOOD.ravel()), "image"), (dict(image=GOOD[None]), "image"), (dict(image=np.zeros((0, 28))), "image"),
    (dict(image=np.where(GOOD > 100, np.nan, 1.0)), "image"), (dict(image=GOOD - 10.0), "image"),
    (dict(image=GOOD.astype(complex)), "image"), (dict(image=[["a"]]), "image"),
    (dict(rng=0), "rng"), (dict(rng=np.random.RandomState(0)), "rng"),
])
def test_elastic_distort_bad_inputs(kwargs, name):
    args = dict(image=GOOD, alpha=34.0, sigma=4.0, rng=RNG(0)) | kwargs
    with pytest.raises(ValueError) as e:
        elastic_distort(**args)
    msg = str(e.value)
    assert msg.startswith(name) and "\n" not in msg
    if name in ("alpha", "sigma"):
        assert repr(kwargs[name]) in msg and "alpha=34" in msg and "sigma=4" in msg


@pytest.mark.parametrize("kwargs, name", [
    (dict(images=GOOD), "images"), (dict(images=-np.ones((2, 28, 28))), "images"),
    (dict(alpha=-3), "alpha"), (dict(sigma=0), "sigma"),
    (dict(seed=-1), "seed"), (dict(seed=1.5), "seed"), (dict(epoch=-1), "epoch"), (dict(epoch=2.0), "epoch"),
    (dict(indices=[0]), "indices"), (dict(indices=[0.0, 1.0]), "indices"), (dict(indices=[0, -1]), "indices"),
    (dict(indices=[[0, 1]]), "indices"),
])
def test_distort_batch_bad_inputs(kwargs, name):
    args = dict(images=np.stack([GOOD, GOOD]), alpha=34, sigma=4, seed=0, epoch=0, indices=[0, 1]) | kwargs
    with pytest.raises(ValueError) as e:
        distort_batch(**args)
    assert str(e.value).startswith(name) and "\n" not in str(e.value)


@pytest.mark.parametrize("shape", [(28,), (28, 0), (28.0, 28), "28x28", (28, 28, 1)])
def test_displacement_field_bad_shape(shape):
    with pytest.raises(ValueError, match=r"^shape"):
        displacement_field(shape, 34, 4, RNG(0))


def test_empty_batch():
    out = distort_batch(np.zeros((0, 28, 28), np.uint8), 34, 4, seed=0, epoch=0, indices=[])
    assert out.shape == (0, 28, 28) and out.dtype == np.float64
