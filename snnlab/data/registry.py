"""Where data files come from: explicit path -> $SNNLAB_DATA -> user cache -> download.

Every known file has an MD5 checksum. Local copies are checked against it (the verdict
is remembered per (path, size, mtime), so repeated loads are cheap); downloads go
through :func:`pooch.retrieve`, which writes to a temporary file next to the target
and only moves it into place once the checksum matches -- a partial or corrupt
download is never left behind and never used.

Environment variables:
    SNNLAB_DATA       a folder laid out like ``../shared/data`` (``mnist/``, ``nmnist/``).
    SNNLAB_CACHE      overrides the user cache folder (default: ``pooch.os_cache("snnlab")``,
                      e.g. ``~/.cache/snnlab`` on Linux).
    SNNLAB_MNIST_URL  base URL(s) of an MNIST mirror (comma-separated), replacing the defaults.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
from pathlib import Path

import pooch

__all__ = ["DataError", "REGISTRY", "MNIST_MIRRORS", "find_file", "cache_dir", "data_dir",
           "file_md5", "check_md5", "urls_for"]


class DataError(ValueError):
    """A data file is missing, corrupt or not in the expected format (the message says which and what to do)."""


MNIST_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
"""Public MNIST mirrors, tried in order (byte-identical copies of LeCun's original files)."""

_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

REGISTRY: dict[str, dict] = {
    f"mnist/{name}": {"md5": md5, "mirrors": "mnist"} for name, md5 in _MNIST_MD5.items()
}
"""Known files: relative path -> {"md5": ..., "mirrors": <mirror group>}."""


def _mirrors(group: str) -> list[str]:
    if group == "mnist":
        env = os.environ.get("SNNLAB_MNIST_URL", "").strip()
        if env:
            return [u.strip() for u in env.split(",") if u.strip()]
        return list(MNIST_MIRRORS)
    return []


def urls_for(relpath: str) -> list[str]:
    """Download URLs of a registered file (honours ``$SNNLAB_MNIST_URL``)."""
    entry = REGISTRY.get(relpath)
    if not entry:
        return []
    name = relpath.rsplit("/", 1)[-1]
    return [base.rstrip("/") + "/" + name for base in _mirrors(entry.get("mirrors", ""))]


def cache_dir() -> Path:
    """The user cache folder (``$SNNLAB_CACHE`` or ``pooch.os_cache("snnlab")``)."""
    env = os.environ.get("SNNLAB_CACHE")
    return Path(env).expanduser() if env else Path(pooch.os_cache("snnlab"))


def data_dir() -> Path | None:
    """``$SNNLAB_DATA`` as a Path, or None if unset."""
    env = os.environ.get("SNNLAB_DATA")
    return Path(env).expanduser() if env else None


# --------------------------------------------------------------------------- checksums
_MD5_VERDICTS: dict[tuple, str] = {}


def file_md5(path: str | os.PathLike) -> str:
    """MD5 hex digest of a file, remembered per (path, size, mtime) in this process."""
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    if key not in _MD5_VERDICTS:
        h = hashlib.md5()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _MD5_VERDICTS[key] = h.hexdigest()
    return _MD5_VERDICTS[key]


def check_md5(path: Path, md5: str | None, where: str, relpath: str) -> None:
    """Raise :class:`DataError` if ``path`` does not have the expected MD5 (no-op if ``md5`` is None)."""
    if not md5:
        return
    actual = file_md5(path)
    if actual != md5.lower():
        raise DataError(
            f"{path} (found via {where}) fails its checksum: expected MD5 {md5}, got {actual}. "
            f"The file is corrupt, truncated or a different version of {relpath!r}. "
            f"Delete it so it can be re-downloaded (rm '{path}'), replace it with a good copy, "
            f"or point SNNLAB_DATA at a folder holding a verified copy (e.g. ../shared/data).")


# --------------------------------------------------------------------------- lookup
@contextlib.contextmanager
def _quiet_pooch():
    logger = pooch.get_logger()
    old = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(old)


def _candidates_in_dir(d: Path, relpath: str) -> list[Path]:
    name = relpath.rsplit("/", 1)[-1]
    cands = [d / relpath]
    if name != relpath:
        cands.append(d / name)          # a folder holding the files directly (e.g. .../mnist)
    return cands


def find_file(relpath: str, path: str | os.PathLike | None = None, md5: str | None = None,
              urls: list[str] | None = None) -> Path:
    """Locate (or download) a data file and return its path, checksum-verified.

    Lookup order:
      1. ``path`` if given: a file (used as is) or a folder holding ``relpath``
         (or the file's bare name). If given and the file is not there, this is an error:
         an explicit location is never silently replaced by another one.
      2. ``$SNNLAB_DATA/<relpath>``.
      3. the user cache ``<cache>/<relpath>`` (see :func:`cache_dir`).
      4. download from ``urls`` (default: the registered mirrors) into the user cache.

    Args:
        relpath: path relative to a data root, e.g. ``"mnist/train-images-idx3-ubyte.gz"``.
        path: explicit file or folder.
        md5: expected MD5 (default: the registry's, if the file is registered).
        urls: download URLs to try in order (default: the registry's mirrors).
    Raises:
        DataError: checksum mismatch (local or downloaded), or file not found anywhere
            and not downloadable (the message lists every place searched).
    """
    relpath = relpath.replace(os.sep, "/").strip("/")
    entry = REGISTRY.get(relpath, {})
    md5 = (md5 or entry.get("md5") or None)
    md5 = md5.lower() if md5 else None
    urls = list(urls) if urls is not None else urls_for(relpath)

    # 1. explicit path
    if path is not None:
        p = Path(path).expanduser()
        if p.is_file():
            check_md5(p, md5, "the explicit path argument", relpath)
            return p
        tried = _candidates_in_dir(p, relpath) if p.is_dir() else [p]
        for c in tried:
            if c.is_file():
                check_md5(c, md5, "the explicit path argument", relpath)
                return c
        raise DataError(f"{relpath!r} not found at the explicit path given: looked at "
                        + ", ".join(str(c) for c in tried)
                        + ". Pass the file itself, or a folder containing "
                          f"{relpath!r}, or leave path=None to use $SNNLAB_DATA / the cache / a download.")

    searched: list[str] = ["explicit path argument: not given"]

    # 2. $SNNLAB_DATA
    droot = data_dir()
    if droot is None:
        searched.append("$SNNLAB_DATA: not set")
    else:
        c = droot / relpath
        if c.is_file():
            check_md5(c, md5, f"$SNNLAB_DATA={droot}", relpath)
            return c
        searched.append(f"$SNNLAB_DATA: {c} (missing)")

    # 3. user cache
    croot = cache_dir()
    target = croot / relpath
    if target.is_file():
        check_md5(target, md5, f"the user cache {croot}", relpath)
        return target
    searched.append(f"user cache: {target} (missing)")

    # 4. download
    if not urls:
        searched.append("download: no known URL for this file")
    failures: list[str] = []
    bad_checksum: list[str] = []
    for url in urls:
        try:
            with _quiet_pooch():
                got = pooch.retrieve(url, known_hash=f"md5:{md5}" if md5 else None,
                                     fname=target.name, path=target.parent,
                                     progressbar=sys.stderr.isatty())
            return Path(got)
        except ValueError as e:       # pooch: hash mismatch (the temp file is already deleted)
            bad_checksum.append(f"{url}: {e}")
        except Exception as e:        # requests/OS errors: offline, 404, DNS, ...
            failures.append(f"{url}: {type(e).__name__}: {e}")
    for f in failures:
        searched.append(f"download: {f}")

    if bad_checksum:
        raise DataError(
            f"Downloaded {relpath!r} but its checksum (MD5) does not match the expected {md5}; "
            "the corrupt download was discarded (nothing was written to the cache "
            f"{target.parent}). Details: " + " | ".join(bad_checksum)
            + (" | other mirrors: " + " | ".join(failures) if failures else "")
            + ". The mirror may be serving a different file; try again later, set SNNLAB_MNIST_URL "
              "to another mirror, or put a verified copy under $SNNLAB_DATA.")

    raise DataError(
        f"Could not find or download {relpath!r}. Searched, in order:\n  - "
        + "\n  - ".join(searched)
        + f"\nTo work offline, put the file at <folder>/{relpath} and set SNNLAB_DATA=<folder> "
          f"(e.g. SNNLAB_DATA=../shared/data), pass path=<file or folder>, or copy it to {target}.")
