"""Smoke test of benchmarks/bench_forward.py: it runs and prints its table (no speed checks)."""
import importlib.util
import os
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_forward.py"
DATA = Path(os.environ.get("SNNLAB_DATA") or BENCH.parents[2] / "shared" / "data") / "mnist" / "t10k-images-idx3-ubyte.gz"


def _load():
    spec = importlib.util.spec_from_file_location("bench_forward", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not DATA.exists(), reason=f"MNIST test images not found at {DATA}")
def test_bench_forward_quick(capsys):
    bench = _load()
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "samples/s" in out and "syn-ops/s" in out
    assert out.count("snnlab numpy") == 2                      # batch sizes 1 and 8
    assert "machine:" in out and "numpy" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("SUMMARY forward compiled_b1=") and "numpy_b8=" in last and "brian2=" in last
    try:
        import brian2  # noqa: F401
    except ImportError:
        return
    assert "brian2 numpy" in out and "ROUNDED" in out and "ratio numpy" in out


def test_quick_arguments():
    a = _load().parse_args(["--quick"])
    assert a.batches == [1, 8] and a.brian_targets == ["numpy"] and a.repeat == 1
    a = _load().parse_args(["--batches", "1,16,64", "--brian-targets", ""])
    assert a.batches == [1, 16, 64] and a.brian_targets == []


@pytest.mark.skipif(not DATA.exists(), reason=f"MNIST test images not found at {DATA}")
def test_accuracy_at_wall_time_reports_one_line_per_test_duration(capsys):
    import json
    spec = importlib.util.spec_from_file_location("wall", BENCH.parent / "accuracy_at_wall_time.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--seconds", "1", "--nt", "40", "--test-duration", "0.05", "0.1", "--preset", "tiny",
                     "--set", "eta_w=0.004"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["test_presentation_s"] for r in rows] == [0.05, 0.1]
    assert all(r["test_digits"] == 40 and r["train_digits_seen"] > 0 and r["set"] == ["eta_w=0.004"] for r in rows)
    with pytest.raises(SystemExit, match="error: eta: not a setting"):
        mod.main(["--seconds", "1", "--preset", "tiny", "--set", "eta=0.004"])


@pytest.mark.skipif(not DATA.exists(), reason=f"MNIST test images not found at {DATA}")
def test_zero_error_fraction_reads_a_checkpoint(tmp_path, capsys):
    import json
    from snnlab.train import PRESETS, Trainer
    Trainer(PRESETS["tiny"].replace(epochs=1), out_dir=tmp_path, progress=False).fit()
    spec = importlib.util.spec_from_file_location("zef", BENCH.parent / "zero_error_fraction.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([str(tmp_path / "checkpoint.safetensors"), "--batches", "2"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["samples"] == 64 and sum(row["output_neurons_firing_histogram"]) == 64
    assert 0.0 <= row["zero_error_fraction"] <= 1.0 and row["epochs_done"] == 1
    assert sum(row["target_spikes_histogram"]) == row["samples"] == sum(row["output_neurons_firing_histogram"])


@pytest.mark.skipif(not DATA.exists(), reason=f"MNIST test images not found at {DATA}")
def test_watch_layers_prints_one_line_per_batch_and_writes_nothing(tmp_path, capsys):
    from snnlab.train import PRESETS, Trainer
    Trainer(PRESETS["tiny"].replace(epochs=1), out_dir=tmp_path, progress=False).fit()
    before = (tmp_path / "checkpoint.safetensors").read_bytes()
    spec = importlib.util.spec_from_file_location("watch", BENCH.parent / "watch_layers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([str(tmp_path / "checkpoint.safetensors"), "--batches", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("L2: min V_th" in line for line in lines)
    assert lines[0].startswith("epoch 2 batch     1")          # batches done in the epoch
    assert (tmp_path / "checkpoint.safetensors").read_bytes() == before


@pytest.mark.skipif(not DATA.exists(), reason=f"MNIST test images not found at {DATA}")
def test_watch_layers_set_changes_what_the_trainer_does(tmp_path, capsys, monkeypatch):
    """--set must reach the training step (a setting cached at construction would be ignored)."""
    import snnlab.train as train_module
    from snnlab.train import PRESETS, Trainer
    Trainer(PRESETS["tiny"].replace(epochs=1), out_dir=tmp_path, progress=False).fit()
    calls, real = [], train_module.apply_threshold_floor

    def spy(weights, threshold, wanted, floor, mode="scale"):
        calls.append(mode)
        return real(weights, threshold, wanted, floor, mode)
    monkeypatch.setattr(train_module, "apply_threshold_floor", spy)
    spec = importlib.util.spec_from_file_location("watch", BENCH.parent / "watch_layers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([str(tmp_path / "checkpoint.safetensors"), "--batches", "2", "--set", "floor_mode='clip'"]) == 0
    assert calls == ["clip"] * 4                                  # 2 batches x 2 layers
    assert "settings changed: floor_mode='clip'" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="cannot change eta_w"):
        mod.main([str(tmp_path / "checkpoint.safetensors"), "--set", "eta_w=0.1"])
