"""N-MNIST speed: evaluating full test streams and training on 300-event crops, 2312-800-10.

* evaluation: the 100 real test recordings (~4,000 events each, full streams), compiled kernels,
  batch 1 and batch 32, and numpy at batch 32 on fewer recordings (the same spikes);
* training: ``--train-samples`` crops of 300 events from the emulated training streams with the
  ``nmnist-800`` preset (batch 32), compiled; the time of a 60,000-crop epoch is extrapolated.

The network is the one of ``--checkpoint`` if given (e.g. a trained nmnist-800), else the preset's
initialization.

    python benchmarks/bench_nmnist.py [--checkpoint results/nmnist/nmnist-800/checkpoint.safetensors]

The last line reads ``SUMMARY nmnist_speed eval_compiled_b1=<samples/s> eval_compiled_b32=<samples/s>
eval_numpy_b32=<samples/s> train_compiled_b32=<samples/s> epoch_s=<s>``.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from snnlab.train import PRESETS, Trainer, _rng, trainer_from_checkpoint  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--train-samples", type=int, default=6400)
    p.add_argument("--numpy-samples", type=int, default=32)
    a = p.parse_args(argv)
    cfg = PRESETS["nmnist-800"].replace(train_samples=max(a.train_samples, 64))
    if a.checkpoint:
        tr = trainer_from_checkpoint(a.checkpoint, progress=False, backend="numba")
        net = tr.net
    else:
        tr = Trainer(cfg, progress=False, backend="numba")
        net = tr.net
    test = tr.task
    n_test = test.size("test")
    print(f"snnlab N-MNIST benchmark: {net.describe()}; machine {platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; network from {a.checkpoint or 'the preset initialization'}")
    batches = {B: [test.encode("test", np.arange(i, min(i + B, n_test)), None, None)
                   for i in range(0, n_test, B)] for B in (1, 32)}
    events = np.mean([b.n.sum() for b in batches[1]])
    net.forward(batches[1][0], backend="numba")                    # compile / load the cache
    rows = {}
    for name, B, backend, limit in (("eval_compiled_b1", 1, "numba", n_test), ("eval_compiled_b32", 32, "numba", n_test),
                                    ("eval_numpy_b32", 32, "numpy", a.numpy_samples)):
        chosen = [b for b in batches[B]][:max(1, -(-limit // B))]
        t0 = time.perf_counter()
        outs = [net.forward(b, backend=backend) for b in chosen]
        sec = time.perf_counter() - t0
        n = sum(b.batch_size for b in chosen)
        rows[name] = n / sec
        print(f"{name:<20} {n:5d} full test streams ({events:.0f} events each on average) in {sec:7.2f} s: "
              f"{n / sec:8.1f} samples/s")
        if name == "eval_numpy_b32":
            ref = [net.forward(b, backend="numba") for b in chosen]
            same = all(np.array_equal(x.counts, y.counts) and np.array_equal(x.membrane, y.membrane)
                       for o, r in zip(outs, ref) for x, y in zip(o, r))
            print(f"numpy and compiled spikes and membranes identical: {same}")
            if not same:
                return 1
    # training on crops
    trainer = Trainer(cfg, progress=False, backend="numba")
    order = trainer.epoch_order(0)
    B = cfg.batch_size
    steps = a.train_samples // B - 1                 # batch 0 warms up, batches 1..steps are timed
    idx = order[:B]
    trainer.train_batch(trainer.task.take("train", idx), trainer.train_labels[idx], None, _rng(cfg, 0, 1), indices=idx)
    t0 = time.perf_counter()
    for i in range(1, steps + 1):
        idx = order[i * B:(i + 1) * B]
        trainer.train_batch(trainer.task.take("train", idx), trainer.train_labels[idx], None, _rng(cfg, 0, i + 1),
                            indices=idx)
    sec = time.perf_counter() - t0
    rows["train_compiled_b32"] = steps * B / sec
    epoch_s = 60000 / rows["train_compiled_b32"]
    print(f"training, compiled, batch {B}: {steps * B} crops of {cfg.train_events} events in {sec:.2f} s: "
          f"{rows['train_compiled_b32']:.1f} samples/s; a 60,000-crop epoch: {epoch_s:.0f} s")
    print(f"SUMMARY nmnist_speed eval_compiled_b1={rows['eval_compiled_b1']:.1f} "
          f"eval_compiled_b32={rows['eval_compiled_b32']:.1f} eval_numpy_b32={rows['eval_numpy_b32']:.1f} "
          f"train_compiled_b32={rows['train_compiled_b32']:.1f} epoch_s={epoch_s:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
