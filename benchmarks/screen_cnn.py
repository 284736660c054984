"""Screen settings of the mnist-cnn preset on the first batches: does the activity stay bounded?

Trains the first ``--batches`` mini-batches of epoch 1 (the same digits and input spikes as the
preset's run) with the given changes and prints, every 20 batches, the batch's training accuracy,
spikes per sample per layer, the largest squared weight-row norm and the thresholds of the dense
layer 800-200, and the same for conv2.  Writes nothing.

    python benchmarks/screen_cnn.py --set "kappa_hidden=(-0.4,-0.4,-0.4)"
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
    a = p.parse_args(argv)
    cfg = _parse_set(a.set, PRESETS["mnist-cnn"].replace(train_samples=32 * a.batches + 32, test_samples=100))
    tr = Trainer(cfg, progress=False, backend="numba")
    order = tr.epoch_order(0)
    print("mnist-cnn with", " ".join(a.set) or "the preset's settings")
    for i in range(a.batches):
        idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size]
        try:
            info = tr.train_batch(tr.task.take("train", idx), tr.train_labels[idx], cfg.train_duration,
                                  _rng(cfg, 0, i + 1), indices=idx)
        except TrainingDiverged as exc:
            print(f"batch {i + 1}: stopped: {exc}")
            return 0
        if i % 20 == 0 or i == a.batches - 1:
            fc, c2 = tr.net.layers[4], tr.net.layers[2]
            print(f"batch {i + 1:4d}  acc {info['accuracy']:.2f}  spikes/sample "
                  + " ".join(f"{s:7.0f}" for s in info["spikes_per_sample"])
                  + f"  fc: max sum w^2 {(fc.weights ** 2).sum(1).max():.2f}, V_th min/mean "
                  f"{fc.threshold.min():.3f}/{fc.threshold.mean():.3f}  conv2: max sum w^2 "
                  f"{(c2.weight_rows() ** 2).sum(1).max():.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
