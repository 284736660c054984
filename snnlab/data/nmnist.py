"""N-MNIST (Orchard et al. 2015) in its original binary format.

Each sample is one ``.bin`` file, 5 bytes per event:
byte 0 = x, byte 1 = y (0..33), bit 7 of byte 2 = polarity (1 = on),
bits 22..0 of bytes 2..4 = timestamp in microseconds (big-endian).
Folders: ``<root>/nmnist/Train|Test/<digit>/<sample number>.bin``.

Timestamp overflow: an event with ``y == 240`` is not a pixel event but an overflow marker;
every later event's timestamp is increased by 2**13 us per marker before it, and the markers are
dropped. This is the rule of Tonic's ``read_mnist_file`` ("Process time stamp overflow events",
adapted from Garrick Orchard's ``eventvision.read_dataset``). Orchard's own ``read_dataset``
tests ``y == 240 and x == 305``, a condition carried over from his 4-byte ATIS reader
(``read_aer``, 9-bit x) that a one-byte x can never satisfy; his MATLAB ``Read_Ndataset.m`` has
no overflow handling at all. N-MNIST streams last ~0.3 s, far below the 23-bit (8.4 s) timestamp
range, so no real N-MNIST file is expected to hold a marker (none of the 1,101 local samples does).

Lookup of a split (:func:`find_nmnist_root`): explicit path -> ``$SNNLAB_DATA`` -> user cache ->
download of the split's archive (``Train.zip`` / ``Test.zip`` from the public mirrors in
:data:`snnlab.data.registry.NMNIST_MIRRORS`, MD5-verified before extraction) and an atomic
extraction into the user cache (unzipped into a hidden temporary sibling folder, then renamed to
``<cache>/nmnist/Train``; an interrupted or failed extraction leaves no folder of that name).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..events import DVS_DTYPE, dvs_to_channels
from . import registry
from .registry import CorruptFileError, DataError, cache_dir, data_dir

__all__ = ["read_nmnist_bin", "load_nmnist", "nmnist_to_channels", "find_nmnist_root",
           "extract_nmnist_archive", "NMNIST_SOURCE", "NMNIST_ARCHIVES"]

NMNIST_SOURCE = "https://www.garrickorchard.com/datasets/n-mnist"
SENSOR = 34                      # 34 x 34 pixels
_OVERFLOW_Y = 240                # ATIS timestamp-overflow marker: y == 240 (Tonic's read_mnist_file)
_OVERFLOW_DT = 1 << 13           # us added to every later event per marker

NMNIST_ARCHIVES = {"Train": "nmnist/Train.zip", "Test": "nmnist/Test.zip"}
"""Registry names (see :data:`snnlab.data.registry.REGISTRY`) of the archive of each split."""

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
    if overflow.any():            # not expected in N-MNIST (streams are ~0.3 s); see the module doc
        # markers at or before each event; the markers themselves are dropped just below
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


def find_nmnist_root(split: str = "train", path: str | os.PathLike | None = None,
                     download: bool = True, keep_archive: bool = False) -> Path:
    """Folder ``.../nmnist/Train`` (or ``Test``) holding ``<digit>/<n>.bin``.

    Lookup order: explicit ``path`` -> ``$SNNLAB_DATA`` -> user cache -> (if ``download``) the
    split's archive, found by :func:`snnlab.data.registry.find_file` (``$SNNLAB_DATA`` -> cache ->
    download from the mirrors, MD5-verified) and extracted atomically into the user cache.

    Args:
        split: ``"train"`` or ``"test"``.
        path: folder holding ``nmnist/<Split>`` or ``<Split>``, or the split folder itself. If given
            and not found there, this is an error (never silently replaced by another location).
        download: allow the archive lookup / download (step 4). ~1 GB for ``Train.zip``.
        keep_archive: keep a downloaded archive in the cache after a successful extraction
            (default: delete it; the extracted folder is what the loader reads).
    Returns:
        the split folder.
    Raises:
        DataError: not found anywhere / download failed / archive corrupt (the message says where
            it looked and what to do).
    """
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

    how = (f"Get {split_name}.zip from {NMNIST_SOURCE} (or the mirrors in "
           "snnlab.data.registry.NMNIST_MIRRORS), unpack it as <folder>/nmnist/"
           f"{split_name}/<digit>/<n>.bin and set SNNLAB_DATA=<folder> (or pass path=<folder>), or put "
           f"the archive at {croot / NMNIST_ARCHIVES[split_name]}. A real subset (1,000 train + 100 "
           "test samples) is in ../shared/data: SNNLAB_DATA=../shared/data.")
    if not download:
        searched.append("download: not allowed (download=False)")
        raise DataError(f"N-MNIST {split_name} data not found. Searched:\n  - " + "\n  - ".join(searched)
                        + "\n" + how)
    relzip = NMNIST_ARCHIVES[split_name]
    try:
        archive = registry.find_file(relzip)
    except CorruptFileError:
        raise                             # one line: which file, what to do
    except DataError as e:
        raise DataError(f"N-MNIST {split_name} data not found and its archive could not be obtained. "
                        "Searched:\n  - " + "\n  - ".join(searched) + f"\nArchive {relzip}: {e}\n"
                        + how) from None
    in_cache = _is_inside(archive, croot)
    out = extract_nmnist_archive(archive, croot / "nmnist", split_name,
                                 delete_bad_archive=in_cache)
    if in_cache and not keep_archive:
        archive.unlink(missing_ok=True)
    return out


def _is_inside(p: Path, root: Path) -> bool:
    try:
        Path(p).resolve().relative_to(Path(root).resolve())
        return True
    except ValueError:
        return False


def extract_nmnist_archive(archive: str | os.PathLike, dest: str | os.PathLike, split_name: str,
                           delete_bad_archive: bool = False) -> Path:
    """Unzip an N-MNIST archive into ``dest/<split_name>``, atomically.

    The archive is unpacked into a hidden temporary sibling folder
    (``dest/.<split_name>.partial-*``), checked (every member's CRC-32 is verified while unzipping;
    the split folder must hold ``<digit>/*.bin``) and only then renamed to ``dest/<split_name>``.
    On any failure the temporary folder is removed, so no folder that looks complete is left
    behind; if the process is killed mid-way, only a ``.partial-*`` folder (never read) remains.

    Args:
        archive: the zip (already checksum-verified by the caller, e.g. :func:`find_file`).
        dest: folder that will hold the split folder (e.g. ``<cache>/nmnist``).
        split_name: ``"Train"`` or ``"Test"``; the zip holds ``<split_name>/<digit>/<n>.bin``
            (or ``<digit>/<n>.bin`` at its top level).
        delete_bad_archive: delete ``archive`` if it turns out to be damaged (for files in the cache;
            never set it for a user's own copy).
    Returns:
        ``dest/<split_name>``.
    Raises:
        DataError (one line, naming the archive and what to do): damaged / truncated zip, unsafe
            member paths, no ``<digit>/*.bin`` inside.
    """
    archive, dest = Path(archive), Path(dest)
    final = dest / split_name
    if final.is_dir():
        return final
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{split_name}.partial-", dir=dest))

    def bad(reason: str) -> DataError:
        if delete_bad_archive:
            archive.unlink(missing_ok=True)
            fate = "the archive was deleted; run again to re-download it"
        else:
            fate = f"replace it with a good copy (or delete it: rm '{archive}')"
        return DataError(f"{archive}: {reason}; nothing was extracted to {final}, {fate}.")

    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                root = tmp.resolve()
                for info in zf.infolist():
                    target = (tmp / info.filename).resolve()
                    if target != root and root not in target.parents:
                        raise bad(f"unsafe member path {info.filename!r} in the zip")
                zf.extractall(tmp)             # reads every member: CRC-32 mismatch -> BadZipFile
        except DataError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
            raise bad(f"damaged or truncated zip archive ({type(e).__name__}: {e})") from None
        src = tmp / split_name if (tmp / split_name).is_dir() else tmp
        if not any(any((src / str(dig)).glob("*.bin")) for dig in range(10) if (src / str(dig)).is_dir()):
            raise bad(f"no {split_name}/<digit>/<n>.bin files inside: not an N-MNIST {split_name} archive")
        try:
            os.rename(src, final)              # atomic on one file system
        except OSError:
            if not final.is_dir():             # (another process may have finished first)
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _split_name(split: str) -> str:
    s = str(split).lower()
    if s not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return s.capitalize()


def load_nmnist(split: str = "train", path: str | os.PathLike | None = None, digits=None,
                limit: int | None = None, download: bool = True) -> tuple[list[np.ndarray], np.ndarray]:
    """Load N-MNIST samples in dataset order.

    Args:
        split: ``"train"`` or ``"test"``.
        path: folder holding ``nmnist/Train|Test`` (or the split folder itself).
        digits: iterable of digits to keep (default all 0..9).
        limit: keep only the first ``limit`` samples (in dataset order, after the digit filter).
        download: allow downloading the split's archive if it is found nowhere locally
            (see :func:`find_nmnist_root`).
    Returns:
        (list of DVS event arrays (x, y, p, t in s), labels (N,) uint8). Samples are ordered by
        their file number, i.e. the N-MNIST / MNIST sample index, across digit folders.
    """
    root = find_nmnist_root(split, path, download=download)
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
