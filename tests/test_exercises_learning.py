"""Checks of notebooks 04-06 accept right answers and diagnose typical wrong ones."""
import numpy as np
import pytest

from snnlab import learning as L
from snnlab.exercises import nb04, nb05, nb06

# the generic tests (reference passes, every mistake diagnosed, not-done / crash messages) run
# for every notebook's checks in tests/test_exercises.py; here: right answers written independently

# ---- right answers written independently of the references, and specific wrong ones
def test_nb04_trace():
    def trace(st, t, tau):
        return sum(np.exp((p - t) / tau) for p in st if p <= t)
    assert nb04.check_trace(trace, quiet=True)
    r = nb04.check_trace(lambda st, t, tau: float(len([p for p in st if p <= t])), quiet=True)
    assert "leaky" in r.message


def test_nb04_wta_inverse_closed_form_and_signed_kappa():
    def dense(v, kappa, sigma):
        return L.wta_matrix_inverse(len(v), kappa, sigma) @ np.asarray(v)
    assert nb04.check_wta_inverse(dense, quiet=True)

    def signed(v, kappa, sigma):
        v = np.asarray(v, float)
        n = v.size
        return (v - sigma * kappa / (1 + sigma * kappa * (n - 1)) * v.sum()) / (1 - sigma * kappa)
    with np.errstate(all="ignore"):
        r = nb04.check_wta_inverse(signed, quiet=True)
    assert not r and "signed kappa" in r.message and "n = 6" in r.message


def test_nb04_threshold_sign():
    fd = nb04._fd_model()
    assert nb04.check_fd_threshold_gradient(fd, quiet=True)
    assert nb04.check_threshold_update(lambda d, ah, eta: eta * d * ah, quiet=True)
    r = nb04.check_threshold_update(lambda d, ah, eta: -eta * d * ah, quiet=True)
    assert not r and "minus sign printed in Eq. 13" in r.message and "LOWER" in r.message
    # the chain-rule reference agrees with a finite difference of the loss
    case = nb04.check_fd_threshold_gradient.cases[0]
    np.testing.assert_allclose(nb04.chain_rule_threshold_gradient(*case.args), fd(*case.args), rtol=1e-5)


def test_nb05():
    assert nb05.check_init_bounds(lambda M, al: (np.sqrt(3 / M), al * np.sqrt(3 / M)), quiet=True)
    r = nb05.check_init_bounds(lambda M, al: (al / np.sqrt(M), al), quiet=True)
    assert "reading note" in r.message
    assert nb05.check_expected_sum_w2(lambda M, a: M * a * a / 3, quiet=True)
    r = nb05.check_expected_sum_w2(lambda M, a: M * a * a, quiet=True)
    assert "alpha^2 / 3" in r.message
    assert nb05.check_normalized_backprop(nb05._reference_backprop, quiet=True)
    r = nb05.check_normalized_backprop(nb05._bp_model(scale="none"), quiet=True)
    assert "sqrt(N / n)" in r.message


def test_nb05_expected_sum_matches_init_dense():
    from snnlab.network import init_dense
    for variant, alpha in (("paper", 5.0), ("note", 5.0)):
        W = init_dense(784, 3000, alpha=alpha, rng=1, variant=variant).weights
        a = np.abs(W).max()
        assert (W ** 2).sum(axis=1).mean() == pytest.approx(nb05._reference_sum_w2(784, a), rel=0.02)
    # the note's claim alpha^2 is off by a factor 3
    W = init_dense(784, 3000, alpha=5.0, rng=1, variant="note").weights
    assert (W ** 2).sum(axis=1).mean() == pytest.approx(25.0 / 3, rel=0.02)


def test_nb06():
    def eg(W, lam, beta):
        return beta * lam * W * np.exp(beta * ((W ** 2).sum(axis=1, keepdims=True) - 1))
    assert nb06.check_exponential_gradient(eg, quiet=True)
    r = nb06.check_exponential_gradient(lambda W, lam, beta: eg(W, lam, beta) / beta, quiet=True)
    assert "missing the factor beta" in r.message
    assert nb06.check_which_regularizer(lambda: dict(nb06.MYSTERY), quiet=True)
    r = nb06.check_which_regularizer(lambda: {"A": "max-norm", "B": "l2", "C": "exponential"}, quiet=True)
    assert not r and "hard cap" in r.message

    def tr(counts, rho):
        c = counts.sum(axis=0)
        return rho * (len(c) * c - c.sum())
    assert nb06.check_threshold_regularization(tr, quiet=True)
    r = nb06.check_threshold_regularization(lambda c, rho: rho * len(c[0]) * c.sum(axis=0), quiet=True)
    assert "does not sum to zero" in r.message and "rho N_w" in r.message


def test_mystery_curves_are_what_the_check_says():
    from snnlab.widgets_learning import regularizer_trajectories
    r = regularizer_trajectories(steps=3000)
    assert r[nb06.MYSTERY["C"]].max() <= 1 + 1e-9                   # max-norm: the cap
    assert r[nb06.MYSTERY["B"]].max() > 3                           # L2: overshoots
    assert r[nb06.MYSTERY["A"]].max() < 2                           # exponential: near 1
