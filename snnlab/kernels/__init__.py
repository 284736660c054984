"""Compiled (numba) forward passes of the layers in :mod:`snnlab.layers`: the same spikes, faster.

Read :mod:`snnlab.layers.dense` and :mod:`snnlab.layers.sparse` to see what these compute; the
kernels repeat their arithmetic operation for operation, one sample at a time, and
``tests/test_kernels.py`` holds them equal spike for spike and bit for bit (spike times, counts,
final membranes, and the thresholds and weights changed by per-event threshold regularization).
The exponentials of the leak are computed by numpy and handed in, because numpy's vectorized
``exp`` and the C library's (which compiled code calls) can differ in the last bit.

``dense_forward`` and ``sparse_forward`` take and return the same objects as the numpy paths.
Kernels are compiled on first use and cached on disk (``cache=True``): :func:`compile_seconds`
tells how long the first compilation took in this process.
"""
from __future__ import annotations

import time

import numpy as np

from ..events import EventBatch
from ..layers.base import LayerOutput, check_batch, collect
from ..layers.sparse import leak_reference
from . import _loops

FLOOR_CODES = {"clip": 0, "add": 1, "scale": 2}
_compile_time = {}


def _timed(name, fn, *args):
    if name not in _compile_time:
        t0 = time.perf_counter()
        result = fn(*args)
        _compile_time[name] = time.perf_counter() - t0
        return result
    return fn(*args)


def compile_seconds() -> dict:
    """Seconds the first call of each kernel took in this process (compilation or cache load + run)."""
    return dict(_compile_time)


def leak_factors(batch, tau_mp) -> np.ndarray:
    """(B, K) exp(-(t_k - t_{k-1}) / tau_mp), exactly as :func:`snnlab.layers.dense.forward_events` computes it."""
    t_prev = np.zeros_like(batch.t)
    t_prev[:, 1:] = batch.t[:, :-1]
    return np.exp(-(batch.t - t_prev) / tau_mp)


def check_batch_fast(batch, n_inputs) -> None:
    """:func:`snnlab.layers.base.check_batch` in compiled code; the numpy check words the error."""
    t, ch, n = batch.t, batch.ch, batch.n
    if t.ndim != 2 or ch.shape != t.shape or n.shape != (t.shape[0],) or \
            _loops.batch_problem(t, ch.astype(np.int64, copy=False), n.astype(np.int64, copy=False), n_inputs):
        check_batch(batch, n_inputs)
        raise ValueError("input events: invalid batch")     # the numpy check found nothing to name


def _output(batch, membrane, sb, sk, sn, N) -> LayerOutput:
    t_out, ch_out, per_sample, counts = _loops.collect_sorted(batch.t, sb, sk, sn, batch.t.shape[0], N)
    spikes = EventBatch(t=t_out, ch=ch_out, n=per_sample, duration=batch.duration.copy())
    return LayerOutput(spikes=spikes, counts=counts, membrane=membrane, spike_b=sb, spike_k=sk, spike_n=sn,
                       inputs=batch)


def dense_forward(weights_by_input, threshold, batch, tau_mp, T_ref, kappa, threshold_rule=None) -> LayerOutput:
    """Compiled :func:`snnlab.layers.dense.forward_events` (samples one after another).

    Args:
        weights_by_input: the layer's (M, N) weights, row j = input j (changed in place by the floor
            of ``threshold_rule``).
    With ``threshold_rule`` the thresholds (and weights) change after every input event, and the
    changes carry over from one sample to the next, as in the numpy path.
    """
    decay = leak_factors(batch, tau_mp)
    if threshold_rule is None:
        rule_on, rho, floor, mode, max_scale = False, 0.0, np.zeros(threshold.size), 0, 2.0
    else:
        rule_on, rho, mode = True, float(threshold_rule.rho), FLOOR_CODES[threshold_rule.mode]
        floor = np.ascontiguousarray(np.broadcast_to(threshold_rule.floor, threshold.shape), dtype=np.float64)
        max_scale = float(threshold_rule.max_scale)
    membrane, sb, sk, sn = _timed("dense", _loops.dense_loop, weights_by_input, threshold, batch.t,
                                  batch.ch.astype(np.int64), batch.n.astype(np.int64), decay,
                                  float(T_ref), float(kappa), rule_on, rho, floor, mode, max_scale)
    return _output(batch, membrane, sb, sk, sn, threshold.size)


def sparse_forward(layer, batch) -> LayerOutput:
    """Compiled :func:`snnlab.layers.sparse.forward_sparse` for any layer with ``connections()``."""
    group_ptr, members, group_of = layer.wta_groups()
    E = leak_reference(batch, layer.tau_mp)
    if layer.kind == "conv":               # the window computed, not read from a table
        _, H, W = layer.input_shape
        membrane, sb, sk, sn = _timed("conv", _loops.conv_loop, layer.weights, H, W, layer.threshold,
                                      group_ptr, members, group_of, batch.t, batch.ch.astype(np.int64),
                                      batch.n.astype(np.int64), E, float(layer.T_ref), float(layer.kappa))
        return _output(batch, membrane, sb, sk, sn, layer.n_out)
    ptr, target, weight_index = layer.connections()
    membrane, sb, sk, sn = _timed("sparse", _loops.sparse_loop, ptr, target, weight_index,
                                  np.ascontiguousarray(layer.weight_values()), group_ptr, members, group_of,
                                  layer.threshold, batch.t, batch.ch.astype(np.int64),
                                  batch.n.astype(np.int64), E, float(layer.T_ref), float(layer.kappa))
    return _output(batch, membrane, sb, sk, sn, layer.n_out)


def squared_norms_by_input(weights_by_input) -> np.ndarray:
    """Compiled :func:`snnlab.regularizers.squared_norms_by_input` (the same bits)."""
    rows = np.ascontiguousarray(weights_by_input, dtype=np.float64)
    return _timed("squared_norms", _loops.squared_norms_by_input, rows)


def scale_neurons(weights_by_input, factor) -> None:
    """``weights_by_input *= factor`` (one factor per neuron, i.e. per column), in place, compiled."""
    if not (weights_by_input.flags.c_contiguous and weights_by_input.dtype == np.float64):
        raise ValueError("scale_neurons needs C-contiguous float64 weights (a DenseLayer's weights_by_input)")
    _timed("scale_neurons", _loops.scale_neurons, weights_by_input,
           np.ascontiguousarray(factor, dtype=np.float64).reshape(-1))
