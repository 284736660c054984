"""Paper defaults (Lee et al. 2016, Table 1) and the checks every public function uses."""
from __future__ import annotations

import math

import numpy as np


def default_params(**overrides) -> dict:
    """Neuron and learning constants of the paper, Table 1; override any by keyword.

    Returns:
        dict with
        tau_mp    0.020  s    membrane time constant (MNIST; 0.200 s for N-MNIST), Eqs. 1, 4
        T_ref     0.001  s    maximum refractory period of the dynamic weight, Eq. 2
        kappa    -0.4    1    lateral inhibition strength of a WTA layer, -1 <= kappa <= 0, Eq. 5
        sigma     0.5    1    expected efficacy of lateral inhibition (backward pass only), Eq. 6
        alpha     5.0    1    threshold scale at init, V_th = alpha sqrt(3/M), Eq. 10
        eta_w     0.003  1    weight learning rate, Eq. 13
        eta_th    0.0003 1    threshold learning rate (0.1 eta_w for SGD), Eq. 13
        beta      10.0   1    exponential weight regularization sharpness, Eq. 14
        lam       0.01   1    exponential weight regularization strength lambda, Eq. 14
        rho       0.0001 1    threshold regularization rate, section 2.3.2
        rate      5000.0 1/s  total input event rate (5 keps), section 3.1
    """
    p = dict(tau_mp=0.020, T_ref=0.001, kappa=-0.4, sigma=0.5, alpha=5.0, eta_w=0.003,
             eta_th=0.0003, beta=10.0, lam=0.01, rho=0.0001, rate=5000.0)
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
