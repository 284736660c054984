"""Checks for notebooks/07_training_pi_mnist.ipynb: the output error of Eq. 16, the dead-neuron
fraction, and undoing the pixel permutation for the weight tiles (Fig. 2B).

References: :func:`snnlab.learning.output_error`, :func:`snnlab.dashboard.dead_fraction`,
:func:`snnlab.dashboard.unpermute` (tested against ``snnlab.train.encode_batch`` in
``tests/test_dashboard.py``).
"""
from __future__ import annotations

import numpy as np

from ..dashboard import dead_fraction, unpermute
from ..learning import output_error
from . import Case, Check, Mistake


# ------------------------------------------------ my_output_error(counts, label), Eq. 16
def _reference_output_error(counts, label):
    e, _ = output_error(np.asarray(counts, float)[None, :], np.array([label]))
    return e[0]


def _oe_model(norm="max", sqrt=True, nnze_of="diff", sign=1.0):
    def f(counts, label):
        c = np.asarray(counts, float)
        d = {"max": c.max(), "sum": c.sum(), "none": 1.0}[norm]
        o = c / d if d > 0 else np.zeros_like(c)
        y = np.zeros_like(c)
        y[label] = 1.0
        diff = sign * (o - y)
        n = np.count_nonzero(diff if nnze_of == "diff" else o)
        if n == 0:
            return np.zeros_like(c)
        return diff / (np.sqrt(n) if sqrt == True else (n if sqrt == "n" else 1.0))  # noqa: E712
    return f


def _counts(*nonzero):
    c = np.zeros(10)
    for k, v in nonzero:
        c[k] = v
    return c


check_output_error = Check(
    "my_output_error(counts, label)", _reference_output_error,
    cases=[Case((_counts((1, 3), (2, 6), (3, 1)), 2), "right class wins, two rivals also fire"),
           Case((_counts((1, 3), (2, 6), (3, 1)), 1), "wrong class wins"),
           Case((_counts((0, 4), (1, 4)), 0), "a tie between the label and another class"),
           Case((_counts((5, 7)), 5), "only the right neuron fires: o = y, no error"),
           Case((np.zeros(10), 4), "no output spike at all"),
           Case((_counts((0, 2), (3, 5), (7, 1), (9, 5)), 9), "four neurons fire, max shared")],
    mistakes=[
        Mistake("you forgot to divide by sqrt(N_nze): e = (o - y) / sqrt(number of nonzero entries "
                "of o - y) (text after Eq. 16).", _oe_model(sqrt=False)),
        Mistake("you divided by N_nze; the paper divides by its square root, sqrt(N_nze).",
                _oe_model(sqrt="n")),
        Mistake("you normalized the counts by their sum; Eq. 16 normalizes by the *maximum* count, "
                "o = n / max(n), so the winning neuron has o = 1 like the target.", _oe_model(norm="sum")),
        Mistake("you used the raw spike counts; o = n / max(n) (Eq. 16) lies in [0, 1].",
                _oe_model(norm="none")),
        Mistake("N_nze counts the nonzero entries of the *error* o - y, not of o.",
                _oe_model(nnze_of="o")),
        Mistake("the sign is flipped: e = o - y (dL/do of L = ½‖o − y‖²).", _oe_model(sign=-1.0)),
    ],
    hint="o = counts / counts.max() (0 if no spike); y = one-hot label; e = (o - y) / sqrt(N_nze) "
         "with N_nze = np.count_nonzero(o - y); all zeros if o = y.",
    arg_names=("counts", "label"), reference_name="snnlab.learning.output_error")


# ------------------------------------------------------------ my_dead_fraction(counts)
_C1 = np.array([[0, 2, 0, 0, 1], [0, 0, 0, 3, 0], [1, 0, 0, 0, 0]])
_C2 = np.array([[0, 0, 0, 0], [0, 0, 0, 5]])
_C3 = np.zeros((4, 3), dtype=int)

check_dead_fraction = Check(
    "my_dead_fraction(counts)", dead_fraction,
    cases=[Case((_C1,), "3 samples x 5 neurons, one neuron never fires"),
           Case((_C2,), "2 samples x 4 neurons, one neuron fires once"),
           Case((_C3,), "nothing fires at all"),
           Case((np.ones((2, 6)),), "everyone fires")],
    mistakes=[
        Mistake("you returned the fraction of (sample, neuron) pairs with no spike; a neuron is dead "
                "only if it fires on *none* of the samples: sum over samples first.",
                lambda c: float((np.asarray(c) == 0).mean())),
        Mistake("you summed over the wrong axis: that is the fraction of *samples* without any spike. "
                "counts is (samples, neurons); sum over axis 0.",
                lambda c: float((np.asarray(c).sum(axis=1) == 0).mean())),
        Mistake("you returned the number of dead neurons; the question asks for the fraction.",
                lambda c: float((np.asarray(c).sum(axis=0) == 0).sum())),
        Mistake("that is the fraction of neurons that fire (alive), not of dead ones.",
                lambda c: float((np.asarray(c).sum(axis=0) > 0).mean())),
    ],
    hint="total spikes per neuron over all samples: counts.sum(axis=0); dead = that total is 0; "
         "return the mean of that boolean array.",
    arg_names=("counts",), reference_name="snnlab.dashboard.dead_fraction")


# ------------------------------------------------------ my_unpermute(w, permutation)
_R = np.random.default_rng(7)
_PERM5 = np.array([2, 0, 4, 1, 3])
_PERM784 = _R.permutation(784)

check_unpermute = Check(
    "my_unpermute(w, permutation)", unpermute,
    cases=[Case((np.array([10., 20., 30., 40., 50.]), _PERM5), "5 channels, a permutation that is not its own inverse"),
           Case((_R.normal(size=784), _PERM784), "784 channels (MNIST)"),
           Case((np.arange(5.0), np.arange(5)), "the identity permutation")],
    mistakes=[
        Mistake("you applied the permutation again (w[permutation]); undo it instead: channel c carries "
                "pixel permutation[c], so img[permutation] = w (or img = w[np.argsort(permutation)]).",
                lambda w, p: np.asarray(w)[np.asarray(p)]),
        Mistake("you returned the weights unchanged; the input channels are shuffled pixels, so the "
                "tile would look like noise.", lambda w, p: np.asarray(w, float)),
    ],
    hint="encode_batch does flat[:, permutation]: input channel c receives pixel permutation[c].",
    arg_names=("w", "permutation"), reference_name="snnlab.dashboard.unpermute")
