"""The learning rule of Lee et al. (2016), Eqs. 5-13, one short function per equation.

Everything works on batches: arrays have a leading sample axis B.  Per sample the rule is
exactly the paper's (batch size 1); a mini-batch averages the per-sample gradients.

Notation (docs/algorithm.md): a layer has N neurons with M synapses each; in one
sample m synapses are *active* (got at least one spike) and n neurons are active (fired).
``x`` are the input traces x_k and ``a`` the output traces a_i of Eq. 4.
"""
from __future__ import annotations

import numpy as np


# ---------------------------------------------------------------- Eqs. 5-6: transfer function
def membrane_decomposition(weights, x, threshold, a, kappa, sigma=1.0):
    """Eq. 5: V_i = sum_k w_ik x_k - V_th,i a_i + sigma V_th,i sum_{j != i} kappa a_j.

    With sigma = 1 this is the exact membrane of a simulation without refractoriness or
    clipping (the inhibition term is then the actual lateral input).

    Args:
        weights: (N, M).  x: (..., M) input traces.  threshold: (N,).  a: (..., N) output traces.
        kappa: WTA strength (equal for all pairs).  sigma: efficacy of inhibition.
    Returns:
        (..., N) membrane potentials.
    """
    others = a.sum(axis=-1, keepdims=True) - a
    return x @ weights.T - threshold * a + sigma * threshold * kappa * others


def transfer_function(s, threshold, kappa, sigma=0.5):
    """Eq. 6 for one group of active neurons: solve a = s / V_th + sigma K a.

    Args:
        s: (n,) net input s_i = sum_k w_ik x_k of the active neurons.  threshold: (n,).
    Returns:
        (n,) activities a_i = [(I - sigma K)^-1 (s / V_th)]_i.
    """
    n = s.size
    K = kappa * (np.ones((n, n)) - np.eye(n))
    return np.linalg.solve(np.eye(n) - sigma * K, s / threshold)


def wta_matrix_inverse(n, kappa, sigma=0.5):
    """(I - sigma K)^-1 for n neurons with equal lateral strength kappa, by a dense solve."""
    K = kappa * (np.ones((n, n)) - np.eye(n))
    return np.linalg.inv(np.eye(n) - sigma * K)


def wta_inverse_apply(v, carriers, kappa, sigma=0.5):
    """Eq. 9 in closed form: (I - sigma K)^-1 v over each sample's carrier neurons, O(n).

    With mu = |kappa|:  (I - sigma K)^-1 = 1/(1 - sigma mu) [I - sigma mu / (1 + sigma mu (n - 1)) J]
    (Sherman-Morrison; J = all-ones).  The matrix is symmetric, so this is also the
    transposed inverse needed in backprop.

    Args:
        v: (B, N) vectors; entries outside ``carriers`` are ignored (treated as 0).
        carriers: (B, N) bool, the neurons that form the WTA group in each sample.
        kappa: lateral strength in [-1, 0].
    Returns:
        (B, N), zero outside the carriers.
    """
    mu = abs(kappa)
    v = np.where(carriers, v, 0.0)
    n = carriers.sum(axis=1, keepdims=True)
    total = v.sum(axis=1, keepdims=True)
    out = (v - sigma * mu / (1.0 + sigma * mu * (n - 1)) * total) / (1.0 - sigma * mu)
    return np.where(carriers, out, 0.0)


# ---------------------------------------------------------------- Eqs. 7-9: local derivatives
def da_dw(threshold, x):
    """Eq. 7: da_i/dw_ik = x_k / V_th,i.  Returns (N, M) for one sample."""
    return np.outer(1.0 / threshold, x)


def effective_activity(a, active, kappa, sigma=0.5, gamma=1.0):
    """Eq. 13's a_hat_i = gamma a_i - sigma sum_{j != i} kappa a_j over the active neurons."""
    a = np.where(active, a, 0.0)
    others = a.sum(axis=-1, keepdims=True) - a
    return np.where(active, gamma * a - sigma * kappa * others, 0.0)


def da_dthreshold(threshold, a, active, kappa, sigma=0.5):
    """Eq. 7: da_i/dV_th,i = -(1 / V_th,i) a_hat_i  (the paper's bracket (-a_i + sigma sum kappa a_j))."""
    return -effective_activity(a, active, kappa, sigma) / threshold


def da_dx(weights, threshold, kappa, sigma=0.5):
    """Eqs. 8-9: da_i/dx_k for one group of n active neurons, (n, M), via the closed form.

    da/dx = (I - sigma K)^-1 diag(1/V_th) W.
    """
    carriers = np.ones((weights.shape[1], weights.shape[0]), dtype=bool)
    scaled = (weights / threshold[:, None]).T          # (M, n): one vector per input k
    if kappa == 0:
        return scaled.T
    return wta_inverse_apply(scaled, carriers, kappa, sigma).T


# ---------------------------------------------------------------- Eq. 16: output error
def check_target_count(target_count):
    """Raise a clear error unless ``target_count`` (see :func:`output_error`) is an integer >= 1."""
    if not (isinstance(target_count, (int, np.integer)) and target_count >= 1):
        raise ValueError(f"target_count must be an integer >= 1 (1 = the paper's Eq. 16); got {target_count!r}")


def output_error(counts, labels, n_classes=None, target_count=1):
    """Eq. 16 and the text after it: o = counts / max count, e = (o - y) / sqrt(N_nze).

    Args:
        counts: (B, C) output spike counts.  labels: (B,) integer classes.
        target_count: o = counts / max(max count, target_count).  1 is Eq. 16 exactly.  A larger
            value is a margin (our deviation, not in the paper): a target that fires alone but
            fewer than ``target_count`` spikes still gets error, o_target = count / target_count.
    Returns:
        (e (B, C), o (B, C)).  A sample whose o equals y has e = 0 (no update).
    """
    check_target_count(target_count)
    counts = np.asarray(counts, dtype=np.float64)
    B, C = counts.shape
    peak = counts.max(axis=1, keepdims=True)
    peak = np.where(peak > 0, np.maximum(peak, target_count), 0)   # nothing fired: o = 0
    o = np.divide(counts, peak, out=np.zeros_like(counts), where=peak > 0)
    y = np.zeros((B, C))
    y[np.arange(B), labels] = 1.0
    diff = o - y
    nnze = np.count_nonzero(diff, axis=1)[:, None]
    e = np.divide(diff, np.sqrt(nnze), out=np.zeros_like(diff), where=nnze > 0)
    return e, o


def loss(o, labels):
    """Eq. 16, first term: 0.5 ||o - y||^2 per sample."""
    y = np.zeros_like(o)
    y[np.arange(o.shape[0]), labels] = 1.0
    return 0.5 * ((o - y) ** 2).sum(axis=1)


# ---------------------------------------------------------------- Eq. 12: error normalization
WTA_BACKPROP = ("carriers", "active", "none")


def normalized_delta(err, carriers, threshold, kappa, sigma=0.5, wta_group=None):
    """delta = diag(g / g_bar) (I - sigma K)^-T err over the carriers (Eqs. 9 and 12).

    g_i = 1 / V_th,i and g_bar = sqrt(mean over carriers of g_i^2).

    Args:
        err: (B, N) dL/da (the bracket of Eq. 12, already scaled by sqrt(N/n)).
        carriers: (B, N) bool, neurons that carry error (the active ones).
        wta_group: (B, N) bool, the neurons the WTA inverse couples (default: the carriers).
            A carrier outside the group gets its error directly, uncoupled (e.g. a silent output
            neuron, which takes no part in the competition).  ``False`` skips the inverse
            (Eq. 12 as printed, without the WTA term).
    Returns:
        (B, N) deltas, zero outside the carriers.
    """
    if kappa and wta_group is not False:
        group = carriers if wta_group is None else (wta_group & carriers)
        err = np.where(group, wta_inverse_apply(err, group, kappa, sigma), err)
    g = 1.0 / threshold
    n = carriers.sum(axis=1, keepdims=True)
    g_bar = np.sqrt(np.divide((carriers * g ** 2).sum(axis=1, keepdims=True), n,
                              out=np.ones((carriers.shape[0], 1)), where=n > 0))
    return np.where(carriers, g / g_bar * err, 0.0)


def backprop_error(delta_upper, weights_upper, active):
    """Eq. 12, the bracket: sqrt(N / n) W^(l+1)T delta^(l+1), for the active neurons of layer l.

    Args:
        delta_upper: (B, N_up) deltas of layer l+1.
        weights_upper: its (N_up, N) weights, or the layer l+1 itself, whose ``propagate_back``
            computes W^T delta (a convolution's transposed convolution, a pool's routing).
        active: (B, N) bool, active neurons of layer l (= active synapses of layer l+1).
    Returns:
        (B, N) error to feed :func:`normalized_delta` of layer l.
    """
    N = active.shape[1]
    n = active.sum(axis=1, keepdims=True)
    scale = np.sqrt(np.divide(N, n, out=np.zeros((active.shape[0], 1)), where=n > 0))
    back = weights_upper.propagate_back(delta_upper) if hasattr(weights_upper, "propagate_back") \
        else delta_upper @ weights_upper
    return np.where(active, scale * back, 0.0)


# ---------------------------------------------------------------- Eq. 13: updates
def weight_gradient(delta, x, x_active, by_input=False):
    """Eq. 13 as a gradient: dL/dW_ij ~ sqrt(N / m) delta_i x_hat_j, averaged over the batch.

    The update is dW = -eta_w * this (done by the optimizer).

    Args:
        delta: (B, N).  x: (B, M) input traces (x_hat = x).  x_active: (B, M) bool, active synapses.
        by_input: compute it input by input (an (N, M) view of an (M, N) array), as DenseLayer stores W.
    Returns:
        (N, M).
    """
    N = delta.shape[1]
    m = x_active.sum(axis=1, keepdims=True)
    scale = np.sqrt(np.divide(N, m, out=np.zeros_like(m, dtype=np.float64), where=m > 0))
    if by_input:        # the same numbers laid out as a DenseLayer stores its weights, (M, N)
        return (x.T @ (scale * delta) / delta.shape[0]).T
    return (scale * delta).T @ x / delta.shape[0]


def sparse_weight_gradient(delta, x, x_active):
    """:func:`weight_gradient` of one sample (B = 1) as its nonzero block only: the active inputs
    (x_j > 0) times the neurons with error (delta_i != 0).  The same numbers, laid out by input."""
    from .optim import SparseGradient
    N = delta.shape[1]
    m = int(x_active[0].sum())
    scale = np.sqrt(N / m) if m > 0 else 0.0
    rows, cols = np.flatnonzero(x[0]), np.flatnonzero(delta[0])
    return SparseGradient(rows, cols, np.outer(x[0, rows], scale * delta[0, cols]))


def threshold_gradient(delta, a_hat, x_active):
    """Eq. 13 as a gradient for V_th: dL/dV_th,i ~ -sqrt(N / (m M)) delta_i a_hat_i (batch mean).

    The update is dV_th = -eta_th * this = +eta_th sqrt(N/(mM)) delta a_hat: the paper prints a
    minus sign, but its own chain rule (Eq. 7, da_i/dV_th,i = -a_hat_i / V_th,i) gives plus;
    ``tests/test_learning.py`` settles it with a finite difference (docs/algorithm.md, Eq. 13).
    """
    N = delta.shape[1]
    M = x_active.shape[1]
    m = x_active.sum(axis=1, keepdims=True)
    scale = np.sqrt(np.divide(N, m * M, out=np.zeros_like(m, dtype=np.float64), where=m > 0))
    return -(scale * delta * a_hat).sum(axis=0) / delta.shape[0]


# ---------------------------------------------------------------- the whole backward pass
def input_counts(batch, n_in):
    """(B, M) number of input events per sample and channel."""
    valid = batch.valid
    b = np.nonzero(valid)[0]
    flat = np.bincount(b * n_in + batch.ch[valid], minlength=batch.batch_size * n_in)
    return flat.reshape(batch.batch_size, n_in)


def network_gradients(layers, outputs, labels, sigma=0.5, readout="end", silent_output_error=True,
                      target_count=1, wta_backprop="carriers", sparse=False):
    """Backpropagate one batch through a network (Eqs. 4, 9, 12, 13, 16).

    The loop walks the layers from the top; each layer computes its own W^T delta
    (``propagate_back``) and, if trainable, its weight gradient (``weight_gradient``), so dense,
    convolutional and pooling layers all go through the same functions of this module.

    Args:
        layers: the network's layers (each with threshold, kappa, tau_mp; trainable ones with weights).
        outputs: their LayerOutputs from the forward pass.
        labels: (B,) classes.
        sigma: expected efficacy of lateral inhibition.
        readout: how traces are read, "end", "integral" or "count" (see :func:`snnlab.layers.traces`).
        silent_output_error: True -> every output neuron carries error, including silent ones
            (a silent target neuron can learn); False -> only active output neurons (literal).
        target_count: see :func:`output_error` (1 = Eq. 16).
        wta_backprop: which neurons the WTA inverse (Eq. 9) couples: "carriers" (every neuron
            that carries error, silent output neurons included), "active" (only the neurons that
            fired; silent output neurons get their error uncoupled) or "none" (no WTA term).
        sparse: with one sample, dense layers return their weight gradient as a
            :class:`~snnlab.optim.SparseGradient` (only active inputs x neurons with error are nonzero;
            the same numbers, and SGD then touches only those weights).
    Returns:
        (grads, stats): grads = list of (dL/dW (N, M), dL/dV_th (N,)) per layer;
        stats = dict with per-sample loss (B,), o (B, C) and the deltas per layer.
    """
    from .layers import input_traces, output_traces   # local: learning does not need layers otherwise

    e, o = output_error(outputs[-1].counts, labels, layers[-1].n_out, target_count)
    grads = [None] * len(layers)
    deltas = [None] * len(layers)
    err = e
    for l in range(len(layers) - 1, -1, -1):
        layer, out = layers[l], outputs[l]
        active = out.counts > 0
        carriers = np.ones_like(active) if (l == len(layers) - 1 and silent_output_error) else active
        group = {"carriers": None, "active": active, "none": False}[wta_backprop]
        delta = normalized_delta(err, carriers, layer.threshold, layer.kappa, sigma, group)
        if layer.trainable:
            x = input_traces(out, layer.n_in, layer.tau_mp, readout)
            x_active = outputs[l - 1].counts > 0 if l > 0 else input_counts(out.inputs, layer.n_in) > 0
            a = output_traces(out, layer.tau_mp, readout)
            a_hat = effective_activity(a, active, layer.kappa, sigma)
            if sparse and layer.kind == "dense" and delta.shape[0] == 1:
                g_w = sparse_weight_gradient(delta, x, x_active)
            else:
                g_w = layer.weight_gradient(delta, x, x_active) if hasattr(layer, "weight_gradient") \
                    else weight_gradient(delta, x, x_active)
            grads[l] = (g_w, threshold_gradient(delta, a_hat, x_active))
        deltas[l] = delta
        if l > 0:
            err = backprop_error(delta, layer, outputs[l - 1].counts > 0)
    return grads, {"loss": loss(o, labels), "o": o, "deltas": deltas}
