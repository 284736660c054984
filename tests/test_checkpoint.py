"""snnlab.checkpoint: safetensors checkpoints that round-trip exactly and never run code."""
import json
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save as st_save

from snnlab import checkpoint as ckpt

REPO = Path(__file__).resolve().parents[1]


def assert_identical(a, b, where="state"):
    """Same types, nesting, dtypes, shapes and bits (nan == nan, -0.0 != 0.0)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_identical(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}/{i}")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        assert a.tobytes() == b.tobytes(), f"{where}: values differ"
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b)), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def rich_state():
    rng = np.random.default_rng(0)
    nan_bits = np.array([0x7FF8000000000001, 0xFFF0000000000000, 0x8000000000000000], np.uint64).view(np.float64)
    return {
        "config": {"hidden": (800, 400), "floor_mode": ("add", "scale"), "first_epoch_duration": None,
                   "recenter_thresholds": True, "seed": 0, "decay": math.exp(-1 / 35), "optimizer": "adam"},
        "epoch": 7, "batch_index": 1875,
        "weights": [rng.standard_normal((5, 4)), rng.standard_normal((3, 5)).astype(np.float32)],
        "optimizer": {"lrs": [0.002, 2e-4], "t": 12, "m": [np.zeros((5, 4)), np.zeros((3, 5))], "v": None},
        "arrays": {"f16": np.array([1.5, -0.0, np.inf], np.float16), "i8": np.array([-128, 127], np.int8),
                   "u64": np.array([2**64 - 1, 0], np.uint64), "bool": rng.random((2, 3)) < 0.5,
                   "zero_d": np.array(2.5), "zero_d_int": np.array(-3, np.int32),
                   "empty": np.zeros((0,)), "empty_2d": np.zeros((2, 0, 3), np.int16),
                   "fortran": np.asfortranarray(rng.standard_normal((3, 4))),
                   "strided": np.arange(20.0)[::3], "transposed": np.arange(6.0).reshape(2, 3).T,
                   "special_bits": nan_bits},
        "scalars": {"f32": np.float32(1.5), "f64": np.float64(0.1), "i64": np.int64(-7), "u8": np.uint8(255),
                    "b": np.bool_(True), "nan32": np.float32("nan")},
        "floats": [math.inf, -math.inf, math.nan, -0.0, 5e-324, 0.1, 1e308],
        "ints": [0, -1, 2**53 - 1, 2**53, -(2**53), 2**63 + 5, -(2**100), 2**128 - 1],
        "strings": ["", "ünïcode ✓", "a/b", "$tuple"],
        "nested": ((1, (2, [3, (4,)])), [], (), {}, [[None]]),
        "rng": np.random.default_rng(3).bit_generator.state,
        "history": [{"epoch": 1, "test_accuracy": None, "spikes": [0.1, 0.2]}],
        "$tuple": [1, 2],                                     # looks like a tag: must stay a key
        "tagged": {"$dict": {"x": (1,)}, "$array": "weights/0"},
        "a/b": np.zeros(1), "a": {"b": np.ones(1)},           # the same path twice
        "__metadata__": np.ones(2),                           # the safetensors header's own key
    }


def test_round_trip_is_exact(tmp_path):
    state = rich_state()
    out = ckpt.save(tmp_path / "c.safetensors", state)
    assert out == tmp_path / "c.safetensors"
    loaded = ckpt.load(out)
    assert_identical(state, loaded)
    assert loaded["arrays"]["zero_d"].shape == () and isinstance(loaded["arrays"]["zero_d"], np.ndarray)
    assert isinstance(loaded["scalars"]["f32"], np.float32)
    assert loaded["weights"][0].flags.writeable
    # the file is plain safetensors: arrays are tensors named by their path, the rest is JSON
    from safetensors import safe_open
    with safe_open(str(out), framework="np") as f:
        assert {"weights/0", "weights/1", "optimizer/m/0", "a/b", "a/b~2", "__metadata__~2"} <= set(f.keys())
        doc = json.loads(f.metadata()["snnlab"])
    assert doc["format"] == "snnlab-checkpoint" and doc["version"] == 1
    tree = doc["state"]["$dict"]                              # wrapped: the state has a "$tuple" key
    assert tree["config"]["hidden"] == {"$tuple": [800, 400]}
    assert tree["ints"][-3:] == [{"$int": str(2**63 + 5)}, {"$int": str(-(2**100))}, {"$int": str(2**128 - 1)}]
    assert tree["floats"][:3] == [{"$float": "inf"}, {"$float": "-inf"}, {"$float": "nan"}]


def test_rng_state_with_big_ints_restores_the_same_draws(tmp_path):
    state = np.random.default_rng(3).bit_generator.state
    assert state["state"]["state"] > 2**63 and state["state"]["inc"] > 2**63
    loaded = ckpt.load(ckpt.save(tmp_path / "rng.safetensors", {"rng": state}))["rng"]
    assert loaded == state
    gen = np.random.Generator(np.random.PCG64())
    gen.bit_generator.state = loaded
    np.testing.assert_array_equal(gen.random(8), np.random.default_rng(3).random(8))


def test_big_endian_arrays_come_back_native_with_the_same_values(tmp_path):
    arr = np.arange(5, dtype=">i4")
    loaded = ckpt.load(ckpt.save(tmp_path / "be.safetensors", {"x": arr}))["x"]
    assert loaded.dtype == np.dtype("int32") and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, arr)


class _Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_crafted_pickle_is_not_executed(tmp_path, protocol):
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_Payload(proof)))              # the payload really runs when unpickled
    assert proof.exists()
    marker = tmp_path / "marker"
    evil = tmp_path / "checkpoint.safetensors"
    evil.write_bytes(pickle.dumps({"weights": [_Payload(marker)]}, protocol=protocol))
    assert ckpt.is_pickle(evil)
    with pytest.raises(ValueError, match="old pickle checkpoint.*convert"):
        ckpt.load(evil)
    assert not marker.exists()


@pytest.mark.parametrize("cut", [0, 4, 8, 40, -1, -100])
def test_truncated_file_is_a_clear_error(tmp_path, cut):
    data = (ckpt.save(tmp_path / "good.safetensors", rich_state())).read_bytes()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(data[:cut] if cut >= 0 else data[:len(data) + cut])
    with pytest.raises(ValueError, match="not a readable safetensors checkpoint") as info:
        ckpt.load(bad)
    assert str(bad) in str(info.value)


def test_random_bytes_are_a_clear_error(tmp_path):
    bad = tmp_path / "noise.safetensors"
    bad.write_bytes(b"\x11" + np.random.default_rng(1).bytes(999))
    with pytest.raises(ValueError, match="not a readable safetensors checkpoint"):
        ckpt.load(bad)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        ckpt.load(tmp_path / "missing.safetensors")


@pytest.mark.parametrize("metadata, message", [
    (None, "not an snnlab checkpoint"),
    ({"other": "x"}, "not an snnlab checkpoint"),
    ({"snnlab": "{not json"}, "damaged 'snnlab' metadata"),
    ({"snnlab": json.dumps({"format": "snnlab-checkpoint", "version": 99, "state": {}})}, "version 99"),
    ({"snnlab": json.dumps({"format": "snnlab-checkpoint", "version": 1, "state": {"w": {"$array": "nope"}}})},
     "refers to the array 'nope'"),
    ({"snnlab": json.dumps({"format": "snnlab-checkpoint", "version": 1, "state": {"w": {"$float": "x"}}})},
     "is damaged"),
    ({"snnlab": json.dumps({"format": "snnlab-checkpoint", "version": 1, "state": {"$bogus": 1}})},
     "unknown entry"),
])
def test_foreign_or_inconsistent_safetensors_are_clear_errors(tmp_path, metadata, message):
    path = tmp_path / "x.safetensors"
    path.write_bytes(st_save({"w": np.zeros(3)}, metadata=metadata))
    with pytest.raises(ValueError, match=message) as info:
        ckpt.load(path)
    assert str(path) in str(info.value)


def test_is_pickle_is_not_fooled_by_a_safetensors_header_length(tmp_path):
    path = tmp_path / "x.safetensors"
    for pad in range(2000):                                  # find a header of 0x280 bytes: b"\x80\x02..."
        data = st_save({"w": np.zeros(1)}, metadata={"snnlab": json.dumps(
            {"format": "snnlab-checkpoint", "version": 1, "state": {"w": {"$array": "w"}, "p": "x" * pad}})})
        if data[:2] == b"\x80\x02":
            break
    else:
        pytest.fail("no padding gave the header length 0x280")
    path.write_bytes(data)
    assert not ckpt.is_pickle(path)
    assert ckpt.load(path)["p"] == "x" * pad
    assert not ckpt.is_pickle(ckpt.save(tmp_path / "y.safetensors", rich_state()))


def test_unsupported_values_name_their_path_and_leave_the_old_file(tmp_path):
    path = ckpt.save(tmp_path / "c.safetensors", {"epoch": 1})
    before = path.read_bytes()
    cases = [({"config": {"callback": lambda: 0}}, "config/callback"),
             ({"opt": {"m": [np.zeros(2, complex)]}}, "opt/m/0"),
             ({"x": [np.array(["a"], object)]}, "x/0"),
             ({"d": {1: 2}}, "'d' has the key 1"),
             ({"s": {1, 2}}, "'s' is a set")]
    for state, where in cases:
        with pytest.raises(TypeError, match=where):
            ckpt.save(path, state)
    with pytest.raises(TypeError, match="must be a dict"):
        ckpt.save(path, [1])
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.safetensors"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_write_leaves_no_temp_file_and_the_old_file(tmp_path, monkeypatch, failing):
    path = ckpt.save(tmp_path / "c.safetensors", {"epoch": 1})
    before = path.read_bytes()

    def boom(*args):
        raise OSError("disk full")
    monkeypatch.setattr(ckpt.os, failing, boom)
    with pytest.raises(OSError, match="disk full"):
        ckpt.save(path, rich_state())
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.safetensors"]
    ckpt.save(path, {"epoch": 2})                             # overwriting works and is clean too
    assert ckpt.load(path) == {"epoch": 2} and os.listdir(tmp_path) == ["c.safetensors"]


def test_convert_refuses_untrusted_and_converts_trusted(tmp_path):
    src, dst = tmp_path / "old.pkl", tmp_path / "new.safetensors"
    state = rich_state()
    src.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    with pytest.raises(ValueError, match="run arbitrary code.*trusted"):
        ckpt.convert_pickle(src, dst, trusted=False)
    assert not dst.exists()
    assert ckpt.convert_pickle(src, dst, trusted=True) == dst
    assert_identical(state, ckpt.load(dst))
    with pytest.raises(ValueError, match="not a pickle"):
        ckpt.convert_pickle(dst, tmp_path / "again.safetensors", trusted=True)
    with pytest.raises(ValueError, match="is the input"):
        ckpt.convert_pickle(src, src, trusted=True)
    with pytest.raises(FileNotFoundError):
        ckpt.convert_pickle(tmp_path / "missing.pkl", dst, trusted=True)


def test_the_committed_network_converted_from_its_old_pickle_loads_as_data():
    """results/canonical/pi-mnist-800/checkpoint-epoch200.safetensors was converted from the old .pkl
    (its command.txt); it must load without unpickling, with the run's structure intact."""
    state = ckpt.load(REPO / "results" / "canonical" / "pi-mnist-800" / "checkpoint-epoch200.safetensors")
    assert state["epoch"] == 200 and state["config"]["hidden"] == (800,)
    assert state["weights"][0].shape == (800, 784) and state["weights"][1].shape == (10, 800)
    assert state["thresholds"][0].shape == (800,) and len(state["history"]) == 200


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "snnlab.checkpoint", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_cli_exit_codes_and_one_line_errors(tmp_path):
    src, dst = tmp_path / "old.pkl", tmp_path / "new.safetensors"
    src.write_bytes(pickle.dumps({"weights": [np.arange(3.0)], "t": (1, 2)}, protocol=pickle.HIGHEST_PROTOCOL))
    for args in [(src, dst), (tmp_path / "missing.pkl", dst, "--trusted")]:
        res = _cli("convert", *args)
        assert res.returncode == 2, res
        assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1, res.stderr
        assert "Traceback" not in res.stderr
    assert "--trusted" in _cli("convert", src, dst).stderr and not dst.exists()
    res = _cli("convert", src, dst, "--trusted")
    assert res.returncode == 0, res.stderr
    loaded = ckpt.load(dst)
    assert loaded["t"] == (1, 2) and loaded["weights"][0].tolist() == [0.0, 1.0, 2.0]
    res = _cli("convert", dst, tmp_path / "again.safetensors", "--trusted")
    assert res.returncode == 2 and res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
