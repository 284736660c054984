"""Convolutional spiking layer (section 3.2): k x k kernels, C_in -> C_out maps, stride 1, no padding.

Neuron (c, y, x) of the output has channel index ``c * H_out * W_out + y * W_out + x`` (maps first,
as in a (C, H, W) image), and so has every input.  Its membrane integrates

    sum over (c_in, dy, dx) of  W[c, c_in, dy, dx] * spike on input (c_in, y + dy, x + dx)

so one input spike on (c_in, y, x) reaches the k*k*C_out neurons (c, y - dy, x - dx) that lie
inside the output: weight sharing.  The forward pass is the sparse event loop
(:func:`snnlab.layers.sparse.forward_sparse`).  A kernel's gradient sums over all positions
(:meth:`Conv2d.weight_gradient`).

WTA: the paper does not say whether its convolutional layers have lateral inhibition.  With
``kappa != 0`` the C_out neurons at one position compete (one WTA group per position); with
``kappa = 0`` there is none.
"""
from __future__ import annotations

import numpy as np

from ..events import EventBatch
from ..params import check_array
from .base import LayerOutput, SpikingLayer, synaptic_ops


def check_shape(shape, name="input shape") -> tuple:
    """(C, H, W) of positive integers."""
    if not (isinstance(shape, (tuple, list)) and len(shape) == 3
            and all(isinstance(v, (int, np.integer)) and v >= 1 for v in shape)):
        raise ValueError(f"{name} must be (channels, height, width) of whole numbers >= 1, got {shape!r}")
    return tuple(int(v) for v in shape)


class Conv2d(SpikingLayer):
    """C_in x H x W -> C_out x (H - k + 1) x (W - k + 1) spiking convolution.

    Args:
        weights: (C_out, C_in, k, k) kernels.
        threshold: (N,) V_th per output neuron, N = C_out * H_out * W_out.
        input_shape: (C_in, H, W).
        tau_mp, T_ref: s.  kappa: WTA across the maps at each position (0 = none).
    """
    kind = "conv"

    def __init__(self, weights, threshold, input_shape, tau_mp=0.020, T_ref=0.001, kappa=0.0):
        self.weights = check_array(weights, "weights").copy()
        if self.weights.ndim != 4 or self.weights.shape[2] != self.weights.shape[3]:
            raise ValueError(f"conv weights must be (C_out, C_in, k, k), got shape {self.weights.shape}")
        C_out, C_in, k, _ = self.weights.shape
        c, H, W = check_shape(input_shape)
        if c != C_in:
            raise ValueError(f"conv layer: the kernels expect {C_in} input maps, but the input has {c} "
                             f"(input shape {input_shape}); the channel counts must chain")
        if k > H or k > W:
            raise ValueError(f"conv layer: kernel {k}x{k} is larger than the input {H}x{W}; use kernel <= {min(H, W)}")
        self.input_shape = (C_in, H, W)
        self.output_shape = (C_out, H - k + 1, W - k + 1)
        self.kernel = k
        self.n_in = C_in * H * W
        self.n_out = int(np.prod(self.output_shape))
        super().__init__(threshold, tau_mp, T_ref, kappa)
        self._csr = None

    # ------------------------------------------------------------------ connectivity
    def connections(self):
        if self._csr is None:
            C_out, C_in, k, _ = self.weights.shape
            _, H, W = self.input_shape
            _, Ho, Wo = self.output_shape
            ci, y, x, co, dy, dx = np.meshgrid(np.arange(C_in), np.arange(H), np.arange(W), np.arange(C_out),
                                               np.arange(k), np.arange(k), indexing="ij")
            oy, ox = y - dy, x - dx
            ok = (oy >= 0) & (oy < Ho) & (ox >= 0) & (ox < Wo)
            source = ((ci * H + y) * W + x)[ok]            # input channel, in increasing order
            target = ((co * Ho + oy) * Wo + ox)[ok]
            weight_index = (((co * C_in + ci) * k + dy) * k + dx)[ok]
            ptr = np.zeros(self.n_in + 1, np.int64)
            np.cumsum(np.bincount(source, minlength=self.n_in), out=ptr[1:])
            self._csr = (ptr, target.astype(np.int64), weight_index.astype(np.int64))
        return self._csr

    def weight_values(self) -> np.ndarray:
        return self.weights.ravel()

    def wta_groups(self):
        N = self.n_out
        if self.kappa == 0:
            return np.zeros(1, np.int64), np.zeros(0, np.int64), np.full(N, -1, np.int64)
        C, Ho, Wo = self.output_shape
        P = Ho * Wo
        members = (np.arange(C)[None, :] * P + np.arange(P)[:, None]).ravel()   # position by position
        return np.arange(P + 1, dtype=np.int64) * C, members.astype(np.int64), np.arange(N, dtype=np.int64) % P

    # ------------------------------------------------------------------ forward
    def forward(self, batch: EventBatch, backend: str = "numpy", threshold_rule=None) -> LayerOutput:
        """Sparse event loop (numpy reference or the compiled kernel, the same spikes)."""
        if threshold_rule is not None:
            raise ValueError("threshold regularization per input event is implemented for dense layers only; "
                             "use threshold_reg='batch' (or rho=0) for convolutional networks")
        out = self.forward_sparse_backend(batch, backend)
        out.synaptic_ops = synaptic_ops(self, batch)
        return out

    # ------------------------------------------------------------------ learning
    def weight_rows(self) -> np.ndarray:
        """(C_out, C_in k k): the incoming weights of one map's neurons (one row per kernel, Eq. 14)."""
        return self.weights.reshape(self.weights.shape[0], -1)

    def _windows(self, x):
        """(B, C_in, H_out, W_out, k, k) views of the input maps under every kernel position."""
        B = x.shape[0]
        k = self.kernel
        maps = x.reshape(B, *self.input_shape)
        return np.lib.stride_tricks.sliding_window_view(maps, (k, k), axis=(2, 3))

    def propagate_back(self, delta):
        """Error of the output neurons -> error of the inputs: the transposed convolution."""
        B = delta.shape[0]
        k = self.kernel
        d = delta.reshape(B, *self.output_shape)
        padded = np.pad(d, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        win = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(2, 3))   # (B, C_out, H, W, k, k)
        flipped = self.weights[:, :, ::-1, ::-1]
        return np.einsum("bohwyx,oiyx->bihw", win, flipped, optimize=True).reshape(B, self.n_in)

    def weight_gradient(self, delta, x, x_active):
        """Eq. 13 with weight sharing: sqrt(N/m) delta_i x_j summed over every position of the kernel.

        N and m are the layer's neurons and active inputs, as for a dense layer (our choice; the
        paper does not spell out Eq. 13 for convolutions).  Batch mean, like
        :func:`snnlab.learning.weight_gradient`.
        """
        B, N = delta.shape
        m = x_active.sum(axis=1)
        scale = np.sqrt(np.divide(N, m, out=np.zeros(B), where=m > 0))
        d = (scale[:, None] * delta).reshape(B, *self.output_shape)
        return np.einsum("bohw,bihwyx->oiyx", d, self._windows(x), optimize=True) / B

    def describe(self) -> str:
        C_out, C_in, k, _ = self.weights.shape
        return f"{C_out}C{k} ({C_in}x{self.input_shape[1]}x{self.input_shape[2]} -> " \
               f"{C_out}x{self.output_shape[1]}x{self.output_shape[2]})"


def init_conv(input_shape, maps, kernel, alpha=3.0, rng=None, kappa=0.0, tau_mp=0.020, T_ref=0.001) -> Conv2d:
    """A convolutional layer initialized by Eq. 10 with M = k * k * C_in synapses per neuron.

    Args:
        input_shape: (C_in, H, W).  maps: C_out.  kernel: k.
        alpha: threshold scale (V_th = alpha sqrt(3 / M)).
    """
    C_in, H, W = check_shape(input_shape)
    if not (isinstance(maps, (int, np.integer)) and maps >= 1):
        raise ValueError(f"conv layer: maps must be a whole number >= 1, got {maps!r}")
    if not (isinstance(kernel, (int, np.integer)) and kernel >= 1):
        raise ValueError(f"conv layer: kernel must be a whole number >= 1, got {kernel!r}")
    if kernel > min(H, W):
        raise ValueError(f"conv layer: kernel {kernel}x{kernel} is larger than the input {H}x{W}; "
                         f"use kernel <= {min(H, W)}")
    if not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a finite number > 0 (paper: 3..10), got {alpha!r}")
    rng = np.random.default_rng(rng)
    M = kernel * kernel * C_in
    a = np.sqrt(3.0 / M)
    weights = rng.uniform(-a, a, size=(maps, C_in, kernel, kernel))
    n_out = maps * (H - kernel + 1) * (W - kernel + 1)
    return Conv2d(weights, np.full(n_out, alpha * a), input_shape, tau_mp=tau_mp, T_ref=T_ref, kappa=kappa)
