"""Paper defaults (Lee et al. 2016, Table 1) and the checks every public function uses."""
from __future__ import annotations

import math

import numpy as np


# What the paper says of each default (Table 1 gives "typical values", some as ranges).
PAPER = {
    "tau_mp": "Table 1: 20 ms (MNIST), 200 ms (N-MNIST)", "T_ref": "Table 1: 1 ms",
    "kappa": "section 3.1: -0.4 in the hidden layer (Fig. 3)", "kappa_out": "section 3.1: -1.0",
    "sigma": "section 2.2.2: about 0.5", "alpha": "Table 1: 3-10", "alpha_out": "Table 1: 3-10",
    "eta_w": "Table 1: 0.002-0.004", "eta_th_ratio": "Table 1: 0.1 (SGD), 1 (Adam)", "beta": "Table 1: 10",
    "lam": "Table 1: 0.002-0.04", "rho": "Table 1: 0.00004-0.0002 (per input event, batch size 1)",
    "rate": "section 3.1: 5 keps",
}

# The values snnlab uses by default: the trainer's (snnlab.train.TrainConfig reads them from here)
# and the widgets'.  Where Table 1 gives a range, the value is in it, except rho: the trainer's
# default threshold rule sums the per-event changes over a batch of 32 and applies them after it,
# which takes a smaller rate (5e-6); the paper's own protocol (batch size 1, rho in 4e-5..2e-4) is
# the preset pi-mnist-800-paper.
DEFAULTS = dict(tau_mp=0.020, T_ref=0.001, kappa=-0.4, kappa_out=-1.0, sigma=0.5, alpha=5.0,
                alpha_out=3.0, eta_w=0.002, eta_th_ratio=0.1, beta=10.0, lam=0.002, rho=0.000005,
                rate=5000.0)


def default_params(**overrides) -> dict:
    """The constants snnlab uses by default (:data:`DEFAULTS`), with Table 1 of the paper beside
    them in :data:`PAPER`; override any by keyword.

    Returns:
        dict with
        tau_mp       0.020  s    membrane time constant (MNIST; 0.200 s for N-MNIST), Eqs. 1, 4
        T_ref        0.001  s    maximum refractory period of the dynamic weight, Eq. 2
        kappa       -0.4    1    lateral inhibition strength of a hidden WTA layer, -1 <= kappa <= 0, Eq. 5
        kappa_out   -1.0    1    the same for the output layer (section 3.1)
        sigma        0.5    1    expected efficacy of lateral inhibition (backward pass only), Eq. 6
        alpha        5.0    1    threshold scale at init of a hidden layer, V_th = alpha sqrt(3/M), Eq. 10
        alpha_out    3.0    1    the same for the output layer
        eta_w        0.002  1    weight learning rate per sample, Eq. 13
        eta_th_ratio 0.1    1    eta_th = ratio * eta_w (0.1 for SGD, 1.0 for Adam), Eq. 13
        beta         10.0   1    exponential weight regularization sharpness, Eq. 14
        lam          0.002  1    exponential weight regularization strength lambda, Eq. 14
        rho          5e-6   1    threshold regularization rate of the batch rule, section 2.3.2
                                 (the paper's per-event rule at batch size 1: 4e-5..2e-4)
        rate         5000.0 1/s  total input event rate (5 keps), section 3.1
    """
    p = dict(DEFAULTS)
    unknown = set(overrides) - set(p)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)}; known: {sorted(p)}")
    p.update(overrides)
    return p


def check_tau(tau_mp: float, name: str = "tau_mp") -> float:
    """tau_mp must be a finite number > 0 (seconds)."""
    if not (isinstance(tau_mp, (int, float, np.floating, np.integer)) and math.isfinite(tau_mp) and tau_mp > 0):
        raise ValueError(f"{name} must be a finite number of seconds > 0 (paper: 0.020 s), got {tau_mp!r}")
    return float(tau_mp)


def check_T_ref(T_ref: float) -> float:
    """T_ref must be a finite number >= 0 (seconds); 0 switches the dynamic weight off."""
    if not (isinstance(T_ref, (int, float, np.floating, np.integer)) and math.isfinite(T_ref) and T_ref >= 0):
        raise ValueError(f"T_ref must be a finite number of seconds >= 0 (paper: 0.001 s), got {T_ref!r}")
    return float(T_ref)


def check_kappa(kappa: float) -> float:
    """kappa (lateral inhibition strength) must lie in [-1, 0]; 0 means no WTA."""
    if not (isinstance(kappa, (int, float, np.floating, np.integer)) and -1.0 <= kappa <= 0.0):
        raise ValueError(f"kappa must lie in [-1, 0] (inhibition; 0 = no WTA; paper: -0.4 hidden, "
                         f"-1.0 output), got {kappa!r}")
    return float(kappa)


def check_array(x, name: str, shape=None, positive: bool = False) -> np.ndarray:
    """A float64 array without NaN/inf (and > 0 if ``positive``) of the given shape."""
    a = np.asarray(x, dtype=np.float64)
    if shape is not None and a.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name} contains {bad} NaN/inf value(s); all entries must be finite numbers. "
                         "If this appeared during training, lower the learning rate or raise alpha.")
    if positive and np.any(a <= 0):
        raise ValueError(f"{name} must be > 0 everywhere (a threshold <= 0 makes a neuron fire forever); "
                         f"smallest value is {a.min()!r}")
    return a
