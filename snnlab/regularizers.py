"""Regularizers (Lee et al. 2016, section 2.3): exponential weight decay (Eqs. 14-15) and
threshold regularization (section 2.3.2), plus L2 and max-norm for comparison."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def exponential_penalty(weights, lam, beta=10.0):
    """Eq. 14: L_w(i) = 0.5 lambda exp(beta (sum_j w_ij^2 - 1)), one value per neuron (row)."""
    return 0.5 * lam * np.exp(beta * ((weights ** 2).sum(axis=1) - 1.0))


def exponential_gradient(weights, lam, beta=10.0):
    """Eq. 15: dL_w/dw_ij = beta lambda w_ij exp(beta (sum_j w_ij^2 - 1))."""
    return beta * lam * weights * np.exp(beta * ((weights ** 2).sum(axis=1, keepdims=True) - 1.0))


def exponential_shrink(weights, step, lam, beta=10.0, iterations=60):
    """One backward-Euler (implicit) SGD step on Eq. 14 alone, row by row.

    Eq. 15 points along w, so a step only rescales each row: w_new = c w with c in (0, 1]
    solving  c (1 + step * beta lambda exp(beta (c^2 sum w^2 - 1))) = 1  (the gradient evaluated
    at the *new* weights).  For small steps c = 1 - step * beta lambda exp(...), the plain
    gradient step.  Unlike the plain step (which overshoots past 0, then overflows to NaN) and
    unlike a step with the rate frozen at the old weights (which sends a row with sum w^2 = 5 to
    ~0 and kills the neuron), the new squared norm settles just above 1, where Eq. 14 starts
    to bite -- the max-norm-like behaviour of section 2.3.1.  Used by the trainer with SGD
    (which rescales the rows in place with :func:`exponential_shrink_factor`).

    Args:
        weights: (N, M).  step: learning rate.  lam, beta: Eq. 14.
        iterations: bisection steps for the stiff rows (60 halvings of (0, 1]: exact to double precision).
    Returns:
        (N, M) the rescaled weights.
    """
    sq = np.einsum("ij,ij->i", weights, weights)[:, None]
    return weights * exponential_shrink_factor(sq, step, lam, beta, iterations)


def squared_norms_by_input(weights_by_input):
    """sum_j w_ij^2 of every neuron i, from weights stored input by input ((M, N), row j = input j).

    numpy reduces a C-contiguous array along axis 0 row after row (j = 0, 1, ..., M-1), so the sum
    has one fixed order, which the compiled :func:`snnlab.kernels.squared_norms_by_input` repeats:
    both give the same bits (``tests/test_kernels.py``).

    Returns:
        (N,) squared norms.
    """
    return np.add.reduce(np.square(weights_by_input), axis=0)


def exponential_shrink_factor(sq, step, lam, beta=10.0, iterations=60):
    """The factor c of :func:`exponential_shrink` for rows of squared norm ``sq`` (any shape).

    Where the step is gentle (step beta lambda exp(beta (sum w^2 - 1)) <= 1e-3, every row of a
    healthy layer) the fixed point c = 1 / (1 + step beta lambda exp(beta (c^2 sum w^2 - 1))) is a
    strong contraction (each iteration gains ~2 digits): at most 12 iterations reach double precision
    (fewer, once an iteration changes no bit).
    The stiff rows are solved by bisection.
    """
    sq = np.asarray(sq, dtype=np.float64)
    k = step * beta * lam

    def rate(c):
        return k * np.exp(np.minimum(beta * (c * c * sq - 1.0), 700.0))

    c = np.ones_like(sq)
    for _ in range(12):
        c_next = 1.0 / (1.0 + rate(c))
        if np.array_equal(c_next, c):          # a fixed point in floating point: more iterations change nothing
            break
        c = c_next
    stiff = rate(np.ones_like(sq)) > 1e-3
    if stiff.any():
        sq_s = sq[stiff]
        lo, hi = np.zeros_like(sq_s), np.ones_like(sq_s)   # residual(0) = -1 < 0 <= residual(1)
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            below = mid * (1.0 + k * np.exp(np.minimum(beta * (mid * mid * sq_s - 1.0), 700.0))) - 1.0 < 0
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        c[stiff] = hi
    return c


def l2_gradient(weights, lam):
    """Plain L2 decay, d/dw of 0.5 lambda sum w^2 = lambda w (for comparison in notebook 06)."""
    return lam * weights


def max_norm(weights, c=1.0):
    """Max-norm (Srivastava et al. 2014): rescale rows whose squared norm exceeds c (in place-free)."""
    sq = (weights ** 2).sum(axis=1, keepdims=True)
    return weights * np.where(sq > c, np.sqrt(c / np.maximum(sq, 1e-300)), 1.0)


def threshold_regularization(counts, rho):
    """Section 2.3.2, summed over a batch: the threshold change of every neuron.

    Per input event, the N_w neurons that fire rise by rho N, then all N fall by rho N_w.
    Summed over all events of all samples of the batch this is
    dV_th,i = rho (N * count_i - total spikes), computed from the recorded spikes after the
    forward pass (the paper applies it during the forward pass with batch size 1; here the
    batch's summed change is applied after the batch).

    Args:
        counts: (B, N) spike counts of the layer.  rho: rate.
    Returns:
        (N,) threshold changes.
    """
    per_neuron = counts.sum(axis=0).astype(np.float64)
    N = per_neuron.size
    return rho * (N * per_neuron - per_neuron.sum())


def conv_threshold_regularization(counts, rho, output_shape):
    """Section 2.3.2 for a convolutional layer, summed over a batch: the rule of
    :func:`threshold_regularization` within each position's group of C maps (the neurons that
    compete there, Conv2d's WTA group), so that every map keeps firing somewhere (our extension:
    the paper does not say whether its conv layers are regularized).

    Args:
        counts: (B, C * H * W) spike counts, maps first.  rho: rate.  output_shape: (C, H, W).
    Returns:
        (C * H * W,) threshold changes: rho (C * count_i - spikes of i's position), zero-sum per position.
    """
    C = output_shape[0]
    per = counts.sum(axis=0).astype(np.float64).reshape(C, -1)
    return (rho * (C * per - per.sum(axis=0, keepdims=True))).ravel()


FLOOR_MODES = ("scale", "add", "clip")


@dataclass
class EventThresholdRule:
    """Section 2.3.2 as the paper applies it: during the forward pass, after every input event.

    Attributes:
        rho: rate (paper 4e-5..2e-4).
        floor: (N,) lowest threshold of each neuron (1/5 of the initial one by default).
        mode: what happens below the floor (see :func:`apply_threshold_floor`): "add", "scale", "clip".
        max_scale: cap of the weight factor of mode "scale".
    """
    rho: float
    floor: np.ndarray
    mode: str = "add"
    max_scale: float = 2.0

    def __post_init__(self):
        if self.mode not in FLOOR_MODES:
            raise ValueError(f"floor mode must be one of {FLOOR_MODES}, got {self.mode!r}")
        if not (np.isfinite(self.rho) and self.rho >= 0):
            raise ValueError(f"rho must be a finite number >= 0 (paper: 4e-5..2e-4), got {self.rho!r}")
        self.floor = np.asarray(self.floor, dtype=np.float64)


def threshold_event_step(threshold, rows, fired, rule: EventThresholdRule) -> None:
    """Threshold regularization after one input event (section 2.3.2), in place.

    The N_w neurons ``fired`` at this event rise by rho N, then all N fall by rho N_w.  A threshold
    that would end below its floor stays at the floor, and the neuron's weights are raised instead
    (``rule.mode``, as in :func:`apply_threshold_floor`).  Summed over a batch, the rise and fall are
    :func:`threshold_regularization`.

    Args:
        threshold: (N,) thresholds, changed in place.
        rows: (M + 1, N) the layer's weights by input (column i = neuron i), changed in place.
        fired: indices of the neurons that fired at this event.
        rule: rate, floor and floor mode.
    """
    N = threshold.size
    threshold[fired] += rule.rho * N
    threshold -= rule.rho * fired.size
    below = np.flatnonzero(threshold < rule.floor)
    if below.size:
        wanted, floor = threshold[below], rule.floor[below]
        if rule.mode == "add":                   # the paper: weights "increased by the same amount"
            rows[:-1, below] += floor - wanted
        elif rule.mode == "scale":               # the reading note: proportionally
            rows[:-1, below] *= np.minimum(floor / np.maximum(wanted, floor / rule.max_scale), rule.max_scale)
        threshold[below] = floor


def apply_threshold_floor(weights, threshold, wanted, floor, mode="scale", max_scale=2.0):
    """Keep thresholds >= floor; a neuron that wanted lower gets stronger weights instead.

    mode "scale" (reading note, default): weights x (floor / wanted) -- the neuron then behaves
    as if its threshold were ``wanted`` (V / V_th is unchanged by scaling both); the factor is
    capped at ``max_scale`` per call so a wanted threshold <= 0 cannot blow the weights up.
    mode "add" (paper: "increased by the same amount"): weights + (floor - wanted).
    mode "clip": the threshold stops at the floor and the weights are left alone.

    Args:
        weights: (N, M), modified copy returned.  threshold: unused old values (N,).
        wanted: (N,) thresholds after the update.  floor: (N,) or scalar lower bound.
    Returns:
        (weights, threshold) new arrays.
    """
    floor = np.broadcast_to(np.asarray(floor, dtype=np.float64), wanted.shape)
    if mode not in FLOOR_MODES:
        raise ValueError(f"mode must be one of {FLOOR_MODES}, got {mode!r}")
    below = wanted < floor
    if not below.any():
        return weights, wanted
    if mode == "clip":
        return weights, np.where(below, floor, wanted)
    weights = weights.copy()
    if mode == "scale":
        factor = np.minimum(floor[below] / np.maximum(wanted[below], floor[below] / max_scale), max_scale)
        weights[below] *= factor[:, None]
    else:                                   # "add"
        weights[below] += (floor[below] - wanted[below])[:, None]
    return weights, np.where(below, floor, wanted)


def recenter_thresholds(before, after, floor):
    """Give back the threshold mass that the floor added (our addition, not in the paper).

    The rule of :func:`threshold_regularization` is zero-sum over the layer, but neurons held
    at the floor do not take their share of the decrease, so the layer's mean threshold
    ratchets upward batch after batch until the layer falls silent (measured: results/archive/HISTORY.md).
    This lowers the thresholds above the floor equally so that the mean is what the zero-sum
    rule intended (never below the floor).

    Args:
        before: (N,) thresholds before regularization.  after: (N,) after rule + floor.
        floor: (N,) or scalar lower bound.
    Returns:
        (N,) thresholds.
    """
    floor = np.broadcast_to(np.asarray(floor, dtype=np.float64), after.shape)
    out = np.array(after, dtype=np.float64)
    excess = out.sum() - before.sum()
    # Water-filling: take an equal share from every neuron above the floor; a neuron whose
    # share would cross the floor stops at it and the rest is shared again by the others.
    # (Cutting at the floor without sharing again left mass behind every batch: the mean
    # threshold crept up by ~0.008 per epoch -- results/archive/pi-mnist-800-no-threshold-learning.)
    while excess > 1e-12 * max(1.0, abs(before.sum())):
        free = out > floor
        if not free.any():
            break
        lowered = np.maximum(out[free] - excess / free.sum(), floor[free])
        excess -= (out[free] - lowered).sum()
        out[free] = lowered
    return out
