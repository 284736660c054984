"""Validate the DVS saccade emulator against the real N-MNIST TEST recordings; measure its speed.

    python results/nmnist/emulator/validate_emulator.py [--data ../shared/data]

The emulator's defaults (snnlab.data.emulator.EmulatorParams) were fitted on training recordings
only (fit_emulator.py -> fit.json). Here the 100 real test recordings (N-MNIST test sample k =
MNIST test image k-1, file number k) are compared with the emulated streams of the same MNIST
test digits (:func:`snnlab.data.emulator.compare_statistics`). For context, the accumulated-image
correlation is also computed for emulated streams of *other* test digits (the pairing shifted by
one) -- a baseline that shows how much of the correlation is digit-specific.

Speed: streams/s of :func:`snnlab.data.emulator.emulate` on --n-speed MNIST training digits in
this single process (one core; numpy's own threads limited to one).

Writes validation.json (and validation.png) next to this script.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")          # one core (before numpy is imported)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
from snnlab.data import emulator as em  # noqa: E402
from snnlab.data import load_mnist, load_nmnist  # noqa: E402


def figure(stats, real, emu, file):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rp = stats["rate_profile"]
    fig = plt.figure(figsize=(11, 5.5))
    ax = fig.add_subplot(2, 1, 1)
    t = (np.arange(len(rp["profile_real"])) + 0.5) * rp["bin_ms"]
    ax.plot(t, rp["profile_real"], label="real N-MNIST test recordings")
    ax.plot(t, rp["profile_emulated"], label="emulated, same digits")
    for x in rp["peaks_ms_real"]:
        ax.axvline(x, color="C0", ls=":", lw=1)
    for x in rp["peaks_ms_emulated"]:
        ax.axvline(x, color="C1", ls=":", lw=1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"events per {rp['bin_ms']:g} ms bin (mean)")
    ax.set_title(f"event-rate profile, {stats['n_samples']} test digits: Pearson r = {rp['pearson_r']:.3f}")
    ax.legend()
    for i in range(4):
        for j, (ev, name) in enumerate([(real[i], "real"), (emu[i], "emulated")]):
            a = fig.add_subplot(2, 8, 9 + 2 * i + j)
            img = em.accumulate(ev[ev["t"] < em.SACCADES[0][1]])      # first saccade
            a.imshow(img[:, :, 1] - img[:, :, 0], cmap="RdBu_r", vmin=-6, vmax=6)
            a.set_title(f"#{i + 1} {name}", fontsize=8)
            a.set_xticks([])
            a.set_yticks([])
    fig.text(0.5, 0.03, "first saccade (0-100 ms): ON - OFF counts per pixel (red = ON, blue = OFF), "
             "test samples 1-4", ha="center", fontsize=9)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(file, dpi=80)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(HERE.parents[2].parent / "shared" / "data"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-speed", type=int, default=2000)
    args = ap.parse_args(argv)

    params = em.EmulatorParams()
    fit = json.loads((HERE / "fit.json").read_text())
    fitted = fit["fitted"]
    defaults_match_fit = bool(np.allclose(
        [params.c_on, params.c_off, params.floor, params.blur, params.refractory, params.sigma_c,
         params.noise_rate],
        [fitted["c"], fitted["c"], fitted["floor"], fitted["blur"], fitted["refractory"],
         fitted["sigma_c"], fitted["noise_rate"]]))

    real, labels = load_nmnist("test", path=args.data)
    images, mlabels = load_mnist("test", path=args.data)
    images = images[: len(real)]
    assert np.array_equal(labels, mlabels[: len(real)]), "N-MNIST test sample k must be MNIST test sample k"
    emu = em.emulate(images, params, rng=args.seed)
    stats = em.compare_statistics(real, emu)
    other = em.emulate(np.roll(images, 1, axis=0), params, rng=args.seed)
    stats["accumulated_images"]["baseline_other_digits_mean_r"] = em.compare_statistics(
        real, other)["accumulated_images"]["mean_pearson_r"]

    train_imgs = np.asarray(load_mnist("train", path=args.data)[0][: args.n_speed])
    em.emulate(train_imgs[:16], params, rng=1)              # warm-up
    t0 = time.perf_counter()
    streams = em.emulate(train_imgs, params, rng=1)
    elapsed = time.perf_counter() - t0
    speed = {"streams": len(streams), "seconds": round(elapsed, 2),
             "streams_per_s": round(len(streams) / elapsed, 1),
             "events_per_stream_mean": round(float(np.mean([s.size for s in streams])), 1),
             "estimated_minutes_for_60000": round(60000 / (len(streams) / elapsed) / 60, 1),
             "threads": os.environ.get("OMP_NUM_THREADS"), "cpu_count": os.cpu_count(),
             "load_average_1min_at_end": round(os.getloadavg()[0], 2),
             "note": "one process, one thread; the machine has 2 cores and other jobs may share them"}

    out = {"what": "real N-MNIST test recordings vs emulated streams of the same MNIST test digits",
           "data": {"real": "nmnist/Test/<digit>/00001-00100.bin (first 100 N-MNIST test samples)",
                    "digits": "MNIST t10k images 0-99 (the same samples)"},
           "params": {k: getattr(params, k) for k in params.__dataclass_fields__},
           "defaults_match_fit_json": defaults_match_fit, "seed": args.seed,
           "validation": stats, "speed": speed,
           "train_fit_summary": {"n": fit["train_statistics_all"]["n_samples"],
                                 "all_ok": fit["train_statistics_all"]["all_ok"]}}
    (HERE / "validation.json").write_text(json.dumps(out, indent=1))
    figure(stats, real, emu, HERE / "validation.png")
    short = {k: {kk: vv for kk, vv in v.items() if not str(kk).startswith("profile_")}
             if isinstance(v, dict) else v for k, v in stats.items()}
    print(json.dumps({"validation": short, "speed": speed, "defaults_match_fit_json": defaults_match_fit},
                     indent=1))


if __name__ == "__main__":
    main()
