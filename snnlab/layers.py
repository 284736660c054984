"""Batched spiking layers: the event-driven LIF of :mod:`snnlab.neuron`, many samples at once.

A layer sees an :class:`~snnlab.events.EventBatch` (B samples, padded to K events) and
loops over the event *index* k: the k-th event of every sample is processed in one set of
numpy operations on (B, N) arrays.  Layers have no delays and no feedback, so a layer's
output spikes (with their times) are simply the next layer's input events.

Every layer is described by ``input_rows()``: an (M + 1, N) matrix whose row k is what one
spike on input k adds to the N membranes (for a dense layer: column k of W; a convolution
or pooling layer builds the same matrix from its kernel).  The last row is zeros: padding
events have channel -1 and so add nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import EventBatch
from .params import check_array, check_kappa, check_T_ref, check_tau


@dataclass
class LayerOutput:
    """What a layer's forward pass returns for a batch.

    Attributes:
        spikes: output spikes as an EventBatch (input of the next layer).
        counts: (B, N) number of output spikes per neuron.
        membrane: (B, N) membrane potential after the last event.
        spike_b, spike_k, spike_n: one entry per output spike: sample, index of the input
            event that caused it, neuron.  Traces and threshold regularization use these.
        inputs: the input EventBatch (kept for the input traces x_k).
    """
    spikes: EventBatch
    counts: np.ndarray
    membrane: np.ndarray
    spike_b: np.ndarray
    spike_k: np.ndarray
    spike_n: np.ndarray
    inputs: EventBatch


class SpikingLayer:
    """Base class: event-driven LIF neurons with dynamic weight (Eqs. 1-3) and optional WTA.

    Subclasses provide ``n_in``, ``n_out`` and ``input_rows()``.

    Attributes:
        threshold: (N,) V_th per neuron.
        tau_mp, T_ref: membrane time constant and refractory period (s).
        kappa: WTA inhibition strength in [-1, 0] over the whole layer (0 = no WTA).
        trainable: whether the learning rule updates this layer.
    """
    n_in: int
    n_out: int
    trainable = True

    def __init__(self, threshold, tau_mp=0.020, T_ref=0.001, kappa=0.0):
        self.tau_mp = check_tau(tau_mp)
        self.T_ref = check_T_ref(T_ref)
        self.kappa = check_kappa(kappa)
        self.threshold = check_array(threshold, "threshold", shape=(self.n_out,), positive=True).copy()

    def input_rows(self) -> np.ndarray:
        raise NotImplementedError

    def forward(self, batch: EventBatch) -> LayerOutput:
        """Run the layer over a batch of input events (see :func:`forward_events`)."""
        return forward_events(self.input_rows(), self.threshold, batch,
                              self.tau_mp, self.T_ref, self.kappa)


class DenseLayer(SpikingLayer):
    """Fully connected layer: ``weights[i, k]`` = w_ik from input k to neuron i (paper's layout)."""

    def __init__(self, weights, threshold, tau_mp=0.020, T_ref=0.001, kappa=0.0):
        self.weights = check_array(weights, "weights").copy()
        if self.weights.ndim != 2:
            raise ValueError(f"weights must be (N neurons, M inputs), got shape {self.weights.shape}")
        self.n_out, self.n_in = self.weights.shape
        super().__init__(threshold, tau_mp, T_ref, kappa)

    def input_rows(self) -> np.ndarray:
        rows = np.zeros((self.n_in + 1, self.n_out))
        rows[:-1] = self.weights.T
        return rows


def forward_events(rows, threshold, batch: EventBatch, tau_mp, T_ref, kappa) -> LayerOutput:
    """The batched event loop: same arithmetic as :func:`snnlab.neuron.simulate_group`.

    Args:
        rows: (M + 1, N) per-input contributions, last row zeros (see module docstring).
        threshold: (N,) V_th.
        batch: B samples of input events.
        tau_mp, T_ref, kappa: as in :func:`snnlab.neuron.simulate_group`.
    Returns:
        :class:`LayerOutput`.
    """
    M = rows.shape[0] - 1
    if batch.t.size and (batch.ch.max() >= M or batch.ch.min() < -1):
        raise ValueError(f"input channel out of range: found {batch.ch.min()}..{batch.ch.max()}, "
                         f"the layer has {M} inputs (allowed 0..{M - 1})")
    B, K = batch.t.shape
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
    return _collect(batch, membrane, spikes_b, spikes_k, spikes_n, N)


def _collect(batch, membrane, spikes_b, spikes_k, spikes_n, N) -> LayerOutput:
    """Turn the recorded (sample, event index, neuron) triples into output events."""
    B = batch.t.shape[0]
    if spikes_b:
        b, k, n = np.concatenate(spikes_b), np.concatenate(spikes_k), np.concatenate(spikes_n)
    else:
        b = k = n = np.zeros(0, dtype=np.int64)
    order = np.lexsort((n, k, b))                      # per sample: by time, then neuron
    b, k, n = b[order], k[order], n[order]
    per_sample = np.bincount(b, minlength=B)
    K_out = int(per_sample.max()) if B else 0
    start = np.concatenate([[0], np.cumsum(per_sample)[:-1]])
    pos = np.arange(b.size) - start[b]
    t_out = np.zeros((B, K_out))
    ch_out = np.full((B, K_out), -1, dtype=np.int32)
    t_out[b, pos] = batch.t[b, k]
    ch_out[b, pos] = n
    if K_out:
        last = t_out[np.arange(B), np.maximum(per_sample - 1, 0)]
        pad = np.arange(K_out)[None, :] >= per_sample[:, None]
        t_out = np.where(pad, last[:, None], t_out)    # padding repeats the last time
    counts = np.zeros((B, N), dtype=np.int64)
    np.add.at(counts, (b, n), 1)
    spikes = EventBatch(t=t_out, ch=ch_out, n=per_sample.astype(np.int64), duration=batch.duration.copy())
    return LayerOutput(spikes=spikes, counts=counts, membrane=membrane,
                       spike_b=b, spike_k=k, spike_n=n, inputs=batch)


READOUTS = ("end", "integral", "count")


def traces(times_b, times_t, channel, duration, size, tau_mp, readout="end") -> np.ndarray:
    """Eq. 4 for a batch: x_k = sum_p exp((t_p - T) / tau_mp) per sample and channel.

    Args:
        times_b, times_t, channel: one entry per spike: sample, time (s), channel.
        duration: (B,) readout time T of each sample (end of the presentation window).
        size: number of channels.
        readout: "end" reads the trace at T (the literal reading of Eq. 4);
            "integral" takes its time-average over the window [0, T]:
            (tau_mp / T) (1 - exp((t_p - T) / tau_mp)) per spike, which weighs a spike less the
            closer it is to T (0 at T, 63 % of an early one at T - tau_mp);
            "count" gives every spike tau_mp / T, the time-average of the trace under a steady
            rate, so it weighs all spikes alike, as the output counts of Eq. 16 do.
            None of the three grows with the window length.
    Returns:
        (B, size) traces.
    """
    B = duration.size
    lag = (times_t - duration[times_b]) / tau_mp         # <= 0
    if readout == "end":
        value = np.exp(lag)
    elif readout == "integral":
        value = -np.expm1(lag) * tau_mp / duration[times_b]
    elif readout == "count":
        value = tau_mp / duration[times_b]
    else:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    flat = np.bincount(times_b * size + channel, weights=value, minlength=B * size)
    return flat.reshape(B, size)


def input_traces(out: LayerOutput, n_in: int, tau_mp: float, readout="end") -> np.ndarray:
    """x_k (Eq. 4) of a layer's input events, (B, M)."""
    valid = out.inputs.valid
    b = np.nonzero(valid)[0]
    return traces(b, out.inputs.t[valid], out.inputs.ch[valid].astype(np.int64),
                  out.inputs.duration, n_in, tau_mp, readout)


def output_traces(out: LayerOutput, tau_mp: float, readout="end") -> np.ndarray:
    """a_i (Eq. 4) of a layer's output spikes, (B, N)."""
    B, N = out.counts.shape
    return traces(out.spike_b, out.inputs.t[out.spike_b, out.spike_k], out.spike_n,
                  out.inputs.duration, N, tau_mp, readout)
