"""Emulated N-MNIST: MNIST digits turned into event streams by the DVS saccade emulator, cached.

The full N-MNIST (60,000 + 10,000 recordings) cannot always be downloaded; its recordings are MNIST
digits seen by a DVS camera making three saccades.  :func:`emulated_nmnist` runs
:func:`snnlab.data.emulator.emulate` on the MNIST digits of a split and keeps the result in the user
cache as plain arrays (``.npz``, loaded with ``allow_pickle=False``; written atomically), so the
streams are made once per machine.  Stream k depends only on (split, k, seed, emulator parameters).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..events import DVS_DTYPE
from .registry import cache_dir

FORMAT = 1


def _key(split, seed, params) -> str:
    """Stream k depends on (split, k, seed, params) only: one key for all lengths of the cache."""
    text = json.dumps({"format": FORMAT, "split": split, "seed": seed,
                       "params": dataclasses.asdict(params)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cached(folder, split, n, key):
    """A cache file with at least ``n`` streams of this key (the shortest such), or None."""
    best = None
    for f in folder.glob(f"{split}-*-{key}.npz"):
        try:
            size = int(f.name.split("-")[1])
        except ValueError:
            continue
        if size >= n and (best is None or size < best[0]):
            best = (size, f)
    return None if best is None else best[1]


def pack(streams) -> dict:
    """Event streams -> flat arrays (x, y, p, t) plus offsets, for ``np.savez``."""
    sizes = np.array([s.size for s in streams], dtype=np.int64)
    flat = np.concatenate(streams) if streams else np.zeros(0, DVS_DTYPE)
    return {"offsets": np.concatenate([[0], np.cumsum(sizes)]), "x": flat["x"], "y": flat["y"],
            "p": flat["p"], "t": flat["t"]}


def unpack(arrays) -> list[np.ndarray]:
    """The inverse of :func:`pack`."""
    off = arrays["offsets"]
    flat = np.empty(int(off[-1]), DVS_DTYPE)
    for f in ("x", "y", "p", "t"):
        flat[f] = arrays[f]
    return [flat[off[i]:off[i + 1]] for i in range(off.size - 1)]


def emulated_nmnist(split="train", n=None, seed=0, params=None, progress=False):
    """Emulated N-MNIST streams of the first ``n`` MNIST digits of ``split`` (cached).

    Args:
        split: "train" or "test" (MNIST's).  n: how many (None: all).  seed: emulator noise seed.
        params: :class:`snnlab.data.emulator.EmulatorParams` (default: the fitted ones).
    Returns:
        (list of DVS event arrays, labels (n,) uint8).
    """
    from .emulator import EmulatorParams, emulate
    from .mnist import load_mnist
    if n is not None and not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be a whole number of digits >= 1 (or None for all), got {n!r}")
    params = params or EmulatorParams()
    images, labels = load_mnist(split)
    images, labels = images[:n], labels[:n]
    key = _key(split, seed, params)
    folder = cache_dir() / "nmnist-emulated"
    file = folder / f"{split}-{len(labels)}-{key}.npz"
    found = _cached(folder, split, len(labels), key)
    if found is not None:               # the first n streams of a longer cache are the same streams
        with np.load(found, allow_pickle=False) as z:
            return unpack(z)[:len(labels)], labels
    streams = []
    chunk = 2000
    rng = np.random.default_rng(seed)          # emulate() spawns one child per stream from it, in order:
    for s in range(0, len(labels), chunk):     # stream k is child k, whatever the chunking
        if progress:
            print(f"emulating N-MNIST {split} digits {s}..{min(s + chunk, len(labels))} of {len(labels)}", flush=True)
        streams.extend(emulate(images[s:s + chunk], params, rng=rng))
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.tmp-{os.getpid()}.npz")
    try:
        np.savez(tmp, **pack(streams))
        os.replace(tmp, file)
    finally:
        if tmp.exists():
            tmp.unlink()
    return streams, labels
