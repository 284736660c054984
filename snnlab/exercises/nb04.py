"""Checks for notebooks/04_deriving_the_gradient.ipynb: my_trace (Eq. 4), my_wta_inverse (Eq. 9 in closed
form, no matrix), my_fd_threshold_gradient (central finite differences), my_threshold_update (the
sign of Eq. 13).

References: :func:`snnlab.layers.traces` (Eq. 4), :func:`snnlab.learning.wta_inverse_apply`
(Eq. 9), :func:`snnlab.learning.transfer_function` with the chain rule of
:func:`snnlab.learning.da_dthreshold` (Eq. 7), :func:`snnlab.learning.threshold_gradient` (Eq. 13).
"""
from __future__ import annotations

import numpy as np

from ..layers import traces
from ..learning import (da_dthreshold, effective_activity, threshold_gradient, transfer_function,
                        wta_inverse_apply, wta_matrix_inverse)
from . import Case, Check, Mistake


#: functions that solve or invert a matrix: my_wta_inverse must not call them (Eq. 9 needs none)
MATRIX_SOLVERS = ("numpy.linalg.solve", "numpy.linalg.inv", "numpy.linalg.pinv", "numpy.linalg.lstsq",
                  "numpy.linalg.tensorsolve", "numpy.linalg.tensorinv", "scipy.linalg.solve", "scipy.linalg.inv",
                  "scipy.linalg.pinv", "scipy.linalg.lstsq", "scipy.linalg.lu_factor", "scipy.linalg.lu_solve",
                  "scipy.linalg.cho_solve", "scipy.linalg.solve_triangular", "snnlab.learning.wta_matrix_inverse")


# --------------------------------------------------------- my_trace(spike_times, t, tau_mp), Eq. 4
def _reference_trace(spike_times, t, tau_mp):
    """snnlab.layers.traces read at time t over the spikes that have happened by then."""
    st = np.asarray(spike_times, float)
    st = st[st <= t]
    return float(traces(np.zeros(st.size, dtype=np.int64), st, np.zeros(st.size, dtype=np.int64),
                        np.array([t]), 1, tau_mp, "end")[0, 0])


def _trace_model(future=False, sign=-1.0, leak=True, integral=False, scale=1.0):
    def trace(spike_times, t, tau):
        st = np.asarray(spike_times, float)
        if not future:
            st = st[st <= t]
        if not leak:
            return float(st.size)
        v = np.exp(sign * (t - st) / (tau * scale))
        return float((1 - v).sum() if integral else v.sum())
    return trace


_ST = [0.002, 0.010, 0.011, 0.030, 0.045]
check_trace = Check(
    "my_trace(spike_times, t, tau_mp)", _reference_trace,
    cases=[Case((_ST, 0.050, 0.020), "all spikes before the readout time (end of a 50 ms window)"),
           Case((_ST, 0.020, 0.020), "readout in the middle: later spikes do not count yet"),
           Case((_ST, 0.011, 0.020), "a spike exactly at the readout time counts fully (1)"),
           Case(([], 0.050, 0.020), "no spikes at all"),
           Case((_ST, 0.050, 0.200), "a long time constant (N-MNIST, 200 ms)")],
    mistakes=[
        Mistake("spikes *after* t contribute: Eq. 4 sums only over spikes that have already happened "
                "(t_p <= t); a future spike would even count more than 1.", _trace_model(future=True)),
        Mistake("your trace grows with the age of a spike: the exponent is (t_p - t) / tau_mp <= 0, "
                "so exp((t_p - t)/tau_mp) is at most 1 and decays.", _trace_model(sign=1.0)),
        Mistake("you counted the spikes; the trace is a *leaky* count: each spike contributes "
                "exp((t_p - t) / tau_mp), 1 when it is fresh and less and less afterwards.",
                _trace_model(leak=False)),
        Mistake("you summed 1 - exp((t_p - t)/tau_mp), the *integral* of each spike's contribution (the "
                "idea behind readout='integral'); Eq. 4 read at time t is the sum of exp((t_p - t)/tau_mp).",
                _trace_model(integral=True)),
        Mistake("tau_mp is in seconds already (0.020 s); do not convert it to ms.", _trace_model(scale=1e3)),
    ],
    hint="x(t) = sum over spikes with t_p <= t of exp((t_p - t) / tau_mp).",
    arg_names=("spike_times", "t", "tau_mp"), reference_name="snnlab.layers.traces")


# ---------------------------------------------- my_wta_inverse(v, kappa, sigma), Eq. 9
def _reference_wta_inverse(v, kappa, sigma):
    v = np.asarray(v, float)
    return wta_inverse_apply(v[None], np.ones((1, v.size), bool), kappa, sigma)[0]


def _wta_model(signed=False, prefactor=True, n_shift=-1, note=False, sigma_on=True):
    def inv(v, kappa, sigma):
        v = np.asarray(v, float)
        n = v.size
        mu = kappa if signed else abs(kappa)
        s = sigma if sigma_on else 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            if note:
                return v / (mu * s * (n - 1) + 1)
            out = v - s * mu / (1 + s * mu * (n + n_shift)) * v.sum()
            return out / (1 - s * mu) if prefactor else out
    return inv


_V = np.array([0.3, -0.2, 0.5, 0.1, 0.4, -0.1])
_f = np.float64          # numpy scalars: a division by zero gives inf (and a warning), not an exception
check_wta_inverse = Check(
    "my_wta_inverse(v, kappa, sigma)", _reference_wta_inverse,
    cases=[Case((_V[:3], _f(-0.4), _f(0.5)), "3 active neurons, the paper's kappa and sigma"),
           Case((_V, _f(-0.4), _f(0.5)), "n = 6 active neurons with kappa = -0.4, sigma = 0.5"),
           Case((_V[:5], _f(-1.0), _f(0.5)), "strong inhibition (output layer, kappa = -1)"),
           Case((_V[:4], _f(-0.4), _f(1.0)), "sigma = 1"),
           Case((_V[:1], _f(-0.4), _f(0.5)), "a single active neuron (no competitor)"),
           Case((_V[:4], _f(0.0), _f(0.5)), "kappa = 0 (no WTA: the identity)")],
    mistakes=[
        Mistake("you used the signed kappa in Eq. 9: with mu = kappa < 0 the denominator "
                "1 + sigma mu (n - 1) is 0 for kappa = -0.4, sigma = 0.5, n = 6 (and the result is wrong "
                "for every n). Eq. 9 is right only with mu = |kappa|.", _wta_model(signed=True)),
        Mistake("the prefactor 1 / (1 - sigma mu) is missing (Sherman-Morrison: "
                "(I - sigma K)^-1 = 1/(1 - sigma mu) [I - sigma mu / (1 + sigma mu (n - 1)) J]).",
                _wta_model(prefactor=False)),
        Mistake("you used n instead of n - 1 in the denominator: each neuron has n - 1 competitors.",
                _wta_model(n_shift=0)),
        Mistake("you implemented the reading note's one-term version v / (mu sigma (n - 1) + 1); "
                "Eq. 9 has two terms: the neuron's own share and the sum over the group.",
                _wta_model(note=True)),
        Mistake("sigma is missing: the backward pass uses the *expected* efficacy sigma mu of "
                "inhibition, not mu.", _wta_model(sigma_on=False)),
    ],
    hint="mu = |kappa|, n = len(v): (v - sigma mu / (1 + sigma mu (n - 1)) * sum(v)) / (1 - sigma mu). "
         "A division by zero at n = 6 means you used the signed kappa.",
    arg_names=("v", "kappa", "sigma"), reference_name="snnlab.learning.wta_inverse_apply",
    forbid=MATRIX_SOLVERS,
    forbid_message="use the closed form of Eq. 9, not a matrix solve: the exercise is to apply (I - sigma K)^-1 "
                   "to v WITHOUT building or inverting the n x n matrix -- one sum over v and two scalar "
                   "factors, O(n) per sample instead of O(n^3) (that is why Eq. 9 exists).")


# ----------------------- my_fd_threshold_gradient(W, x, th, y, kappa, sigma), linearized Eq. 6
def loss_of_thresholds(W, x, th, y, kappa, sigma):
    """L(V_th) = 0.5 ||a - y||^2 with a the linearized transfer function (Eq. 6)."""
    return 0.5 * float(((transfer_function(W @ x, th, kappa, sigma) - y) ** 2).sum())


def chain_rule_threshold_gradient(W, x, th, y, kappa, sigma):
    """dL/dV_th by the chain rule: dL/da (I - sigma K)^-1 (column i) * da_i/dV_th,i (Eq. 7)."""
    a = transfer_function(W @ x, th, kappa, sigma)
    n = th.size
    local = da_dthreshold(th, a, np.ones(n, bool), kappa, sigma)        # -a_hat_i / V_th,i
    return ((a - y) @ wta_matrix_inverse(n, kappa, sigma)) * local


def _fd_model(all_at_once=False, two=2.0, flip=False, side=0):
    """Finite differences of loss_of_thresholds: central (side 0), forward (+1) or backward (-1)."""
    def fd(W, x, th, y, kappa, sigma, h=1e-6):
        g = np.zeros(th.size)
        for i in range(th.size):
            e = np.ones(th.size) if all_at_once else np.eye(th.size)[i]
            if side:
                g[i] = side * (loss_of_thresholds(W, x, th + side * h * e, y, kappa, sigma)
                               - loss_of_thresholds(W, x, th, y, kappa, sigma)) / h
                continue
            g[i] = (loss_of_thresholds(W, x, th + h * e, y, kappa, sigma)
                    - loss_of_thresholds(W, x, th - h * e, y, kappa, sigma)) / (two * h)
        return -g if flip else g
    return fd


def _fd_cases():
    out = []
    for seed, kappa, sigma, what in ((4, -0.4, 0.5, "5 neurons, kappa = -0.4, sigma = 0.5"),
                                     (5, 0.0, 0.5, "no WTA (kappa = 0)"),
                                     (6, -1.0, 0.5, "kappa = -1")):
        rng = np.random.default_rng(seed)
        n, M = 5, 7
        out.append(Case((rng.uniform(0, 1, (n, M)), rng.uniform(0, 1, M), rng.uniform(0.5, 1.5, n),
                         rng.uniform(0, 2, n), kappa, sigma), what))
    return out


def diagonal_second_derivative(W, x, th, y, kappa, sigma, h=1e-4):
    """d^2 L / dV_th,i^2 for each i, by central second differences of :func:`loss_of_thresholds`."""
    L0, out = loss_of_thresholds(W, x, th, y, kappa, sigma), np.zeros(th.size)
    for i in range(th.size):
        e = np.eye(th.size)[i] * h
        out[i] = (loss_of_thresholds(W, x, th + e, y, kappa, sigma) - 2 * L0
                  + loss_of_thresholds(W, x, th - e, y, kappa, sigma)) / h ** 2
    return out


def _close_gradient(a, b) -> bool:
    """Within 1e-4 of the gradient's largest component: a central difference with any h up to a few 1e-3
    (the exercise asks for h = 1e-6: error ~1e-10).  One-sided differences are closer than that; the
    detectors :func:`_one_sided` recognise them first."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return x.shape == y.shape and bool(np.all(np.abs(x - y) <= 1e-4 * np.abs(y).max() + 1e-12))


def _one_sided(sign):
    """Detector of a one-sided difference: its error is (h/2) d^2L/dV_th,i^2 per component (sign +1:
    forward, -1: backward), so the answer's error points along the diagonal second derivative.  A
    central difference has no such term; with a (too large) h its error (h^2/6 times the third
    derivative) happens to point against the second derivative here too, but less exactly (cosine
    -0.992..-0.998 on the three cases), hence the tight threshold for "backward"."""
    def detect(got, case, ref):
        err = np.asarray(got, dtype=float) - np.asarray(ref, dtype=float)
        if err.shape != np.shape(ref) or np.linalg.norm(err) <= 1e-8 * np.linalg.norm(ref):
            return False                           # exact to rounding: a central difference
        d2 = diagonal_second_derivative(*case.args)
        cos = float(err @ d2 / (np.linalg.norm(err) * np.linalg.norm(d2)))
        return cos > 0.99 if sign > 0 else cos < -0.9995
    return detect


_ONE_SIDED = ("you used a one-sided ({kind}) difference {formula}; the exercise asks for the CENTRAL difference "
              "(L(th + h e_i) - L(th - h e_i)) / (2h). Your numbers are close, but their error is (h/2) times the "
              "second derivative: it shrinks only like h, the central difference's like h^2 (with h = 1e-6: ~1e-6 "
              "of the gradient against ~1e-10).")


check_fd_threshold_gradient = Check(
    "my_fd_threshold_gradient(W, x, th, y, kappa, sigma)", chain_rule_threshold_gradient,
    cases=_fd_cases(),
    mistakes=[
        Mistake("you moved all thresholds at once; a partial derivative dL/dV_th,i moves only V_th,i "
                "(add h to element i of a copy of th).", _fd_model(all_at_once=True)),
        Mistake("the central difference divides by 2h: (L(th + h e_i) - L(th - h e_i)) / (2 h).",
                _fd_model(two=1.0)),
        Mistake(_ONE_SIDED.format(kind="forward", formula="(L(th + h e_i) - L(th)) / h"),
                model=_fd_model(side=+1), detect=_one_sided(+1)),
        Mistake(_ONE_SIDED.format(kind="backward", formula="(L(th) - L(th - h e_i)) / h"),
                model=_fd_model(side=-1), detect=_one_sided(-1)),
        Mistake("your gradient has the wrong sign: (L(th + h e_i) - L(th - h e_i)) / (2h), "
                "the *plus* side first.", _fd_model(flip=True)),
    ],
    hint="for each i: th_plus = th.copy(); th_plus[i] += h (same for minus); use "
         "nb04.loss_of_thresholds(W, x, th_plus, y, kappa, sigma).",
    arg_names=("W", "x", "th", "y", "kappa", "sigma"),
    compare=_close_gradient,
    reference_name="the chain rule through Eq. 7 (snnlab.learning.da_dthreshold)")


# ------------------------------------------ my_threshold_update(delta, a_hat, eta), Eq. 13 sign
def _reference_threshold_update(delta, a_hat, eta):
    """-eta * dL/dV_th with snnlab.learning.threshold_gradient, without its sqrt(N/(mM)) factor."""
    delta, a_hat = np.asarray(delta, float), np.asarray(a_hat, float)
    N = M = delta.size                       # all M inputs active: the factor is sqrt(N / (M M))
    g = threshold_gradient(delta[None], a_hat[None], np.ones((1, M), bool)) / np.sqrt(N / (M * M))
    return -eta * g


_SIGN_MSG = ("you copied the minus sign printed in Eq. 13. It contradicts the paper's own chain rule: "
             "Eq. 7 gives da_i/dV_th,i = -a_hat_i / V_th,i (a higher threshold means fewer spikes), so "
             "dL/dV_th,i = -delta_i a_hat_i (up to the positive factor g_bar), and gradient DESCENT, "
             "dV_th = -eta dL/dV_th, is +eta delta_i a_hat_i. Your finite-difference gradient above says "
             "the same: with the printed minus every step would climb the loss. In words: a neuron that "
             "fires too little (delta < 0) must LOWER its threshold.")

check_threshold_update = Check(
    "my_threshold_update(delta, a_hat, eta)", _reference_threshold_update,
    cases=[Case((np.array([0.5, -0.3, 0.2, 0.0]), np.array([1.2, 0.8, 0.0, 2.0]), 0.01),
                "mixed errors: too active (delta > 0) and too quiet (delta < 0)"),
           Case((np.array([-1.0, -0.2]), np.array([0.5, 3.0]), 0.1),
                "two under-responding neurons (delta < 0): their thresholds must fall")],
    mistakes=[
        Mistake(_SIGN_MSG, lambda d, ah, eta: -eta * np.asarray(d) * np.asarray(ah)),
        Mistake("the learning rate eta is missing.", lambda d, ah, eta: np.asarray(d) * np.asarray(ah)),
        Mistake("a_hat is missing: dV_th,i is proportional to delta_i * a_hat_i (Eq. 7: "
                "da_i/dV_th,i = -a_hat_i / V_th,i).", lambda d, ah, eta: eta * np.asarray(d)),
    ],
    hint="dV_th = -eta dL/dV_th, and by Eq. 7 dL/dV_th,i is proportional to -delta_i a_hat_i "
         "(delta already contains the factor 1/V_th,i).",
    arg_names=("delta", "a_hat", "eta"),
    reference_name="-eta * snnlab.learning.threshold_gradient")


__all__ = ["check_trace", "check_wta_inverse", "check_fd_threshold_gradient", "check_threshold_update",
           "loss_of_thresholds", "chain_rule_threshold_gradient", "effective_activity"]
