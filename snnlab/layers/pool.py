"""Pooling by spiking neurons (section 3.2): weights 1, V_th 0.8, not trained.

Each neuron (c, y, x) of the output receives the p x p inputs (c, p y + dy, p x + dx) with weight 1
and threshold 0.8, so a single input spike makes it fire.  It has the dynamic weight of Eq. 2, so
a second input spike within T_ref counts less: as the paper says, this is not exactly sum
pooling.  In the backward pass the error of a pooling neuron goes back, with weight 1, to the
inputs that fed it.
"""
from __future__ import annotations

import numpy as np

from ..events import EventBatch
from .base import LayerOutput, SpikingLayer
from .conv import check_shape


class SumPool(SpikingLayer):
    """p x p pooling neurons over C x H x W maps (H and W divisible by p).

    Args:
        input_shape: (C, H, W).  size: p (the paper: 2).  threshold: V_th (the paper: 0.8).
        tau_mp, T_ref: s (T_ref = 0 gives exact counting within each window).
    """
    kind = "pool"
    trainable = False

    def __init__(self, input_shape, size=2, threshold=0.8, tau_mp=0.020, T_ref=0.001):
        C, H, W = check_shape(input_shape)
        if not (isinstance(size, (int, np.integer)) and size >= 1):
            raise ValueError(f"pool layer: size must be a whole number >= 1, got {size!r}")
        if H % size or W % size:
            raise ValueError(f"pool layer: a {size}x{size} pool does not divide the {H}x{W} maps; "
                             f"use a size that divides both, or change the layer below")
        if not (np.isfinite(threshold) and threshold > 0):
            raise ValueError(f"pool layer: threshold must be a number > 0 (paper: 0.8), got {threshold!r}")
        self.input_shape = (C, H, W)
        self.output_shape = (C, H // size, W // size)
        self.size = int(size)
        self.n_in = C * H * W
        self.n_out = int(np.prod(self.output_shape))
        super().__init__(np.full(self.n_out, float(threshold)), tau_mp, T_ref, 0.0)
        c, y, x = np.meshgrid(np.arange(C), np.arange(H), np.arange(W), indexing="ij")
        self._target = ((c * self.output_shape[1] + y // size) * self.output_shape[2] + x // size).ravel()
        self._ones = np.ones(1)

    def connections(self):
        M = self.n_in
        return np.arange(M + 1, dtype=np.int64), self._target.astype(np.int64), np.zeros(M, np.int64)

    def weight_values(self) -> np.ndarray:
        return self._ones

    def fan_out(self) -> np.ndarray:
        return np.ones(self.n_in, dtype=np.int64)

    def forward(self, batch: EventBatch, backend: str = "numpy", threshold_rule=None) -> LayerOutput:
        out = self.forward_sparse_backend(batch, backend)
        out.synaptic_ops = batch.n.copy()
        return out

    def parameters(self) -> list:
        return []

    def propagate_back(self, delta):
        """Each input gets the error of the pooling neuron it feeds (weight 1)."""
        return delta[:, self._target]

    def describe(self) -> str:
        C, H, W = self.input_shape
        return f"P{self.size} ({C}x{H}x{W} -> {C}x{H // self.size}x{W // self.size})"
