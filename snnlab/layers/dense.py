"""The dense layer and its batched event loop: the one screen a student reads (Eqs. 1-3, WTA).

A layer sees an :class:`~snnlab.events.EventBatch` (B samples, padded to K events) and
loops over the event *index* k: the k-th event of every sample is processed in one set of
numpy operations on (B, N) arrays.  Layers have no delays and no feedback, so a layer's
output spikes (with their times) are simply the next layer's input events.

``forward_events`` takes an (M + 1, N) matrix ``rows`` whose row k is what one spike on input k
adds to the N membranes (column k of W); the last row is zeros, so padding events (channel -1)
add nothing.  The compiled kernel :func:`snnlab.kernels.dense_forward` does the same arithmetic,
one sample at a time, and a test holds the two spike for spike and bit for bit.
"""
from __future__ import annotations

import numpy as np

from ..events import EventBatch
from ..params import check_array
from ..regularizers import EventThresholdRule, threshold_event_step
from .base import LayerOutput, SpikingLayer, check_batch, collect, concat_outputs, sample_batch

BACKENDS = ("numpy", "numba")


class DenseLayer(SpikingLayer):
    """Fully connected layer: ``weights[i, k]`` = w_ik from input k to neuron i (paper's layout).

    With ``kappa != 0`` all N neurons form one WTA group (section 2.1.2).  The weights are stored
    input by input (``weights_by_input``, (M, N), contiguous: what one input spike adds to the N
    membranes); ``weights`` is the (N, M) view of the same numbers, for the learning rule.
    """
    kind = "dense"

    def __init__(self, weights, threshold, tau_mp=0.020, T_ref=0.001, kappa=0.0):
        weights = check_array(weights, "weights")
        if weights.ndim != 2:
            raise ValueError(f"weights must be (N neurons, M inputs), got shape {weights.shape}")
        self.weights_by_input = np.ascontiguousarray(weights.T)
        self.n_out, self.n_in = weights.shape
        super().__init__(threshold, tau_mp, T_ref, kappa)

    @property
    def weights(self) -> np.ndarray:
        """(N, M) weights, a view: writing into it changes the layer."""
        return self.weights_by_input.T

    @weights.setter
    def weights(self, value):
        value = np.asarray(value, dtype=np.float64)
        if value.shape != (self.n_out, self.n_in):
            raise ValueError(f"weights must have shape {(self.n_out, self.n_in)}, got {value.shape}")
        self.weights_by_input[...] = value.T

    def input_rows(self) -> np.ndarray:
        rows = np.zeros((self.n_in + 1, self.n_out))
        rows[:-1] = self.weights_by_input
        return rows

    def forward(self, batch: EventBatch, backend: str = "numpy",
                threshold_rule: EventThresholdRule | None = None) -> LayerOutput:
        """Run the layer over a batch of input events.

        Args:
            batch: B samples of input events.
            backend: "numpy" (:func:`forward_events`, the reference) or "numba"
                (:func:`snnlab.kernels.dense_forward`, the same spikes, faster).
            threshold_rule: apply threshold regularization at every input event (section 2.3.2,
                the paper's protocol); the samples are then processed one after another and the
                layer's thresholds (and, at the floor, weights) change during the pass.
        Returns:
            :class:`LayerOutput`.
        """
        if backend == "numba":
            from ..kernels import check_batch_fast, dense_forward
            check_batch_fast(batch, self.n_in)
            out = dense_forward(self.weights_by_input, self.threshold, batch, self.tau_mp, self.T_ref,
                                self.kappa, threshold_rule)
            out.synaptic_ops = batch.n * self.n_out
            return out
        check_batch(batch, self.n_in)
        rows = self.input_rows()
        if backend == "numpy":
            if threshold_rule is None:
                out = forward_events(rows, self.threshold, batch, self.tau_mp, self.T_ref, self.kappa)
            else:              # one sample after another: the thresholds carry over
                out = concat_outputs([forward_events(rows, self.threshold, sample_batch(batch, b), self.tau_mp,
                                                     self.T_ref, self.kappa, threshold_rule)
                                      for b in range(batch.batch_size)], batch)
        else:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if threshold_rule is not None:
            self.weights_by_input[...] = rows[:-1]   # the floor may have raised weights
        out.synaptic_ops = batch.n * self.n_out
        return out

    def connections(self):
        M, N = self.n_in, self.n_out
        ptr = np.arange(M + 1, dtype=np.int64) * N
        target = np.tile(np.arange(N, dtype=np.int64), M)
        weight_index = (np.arange(N, dtype=np.int64)[None, :] * M + np.arange(M)[:, None]).ravel()
        return ptr, target, weight_index

    def weight_values(self) -> np.ndarray:
        return self.weights.ravel()

    def fan_out(self) -> np.ndarray:
        return np.full(self.n_in, self.n_out, dtype=np.int64)

    def weight_rows(self) -> np.ndarray:
        """(N, M) one row of incoming weights per neuron (Eqs. 11, 14)."""
        return self.weights

    def propagate_back(self, delta):
        return delta @ self.weights

    def weight_gradient(self, delta, x, x_active):
        from ..learning import weight_gradient
        return weight_gradient(delta, x, x_active, by_input=True)

    def parameters(self) -> list:
        """[weights_by_input (M, N), threshold (N,)]: the arrays the optimizer updates in place."""
        return [self.weights_by_input, self.threshold] if self.trainable else []


def forward_events(rows, threshold, batch: EventBatch, tau_mp, T_ref, kappa,
                   threshold_rule: EventThresholdRule | None = None) -> LayerOutput:
    """The batched event loop: same arithmetic as :func:`snnlab.neuron.simulate_group`.

    Args:
        rows: (M + 1, N) per-input contributions, last row zeros (see module docstring).
        threshold: (N,) V_th.
        batch: B samples of input events.
        tau_mp, T_ref, kappa: as in :func:`snnlab.neuron.simulate_group`.
        threshold_rule: only with B = 1: threshold regularization after every input event
            (:func:`snnlab.regularizers.threshold_event_step`); changes ``threshold`` and ``rows``.
    Returns:
        :class:`LayerOutput`.
    """
    M = rows.shape[0] - 1
    if batch.t.size and (batch.ch.max() >= M or batch.ch.min() < -1):
        raise ValueError(f"input channel out of range: found {batch.ch.min()}..{batch.ch.max()}, "
                         f"the layer has {M} inputs (allowed 0..{M - 1})")
    B, K = batch.t.shape
    if threshold_rule is not None and B != 1:
        raise ValueError("threshold regularization per input event needs one sample at a time (B = 1)")
    N = threshold.size
    membrane = np.zeros((B, N))
    # With WTA every spike resets t_out of the whole group, so t_out is one number per sample.
    t_out = np.full((B, 1) if kappa else (B, N), -np.inf)
    last_refractory = np.full(B, -np.inf)          # latest t_out of any neuron, per sample
    neg_threshold = -threshold
    kappa_threshold = kappa * threshold
    t_prev = np.zeros(B)
    min_len = int(batch.n.min()) if B else 0
    spikes_b, spikes_k, spikes_n = [], [], []
    fired = np.empty((B, N), dtype=bool)
    for k in range(K):
        t = batch.t[:, k]
        membrane *= np.exp(-(t - t_prev) / tau_mp)[:, None]               # Eq. 1, leak
        t_prev = t
        drive = rows[batch.ch[:, k]]                                      # w_ik of this event
        if T_ref > 0 and np.any(t - last_refractory < T_ref):            # Eq. 2, dynamic weight
            recovered = (t[:, None] - t_out) / T_ref
            drive *= np.minimum(recovered * recovered, 1.0)
        membrane += drive                                                 # Eq. 1, integrate
        np.greater_equal(membrane, threshold, out=fired)                  # Eq. 3, fire
        if k >= min_len:
            fired &= (k < batch.n)[:, None]                               # padding never fires
        s = np.flatnonzero(fired.any(axis=1))                             # samples with spikes
        if s.size:
            row, n = np.nonzero(fired[s])
            b = s[row]
            membrane[b, n] -= threshold[n]                                # Eq. 3, reset
            if kappa:                                                     # WTA, section 2.1.2
                n_fired = np.bincount(row, minlength=s.size)
                membrane[s] += kappa_threshold * (n_fired[:, None] - fired[s])
                t_out[s] = t[s, None]
            else:
                t_out[b, n] = t[b]
            last_refractory[b] = t[b]
            spikes_b.append(b)
            spikes_n.append(n)
            spikes_k.append(np.full(b.size, k))
        np.maximum(membrane, neg_threshold, out=membrane)                 # clip at -V_th
        if threshold_rule is not None and s.size:                         # section 2.3.2, per event
            threshold_event_step(threshold, rows, n, threshold_rule)
            neg_threshold, kappa_threshold = -threshold, kappa * threshold
    return collect(batch, membrane, spikes_b, spikes_k, spikes_n, N)
