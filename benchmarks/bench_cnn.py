"""Forward speed of the paper's convolutional SNN, 28x28-20C5-P2-50C5-P2-200-10 (section 3.2).

Real MNIST test digits as 1 x 28 x 28 Poisson maps, 50 ms at 5 keps (~250 input events), the
network of the ``mnist-cnn`` preset at initialization (Eq. 10, alpha 3).  The compiled kernels run
batch 1; the numpy reference (the sparse event loop, one sample at a time in Python) runs batches
of 32 on fewer digits, and the two must give the same spikes.  Time and synaptic operations per
layer say where the time goes.

Usage::

    python benchmarks/bench_cnn.py [--samples 400] [--samples-numpy 32] [--train-batches 40]

With ``--train-batches N`` it also trains N batches of the ``mnist-cnn`` preset (batch 32, compiled,
elastic distortion on) and says where a training step's time goes, stage by stage (profiled), with
the minutes one epoch of 50,000 digits takes at that speed.

The last line reads ``SUMMARY cnn compiled_b1=<samples/s> numpy_b32=<samples/s>``.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))      # benchmarks/_stages.py

from snnlab.events import EventBatch, poisson_encode  # noqa: E402
from snnlab.train import PRESETS, build_network, _rng  # noqa: E402


def forward_timed(net, batch, backend):
    """Layer-by-layer forward; returns outputs and seconds per layer."""
    secs, outs = [], []
    for layer in net.layers:
        t0 = time.perf_counter()
        out = layer.forward(batch, backend=backend)
        secs.append(time.perf_counter() - t0)
        outs.append(out)
        batch = out.spikes
    return outs, np.array(secs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--samples", type=int, default=400, help="digits for the compiled run (batch 1)")
    p.add_argument("--samples-numpy", type=int, default=32, help="digits for the numpy run (batches of 32)")
    p.add_argument("--quick", action="store_true", help="smoke run: 8 digits each")
    p.add_argument("--train-batches", type=int, default=0, metavar="N",
                   help="also profile N training batches of the mnist-cnn preset (0: no)")
    a = p.parse_args(argv)
    if a.train_batches < 0:
        p.error("--train-batches must be >= 0")
    if a.quick:
        a.samples, a.samples_numpy = 8, 8
    if a.samples < 1 or a.samples_numpy < 1:
        p.error("--samples and --samples-numpy must be >= 1")
    from snnlab.data import load_mnist
    images, _ = load_mnist("test")
    cfg = PRESETS["mnist-cnn"]
    net = build_network(cfg, _rng(cfg, 1000), (1, 28, 28))
    print("snnlab CNN forward benchmark: " + " -> ".join(layer.describe() for layer in net.layers))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
          "50 ms Poisson maps at 5 keps, mnist-cnn preset at initialization")
    n = max(a.samples, a.samples_numpy)
    samples = [poisson_encode(img, cfg.rate, 0.05, rng=i) for i, img in enumerate(images[:n].astype(float))]
    warm = EventBatch.from_list(samples[:1], duration=0.05)
    t0 = time.perf_counter()
    net.forward(warm, backend="numba")
    print(f"compiled kernels: first call {time.perf_counter() - t0:.2f} s (compilation or cache load)")

    secs_c = np.zeros(len(net.layers))
    spikes_c = np.zeros(len(net.layers))
    ops_c = np.zeros(len(net.layers))
    t0 = time.perf_counter()
    for s in samples[:a.samples]:
        outs, secs = forward_timed(net, EventBatch.from_list([s], duration=0.05), "numba")
        secs_c += secs
        spikes_c += [o.counts.sum() for o in outs]
        ops_c += [o.synaptic_ops.sum() for o in outs]
    total_c = time.perf_counter() - t0

    secs_n = np.zeros(len(net.layers))
    t0 = time.perf_counter()
    identical = True
    for i in range(0, a.samples_numpy, 32):
        batch = EventBatch.from_list(samples[i:min(i + 32, a.samples_numpy)], duration=0.05)
        outs, secs = forward_timed(net, batch, "numpy")
        secs_n += secs
        ref = net.forward(batch, backend="numba")
        identical &= all(np.array_equal(x.counts, y.counts) and np.array_equal(x.membrane, y.membrane)
                         for x, y in zip(outs, ref))
    total_n = time.perf_counter() - t0 - 0.0
    print(f"compiled and numpy spikes and membranes identical on {a.samples_numpy} digits: {identical}")
    if not identical:
        print("error: the compiled kernels disagree with the numpy path")
        return 1
    print(f"{'layer':<34}{'spikes/sample':>14}{'syn-ops/sample':>16}{'compiled ms':>13}{'numpy ms':>10}")
    for l, layer in enumerate(net.layers):
        print(f"{layer.describe():<34}{spikes_c[l] / a.samples:>14.1f}{ops_c[l] / a.samples:>16.0f}"
              f"{1e3 * secs_c[l] / a.samples:>13.3f}{1e3 * secs_n[l] / a.samples_numpy:>10.2f}")
    sps_c = a.samples / total_c
    sps_n = a.samples_numpy / secs_n.sum()
    print(f"compiled, batch 1: {sps_c:.1f} samples/s ({a.samples} digits, {total_c:.2f} s incl. per-call overhead); "
          f"numpy, batch 32: {sps_n:.2f} samples/s ({a.samples_numpy} digits)")
    if a.train_batches:
        train_profile(a.train_batches)
    print(f"SUMMARY cnn compiled_b1={sps_c:.1f} numpy_b32={sps_n:.2f}")
    return 0


# where a CNN training step's time goes: (label, function names whose cumulative time counts)
TRAIN_STAGES = [
    ("elastic distortion (data.distortion.distort_batch)", ("distort_batch",)),
    ("Poisson input (events.poisson_encode)", ("poisson_encode",)),
    ("forward, conv and pool layers (kernels.sparse_forward)", ("sparse_forward",)),
    ("forward, dense layers (kernels.dense_forward)", ("dense_forward",)),
    ("backward: conv kernel gradients (Conv2d.weight_gradient)", ("weight_gradient",)),
    ("backward: transposed convolutions (Conv2d.propagate_back)", ("propagate_back",)),
    ("backward: the rest (learning.network_gradients minus the above)", ("network_gradients",)),
    ("Adam step (optim.Adam.step)", ("step",)),
    ("threshold floor (regularizers.apply_threshold_floor)", ("apply_threshold_floor",)),
]


def train_profile(n_batches: int) -> None:
    """Train ``n_batches`` of the mnist-cnn preset after 2 untimed ones; print samples/s, the minutes
    per 50,000-digit epoch and each stage's share (cProfile, so the shares include its overhead)."""
    from _stages import profile_stages
    from snnlab.train import Trainer
    cfg = PRESETS["mnist-cnn"]
    tr = Trainer(cfg.replace(train_samples=(n_batches + 2) * cfg.batch_size, test_samples=10),
                 progress=False, backend="numba")
    order = tr.epoch_order(0)

    def step(i):
        idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size]
        tr.train_batch(tr.task.take("train", idx), tr.train_labels[idx], cfg.train_duration,
                       _rng(cfg, 0, i + 1), indices=idx)

    step(0), step(1)
    t0 = time.perf_counter()
    for i in range(2, 2 + n_batches // 2):
        step(i)
    plain = time.perf_counter() - t0
    n_plain = (n_batches // 2) * cfg.batch_size
    total, ct = profile_stages(step, range(2 + n_batches // 2, 2 + n_batches), TRAIN_STAGES)
    inner = ct["backward: conv kernel gradients (Conv2d.weight_gradient)"] + \
        ct["backward: transposed convolutions (Conv2d.propagate_back)"]
    ct["backward: the rest (learning.network_gradients minus the above)"] -= inner
    sps = n_plain / plain
    print(f"training, mnist-cnn preset (batch {cfg.batch_size}, compiled, distortion on): {sps:.1f} samples/s "
          f"over {n_plain} digits -> {50000 / sps / 60:.1f} min per epoch of 50,000 digits")
    print(f"where a training step's time goes (cProfile of {n_batches - n_batches // 2} more batches):")
    for label, sec in ct.items():
        print(f"  {label:<66}{100 * sec / total:6.1f}%")
    print(f"  {'other (the trainer lines, statistics)':<66}{100 * (total - sum(ct.values())) / total:6.1f}%")


if __name__ == "__main__":
    sys.exit(main())
