"""N-MNIST (Orchard et al. 2015) in its original binary format.

Each sample is one ``.bin`` file, 5 bytes per event:
byte 0 = x, byte 1 = y (0..33), bit 7 of byte 2 = polarity (1 = on),
bits 22..0 of bytes 2..4 = timestamp in microseconds (big-endian).
Folders: ``<root>/nmnist/Train|Test/<digit>/<sample number>.bin``.

The full dataset (60,000 + 10,000 samples) is not downloaded automatically; get it from
https://www.garrickorchard.com/datasets/n-mnist and unpack it as above.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..events import DVS_DTYPE, dvs_to_channels
from .registry import DataError, cache_dir, data_dir

__all__ = ["read_nmnist_bin", "load_nmnist", "nmnist_to_channels", "find_nmnist_root",
           "NMNIST_SOURCE"]

NMNIST_SOURCE = "https://www.garrickorchard.com/datasets/n-mnist"
SENSOR = 34                      # 34 x 34 pixels
_OVERFLOW_Y = 240                # ATIS timestamp-overflow marker (as in Orchard's Read_Ndataset.m)
_OVERFLOW_DT = 1 << 13

nmnist_to_channels = dvs_to_channels
"""DVS events -> channel events (channel = p*34*34 + y*34 + x); alias of :func:`snnlab.events.dvs_to_channels`."""


def read_nmnist_bin(file: str | os.PathLike) -> np.ndarray:
    """Read one N-MNIST sample.

    Returns:
        structured array of :data:`snnlab.events.DVS_DTYPE` (x, y, p, t), ``t`` in seconds.
    Raises:
        DataError naming the file: empty, length not a multiple of 5, coordinates outside 0..33.
    """
    file = Path(file)
    raw = np.fromfile(file, dtype=np.uint8)
    if raw.size == 0:
        raise DataError(f"{file} is empty (0 bytes): not an N-MNIST sample (expected 5 bytes per event). "
                        "Re-copy or re-extract it.")
    if raw.size % 5:
        raise DataError(f"{file} has {raw.size} bytes, not a multiple of 5: truncated or not an "
                        "N-MNIST .bin file")
    b = raw.reshape(-1, 5).astype(np.int64)
    x, y = b[:, 0], b[:, 1]
    p = b[:, 2] >> 7
    t_us = ((b[:, 2] & 0x7F) << 16) | (b[:, 3] << 8) | b[:, 4]
    overflow = y == _OVERFLOW_Y
    if overflow.any():            # never happens in N-MNIST (streams are ~0.3 s); kept for fidelity
        t_us = t_us + _OVERFLOW_DT * np.cumsum(overflow)
        keep = ~overflow
        x, y, p, t_us = x[keep], y[keep], p[keep], t_us[keep]
    bad = (x >= SENSOR) | (y >= SENSOR)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{file}: event {i} has x={int(x[i])}, y={int(y[i])}, outside the "
                        f"{SENSOR} x {SENSOR} N-MNIST sensor (0..{SENSOR - 1}); {int(bad.sum())} such "
                        "events. Not an N-MNIST file (another DVS dataset?) or corrupt.")
    ev = np.empty(x.size, dtype=DVS_DTYPE)
    ev["x"], ev["y"], ev["p"] = x, y, p
    ev["t"] = t_us * 1e-6
    if ev.size > 1 and np.any(np.diff(ev["t"]) < 0):
        ev = ev[np.argsort(ev["t"], kind="stable")]
    return ev


def _split_dir(root: Path, split_name: str) -> Path | None:
    for cand in (root / "nmnist" / split_name, root / split_name):
        if cand.is_dir():
            return cand
    return None


def find_nmnist_root(split: str = "train", path: str | os.PathLike | None = None) -> Path:
    """Folder ``.../nmnist/Train`` (or ``Test``): explicit path -> $SNNLAB_DATA -> user cache."""
    split_name = _split_name(split)
    searched = []
    if path is not None:
        p = Path(path).expanduser()
        if p.is_dir() and p.name == split_name and any(p.glob("[0-9]")):
            return p
        d = _split_dir(p, split_name)
        if d is not None:
            return d
        raise DataError(f"N-MNIST {split_name} folder not found at the explicit path {p}: expected "
                        f"{p}/nmnist/{split_name}/<digit>/<n>.bin or {p}/{split_name}/<digit>/<n>.bin.")
    searched.append("explicit path argument: not given")
    droot = data_dir()
    if droot is not None:
        d = _split_dir(droot, split_name)
        if d is not None:
            return d
        searched.append(f"$SNNLAB_DATA: {droot / 'nmnist' / split_name} (missing)")
    else:
        searched.append("$SNNLAB_DATA: not set")
    croot = cache_dir()
    d = _split_dir(croot, split_name)
    if d is not None:
        return d
    searched.append(f"user cache: {croot / 'nmnist' / split_name} (missing)")
    raise DataError(
        f"N-MNIST {split_name} data not found. Searched:\n  - " + "\n  - ".join(searched)
        + "\nThe full N-MNIST is not downloaded automatically here. Get it from "
        + NMNIST_SOURCE + f" and unpack it as <folder>/nmnist/{split_name}/<digit>/<n>.bin, then set "
          "SNNLAB_DATA=<folder> (or pass path=<folder>). A real subset (1,000 train + 100 test samples) "
          "is in ../shared/data: SNNLAB_DATA=../shared/data.")


def _split_name(split: str) -> str:
    s = str(split).lower()
    if s not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return s.capitalize()


def load_nmnist(split: str = "train", path: str | os.PathLike | None = None, digits=None,
                limit: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Load N-MNIST samples in dataset order.

    Args:
        split: ``"train"`` or ``"test"``.
        path: folder holding ``nmnist/Train|Test`` (or the split folder itself).
        digits: iterable of digits to keep (default all 0..9).
        limit: keep only the first ``limit`` samples (in dataset order, after the digit filter).
    Returns:
        (list of DVS event arrays (x, y, p, t in s), labels (N,) uint8). Samples are ordered by
        their file number, i.e. the N-MNIST / MNIST sample index, across digit folders.
    """
    root = find_nmnist_root(split, path)
    digits = list(range(10)) if digits is None else sorted({int(d) for d in digits})
    for d in digits:
        if not 0 <= d <= 9:
            raise ValueError(f"digits must be in 0..9, got {d}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    entries = []
    for d in digits:
        for f in (root / str(d)).glob("*.bin"):
            num = int(f.stem) if f.stem.isdigit() else None
            entries.append((num if num is not None else float("inf"), f.name, d, f))
    if not entries:
        raise DataError(f"no .bin files for digits {digits} under {root} "
                        f"(expected {root}/<digit>/<n>.bin)")
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    if limit is not None:
        entries = entries[:limit]
    events = [read_nmnist_bin(e[3]) for e in entries]
    labels = np.array([e[2] for e in entries], dtype=np.uint8)
    return events, labels
