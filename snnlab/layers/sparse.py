"""Sparse event-driven integration: an input spike touches only the neurons it reaches.

A convolution spike reaches k*k*C_out neurons of tens of thousands, a pooling spike one.  So
instead of leaking every membrane at every event, each neuron remembers when it was last
updated and is leaked only when an event reaches it (or when its WTA group inhibits it):

    V_i <- V_i * exp(-(t - t_last,i) / tau_mp)                           Eq. 1, lazily

The factor is computed as ``E(t) / E(t_last,i)`` with ``E(t) = exp(-t / tau_mp)`` evaluated once
per event, so that the compiled kernel (:func:`snnlab.kernels.sparse_forward`) gets the very same
numbers (numpy's vectorized ``exp`` and the C library's differ in the last bit).  Everything else
is :func:`snnlab.layers.dense.forward_events`, one sample at a time: dynamic weight (Eq. 2),
integrate, fire and reset by subtraction (Eq. 3), WTA within each group, clip at -V_th.

One difference from the dense loop follows from touching only the reached neurons: a neuron still
above threshold after its reset (possible only when a single weight exceeds its threshold) fires
again at the next event that *reaches it*, where the dense loop fires it at the layer's next input
event, whatever its channel.  Otherwise the spikes are the reference's (``tests/test_kernels.py``).
"""
from __future__ import annotations

import numpy as np

from ..events import EventBatch
from .base import LayerOutput, collect

MAX_LEAK_SPAN = 700.0     # E(t) = exp(-t / tau_mp) stays a normal double for t / tau_mp < 708


def leak_reference(batch: EventBatch, tau_mp: float) -> np.ndarray:
    """(B, K) E = exp(-t / tau_mp) of every event: neuron i decays by E_now / E_last,i (Eq. 1)."""
    span = float(batch.t.max()) / tau_mp if batch.t.size else 0.0
    if span > MAX_LEAK_SPAN:
        raise ValueError(f"a presentation of {batch.t.max():.3g} s is {span:.0f} tau_mp long; the sparse "
                         f"event loop handles up to {MAX_LEAK_SPAN:.0f} tau_mp (split the stream)")
    return np.exp(-batch.t / tau_mp)


def forward_sparse(layer, batch: EventBatch) -> LayerOutput:
    """The sparse event loop for any layer with ``connections()`` and ``wta_groups()``.

    Args:
        layer: a :class:`~snnlab.layers.base.SpikingLayer`.
        batch: B samples of input events (checked by the caller).
    Returns:
        :class:`~snnlab.layers.base.LayerOutput`.
    """
    ptr, target, weight_index = layer.connections()
    weights = layer.weight_values()
    group_ptr, members, group_of = layer.wta_groups()
    th, tau_mp, T_ref, kappa = layer.threshold, layer.tau_mp, layer.T_ref, layer.kappa
    B, N = batch.batch_size, layer.n_out
    E = leak_reference(batch, tau_mp)
    membrane = np.zeros((B, N))
    spikes_b, spikes_k, spikes_n = [], [], []
    for b in range(B):
        V = membrane[b]
        E_last = np.ones(N)                      # E at each neuron's last update (t = 0: E = 1)
        t_out = np.full(N, -np.inf)              # last output spike or inhibition
        for k in range(int(batch.n[b])):
            t, j, E_now = batch.t[b, k], batch.ch[b, k], E[b, k]
            idx = target[ptr[j]:ptr[j + 1]]                                # the neurons this spike reaches
            w = weights[weight_index[ptr[j]:ptr[j + 1]]]
            V[idx] *= E_now / E_last[idx]                                  # Eq. 1, leak (lazy)
            E_last[idx] = E_now
            if T_ref > 0:                                                  # Eq. 2, dynamic weight
                recovered = (t - t_out[idx]) / T_ref
                w = w * np.minimum(recovered * recovered, 1.0)
            V[idx] += w                                                    # Eq. 1, integrate
            fired = idx[V[idx] >= th[idx]]                                 # Eq. 3, fire
            V[fired] -= th[fired]                                          # Eq. 3, reset
            t_out[fired] = t
            touched = idx
            if kappa and fired.size:                                       # WTA within each group
                groups, n_fired = np.unique(group_of[fired], return_counts=True)
                n_fired, groups = n_fired[groups >= 0], groups[groups >= 0]
                if groups.size:
                    inhibited = np.concatenate([members[group_ptr[g]:group_ptr[g + 1]] for g in groups])
                    per_member = np.repeat(n_fired, np.diff(group_ptr)[groups])
                    V[inhibited] *= E_now / E_last[inhibited]              # leak them to now first
                    E_last[inhibited] = E_now
                    is_fired = np.zeros(N, dtype=np.int64)
                    is_fired[fired] = 1
                    V[inhibited] += (kappa * th[inhibited]) * (per_member - is_fired[inhibited])
                    t_out[inhibited] = t
                    touched = np.concatenate([idx, inhibited])
            V[touched] = np.maximum(V[touched], -th[touched])              # clip at -V_th
            if fired.size:
                spikes_b.append(np.full(fired.size, b))
                spikes_k.append(np.full(fired.size, k))
                spikes_n.append(fired)
        V *= E[b, max(int(batch.n[b]) - 1, 0)] / E_last if batch.n[b] else 1.0   # all leaked to the last event
    return collect(batch, membrane, spikes_b, spikes_k, spikes_n, N)
