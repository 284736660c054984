"""Elastic distortion of digit images (Simard, Steinkraus & Platt 2003), for data augmentation.

Each pixel gets a random displacement ``dx, dy ~ U(-1, 1)`` (pixels); the two fields are
smoothed with a Gaussian of standard deviation ``sigma`` (pixels) and scaled by ``alpha``
(pixels).  The distorted image is the input sampled at the displaced positions with
bilinear interpolation:

    out[r, c] = image[r + dy[r, c], c + dx[r, c]]        (positions outside the frame read 0)

so ``dx`` moves along columns (x, to the right) and ``dy`` along rows (y, downwards); the
field says where each output pixel *reads from*.  Small ``sigma`` gives a noisy, almost
random field, large ``sigma`` an almost rigid shift; Simard et al. use ``alpha = 34``,
``sigma = 4`` on 28x28 MNIST (many CNN-on-MNIST papers: alpha ~ 34-36, sigma 4-6).  With
those values the smoothed field has a standard deviation of about 1.4 pixels.

    rng = np.random.default_rng(0)
    warped = elastic_distort(images[0], alpha=34, sigma=4, rng=rng)              # one digit
    batch = distort_batch(images[idx], 34, 4, seed=1, epoch=e, indices=idx)      # training batch

:func:`distort_batch` gives every sample its own random stream keyed by
``(seed, epoch, sample index)`` (see :func:`distortion_rng`), so a distortion does not depend
on batch size, batch order or on what was drawn before: a resumed run reproduces it bit for bit.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.ndimage import gaussian_filter, map_coordinates

__all__ = ["elastic_distort", "distort_batch", "displacement_field", "distortion_rng"]

_STREAM_TAG = 7     # second SeedSequence entry: keeps distortion streams apart from other uses of `seed`

_ADVICE = "Simard et al. 2003 use alpha=34, sigma=4 for 28x28 MNIST; CNN papers use alpha 34-36, sigma 4-6"


# ----------------------------------------------------------------------------- checks
def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _check_alpha(alpha) -> float:
    if not (_is_real(alpha) and math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha (displacement scale, pixels) must be a finite number >= 0, got {alpha!r}; "
                         f"use 0 for no distortion ({_ADVICE})")
    return float(alpha)


def _check_sigma(sigma) -> float:
    if not (_is_real(sigma) and math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma (Gaussian smoothing width, pixels) must be a finite number > 0, got {sigma!r}; "
                         f"{_ADVICE}")
    return float(sigma)


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__} {rng!r}; "
                         "use rng=np.random.default_rng(seed)")
    return rng


def _check_images(images, name: str, ndim: int) -> np.ndarray:
    """A finite, non-negative real array with ``ndim`` dimensions and no empty image axis, as float64."""
    what = "a 2-D (H, W) image" if ndim == 2 else "a 3-D (B, H, W) stack of images"
    a = np.asarray(images)
    if a.ndim != ndim or a.shape[-1] == 0 or a.shape[-2] == 0:
        raise ValueError(f"{name} must be {what} (e.g. MNIST {'28x28' if ndim == 2 else '(B, 28, 28)'}, "
                         f"uint8 0..255 or float 0..1), got shape {a.shape}")
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"{name} must hold real intensities (uint8 or float), got dtype {a.dtype}; "
                         f"convert it with {name}.astype(np.float64)")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name} contains {bad} NaN/inf value(s); use finite intensities "
                         "(uint8 0..255 or float 0..1)")
    if a.size and a.min() < 0:
        raise ValueError(f"{name} must be non-negative intensities, smallest value is {float(a.min())!r}; "
                         "use uint8 0..255 or float 0..1 (not mean-subtracted data)")
    return a


def _check_count(x, name: str) -> int:
    if not (isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_)) and x >= 0):
        raise ValueError(f"{name} must be an integer >= 0 (it keys the random stream), got {x!r}; "
                         f"use e.g. {name}=0")
    return int(x)


def _check_shape(shape) -> tuple[int, int]:
    ok = (isinstance(shape, (tuple, list)) and len(shape) == 2
          and all(isinstance(s, numbers.Integral) and not isinstance(s, (bool, np.bool_)) and s > 0
                  for s in shape))
    if not ok:
        raise ValueError(f"shape must be a pair of positive integers (H, W) in pixels, got {shape!r}; "
                         "use e.g. shape=(28, 28)")
    return int(shape[0]), int(shape[1])


# ----------------------------------------------------------------------------- core
def _field(shape: tuple[int, int], alpha: float, sigma: float,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unchecked :func:`displacement_field`: always draws dx then dy, 2*H*W uniforms."""
    dx = gaussian_filter(rng.uniform(-1.0, 1.0, size=shape), sigma, mode="constant", cval=0.0) * alpha
    dy = gaussian_filter(rng.uniform(-1.0, 1.0, size=shape), sigma, mode="constant", cval=0.0) * alpha
    return dx, dy


def _warp(image: np.ndarray, alpha: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Unchecked :func:`elastic_distort` for a float64 (H, W) image."""
    dx, dy = _field(image.shape, alpha, sigma, rng)     # drawn even for alpha=0: same rng use for any alpha
    if alpha == 0:
        return image.copy()
    rows, cols = np.meshgrid(np.arange(image.shape[0], dtype=np.float64),
                             np.arange(image.shape[1], dtype=np.float64), indexing="ij")
    out = map_coordinates(image, [rows + dy, cols + dx], order=1, mode="constant", cval=0.0)
    # Bilinear interpolation already stays within [min(image, 0), max(image)]; the clip removes
    # round-off above the maximum and, for images whose minimum is > 0, lifts the zeros read
    # from outside the frame to that minimum (the background level).
    return np.clip(out, image.min(), image.max())


# ----------------------------------------------------------------------------- public API
def displacement_field(shape, alpha: float, sigma: float,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The smoothed random displacement field that :func:`elastic_distort` applies.

    ``elastic_distort(image, alpha, sigma, rng)`` warps with exactly the field that
    ``displacement_field(image.shape, alpha, sigma, rng)`` returns for a generator in the
    same state (both draw dx first, then dy).

    Args:
        shape: (H, W) image size in pixels.
        alpha: scale of the displacements, pixels (>= 0).
        sigma: standard deviation of the Gaussian smoothing, pixels (> 0).
        rng: numpy Generator; 2*H*W uniforms are drawn from it.
    Returns:
        (dx, dy): two float64 (H, W) arrays of displacements in pixels; dx along columns (x),
        dy along rows (y).  Output pixel (r, c) reads the input at (r + dy, c + dx).
    Raises:
        ValueError: bad shape, alpha, sigma or rng (the message names the parameter).
    """
    shape = _check_shape(shape)
    return _field(shape, _check_alpha(alpha), _check_sigma(sigma), _check_rng(rng))


def elastic_distort(image, alpha: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Elastically distort one image (Simard, Steinkraus & Platt 2003).

    Args:
        image: (H, W) non-negative finite intensities, uint8 or float (e.g. MNIST 28x28).
        alpha: scale of the displacements, pixels (>= 0); 0 returns the image unchanged.
            Simard et al.: 34 for 28x28 MNIST.
        sigma: standard deviation of the Gaussian that smooths the random field, pixels (> 0).
            Simard et al.: 4.
        rng: numpy Generator.  2*H*W uniforms are drawn from it whatever alpha is.
    Returns:
        float64 (H, W) array: the image sampled at the displaced positions with bilinear
        interpolation (out-of-frame positions read 0), clipped to the input's
        [min, max] range.  For alpha = 0 it equals ``image.astype(np.float64)`` exactly.
    Raises:
        ValueError: bad image, alpha, sigma or rng (one line naming the parameter and value).
    """
    img = _check_images(image, "image", 2)
    return _warp(img, _check_alpha(alpha), _check_sigma(sigma), _check_rng(rng))


def distortion_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The random stream of one sample's distortion: ``SeedSequence([seed, 7, epoch, index, 1])``.

    The trailing 1 matters: SeedSequence ignores trailing zeros, so without it sample 0 would share
    the stream ``[seed, 7, epoch]`` with the trainer's input spikes of epoch 7, batch ``epoch - 1``.

    Args:
        seed: run seed (integer >= 0).
        epoch: training epoch (integer >= 0).
        index: the sample's index in the training set (integer >= 0).
    Returns:
        A fresh numpy Generator; the same arguments always give the same stream.
    """
    key = [_check_count(seed, "seed"), _STREAM_TAG, _check_count(epoch, "epoch"), _check_count(index, "index"), 1]
    return np.random.default_rng(np.random.SeedSequence(key))


def distort_batch(images, alpha: float, sigma: float, seed: int, epoch: int, indices) -> np.ndarray:
    """Elastically distort a batch; each sample's distortion depends only on (seed, epoch, index).

    Sample i is distorted with ``elastic_distort(images[i], alpha, sigma,
    distortion_rng(seed, epoch, indices[i]))``, so the result for one sample is the same
    bit for bit in any batch, in any order, and after resuming a run.

    Args:
        images: (B, H, W) non-negative finite intensities, uint8 or float.
        alpha: scale of the displacements, pixels (>= 0); Simard et al.: 34.
        sigma: Gaussian smoothing width, pixels (> 0); Simard et al.: 4.
        seed: run seed (integer >= 0).
        epoch: training epoch (integer >= 0); a new epoch gives new distortions.
        indices: (B,) integer index (>= 0) of each sample in the training set.
    Returns:
        float64 (B, H, W) array of distorted images, each clipped to its own input's [min, max].
    Raises:
        ValueError: bad images, alpha, sigma, seed, epoch or indices (the message names it).
    """
    imgs = _check_images(images, "images", 3)
    alpha, sigma = _check_alpha(alpha), _check_sigma(sigma)
    seed, epoch = _check_count(seed, "seed"), _check_count(epoch, "epoch")
    idx = np.asarray(indices)
    if idx.shape != (len(imgs),) or not (idx.size == 0 or np.issubdtype(idx.dtype, np.integer)):
        raise ValueError(f"indices must be a 1-D integer array with one training-set index per image "
                         f"({len(imgs)}), got shape {idx.shape} dtype {idx.dtype}; use e.g. "
                         "indices=np.arange(start, start + len(images))")
    if idx.size and idx.min() < 0:
        raise ValueError(f"indices must be >= 0 (training-set positions), smallest is {int(idx.min())}; "
                         "use the sample's position in the training set")
    out = np.empty_like(imgs)
    for i, img in enumerate(imgs):
        out[i] = _warp(img, alpha, sigma, distortion_rng(seed, epoch, int(idx[i])))
    return out
