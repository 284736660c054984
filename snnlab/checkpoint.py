"""Checkpoints that are data, never code: one ``.safetensors`` file per training state.

A state is a nested structure of dicts (str keys), lists, tuples, None, bool, int, float,
str, numpy arrays (bool / int / uint / float16-64, any shape incl. 0-d and empty) and numpy
scalars. ``save`` splits it in two parts of one safetensors file:

* every array (and numpy scalar, as a 0-d array) becomes a tensor named by its path in the
  structure, e.g. ``weights/0`` or ``optimizer/m/1`` (``~2``, ``~3``... is appended if two
  paths collide, e.g. a key that itself contains ``/``);
* everything else is one JSON document in the string metadata under the key ``"snnlab"``:
  ``{"format": "snnlab-checkpoint", "version": 1, "state": <tree>}``.

In the tree, JSON null/true/false/strings/lists/objects stand for themselves and finite
floats and ints up to 2**53 are JSON numbers. Everything else is an object with one
``$``-tag (a state dict that has a key starting with ``$`` is wrapped, so nothing is
ambiguous):

=====================  ==============================================================
``{"$array": name}``   numpy array: same dtype (native byte order), shape, bits
``{"$scalar": name}``  numpy scalar (e.g. ``np.float32(1.5)``): comes back as a numpy
                       scalar of the same dtype, bit for bit (stored as a 0-d tensor)
``{"$tuple": [...]}``  tuple (lists stay lists)
``{"$float": "inf"}``  Python float inf, -inf or nan (JSON has none of them)
``{"$int": "123..."}`` Python int with ``abs(x) >= 2**53`` as a decimal string (exact,
                       e.g. the 128-bit PCG64 state; other JSON readers would round it)
``{"$dict": {...}}``   a dict with a key starting with ``$``
=====================  ==============================================================

Loading never unpickles anything. Old pickle checkpoints are converted once with
``python -m snnlab.checkpoint convert OLD.pkl NEW.safetensors --trusted``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import sys
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save as _st_save

FORMAT, VERSION, META_KEY = "snnlab-checkpoint", 1, "snnlab"
DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64"}
TAGS = ("$array", "$scalar", "$tuple", "$float", "$int", "$dict")


def _encode(obj, path: str, tensors: dict):
    """The JSON tree for ``obj``; arrays and numpy scalars are added to ``tensors``."""
    where = path or "<top level>"
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (np.ndarray, np.generic)):          # before float: np.float64 is a float
        arr = np.asarray(obj)
        if arr.dtype.name not in DTYPES:
            raise TypeError(f"checkpoint value at {where!r} is an array of dtype {arr.dtype}, "
                            f"which checkpoints do not store (use one of {sorted(DTYPES)})")
        name, i = path or "_", 1
        while name in tensors or name == "__metadata__":       # the header's own key
            i += 1
            name = f"{path or '_'}~{i}"
        tensors[name] = np.asarray(arr, dtype=arr.dtype.newbyteorder("="), order="C")  # keeps 0-d
        return {"$scalar" if isinstance(obj, np.generic) else "$array": name}
    if isinstance(obj, int):
        return obj if abs(obj) < 2**53 else {"$int": str(obj)}
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"$float": repr(obj)}   # 'inf', '-inf', 'nan'
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, f"{path}/{i}" if path else str(i), tensors) for i, v in enumerate(obj)]
        return {"$tuple": items} if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"checkpoint dict at {where!r} has the key {k!r} of type "
                                f"{type(k).__name__}; only str keys can be stored")
            out[k] = _encode(v, f"{path}/{k}" if path else k, tensors)
        return {"$dict": out} if any(k.startswith("$") for k in out) else out
    raise TypeError(f"checkpoint value at {where!r} is a {type(obj).__name__} ({obj!r:.60}), which "
                    "checkpoints do not store; convert it to dict/list/tuple/str/number/None/numpy array")


def _decode(node, tensors: dict):
    """Inverse of ``_encode``; any exception means the metadata is damaged."""
    if isinstance(node, list):
        return [_decode(v, tensors) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1 and next(iter(node)) in TAGS:
        (tag, value), = node.items()
        if tag in ("$array", "$scalar"):
            if value not in tensors:
                raise ValueError(f"its metadata refers to the array {value!r}, which the file does not contain")
            return tensors[value][()] if tag == "$scalar" else tensors[value]
        if tag == "$tuple":
            return tuple(_decode(v, tensors) for v in value)
        if tag == "$float":
            return float(value)
        if tag == "$int":
            return int(value)
        node = value                                          # "$dict"
    elif any(k.startswith("$") for k in node):
        raise ValueError(f"unknown entry {sorted(node)[0]!r} in its metadata")
    return {k: _decode(v, tensors) for k, v in node.items()}


def save(path, state: dict) -> Path:
    """Write ``state`` atomically to one safetensors file.

    The state is encoded completely before anything is written, so an unsupported value
    leaves the old file untouched. The bytes go to a temporary file in the same folder,
    which is flushed, fsynced and renamed over ``path``; on any failure it is removed.

    Args:
        path: the file to write (conventionally ``*.safetensors``); parent folders are created.
        state: a dict with str keys of the types listed in the module docstring.

    Returns:
        ``path`` as a Path.

    Raises:
        TypeError: a value (or dict key) cannot be stored; the message names its key path.
    """
    path = Path(path)
    if not isinstance(state, dict):
        raise TypeError(f"a checkpoint state must be a dict, not {type(state).__name__}")
    tensors: dict = {}
    doc = {"format": FORMAT, "version": VERSION, "state": _encode(state, "", tensors)}
    data = _st_save(tensors, metadata={META_KEY: json.dumps(doc, allow_nan=False)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load(path) -> dict:
    """Read a checkpoint written by ``save`` (no code in the file is ever run).

    Args:
        path: a ``.safetensors`` checkpoint.

    Returns:
        The state as saved: same nesting, tuples as tuples, arrays with the same dtype,
        shape and bits (writable copies), numpy scalars as numpy scalars.

    Raises:
        FileNotFoundError: there is no file at ``path``.
        ValueError: the file is an old pickle, not a safetensors file, truncated, not an
            snnlab checkpoint, of an unknown format version, or internally inconsistent.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}: check the path, or train first")
    try:
        with safe_open(str(path), framework="np") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        if is_pickle(path):
            raise ValueError(f"{path} is an old pickle checkpoint, which is not loaded because unpickling can "
                             "run code; if you made it yourself, convert it once with python -m snnlab.checkpoint "
                             f"convert {path} {path.with_suffix('.safetensors')} --trusted") from None
        raise ValueError(f"{path} is not a readable safetensors checkpoint (damaged or truncated: "
                         f"{exc}); use an older copy or restart the run") from None
    if META_KEY not in meta:
        raise ValueError(f"{path} is a safetensors file but not an snnlab checkpoint "
                         f"(no {META_KEY!r} metadata); save checkpoints with snnlab.checkpoint.save")
    try:
        doc = json.loads(meta[META_KEY])
        fmt, version, tree = doc["format"], doc["version"], doc["state"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"checkpoint {path} has damaged {META_KEY!r} metadata ({exc}); "
                         "use an older copy or restart the run") from None
    if fmt != FORMAT or version != VERSION:
        raise ValueError(f"checkpoint {path} has format {fmt!r} version {version!r}, but this snnlab "
                         f"reads {FORMAT!r} version {VERSION}; load it with the snnlab version that "
                         "wrote it (see the git log)")
    try:
        return _decode(tree, tensors)
    except Exception as exc:  # noqa: BLE001 - malformed metadata can fail in many ways
        raise ValueError(f"checkpoint {path} is damaged ({exc}); use an older copy or restart the run") from None


def is_pickle(path) -> bool:
    """True if ``path`` starts like a pickle of protocol 2 or newer (bytes 0x80, 2..5).

    A safetensors file whose 8-byte header length happens to start with those bytes is
    recognised by its header (``{`` at byte 8, length within the file) and gives False.
    Protocol 0/1 pickles (text-like, never written by snnlab) give False.

    Args:
        path: any file.

    Returns:
        Whether the file looks like a pickle.
    """
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) < 2 or head[0] != 0x80 or not 2 <= head[1] <= 5:
        return False
    looks_safetensors = len(head) == 9 and head[8:9] == b"{" and \
        int.from_bytes(head[:8], "little") <= os.path.getsize(path) - 8
    return not looks_safetensors


def convert_pickle(src, dst, trusted: bool = False) -> Path:
    """Convert an old pickle checkpoint ``src`` to a safetensors checkpoint ``dst``.

    Unpickling runs whatever code the file asks for, so this refuses unless ``trusted``
    is True: pass it only for files you (or your own runs) wrote.

    Args:
        src: the old ``.pkl`` checkpoint.
        dst: the ``.safetensors`` file to write (atomically, see ``save``).
        trusted: confirms that ``src`` is your own file.

    Returns:
        ``dst`` as a Path.

    Raises:
        ValueError: not trusted, ``src`` is not a pickle, cannot be unpickled, or is ``dst``.
        FileNotFoundError: ``src`` does not exist.
        TypeError: the unpickled state holds something a checkpoint cannot store.
    """
    src, dst = Path(src), Path(dst)
    if not trusted:
        raise ValueError(f"refusing to unpickle {src}: unpickling can run arbitrary code; pass "
                         "trusted=True (--trusted) only for checkpoints you made yourself")
    if not src.is_file():
        raise FileNotFoundError(f"no checkpoint at {src}: check the path")
    if dst.exists() and dst.resolve() == src.resolve():
        raise ValueError(f"the output {dst} is the input; choose a new name such as {src.with_suffix('.safetensors')}")
    if not is_pickle(src):
        raise ValueError(f"{src} is not a pickle checkpoint (protocol 2+); nothing to convert")
    try:
        with open(src, "rb") as f:
            state = pickle.load(f)
    except Exception as exc:  # noqa: BLE001 - report any unpickling problem the same way
        raise ValueError(f"cannot unpickle {src} ({type(exc).__name__}: {exc}); it is damaged") from None
    return save(dst, state)


def main(argv=None) -> int:
    """``python -m snnlab.checkpoint convert OLD.pkl NEW.safetensors --trusted``.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 on success, 2 with one ``error: ...`` line on stderr otherwise.
    """
    parser = argparse.ArgumentParser(prog="python -m snnlab.checkpoint", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="convert an old pickle checkpoint to safetensors")
    conv.add_argument("src", help="the old .pkl checkpoint")
    conv.add_argument("dst", help="the .safetensors file to write")
    conv.add_argument("--trusted", action="store_true",
                      help="confirm that SRC is your own file (unpickling can run code)")
    args = parser.parse_args(argv)
    try:
        out = convert_pickle(args.src, args.dst, trusted=args.trusted)
    except (ValueError, TypeError, OSError) as exc:
        print(f"error: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
