"""Bad inputs, each refused with a message that names what is wrong and what to use (issue 15).

Three tables:

* ``CONFIG_CASES``: TrainConfig settings that :func:`snnlab.config.validate` must refuse, with the
  field the message must start with (``<field>: <what is wrong>; <what to use>``);
* ``API_CASES``: other calls (events, labels, inputs, checkpoints, evaluation) that must raise;
* ``CLI_CASES``: ``snnlab train`` / ``snnlab evaluate`` command lines that must print one line
  ``error: ...`` and exit 2, without a traceback and without writing into the output folder --
  run in-process through ``main()``, and a few of them (``SUBPROCESS_CASES``) as real processes.

Plus the run-folder survival checks: torn metrics lines, stale temporaries, Ctrl-C in the final test.
"""
import dataclasses
import json
import math
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from snnlab import checkpoint as ckpt_io
from snnlab.config import FIELDS, ConfigError, parse_value, validate
from snnlab.train import (PRESETS, SilentNetworkWarning, TrainConfig, Trainer, load_checkpoint_file,
                          read_metrics)

pytestmark = pytest.mark.usefixtures("data_root")

TINY = PRESETS["tiny"]
MARKER = "pwned-by-pickle"       # the file a crafted pickle checkpoint would create if it were unpickled


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(autouse=True)
def _data_env(data_root, monkeypatch):
    monkeypatch.setenv("SNNLAB_DATA", str(data_root))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_root):
    """A finished one-epoch tiny run folder (checkpoint, config.json ...), made once."""
    os.environ.setdefault("SNNLAB_DATA", str(data_root))
    out = tmp_path_factory.mktemp("trained") / "run"
    cfg = TINY.replace(epochs=1, train_samples=64, test_samples=40)
    tr = Trainer(cfg, out_dir=out, progress=False)
    tr.fit()
    (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=1))
    return out


@pytest.fixture(scope="module")
def trainer(data_root):
    os.environ.setdefault("SNNLAB_DATA", str(data_root))
    return Trainer(TINY.replace(train_samples=64, test_samples=16), progress=False)


class _Payload:
    """Unpickling this calls open(path, "w"): the marker file appears if anything unpickles it."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _bad_checkpoints(folder: Path, good: Path) -> dict:
    """Checkpoints that must never give an accuracy: damaged, pickle (with a payload), NaN, threshold <= 0."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"missing": folder / "missing.safetensors"}
    paths["damaged"] = folder / "damaged.safetensors"
    paths["damaged"].write_bytes(good.read_bytes()[:200])
    paths["pickle"] = folder / "checkpoint.pkl"
    paths["pickle"].write_bytes(pickle.dumps({"weights": [_Payload(folder / MARKER)], "config": {}}, protocol=4))
    state = ckpt_io.load(good)
    state["weights"][0][0, 0] = np.nan
    paths["nan"] = ckpt_io.save(folder / "nan.safetensors", state)
    state = ckpt_io.load(good)
    state["thresholds"][-1][3] = -0.5
    paths["threshold"] = ckpt_io.save(folder / "threshold.safetensors", state)
    return paths


# ----------------------------------------------------------------------------- config table
CONFIG_CASES = [
    # (changes to the tiny preset, field the message starts with, regex the rest must contain)
    (dict(rate=0.0), "rate", "> 0"),
    (dict(rate=float("nan")), "rate", "finite"),
    (dict(train_duration=-1.0), "train_duration", "> 0"),
    (dict(eval_duration=0), "eval_duration", "> 0"),
    (dict(final_eval_duration=float("inf")), "final_eval_duration", "finite"),
    (dict(first_epoch_duration=0.0), "first_epoch_duration", "or None"),
    (dict(tau_mp=0.0), "tau_mp", "> 0"),
    (dict(T_ref=-0.001), "T_ref", ">= 0"),
    (dict(epochs=0), "epochs", "whole number >= 1"),
    (dict(epochs=2.0), "epochs", "whole number"),
    (dict(batch_size=0), "batch_size", "whole number >= 1"),
    (dict(eval_every=0), "eval_every", "whole number >= 1"),
    (dict(train_events=0), "train_events", "whole number >= 1"),
    (dict(train_samples=0), "train_samples", "whole number >= 1.*None"),
    (dict(test_samples=-5), "test_samples", "whole number >= 1"),
    (dict(validation_samples=-1), "validation_samples", ">= 0"),
    (dict(train_samples=None, validation_samples=60000), "validation_samples", "whole training set"),
    (dict(train_samples=60000, validation_samples=1), "train_samples", "more than the 60000"),
    (dict(test_samples=10001), "test_samples", "more than the 10000"),
    (dict(decay=0.0), "decay", r"\(0, 1\]"),
    (dict(decay=1.5), "decay", r"\(0, 1\]"),
    (dict(eta_w=0.0), "eta_w", "> 0"),
    (dict(lam=float("nan")), "lam", "finite"),
    (dict(rho=-1e-5), "rho", ">= 0"),
    (dict(beta=float("inf")), "beta", "finite"),
    (dict(floor_fraction=1.0), "floor_fraction", r"\[0, 1\)"),
    (dict(sigma=1.0), "sigma", "division by zero.*sigma < 1"),
    (dict(sigma=0.0), "sigma", r"\(0, 1\]"),
    (dict(kappa_out=-1.5), "kappa_out", r"\[-1, 0\]"),
    (dict(kappa_hidden=(0.3,)), "kappa_hidden", r"\[-1, 0\]"),
    (dict(kappa_hidden=(-0.4, 0.0)), "kappa_hidden", "2 value.*1 trained layer"),
    (dict(alpha=(5.0,)), "alpha", "1 value.*2 trained layer"),
    (dict(alpha=(5.0, -3.0)), "alpha", "> 0"),
    (dict(hidden=("20X",)), "hidden", "paper's notation"),
    (dict(hidden=(0,)), "hidden", ">= 1 neurons"),
    (dict(hidden=("20C5",)), "hidden", "needs maps.*pi-mnist"),
    (dict(task="mnist", hidden=("40C30",), alpha=(3.0, 3.0)), "hidden", "30x30"),
    (dict(task="mnist", hidden=("4C5", "P2", 30), kappa_hidden=(0.0, -0.4), alpha=(3.0, 3.0, 3.0, 3.0)),
     "alpha", "pools do not count"),
    (dict(optimizer="adagrad"), "optimizer", "'sgd', 'adam'"),
    (dict(readout="middle"), "readout", "one of"),
    (dict(wta_backprop="silent"), "wta_backprop", "one of"),
    (dict(floor_mode="shift"), "floor_mode", "one entry per layer"),
    (dict(floor_mode=("add",)), "floor_mode", "1 entries.*2 layers"),
    (dict(task="cifar"), "task", "one of"),
    (dict(threshold_reg="online"), "threshold_reg", "'batch', 'event'"),
    (dict(task="mnist", distortion=(34.0, 0.0)), "distortion", "sigma.*> 0"),
    (dict(distortion=(34.0, 4.0)), "distortion", "mnist task only"),
    (dict(init_variant="xavier"), "init_variant", "'paper', 'note'"),
    (dict(recenter_thresholds="False"), "recenter_thresholds", "True or False"),
    (dict(silent_output_error=1), "silent_output_error", "not 0/1"),
    (dict(max_rate_per_neuron=0.0), "max_rate_per_neuron", "> 0"),
    (dict(checkpoint_every=-1.0), "checkpoint_every", ">= 0"),
    (dict(seed=-1), "seed", ">= 0"),
    (dict(target_count=0), "target_count", ">= 1"),
    (dict(eval_split="validation"), "eval_split", "validation_samples"),
    (dict(nmnist_train="emulated"), "nmnist_train", "nmnist task only"),
]


@pytest.mark.parametrize("changes, field, pattern", CONFIG_CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CONFIG_CASES)])
def test_bad_setting_is_refused_with_field_problem_and_suggestion(changes, field, pattern):
    with pytest.raises(ConfigError) as info:
        validate(TINY.replace(**changes))
    message = str(info.value)
    assert message.startswith(f"{field}: "), message
    assert re.search(pattern, message), message
    assert "; " in message and "\n" not in message              # <field>: <what is wrong>; <what to use>
    assert info.value.field == field


def test_trainer_validates_before_loading_data_or_writing(tmp_path, monkeypatch):
    import snnlab.train as train_module
    monkeypatch.setattr(train_module, "make_task", lambda *a: pytest.fail("data loaded before validation"))
    with pytest.raises(ConfigError, match="^sigma: "):
        Trainer(TINY.replace(sigma=1.0), out_dir=tmp_path / "run", progress=False)
    with pytest.raises(ConfigError, match="^preset: unknown preset 'nope'"):
        Trainer("nope", progress=False)
    assert not (tmp_path / "run").exists()


def test_every_setting_has_a_row_and_every_preset_is_valid():
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    assert sorted(FIELDS) == sorted(names)
    for name, spec in FIELDS.items():
        assert spec.type and spec.rule and spec.meaning and spec.suggest, name
        assert spec.check(getattr(TrainConfig(), name)) is None, name       # the default is allowed
    for name, cfg in PRESETS.items():
        validate(cfg)
    assert dataclasses.replace(TINY, eta_w=0.001).eta_w == 0.001              # still a plain dataclass
    assert "event" in FIELDS["threshold_reg"].meaning and "batch_size > 1" in FIELDS["threshold_reg"].meaning


PARSE_CASES = [
    ("eta_w", "abc", "'abc' is not a number"),
    ("epochs", "1.5", "not a whole number"),
    ("recenter_thresholds", "1", "not true or false"),
    ("alpha", "(5, abc)", "'abc' is not a number"),
    ("etaw", "0.1", "did you mean 'eta_w'"),
    ("sigma", "nan", "finite"),
]


@pytest.mark.parametrize("key, text, pattern", PARSE_CASES)
def test_set_values_are_parsed_as_their_type(key, text, pattern):
    with pytest.raises(ConfigError, match=f"^{key}: .*{pattern}"):
        parse_value(key, text)


def test_set_values_parse_to_the_settings_types():
    assert parse_value("eta_w", "1e-3") == 0.001
    assert parse_value("hidden", "20C5,P2,200") == ("20C5", "P2", 200)
    assert parse_value("hidden", "800") == (800,)
    assert parse_value("alpha", "(5, 3)") == (5.0, 3.0)
    assert parse_value("train_samples", "None") is None
    assert parse_value("recenter_thresholds", "false") is False
    assert parse_value("floor_mode", "add,clip") == ("add", "clip")
    assert parse_value("distortion", "none") is None


# ----------------------------------------------------------------------------- other API inputs
def _make_events(ch):
    from snnlab.events import make_events
    return make_events([0.0] * len(ch), ch)


def _train_batch(trainer, images, labels):
    return trainer.train_batch(images, labels, 0.05, np.random.default_rng(0))


def _init_dense():
    from snnlab.network import init_dense
    return init_dense(0, 5)


API_CASES = [
    ("channel 0.7", lambda tr, d: _make_events([0.7]), ValueError, "whole numbers"),
    ("channel 2**32+3", lambda tr, d: _make_events([2**32 + 3]), ValueError, "int32"),
    ("channel -1", lambda tr, d: _make_events([-1]), ValueError, "0..2147483647"),
    ("channel text", lambda tr, d: _make_events(["3"]), ValueError, "whole numbers"),
    ("label -1", lambda tr, d: _train_batch(tr, tr.train_images[:4], np.array([0, 1, -1, 3])), ValueError,
     r"labels must be one integer class in \[0, 10\)"),
    ("label 10", lambda tr, d: _train_batch(tr, tr.train_images[:2], np.array([10, 1])), ValueError, "labels"),
    ("float labels", lambda tr, d: _train_batch(tr, tr.train_images[:2], np.array([1.0, 2.0])), ValueError, "labels"),
    ("labels too few", lambda tr, d: _train_batch(tr, tr.train_images[:3], np.array([1, 2])), ValueError, "labels"),
    ("images (8, 29, 29)", lambda tr, d: _train_batch(tr, np.ones((8, 29, 29)), np.arange(8)), ValueError,
     r"\(B, 28, 28\).*\(8, 29, 29\)"),
    ("init_dense(0, 5)", lambda tr, d: _init_dense(), ValueError, "n_in >= 1"),
    ("evaluate duration nan", lambda tr, d: tr.evaluate(duration=float("nan"), n=4), ValueError, "finite"),
    ("evaluate n 0", lambda tr, d: tr.evaluate(duration=0.05, n=0), ValueError, ">= 1"),
    ("missing checkpoint", lambda tr, d: load_checkpoint_file(d["missing"]), FileNotFoundError, "no checkpoint"),
    ("damaged checkpoint", lambda tr, d: load_checkpoint_file(d["damaged"]), ValueError, "damaged or truncated"),
    ("pickle checkpoint", lambda tr, d: load_checkpoint_file(d["pickle"]), ValueError, "pickle.*can run code"),
    ("NaN weights", lambda tr, d: load_checkpoint_file(d["nan"]), ValueError, "weights of trained layer 1.*NaN"),
    ("threshold <= 0", lambda tr, d: load_checkpoint_file(d["threshold"]), ValueError, "threshold.*<= 0"),
]


@pytest.mark.parametrize("name, call, error, pattern", API_CASES, ids=[c[0] for c in API_CASES])
def test_bad_api_input_is_refused(name, call, error, pattern, trainer, trained, tmp_path):
    bad = _bad_checkpoints(tmp_path / "bad", trained / "checkpoint.safetensors")
    before = [layer.weights.copy() for layer in trainer.net.layers]
    with pytest.raises(error, match=pattern):
        call(trainer, bad)
    assert not (tmp_path / "bad" / MARKER).exists(), "the pickle was unpickled"
    for b, layer in zip(before, trainer.net.layers):           # a refused batch changes nothing
        np.testing.assert_array_equal(b, layer.weights)


def test_a_network_silent_on_its_first_batches_warns_naming_the_layer():
    cfg = TINY.replace(alpha=(100.0, 100.0), train_samples=96, test_samples=10, epochs=1)
    tr = Trainer(cfg, progress=False)
    with pytest.warns(SilentNetworkWarning, match=r"first 3 training batch.*layer 1 of 2.*smaller alpha\[0\]"):
        tr.train_epoch()
    with warnings.catch_warnings():                  # a network that fires: no warning
        warnings.simplefilter("error", SilentNetworkWarning)
        Trainer(TINY.replace(train_samples=96, test_samples=10, epochs=1), progress=False).train_epoch()


# ----------------------------------------------------------------------------- downloads
def test_mnist_files_are_verified_by_sha256_and_a_bad_copy_is_refused(tmp_path, data_root, monkeypatch):
    from snnlab.data import registry
    name = "mnist/train-labels-idx1-ubyte.gz"
    entry = registry.REGISTRY[name]
    assert len(entry["sha256"]) == 64 and entry["https_only"]
    assert all(len(registry.REGISTRY[f"mnist/{n}"]["sha256"]) == 64 for n in registry._MNIST_MD5)
    assert registry.file_sha256(registry.find_file(name)) == entry["sha256"]          # the real file passes
    bad = tmp_path / "mnist" / "train-labels-idx1-ubyte.gz"
    bad.parent.mkdir()
    data = bytearray((data_root / name).read_bytes())
    data[-1] ^= 1                                                                       # one bit flipped
    bad.write_bytes(bytes(data))
    monkeypatch.setenv("SNNLAB_DATA", str(tmp_path))
    with pytest.raises(registry.CorruptFileError, match=f"expected SHA-256 {entry['sha256']}.*got SHA-256"):
        registry.find_file(name)


def test_plain_http_mnist_mirror_is_refused_without_the_override(tmp_path, monkeypatch):
    from snnlab.data import registry
    monkeypatch.setenv("SNNLAB_DATA", str(tmp_path / "none"))
    monkeypatch.setenv("SNNLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SNNLAB_MNIST_URL", "http://127.0.0.1:9/")
    monkeypatch.delenv("SNNLAB_ALLOW_HTTP", raising=False)
    with pytest.raises(registry.DataError, match="plain http://.*SNNLAB_ALLOW_HTTP=1"):
        registry.find_file("mnist/t10k-labels-idx1-ubyte.gz")
    assert not list((tmp_path / "cache").rglob("*.gz"))


# ----------------------------------------------------------------------------- run folders survive kills
def test_read_metrics_skips_a_torn_line_and_log_starts_a_new_line(tmp_path, trainer):
    log = tmp_path / "metrics.jsonl"
    log.write_text(json.dumps({"epoch": 1, "train_accuracy": 0.5}) + "\n" + '{"epoch": 2, "train_acc')
    with pytest.warns(RuntimeWarning, match="line 2, a torn record"):
        assert [m["epoch"] for m in read_metrics(tmp_path)] == [1]
    trainer.out_dir = tmp_path
    try:
        trainer._log({"epoch": 2, "train_accuracy": 0.6})
    finally:
        trainer.out_dir = None
    lines = log.read_text().splitlines()
    assert lines[1] == '{"epoch": 2, "train_acc' and json.loads(lines[2])["epoch"] == 2
    with pytest.warns(RuntimeWarning, match="line 2"):
        assert [(m["epoch"], m["train_accuracy"]) for m in read_metrics(tmp_path)] == [(1, 0.5), (2, 0.6)]


def test_stale_temporaries_are_removed_when_a_run_starts_or_resumes(tmp_path, trained):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    stale = [run / ".checkpoint.safetensors.tmp-4242-deadbeef", run / ".checkpoint.pkl.tmp-4242",
             run / ".config.json.tmp-4242"]
    for p in stale:
        p.write_bytes(b"half a checkpoint")
    keep = run / "notes.txt"
    keep.write_text("mine")
    from snnlab.train import trainer_from_checkpoint
    trainer_from_checkpoint(run / "checkpoint.safetensors", out_dir=run, progress=False)
    assert not any(p.exists() for p in stale) and keep.exists()


def test_sigint_during_the_final_test_exits_130_and_says_what_was_saved(tmp_path, monkeypatch, capsys):
    from snnlab import cli
    real = Trainer.evaluate

    def evaluate(self, *args, **kwargs):
        if "split" not in kwargs:                    # the final test (the per-epoch one passes its split)
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, *args, **kwargs)
    monkeypatch.setattr(Trainer, "evaluate", evaluate)
    out = tmp_path / "run"
    # Ctrl-C as in a terminal: Python's own handler, whatever this process inherited (a job started in
    # the background ignores SIGINT) or another library installed (brian2 chains to the handler it
    # found, which fails when that was "ignore")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = cli.main(["train", "--preset", "tiny", "--out", str(out), "--epochs", "1", "--backend", "numpy",
                         "--set", "train_samples=64", "test_samples=20"])
    finally:
        signal.signal(signal.SIGINT, previous)
    err = capsys.readouterr().err
    assert code == 130
    assert "interrupted during the final test" in err and "checkpoint.safetensors" in err and "Traceback" not in err
    assert not (out / "summary.json").exists() and not list(out.glob(".summary.json.tmp-*"))
    assert load_checkpoint_file(out / "checkpoint.safetensors")["epoch"] == 1


# ----------------------------------------------------------------------------- the command line
def _train(*args):
    return ["train", "--preset", "tiny", "--backend", "numpy", *args]


CLI_CASES = [
    # (name, arguments (OUT = the output folder, RUN = a finished run folder, BAD[...] = bad checkpoints),
    #  regex of the error line after "error: ")
    ("unknown --set key", _train("--out", "OUT", "--set", "etaw=0.1"), r"etaw: not a setting.*did you mean 'eta_w'"),
    ("--set eta_w=abc", _train("--out", "OUT", "--set", "eta_w=abc"), r"eta_w: 'abc' is not a number .*; use e.g. 0.002"),
    ("--set sigma=1.0", _train("--out", "OUT", "--set", "sigma=1.0"), r"sigma: .*division by zero\); use sigma < 1"),
    ("--set train_samples=0", _train("--out", "OUT", "--set", "train_samples=0"), r"train_samples: .*>= 1.*None"),
    ("--set without =", _train("--out", "OUT", "--set", "eta_w"), r"--set: expects KEY=VALUE"),
    ("--set recenter_thresholds=1", _train("--out", "OUT", "--set", "recenter_thresholds=1"),
     r"recenter_thresholds: '1' is not true or false"),
    ("--set hidden=20C5", _train("--out", "OUT", "--set", "hidden=20C5"), r"hidden: the layer 20C5 needs maps"),
    ("--set alpha count", _train("--out", "OUT", "--set", "alpha=5"), r"alpha: has 1 value"),
    ("--epochs 0", _train("--out", "OUT", "--epochs", "0"), r"--epochs: must be a whole number of epochs >= 1"),
    ("--epochs -1", _train("--out", "OUT", "--epochs", "-1"), r"--epochs: .*got -1"),
    ("--epochs abc", _train("--out", "OUT", "--epochs", "abc"), r"--epochs: invalid int value"),
    ("unknown preset", ["train", "--preset", "nope", "--out", "OUT"], r"--preset: unknown preset 'nope'"),
    ("--resume on an empty folder", _train("--out", "OUT", "--resume"), r"--resume: no checkpoint in .*drop --resume"),
    ("--resume --set not resume-settable", _train("--out", "RUN", "--resume", "--set", "eta_w=0.1"),
     r"eta_w: cannot be changed when resuming.*another --out"),
    ("--resume --set out of range", _train("--out", "RUN", "--resume", "--set", "eval_every=0"),
     r"eval_every: must be a whole number >= 1"),
    ("--resume --set unknown", _train("--out", "RUN", "--resume", "--set", "epoch=3"), r"epoch: not a setting"),
    ("new run over a finished one", _train("--out", "RUN"), r"--out: .* already holds a run.*--resume"),
    ("evaluate --n 0", ["evaluate", "BAD[good]", "--n", "0"], r"--n: must be a whole number of test samples >= 1"),
    ("evaluate --duration 0", ["evaluate", "BAD[good]", "--duration", "0"], r"--duration: .*> 0, got 0.0"),
    ("evaluate --duration -1", ["evaluate", "BAD[good]", "--duration", "-1"], r"--duration: .*got -1.0"),
    ("evaluate --duration nan", ["evaluate", "BAD[good]", "--duration", "nan"], r"--duration: .*finite.*got nan"),
    ("evaluate --seed abc", ["evaluate", "BAD[good]", "--seed", "abc"], r"--seed: invalid int value"),
    ("evaluate no checkpoint argument", ["evaluate"], r"snnlab evaluate: the following arguments are required"),
    ("evaluate missing checkpoint", ["evaluate", "BAD[missing]"], r"checkpoint: no checkpoint file at .*train first"),
    ("evaluate damaged checkpoint", ["evaluate", "BAD[damaged]"], r"checkpoint: .*damaged or truncated"),
    ("evaluate pickle checkpoint", ["evaluate", "BAD[pickle]"], r"checkpoint: .*pickle.*convert it once"),
    ("evaluate NaN weights", ["evaluate", "BAD[nan]"], r"checkpoint: .*NaN/inf value"),
    ("evaluate threshold <= 0", ["evaluate", "BAD[threshold]"], r"checkpoint: .*threshold\(s\).*<= 0"),
    ("evaluate --split validation without one", ["evaluate", "BAD[good]", "--split", "validation"],
     r"--split: validation: this run held out no validation samples"),
    ("evaluate --split emulated-test on pi-mnist", ["evaluate", "BAD[good]", "--split", "emulated-test"],
     r"--split: emulated-test: only the nmnist task"),
    ("evaluate --backend cuda", ["evaluate", "BAD[good]", "--backend", "cuda"], r"--backend: invalid choice"),
]

SUBPROCESS_CASES = ["--set sigma=1.0", "--epochs 0", "--set train_samples=0", "--set eta_w=abc",
                    "--resume on an empty folder", "evaluate --n 0", "evaluate --duration nan",
                    "evaluate pickle checkpoint"]


def _listing(*folders):
    return {str(p): p.stat().st_mtime_ns for f in folders if f.exists() for p in sorted(f.rglob("*"))}


def _materialize(args, tmp_path, trained):
    """Replace OUT / RUN / BAD[...] in ``args``; returns (arguments, folders that must stay unchanged)."""
    out, run, bad_dir = tmp_path / "out", tmp_path / "run", tmp_path / "bad"
    shutil.copytree(trained, run)
    bad = _bad_checkpoints(bad_dir, run / "checkpoint.safetensors")
    bad["good"] = run / "checkpoint.safetensors"
    subst = {"OUT": str(out), "RUN": str(run), **{f"BAD[{k}]": str(v) for k, v in bad.items()}}
    return [subst.get(a, a) for a in args], (out, run, bad_dir)


def _check_error(code, err, pattern, folders, before):
    assert code == 2, err
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: "), err
    assert re.match(pattern, last[len("error: "):]), last
    assert "; " in last
    assert _listing(*folders) == before, "a refused command wrote into its folders"
    assert not (folders[2] / MARKER).exists(), "the pickle was unpickled"


@pytest.mark.parametrize("name, args, pattern", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_user_error_is_one_line_and_exit_2(name, args, pattern, tmp_path, trained, capsys):
    from snnlab.cli import main
    argv, folders = _materialize(args, tmp_path, trained)
    before = _listing(*folders)
    capsys.readouterr()
    code = main(argv)
    _check_error(code, capsys.readouterr().err, pattern, folders, before)


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_cli_user_error_in_a_real_process(name, tmp_path, trained, data_root):
    args, pattern = next((a, p) for n, a, p in CLI_CASES if n == name)
    argv, folders = _materialize(args, tmp_path, trained)
    before = _listing(*folders)
    env = dict(os.environ, SNNLAB_DATA=str(data_root))
    proc = subprocess.run([sys.executable, "-m", "snnlab.cli", *argv], env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    _check_error(proc.returncode, proc.stderr, pattern, folders, before)


def test_cli_resume_accepts_the_runs_own_values(tmp_path, trained, capsys):
    """--set of a setting fixed at the start is fine on --resume when it repeats the run's value."""
    from snnlab.cli import main
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    config_before = (run / "config.json").read_text()
    eta = json.loads(config_before)["eta_w"]
    capsys.readouterr()
    assert main(_train("--out", str(run), "--resume", "--set", f"eta_w={eta}", "hidden=(40,)")) == 0
    assert "unchanged (already the run's values): eta_w, hidden" in capsys.readouterr().out
    assert (run / "config.json").read_text() == config_before
    summary = json.loads((run / "summary.json").read_text())
    assert math.isfinite(summary["test_accuracy"]) and summary["preset"] == "tiny"


def test_a_resumed_run_never_reports_a_wrong_preset():
    """Without --preset a resume used to report "quick" in summary.json, whatever the run was."""
    from snnlab.cli import _preset_of
    assert _preset_of(PRESETS["pi-mnist-800"], None) == "pi-mnist-800"     # not "quick" (same but epochs)
    assert _preset_of(PRESETS["tiny"].replace(eval_every=2), None) == "tiny"
    assert _preset_of(PRESETS["tiny"].replace(train_samples=64), None) is None
    assert _preset_of(PRESETS["quick"].replace(epochs=7), None) is None     # quick or pi-mnist-800: unknown
