"""Command line: ``snnlab train`` and ``snnlab evaluate``.

    snnlab train --preset quick                      # a few minutes on a laptop CPU
    snnlab train --preset pi-mnist-800 --out runs/800 --resume
    snnlab train --preset quick --set batch_size=64 --set eta_w=0.002
    snnlab evaluate runs/800/checkpoint.safetensors --duration 1.0
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import platform
import shlex
import signal
import sys
import time
from pathlib import Path

from .layers import BACKENDS
from .train import EVAL_SEED, PRESETS, Trainer, TrainingDiverged, check_config, read_metrics, trainer_from_checkpoint


#: settings a resumed run may change: the trainer reads them afresh every epoch or batch (the
#: others -- sizes, learning rates, rho, seed, batch size ... -- are fixed when training starts)
RESUME_SETTABLE = ("train_duration", "eval_duration", "final_eval_duration", "epochs",
                   "checkpoint_every", "max_rate_per_neuron", "target_count", "eval_every")


#: of those, the ones that change only testing, checkpointing or the length of the run
NOT_TRAINING = {"eval_duration", "final_eval_duration", "epochs", "checkpoint_every", "eval_every"}


def _parse_set(items, cfg, allowed=None):
    changes = {}
    fields = {f.name for f in dataclasses.fields(cfg)}
    for item in items or []:
        if "=" not in item:
            raise SystemExit(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        if key not in fields:
            raise SystemExit(f"--set: unknown setting {key!r}; known: {', '.join(sorted(fields))}")
        if allowed is not None and key not in allowed:
            raise SystemExit(f"--set {key}: cannot be changed when resuming (it is fixed when training "
                             f"starts); a resumed run can change: {', '.join(allowed)}. "
                             "Start a new run (another --out) to change it.")
        try:
            changes[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            changes[key] = value
    return cfg.replace(**changes) if changes else cfg


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
            raise SystemExit(f"\nstopped at once (second signal), without saving; {self.ckpt} "
                             "is the last checkpoint written; continue with --resume")
        self.requested = True
        print(f"\n{signal.Signals(signum).name}: stopping after this mini-batch (again to stop at once)",
              file=sys.stderr, flush=True)

    def on_batch_end(self, trainer, info):     # a trainer callback: runs at a batch boundary
        if self.requested:
            raise KeyboardInterrupt


def cmd_train(args) -> int:
    out = Path(args.out or f"runs/{args.preset}")
    ckpt = out / "checkpoint.safetensors"
    if args.resume and not ckpt.exists():
        raise SystemExit(f"error: --resume: no checkpoint in {out} ({ckpt.name} missing); check --out, "
                         "or drop --resume to start a new run")
    if args.resume:
        trainer = trainer_from_checkpoint(ckpt, out_dir=out, backend=args.backend)
        print(f"resuming from {ckpt}: {trainer.epoch} epoch(s) done, next batch {trainer.batch_index}")
        if args.set:
            trainer.cfg = _parse_set(args.set, trainer.cfg, allowed=RESUME_SETTABLE)
            try:                  # checked before config.json is rewritten with it
                check_config(trainer.cfg)
            except ValueError as exc:
                raise SystemExit(f"--set: {exc}") from None
            (out / "config.json").write_text(json.dumps(dataclasses.asdict(trainer.cfg), indent=1))
            keys = {item.split("=", 1)[0] for item in args.set}
            effect = ("training itself is unchanged" if keys <= NOT_TRAINING else "the run is no longer the preset's")
            print(f"changed for the rest of the run: {', '.join(args.set)} ({effect})")
    else:
        if args.preset not in PRESETS:
            raise SystemExit(f"unknown preset {args.preset!r}; choose one of {', '.join(PRESETS)}")
        if ckpt.exists() and not args.resume:
            raise SystemExit(f"{ckpt} exists: add --resume to continue it, or choose another --out")
        cfg = _parse_set(args.set, PRESETS[args.preset])
        trainer = Trainer(cfg, out_dir=out, backend=args.backend)
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=1))
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
                        f"test {100 * m['test_accuracy']:.2f}% ({m['test_duration_s'] * 1000:.0f} ms)")
                print(f"epoch {m['epoch']}: train {100 * m['train_accuracy']:.2f}%  {test}  "
                      f"{m['samples_per_s']:.0f} samples/s  {m['train_time_s']:.0f} s", flush=True)
                if stopper.requested:         # the signal came during the epoch-end test
                    raise KeyboardInterrupt
    except TrainingDiverged as exc:
        print(f"error: training stopped: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        trainer.save_checkpoint()
        print(f"\ninterrupted: checkpoint saved to {ckpt}; continue with --resume", file=sys.stderr)
        return 130
    history = read_metrics(out) or trainer.history     # all epochs, not only this invocation's
    if history:
        _plot(history, out / "accuracy.png")
    final = trainer.evaluate(duration=trainer.cfg.final_eval_duration)
    summary = {
        "preset": args.preset, "epochs": trainer.epoch,
        "test_accuracy": final["accuracy"], "test_presentation_s": final["duration_s"],
        "test_samples": final["n"], "test_seed": final["seed"], "test_silent_fraction": final["silent_fraction"],
        "epoch_wall_time_s": [m["train_time_s"] for m in history],
        "train_samples_per_s": [m["samples_per_s"] for m in history],
        "session_wall_time_s": time.time() - t0,
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"\nfinal test accuracy {100 * final['accuracy']:.2f}% on {final['n']} test digits "
          f"({final['duration_s'] * 1000:.0f} ms presentations; {100 * final['silent_fraction']:.2f}% "
          f"without any output spike)\nwritten: {out}/summary.json, metrics.jsonl, accuracy.png, checkpoint.safetensors")
    return 0


def cmd_evaluate(args) -> int:
    trainer = trainer_from_checkpoint(args.checkpoint, progress=True, backend=args.backend)
    res = trainer.evaluate(duration=args.duration, n=args.n, split=args.split, seed=args.seed)
    res["epoch"] = trainer.epoch        # epochs completed when the checkpoint was written
    res["backend"] = args.backend
    print(json.dumps(res))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="snnlab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a network (PI-MNIST, MNIST CNN, N-MNIST; see --preset)")
    t.add_argument("--preset", default="quick", help=f"one of: {', '.join(PRESETS)}")
    t.add_argument("--epochs", type=int, default=None, help="train until this many epochs are done")
    t.add_argument("--out", default=None, help="output folder (default runs/PRESET)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors")
    t.add_argument("--set", action="extend", nargs="+", metavar="KEY=VALUE",
                   help="override config values, e.g. --set rho=4e-5 batch_size=8 (with --resume: only the "
                        "per-epoch settings, e.g. train_duration)")
    t.add_argument("--backend", choices=BACKENDS, default="numba",
                   help="numba (compiled kernels, default) or numpy (the reference loops): the same spikes")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("evaluate", help="test accuracy of a checkpoint")
    e.add_argument("checkpoint")
    e.add_argument("--duration", type=float, default=1.0, help="presentation per test digit (s)")
    e.add_argument("--n", type=int, default=None, help="first N digits (default all of the split)")
    e.add_argument("--split", choices=("test", "train", "validation", "emulated-test"), default="test",
                   help="test set (default) or training set (to compare: under- or overfitting?)")
    e.add_argument("--seed", type=int, default=EVAL_SEED,
                   help=f"seed of the Poisson input spikes (default {EVAL_SEED}; other seeds show the test noise)")
    e.add_argument("--backend", choices=BACKENDS, default="numba",
                   help="numba (compiled kernels, default) or numpy (the reference loops): the same spikes")
    e.set_defaults(func=cmd_evaluate)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
