"""MNIST from the original IDX gz files (LeCun et al.), MD5-checked.

    images, labels = load_mnist("train")     # (60000, 28, 28) uint8, (60000,) uint8

Parsed arrays are cached in this process (the trainer calls this repeatedly); they are
returned read-only so the cache cannot be modified by accident -- ``.copy()`` them to edit.
"""
from __future__ import annotations

import functools
import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from .registry import DataError, find_file

__all__ = ["load_mnist", "read_idx", "MNIST_FILES"]

MNIST_FILES = {
    "train": ("mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"),
    "test": ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"),
}

_MAGIC = {2051: 3, 2049: 1}     # images: 3 dims (n, rows, cols); labels: 1 dim (n)


def read_idx(file: str | os.PathLike, expected_magic: int) -> np.ndarray:
    """Parse one gzipped IDX file (unsigned-byte data) into a uint8 array.

    Args:
        file: path to a ``*-idx?-ubyte.gz`` file.
        expected_magic: 2051 for images, 2049 for labels.
    Raises:
        DataError naming the file: not gzip / corrupt gzip, wrong magic number,
        size that does not match the header's dimensions.
    """
    file = Path(file)
    raw = file.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        raise DataError(f"{file} is not a gzip file (starts with {raw[:4]!r}); expected a gzipped IDX "
                        "file such as train-images-idx3-ubyte.gz. Delete it and re-download, or point "
                        "SNNLAB_DATA at a good copy.")
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{file} is a damaged gzip file ({type(e).__name__}: {e}); it is probably a "
                        "partial download. Delete it and re-download, or point SNNLAB_DATA at a good copy.") from e
    ndim = _MAGIC[expected_magic]
    header = 4 + 4 * ndim
    if len(data) < 4:
        raise DataError(f"{file}: decompressed data has only {len(data)} bytes, too short for an IDX header")
    magic = int.from_bytes(data[:4], "big")
    if magic != expected_magic:
        kind = {2051: "images (idx3)", 2049: "labels (idx1)"}
        raise DataError(f"{file}: wrong IDX magic number: expected {expected_magic} "
                        f"({kind[expected_magic]}), found {magic}"
                        + (f" ({kind[magic]} -- images and labels swapped?)" if magic in kind else "")
                        + ". Not an MNIST file of the expected kind.")
    if len(data) < header:
        raise DataError(f"{file}: truncated IDX header ({len(data)} bytes, need {header})")
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expect = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expect:
        what = "truncated" if len(data) < expect else "has trailing bytes"
        raise DataError(f"{file}: {what}: the header says shape {dims} = {expect} bytes with header, "
                        f"but the file holds {len(data)} bytes. Delete it and re-download, or point "
                        "SNNLAB_DATA at a good copy.")
    arr = np.frombuffer(data, np.uint8, offset=header).reshape(dims)
    return arr


@functools.lru_cache(maxsize=8)
def _load_pair(img_path: str, lbl_path: str, _stamp: tuple) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(img_path, 2051)
    labels = read_idx(lbl_path, 2049)
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"image/label count mismatch: {img_path} has {images.shape[0]} images but "
                        f"{lbl_path} has {labels.shape[0]} labels; the two files are from different "
                        "splits or one is damaged.")
    if labels.size and labels.max() > 9:
        raise DataError(f"{lbl_path}: labels must be digits 0..9, found {int(labels.max())}")
    images = images.copy()
    labels = labels.copy()
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_mnist(split: str = "train", path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST images and labels.

    Args:
        split: ``"train"`` (60,000) or ``"test"`` (10,000).
        path: optional folder holding ``mnist/<file>`` or the four files directly.
            Default lookup: $SNNLAB_DATA -> user cache -> download (MD5-checked).
    Returns:
        images (N, 28, 28) uint8 in 0..255 and labels (N,) uint8 in 0..9 (read-only arrays).
    Raises:
        DataError: file missing / corrupt / wrong format (the message names the file).
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    rel_img, rel_lbl = MNIST_FILES[split]
    img = find_file(rel_img, path=path).resolve()
    lbl = find_file(rel_lbl, path=path).resolve()
    si, sl = img.stat(), lbl.stat()
    stamp = (si.st_size, si.st_mtime_ns, sl.st_size, sl.st_mtime_ns)
    return _load_pair(str(img), str(lbl), stamp)
