"""Resume a checkpoint and print per-layer statistics after every batch (to watch a divergence).

Training continues exactly as ``snnlab train --resume`` would (same RNG streams) but writes
nothing: the checkpoint is left as it is.  One line per batch:
(batches done in the epoch), spikes per sample per layer, then for each layer the smallest threshold and the largest
squared weight-row norm sum_j w_ij^2.

    python benchmarks/watch_layers.py results/ablations/500-500-sgd/sgd/checkpoint.safetensors --batches 300

``--set KEY=VALUE`` (repeatable) changes a setting first, to ask "what if" from the same state:

    python benchmarks/watch_layers.py CKPT --set recenter_thresholds=False
"""
from __future__ import annotations

import argparse

from snnlab.cli import _parse_set
from snnlab.train import TrainingDiverged, trainer_from_checkpoint


class Watch:
    def __init__(self, limit):
        self.limit, self.seen = limit, 0

    def on_batch_end(self, trainer, info):
        layers = trainer.net.layers
        cols = [f"epoch {info['epoch']} batch {info['batch']:5d}",
                "spikes/sample " + " ".join(f"{s:8.0f}" for s in info["spikes_per_sample"])]
        cols += [f"L{l + 1}: min V_th {layer.threshold.min():.3f}, max sum w^2 {(layer.weights ** 2).sum(1).max():10.2f}"
                 for l, layer in enumerate(layers)]
        print(" | ".join(cols), flush=True)
        self.seen += 1
        if self.seen >= self.limit:
            raise StopIteration


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--batches", type=int, default=200, help="stop after this many batches")
    p.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                   help="change a setting before continuing (any TrainConfig field)")
    a = p.parse_args(argv)
    tr = trainer_from_checkpoint(a.checkpoint, out_dir=None, progress=False)
    if a.set:
        tr.cfg = _parse_set(a.set, tr.cfg)
        if any(item.startswith("rho=") for item in a.set):    # the trainer keeps the decayed rho
            tr.rho = tr.cfg.rho * tr.cfg.decay ** tr.epoch
        if any(item.split("=")[0] in ("eta_w", "eta_th_ratio", "optimizer", "floor_fraction", "batch_size")
               for item in a.set):
            raise SystemExit("watch_layers --set cannot change eta_w, eta_th_ratio, optimizer, "
                             "floor_fraction or batch_size (fixed when the trainer is built)")
        print("settings changed:", ", ".join(a.set))
    tr.callbacks.append(Watch(a.batches))
    try:
        tr.fit(tr.epoch + 1 + a.batches)      # more epochs than needed: Watch stops it
    except StopIteration:
        pass
    except TrainingDiverged as exc:
        print(f"DIVERGED: {exc}")
    return 0


if __name__ == "__main__":
    main()
