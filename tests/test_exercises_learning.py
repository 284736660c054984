"""Checks of notebooks 04-07 accept right answers and diagnose typical wrong ones."""
import numpy as np
import pytest

from snnlab import learning as L
from snnlab.exercises import nb04, nb05, nb06, nb07

# the generic tests (reference passes, every mistake diagnosed, not-done / crash messages) run
# for every notebook's checks in tests/test_exercises.py; here: right answers written independently

# ---- right answers written independently of the references, and specific wrong ones
def test_nb04_trace():
    def trace(st, t, tau):
        return sum(np.exp((p - t) / tau) for p in st if p <= t)
    assert nb04.check_trace(trace, quiet=True)
    r = nb04.check_trace(lambda st, t, tau: float(len([p for p in st if p <= t])), quiet=True)
    assert "leaky" in r.message


def _closed_form(v, kappa, sigma):
    n, mu = len(v), abs(kappa)
    total = sum(v)
    return [(vi - sigma * mu / (1 + sigma * mu * (n - 1)) * total) / (1 - sigma * mu) for vi in v]


def _matrix(v, kappa, sigma):
    n = len(v)
    return np.eye(n) - sigma * kappa * (np.ones((n, n)) - np.eye(n))


def test_nb04_wta_inverse_closed_form_and_signed_kappa():
    assert nb04.check_wta_inverse(_closed_form, quiet=True)                  # a list: values count
    assert nb04.check_wta_inverse(lambda *a: np.array(_closed_form(*a)), quiet=True)

    def signed(v, kappa, sigma):
        v = np.asarray(v, float)
        n = v.size
        return (v - sigma * kappa / (1 + sigma * kappa * (n - 1)) * v.sum()) / (1 - sigma * kappa)
    with np.errstate(all="ignore"):
        r = nb04.check_wta_inverse(signed, quiet=True)
    assert not r and "signed kappa" in r.message and "n = 6" in r.message


def test_nb04_wta_inverse_with_a_matrix_solve_is_named():
    """The exercise says "no matrix": solving or inverting one is diagnosed, however it is called."""
    from numpy.linalg import solve                          # imported by name, as a student might
    solve_fn, inv_fn, dense_fn = np.linalg.solve, np.linalg.inv, L.wta_matrix_inverse
    students = {"np.linalg.solve": lambda v, k, s: np.linalg.solve(_matrix(v, k, s), v),
                "np.linalg.inv": lambda v, k, s: np.linalg.inv(_matrix(v, k, s)) @ np.asarray(v),
                "solve by name": lambda v, k, s: solve(_matrix(v, k, s), v),
                "wta_matrix_inverse": lambda v, k, s: L.wta_matrix_inverse(len(v), k, s) @ np.asarray(v)}
    for what, f in students.items():
        r = nb04.check_wta_inverse(f, quiet=True)
        assert not r and "use the closed form of Eq. 9, not a matrix solve" in r.message, what
    # the functions are back afterwards
    assert np.linalg.solve is solve_fn and np.linalg.inv is inv_fn and L.wta_matrix_inverse is dense_fn
    assert solve is solve_fn
    scipy_linalg = pytest.importorskip("scipy.linalg")
    r = nb04.check_wta_inverse(lambda v, k, s: scipy_linalg.solve(_matrix(v, k, s), v), quiet=True)
    assert not r and "not a matrix solve" in r.message and "scipy.linalg.solve" in r.message


def _fd(side, h=1e-6):
    """dL/dV_th by finite differences: side 0 central, +1 forward, -1 backward."""
    def fd(W, x, th, y, kappa, sigma, h_unused=1e-6):
        g = []
        for i in range(len(th)):
            tp, tm = th.copy(), th.copy()
            tp[i] += h
            tm[i] -= h
            lp, lm = (nb04.loss_of_thresholds(W, x, t, y, kappa, sigma) for t in (tp, tm))
            l0 = nb04.loss_of_thresholds(W, x, th, y, kappa, sigma)
            g.append({0: (lp - lm) / (2 * h), 1: (lp - l0) / h, -1: (l0 - lm) / h}[side])
        return g                                             # a list: values count
    return fd


@pytest.mark.parametrize("h", [1e-6, 1e-5, 1e-4, 1e-3])
def test_nb04_forward_difference_is_named_central_accepted(h):
    assert nb04.check_fd_threshold_gradient(_fd(0, h), quiet=True)
    r = nb04.check_fd_threshold_gradient(_fd(+1, h), quiet=True)
    assert not r and "one-sided (forward) difference" in r.message and "CENTRAL" in r.message
    r = nb04.check_fd_threshold_gradient(_fd(-1, h), quiet=True)
    assert not r and "one-sided (backward) difference" in r.message


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
    assert nb06.check_exp_gradient(eg, quiet=True)
    r = nb06.check_exp_gradient(lambda W, lam, beta: eg(W, lam, beta) / beta, quiet=True)
    assert "missing the factor beta" in r.message
    assert nb06.check_which_regularizer(lambda: dict(nb06.MYSTERY), quiet=True)
    r = nb06.check_which_regularizer(lambda: {"A": "max-norm", "B": "l2", "C": "exponential"}, quiet=True)
    assert not r and "hard cap" in r.message

    def tr(counts, rho):
        c = counts.sum(axis=0)
        return rho * (len(c) * c - c.sum())
    assert nb06.check_threshold_reg(tr, quiet=True)
    r = nb06.check_threshold_reg(lambda c, rho: rho * len(c[0]) * c.sum(axis=0), quiet=True)
    assert "does not sum to zero" in r.message and "rho N_w" in r.message


def test_mystery_curves_are_what_the_check_says():
    from snnlab.widgets_learning import regularizer_trajectories
    r = regularizer_trajectories(steps=3000)
    assert r[nb06.MYSTERY["C"]].max() <= 1 + 1e-9                   # max-norm: the cap
    assert r[nb06.MYSTERY["B"]].max() > 3                           # L2: overshoots
    assert r[nb06.MYSTERY["A"]].max() < 2                           # exponential: near 1


def test_nb06_other_types_and_spellings():
    def eg(W, lam, beta):
        return (beta * lam * W * np.exp(beta * ((W ** 2).sum(axis=1, keepdims=True) - 1))).tolist()
    assert nb06.check_exp_gradient(eg, quiet=True)                           # nested lists
    assert nb06.check_threshold_reg(lambda c, rho: list(rho * (len(c[0]) * np.sum(c, axis=0) - np.sum(c))),
                                    quiet=True)
    right = {k: v for k, v in nb06.MYSTERY.items()}
    spelled = {"l2": "L2", "max-norm": "Max norm", "exponential": "exp"}
    assert nb06.check_which_regularizer(lambda: {k.lower(): spelled[v] for k, v in right.items()}, quiet=True)
    r = nb06.check_which_regularizer(lambda: {"A": "max-norm", "B": "l2", "C": "exponential"}, quiet=True)
    assert "snnlab gives" not in r.message                       # a wrong guess does not show the answer


def test_nb06_mystery_curves_do_not_need_the_answer_key():
    curves = nb06.mystery_curves(steps=500)
    assert sorted(curves) == ["A", "B", "C", "none"]
    from snnlab.widgets_learning import regularizer_trajectories
    traj = regularizer_trajectories(steps=500)
    for letter, name in nb06.MYSTERY.items():
        np.testing.assert_array_equal(curves[letter], traj[name])


def test_nb07_other_types():
    def oe(counts, label):
        c = np.asarray(counts, float)
        o = c / c.max() if c.max() > 0 else np.zeros_like(c)
        d = o - np.eye(10)[label]
        n = np.count_nonzero(d)
        return list(d / np.sqrt(n)) if n else [0] * 10
    assert nb07.check_output_error(oe, quiet=True)
    assert nb07.check_dead_fraction(lambda c: np.mean(np.sum(c, axis=0) == 0), quiet=True)   # np.float64
    assert nb07.check_unpermute(lambda w, p: [w[list(p).index(i)] for i in range(len(p))], quiet=True)
