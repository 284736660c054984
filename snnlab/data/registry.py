"""Where data files come from: explicit path -> $SNNLAB_DATA -> user cache -> download.

Every known file has an MD5 checksum, and a SHA-256 where one is known (the four MNIST
files; not the N-MNIST archives, see below). Local copies are checked against the SHA-256
if the entry has one, else the MD5 (the digest is remembered per (path, size, mtime), so
repeated loads are cheap); downloads go through :func:`pooch.retrieve`, which writes to a
temporary file next to the target and only moves it into place once the checksum matches --
a partial or corrupt download is never left behind and never used. Plain ``http://``
downloads are refused for every registered file unless ``$SNNLAB_ALLOW_HTTP=1``.

Environment variables:
    SNNLAB_DATA       a folder laid out like ``../shared/data`` (``mnist/``, ``nmnist/``).
    SNNLAB_CACHE      overrides the user cache folder (default: ``pooch.os_cache("snnlab")``,
                      e.g. ``~/.cache/snnlab`` on Linux).
    SNNLAB_MNIST_URL  base URL(s) of an MNIST mirror (comma-separated), replacing the defaults.
    SNNLAB_NMNIST_URL base URL(s) of an N-MNIST mirror (comma-separated) serving ``Train.zip`` and
                      ``Test.zip`` under those names, replacing the default mirrors.
    SNNLAB_ALLOW_HTTP set to ``1`` to allow plain ``http://`` downloads of files registered as
                      https-only (all registered files: MNIST and the N-MNIST archives); meant
                      for a local test server.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
from pathlib import Path

import pooch

__all__ = ["DataError", "CorruptFileError", "REGISTRY", "MNIST_MIRRORS", "NMNIST_MIRRORS", "find_file", "cache_dir",
           "data_dir", "file_md5", "file_sha256", "check_md5", "check_sha256", "check_size", "urls_for"]


class DataError(ValueError):
    """A data file is missing, corrupt or not in the expected format (the message says which and what to do)."""


class CorruptFileError(DataError):
    """A file (local or downloaded) fails its checksum or size check; the message is one line."""


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
# SHA-256 of the same four files (LeCun's originals; computed from the verified copies in
# ../shared/data/mnist, whose MD5s are the published ones above).
_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# N-MNIST (Orchard et al. 2015): the two archives of the full dataset, Train.zip (60,000 samples)
# and Test.zip (10,000), each holding <Split>/<digit>/<sample number>.bin.
# Source of URLs and checksums: Tonic (github.com/neuromorphs/tonic, tonic/datasets/nmnist.py).
#  - Mendeley Data (dataset 468j46mzdv, DOI 10.17632/468j46mzdv.1): Tonic's mirror since Jan 2022
#    (commit 7070e82) and still at its newest version (Feb 2025); the file ids below are Tonic's.
#  - Dropbox (Garrick Orchard's shared folder tg2ljlbmtzygrag): Tonic's per-file links of 2020
#    (commit 1624a9f); Tonic dropped them in 2021 ("dropbox somehow changed their API"), so they may
#    be dead; kept as a last resort (a download is only used if its MD5 matches).
# Checksums: Tonic publishes MD5 only (train 20959b8e..., test 69ca8762..., unchanged in every Tonic
# version since 2020 and identical in SpikingJelly's NMNIST.resource_url_md5); no SHA-256 and no
# file size of the zips is published anywhere we found, so the archives are verified by MD5 (before
# extraction) and "size" stays None until a verified size is recorded here.
_MENDELEY = "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/"
_ORCHARD_DROPBOX = "https://www.dropbox.com/sh/tg2ljlbmtzygrag/"
NMNIST_MIRRORS = {
    "nmnist/Train.zip": (_MENDELEY + "39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded",
                         _ORCHARD_DROPBOX + "AABlMOuR15ugeOxMCX0Pvoxga/Train.zip?dl=1"),
    "nmnist/Test.zip": (_MENDELEY + "05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded",
                        _ORCHARD_DROPBOX + "AADSKgJ2CjaBWh75HnTNZyhca/Test.zip?dl=1"),
}
"""Public N-MNIST archive URLs (tried in order), as used by Tonic; see the comment above."""

# No SHA-256 of the N-MNIST archives is published (Tonic and SpikingJelly give MD5 only) and the
# archives are not on these machines to compute one, so they stay verified by MD5 (+ size, once
# known); add "sha256" to their entries when a verified copy is at hand.
_NMNIST_MD5 = {
    "nmnist/Train.zip": "20959b8e626244a1b502305a9e6e2031",
    "nmnist/Test.zip": "69ca8762b2fe404d9b9bad1103e97832",
}

REGISTRY: dict[str, dict] = {
    f"mnist/{name}": {"md5": md5, "sha256": _MNIST_SHA256[name], "mirrors": "mnist", "https_only": True}
    for name, md5 in _MNIST_MD5.items()
}
REGISTRY.update({
    rel: {"md5": md5, "mirrors": "nmnist", "urls": NMNIST_MIRRORS[rel], "size": None,
          "https_only": True}
    for rel, md5 in _NMNIST_MD5.items()
})
"""Known files: relative path -> entry. Entry keys:

- ``md5``: expected MD5 (hex);
- ``sha256`` (optional): expected SHA-256 (hex); when present it is what local copies and
  downloads are verified with (MD5 only for entries without one);
- ``mirrors``: mirror group (``"mnist"``: base URLs + file name; ``$SNNLAB_MNIST_URL`` overrides;
  ``"nmnist"``: ``$SNNLAB_NMNIST_URL`` overrides the entry's ``urls``);
- ``urls`` (optional): full download URLs, tried in order (used when the mirror group has no
  environment override);
- ``size`` (optional): expected size in bytes, checked before the MD5 (None: not known);
- ``https_only`` (optional): refuse ``http://`` URLs unless ``$SNNLAB_ALLOW_HTTP=1``.
"""

_MIRROR_ENV = {"mnist": "SNNLAB_MNIST_URL", "nmnist": "SNNLAB_NMNIST_URL"}


def _env_mirrors(group: str) -> list[str]:
    env = os.environ.get(_MIRROR_ENV.get(group, ""), "").strip() if group in _MIRROR_ENV else ""
    return [u.strip() for u in env.split(",") if u.strip()]


def _mirrors(group: str) -> list[str]:
    env = _env_mirrors(group)
    if env:
        return env
    if group == "mnist":
        return list(MNIST_MIRRORS)
    return []


def urls_for(relpath: str) -> list[str]:
    """Download URLs of a registered file (honours ``$SNNLAB_MNIST_URL`` / ``$SNNLAB_NMNIST_URL``)."""
    entry = REGISTRY.get(relpath)
    if not entry:
        return []
    name = relpath.rsplit("/", 1)[-1]
    group = entry.get("mirrors", "")
    if entry.get("urls") and not _env_mirrors(group):
        return list(entry["urls"])
    return [base.rstrip("/") + "/" + name for base in _mirrors(group)]


def http_allowed() -> bool:
    """True if ``$SNNLAB_ALLOW_HTTP`` is ``1`` (plain-http downloads of https-only files allowed)."""
    return os.environ.get("SNNLAB_ALLOW_HTTP", "").strip() == "1"


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
"""Digests already computed, per (path, size, mtime) for MD5 and ("sha256", path, size, mtime)."""


def _digest(path, algorithm: str) -> str:
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    key = key if algorithm == "md5" else (algorithm, *key)
    if key not in _MD5_VERDICTS:
        h = hashlib.new(algorithm)
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _MD5_VERDICTS[key] = h.hexdigest()
    return _MD5_VERDICTS[key]


def file_md5(path: str | os.PathLike) -> str:
    """MD5 hex digest of a file, remembered per (path, size, mtime) in this process."""
    return _digest(path, "md5")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, remembered per (path, size, mtime) in this process."""
    return _digest(path, "sha256")


def check_sha256(path: Path, sha256: str | None, where: str, relpath: str) -> None:
    """Raise :class:`CorruptFileError` if ``path`` does not have the expected SHA-256 (no-op if None).

    The message gives the expected and actual SHA-256 and the file's MD5 (to compare with
    published MD5 lists)."""
    if not sha256:
        return
    actual = file_sha256(path)
    if actual != sha256.lower():
        expected_md5 = REGISTRY.get(relpath, {}).get("md5")
        raise CorruptFileError(
            f"{path} (found via {where}) fails its checksum: expected SHA-256 {sha256}"
            + (f" (MD5 {expected_md5})" if expected_md5 else "")
            + f", got SHA-256 {actual} (MD5 {file_md5(path)}). "
            f"The file is corrupt, truncated or a different version of {relpath!r}. "
            f"Delete it so it can be re-downloaded (rm '{path}'), replace it with a good copy, "
            f"or point SNNLAB_DATA at a folder holding a verified copy (e.g. ../shared/data).")


def check_md5(path: Path, md5: str | None, where: str, relpath: str) -> None:
    """Raise :class:`DataError` if ``path`` does not have the expected MD5 (no-op if ``md5`` is None)."""
    if not md5:
        return
    actual = file_md5(path)
    if actual != md5.lower():
        raise CorruptFileError(
            f"{path} (found via {where}) fails its checksum: expected MD5 {md5}, got {actual}. "
            f"The file is corrupt, truncated or a different version of {relpath!r}. "
            f"Delete it so it can be re-downloaded (rm '{path}'), replace it with a good copy, "
            f"or point SNNLAB_DATA at a folder holding a verified copy (e.g. ../shared/data).")


def check_size(path: Path, size: int | None, where: str, relpath: str) -> None:
    """Raise :class:`DataError` if ``path`` is not ``size`` bytes long (no-op if ``size`` is None)."""
    if size is None:
        return
    actual = Path(path).stat().st_size
    if actual != int(size):
        what = "truncated" if actual < size else "too long"
        raise CorruptFileError(
            f"{path} (found via {where}) is {what}: {actual} bytes, expected {int(size)} bytes for "
            f"{relpath!r}. Delete it so it can be re-downloaded (rm '{path}') or replace it with a good copy.")


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
              urls: list[str] | None = None, sha256: str | None = None) -> Path:
    """Locate (or download) a data file and return its path, checksum-verified.

    Lookup order:
      1. ``path`` if given: a file (used as is) or a folder holding ``relpath``
         (or the file's bare name). If given and the file is not there, this is an error:
         an explicit location is never silently replaced by another one.
      2. ``$SNNLAB_DATA/<relpath>``.
      3. the user cache ``<cache>/<relpath>`` (see :func:`cache_dir`).
      4. download from ``urls`` (default: the registered mirrors) into the user cache. The
         checksum (SHA-256 if known, else MD5) is checked by pooch on a temporary file before it
         is moved into place, so an interrupted or corrupt download never appears under the final
         name. For entries marked ``https_only`` (every registered file), ``http://`` URLs are
         refused unless ``$SNNLAB_ALLOW_HTTP=1``.

    Args:
        relpath: path relative to a data root, e.g. ``"mnist/train-images-idx3-ubyte.gz"``.
        path: explicit file or folder.
        md5: expected MD5 (default: the registry's, if the file is registered).
        urls: download URLs to try in order (default: the registry's mirrors).
        sha256: expected SHA-256 (default: the registry's, unless ``md5`` is given: an explicit
            MD5 names another file than the registered one). Checked instead of the MD5.
    Raises:
        DataError: checksum mismatch (local or downloaded), or file not found anywhere
            and not downloadable (the message lists every place searched).
    """
    relpath = relpath.replace(os.sep, "/").strip("/")
    entry = REGISTRY.get(relpath, {})
    if sha256 is None and md5 is None:
        sha256 = entry.get("sha256")
    sha256 = sha256.lower() if sha256 else None
    md5 = (md5 or entry.get("md5") or None)
    md5 = md5.lower() if md5 else None
    size = entry.get("size")
    urls = list(urls) if urls is not None else urls_for(relpath)

    def verify(c: Path, where: str) -> Path:
        check_size(c, size, where, relpath)       # cheap, and names truncation explicitly
        if sha256:
            check_sha256(c, sha256, where, relpath)
        else:
            check_md5(c, md5, where, relpath)
        return c

    # 1. explicit path
    if path is not None:
        p = Path(path).expanduser()
        if p.is_file():
            return verify(p, "the explicit path argument")
        tried = _candidates_in_dir(p, relpath) if p.is_dir() else [p]
        for c in tried:
            if c.is_file():
                return verify(c, "the explicit path argument")
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
            return verify(c, f"$SNNLAB_DATA={droot}")
        searched.append(f"$SNNLAB_DATA: {c} (missing)")

    # 3. user cache
    croot = cache_dir()
    target = croot / relpath
    if target.is_file():
        return verify(target, f"the user cache {croot}")
    searched.append(f"user cache: {target} (missing)")

    # 4. download
    if not urls:
        searched.append("download: no known URL for this file")
    failures: list[str] = []
    bad_checksum: list[str] = []
    refused: list[str] = []
    for url in urls:
        if entry.get("https_only") and not url.lower().startswith("https://") and not http_allowed():
            refused.append(url)
            continue
        try:
            with _quiet_pooch():
                known = f"sha256:{sha256}" if sha256 else (f"md5:{md5}" if md5 else None)
                got = pooch.retrieve(url, known_hash=known,
                                     fname=target.name, path=target.parent,
                                     progressbar=sys.stderr.isatty())
            got = Path(got)
            if size is not None and got.stat().st_size != int(size):
                n = got.stat().st_size
                got.unlink()                  # MD5 matched but the registry's size does not: never keep it
                bad_checksum.append(f"{url}: {n} bytes, expected {int(size)} (file discarded)")
                continue
            return got
        except ValueError as e:       # pooch: hash mismatch (the temp file is already deleted)
            bad_checksum.append(f"{url}: {str(e).rstrip('.')}")
        except Exception as e:        # requests/OS errors: offline, 404, DNS, ...
            failures.append(f"{url}: {type(e).__name__}: {e}")
    for f in failures:
        searched.append(f"download: {f}")
    for u in refused:
        searched.append(f"download: {u}: refused, plain http:// (set SNNLAB_ALLOW_HTTP=1 to allow it, "
                        "e.g. for a local test server)")

    if refused and not failures and not bad_checksum:
        raise DataError(
            f"Refused to download {relpath!r} over plain http:// ({', '.join(refused)}): this file is "
            "only fetched over https. Use an https:// mirror, or set SNNLAB_ALLOW_HTTP=1 to allow http "
            "(e.g. for a local test server).")

    if bad_checksum:
        raise CorruptFileError(
            f"Downloaded {relpath!r} but its checksum ({'SHA-256' if sha256 else 'MD5'}) does not match the "
            f"expected {sha256 or md5}; "
            "the corrupt download was discarded (nothing was written to the cache "
            f"{target.parent}). Details: " + " | ".join(bad_checksum)
            + (" | other mirrors: " + " | ".join(failures) if failures else "")
            + ". The download may have been cut short or the mirror may be serving a different file; "
              f"try again later, set {_MIRROR_ENV.get(entry.get('mirrors', ''), 'SNNLAB_MNIST_URL')} "
              "to another mirror, or put a verified copy under $SNNLAB_DATA.")

    raise DataError(
        f"Could not find or download {relpath!r}. Searched, in order:\n  - "
        + "\n  - ".join(searched)
        + f"\nTo work offline, put the file at <folder>/{relpath} and set SNNLAB_DATA=<folder> "
          f"(e.g. SNNLAB_DATA=../shared/data), pass path=<file or folder>, or copy it to {target}.")
