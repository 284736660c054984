"""Elastic distortion (Simard et al. 2003, alpha 34 px, sigma 4 px) of 8 real MNIST training digits.

Top row: the first training digit of each class 0-7; bottom row: the same digits distorted with ``distort_batch`` (seed 0,
epoch 0, their training-set indices); right: the displacement field of the last digit
(arrows point to where each output pixel reads from, drawn at true length in pixels).

    python results/mnist-cnn/distortion/make_figure.py        # from the repository root

Needs MNIST: $SNNLAB_DATA, the user cache, or a download (see snnlab.data).
Writes distortion.png and command.txt next to this script.
"""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from snnlab.data import load_mnist  # noqa: E402
from snnlab.data.distortion import displacement_field, distort_batch, distortion_rng  # noqa: E402

HERE = Path(__file__).resolve().parent
ALPHA, SIGMA = 34.0, 4.0        # pixels (Simard et al. 2003, 28x28 MNIST)
SEED, EPOCH = 0, 0


def main() -> None:
    images, labels = load_mnist("train")
    idx = np.array([int(np.flatnonzero(labels == d)[0]) for d in range(8)])   # first 0, 1, ..., 7
    before = images[idx]
    after = distort_batch(before, ALPHA, SIGMA, seed=SEED, epoch=EPOCH, indices=idx)
    # the field distort_batch used for the last digit: same stream, same draws
    dx, dy = displacement_field((28, 28), ALPHA, SIGMA, distortion_rng(SEED, EPOCH, int(idx[-1])))

    fig = plt.figure(figsize=(13, 3.3))
    grid = fig.add_gridspec(2, 11, width_ratios=[1] * 8 + [0.15, 1.1, 1.1], wspace=0.08, hspace=0.08)
    for j in range(len(idx)):
        for row, (img, title) in enumerate(((before[j], f"#{idx[j]}"), (after[j], None))):
            ax = fig.add_subplot(grid[row, j])
            ax.imshow(img, cmap="gray_r", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if title:
                ax.set_title(title, fontsize=8)
            if j == 0:
                ax.set_ylabel("original" if row == 0 else "distorted", fontsize=9)

    ax = fig.add_subplot(grid[:, 9:])
    ax.imshow(before[-1], cmap="gray_r", vmin=0, vmax=255, alpha=0.35)
    rows, cols = np.mgrid[0:28:2, 0:28:2]       # every 2nd pixel, so the arrows stay readable
    ax.quiver(cols, rows, dx[::2, ::2], dy[::2, ::2], color="tab:red",
              angles="xy", scale_units="xy", scale=1, width=0.006)
    ax.set_xlim(-0.5, 27.5)
    ax.set_ylim(27.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks([0, 9, 18, 27])
    ax.set_yticks([0, 9, 18, 27])
    ax.tick_params(labelsize=7)
    ax.set_title(f"field of #{idx[-1]}, px (|d| max {np.hypot(dx, dy).max():.1f})", fontsize=8)

    fig.suptitle(f"Elastic distortion (Simard et al. 2003): alpha = {ALPHA:g} px, sigma = {SIGMA:g} px, "
                 f"seed {SEED}, epoch {EPOCH}", fontsize=10)
    out = HERE / "distortion.png"
    fig.savefig(out, dpi=120, bbox_inches="tight")
    (HERE / "command.txt").write_text("python results/mnist-cnn/distortion/make_figure.py\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
