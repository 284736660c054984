"""Forward-pass speed: snnlab's numpy event loop, its compiled (numba) kernel and Brian2, PI-MNIST 784-800-10.

Workload (paper section 3.1): real MNIST test digits, 50 ms Poisson input at 5 keps
(~250 events per sample), a 784-800-10 network initialised as in Eq. 10, hidden WTA
kappa = -0.4, output WTA kappa = -1.0, tau_mp = 20 ms, T_ref = 1 ms.

* numpy: ``Network.forward`` on batches of B samples (event-driven, exact event times).
* compiled: ``Network.forward(..., backend="numba")``, the same spikes (checked here), one sample
  after the other inside the kernel; compilation (or loading it from the disk cache) excluded
  from the timing and reported.
* Brian2: the same weights, thresholds, dynamic weight, WTA and clip (snnlab.brian),
  clock-driven with dt = 0.1 ms: input events are rounded to the grid; samples run one
  after the other in one Network (50 ms each, membranes and t_out reset at the start of
  every sample).  Code generation / compilation is excluded from the timing (one warm-up
  sample first) and reported separately.

Usage::

    python benchmarks/bench_forward.py [--batches 1,16,64,256] [--samples 256] [--repeat 3]
                                       [--brian-samples 20] [--brian-targets cython,numpy]
    python benchmarks/bench_forward.py --quick      # ~20 s smoke run

The last line reads ``SUMMARY forward compiled_b1=<samples/s> numpy_b64=<samples/s> brian2=<samples/s>``.
"""
from __future__ import annotations

import argparse
import gzip
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from snnlab.events import EventBatch, poisson_encode  # noqa: E402
from snnlab.network import Network, init_dense  # noqa: E402

DURATION = 0.050        # s per sample
RATE = 5000.0           # input events / s
TAU_MP, T_REF = 0.020, 0.001
KAPPA_HIDDEN, KAPPA_OUT = -0.4, -1.0
DEFAULT_DATA = str(ROOT.parent / "shared" / "data")   # the offline copies beside the repository


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batches", default="1,16,64,256", help="comma-separated batch sizes")
    p.add_argument("--samples", type=int, default=256,
                   help="samples per timed pass of the numpy forward (at least the batch size)")
    p.add_argument("--repeat", type=int, default=3, help="timed passes per batch size (best is shown)")
    p.add_argument("--brian-samples", type=int, default=20, help="samples simulated by Brian2 (timed)")
    p.add_argument("--brian-targets", default="cython,numpy",
                   help="Brian2 code generation targets, comma-separated ('' = skip Brian2)")
    p.add_argument("--brian-dt", type=float, default=1e-4, help="Brian2 time step (s)")
    p.add_argument("--hidden", type=int, default=800, help="hidden neurons")
    p.add_argument("--alpha", type=float, default=3.0,
                   help="threshold scale of Eq. 10 (paper range 3..10; 3: ~35 hidden spikes per sample at init; "
                        "0.5: ~2 spikes per hidden neuron and sample, a heavier workload)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: batches 1,8, 8 samples, 1 repeat, 1 Brian2 sample, numpy target")
    a = p.parse_args(argv)
    if a.quick:
        a.batches, a.samples, a.repeat, a.brian_samples, a.brian_targets = "1,8", 8, 1, 1, "numpy"
    a.batches = [int(b) for b in a.batches.split(",") if b.strip()]
    a.brian_targets = [t.strip() for t in a.brian_targets.split(",") if t.strip()]
    if not a.batches or min(a.batches) < 1 or a.samples < 1 or a.repeat < 1 or a.brian_samples < 1:
        p.error("batch sizes, --samples, --repeat and --brian-samples must be >= 1")
    return a


def _read_idx_gz(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_test_images(n: int) -> np.ndarray:
    """First ``n`` MNIST test images (uint8, 28 x 28)."""
    folder = os.environ.get("SNNLAB_DATA", DEFAULT_DATA)
    try:
        from snnlab.data import load_mnist
        images, _ = load_mnist("test", path=folder)
    except Exception:                                      # data module missing or other layout
        images = _read_idx_gz(Path(folder) / "mnist" / "t10k-images-idx3-ubyte.gz")
    return np.asarray(images[:n])


def build_network(hidden: int, alpha: float, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    return Network([init_dense(784, hidden, alpha, rng, KAPPA_HIDDEN, TAU_MP, T_REF),
                    init_dense(hidden, 10, alpha, rng, KAPPA_OUT, TAU_MP, T_REF)])


def machine_info() -> str:
    import numpy
    try:
        import brian2
        bv = brian2.__version__
    except ImportError:
        bv = "not installed"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return (f"machine: {platform.machine()} {platform.processor() or platform.system()}, "
            f"{os.cpu_count()} cores ({usable} usable), python {platform.python_version()}, "
            f"numpy {numpy.__version__}, brian2 {bv}")


def bench_numpy(net: Network, samples: list, batch_sizes: list, repeat: int, n_samples: int, backend="numpy"):
    """Rows (B, samples/pass, best seconds, samples/s, syn-ops/s); syn-ops = input events x hidden."""
    hidden = net.layers[0].n_out
    rows = []
    for B in batch_sizes:
        n = max(n_samples, B)
        n = B * -(-n // B)                                 # whole batches
        chosen = [samples[i % len(samples)] for i in range(n)]
        batches = [EventBatch.from_list(chosen[i:i + B], duration=DURATION) for i in range(0, n, B)]
        n_events = sum(int(b.n.sum()) for b in batches)
        best = np.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            for b in batches:
                net.forward(b, backend=backend)
            best = min(best, time.perf_counter() - t0)
        rows.append(dict(B=B, n=n, sec=best, sps=n / best, ops=n_events * hidden / best))
    return rows


def bench_brian(net: Network, samples: list, target: str, dt: float):
    """Simulate ``samples`` with Brian2 (one warm-up sample first); returns a dict."""
    from snnlab.brian import BrianNetwork
    layers = [dict(weights=lay.weights, threshold=lay.threshold, tau_mp=lay.tau_mp,
                   T_ref=lay.T_ref, kappa=lay.kappa) for lay in net.layers]
    S = len(samples) - 1
    t0 = time.perf_counter()
    bn = BrianNetwork(layers, samples, DURATION, dt=dt, target=target)
    t1 = time.perf_counter()
    bn.run(1)                                               # warm-up: code generation, compilation
    t2 = time.perf_counter()
    bn.run(S)
    t3 = time.perf_counter()
    counts = bn.counts()
    n_events = sum(s.size for s in samples[1:])
    hidden = net.layers[0].n_out
    return dict(target=target, build=t1 - t0, warm=t2 - t1, sec=t3 - t2, n=S, sps=S / (t3 - t2),
                ops=n_events * hidden / (t3 - t2), dropped=bn.n_dropped,
                hidden_per_sample=counts[0][1:].sum(1).mean(),
                out_per_sample=counts[1][1:].sum(1).mean(), pred=counts[1][1:].argmax(1))


def main(argv=None) -> int:
    a = parse_args(argv)
    print("snnlab forward benchmark: PI-MNIST 784-%d-10, 50 ms Poisson input at 5 keps" % a.hidden)
    print(machine_info())
    n_need = max(max(a.batches), a.samples, a.brian_samples + 1)
    n_enc = min(n_need, 256)                                # encoded digits, reused cyclically
    images = load_test_images(n_enc)
    samples = [poisson_encode(img, RATE, DURATION, rng=a.seed + i) for i, img in enumerate(images)]
    net = build_network(a.hidden, a.alpha, a.seed)
    ev_per_sample = np.mean([s.size for s in samples])
    ref = net.forward(EventBatch.from_list(samples, duration=DURATION))
    hid = ref[0].counts
    print(f"workload: {len(samples)} test digits, {ev_per_sample:.1f} input events/sample, alpha={a.alpha}, "
          f"kappa hidden {KAPPA_HIDDEN} / output {KAPPA_OUT}, tau_mp {TAU_MP * 1e3:g} ms, "
          f"T_ref {T_REF * 1e3:g} ms")
    print(f"activity (numpy, exact event times): hidden spikes {hid.sum(1).mean():.1f}/sample = "
          f"{hid.mean():.2f}/neuron/sample ({(hid > 0).mean() * 100:.0f}% of neurons active), "
          f"output spikes {ref[1].counts.sum(1).mean():.1f}/sample")
    print()
    from snnlab import kernels
    t0 = time.perf_counter()
    compiled = net.forward(EventBatch.from_list(samples, duration=DURATION), backend="numba")
    first_call = time.perf_counter() - t0
    same = all(np.array_equal(x.counts, y.counts) and np.array_equal(x.membrane, y.membrane)
               and np.array_equal(x.spikes.t, y.spikes.t) for x, y in zip(ref, compiled))
    print(f"compiled kernel: first call {first_call:.2f} s (compilation or disk-cache load: "
          f"{kernels.compile_seconds()}); spikes and membranes identical to numpy: {same}")
    if not same:
        print("error: the compiled kernel disagrees with the numpy path")
        return 1
    rows = bench_numpy(net, samples, a.batches, a.repeat, a.samples)
    crows = bench_numpy(net, samples, a.batches, a.repeat, a.samples, backend="numba")
    print(f"{'engine':<22}{'batch':>6}{'samples':>9}{'seconds':>10}{'samples/s':>12}{'syn-ops/s':>12}")
    print("-" * 71)
    for name, rs in (("snnlab numpy", rows), ("snnlab compiled", crows)):
        for r in rs:
            print(f"{name:<22}{r['B']:>6}{r['n']:>9}{r['sec']:>10.3f}{r['sps']:>12.1f}{r['ops']:>12.3g}")

    brian = []
    if a.brian_targets:
        try:
            import brian2  # noqa: F401
        except ImportError:
            print("Brian2 not installed: skipped")
            a.brian_targets = []
    bsamples = [samples[i % len(samples)] for i in range(a.brian_samples + 1)]
    for target in a.brian_targets:
        try:
            res = bench_brian(net, bsamples, target, a.brian_dt)
        except Exception as err:                            # e.g. no C compiler for cython
            print(f"{'brian2 ' + target:<22}{'-':>6}  unavailable: {type(err).__name__}: {err}")
            continue
        brian.append(res)
        print(f"{'brian2 ' + target:<22}{'1':>6}{res['n']:>9}{res['sec']:>10.3f}{res['sps']:>12.1f}"
              f"{res['ops']:>12.3g}")
    print("-" * 71)
    print("syn-ops/s = input events x %d hidden neurons / s (layer-1 synaptic updates)" % a.hidden)
    if brian:
        print(f"Brian2: dt = {a.brian_dt * 1e3:g} ms clock-driven, input events ROUNDED to the grid "
              f"({brian[0]['dropped']} repeats of a channel within one step dropped); samples run "
              "one after the other, v and t_out reset every 50 ms; first sample excluded (warm-up).")
        for r in brian:
            print(f"  {r['target']}: object construction {r['build']:.2f} s, warm-up sample "
                  f"(code generation/compilation, disk-cached for cython) {r['warm']:.2f} s; "
                  f"hidden spikes {r['hidden_per_sample']:.1f}/sample, output {r['out_per_sample']:.1f}/sample")
        print("  (activity differs from the exact event-driven run: on a 0.1 ms grid several input "
              "events share a step and are integrated together, with one threshold check and no "
              "dynamic weight / WTA between them)")
    ref_row = next((r for r in rows if r["B"] == 64), max(rows, key=lambda r: r["B"]))
    c1 = next((r for r in crows if r["B"] == 1), min(crows, key=lambda r: r["B"]))
    print(f"ratio compiled(B={c1['B']}) / numpy(B={ref_row['B']}) = {c1['sps'] / ref_row['sps']:.1f}x")
    brian_sps = "n/a"
    if brian:
        best = max(brian, key=lambda r: r["sps"])
        ratio = ref_row["sps"] / best["sps"]
        print(f"ratio numpy(B={ref_row['B']}) / brian2({best['target']}, best) = {ratio:.1f}x; "
              f"compiled(B={c1['B']}) / brian2 = {c1['sps'] / best['sps']:.1f}x")
        brian_sps = f"{best['sps']:.1f}"
    print(f"SUMMARY forward compiled_b{c1['B']}={c1['sps']:.1f} numpy_b{ref_row['B']}={ref_row['sps']:.1f} "
          f"brian2={brian_sps}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
