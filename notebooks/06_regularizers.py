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
# # 06 · Regularizers: weight norms, thresholds and dead neurons (section 2.3)
#
# **Goal.** Understand the paper's two regularizers: the *exponential* weight regularization
# (Eqs. 14-15), compared with L2 and max-norm on the weight-norm trajectory, and the *threshold*
# regularization that keeps neurons from dying in winner-take-all layers — including the lower bound
# on thresholds and its two variants (paper vs reading note).
# **Assumes.** Notebooks 03 (WTA), 04 (gradients) and 05 (Eq. 11: $E[\sum_j w_{ij}^2] = 1$).
#
# | section | time |
# |---|---|
# | 1. Exponential weight regularization (Eqs. 14-15) — exercise | 10 min |
# | 2. L2 vs max-norm vs exponential on the weight norm — exercise + explorer | 15 min |
# | 3. Threshold regularization and dead neurons — exercise | 20 min |
# | 4. The threshold floor: "scale" (note) vs "add" (paper) | 10 min |
#
# Paper → code: Eq. 14 `snnlab.regularizers.exponential_penalty`, Eq. 15 `exponential_gradient`;
# `l2_gradient`, `max_norm` for comparison; section 2.3.2 `threshold_regularization(counts, rho)` and
# `apply_threshold_floor(weights, threshold, wanted, floor, mode="scale"|"add")`.

# %%
import os
import numpy as np
import matplotlib.pyplot as plt
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

from snnlab import regularizers as R
from snnlab.exercises import nb06


# %% [markdown]
# ## 1. Exponential weight regularization (Eqs. 14-15) — 10 min
#
# To keep Eq. 11 ($\sum_j w_{ij}^2 \approx 1$) true during training, each neuron $i$ of a hidden layer
# pays (**Eq. 14**)
#
# $$L_w(i) = \tfrac12\,\lambda\,e^{\beta\left(\sum_j w_{ij}^2 - 1\right)}, \qquad
# \frac{\partial L_w(i)}{\partial w_{ij}} = \beta\lambda\, w_{ij}\, e^{\beta\left(\sum_j w_{ij}^2 - 1\right)} \quad \text{(Eq. 15)}$$
#
# with $\beta = 10$, $\lambda = 0.002..0.04$. It is a weight decay whose *rate* $\beta\lambda\,e^{\beta(\sum w^2 - 1)}$
# depends on the row's squared norm: huge above 1, tiny below.
#
# **EXERCISE.** Write `my_exp_gradient(W, lam, beta)`: Eq. 15 for a weight matrix `W` (rows = neurons).

# %% nbgrader={"grade": false, "grade_id": "nb06_my_exp_gradient", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_exp_gradient(W, lam, beta):
    ### BEGIN SOLUTION
    sq = (W ** 2).sum(axis=1, keepdims=True)
    return beta * lam * W * np.exp(beta * (sq - 1.0))
    ### END SOLUTION


# %% tags=["check"]
nb06.check_exp_gradient(my_exp_gradient)

# %% [markdown]
# The library's Eq. 15 against finite differences of its Eq. 14, and the decay rate per unit weight
# (gradient / w) as a function of the row's squared norm, for the three regularizers:

# %%
rng = np.random.default_rng(8)
Wr = rng.normal(scale=0.4, size=(3, 6))
h, fd = 1e-6, np.zeros_like(Wr)
for idx in np.ndindex(Wr.shape):
    Wp, Wm = Wr.copy(), Wr.copy(); Wp[idx] += h; Wm[idx] -= h
    fd[idx] = (R.exponential_penalty(Wp, 0.01).sum() - R.exponential_penalty(Wm, 0.01).sum()) / (2 * h)
print("max |Eq. 15 - finite difference of Eq. 14| =", np.abs(R.exponential_gradient(Wr, 0.01) - fd).max())

lam, beta = 0.01, 10.0
sq = np.linspace(0.05, 1.6, 200)
rows = np.sqrt(sq)[:, None] * np.ones((1, 4)) / 2          # rows with sum w^2 = sq
fig, ax = plt.subplots(figsize=(6.5, 3))
ax.plot(sq, R.exponential_gradient(rows, lam, beta)[:, 0] / rows[:, 0], label="exponential (Eq. 15)")
ax.plot(sq, R.l2_gradient(rows, beta * lam)[:, 0] / rows[:, 0], label="L2 with λ_L2 = βλ")
ax.axvline(1.0, color="C2", label="max-norm: nothing below 1, a hard wall at 1")
ax.set_yscale("log"); ax.set_xlabel("Σ_j w_ij²"); ax.set_ylabel("decay rate (gradient / w)")
ax.legend(fontsize=8); plt.show()

# %% [markdown]
# ## 2. L2 vs max-norm vs exponential on the weight norm — 15 min
#
# The paper's reason for the exponential form (section 2.3.1): L2 "leads to an initial fast growth,
# followed by a continued decrease of weights"; max-norm caps the norm; the exponential regularizer is
# a compromise. A toy model shows this: weight rows ($M = 100$, Eq. 10 init) receive a learning drive
# that pushes their norms up — a fixed direction per row plus noise, fading as the error shrinks
# (`widgets_learning.regularizer_trajectories`) — plus one regularizer. For a fair comparison L2 gets
# $\lambda_{L2} = \beta\lambda$, the exponential's decay rate at $\sum w^2 = 1$.
#
# Here are the three trajectories, unlabeled (`nb06.mystery_curves` runs the toy model and hands them
# back by letter):

# %%
mystery = nb06.mystery_curves(steps=3000 if QUICK else 6000)
fig, ax = plt.subplots(figsize=(7, 3.2))
for letter in ("A", "B", "C"):
    ax.plot(mystery[letter], lw=1.5, label=f"curve {letter}")
ax.plot(mystery["none"], ":", color="0.6", label="no regularizer")
ax.axhline(1, color="k", lw=0.6); ax.set_yscale("log")
ax.set_xlabel("learning step"); ax.set_ylabel("Σ_j w_ij² (mean over rows)"); ax.legend(fontsize=8); plt.show()


# %% [markdown]
# **EXERCISE.** Which curve is which? Make `my_which_regularizer()` return a dict mapping `"A"`, `"B"`,
# `"C"` to `"l2"`, `"max-norm"` or `"exponential"`.

# %% nbgrader={"grade": false, "grade_id": "nb06_my_which_regularizer", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_which_regularizer():
    ### BEGIN SOLUTION
    return {"A": "exponential", "B": "l2", "C": "max-norm"}
    ### END SOLUTION


# %% tags=["check"]
nb06.check_which_regularizer(my_which_regularizer)

# %% [markdown]
# Now the labeled explorer: move λ and β (paper: β = 10, λ = 0.002..0.04) and the strength of the
# drive. Large β makes the exponential regularizer behave like max-norm; small β like L2.

# %%
from snnlab.widgets_learning import regularizer_explorer
reg = regularizer_explorer()
reg.widget


# %% [markdown]
# ## 3. Threshold regularization and dead neurons — 20 min
#
# In a WTA layer a few neurons win most competitions; their weights grow, they win even more, and
# the others fall silent for good: *dead neurons* (no spikes → no error → no learning). Section 2.3.2:
# when $N_w$ of the $N$ neurons fire after an input event, **their thresholds rise by $\rho N$, then all
# $N$ thresholds fall by $\rho N_w$** ($\rho$ = 0.00004..0.0002). The changes sum to zero over the layer:
# active neurons become less sensitive, silent ones more.
#
# The paper applies this during the forward pass with batch size 1. In batched training, `snnlab`
# sums the changes over all events of all samples of the batch and applies them after the batch:
# with $c_i$ = spikes of neuron $i$ in the batch and $C = \sum_i c_i$,
# $\Delta V_{th,i} = \rho\,(N c_i - C)$.
#
# **EXERCISE.** Write `my_threshold_reg(counts, rho)`: `counts` is (B, N) spike counts; return the (N,)
# threshold changes of the batch.

# %% nbgrader={"grade": false, "grade_id": "nb06_my_threshold_reg", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_threshold_reg(counts, rho):
    ### BEGIN SOLUTION
    c = np.asarray(counts, dtype=float).sum(axis=0)
    return rho * (c.size * c - c.sum())
    ### END SOLUTION


# %% tags=["check"]
nb06.check_threshold_reg(my_threshold_reg)

# %% [markdown]
# The batch sum equals the paper's per-event rule, replayed over the spikes of a live simulation
# (`LayerOutput.spike_k` tells which input event caused each spike):

# %%
from snnlab.events import EventBatch, make_events
from snnlab.layers import DenseLayer
rng = np.random.default_rng(9)
N = 6
layer = DenseLayer(rng.uniform(0, 1.2, (N, 3)), rng.uniform(0.5, 1.0, N), 0.02, 0.0005, kappa=-0.1)
evs = [make_events(np.sort(rng.uniform(0, 0.05, 60)), rng.integers(0, 3, 60)) for _ in range(2)]
out = layer.forward(EventBatch.from_list(evs, duration=0.05))
rho, per_event = 1e-3, np.zeros(N)
for b in range(2):
    for k in np.unique(out.spike_k[out.spike_b == b]):
        fired = out.spike_n[(out.spike_b == b) & (out.spike_k == k)]
        per_event[fired] += rho * N          # the N_w winners rise by rho N
        per_event -= rho * fired.size        # all N fall by rho N_w
print("spikes per neuron:          ", out.counts.sum(axis=0))
print("per-event rule (paper):     ", np.round(per_event, 4))
print("threshold_regularization:   ", np.round(R.threshold_regularization(out.counts, rho), 4))
print(f"sum over the layer:          {R.threshold_regularization(out.counts, rho).sum():.1e} (zero up to rounding)")

# %% [markdown]
# **Dead neurons in training.** We train a 784-100-10 network (hidden WTA κ = −0.4, output κ = −1,
# `snnlab.train.Trainer`, batches of 16 MNIST digits, 50 ms) for a few dozen batches, three ways:
# no threshold regularization, $\rho = 4\cdot10^{-5}$ (the paper's low end), and $\rho = 2\cdot10^{-4}$
# (the paper's high end — but summed over a batch of 16 the step is 16 times a per-sample step).
# Every few batches we count, on 50 fixed test digits, how many hidden neurons never fire.

# %%
import time
from snnlab.train import Trainer, TrainConfig, TrainingDiverged, encode_batch
n_batches = 15 if QUICK else 60
runs = {}
t0 = time.perf_counter()
for rho in (0.0, 4e-5, 2e-4):
    tr = Trainer(TrainConfig(hidden=(100,), batch_size=16, rho=rho, seed=0), progress=False)
    probe = encode_batch(tr.test_images[:50], tr.permutation, 0.05, 5000.0, np.random.default_rng(5))
    rng_b = np.random.default_rng(0)
    hist = {"batch": [], "dead": [], "th": [], "acc": [], "diverged": None}
    try:
        for b in range(n_batches + 1):
            if b % 5 == 0:
                counts = tr.net.forward(probe)[0].counts.sum(axis=0)
                hist["batch"].append(b); hist["dead"].append(float(np.mean(counts == 0)))
                hist["th"].append(tr.net.layers[0].threshold.copy())
                hist["counts"] = counts
            if b < n_batches:
                idx = rng_b.integers(0, 60000, 16)
                hist["acc"].append(tr.train_batch(tr.train_images[idx], tr.train_labels[idx], 0.05, rng_b)["accuracy"])
    except TrainingDiverged as err:          # the trainer's guard stopped this run: a result, not a crash
        hist["diverged"] = (b + 1, str(err))
    runs[rho] = hist
print(f"{sum(len(h['acc']) for h in runs.values())} training batches in {time.perf_counter() - t0:.1f} s")

fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(13, 3.4), layout="constrained")
for (rho, hist), c in zip(runs.items(), ("C3", "C0", "C1")):
    lab = f"ρ = {rho:g}" if rho else "no threshold regularization"
    a1.plot(hist["batch"], hist["dead"], "o-", color=c, label=lab)
    th = np.array(hist["th"])
    a2.plot(hist["batch"], np.median(th, axis=1), "-", color=c, label=lab)
    a2.fill_between(hist["batch"], th.min(axis=1), th.max(axis=1), color=c, alpha=0.15)
    a3.plot(np.sort(hist["counts"])[::-1] / 50, drawstyle="steps-mid", color=c, label=lab)
    if hist["diverged"]:
        for ax in (a1, a2):
            ax.axvline(hist["diverged"][0], color=c, ls="--", lw=1)
        a1.annotate("diverged", (hist["diverged"][0], 0.0), color=c, fontsize=7, rotation=90, va="bottom", ha="right")
a1.set_xlabel("training batch"); a1.set_ylabel("fraction of dead hidden neurons"); a1.legend(fontsize=7)
a2.set_xlabel("training batch"); a2.set_ylabel("hidden V_th (median, min-max band)"); a2.set_yscale("log")
a3.set_xlabel("hidden neuron (sorted)"); a3.set_ylabel("spikes per test digit (last probe)"); a3.set_yscale("symlog", linthresh=0.1)
plt.show()
print(f"{'':<28} {'batches':>7} {'dead hidden neurons':>20} {'hidden V_th':>13} {'train accuracy':>15}")
print(f"{'':<28} {'trained':>7} {'first -> last probe':>20} {'min..max':>13} {'last 5 batches':>15}")
for rho, hist in runs.items():
    lab = f"ρ = {rho:g}" if rho else "ρ = 0 (none)"
    dead = f"{hist['dead'][0]:.0%} -> {hist['dead'][-1]:.0%}"
    th = f"{hist['th'][-1].min():.3f}..{hist['th'][-1].max():.3f}"
    print(f"{lab:<28} {len(hist['acc']):>7} {dead:>20} {th:>13} {np.mean(hist['acc'][-5:]):>15.2f}")
for rho, hist in runs.items():
    if hist["diverged"]:
        print(f"\nρ = {rho:g} stopped in batch {hist['diverged'][0]} of {n_batches}: {hist['diverged'][1]}")

# %% [markdown]
# Without threshold regularization the winners keep winning and the fraction of dead hidden neurons
# grows from batch to batch; with $\rho = 4\cdot10^{-5}$ the thresholds of busy neurons rise, those
# of silent ones fall, and (almost) all neurons stay alive.
#
# **Too large a step.** $\rho = 2\cdot10^{-4}$, summed over a batch of 16, moves the thresholds 16
# times as far per step as the paper's per-sample rule: they spread far apart (the band in the middle
# panel), and the quietest neurons sink to the floor (1/5 of the initial threshold). A threshold held
# at the floor turns the rest of its decrease, $\rho\,(N c_i - C)$, into larger weights (mode "add",
# section 4 below), so those neurons fire more, the layer's spike count $C$ grows, the next decrease is
# larger: a loop. In full mode (60 batches) it runs away: the trainer's guard sees the firing explode
# and raises `snnlab.train.TrainingDiverged` (the line under the table says in which batch and layer).
# The cell catches it and plots what was recorded up to then (dashed line: where the run stopped); a
# training script stops there with that message. In quick mode (15 batches) the run has not got that
# far. Add `floor_mode="clip"` (thresholds stop at the floor, weights untouched) to its `TrainConfig`
# and the same run stays stable; the cure within the paper's rule is a smaller $\rho$, or a step
# scaled with the batch size or applied per sample.
#
# ## 4. The threshold floor: "scale" (note) vs "add" (paper) — 10 min
#
# Thresholds must not fall too far (tiny thresholds → runaway firing). The lower bound is 1/5 of the
# initial threshold (the value of the reading note; the paper gives none). A neuron whose threshold
# *wants* to go below the floor keeps the floor, and instead its weights change:
#
# * paper: "all weight values of the neuron are increased by the same amount" — `mode="add"`:
#   $w_{ij} \leftarrow w_{ij} + (\text{floor} - \text{wanted})$;
# * reading note: "proportionally" — `mode="scale"` (the default of `apply_threshold_floor`):
#   $w_{ij} \leftarrow w_{ij}\cdot \text{floor}/\text{wanted}$. Since scaling weights and threshold together
#   leaves $V/V_{th}$ unchanged, the neuron then fires *exactly* as if its threshold were `wanted`.
#
# One neuron with mixed-sign weights, threshold 0.4 wanted, floor 0.5:

# %%
from snnlab.events import poisson_encode
rng = np.random.default_rng(10)
w = rng.uniform(-0.2, 0.35, (1, 20))
wanted, floor = np.array([0.4]), 0.5
batch = EventBatch.from_list([poisson_encode(np.ones(20), 5000.0, 0.1, rng=s) for s in range(20)], duration=0.1)
as_if = DenseLayer(w, wanted, 0.02, 0.001).forward(batch).counts.sum()
print(f"threshold 0.4 (if it were allowed): {as_if} spikes")
for mode in ("scale", "add"):
    w2, th2 = R.apply_threshold_floor(w, wanted, wanted, floor, mode=mode)
    n = DenseLayer(w2, th2, 0.02, 0.001).forward(batch).counts.sum()
    print(f"mode={mode!r:8}: threshold {th2[0]:.2f}, weights {w.min():.3f}..{w.max():.3f} -> "
          f"{w2.min():.3f}..{w2.max():.3f}, {n} spikes")

# %% [markdown]
# "scale" reproduces the wanted behaviour exactly; "add" shifts every weight by the same amount, so a
# neuron with $M$ inputs gets an extra drive proportional to the *total* input rate, whatever the
# pattern — it becomes less selective, and with many inputs the shift can matter a lot more than the
# threshold change it replaces.
#
# Over many epochs the picture turns around. A hidden neuron that was told "fire less" again and
# again ends up with mostly *negative* weights; its threshold sinks to the floor, and "scale" then
# multiplies those negative weights — the neuron stays silent for good. "add" lifts every weight,
# so such a neuron comes back. In `results/` (see `results/INDEX.md`), 784-800-10 with "scale" had
# a growing fraction of hidden neurons that never fired, and with "add" it stayed at or near zero. So the trainer's
# default (`TrainConfig.floor_mode`) is the paper's "add"; both are offered. The cell below reads those
# two runs' per-epoch logs (nothing typed in):

# %%
from snnlab.dashboard import FLOOR_RUNS, results_dir
from snnlab.train import read_metrics
dead = {}
for mode, name in FLOOR_RUNS.items():
    metrics = read_metrics(results_dir() / name)
    if not metrics:
        print(f"results/{name}: not found (results/INDEX.md gives its command)")
        continue
    dead[mode] = {m["epoch"]: 100 * m["dead_fraction"][0] for m in metrics}
if dead:
    last = max(max(d) for d in dead.values())
    shown = [e for e in (1, 2, 3, 4, 5, 6, 7, 10, 20, 50, 100, 150, 200) if e <= last]
    print("hidden neurons that never fired in the epoch, % (first layer)")
    print(f"{'epoch':<22}" + "".join(f"{e:>6}" for e in shown) + f"{'max':>8}{'epochs':>8}")
    for mode, d in dead.items():
        cells = "".join(f"{d[e]:>6.1f}" if e in d else f"{'-':>6}" for e in shown)
        print(f"{'floor ' + repr(mode):<22}" + cells + f"{max(d.values()):>8.1f}{len(d):>8}")

# %% [markdown]
# **But "add" has a price in a layer without WTA.** In 784-500-500-10 the second hidden layer has no
# lateral inhibition (the paper's best setting), so its total spike count can grow. The zero-sum rule
# lowers every threshold by $\rho\,C$ ($C$ = the layer's spikes in the batch); neurons below the floor
# then get $+(\text{floor} - \text{wanted})$ on *each of their 500 weights*, fire more, $C$ grows, and
# the next deficit is larger: a loop. `results/ablations/500-500-sgd/whatif/` continued one checkpoint of
# that net in four ways (`benchmarks/watch_layers.py CHECKPOINT --set ...`); the cell prints how each
# ended (the last line of each file):

# %%
import re
from snnlab.dashboard import WHATIF_500_500, results_dir
whatif = results_dir() / WHATIF_500_500
print(f"{'variant':<11} {'batches':>7}  {'spikes/sample, last batch':>26}  how it ended")
print(f"{'':<11} {'':>7}  {'L1':>8} {'L2':>8} {'L3':>8}")
for variant in ("default", "norecenter", "rho0", "clip"):
    f = whatif / f"watch-{variant}.txt"
    if not f.exists():
        print(f"{f}: not found (results/INDEX.md gives its command)")
        continue
    lines = f.read_text().splitlines()
    batches = [line for line in lines if line.startswith("epoch")]
    spikes = re.search(r"spikes/sample\s+([\d\s]+)\|", batches[-1]).group(1).split() if batches else []
    diverged = [line for line in lines if line.startswith("DIVERGED")]
    ended = diverged[0].split(". ")[0] if diverged else "still stable at the last batch"
    print(f"{variant:<11} {len(batches):>7}  " + " ".join(f"{int(n):>8}" for n in spikes) + f"  {ended}")

# %% [markdown]
# Only the variants whose floor leaves the weights alone (`rho = 0`, or `floor_mode="clip"`) stay
# stable, so the loop runs through the floor's weight growth. `TrainConfig.floor_mode` therefore also
# accepts `"clip"` and a tuple with one mode per layer. Whether that is enough to train 500-500 is
# recorded in `results/archive/HISTORY.md`.
#
# **Summary.** The exponential regularizer keeps $\sum_j w_{ij}^2$ near 1 (max-norm-like above,
# L2-like but weak below); threshold regularization ($\Delta V_{th,i} = \rho(N c_i - C)$, summing to zero)
# keeps WTA neurons alive; the threshold floor turns a too-low threshold into stronger weights.
# Next: notebook 07, training on PI-MNIST.
