"""Checks for notebooks/06_regularizers.ipynb: my_exp_gradient (Eq. 15), my_which_regularizer (which
regularizer gives which trajectory), my_threshold_reg (batch-summed threshold regularization,
section 2.3.2); and :func:`mystery_curves`, the unlabeled trajectories the notebook plots.

References: :func:`snnlab.regularizers.exponential_gradient`,
:func:`snnlab.widgets_learning.regularizer_trajectories` (the mystery curves, :func:`mystery_curves`),
:func:`snnlab.regularizers.threshold_regularization`.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..regularizers import exponential_gradient, threshold_regularization
from . import Case, Check, Mistake


# ---------------------------------------------- my_exp_gradient(W, lam, beta), Eq. 15
def _eg_model(beta_on=True, per_element=False, w_on=True, note=False, half=False, axis=1):
    def g(W, lam, beta):
        W = np.asarray(W, float)
        if note:                  # reading note: beta exp(lam (sum w^2 - alpha^2)), alpha = 1
            return beta * lam * 2 * W * np.exp(lam * ((W ** 2).sum(axis=1, keepdims=True) - 1))
        sq = W ** 2 if per_element else (W ** 2).sum(axis=axis, keepdims=True)
        out = lam * np.exp(beta * (sq - 1.0))
        if beta_on:
            out = beta * out
        if w_on:
            out = out * W
        return 0.5 * out if half else out
    return g


_W1 = np.array([[0.5, -0.4, 0.3, 0.6], [0.2, 0.1, -0.3, 0.2], [0.7, 0.7, 0.1, -0.2]])
check_exp_gradient = Check(
    "my_exp_gradient(W, lam, beta)", exponential_gradient,
    cases=[Case((_W1, 0.01, 10.0), "three rows: squared norms 0.86, 0.18 and 1.03"),
           Case((_W1[:1] * 1.5, 0.002, 10.0), "one row far above the target norm 1"),
           Case((_W1.T, 0.04, 3.0), "four rows of three weights, beta = 3")],
    mistakes=[
        Mistake("your gradient is missing the factor beta: d/dw of exp(beta (sum w^2 - 1)) brings down "
                "beta * 2 w, and with the 1/2 of Eq. 14 that is beta lambda w exp(...).",
                _eg_model(beta_on=False)),
        Mistake("the exponent must contain the whole row's squared norm sum_j w_ij^2 (one value per "
                "neuron), not each weight's own w_ij^2.", _eg_model(per_element=True)),
        Mistake("you summed over the wrong axis: a neuron's weights are a *row* of W (weights[i, :]); "
                "use sum(axis=1, keepdims=True).", _eg_model(axis=0)),
        Mistake("the factor w_ij is missing: the gradient of a function of sum w^2 is proportional to w.",
                _eg_model(w_on=False)),
        Mistake("an extra 1/2: the 1/2 of Eq. 14 cancels against the 2 of d(w^2)/dw.", _eg_model(half=True)),
        Mistake("that is the reading note's regularizer beta exp(lambda (sum w^2 - alpha^2)) (beta and "
                "lambda swapped); the paper's Eq. 14 is 0.5 lambda exp(beta (sum w^2 - 1)).",
                _eg_model(note=True)),
    ],
    hint="Eq. 15: beta * lam * W * exp(beta * (sum_j W[i, j]^2 - 1)), the sum per row (keepdims).",
    arg_names=("W", "lam", "beta"), reference_name="snnlab.regularizers.exponential_gradient")


# ------------------------------------------------ my_which_regularizer() -> dict of curve names
NAMES = ("l2", "max-norm", "exponential")
#: curve letter -> regularizer in the notebook's mystery plot (fixed; the plot is drawn from it)
MYSTERY = {"A": "exponential", "B": "l2", "C": "max-norm"}

_WHY = {"l2": "L2 decays every weight at the constant rate lambda w: it only slows the early growth "
              "(the curve overshoots far above 1) and keeps shrinking the weights once the drive fades "
              "(the curve that ends lowest) -- 'initial fast growth, followed by a continued decrease'",
        "max-norm": "max-norm is a hard cap: sum w^2 can never exceed 1 (the flat curve at exactly 1)",
        "exponential": "the exponential regularizer decays fast above sum w^2 = 1 (like max-norm) and barely "
                       "below (unlike L2): the curve that rises a little above 1 and stays near it"}


def _perm_mistake(perm):
    wrong = dict(zip(MYSTERY, perm))
    lines = [f"curve {k} is not {wrong[k]}: {_WHY[MYSTERY[k]]}" for k in MYSTERY if wrong[k] != MYSTERY[k]]
    return Mistake("; ".join(lines) + ".", lambda wrong=wrong: dict(wrong))


def mystery_curves(steps=6000, **kwargs) -> dict:
    """The notebook's unlabeled trajectories: letter ("A", "B", "C") -> sum w^2 per step, and "none" (no
    regularizer), from :func:`snnlab.widgets_learning.regularizer_trajectories` (``kwargs`` go there).
    Which letter is which regularizer is :data:`MYSTERY`, the answer of the exercise."""
    from ..widgets_learning import regularizer_trajectories
    traj = regularizer_trajectories(steps=steps, **kwargs)
    out = {letter: traj[name] for letter, name in sorted(MYSTERY.items())}
    out["none"] = traj["none"]
    return out


_SPELLINGS = {"l2": "l2", "l-2": "l2", "l2-norm": "l2", "weight-decay": "l2", "ridge": "l2",
              "max-norm": "max-norm", "maxnorm": "max-norm", "max": "max-norm", "max-norm-constraint": "max-norm",
              "exponential": "exponential", "exp": "exponential", "exponent": "exponential",
              "exponential-regularizer": "exponential", "exp-regularizer": "exponential"}


def _canonical(name) -> str:
    """'L2', 'max norm', 'Max_Norm', 'exp' ... -> the names of NAMES (unknown names unchanged)."""
    key = "-".join(str(name).strip().lower().replace("_", " ").replace("-", " ").split())
    return _SPELLINGS.get(key, key)


def _same_assignment(a, b) -> bool:
    """The same letter -> regularizer dict, whatever the case of the letters or the spelling of the names."""
    if not isinstance(a, dict):
        return False
    return {str(k).strip().upper(): _canonical(v) for k, v in a.items()} == b


check_which_regularizer = Check(
    "my_which_regularizer()", lambda: dict(MYSTERY),
    cases=[Case((), "the three mystery curves A, B, C")],
    mistakes=[_perm_mistake(p) for p in itertools.permutations(NAMES) if dict(zip(MYSTERY, p)) != MYSTERY],
    hint=f"return a dict like {{'A': 'l2', 'B': ..., 'C': ...}} with the names {NAMES}. Look at where each "
         "curve goes early (while the drive is strong) and late (after it fades).",
    compare=_same_assignment,
    reveal=False,
    reference_name="the regularizers used to draw the curves")


# ------------------------------------ my_threshold_reg(counts, rho), section 2.3.2 (batch sum)
def _tr_model(fall=True, n_factor=True, per_sample_mean=False, sign=1.0, fall_mean=False):
    def tr(counts, rho):
        c = np.asarray(counts, float)
        if per_sample_mean:
            c = c.mean(axis=0, keepdims=True)
        per = c.sum(axis=0)
        N = per.size
        rise = (N if n_factor else 1) * per
        out = rise - (per.sum() if fall else 0.0) / (N if fall_mean else 1)
        return sign * rho * out
    return tr


_C = np.array([[3, 0, 1, 0, 0], [2, 1, 0, 0, 0], [4, 0, 0, 1, 0]])
check_threshold_reg = Check(
    "my_threshold_reg(counts, rho)", threshold_regularization,
    cases=[Case((_C, 1e-4), "a batch of 3 samples, 5 neurons, one dead neuron"),
           Case((_C[:1], 2e-4), "a single sample"),
           Case((np.zeros((2, 4), int), 1e-4), "nothing fired: no change")],
    mistakes=[
        Mistake("your threshold change does not sum to zero over the layer: all N thresholds must fall by "
                "rho N_w each time N_w neurons fire, i.e. by rho * (total spikes of the batch).",
                _tr_model(fall=False)),
        Mistake("the winners rise by rho * N per spike (N = neurons in the layer), not by rho.",
                _tr_model(n_factor=False)),
        Mistake("you averaged over the samples; the batch's changes are *summed* (each sample's events "
                "contribute, as if the paper's batch-size-1 rule ran over the batch).",
                _tr_model(per_sample_mean=True)),
        Mistake("the sign is flipped: active neurons' thresholds must RISE (they become less sensitive), "
                "silent ones fall.", _tr_model(sign=-1.0)),
        Mistake("each neuron falls by rho N_w per event (N_w = neurons that fired), not by rho N_w / N.",
                _tr_model(fall_mean=True)),
    ],
    hint="count_i = spikes of neuron i over the whole batch, total = sum_i count_i: "
         "dV_th,i = rho * (N * count_i - total).",
    arg_names=("counts", "rho"), reference_name="snnlab.regularizers.threshold_regularization")
