"""How much of a trained network's training signal is zero (Eq. 16 gives no update when o = y).

Loads a checkpoint, presents --batches x 32 random training digits (--duration s each, as in
training) and prints: the fraction of samples whose output error is exactly zero, the training
accuracy, how many output neurons fire per sample, and how many spikes the target neuron fires
(what a margin such as ``target_count`` would act on).

    python benchmarks/zero_error_fraction.py results/ablations/trace-readout/end/checkpoint.safetensors
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from snnlab.learning import output_error
from snnlab.train import encode_batch, trainer_from_checkpoint


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--duration", type=float, default=0.05, help="s per digit (training uses 0.05)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    tr = trainer_from_checkpoint(a.checkpoint, progress=False)
    rng = np.random.default_rng(a.seed)
    zero = correct = seen = 0
    firing, target_spikes = [], []
    for _ in range(a.batches):
        idx = rng.choice(len(tr.train_labels), 32, replace=False)
        labels = tr.train_labels[idx]
        counts = tr.net.forward(encode_batch(tr.train_images[idx], tr.permutation, a.duration,
                                             tr.cfg.rate, rng))[-1].counts
        e, _ = output_error(counts, labels)
        zero += int((np.abs(e).sum(axis=1) == 0).sum())
        correct += int((counts.argmax(axis=1) == labels).sum())
        seen += len(labels)
        firing += list((counts > 0).sum(axis=1))
        target_spikes += list(counts[np.arange(len(labels)), labels].astype(int))
    hist = np.bincount(firing, minlength=3)
    print(json.dumps({"checkpoint": a.checkpoint, "epochs_done": tr.epoch, "samples": seen,
                      "presentation_s": a.duration, "zero_error_fraction": zero / seen,
                      "train_accuracy_argmax": correct / seen,
                      "output_neurons_firing_histogram": hist.tolist(),
                      "target_spikes_histogram": np.bincount(target_spikes).tolist()}))
    return 0


if __name__ == "__main__":
    main()
