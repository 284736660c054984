"""Checks for notebooks/08_convolutional_snn.ipynb: the size of a valid convolution, the synaptic
operations of one input spike (weight sharing, borders), the gradient of a shared kernel (Eq. 13
summed over positions).

References: :class:`snnlab.layers.Conv2d` (``output_shape``, ``fan_out()``, ``weight_gradient``).

Plain :class:`~snnlab.exercises.Check` objects like those of notebooks 01-07: answers compared by
value (a tuple, a list or an array), each case run with the check's time limit.
"""
from __future__ import annotations

import numpy as np

from ..layers import Conv2d, init_conv
from . import Case, Check, Mistake

#: seconds per case for this notebook's checks (the default, TIME_LIMIT, is 5 s)
CHECK_TIME_LIMIT = 10.0


# ------------------------------------------------------------------ conv_output_size(H, W, k)
def _reference_output_size(H, W, k):
    """snnlab's Conv2d: stride 1, no padding."""
    return tuple(init_conv((1, H, W), 1, k, rng=0).output_shape[1:])


_SIZE_CASES = [Case((28, 28, 5), "the paper's conv1: 28x28 digits, 5x5 kernels"),
               Case((12, 12, 5), "the paper's conv2 on the pooled 12x12 maps"),
               Case((10, 7, 3), "a non-square input (H = 10 rows, W = 7 columns)"),
               Case((5, 5, 5), "a kernel as large as the input: one position"),
               Case((9, 6, 1), "a 1x1 kernel")]

check_conv_output_size = Check(
    "my_conv_output_size(H, W, k)", _reference_output_size, _SIZE_CASES,
    mistakes=[
        Mistake("that is 'same' padding (output as large as the input). snnlab's convolutions are 'valid': "
                "no padding, a kernel position exists only where the whole k x k window lies inside the "
                "input.", lambda H, W, k: (H, W)),
        Mistake("off by one: the top-left corner of the kernel can sit at rows 0, 1, ..., H - k; that is "
                "H - k + 1 positions, not H - k.", lambda H, W, k: (H - k, W - k)),
        Mistake("that is a 'full' convolution (the input padded with k - 1 zeros on every side), the size "
                "of a transposed convolution; the forward pass has no padding.",
                lambda H, W, k: (H + k - 1, W + k - 1)),
        Mistake("height and width are swapped: return (rows, columns) = (H - k + 1, W - k + 1).",
                lambda H, W, k: (W - k + 1, H - k + 1)),
        Mistake("that is k x k pooling (non-overlapping windows); a convolution slides its kernel one "
                "pixel at a time, so neighbouring positions overlap.", lambda H, W, k: (H // k, W // k)),
    ],
    hint="count the positions of the kernel's top-left corner: rows 0 .. H - k, columns 0 .. W - k.",
    arg_names=("H", "W", "k"), reference_name="snnlab.layers.Conv2d.output_shape",
    time_limit=CHECK_TIME_LIMIT)


# ------------------------------------------------ synaptic_ops(y, x, H, W, k, maps): one input spike
def _reference_synaptic_ops(y, x, H, W, k, maps):
    """Neurons one spike on input pixel (y, x) reaches: Conv2d.fan_out(), as the simulator counts."""
    return int(init_conv((1, H, W), maps, k, rng=0).fan_out()[y * W + x])


def _positions(i, n, k):
    """Output positions o with 0 <= o <= n - k that a kernel at o covers input i with (o <= i <= o + k - 1)."""
    return min(i, n - k) - max(0, i - k + 1) + 1


def _ops_model(borders=True, maps_on=True, kernel_only=False, off_by_one=False, swap=False):
    def ops(y, x, H, W, k, maps):
        if kernel_only:
            return k * k
        if borders:
            if swap:
                r, c = _positions(x, H, k), _positions(y, W, k)
            else:
                r, c = _positions(y, H, k), _positions(x, W, k)
            if off_by_one:
                r, c = r - 1, c - 1
        else:
            r = c = k
        return r * c * (maps if maps_on else 1)
    return ops


_OPS_CASES = [Case((14, 14, 28, 28, 5, 20), "a pixel in the middle of a digit, 20C5"),
              Case((0, 0, 28, 28, 5, 20), "the top-left corner pixel"),
              Case((0, 14, 28, 28, 5, 20), "a pixel on the top border"),
              Case((2, 27, 28, 28, 5, 20), "a pixel two rows from the top, on the right border"),
              Case((0, 5, 8, 6, 3, 4), "a non-square input (8 rows, 6 columns), 4C3")]

check_synaptic_ops = Check(
    "my_synaptic_ops(y, x, H, W, k, maps)", _reference_synaptic_ops, _OPS_CASES,
    mistakes=[
        Mistake("you ignored the borders: k * k * maps is right only for a pixel far from the edges. Near a "
                "border some of the k x k kernel positions that would cover the pixel lie outside the "
                "output (a valid convolution has no neurons there), so the spike reaches fewer neurons.",
                _ops_model(borders=False)),
        Mistake("you counted the neurons of ONE map: the spike reaches the same positions in every one of "
                "the `maps` feature maps (each map has its own kernel), so multiply by maps.",
                _ops_model(maps_on=False)),
        Mistake("k * k is the number of weights in one kernel, not the number of neurons reached: count "
                "the output positions whose kernel covers the pixel, in every map.", _ops_model(kernel_only=True)),
        Mistake("off by one: the positions that cover pixel y are o = y - k + 1 .. y, clipped to 0 .. H - k; "
                "count both ends (min(y, H - k) - max(0, y - k + 1) + 1).", _ops_model(off_by_one=True)),
        Mistake("rows and columns are mixed up: y runs over the H rows, x over the W columns.",
                _ops_model(swap=True)),
    ],
    hint="in each direction count the kernel positions o with max(0, y - k + 1) <= o <= min(y, H - k); "
         "multiply the row count, the column count and the number of maps.",
    arg_names=("y", "x", "H", "W", "k", "maps"), reference_name="snnlab.layers.Conv2d.fan_out()",
    time_limit=CHECK_TIME_LIMIT)


# ------------------------------------------- kernel_gradient(delta_maps, input_maps): Eq. 13, shared
def reference_kernel_gradient(delta_maps, input_maps):
    """sum over positions (y, x) of delta[c, y, x] * input[c_in, y + dy, x + dx], from
    :meth:`snnlab.layers.Conv2d.weight_gradient` (one sample, every input active) divided by its
    normalization factor sqrt(N / m) of Eq. 13."""
    d, x = np.asarray(delta_maps, dtype=float), np.asarray(input_maps, dtype=float)
    C_out, Ho, Wo = d.shape
    C_in, H, W = x.shape
    k = H - Ho + 1
    layer = Conv2d(np.zeros((C_out, C_in, k, k)), np.ones(C_out * Ho * Wo), (C_in, H, W))
    g = layer.weight_gradient(d.reshape(1, -1), x.reshape(1, -1), np.ones((1, layer.n_in), dtype=bool))
    return g / np.sqrt(layer.n_out / layer.n_in)


def _kg_model(kind):
    def kg(delta_maps, input_maps):
        d, x = np.asarray(delta_maps, dtype=float), np.asarray(input_maps, dtype=float)
        C_out, Ho, Wo = d.shape
        k = x.shape[1] - Ho + 1
        if kind == "last":              # "=" instead of "+=" in the loop over positions
            return np.einsum("o,iyx->oiyx", d[:, -1, -1], x[:, Ho - 1:Ho - 1 + k, Wo - 1:Wo - 1 + k])
        g = reference_kernel_gradient(d, x)
        if kind == "mean":
            return g / (Ho * Wo)
        if kind == "flip":
            return g[:, :, ::-1, ::-1]
        if kind == "transpose":
            return g.transpose(0, 1, 3, 2)
        raise ValueError(kind)
    return kg


_rng = np.random.default_rng(808)
_KG_CASES = [Case((_rng.normal(size=(2, 3, 3)), _rng.uniform(0, 1, size=(1, 5, 5))),
                  "2 maps, 3x3 kernels on one 5x5 input map"),
             Case((_rng.normal(size=(3, 4, 3)), _rng.uniform(0, 1, size=(2, 5, 4))),
                  "3 maps, 2x2 kernels on two non-square 5x4 input maps"),
             Case((np.pad(np.ones((1, 1, 1)), ((0, 0), (1, 0), (2, 0))), _rng.uniform(0, 1, size=(1, 4, 5))),
                  "one error at one position (row 1, column 2): the gradient is the input window there")]

check_kernel_gradient = Check(
    "my_kernel_gradient(delta_maps, input_maps)", reference_kernel_gradient, _KG_CASES,
    mistakes=[
        Mistake("your gradient holds the product of ONE position only (the last one): a shared weight acts "
                "at every position, so its gradient is the SUM over all positions (accumulate with +=, or "
                "sum over y and x).", _kg_model("last")),
        Mistake("you averaged over the positions; a shared weight's gradient is the sum of its gradients at "
                "every position (Eq. 13 applied to each copy of the weight, then added).", _kg_model("mean")),
        Mistake("your kernel is flipped (rotated by 180 degrees): that is a true convolution of the input "
                "with the error map. snnlab's forward pass is a correlation -- W[c, c_in, dy, dx] meets input "
                "(c_in, y + dy, x + dx) -- so the gradient is sum_{y,x} delta[c, y, x] input[c_in, y + dy, "
                "x + dx].", _kg_model("flip")),
        Mistake("rows and columns of the kernel are swapped (dy and dx exchanged).", _kg_model("transpose")),
    ],
    hint="G[c, c_in, dy, dx] = sum over y < H_out, x < W_out of delta_maps[c, y, x] * "
         "input_maps[c_in, y + dy, x + dx], with k = H - H_out + 1.",
    arg_names=("delta_maps", "input_maps"),
    reference_name="snnlab.layers.Conv2d.weight_gradient (without its sqrt(N/m))", time_limit=CHECK_TIME_LIMIT)
