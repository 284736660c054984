# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,nbgrader,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Initialization and error normalization (Eqs. 10-12)
#
# **Goal.** Understand how the paper keeps a deep spiking network trainable from the first step:
# weights and thresholds are initialized so that every neuron's squared weight norm is 1 on average
# (Eqs. 10-11), the threshold scale $\alpha$ sets how much the network fires, and the backpropagated
# errors are normalized layer by layer (Eq. 12) so that they neither explode nor vanish.
# **Assumes.** Notebook 04 (deltas, $g_i = 1/V_{th,i}$); the variance of a uniform distribution.
#
# | section | time |
# |---|---|
# | 1. Eq. 10 and Eq. 11 — two exercises; the reading note's init | 15 min |
# | 2. What α does to firing (real MNIST digits, slider) | 10 min |
# | 3. Exploding and vanishing errors; Eq. 12 — exercise | 20 min |
#
# Paper → code: Eq. 10 `snnlab.network.init_dense(n_in, n_out, alpha, rng, kappa, variant="paper"|"note")`;
# Eq. 12 `snnlab.learning.backprop_error` (the bracket $\sqrt{N/n}\,W^T\delta$) and
# `snnlab.learning.normalized_delta` (the factor $g_i/\bar g$ and, with WTA, $(I - \sigma K)^{-T}$).

# %%
import os
import numpy as np
import matplotlib.pyplot as plt
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

from snnlab.network import init_dense
from snnlab import learning as L
from snnlab.exercises import nb05


# %% [markdown]
# ## 1. Eq. 10 and Eq. 11 — 15 min
#
# A neuron with $M$ synapses starts with (**Eq. 10**)
#
# $$w_{ik} \sim U\big[-\sqrt{3/M},\; \sqrt{3/M}\big], \qquad V_{th} = \alpha\sqrt{3/M}\ \ \text{(same for all neurons of the layer)},$$
#
# with $\alpha$ between 3 and 10 (smaller for layers with fewer units). The bound is chosen so that
# (**Eq. 11**) $E\big[\sum_k w_{ik}^2\big] = 1$ for every neuron, whatever $M$. The threshold is
# $\alpha$ times the largest possible weight: only $\alpha$ and the input statistics decide how often
# the neuron fires, not the layer size.
#
# **EXERCISE.** Write `my_init_bounds(M, alpha)` returning `(a, V_th)`: the weight bound $a$
# ($w \sim U[-a, a]$) and the threshold of Eq. 10.

# %% nbgrader={"grade": false, "grade_id": "nb05_my_init_bounds", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_init_bounds(M, alpha):
    ### BEGIN SOLUTION
    a = np.sqrt(3.0 / M)
    return a, alpha * a
    ### END SOLUTION


# %% tags=["check"]
nb05.check_init_bounds(my_init_bounds)


# %% [markdown]
# **EXERCISE.** Write `my_expected_sum_w2(M, a)`: $E\big[\sum_{k=1}^{M} w_k^2\big]$ for independent
# $w_k \sim U[-a, a]$ (compute $E[w^2] = \frac{1}{2a}\int_{-a}^{a} w^2\,dw$ on paper first).

# %% nbgrader={"grade": false, "grade_id": "nb05_my_expected_sum_w2", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_expected_sum_w2(M, a):
    ### BEGIN SOLUTION
    return M * a ** 2 / 3
    ### END SOLUTION


# %% tags=["check"]
nb05.check_expected_sum_w2(my_expected_sum_w2)

# %% [markdown]
# Measured on layers made by `init_dense`: the mean of $\sum_k w_{ik}^2$ over the neurons, for the
# paper's init and for the **reading note's** init ($w \sim U[\pm\alpha/\sqrt M]$,
# $V_{th} \sim U[\alpha, 2\alpha]$). The note claims $E[\sum w^2] = \alpha^2$ — compare with your formula.

# %%
alpha = 5.0
print(f"{'M':>5} {'variant':>7} {'mean Σw²':>10} {'Eq. 11 / formula':>17} {'note claims α²':>15} {'V_th (mean)':>12}")
for M in (784, 800, 100):
    for variant in ("paper", "note"):
        layer = init_dense(M, 2000, alpha=alpha, rng=0, variant=variant)
        a = np.sqrt(3 / M) if variant == "paper" else alpha / np.sqrt(M)
        sq = (layer.weights ** 2).sum(axis=1)
        claim = f"{alpha ** 2:>15.2f}" if variant == "note" else f"{'':>15}"
        print(f"{M:>5} {variant:>7} {sq.mean():>10.3f} {M * a ** 2 / 3:>17.3f} {claim} {layer.threshold.mean():>12.3f}")
layer = init_dense(784, 2000, alpha=alpha, rng=0)
fig, ax = plt.subplots(figsize=(6, 2.6))
ax.hist((layer.weights ** 2).sum(axis=1), bins=40)
ax.axvline(1.0, color="k", ls="--", label="Eq. 11: E[Σw²] = 1")
ax.set_xlabel("Σ_k w_ik² of one neuron (784 inputs, paper init)"); ax.set_ylabel("neurons"); ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# So the note's $\alpha^2$ is really $\alpha^2/3$ ([docs/algorithm.md, section 9](../docs/algorithm.md#9-where-the-courses-reading-note-differs-from-the-paper)). There is a second, larger
# consequence: in the note's init the threshold is $U[\alpha, 2\alpha]$ while the weights scale with
# $\alpha/\sqrt M$ — the ratio threshold / weight bound is $\sqrt M$ to $2\sqrt M$ (28-56 for
# $M = 784$) *whatever* $\alpha$ is, much more than the paper's $\alpha$ = 3-10. Tick the box in the
# explorer below to see what that does to firing.
#
# ## 2. What α does to firing — 10 min
#
# A hidden layer (784 → 200, WTA $\kappa$) receives real MNIST digits as Poisson events (5 keps, 50 ms,
# `poisson_encode`) and runs the event-driven forward pass (`DenseLayer.forward`). Left: spikes per
# sample of each hidden neuron (sorted); right: hidden spikes per sample and the fraction of neurons
# that never fired on these digits, for a range of α (the weights are the same, only $V_{th}$ changes).
# Small α: many spikes, few silent neurons; large α: a quiet layer where most neurons never fire (and
# so never learn — only active neurons carry error in hidden layers). The paper picks α in 3..10.

# %%
from snnlab.widgets_learning import alpha_explorer
alpha_w = alpha_explorer(n_digits=8 if QUICK else 32)
alpha_w.widget

# %%
for note in (False, True):
    alpha_w.update(note_init=note)
    print(("note's init " if note else "paper's init") + f": {alpha_w.stats['spikes']:.1f} hidden spikes per sample, "
          f"{alpha_w.stats['silent']:.0%} silent neurons (α = {alpha_w.values['alpha']:g}, κ = {alpha_w.values['kappa']:g})")
alpha_w.update(note_init=False);


# %% [markdown]
# ## 3. Exploding and vanishing errors; Eq. 12 — 20 min
#
# In backprop the error of layer $l$ comes from layer $l+1$ through $W^{(l+1)T}\delta^{(l+1)}$, is
# restricted to the $n$ active neurons (in a spiking net only they have a derivative), and is
# multiplied by the local gain $g_i = 1/V_{th,i}$ of the linearized transfer function (Eq. 6). Each
# step multiplies the error energy $\sum_i \delta_i^2$ roughly by (fraction active) × $g^2$ — with
# $V_{th} = \alpha\sqrt{3/M}$ that is $\frac{n}{N}\cdot\frac{M}{3\alpha^2}$, far from 1. Over several layers
# the errors explode or vanish.
#
# **Eq. 12** fixes both factors, for the active neurons of layer $l$:
#
# $$\delta^{(l)} = \mathrm{diag}\!\left(\frac{g}{\bar g}\right)\,(I - \sigma K_l)^{-T}\left[\sqrt{\frac{N_l}{n_l}}\;W^{(l+1)T}\delta^{(l+1)}\right],
# \qquad \bar g = \sqrt{\tfrac{1}{n}\textstyle\sum_{i\ \text{active}} g_i^2}$$
#
# $\sqrt{N/n}$ undoes the loss of energy from keeping $n$ of $N$ neurons, and $g/\bar g$ keeps the
# *relative* gains but not their scale. (The reading note keeps only $g/\bar g$.)
#
# **EXERCISE.** Write `my_normalized_backprop(delta_upper, W_upper, active, threshold)` for a layer
# without WTA ($K = 0$): `delta_upper` is (B, N_up), `W_upper` (N_up, N), `active` (B, N) bool,
# `threshold` (N,). Return the (B, N) deltas of Eq. 12 (zero for inactive neurons).

# %% nbgrader={"grade": false, "grade_id": "nb05_my_normalized_backprop", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_normalized_backprop(delta_upper, W_upper, active, threshold):
    ### BEGIN SOLUTION
    N = active.shape[1]
    n = active.sum(axis=1, keepdims=True)
    err = np.sqrt(N / n) * (delta_upper @ W_upper)
    g = 1.0 / threshold
    g_bar = np.sqrt((active * g ** 2).sum(axis=1, keepdims=True) / n)
    return np.where(active, g / g_bar * err, 0.0)
    ### END SOLUTION


# %% tags=["check"]
nb05.check_normalized_backprop(my_normalized_backprop)

# %% [markdown]
# The explorer sends an output error with $\sum\delta^2 = 1$ down a 784-500-400-300-200-10 network at
# its Eq. 10 initialization, with random active sets (each hidden neuron active with the chosen
# probability), three ways: the plain chain rule ($g \odot$ mask $\odot W^T\delta$), $W^T\delta$ alone
# (mask only), and Eq. 12 (`backprop_error` + `normalized_delta`). Log axis: with α = 5 and 30 %
# active the chain rule grows the error energy layer after layer, $W^T\delta$ alone shrinks it; Eq. 12
# stays at 1. Move α and the active fraction.

# %%
from snnlab.widgets_learning import error_flow_explorer
flow = error_flow_explorer()
flow.widget

# %%
print("E[Σδ²] per layer (hidden 1 .. output):")
for name, v in flow.result.items():
    print(f"  {name:>6}: {np.array2string(v, precision=3)}")

# %% [markdown]
# **Summary.** Eq. 10 makes $E[\sum_k w_{ik}^2] = 1$ (Eq. 11; the note's version of the claim is off
# by a factor 3), α alone sets how much a layer fires at the start, and Eq. 12 keeps the error energy
# near 1 in every layer, so one learning rate fits all layers. Next: **06_regularizers.ipynb**.
