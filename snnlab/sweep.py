"""Sweeps: a grid of settings x seeds, every point an independent ``snnlab train`` run, on dask.distributed.

``snnlab sweep`` -- any preset, any settings::

    snnlab sweep --preset tiny --grid kappa_hidden=-0.4,0 --seeds 0,1 --out runs/kappa --epochs 1
    snnlab sweep --preset quick --grid hidden=100,200 --grid eta_w=0.001,0.002 --set train_samples=5000 \\
        --out runs/grid --scheduler tcp://10.0.0.5:8786          # an existing cluster

Every point trains in its own folder ``OUT/<point>/`` (e.g. ``OUT/kappa_hidden=-0.4__seed=1``) by
running ``snnlab train --out OUT/<point> --set ...`` as a child process of a dask worker (so the
folder holds what ``snnlab train`` writes: config.json, metrics.jsonl, checkpoint.safetensors,
summary.json, command.txt, and the run's output in train.log).  A point whose summary.json says it
finished the requested epochs is skipped; one with a checkpoint resumes from it (``--resume``: bit
for bit).  The default cluster is a LocalCluster with one single-threaded worker process per core.
A worker that dies is restarted by its nanny and the scheduler runs its point again (it resumes
from the point's checkpoint; the training process, told by SIGTERM that its worker died, first
saves one at its next batch boundary).  Re-running the same command after any interruption
continues the sweep.  The table of results (point, test accuracy, epochs, wall time) is printed at
the end and written to ``OUT/sweep.json``.

``python -m snnlab.sweep`` -- the paper's Fig. 3, accuracy vs the WTA strength kappa of the hidden
layer (784-N-10, N = 100, 200, 300; kappa = -1 ... 0), through the same runner::

    python -m snnlab.sweep --out results/canonical/kappa_sweep                       # the long job
    python -m snnlab.sweep --hidden 100 --kappa -0.4 -0.2 0 --epochs 1 --train-samples 5000
    python -m snnlab.sweep --out results/canonical/kappa_sweep --plot results/canonical/kappa_sweep/fig3.png   # figure only

Its points train in ``OUT/points/<point>/`` and each finished one is summarized in
``OUT/N{hidden}_kappa{kappa}.json`` (kappa, hidden, test_accuracy, the config and the per-epoch
history), which notebook 07 reads (:func:`snnlab.dashboard.load_kappa_sweep`); points with that
file are skipped.  Every kappa of one N and seed starts from the same initial weights, as in the
paper: the weights are drawn from the seed alone (kappa sets no random number), and so are the
pixel permutation, the order of the digits and the input spikes.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, parse_value, validate
from .train import (CHECKPOINT, PRESETS, Trainer, TrainConfig, TrainingDiverged, atomic_write_bytes,
                    read_metrics)

#: Fig. 3 of the paper: N = 100, 200, 300 and kappa from -1 to 0
FIG3_HIDDEN = (100, 200, 300)
FIG3_KAPPAS = (-1.0, -0.8, -0.6, -0.4, -0.2, 0.0)

SWEEP_JSON = "sweep.json"
TRAIN_LOG = "train.log"
LOCK = ".sweep.lock"
CONNECT_TIMEOUT = "10s"   # to reach the scheduler given by --scheduler


# ============================================================================ in-process (notebook 07)
def point_name(hidden: int, kappa: float) -> str:
    """The file of one Fig. 3 point in ``python -m snnlab.sweep``'s output folder."""
    return f"N{hidden}_kappa{kappa:+.2f}.json"


def run_point(kappa: float, hidden: int, base: TrainConfig | None = None, epochs: int | None = None,
              progress: bool = False, callbacks=()) -> dict:
    """Train 784-hidden-10 with hidden-layer kappa in this process (nothing written; notebook 07);
    returns the point (test accuracy, the config, the per-epoch history ...)."""
    base = base or PRESETS["quick"]
    cfg = base.replace(hidden=(int(hidden),), kappa_hidden=(float(kappa),), alpha=(base.alpha[0], base.alpha[-1]))
    trainer = Trainer(cfg, progress=progress, callbacks=callbacks)
    t0 = time.time()
    point = {"kappa": float(kappa), "hidden": int(hidden), "config": dataclasses.asdict(cfg)}
    try:
        trainer.fit(epochs)
        last = trainer.history[-1] if trainer.history else None
        if last and last["test_duration_s"] == cfg.final_eval_duration:   # the epoch's test is the final one
            final = {"accuracy": last["test_accuracy"], "duration_s": last["test_duration_s"],
                     "n": len(trainer.test_labels), "silent_fraction": last["test_silent_fraction"]}
        else:
            final = trainer.evaluate(duration=cfg.final_eval_duration)
        point.update(test_accuracy=final["accuracy"], test_presentation_s=final["duration_s"],
                     test_samples=final["n"], test_silent_fraction=final["silent_fraction"], diverged=None)
    except TrainingDiverged as exc:
        point.update(test_accuracy=float("nan"), diverged=str(exc))
    point.update(epochs=trainer.epoch, history=trainer.history, wall_time_s=time.time() - t0)
    return point


# ============================================================================ planning (no task yet)
@dataclass
class Point:
    """One run of a sweep: its folder name, its settings, the ``--set`` items of its ``snnlab train``."""
    name: str
    settings: dict          # the grid's values and the seed (parsed)
    items: list             # KEY=TEXT for ``snnlab train --set``: the fixed --set ones, the grid's, the seed
    cfg: TrainConfig        # the preset with all of them applied (validated)
    epochs: int             # train until this many epochs are done


def split_values(text: str) -> list[str]:
    """``"a,b,(c,d)"`` -> ``["a", "b", "(c,d)"]``: commas inside parentheses or brackets belong to a value."""
    values, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            values.append(cur.strip())
            cur = ""
        else:
            cur += ch
    values.append(cur.strip())
    return values


def _key_values(item: str, option: str, example: str) -> tuple[str, str]:
    if "=" not in item or not item.split("=", 1)[0].strip():
        raise ConfigError(option, f"expects KEY=VALUE, got {item!r}", f"write e.g. {option} {example}")
    key, text = item.split("=", 1)
    return key.strip(), text


def parse_grid(items) -> dict[str, list[tuple[str, object]]]:
    """``["kappa_hidden=-0.4,0", "hidden=(500,500),(300,300)"]`` -> {key: [(text, value), ...]}.

    Every value is parsed as its setting's type and range-checked (:func:`snnlab.config.parse_value`).
    A tuple value with several entries is written in parentheses (``alpha=(5,3),(4,3)``); a one-entry
    tuple needs none (``hidden=100,200``).

    Raises:
        ConfigError: no ``=``, an empty value, a key given twice, a value that is not valid.
    """
    grid: dict = {}
    for item in items or []:
        key, text = _key_values(item, "--grid", "kappa_hidden=-0.4,-0.2,0")
        if key in grid:
            raise ConfigError("--grid", f"{key} given twice", f"give all its values once: --grid {key}=V1,V2,...")
        if key == "seed":
            raise ConfigError("--grid", "seed is not a grid setting", "use --seeds 0,1,2")
        texts = split_values(text)
        if any(not t for t in texts):
            raise ConfigError("--grid", f"{item!r} has an empty value", f"write e.g. --grid {key}=V1,V2")
        grid[key] = [(t, parse_value(key, t)) for t in texts]
    return grid


def parse_seeds(text) -> list[int]:
    """``"0,1,2"`` -> [0, 1, 2] (each a valid ``seed``); ConfigError otherwise."""
    seeds = [parse_value("seed", t) for t in split_values(text)] if text is not None else []
    if len(set(seeds)) != len(seeds):
        raise ConfigError("--seeds", f"a seed given twice in {text!r}", "give each seed once, e.g. --seeds 0,1,2")
    return seeds


def format_value(value) -> str:
    """A setting's value as it appears in a point's folder name: ``-0.4``, ``500,500``, ``None``, ``true``."""
    if isinstance(value, (tuple, list)):
        return ",".join(format_value(v) for v in value) if value else "()"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value + 0.0)          # -0.0 -> 0.0
    return str(value)


def folder_name(settings: dict) -> str:
    """``{"kappa_hidden": (-0.4,), "seed": 1}`` -> ``kappa_hidden=-0.4__seed=1``: readable, and safe
    on any filesystem (characters other than letters, digits and ``._,+=-`` become ``_``)."""
    name = "__".join(f"{k}={format_value(v)}" for k, v in settings.items())
    return re.sub(r"[^A-Za-z0-9._,+=-]", "_", name)


def plan(preset: str, grid=(), seeds=None, sets=(), epochs: int | None = None) -> list[Point]:
    """The points of a sweep, every one parsed and validated before anything runs.

    Args:
        preset: a name in :data:`snnlab.train.PRESETS`.
        grid: ``KEY=V1,V2,...`` items (:func:`parse_grid`); the points are their product.
        seeds: ``"0,1,2"`` (each point once per seed; default: the preset's seed).
        sets: ``KEY=VALUE`` items applied to every point (``snnlab train --set``).
        epochs: train every point until this many epochs are done (default: the config's epochs).

    Raises:
        ConfigError: ``<field>: <what is wrong>; <what to use>`` for any bad name, value or point.
    """
    if preset not in PRESETS:
        raise ConfigError("--preset", f"unknown preset {preset!r}", f"use one of: {', '.join(PRESETS)}")
    if epochs is not None and epochs < 1:
        raise ConfigError("--epochs", f"must be a whole number of epochs >= 1, got {epochs}", "use e.g. --epochs 2")
    axes = parse_grid(grid)
    seed_list = parse_seeds(seeds)
    fixed, fixed_items = {}, []
    for item in sets or []:
        key, text = _key_values(item, "--set", "train_samples=5000")
        if key in axes:
            raise ConfigError("--set", f"{key} is also a --grid setting", f"give {key} either in --grid or in --set")
        if key == "seed" and seed_list:
            raise ConfigError("--set", "seed given with --seeds too", "give the seeds in --seeds only")
        fixed[key] = parse_value(key, text)
        if key != "seed":           # the seed is every point's own item
            fixed_items.append(f"{key}={text.strip()}")
    base = PRESETS[preset].replace(**fixed)
    if not seed_list:
        seed_list = [base.seed]
    points, names = [], {}
    for combo in itertools.product(*[[(k, t, v) for t, v in vals] for k, vals in axes.items()], seed_list):
        *values, seed = combo
        settings = {k: v for k, _, v in values}
        settings["seed"] = seed
        name = folder_name(settings)
        if name in names:
            raise ConfigError("--grid", f"two points would both train in {name}/ (a value given twice?)",
                              "give each value of a setting once")
        items = fixed_items + [f"{k}={t.strip()}" for k, t, _ in values] + [f"seed={seed}"]
        cfg = base.replace(**settings)
        try:
            validate(cfg)
        except ConfigError as exc:
            raise ConfigError(f"--grid: point {name}: {exc}") from None
        names[name] = True
        points.append(Point(name, settings, items, cfg, epochs if epochs is not None else cfg.epochs))
    return points


def _json_like(obj):
    return json.loads(json.dumps(obj))


def finished(folder: Path, epochs: int) -> dict | None:
    """The summary.json of a point that finished ``epochs`` epochs (None if it has not)."""
    try:
        summary = json.loads((Path(folder) / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) and summary.get("epochs", 0) >= epochs else None


def check_folder(point: Point, folder: Path) -> None:
    """A point's folder must hold nothing, or a run of the point's own settings (ConfigError if not):
    the settings a ``--resume`` may change (epochs, test durations ...) may differ."""
    from .cli import RESUME_SETTABLE
    try:
        stored = json.loads((folder / "config.json").read_text())
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        raise ConfigError("--out", f"{folder}/config.json cannot be read ({exc})",
                          "delete that point's folder to train it anew") from None
    wanted = _json_like(dataclasses.asdict(point.cfg))
    differ = [k for k in wanted if k not in RESUME_SETTABLE and stored.get(k) != wanted[k]]
    if differ:
        k = differ[0]
        raise ConfigError("--out", f"{folder} holds a run with other settings ({k}={stored.get(k)!r}, this sweep "
                          f"{k}={wanted[k]!r}{' and more' if len(differ) > 1 else ''})",
                          "use another --out, or the preset and --set of the sweep that made it")


# ============================================================================ one point (on a worker)
_CHILD = "import sys; from snnlab.sweep import _train_child; sys.exit(_train_child())"


def _train_child() -> int:
    """``snnlab train`` in the child process of a worker: ``python -c _CHILD WORKER_PID train ...``.

    On Linux it asks to be told when its worker dies (PR_SET_PDEATHSIG) and then sends itself one
    SIGTERM, which ``snnlab train`` answers by saving a checkpoint at the next batch boundary and
    stopping.  (The kernel repeats the parent-death signal each time the child is handed on to
    another thread of the dying worker; a second SIGTERM would stop it without saving, hence the
    relay through SIGUSR1, of which only the first counts.)"""
    parent, argv = int(sys.argv[1]), sys.argv[2:]
    if sys.platform.startswith("linux"):
        import ctypes
        told = []

        def worker_died(signum, frame):
            if not told:
                told.append(True)
                os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(signal.SIGUSR1, worker_died)
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGUSR1))      # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:          # the worker died before the request was made
        print("error: the sweep worker that started this run died; nothing trained", file=sys.stderr)
        return 130
    sys.argv = ["snnlab", *argv]        # what snnlab train writes to command.txt
    from snnlab.cli import main
    return main(argv)


def _event(topic, **msg):
    if not topic:
        return
    try:
        from distributed import get_worker
        get_worker().log_event(topic, msg)
    except (ImportError, ValueError):   # not on a worker (called directly)
        pass


def _lock(folder: Path):
    """An exclusive lock of the point's folder, held until the fd and every inherited copy are closed."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        import fcntl
    except ImportError:                 # no flock (Windows): no lock
        return fd, True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, True
    except BlockingIOError:
        return fd, False


def _checkpoint_position(path: Path):
    from . import checkpoint as ckpt_io
    try:
        state = ckpt_io.load(path)
        return [int(state["epoch"]), int(state["batch_index"])]
    except Exception:                   # noqa: BLE001  (snnlab train says what is wrong with it)
        return None


def _log_error(log: Path, offset: int, rc: int) -> str:
    """Why a ``snnlab train`` session failed: its ``error:`` line, or the last line it wrote."""
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            lines = [ln.strip() for ln in f.read().decode(errors="replace").replace("\r", "\n").splitlines()]
    except OSError:
        lines = []
    lines = [ln for ln in lines if ln]
    errors = [ln for ln in lines if ln.startswith("error:")]
    if rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
        return (f"the training process was killed by {name} (out of memory?); "
                "run the sweep again to resume it from its checkpoint")
    if errors:
        return errors[-1]
    return lines[-1] if lines else f"snnlab train exited with code {rc}"


def train_point(folder, preset: str, items, epochs: int, backend: str = "numba", topic: str | None = None) -> dict:
    """Train one point in ``folder`` by ``snnlab train`` (a child process); the task of a sweep.

    Skips a point that finished ``epochs`` epochs, resumes one with a checkpoint, starts the others
    (a folder without checkpoint restarts from scratch: the metrics.jsonl of a run killed before its
    first checkpoint is kept aside as metrics.jsonl.stale-TIME).  Returns the point's row:
    name, status ("done", "skipped" or "failed"), test_accuracy, epochs, wall_time_s, error, resumed_from.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    row = {"name": folder.name, "status": None, "test_accuracy": None, "epochs": None, "wall_time_s": None,
           "error": None, "resumed_from": None}
    fd, got = _lock(folder)
    try:
        if not got:         # a run in this folder is still stopping (its worker died), or another sweep trains it
            _event(topic, name=folder.name, what="waiting", detail="for the run already in this folder to stop")
            import fcntl
            fcntl.flock(fd, fcntl.LOCK_EX)
        summary = finished(folder, epochs)
        if summary:
            row.update(status="skipped", test_accuracy=summary["test_accuracy"], epochs=summary["epochs"],
                       wall_time_s=summary.get("session_wall_time_s"))
            return row
        ckpt = folder / CHECKPOINT
        resume = ckpt.is_file()
        if resume:
            row["resumed_from"] = _checkpoint_position(ckpt)
        elif (folder / "metrics.jsonl").exists():
            os.replace(folder / "metrics.jsonl", folder / f"metrics.jsonl.stale-{time.strftime('%Y%m%d-%H%M%S')}")
        argv = ["train", "--preset", preset, "--out", str(folder), "--epochs", str(epochs), "--backend", backend]
        argv += ["--resume"] if resume else []
        argv += ["--set", *items] if items else []
        _event(topic, name=folder.name, what="start", detail=(
            f"resuming from its checkpoint (epoch {row['resumed_from'][0]} done, next batch {row['resumed_from'][1]})"
            if row["resumed_from"] else "resuming from its checkpoint" if resume else "new run"))
        log = folder / TRAIN_LOG
        with open(log, "ab") as out:
            offset = out.tell()
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(os.getpid()), *argv], stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, env=env, pass_fds=(fd,),
                                    start_new_session=True)     # a Ctrl-C in the terminal reaches the sweep only
            rc = proc.wait()
        row["wall_time_s"] = time.time() - t0
        summary = finished(folder, epochs) if rc == 0 else None
        if summary:
            row.update(status="done", test_accuracy=summary["test_accuracy"], epochs=summary["epochs"])
        else:
            at = _checkpoint_position(ckpt) if ckpt.is_file() else None
            row.update(status="failed", error=_log_error(log, offset, rc) if rc else "no summary.json written",
                       epochs=at[0] if at else 0)
        return row
    finally:
        os.close(fd)


# ============================================================================ the sweep (client)
def format_table(rows) -> str:
    """point -> status -> final test accuracy -> epochs -> wall time, one line per point."""
    width = max([len("point")] + [len(r["name"]) for r in rows])
    lines = [f"{'point':<{width}}  {'status':<8} {'test acc.':>9} {'epochs':>6} {'wall (s)':>9}"]
    for r in rows:
        acc = "-" if r.get("test_accuracy") is None else f"{100 * r['test_accuracy']:.2f}%"
        ep = "-" if r.get("epochs") is None else str(r["epochs"])
        wall = "-" if r.get("wall_time_s") is None else f"{r['wall_time_s']:.1f}"
        lines.append(f"{r['name']:<{width}}  {r['status'] or '-':<8} {acc:>9} {ep:>6} {wall:>9}")
    return "\n".join(lines)


def _describe(row) -> str:
    if row["status"] == "failed":
        return f"failed {row['name']}: {row['error']}"
    acc = f"test {100 * row['test_accuracy']:.2f}%" if row["test_accuracy"] is not None else ""
    wall = f", {row['wall_time_s']:.1f} s" if row.get("wall_time_s") is not None and row["status"] == "done" else ""
    return f"{'finished' if row['status'] == 'done' else row['status']} {row['name']}: {acc}, {row['epochs']} epoch(s){wall}"


def run_sweep(points, out, preset: str, scheduler: str | None = None, workers: int | None = None,
              backend: str = "numba", log=print, meta: dict | None = None) -> dict:
    """Run ``points`` (:func:`plan`) in ``out/<point>/`` as dask.distributed tasks; returns the table
    (also written, atomically, to ``out/sweep.json``).

    Args:
        scheduler: address of an existing cluster's scheduler (``tcp://host:8786``); default a
            LocalCluster of ``workers`` (default ``os.cpu_count()``) single-threaded worker processes.
        log: called with every progress line (start, finish, skip, failure of a point).

    Raises:
        ConfigError: a point's folder holds a run with other settings, or the scheduler cannot be reached
            (before any task is submitted).
        KeyboardInterrupt: after writing sweep.json with the points not yet finished as "interrupted".
    """
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", f"{out} is a file", "choose a folder")
    for p in points:
        check_folder(p, out / p.name)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("--out", f"cannot create {out} ({exc.strerror or exc})", "choose a folder you can write to") from None
    t_start = time.time()
    rows = {p.name: {"name": p.name, "status": None, "test_accuracy": None, "epochs": None, "wall_time_s": None,
                     "error": None, "resumed_from": None} for p in points}
    table = {**(meta or {}), "preset": preset, "out": str(out), "backend": backend, "cluster": None,
             "started": time.strftime("%Y-%m-%d %H:%M:%S"), "wall_time_s": None,
             "points": [dict(rows[p.name], settings=_json_like(p.settings), requested_epochs=p.epochs) for p in points]}

    def write():
        table["wall_time_s"] = time.time() - t_start
        table["points"] = [dict(rows[p.name], settings=_json_like(p.settings), requested_epochs=p.epochs)
                           for p in points]
        atomic_write_bytes(out / SWEEP_JSON, json.dumps(table, indent=1).encode())

    todo = []
    for p in points:
        summary = finished(out / p.name, p.epochs)
        if summary:
            rows[p.name].update(status="skipped", test_accuracy=summary["test_accuracy"], epochs=summary["epochs"],
                                wall_time_s=summary.get("session_wall_time_s"))
            log(f"skipped {p.name}: done before ({summary['epochs']} epoch(s), "
                f"test {100 * summary['test_accuracy']:.2f}%)")
        else:
            todo.append(p)
    client = cluster = None
    try:
        if todo:
            client, cluster = _connect(scheduler, workers)
            n = len(client.scheduler_info(n_workers=-1)["workers"]) if scheduler else workers or os.cpu_count()
            table["cluster"] = scheduler or f"LocalCluster({n} worker processes x 1 thread)"
            log(f"{len(todo)} point(s) to train on {n} worker(s) "
                f"({'scheduler ' + scheduler if scheduler else 'LocalCluster at ' + cluster.scheduler_address}); "
                f"{len(points) - len(todo)} already done")
            token = uuid.uuid4().hex[:8]
            topic = f"snnlab-sweep-{token}"
            client.subscribe_topic(topic, lambda ev: log(f"{ev[1]['what']} {ev[1]['name']}: {ev[1]['detail']}"))
            from distributed import as_completed
            futures = {client.submit(train_point, str(out / p.name), preset, p.items, p.epochs, backend, topic,
                                     key=f"snnlab-sweep-{p.name}-{token}", pure=False): p for p in todo}
            for fut in as_completed(futures):
                p = futures[fut]
                try:
                    rows[p.name].update(fut.result())
                except Exception as exc:            # noqa: BLE001  KilledWorker (died again and again), lost scheduler ...
                    rows[p.name].update(status="failed", error=f"{type(exc).__name__}: {exc}".replace("\n", " "))
                log(_describe(rows[p.name]))
                write()
    except KeyboardInterrupt:
        for r in rows.values():
            if r["status"] is None:
                r["status"] = "interrupted"
        write()
        raise
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    write()
    return table


def _connect(scheduler, workers):
    """(client, LocalCluster or None); ConfigError if the scheduler cannot be reached."""
    from distributed import Client, LocalCluster
    if scheduler:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError("--scheduler", f"cannot connect to {scheduler} ({exc})".replace("\n", " "),
                              "start the cluster first (dask scheduler / dask worker), or drop --scheduler "
                              "for a LocalCluster") from None
    cluster = LocalCluster(n_workers=workers or os.cpu_count(), threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    return Client(cluster), cluster


# ============================================================================ snnlab sweep
def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``snnlab sweep`` (added to the ``snnlab`` parser by :mod:`snnlab.cli`)."""
    from .layers import BACKENDS
    p.description = ("Every point of the grid x seeds is a `snnlab train --out OUT/<point> --set ...` run, a task on "
                     "dask.distributed.  A point that finished the requested epochs is skipped, one with a checkpoint "
                     "resumes from it, so the same command continues an interrupted sweep.  The table of results "
                     "is printed at the end and written to OUT/sweep.json.")
    p.add_argument("--preset", default="quick", help=f"one of: {', '.join(PRESETS)} (default quick)")
    p.add_argument("--grid", action="append", metavar="KEY=V1,V2,...",
                   help="a setting and its values, e.g. --grid kappa_hidden=-0.4,0 (repeat for more settings: the "
                        "points are the product; tuples with several entries in parentheses: alpha=(5,3),(4,3))")
    p.add_argument("--seeds", default=None, metavar="S1,S2,...", help="run every point once per seed (default: the "
                   "preset's seed)")
    p.add_argument("--set", action="extend", nargs="+", metavar="KEY=VALUE",
                   help="settings for every point, as in snnlab train --set")
    p.add_argument("--out", required=True, help="sweep folder: one sub-folder per point, and sweep.json")
    p.add_argument("--epochs", type=int, default=None, help="train every point until this many epochs are done")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing dask cluster (e.g. tcp://127.0.0.1:8786; its workers need snnlab and see --out)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the LocalCluster (default: one per core)")
    p.add_argument("--backend", choices=BACKENDS, default="numba", help="as in snnlab train")


def cmd_sweep(args) -> int:
    """``snnlab sweep``: every value parsed and every point validated before a task is submitted."""
    if args.workers is not None and args.workers < 1:
        raise ConfigError("--workers", f"must be a whole number >= 1, got {args.workers}", "use e.g. --workers 2")
    if args.workers is not None and args.scheduler:
        raise ConfigError("--workers", "only for the LocalCluster: the cluster at --scheduler has its own workers",
                          "drop --workers or --scheduler")
    points = plan(args.preset, args.grid, args.seeds, args.set, args.epochs)
    command = ["snnlab", "sweep", "--preset", args.preset, *[a for g in args.grid or [] for a in ("--grid", g)]]
    command += (["--seeds", args.seeds] if args.seeds is not None else []) + (["--set", *args.set] if args.set else [])
    command += ["--out", args.out] + (["--epochs", str(args.epochs)] if args.epochs is not None else [])
    command += ["--scheduler", args.scheduler] if args.scheduler else []
    command += (["--workers", str(args.workers)] if args.workers else []) + ["--backend", args.backend]
    meta = {"command": " ".join(shlex.quote(a) for a in command), "grid": args.grid or [], "seeds": args.seeds,
            "set": args.set or [], "epochs": args.epochs}
    return _run_and_report(points, args.out, args.preset, args.scheduler, args.workers, args.backend, meta)[0]


def _run_and_report(points, out, preset, scheduler, workers, backend, meta=None):
    print(f"sweep: {len(points)} point(s) of preset {preset} -> {out}", flush=True)
    try:
        table = run_sweep(points, out, preset, scheduler, workers, backend,
                          log=lambda s: print(s, flush=True), meta=meta)
    except KeyboardInterrupt:
        print(f"\ninterrupted: the points still training stop at their next batch boundary and save a checkpoint; "
              f"run the same command again to continue ({Path(out) / SWEEP_JSON} lists what finished)",
              file=sys.stderr)
        return 130, None
    print("\n" + format_table(table["points"]))
    print(f"written: {Path(out) / SWEEP_JSON}", flush=True)
    failed = [r["name"] for r in table["points"] if r["status"] == "failed"]
    if failed:
        print(f"{len(failed)} of {len(points)} point(s) failed: {', '.join(failed)} (their train.log says more); "
              "run the same command again to retry them (finished points are skipped)", file=sys.stderr)
        return 1, table
    return 0, table


# ============================================================================ python -m snnlab.sweep (Fig. 3)
def fig3_json(folder: Path, kappa: float, hidden: int, row: dict) -> dict:
    """A Fig. 3 point as notebook 07 reads it, from the run folder of that point."""
    folder = Path(folder)
    point = {"kappa": float(kappa), "hidden": int(hidden), "config": json.loads((folder / "config.json").read_text())}
    history = read_metrics(folder)
    if row["status"] == "done":
        s = json.loads((folder / "summary.json").read_text())
        point.update(test_accuracy=s["test_accuracy"], test_presentation_s=s["test_presentation_s"],
                     test_samples=s["test_samples"], test_silent_fraction=s["test_silent_fraction"], diverged=None)
    else:
        point.update(test_accuracy=float("nan"), diverged=row["error"])
    point.update(epochs=len(history), history=history, wall_time_s=row["wall_time_s"], run=str(folder))
    return point


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m snnlab.sweep", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="results/canonical/kappa_sweep")
    p.add_argument("--hidden", type=int, nargs="+", default=list(FIG3_HIDDEN))
    p.add_argument("--kappa", type=float, nargs="+", default=list(FIG3_KAPPAS))
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--train-samples", type=int, default=None, help="default: all 60,000")
    p.add_argument("--test-samples", type=int, default=None, help="default: all 10,000")
    p.add_argument("--test-duration", type=float, default=0.2, help="s per test digit")
    p.add_argument("--seed", type=int, default=0, help="the same initial weights for every kappa of one N")
    p.add_argument("--workers", type=int, default=None, help="LocalCluster worker processes (default: one per core)")
    p.add_argument("--scheduler", default=None, help="an existing dask cluster instead of a LocalCluster")
    p.add_argument("--plot", metavar="PNG", help="only draw the points in OUT (Fig. 3) into this file")
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.plot:
        return plot(out, args.plot)
    sets = [f"train_samples={args.train_samples}", f"test_samples={args.test_samples}",
            f"final_eval_duration={args.test_duration}", f"eval_duration={args.test_duration}"]
    try:
        points = plan("quick", [f"hidden={','.join(str(n) for n in args.hidden)}",
                                f"kappa_hidden={','.join(repr(float(k)) for k in args.kappa)}"],
                      str(args.seed), sets, args.epochs)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    todo = []
    for pt in points:
        hidden, kappa = pt.settings["hidden"][0], pt.settings["kappa_hidden"][0]
        path = out / point_name(hidden, kappa)
        if path.exists():
            print(f"{path} exists, skipped")
        else:
            todo.append(pt)
    if not todo:
        return 0
    try:
        code, table = _run_and_report(todo, out / "points", "quick", args.scheduler, args.workers, "numba",
                                      {"command": "python -m snnlab.sweep " + " ".join(argv or sys.argv[1:])})
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for row, pt in zip(table["points"] if table else [], todo):
        diverged = row["status"] == "failed" and (row["error"] or "").startswith("error: training stopped:")
        if row["status"] in ("done", "skipped") or diverged:
            hidden, kappa = pt.settings["hidden"][0], pt.settings["kappa_hidden"][0]
            path = out / point_name(hidden, kappa)
            point = fig3_json(out / "points" / pt.name, kappa, hidden, row)
            atomic_write_bytes(path, json.dumps(point, indent=1).encode())
            print(f"N = {hidden}, kappa = {kappa:+.2f}: test accuracy {100 * point['test_accuracy']:.2f}%  -> {path}",
                  flush=True)
    return code


def plot(out: Path, png) -> int:
    """Draw accuracy vs kappa for every point stored in ``out`` (the paper's Fig. 3)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from .dashboard import plot_kappa_sweep
    points = [json.loads(p.read_text()) for p in sorted(Path(out).glob("N*_kappa*.json"))]
    if not points:
        print(f"no sweep points in {out}: run the sweep first", file=sys.stderr)
        return 1
    fig, ax = plt.subplots(figsize=(5, 3.6))
    plot_kappa_sweep(ax, points)
    epochs = sorted({p["epochs"] for p in points})
    ax.set_title(f"784-N-10, {'/'.join(map(str, epochs))} epoch(s) per point", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    print(f"{len(points)} points -> {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
