"""Checks for notebooks/05_init_and_error_normalization.ipynb: my_init_bounds (Eq. 10),
my_expected_sum_w2 (Eq. 11, and the reading note's claim), my_normalized_backprop (Eq. 12).

References: :func:`snnlab.network.init_dense` (Eq. 10), :func:`snnlab.learning.backprop_error`
and :func:`snnlab.learning.normalized_delta` (Eq. 12).
"""
from __future__ import annotations

import numpy as np

from ..learning import backprop_error, normalized_delta
from ..network import init_dense
from . import Case, Check, Mistake


# ------------------------------------------------------------- my_init_bounds(M, alpha), Eq. 10
def _reference_init_bounds(M, alpha):
    """(a, V_th) of snnlab.network.init_dense: weights ~ U[-a, a], threshold V_th (paper variant)."""
    th = float(init_dense(M, 1, alpha=alpha, rng=0).threshold[0])
    return th / alpha, th


check_init_bounds = Check(
    "my_init_bounds(M, alpha)", _reference_init_bounds,
    cases=[Case((784, 5.0), "the first hidden layer of PI-MNIST (M = 784)"),
           Case((800, 3.0), "an output layer after 800 hidden neurons"),
           Case((100, 10.0), "few inputs, large alpha")],
    mistakes=[
        Mistake("you used a = sqrt(1/M): a uniform variable on [-a, a] has variance a^2 / 3, so "
                "E[sum_k w_k^2] = M a^2 / 3 = 1 needs a = sqrt(3/M) (Eqs. 10-11).",
                lambda M, al: (np.sqrt(1 / M), al * np.sqrt(1 / M))),
        Mistake("that is the reading note's init (a = alpha / sqrt(M), V_th from alpha); the paper (default) "
                "uses a = sqrt(3/M) and V_th = alpha sqrt(3/M) (docs/algorithm.md"
                "#9-where-the-courses-reading-note-differs-from-the-paper).",
                lambda M, al: (al / np.sqrt(M), al)),
        Mistake("the weight range a is right, but the threshold is V_th = alpha * sqrt(3/M) (alpha times "
                "the weight bound), not alpha.", lambda M, al: (np.sqrt(3 / M), al)),
        Mistake("a = sqrt(3 M) grows with M; it must shrink: a = sqrt(3 / M).",
                lambda M, al: (np.sqrt(3 * M), al * np.sqrt(3 * M))),
    ],
    hint="Eq. 10: w ~ U[-sqrt(3/M), sqrt(3/M)], V_th = alpha sqrt(3/M). Return (a, V_th).",
    arg_names=("M", "alpha"), reference_name="snnlab.network.init_dense")


# ------------------------------------------------------ my_expected_sum_w2(M, a), Eq. 11
def _reference_sum_w2(M, a):
    """E[sum_k w_k^2] for M independent w_k ~ U[-a, a]: M * E[w^2] = M * (1/2a) int w^2 dw = M a^2 / 3."""
    return M * a ** 2 / 3.0


check_expected_sum_w2 = Check(
    "my_expected_sum_w2(M, a)", _reference_sum_w2,
    cases=[Case((784, np.sqrt(3 / 784)), "the paper's bound: must give 1 (Eq. 11)"),
           Case((784, 5.0 / np.sqrt(784)), "the reading note's bound alpha / sqrt(M), alpha = 5"),
           Case((10, 2.0), "a small made-up case")],
    mistakes=[
        Mistake("you forgot the 1/3: the variance of U[-a, a] is a^2 / 3, not a^2. (This is exactly the "
                "reading note's slip: it claims E[sum w^2] = alpha^2 for w ~ U[+-alpha/sqrt(M)]; the true "
                "value is alpha^2 / 3.)", lambda M, a: M * a ** 2),
        Mistake("you computed E[w^2] for one weight; Eq. 11 sums over the M synapses of a neuron.",
                lambda M, a: a ** 2 / 3.0),
        Mistake("a^2 / 2 is not the variance of U[-a, a]: (1 / 2a) * integral of w^2 from -a to a = a^2 / 3.",
                lambda M, a: M * a ** 2 / 2.0),
        Mistake("you computed E[sum |w|] (mean absolute value a/2 per weight); Eq. 11 is about squares.",
                lambda M, a: M * a / 2.0),
    ],
    hint="E[w^2] = (1 / 2a) * integral_{-a}^{a} w^2 dw; then sum over M synapses.",
    arg_names=("M", "a"), reference_name="M * Var(U[-a, a])")


# ---------------------------- my_normalized_backprop(delta_upper, W_upper, active, threshold), Eq. 12
def _reference_backprop(delta_upper, W_upper, active, threshold):
    return normalized_delta(backprop_error(delta_upper, W_upper, active), active, threshold, 0.0)


def _bp_model(scale="sqrt(N/n)", g="g/gbar", mask=True, n_per="sample"):
    def bp(delta_upper, W_upper, active, threshold):
        N = active.shape[1]
        n = active.sum(axis=1, keepdims=True) if n_per == "sample" else active.sum() / active.shape[0]
        err = delta_upper @ W_upper
        if scale == "sqrt(N/n)":
            err = np.sqrt(N / n) * err
        elif scale == "sqrt(n/N)":
            err = np.sqrt(n / N) * err
        gi = 1.0 / threshold
        if g == "g/gbar":
            gbar = np.sqrt((active * gi ** 2).sum(axis=1, keepdims=True) / active.sum(axis=1, keepdims=True))
            err = gi / gbar * err
        elif g == "g":
            err = gi * err
        elif g == "gbar/g":
            gbar = np.sqrt((active * gi ** 2).sum(axis=1, keepdims=True) / active.sum(axis=1, keepdims=True))
            err = gbar / gi * err
        return np.where(active, err, 0.0) if mask else err
    return bp


def _bp_cases():
    rng = np.random.default_rng(12)
    B, Nu, N = 3, 4, 6
    d = rng.normal(size=(B, Nu))
    Wu = rng.uniform(-0.7, 0.7, (Nu, N))
    active = np.array([[1, 0, 1, 1, 0, 1], [0, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]], bool)
    th = rng.uniform(0.3, 1.2, N)
    return [Case((d, Wu, active, th), "3 samples with different active sets, unequal thresholds"),
            Case((d[:1], Wu, np.ones((1, N), bool), np.full(N, 0.5)),
                 "all neurons active, equal thresholds (g / g_bar = 1)")]


check_normalized_backprop = Check(
    "my_normalized_backprop(delta_upper, W_upper, active, threshold)", _reference_backprop,
    cases=_bp_cases(),
    mistakes=[
        Mistake("the factor sqrt(N / n) is missing (that is the reading note's variant, which keeps only "
                "g / g_bar): with only n of N neurons active, W^T delta carries a fraction n/N of the "
                "error energy, and sqrt(N / n) restores it.", _bp_model(scale="none")),
        Mistake("the factor is upside down: sqrt(N / n) (N neurons in the layer, n active), not sqrt(n / N).",
                _bp_model(scale="sqrt(n/N)")),
        Mistake("you multiplied by g_i = 1 / V_th,i but did not divide by g_bar = sqrt(mean over active "
                "of g_i^2): without it every layer multiplies the error energy by ~ g^2.", _bp_model(g="g")),
        Mistake("the factor g_i / g_bar is missing: neurons with lower thresholds (larger gain g_i = 1 / V_th,i) "
                "must get proportionally more error.", _bp_model(g="none")),
        Mistake("g_bar / g_i is upside down: Eq. 12 has g_i / g_bar.", _bp_model(g="gbar/g")),
        Mistake("inactive neurons received error: in hidden layers only the active neurons (those that "
                "fired) carry error -- zero elsewhere.", _bp_model(mask=False)),
        Mistake("n must be counted per sample (each sample has its own active set), not averaged over "
                "the batch.", _bp_model(n_per="batch")),
    ],
    hint="err = sqrt(N / n) * (delta_upper @ W_upper) per sample; g = 1 / threshold; g_bar = sqrt(mean "
         "of g^2 over the active neurons of that sample); delta = where(active, g / g_bar * err, 0).",
    arg_names=("delta_upper", "W_upper", "active", "threshold"),
    reference_name="snnlab.learning.backprop_error + normalized_delta")
