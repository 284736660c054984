"""snnlab sweep: a grid x seeds of snnlab train runs on dask.distributed (snnlab/sweep.py).

Real MNIST, the tiny preset (256 training digits).  Clusters listen on 127.0.0.1 only."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from snnlab import checkpoint as ckpt_io
from snnlab.cli import main
from snnlab.sweep import folder_name, plan, split_values

REPO = Path(__file__).resolve().parents[1]
TINY = ["--preset", "tiny", "--set", "train_samples=256", "--epochs", "1"]
CKPT = "checkpoint.safetensors"


@pytest.fixture(autouse=True)
def _data(data_root, monkeypatch):
    monkeypatch.setenv("SNNLAB_DATA", str(data_root))


def test_plan_names_and_values():
    points = plan("tiny", ["kappa_hidden=-0.4,0", "alpha=(5,3),(4,3)"], "0,1", ["train_samples=64"], epochs=2)
    assert [p.name for p in points][:3] == ["kappa_hidden=-0.4__alpha=5.0,3.0__seed=0",
                                            "kappa_hidden=-0.4__alpha=5.0,3.0__seed=1",
                                            "kappa_hidden=-0.4__alpha=4.0,3.0__seed=0"]
    assert len(points) == 8 and all(p.epochs == 2 for p in points)
    p = points[-1]
    assert (p.cfg.kappa_hidden, p.cfg.alpha, p.cfg.seed, p.cfg.train_samples) == ((0.0,), (4.0, 3.0), 1, 64)
    assert p.items == ["train_samples=64", "kappa_hidden=0", "alpha=(4,3)", "seed=1"]
    assert split_values("20C5,(1,2),[3,4]") == ["20C5", "(1,2)", "[3,4]"]
    assert folder_name({"hidden": ("20C5", "P2", 200), "floor_mode": "a/b c", "seed": 0}) == \
        "hidden=20C5,P2,200__floor_mode=a_b_c__seed=0"
    assert plan("tiny", seeds="3")[0].name == "seed=3"


@pytest.mark.parametrize("args, message", [
    (["--grid", "kappa_hidden=-0.4,abc"], "error: kappa_hidden: 'abc' is not a number"),
    (["--grid", "kappa_hidden=-0.4,0.5"], "error: kappa_hidden: must be"),
    (["--grid", "alpha=(5,3),(5,3,3)"], "error: --grid: point alpha=5.0,3.0,3.0__seed=0: alpha: has 3 value(s)"),
    (["--grid", "no_such=1,2"], "error: no_such: not a setting"),
    (["--grid", "kappa_hidden"], "error: --grid: expects KEY=VALUE"),
    (["--grid", "kappa_hidden=0,-0.0"], "error: --grid: two points would both train in kappa_hidden=0.0__seed=0/"),
    (["--grid", "seed=1,2"], "error: --grid: seed is not a grid setting"),
    (["--seeds", "0,-1"], "error: seed: must be"),
    (["--grid", "eta_w=0.1", "--set", "eta_w=0.2"], "error: --set: eta_w is also a --grid setting"),
    (["--seeds", "0", "--epochs", "0"], "error: --epochs: must be"),
    (["--seeds", "0", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "error: --workers: only for"),
    (["--seeds", "0", "--preset", "nope"], "error: --preset: unknown preset"),
])
def test_bad_values_are_one_error_line_before_anything_runs(tmp_path, capsys, args, message):
    out = tmp_path / "sweep"
    assert main(["sweep", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not out.exists()


def test_unreachable_scheduler_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("snnlab.sweep.CONNECT_TIMEOUT", "1s")
    assert main(["sweep", "--preset", "tiny", "--seeds", "0", "--out", str(tmp_path / "s"),
                 "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err.startswith("error: --scheduler: cannot connect to tcp://127.0.0.1:9")


def _table(out):
    return {r["name"]: r for r in json.loads((out / "sweep.json").read_text())["points"]}


def test_two_points_on_a_local_cluster_then_all_skipped(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", *TINY, "--grid", "kappa_hidden=-0.4,0", "--seeds", "0", "--out", str(out), "--workers", "2"]
    assert main(args) == 0
    text = capsys.readouterr().out
    names = ["kappa_hidden=-0.4__seed=0", "kappa_hidden=0.0__seed=0"]
    for name in names:
        folder = out / name
        assert {"config.json", "metrics.jsonl", CKPT, "summary.json", "command.txt"} <= {p.name for p in folder.iterdir()}
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["epochs"] == 1 and summary["preset"] == "tiny"
        assert f"start {name}: new run" in text and f"finished {name}: test" in text
        assert (folder / "command.txt").read_text().startswith(f"snnlab train --preset tiny --out {folder} --epochs 1")
        assert _table(out)[name]["status"] == "done"
        assert _table(out)[name]["test_accuracy"] == summary["test_accuracy"]
    cfg = json.loads((out / names[1] / "config.json").read_text())
    assert cfg["kappa_hidden"] == [0.0] and cfg["train_samples"] == 256 and cfg["seed"] == 0
    assert "point" in text and "test acc." in text           # the final table
    assert main(args) == 0                                   # done: both skipped, no cluster started
    text = capsys.readouterr().out
    assert text.count("skipped kappa_hidden=") == 2 and "LocalCluster" not in text
    assert {r["status"] for r in _table(out).values()} == {"skipped"}
    # another preset in the same folder is refused before anything runs
    assert main(["sweep", "--preset", "quick", "--set", "train_samples=256", "--epochs", "2", "--grid",
                 "kappa_hidden=-0.4", "--seeds", "0", "--out", str(out)]) == 2
    assert "holds a run with other settings" in capsys.readouterr().err


def test_existing_cluster_via_scheduler(tmp_path, capsys):
    from distributed import LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        out = tmp_path / "sweep"
        assert main(["sweep", *TINY, "--seeds", "1", "--out", str(out), "--scheduler", cluster.scheduler_address]) == 0
        text = capsys.readouterr().out
        assert f"scheduler {cluster.scheduler_address}" in text and "LocalCluster at" not in text
        assert json.loads((out / "seed=1" / "summary.json").read_text())["epochs"] == 1
        assert json.loads((out / "sweep.json").read_text())["cluster"] == cluster.scheduler_address
        # more epochs asked for: the finished point resumes from its checkpoint instead of being skipped
        more = [a if a != "1" else "2" for a in TINY]
        assert main(["sweep", *more, "--seeds", "1", "--out", str(out), "--scheduler", cluster.scheduler_address]) == 0
        assert "start seed=1: resuming from its checkpoint (epoch 1 done, next batch 0)" in capsys.readouterr().out
        assert json.loads((out / "seed=1" / "summary.json").read_text())["epochs"] == 2


def _arrays(path):
    state = ckpt_io.load(path)
    return {"weights": state["weights"], "thresholds": state["thresholds"], "optimizer": state["optimizer"],
            "epoch": state["epoch"], "batch_index": state["batch_index"]}


def _same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


def _trainer_process(sweep_pid):
    """The snnlab train child of a worker of the sweep's LocalCluster (None until one runs)."""
    try:
        for p in psutil.Process(sweep_pid).children(recursive=True):
            try:
                if "_train_child" in " ".join(p.cmdline()):
                    return p
            except psutil.NoSuchProcess:
                pass
    except psutil.NoSuchProcess:
        pass
    return None


def _wait_for_checkpoint(proc, folder, deadline=60):
    t0 = time.time()
    while not (folder / CKPT).exists():
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < deadline, "no checkpoint written"
        time.sleep(0.02)
    child = _trainer_process(proc.pid)
    assert child is not None
    return child


@pytest.mark.timeout(300)
def test_killed_worker_and_killed_trainer_give_the_uninterrupted_result(tmp_path):
    """kill -9 a worker of the LocalCluster mid-point: the nanny restarts it, dask runs the point again
    and it resumes from its checkpoint; kill -9 the training process itself: the point fails, and the
    same command resumes it.  Both end with the weights and accuracy of an uninterrupted run."""
    args = ["sweep", "--preset", "tiny", "--epochs", "4", "--set", "train_samples=256", "checkpoint_every=0.05",
            "--seeds", "0", "--workers", "1"]
    ref = tmp_path / "ref"
    assert main([*args, "--out", str(ref)]) == 0
    name = "seed=0"

    def sweep(out):
        return subprocess.Popen([sys.executable, "-m", "snnlab.cli", *args, "--out", str(out)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    # 1. the worker dies
    out = tmp_path / "killed-worker"
    proc = sweep(out)
    trainer = _wait_for_checkpoint(proc, out / name)
    worker = trainer.parent()
    assert worker.ppid() == proc.pid                          # a worker process of the sweep's LocalCluster
    os.kill(worker.pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stdout + stderr
    assert "start seed=0: resuming from its checkpoint" in stdout, stdout
    assert not trainer.is_running()
    if sys.platform.startswith("linux"):       # told of its worker's death, the trainer saved and stopped
        log = (out / name / "train.log").read_text()
        assert "SIGTERM: stopping after this mini-batch" in log and "interrupted: checkpoint saved" in log, log
        assert "stopped at once" not in log
    assert (out / name / "command.txt").read_text().count("--resume") == 1
    assert _same(_arrays(out / name / CKPT), _arrays(ref / name / CKPT))
    summary, ref_summary = (json.loads((d / name / "summary.json").read_text()) for d in (out, ref))
    assert summary["test_accuracy"] == ref_summary["test_accuracy"] and summary["epochs"] == 4

    # 2. the training process dies (e.g. out of memory): the point fails; the same command resumes it
    out = tmp_path / "killed-trainer"
    proc = sweep(out)
    trainer = _wait_for_checkpoint(proc, out / name)
    os.kill(trainer.pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "killed by SIGKILL" in stdout, stdout + stderr
    assert _table(out)[name]["status"] == "failed"
    assert main([*args, "--out", str(out)]) == 0
    assert _same(_arrays(out / name / CKPT), _arrays(ref / name / CKPT))
    assert json.loads((out / name / "summary.json").read_text())["test_accuracy"] == ref_summary["test_accuracy"]


def test_every_kappa_starts_from_the_same_weights():
    """Fig. 3 as in the paper: for one N and seed, the initial network does not depend on kappa."""
    from snnlab.train import PRESETS, _rng, build_network
    nets = [build_network(c, _rng(c, 1000)) for c in
            (PRESETS["quick"].replace(hidden=(100,), kappa_hidden=(k,)) for k in (-1.0, -0.4, 0.0))]
    for net in nets[1:]:
        for a, b in zip(nets[0].layers, net.layers):
            assert np.array_equal(a.weights, b.weights) and np.array_equal(a.threshold, b.threshold)
    assert [n.layers[0].kappa for n in nets] == [-1.0, -0.4, 0.0]
