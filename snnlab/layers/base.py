"""What every spiking layer shares: its output record, the input checks, and the traces of Eq. 4.

A layer owns its connectivity.  It answers three questions:

* forward: given a batch of input events, which neurons fire when (Eqs. 1-3, WTA);
* ``connections()``: which neurons one spike on input channel j reaches, with which weight
  (dense: all N; convolution: k*k*C_out; pooling: 1) -- the sparse, event-driven view;
* backward: ``propagate_back(delta)`` sends the error of its neurons to its inputs (the
  ``W^T delta`` of Eq. 12), and ``weight_gradient`` turns deltas and input traces into the
  gradient of its own weights (Eq. 13).

The learning rule (:func:`snnlab.learning.network_gradients`) walks the layers and calls
these; it never reaches into another layer's weight matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..events import EventBatch
from ..params import check_array, check_kappa, check_T_ref, check_tau


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
        synaptic_ops: (B,) synaptic operations: input events delivered x neurons each reached.
    """
    spikes: EventBatch
    counts: np.ndarray
    membrane: np.ndarray
    spike_b: np.ndarray
    spike_k: np.ndarray
    spike_n: np.ndarray
    inputs: EventBatch
    synaptic_ops: np.ndarray | None = None


def check_batch(batch: EventBatch, n_inputs: int, name: str = "input events") -> None:
    """Refuse what the reference simulator refuses, with a message that says what to do.

    Per sample: real event times finite and sorted, channels in ``[0, n_inputs)``; padding (channel -1)
    only after a sample's ``n`` real events.
    """
    B, K = batch.t.shape
    if batch.ch.shape != (B, K) or batch.n.shape != (B,):
        raise ValueError(f"{name}: EventBatch arrays do not match: t {batch.t.shape}, ch {batch.ch.shape}, "
                         f"n {batch.n.shape}; build batches with EventBatch.from_list")
    if B == 0 or K == 0:
        return
    if np.any(batch.n < 0) or np.any(batch.n > K):
        raise ValueError(f"{name}: event counts n must lie in 0..{K}; got {batch.n.min()}..{batch.n.max()}")
    valid = batch.valid
    t = np.where(valid, batch.t, 0.0)
    if not np.all(np.isfinite(t)):
        b = int(np.argmax(~np.isfinite(t).all(axis=1)))
        raise ValueError(f"{name}: sample {b} has a NaN or infinite event time; event times must be finite seconds")
    ch = batch.ch
    bad = valid & ((ch < 0) | (ch >= n_inputs))
    if bad.any():
        b, k = np.argwhere(bad)[0]
        raise ValueError(f"{name}: sample {b}, event {k} has channel {ch[b, k]}, but the layer has {n_inputs} "
                         f"inputs (allowed 0..{n_inputs - 1}; -1 only as padding after a sample's real events)")
    if np.any(~valid & (ch != -1)):
        b, k = np.argwhere(~valid & (ch != -1))[0]
        raise ValueError(f"{name}: sample {b}, event {k} lies after the sample's {batch.n[b]} real events but has "
                         f"channel {ch[b, k]}, not the padding channel -1")
    if K > 1:
        back = valid[:, 1:] & (np.diff(batch.t, axis=1) < 0)
        if back.any():
            b, k = np.argwhere(back)[0]
            raise ValueError(f"{name}: sample {b}: event times must be sorted, but t[{k}]={batch.t[b, k]!r} > "
                             f"t[{k + 1}]={batch.t[b, k + 1]!r}; call snnlab.events.sort_events first")
        pad_back = (~valid[:, 1:]) & (batch.t[:, 1:] != batch.t[:, :-1])
        if pad_back.any():
            b, k = np.argwhere(pad_back)[0]
            raise ValueError(f"{name}: sample {b}: padding events must repeat the last real time; "
                             "build batches with EventBatch.from_list")
    if np.any(valid[:, :1] & (batch.t[:, :1] < 0)):
        raise ValueError(f"{name}: event times must be >= 0 s (a presentation starts at t = 0)")


class SpikingLayer:
    """Base class: event-driven LIF neurons with dynamic weight (Eqs. 1-3) and optional WTA.

    Subclasses provide ``n_in``, ``n_out``, ``forward``, ``connections()``, ``propagate_back``
    and, if trainable, ``weights``, ``weight_rows()`` and ``weight_gradient``.

    Attributes:
        threshold: (N,) V_th per neuron.
        tau_mp, T_ref: membrane time constant and refractory period (s).
        kappa: WTA inhibition strength in [-1, 0] (0 = no WTA); which neurons compete is the
            layer's ``wta_groups()``.
        trainable: whether the learning rule updates this layer.
    """
    n_in: int
    n_out: int
    trainable = True
    kind = "layer"

    def __init__(self, threshold, tau_mp=0.020, T_ref=0.001, kappa=0.0):
        self.tau_mp = check_tau(tau_mp)
        self.T_ref = check_T_ref(T_ref)
        self.kappa = check_kappa(kappa)
        self.threshold = check_array(threshold, "threshold", shape=(self.n_out,), positive=True).copy()

    # ------------------------------------------------------------------ connectivity
    def connections(self):
        """CSR connectivity: ``(ptr, target, weight_index)``; one spike on input j reaches neurons
        ``target[ptr[j]:ptr[j+1]]`` with weights ``weight_values()[weight_index[ptr[j]:ptr[j+1]]]``."""
        raise NotImplementedError

    def weight_values(self) -> np.ndarray:
        """The flat array that ``connections()``' weight indices point into."""
        raise NotImplementedError

    def wta_groups(self):
        """CSR of the WTA groups ``(group_ptr, members, group_of)``: neurons that inhibit each other.
        ``group_of[i] = -1`` for a neuron without WTA."""
        N = self.n_out
        if self.kappa == 0:
            return np.zeros(1, np.int64), np.zeros(0, np.int64), np.full(N, -1, np.int64)
        return np.array([0, N], np.int64), np.arange(N, dtype=np.int64), np.zeros(N, np.int64)

    def forward_sparse_backend(self, batch, backend: str):
        """The sparse event loop on the chosen backend (numpy reference or compiled kernel: the same spikes)."""
        from .sparse import forward_sparse
        if backend == "numba":
            from ..kernels import check_batch_fast, sparse_forward
            check_batch_fast(batch, self.n_in)
            return sparse_forward(self, batch)
        if backend == "numpy":
            check_batch(batch, self.n_in)
            return forward_sparse(self, batch)
        raise ValueError(f"backend must be 'numpy' or 'numba', got {backend!r}")

    def fan_out(self) -> np.ndarray:
        """(M,) number of neurons one spike on each input reaches (synaptic operations per event)."""
        ptr = self.connections()[0]
        return np.diff(ptr)

    # ------------------------------------------------------------------ learning
    def parameters(self) -> list:
        """The arrays the optimizer updates (empty when not trainable)."""
        return [self.weights, self.threshold] if self.trainable else []

    def propagate_back(self, delta: np.ndarray) -> np.ndarray:
        """(B, N) deltas of this layer -> (B, M): sum_i w_ij delta_i (the W^T delta of Eq. 12)."""
        raise NotImplementedError

    def describe(self) -> str:
        return f"{type(self).__name__}({self.n_in} -> {self.n_out})"


def collect(batch, membrane, spikes_b, spikes_k, spikes_n, N, synaptic_ops=None) -> LayerOutput:
    """Turn the recorded (sample, event index, neuron) triples into output events."""
    B = batch.t.shape[0]
    if isinstance(spikes_b, list):
        if spikes_b:
            b, k, n = np.concatenate(spikes_b), np.concatenate(spikes_k), np.concatenate(spikes_n)
        else:
            b = k = n = np.zeros(0, dtype=np.int64)
    else:
        b, k, n = spikes_b, spikes_k, spikes_n
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
                       spike_b=b, spike_k=k, spike_n=n, inputs=batch, synaptic_ops=synaptic_ops)


def synaptic_ops(layer, batch: EventBatch) -> np.ndarray:
    """(B,) synaptic operations of a batch: every real input event times the neurons it reaches."""
    fan = layer.fan_out()
    valid = batch.valid
    per_event = np.where(valid, fan[np.where(valid, batch.ch, 0)], 0)
    return per_event.sum(axis=1)


def concat_outputs(outputs: list[LayerOutput], batch: EventBatch) -> LayerOutput:
    """One LayerOutput from per-sample outputs (samples processed one after another)."""
    b = np.concatenate([np.full(o.spike_b.size, i, np.int64) for i, o in enumerate(outputs)])
    k = np.concatenate([o.spike_k for o in outputs]).astype(np.int64)
    n = np.concatenate([o.spike_n for o in outputs]).astype(np.int64)
    membrane = np.concatenate([o.membrane for o in outputs])
    ops = None if outputs[0].synaptic_ops is None else np.concatenate([o.synaptic_ops for o in outputs])
    return collect(batch, membrane, b, k, n, membrane.shape[1], ops)


def sample_batch(batch: EventBatch, b: int) -> EventBatch:
    """Sample ``b`` of a batch as a batch of one (its padding trimmed)."""
    n = int(batch.n[b])
    return EventBatch(t=batch.t[b:b + 1, :n].copy(), ch=batch.ch[b:b + 1, :n].copy(),
                      n=batch.n[b:b + 1].copy(), duration=batch.duration[b:b + 1].copy())


# ---------------------------------------------------------------------- Eq. 4: traces
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
