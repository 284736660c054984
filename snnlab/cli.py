"""Command line: ``snnlab train`` and ``snnlab evaluate``.

    snnlab train --preset quick                      # a few minutes on a laptop CPU
    snnlab train --preset pi-mnist-800 --out runs/800 --resume
    snnlab train --preset quick --set batch_size=64 --set eta_w=0.002
    snnlab evaluate runs/800/checkpoint.safetensors --duration 1.0
    snnlab sweep --preset tiny --grid kappa_hidden=-0.4,0 --seeds 0,1 --out runs/kappa   # snnlab.sweep
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import shlex
import signal
import sys
import time
from pathlib import Path

from .config import ConfigError, parse_value, validate
from .data import DataError
from .layers import BACKENDS
from .train import (CHECKPOINT, EVAL_SEED, PRESETS, Trainer, TrainingDiverged, atomic_write_bytes, read_metrics,
                    trainer_from_checkpoint)


#: settings a resumed run may change: the trainer reads them afresh every epoch or batch (the
#: others -- sizes, learning rates, rho, seed, batch size ... -- are fixed when training starts)
RESUME_SETTABLE = ("train_duration", "eval_duration", "final_eval_duration", "epochs",
                   "checkpoint_every", "max_rate_per_neuron", "target_count", "eval_every")


#: of those, the ones that change only testing, checkpointing or the length of the run
NOT_TRAINING = {"eval_duration", "final_eval_duration", "epochs", "checkpoint_every", "eval_every"}


def _parse_changes(items, cfg, allowed=None):
    """``--set KEY=VALUE ...`` applied to ``cfg``: (new config, changed keys, keys given their current value).

    Every value is parsed as its setting's type and range-checked (snnlab.config.parse_value), then
    the whole new config is validated: nothing is returned, so nothing written, for a bad value.
    With ``allowed`` (a resumed run), a key outside it may only repeat the run's own value.

    Raises:
        ConfigError: ``<field>: <what is wrong>; <what to use>``.
    """
    changes, same = {}, []
    for item in items or []:
        if "=" not in item:
            raise ConfigError("--set", f"expects KEY=VALUE, got {item!r}", "write e.g. --set eta_w=0.001")
        key, text = item.split("=", 1)
        key = key.strip()
        value = parse_value(key, text)
        if value == getattr(cfg, key):
            same.append(key)              # the run's own value: nothing changes, on --resume too
            changes.pop(key, None)
            continue
        if allowed is not None and key not in allowed:
            raise ConfigError(key, f"cannot be changed when resuming (it is fixed when training starts: the run "
                              f"has {key}={getattr(cfg, key)!r})", f"a resumed run can change: {', '.join(allowed)}; "
                              "start a new run (another --out) to change it")
        changes[key] = value
    new = cfg.replace(**changes) if changes else cfg
    validate(new)
    return new, list(changes), same


def _parse_set(items, cfg, allowed=None):
    """``cfg`` with the ``--set KEY=VALUE`` items applied, parsed and validated (ConfigError if not)."""
    return _parse_changes(items, cfg, allowed)[0]


def _check_count(option, value, what, example):
    if value is not None and value < 1:
        raise ConfigError(option, f"must be a whole number of {what} >= 1, got {value}", f"use e.g. {option} {example}")


def _load_trainer(path, **kwargs) -> Trainer:
    """``trainer_from_checkpoint`` with every problem of the file as a ConfigError naming the checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("checkpoint", f"no checkpoint file at {path}",
                          f"check the path, or train first (snnlab train --out {path.parent})")
    try:
        return trainer_from_checkpoint(path, **kwargs)
    except DataError:
        raise
    except ConfigError as exc:          # the stored config fails today's validation
        raise ConfigError(f"checkpoint: {path} holds a config that is not valid: {exc}") from None
    except (ValueError, FileNotFoundError) as exc:   # damaged, pickle, NaN weights, wrong shapes ...
        raise ConfigError(f"checkpoint: {exc}") from None


def _plot(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.2))
    epochs = [m["epoch"] for m in history]
    ax.plot(epochs, [100 * m["train_accuracy"] for m in history], "o-", label="train (50 ms)")
    tested = [m for m in history if m["test_accuracy"] is not None]    # eval_every > 1 skips epochs
    if tested:
        ax.plot([m["epoch"] for m in tested], [100 * m["test_accuracy"] for m in tested], "s-",
                label=f"test ({tested[-1]['test_duration_s'] * 1000:.0f} ms)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


class StopAtOnce(KeyboardInterrupt):
    """The second Ctrl-C / SIGTERM: stop now, without saving."""


class StopAtBatchBoundary:
    """Ctrl-C (SIGINT) or SIGTERM during training: finish the current mini-batch, then stop, so the
    saved checkpoint never holds a half-applied update and ``--resume`` continues bit for bit.
    A second signal stops at once, without saving (the last checkpoint stays as it is)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, ckpt):
        self.ckpt, self.requested, self._old = ckpt, False, {}

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handler) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for s, handler in self._old.items():
            signal.signal(s, handler)

    def _handler(self, signum, frame):
        if self.requested:
            raise StopAtOnce
        self.requested = True
        print(f"\n{signal.Signals(signum).name}: stopping after this mini-batch (again to stop at once)",
              file=sys.stderr, flush=True)

    def on_batch_end(self, trainer, info):     # a trainer callback: runs at a batch boundary
        if self.requested:
            raise KeyboardInterrupt


def _preset_of(cfg, given):
    """The preset a resumed run was started from, for summary.json: the ``--preset`` given or the only
    preset whose settings the run has (exactly, else apart from those a resume may change), else
    None -- never a default that may be wrong."""
    fixed = [f.name for f in dataclasses.fields(cfg) if f.name not in RESUME_SETTABLE]
    for keys in ([f.name for f in dataclasses.fields(cfg)], fixed):
        names = [n for n, p in PRESETS.items() if all(getattr(cfg, k) == getattr(p, k) for k in keys)]
        if given in names or len(names) == 1:
            return given if given in names else names[0]
        if names:
            return None
    return given


def _write_json(path: Path, obj) -> None:
    """Write ``obj`` as JSON atomically (a kill leaves the old file or the new one, never half of one)."""
    atomic_write_bytes(path, json.dumps(obj, indent=1).encode())


def cmd_train(args) -> int:
    """``snnlab train``: every setting is checked before anything is written (ConfigError otherwise)."""
    preset = args.preset or "quick"
    out = Path(args.out or f"runs/{preset}")
    ckpt = out / CHECKPOINT
    _check_count("--epochs", args.epochs, "epochs", 2)
    if args.resume:
        if not ckpt.is_file():
            raise ConfigError("--resume", f"no checkpoint in {out} ({ckpt.name} missing)",
                              "check --out, or drop --resume to start a new run")
        trainer = _load_trainer(ckpt, out_dir=out, backend=args.backend)
        print(f"resuming from {ckpt}: {trainer.epoch} epoch(s) done, next batch {trainer.batch_index}")
        if args.set:
            cfg, changed, same = _parse_changes(args.set, trainer.cfg, allowed=RESUME_SETTABLE)
            if changed:
                _write_json(out / "config.json", dataclasses.asdict(cfg))    # validated above
                trainer.cfg = cfg
                effect = ("training itself is unchanged" if set(changed) <= NOT_TRAINING
                          else "the run is no longer the preset's")
                given = [item for item in args.set if item.split("=", 1)[0].strip() in changed]
                print(f"changed for the rest of the run: {', '.join(given)} ({effect})")
            if same:
                print(f"unchanged (already the run's values): {', '.join(same)}")
    else:
        if preset not in PRESETS:
            raise ConfigError("--preset", f"unknown preset {preset!r}", f"use one of: {', '.join(PRESETS)}")
        if ckpt.exists():
            raise ConfigError("--out", f"{out} already holds a run ({ckpt.name})",
                              "add --resume to continue it, or choose another --out")
        if (out / "metrics.jsonl").exists():
            raise ConfigError("--out", f"{out} holds the metrics.jsonl of an earlier run but no checkpoint "
                              "(a new run would mix its epochs with that run's)",
                              "choose another --out, or delete the old run folder")
        cfg = _parse_set(args.set, PRESETS[preset])       # parsed and validated
        trainer = Trainer(cfg, out_dir=out, backend=args.backend)
        try:
            out.mkdir(parents=True, exist_ok=True)
            _write_json(out / "config.json", dataclasses.asdict(cfg))
        except OSError as exc:
            raise ConfigError("--out", f"cannot write to {out} ({exc.strerror or exc})",
                              "choose a folder you can write to") from None
    epochs = args.epochs if args.epochs is not None else trainer.cfg.epochs
    with open(out / "command.txt", "a") as f:
        f.write("snnlab " + " ".join(shlex.quote(a) for a in sys.argv[1:]) + "\n")
    t0 = time.time()
    stopper = StopAtBatchBoundary(ckpt)
    trainer.callbacks.append(stopper)
    try:
        with stopper:
            while trainer.epoch < epochs:
                m = trainer.train_epoch()
                test = ("not tested (eval_every)" if m["test_accuracy"] is None else
                        f"{m.get('test_split', 'test')} {100 * m['test_accuracy']:.2f}% ({m['test_duration_s'] * 1000:.0f} ms)")
                print(f"epoch {m['epoch']}: train {100 * m['train_accuracy']:.2f}%  {test}  "
                      f"{m['samples_per_s']:.0f} samples/s  {m['train_time_s']:.0f} s", flush=True)
                if stopper.requested:         # the signal came during the epoch-end test
                    raise KeyboardInterrupt
    except TrainingDiverged as exc:
        print(f"error: training stopped: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    except StopAtOnce:
        print(f"\nstopped at once (second signal), without saving; {ckpt} is the last checkpoint written; "
              "continue with --resume", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        trainer.save_checkpoint()
        print(f"\ninterrupted: checkpoint saved to {ckpt}; continue with --resume", file=sys.stderr)
        return 130
    try:        # the checkpoint of the last epoch is on disk: an interrupt here loses only the test
        history = read_metrics(out) or trainer.history     # all epochs, not only this invocation's
        if history:
            _plot(history, out / "accuracy.png")
        final = trainer.evaluate(duration=trainer.cfg.final_eval_duration)
    except KeyboardInterrupt:
        print(f"\ninterrupted during the final test: no summary.json written; the trained network "
              f"({trainer.epoch} epochs) is saved in {ckpt}; test it with: snnlab evaluate {ckpt} "
              f"--duration {trainer.cfg.final_eval_duration}", file=sys.stderr)
        return 130
    summary = {
        "preset": _preset_of(trainer.cfg, args.preset) if args.resume else preset, "epochs": trainer.epoch,
        "test_accuracy": final["accuracy"], "test_presentation_s": final["duration_s"],
        "test_samples": final["n"], "test_seed": final["seed"], "test_silent_fraction": final["silent_fraction"],
        "epoch_wall_time_s": [m["train_time_s"] for m in history],
        "train_samples_per_s": [m["samples_per_s"] for m in history],
        "session_wall_time_s": time.time() - t0,
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "backend": trainer.backend, "kernel_first_call_s": _kernel_first_calls(),
    }
    _write_json(out / "summary.json", summary)
    print(f"\nfinal test accuracy {100 * final['accuracy']:.2f}% on {final['n']} test digits "
          f"({final['duration_s'] * 1000:.0f} ms presentations; {100 * final['silent_fraction']:.2f}% "
          f"without any output spike)\nwritten: {out}/summary.json, metrics.jsonl, accuracy.png, checkpoint.safetensors")
    if summary["kernel_first_call_s"]:
        print("compiled kernels, first call (compilation or disk-cache load, once per process): " +
              ", ".join(f"{k} {v:.2f} s" for k, v in summary["kernel_first_call_s"].items()))
    return 0


def _kernel_first_calls() -> dict:
    """Seconds of the first call of each compiled kernel in this process (compilation or cache load)."""
    import sys as _sys
    kernels = _sys.modules.get("snnlab.kernels")
    return {k: round(v, 3) for k, v in kernels.compile_seconds().items()} if kernels else {}


def cmd_evaluate(args) -> int:
    """``snnlab evaluate``: options checked before the checkpoint is read; a damaged or broken
    checkpoint (NaN weights, thresholds <= 0) gives an error, never an accuracy."""
    _check_count("--n", args.n, "test samples", 1000)
    if not (math.isfinite(args.duration) and args.duration > 0):
        raise ConfigError("--duration", f"must be a finite number of seconds > 0, got {args.duration}",
                          "use e.g. --duration 1.0 (the paper's test presentation)")
    trainer = _load_trainer(args.checkpoint, progress=True, backend=args.backend)
    if args.split == "validation" and trainer.cfg.validation_samples == 0:
        raise ConfigError("--split", "validation: this run held out no validation samples (validation_samples=0)",
                          "use --split test or --split train")
    if args.split == "emulated-test" and trainer.cfg.task != "nmnist":
        raise ConfigError("--split", f"emulated-test: only the nmnist task has it, this run is {trainer.cfg.task!r}",
                          "use --split test, train or validation")
    res = trainer.evaluate(duration=args.duration, n=args.n, split=args.split, seed=args.seed)
    res["epoch"] = trainer.epoch        # epochs completed when the checkpoint was written
    res["backend"] = args.backend
    print(json.dumps(res))
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as ConfigError (one ``error: ...`` line, exit 2, from :func:`main`)."""

    def error(self, message):
        option, _, problem = message.partition(": ") if message.startswith("argument ") else ("", "", message)
        field = option.removeprefix("argument ").split("/")[0] if option else self.prog
        raise ConfigError(field, problem, f"see {self.prog} --help")


def build_parser() -> argparse.ArgumentParser:
    """The ``snnlab`` argument parser (train, evaluate)."""
    p = _Parser(prog="snnlab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a network (PI-MNIST, MNIST CNN, N-MNIST; see --preset)")
    t.add_argument("--preset", default=None, help=f"one of: {', '.join(PRESETS)} (default quick; with --resume "
                   "the run's own settings are used)")
    t.add_argument("--epochs", type=int, default=None, help="train until this many epochs are done (>= 1)")
    t.add_argument("--out", default=None, help="output folder (default runs/PRESET)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors")
    t.add_argument("--set", action="extend", nargs="+", metavar="KEY=VALUE",
                   help="override config values, e.g. --set rho=4e-5 batch_size=8 (with --resume: only the "
                        "per-epoch settings, e.g. train_duration; the allowed values: snnlab.config.FIELDS)")
    t.add_argument("--backend", choices=BACKENDS, default="numba",
                   help="numba (compiled kernels, default) or numpy (the reference loops): the same spikes")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("evaluate", help="test accuracy of a checkpoint")
    e.add_argument("checkpoint")
    e.add_argument("--duration", type=float, default=1.0, help="presentation per test digit (s, > 0)")
    e.add_argument("--n", type=int, default=None, help="first N digits (default all of the split)")
    e.add_argument("--split", choices=("test", "train", "validation", "emulated-test"), default="test",
                   help="test set (default) or training set (to compare: under- or overfitting?)")
    e.add_argument("--seed", type=int, default=EVAL_SEED,
                   help=f"seed of the Poisson input spikes (default {EVAL_SEED}; other seeds show the test noise)")
    e.add_argument("--backend", choices=BACKENDS, default="numba",
                   help="numba (compiled kernels, default) or numpy (the reference loops): the same spikes")
    e.set_defaults(func=cmd_evaluate)
    from .sweep import add_sweep_arguments, cmd_sweep     # snnlab sweep: a grid x seeds on dask.distributed
    w = sub.add_parser("sweep", help="train a grid of settings x seeds, each point a snnlab train run, "
                       "in parallel on dask.distributed (a LocalCluster, or --scheduler ADDRESS)")
    add_sweep_arguments(w)
    w.set_defaults(func=cmd_sweep)
    return p


def _error(exc: BaseException, prefix: str = "") -> int:
    print(f"error: {prefix}{exc}".replace("\n", " "), file=sys.stderr)
    return 2


def main(argv=None) -> int:
    """Run ``snnlab ARGS``; returns the exit code.

    0 on success; 2 with one line ``error: <field>: <what is wrong>; <what to use>`` on stderr for a
    user error (a bad option or setting, missing data, a missing, damaged or broken checkpoint);
    130 after Ctrl-C (saying what was saved).  Anything else is a bug and shows its traceback.
    """
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except ConfigError as exc:
        return _error(exc)
    except DataError as exc:
        return _error(exc, "data: ")
    except KeyboardInterrupt:
        print("\ninterrupted: stopped before any result was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
