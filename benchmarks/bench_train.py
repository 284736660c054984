"""Training speed of pi-mnist-800: the paper's protocol (batch 1, threshold regularization at every
input event) and batch 32, with the compiled kernels and with the numpy reference, in one run.

Each configuration trains in its own process (so each peak RSS is its own) on the first
``--samples`` training digits of epoch 1, after a short warm-up (compilation or cache load, data
loading) that is not timed.  The two batch-32 runs must end with identical weights: the backend
changes the speed, not the run.

Usage::

    python benchmarks/bench_train.py [--samples 3200] [--samples-numpy 1600]
    python benchmarks/bench_train.py --quick

The last line reads ``SUMMARY train compiled_b1=<samples/s> compiled_b32=<samples/s>
numpy_b32=<samples/s> peak_rss_mb=<MB>`` (the largest peak of the runs).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))      # benchmarks/_stages.py

CONFIGS = {   # name -> (preset, backend, changes)
    "compiled_b1": ("pi-mnist-800-paper", "numba", {}),
    "compiled_b32": ("pi-mnist-800", "numba", {}),
    "numpy_b32": ("pi-mnist-800", "numpy", {}),
    "numpy_b1": ("pi-mnist-800-paper", "numpy", {}),
}


def run_one(name: str, samples: int, warmup: int) -> dict:
    """Train ``samples`` digits with one configuration; returns speed, peak RSS and a weight digest."""
    import numpy as np
    from snnlab.train import PRESETS, Trainer, _rng
    preset, backend, changes = CONFIGS[name]
    cfg = PRESETS[preset].replace(**changes)
    tr = Trainer(cfg, progress=False, backend=backend)
    order = tr.epoch_order(0)
    B = cfg.batch_size

    def step(i):
        idx = order[i * B:(i + 1) * B]
        tr.train_batch(tr.task.take("train", idx), tr.train_labels[idx], cfg.train_duration,
                       _rng(cfg, 0, i + 1), indices=idx)

    n_warm = max(1, warmup // B)
    for i in range(n_warm):
        step(i)
    n_steps = max(1, samples // B)
    t0 = time.perf_counter()
    for i in range(n_warm, n_warm + n_steps):
        step(i)
    sec = time.perf_counter() - t0
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes()
                                     for layer in tr.trained_layers() for a in (layer.weights, layer.threshold)))
    # the profiled steps come after the digest: they train on, and the digest is of the timed run
    stages = stage_breakdown(step, n_warm + n_steps, min(n_steps, 1000)) if name == "compiled_b1" else None
    return {"name": name, "preset": preset, "backend": backend, "batch_size": B, "samples": n_steps * B,
            "seconds": sec, "samples_per_s": n_steps * B / sec,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "weights_sha256": digest.hexdigest()[:16], "threshold_reg": cfg.threshold_reg, "stages": stages}


# where one training step's time goes: (label, function names whose cumulative time counts)
STAGES = [
    ("Poisson input (events.poisson_encode)", ("poisson_encode",)),
    ("forward, compiled (kernels.dense_forward)", ("dense_forward",)),
    ("backward (learning.network_gradients)", ("network_gradients",)),
    ("optimizer step (optim.SGD.step)", ("step",)),
    ("Eq. 15 shrink: squared norms (compiled)", ("_squared_norms",)),
    ("Eq. 15 shrink: factors (regularizers.exponential_shrink_factor)", ("exponential_shrink_factor",)),
    ("Eq. 15 shrink: scaling (compiled)", ("scale_neurons",)),
    ("threshold floor (regularizers.apply_threshold_floor)", ("apply_threshold_floor",)),
]


def stage_breakdown(step, start, n) -> list:
    """Profile ``n`` more steps (after the timed ones, so the timing is not slowed): milliseconds per
    step of each stage of :data:`STAGES`, the rest being the trainer's own lines."""
    from _stages import profile_stages
    total, ct = profile_stages(step, range(start, start + n), STAGES)
    rows = [[label, 1000 * sec / n] for label, sec in ct.items()]
    rows.append(["other (train_batch's own lines, statistics, rng)", 1000 * (total - sum(ct.values())) / n])
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--samples", type=int, default=3200, help="timed training digits per compiled run")
    p.add_argument("--samples-numpy", type=int, default=1600, help="timed training digits per numpy run")
    p.add_argument("--warmup", type=int, default=64, help="untimed digits first (compilation, caches)")
    p.add_argument("--configs", default="compiled_b1,compiled_b32,numpy_b32",
                   help=f"comma-separated, of {', '.join(CONFIGS)}")
    p.add_argument("--quick", action="store_true", help="smoke run: 64 digits each")
    p.add_argument("--one", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.quick:
        a.samples, a.samples_numpy, a.warmup = 64, 64, 32
    if min(a.samples, a.samples_numpy, a.warmup) < 1:
        p.error("--samples, --samples-numpy and --warmup must be >= 1")
    if a.one:
        n = a.samples if CONFIGS[a.one][1] == "numba" else a.samples_numpy
        print(json.dumps(run_one(a.one, n, a.warmup)))
        return 0
    names = [c.strip() for c in a.configs.split(",") if c.strip()]
    unknown = set(names) - set(CONFIGS)
    if unknown:
        p.error(f"unknown configuration(s) {sorted(unknown)}; choose from {', '.join(CONFIGS)}")
    print("snnlab training benchmark: pi-mnist-800 (784-800-10), 50 ms Poisson presentations at 5 keps")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    rows = []
    for name in names:
        cmd = [sys.executable, __file__, "--one", name, "--samples", str(a.samples),
               "--samples-numpy", str(a.samples_numpy), "--warmup", str(a.warmup)]
        res = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
        if res.returncode != 0:
            print(f"error: {name} failed:\n{res.stderr[-2000:]}")
            return 1
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    print(f"{'run':<14}{'preset':<20}{'backend':<9}{'batch':>6}{'thr. reg.':>10}{'samples':>9}{'seconds':>9}"
          f"{'samples/s':>11}{'peak MB':>9}  weights after")
    for r in rows:
        print(f"{r['name']:<14}{r['preset']:<20}{r['backend']:<9}{r['batch_size']:>6}{r['threshold_reg']:>10}"
              f"{r['samples']:>9}{r['seconds']:>9.2f}{r['samples_per_s']:>11.1f}{r['peak_rss_mb']:>9.0f}  "
              f"{r['weights_sha256']}")
    by = {r["name"]: r for r in rows}
    if by.get("compiled_b1", {}).get("stages"):
        st = by["compiled_b1"]["stages"]
        total = sum(ms for _, ms in st)
        print(f"compiled_b1, where a step's time goes (cProfile of extra steps, {total:.3f} ms per step "
              "with the profiler's overhead):")
        for label, ms in st:
            print(f"  {label:<66}{ms:8.3f} ms {100 * ms / total:5.1f}%")
    for b in ("32", "1"):
        c, n = by.get("compiled_b" + b), by.get("numpy_b" + b)
        if not (c and n):
            continue
        comparable = c["samples"] == n["samples"]
        identical = c["weights_sha256"] == n["weights_sha256"]
        print(f"batch {b}, same digits: compiled and numpy weights identical: {identical}"
              + ("" if comparable else " (not comparable: different numbers of digits; use --samples-numpy = --samples)"))
        if comparable and not identical:
            print("error: the backends trained different networks")
            return 1
    peak = max(r["peak_rss_mb"] for r in rows)
    fmt = lambda k: f"{by[k]['samples_per_s']:.1f}" if k in by else "n/a"   # noqa: E731
    print(f"SUMMARY train compiled_b1={fmt('compiled_b1')} compiled_b32={fmt('compiled_b32')} "
          f"numpy_b32={fmt('numpy_b32')} peak_rss_mb={peak:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
