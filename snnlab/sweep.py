"""Accuracy vs the WTA strength kappa of the hidden layer (the paper's Fig. 3).

    python -m snnlab.sweep --out results/kappa_sweep                       # the long job
    python -m snnlab.sweep --hidden 100 --kappa -0.4 -0.2 0 --epochs 1 --train-samples 5000
    python -m snnlab.sweep --out results/kappa_sweep --plot results/kappa_sweep/fig3.png   # figure only

Each (hidden size, kappa) point trains a 784-N-10 network with :class:`snnlab.train.Trainer`
and writes ``OUT/N{hidden}_kappa{kappa}.json`` (kappa, hidden, test_accuracy, the config and the
per-epoch history).  Points already on disk are skipped, so an interrupted sweep continues.
Notebook 07 reads these files with :func:`snnlab.dashboard.load_kappa_sweep`.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from .train import PRESETS, Trainer, TrainConfig, TrainingDiverged, atomic_write_bytes

#: Fig. 3 of the paper: N = 100, 200, 300 and kappa from -1 to 0
FIG3_HIDDEN = (100, 200, 300)
FIG3_KAPPAS = (-1.0, -0.8, -0.6, -0.4, -0.2, 0.0)


def point_name(hidden: int, kappa: float) -> str:
    return f"N{hidden}_kappa{kappa:+.2f}.json"


def run_point(kappa: float, hidden: int, base: TrainConfig | None = None, epochs: int | None = None,
              progress: bool = False, callbacks=()) -> dict:
    """Train 784-hidden-10 with hidden-layer kappa; returns the point (test accuracy etc.)."""
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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m snnlab.sweep", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="results/kappa_sweep")
    p.add_argument("--hidden", type=int, nargs="+", default=list(FIG3_HIDDEN))
    p.add_argument("--kappa", type=float, nargs="+", default=list(FIG3_KAPPAS))
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--train-samples", type=int, default=None, help="default: all 60,000")
    p.add_argument("--test-samples", type=int, default=None, help="default: all 10,000")
    p.add_argument("--test-duration", type=float, default=0.2, help="s per test digit")
    p.add_argument("--plot", metavar="PNG", help="only draw the points in OUT (Fig. 3) into this file")
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.plot:
        return plot(out, args.plot)
    out.mkdir(parents=True, exist_ok=True)
    base = PRESETS["quick"].replace(train_samples=args.train_samples, test_samples=args.test_samples,
                                    final_eval_duration=args.test_duration,
                                    eval_duration=args.test_duration)
    for n in args.hidden:
        for k in args.kappa:
            path = out / point_name(n, k)
            if path.exists():
                print(f"{path} exists, skipped")
                continue
            pt = run_point(k, n, base, epochs=args.epochs, progress=True)
            atomic_write_bytes(path, json.dumps(pt, indent=1).encode())
            print(f"N = {n}, kappa = {k:+.2f}: test accuracy {100 * pt['test_accuracy']:.2f}%  -> {path}",
                  flush=True)
    return 0


def plot(out: Path, png) -> int:
    """Draw accuracy vs kappa for every point stored in ``out`` (the paper's Fig. 3)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from .dashboard import plot_kappa_sweep
    points = [json.loads(p.read_text()) for p in sorted(Path(out).glob("*.json"))]
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
