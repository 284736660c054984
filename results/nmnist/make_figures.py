"""Figs. 5 and 6 and results/nmnist/SUMMARY.txt from the real N-MNIST test recordings and the run folders.

    python results/nmnist/make_figures.py            # from the repository root, SNNLAB_DATA set

* Fig. 5A (always): input event rate per pixel over time, mean +- std over the real test recordings.
* Fig. 5B and Fig. 6 (when results/nmnist/nmnist-200/checkpoint.safetensors exists, the 2312-200-10
  network of the paper's figures, preset nmnist-200): SNN error vs time; SNN synaptic operations
  vs ANN multiply-accumulates (an ANN 2312-200-10 trained here on 30 ms frames of the same
  training streams, a subset of them, see ANN_STREAMS) at equal error.
* SUMMARY.txt: one line per result that exists (emulator validation, the nmnist-800 run, Fig. 6).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from snnlab import nmnist_figures as F  # noqa: E402
from snnlab.data import load_nmnist  # noqa: E402

ANN_STREAMS = 6000        # training streams turned into 30 ms frames for the ANN (memory: ~0.6 GB)
TIMES = np.arange(0.01, 0.311, 0.01)


def plot(path, draw):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    draw(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fig5a(streams):
    t, rates = F.event_rate_per_pixel(streams)
    mean, std = rates.mean(0), rates.std(0)
    peaks = F.saccade_peaks(t, mean)

    def draw(ax):
        ax.fill_between(1e3 * t, mean - std, mean + std, alpha=0.3, label="+- std")
        ax.plot(1e3 * t, mean, label="mean")
        for p in peaks:
            ax.axvline(1e3 * p, ls="--", color="gray")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("events / s / pixel")
        ax.set_title(f"Fig. 5A: {len(streams)} real N-MNIST test recordings")
        ax.legend()
    plot(HERE / "fig5a.png", draw)
    out = {"n_recordings": len(streams), "bin_s": 0.005, "t_s": t.tolist(), "mean": mean.tolist(),
           "std": std.tolist(), "peaks_s": peaks}
    (HERE / "fig5a.json").write_text(json.dumps(out))
    return out


def fig5b_fig6(streams, labels):
    from snnlab.train import trainer_from_checkpoint
    ckpt = HERE / "nmnist-200" / "checkpoint.safetensors"
    if not ckpt.exists():
        print(f"Fig. 5B / Fig. 6: {ckpt.relative_to(ROOT)} does not exist yet; train it with\n"
              "  snnlab train --preset nmnist-200 --out results/nmnist/nmnist-200")
        return None
    tr = trainer_from_checkpoint(ckpt, progress=False, backend="numba")
    err, ops = F.snn_error_and_ops_vs_time(tr.net, streams, labels, TIMES)
    peaks = json.loads((HERE / "fig5a.json").read_text())["peaks_s"]

    def draw5b(ax):
        ax.plot(1e3 * TIMES, 100 * err, "o-")
        for p in peaks:
            ax.axvline(1e3 * p, ls="--", color="gray")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("error (%)")
        ax.set_title(f"Fig. 5B: 2312-200-10 after {tr.epoch} epochs, {len(labels)} real test recordings")
    plot(HERE / "fig5b.png", draw5b)
    # the ANN, trained on frames of (a subset of) the SNN's own training streams
    n = min(ANN_STREAMS, tr.task.size("train"))
    x = np.concatenate([F.frames(s).astype(np.float32) for s in tr.task.take("train", np.arange(n))])
    y = np.concatenate([np.full(F.frames(s).shape[0], lab) for s, lab in
                        zip(tr.task.take("train", np.arange(n)), tr.task.labels["train"][:n])])
    ann = F.FrameANN(200).fit(x, y, epochs=5)
    ann_err, macs = F.ann_error_and_macs_vs_frames(ann, streams, labels)
    level = max(err.min(), ann_err.min())      # the lowest error both reach
    snn_ops, ann_ops = F.ops_at_error(err, ops, level), F.ops_at_error(ann_err, macs, level)

    def draw6(ax):
        ax.semilogx(ops, 100 * err, "o-", label="SNN: synaptic operations")
        ax.semilogx(macs, 100 * ann_err, "s-", label="ANN on 30 ms frames: MACs")
        ax.axhline(100 * level, ls="--", color="gray")
        ax.set_xlabel("operations per sample")
        ax.set_ylabel("error (%)")
        ax.set_title("Fig. 6: 2312-200-10, real test recordings")
        ax.legend()
    plot(HERE / "fig6.png", draw6)
    out = {"epochs": tr.epoch, "n_test": len(labels), "times_s": TIMES.tolist(), "snn_error": err.tolist(),
           "snn_ops": ops.tolist(), "ann_error": ann_err.tolist(), "ann_macs": macs.tolist(),
           "ann_train_streams": n, "error_level": level, "snn_ops_at_level": snn_ops, "ann_macs_at_level": ann_ops,
           "ops_ratio": (ann_ops / snn_ops) if snn_ops and ann_ops else None}
    (HERE / "fig5b_fig6.json").write_text(json.dumps(out))
    return out


def summary(fig6):
    lines = []
    val = json.loads((HERE / "emulator" / "validation.json").read_text())["validation"]
    ev = val["events_per_sample"]["median"]
    lines.append(f"SUMMARY emulator events_median_ratio={ev['emulated'] / ev['real']:.3f} "
                 f"on_fraction_diff={abs(val['on_fraction']['diff']):.3f} "
                 f"rate_profile_corr={val['rate_profile']['pearson_r']:.3f} "
                 f"image_corr={val['accumulated_images']['mean_pearson_r']:.3f}")
    run = HERE / "nmnist-800"
    if (run / "summary.json").exists():
        s = json.loads((run / "summary.json").read_text())
        emu = run / "evaluate-emulated-test.json"
        emu_acc = f"{100 * json.loads(emu.read_text())['accuracy']:.2f}" if emu.exists() else "n/a"
        lines.append(f"SUMMARY nmnist real_test_accuracy={100 * s['test_accuracy']:.2f} "
                     f"real_test_n={s['test_samples']} emulated_test_accuracy={emu_acc} epochs={s['epochs']}")
    if fig6 and fig6["ops_ratio"]:
        lines.append(f"SUMMARY fig6 ops_ratio={fig6['ops_ratio']:.2f} error_percent={100 * fig6['error_level']:.1f}")
    (HERE / "SUMMARY.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    streams, labels = load_nmnist("test", download=False)
    fig5a(streams)
    previous = HERE / "fig5b_fig6.json"
    fig6 = fig5b_fig6(streams, labels)
    if fig6 is None and previous.exists():
        fig6 = json.loads(previous.read_text())
    summary(fig6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
