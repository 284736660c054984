"""Screen settings of a preset on the first batches: does the activity stay bounded, does it learn?

Trains the first ``--batches`` mini-batches of epoch 1 (the same samples and input spikes as the
preset's run) with the given changes and prints, every ``--every`` batches, the batch's training
accuracy, spikes per sample per layer, and for every trained layer the largest squared
weight-row norm and the smallest / mean threshold.  Writes nothing.

    python benchmarks/screen_cnn.py --set "kappa_hidden=(-0.4,-0.4,-0.4)"
    python benchmarks/screen_cnn.py --preset nmnist-800 --train-samples 20000 --set eta_w=0.0005
    python benchmarks/screen_cnn.py --batches 400 --validate 1000 --set distortion=None
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from snnlab.cli import _parse_set  # noqa: E402
from snnlab.train import PRESETS, Trainer, TrainingDiverged, _rng  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE")
    p.add_argument("--batches", type=int, default=260)
    p.add_argument("--every", type=int, default=20)
    p.add_argument("--preset", default="mnist-cnn")
    p.add_argument("--train-samples", type=int, default=None,
                   help="training samples to load (default: just enough for --batches)")
    p.add_argument("--validate", type=int, default=0, metavar="N",
                   help="at the end, the accuracy on the first N validation samples (200 ms; needs "
                        "validation_samples >= N; the test set is never touched)")
    a = p.parse_args(argv)
    base = PRESETS[a.preset]
    try:
        batch_size = _parse_set(a.set, base).batch_size
        n = a.train_samples or batch_size * a.batches + batch_size
        cfg = _parse_set(a.set, base.replace(train_samples=n, test_samples=100))
    except ValueError as err:
        p.error(str(err))
    if a.validate and cfg.validation_samples < a.validate:
        p.error(f"--validate {a.validate}: the preset holds out only {cfg.validation_samples} validation samples; "
                f"add --set validation_samples={a.validate}")
    tr = Trainer(cfg, progress=False, backend="numba")
    order = tr.epoch_order(0)
    print(a.preset, "with", " ".join(a.set) or "the preset's settings")
    for i in range(a.batches):
        idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size]
        try:
            info = tr.train_batch(tr.task.take("train", idx), tr.train_labels[idx], cfg.train_duration,
                                  _rng(cfg, 0, i + 1), indices=idx)
        except TrainingDiverged as exc:
            print(f"batch {i + 1}: stopped: {exc}")
            if a.validate:
                print(f"SCREEN validation_accuracy=diverged batches={i + 1}")
            return 0
        if i % a.every == 0 or i == a.batches - 1:
            layers = " ".join(f"L{l + 1}: {(layer.weight_rows() ** 2).sum(1).max():.2f} "
                              f"{layer.threshold.min():.3f}/{layer.threshold.mean():.3f}"
                              for l, layer in enumerate(tr.net.layers) if layer.trainable)
            print(f"batch {i + 1:4d}  acc {info['accuracy']:.2f}  spikes/sample "
                  + " ".join(f"{s:7.0f}" for s in info["spikes_per_sample"])
                  + f"  (max sum w^2, V_th min/mean) {layers}", flush=True)
    if a.validate:
        res = tr.evaluate(duration=0.2, n=a.validate, split="validation")
        print(f"SCREEN validation_accuracy={100 * res['accuracy']:.2f} batches={a.batches} "
              f"samples={a.batches * cfg.batch_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
