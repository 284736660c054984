"""Checks for notebooks/08_convolutional_snn.ipynb: the size of a valid convolution, the synaptic
operations of one input spike (weight sharing, borders), the gradient of a shared kernel (Eq. 13
summed over positions).

References: :class:`snnlab.layers.Conv2d` (``output_shape``, ``fan_out()``, ``weight_gradient``).

Also defined here and used by ``nb09``: :class:`TimedCheck`, a :class:`~snnlab.exercises.Check`
that stops a student's function after ``time_limit`` seconds per case (an endless loop is then
reported as a wrong answer, not a frozen notebook), and :func:`same_values`, which compares values
whatever their container (tuple, list or numpy array; numpy or Python numbers).
"""
from __future__ import annotations

import functools
import signal
import threading
import time

import numpy as np

from ..layers import Conv2d, init_conv
from . import Case, Check, Mistake, fmt, same


# ------------------------------------------------------------------ shared by nb08 and nb09
class TimeLimitExceeded(Exception):
    """A student's function ran longer than the check allows for one case."""


def time_limited(fn, seconds: float):
    """``fn`` with a time limit per call: interrupted by SIGALRM (main thread, Unix), otherwise
    measured after the call; either way a :class:`TimeLimitExceeded` says how long it took."""
    message = (f"your function ran longer than {seconds:g} s on one case and was stopped: an endless loop, "
               "or a loop over far more elements than needed?")

    @functools.wraps(fn)
    def run(*args, **kwargs):
        use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        outer = signal.getitimer(signal.ITIMER_REAL) if use_alarm else (0.0, 0.0)
        if outer[0] and outer[0] <= seconds:     # someone else's alarm (e.g. pytest-timeout) comes first
            use_alarm = False
        previous = None
        if use_alarm:
            def _stop(signum, frame):
                raise TimeLimitExceeded(message)
            previous = signal.signal(signal.SIGALRM, _stop)
            signal.setitimer(signal.ITIMER_REAL, seconds)
        t0 = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                if outer[0]:                     # give the other alarm back, minus the time used
                    signal.setitimer(signal.ITIMER_REAL, max(outer[0] - (time.perf_counter() - t0), 1e-3),
                                     outer[1])
        if time.perf_counter() - t0 > seconds:
            raise TimeLimitExceeded(message)
        return result
    return run


class TimedCheck(Check):
    """A :class:`~snnlab.exercises.Check` with a time limit per case (``time_limit`` seconds)."""

    def __init__(self, *args, time_limit: float = 10.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_limit = float(time_limit)      # (a Check that reads self.time_limit itself uses it too)

    def run(self, student):
        if callable(student):
            student = time_limited(student, self.time_limit)
        return super().run(student)

    def _wrong(self, message, bad, got, ref) -> str:
        """As :class:`~snnlab.exercises.Check`, with arrays shown by shape and first values."""
        lines = [f"✗ {self.name}: {message}"]
        for i in bad[:3]:
            c = self.cases[i]
            args = ", ".join(f"{n}={brief(a)}" for n, a in zip(self.arg_names or [""] * len(c.args), c.args))
            lines.append(f"  case ({c.what}): {args}\n      you returned {brief(got[i])}, snnlab gives {brief(ref[i])}")
        if len(bad) > 3:
            lines.append(f"  ... and {len(bad) - 3} more failing case(s)")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def brief(x) -> str:
    """A short text for a value in a message: a large array by its shape and first entries."""
    if isinstance(x, np.ndarray) and x.dtype.names is None and x.size > 6:
        first = ", ".join(f"{v:.4g}" for v in x.ravel()[:4])
        return f"array of shape {x.shape} [{first}, ...]"
    return fmt(x)


def same_values(a, b) -> bool:
    """Same numbers in the same arrangement: a tuple, a list and a numpy array with equal entries are
    the same answer, and so are numpy and Python numbers (values, not types)."""
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return same(a, b)
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True))


# ------------------------------------------------------------------ conv_output_size(H, W, k)
def _reference_output_size(H, W, k):
    """snnlab's Conv2d: stride 1, no padding."""
    return tuple(init_conv((1, H, W), 1, k, rng=0).output_shape[1:])


_SIZE_CASES = [Case((28, 28, 5), "the paper's conv1: 28x28 digits, 5x5 kernels"),
               Case((12, 12, 5), "the paper's conv2 on the pooled 12x12 maps"),
               Case((10, 7, 3), "a non-square input (H = 10 rows, W = 7 columns)"),
               Case((5, 5, 5), "a kernel as large as the input: one position"),
               Case((9, 6, 1), "a 1x1 kernel")]

check_conv_output_size = TimedCheck(
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
    arg_names=("H", "W", "k"), compare=same_values, reference_name="snnlab.layers.Conv2d.output_shape")


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

check_synaptic_ops = TimedCheck(
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
    arg_names=("y", "x", "H", "W", "k", "maps"), compare=same_values,
    reference_name="snnlab.layers.Conv2d.fan_out()")


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

check_kernel_gradient = TimedCheck(
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
    arg_names=("delta_maps", "input_maps"), compare=same_values,
    reference_name="snnlab.layers.Conv2d.weight_gradient (without its sqrt(N/m))")
