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
# # 03 · Winner-take-all: lateral inhibition (section 2.1.2)
#
# **Goal.** Understand the paper's WTA circuit: every spike of a neuron lowers the membrane of every
# *other* neuron of the group by $\kappa V_{th,i}$ — proportional to the **inhibited** neuron's own
# threshold — and puts it into the refractory state (Eq. 2 with $t_{out,i} \leftarrow t$). See why
# the losers are made refractory.
# **Assumes.** Notebooks 01 and 02.
#
# | section | time |
# |---|---|
# | 1. One WTA step — exercise | 12 min |
# | 2. Inhibition proportional to V_th — exercise | 8 min |
# | 3. Explorer: κ, group size, rasters | 10 min |
# | 4. Why the inhibited neurons become refractory | 10 min |
# | 5. How sparse? A κ sweep — exercise | 10 min |

# %%
import os
import numpy as np
import matplotlib.pyplot as plt
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

from snnlab.events import make_events, poisson_encode
from snnlab.neuron import simulate_group
from snnlab.teaching import simulate_variant, winner_share, steal_rate
from snnlab import plots
from snnlab.exercises import nb03


# %% [markdown]
# ## 1. One WTA step — 12 min
#
# After the input of an event has been integrated (Eq. 1), in a WTA layer with strength
# $-1 \le \kappa \le 0$ (paper: −0.4 in hidden layers):
#
# 1. every neuron with $V_i \ge V_{th,i}$ fires and resets, $V_i \leftarrow V_i - V_{th,i}$ (Eq. 3);
# 2. every neuron $i$ receives $\kappa V_{th,i}$ **for each spike of another neuron** (the form used in
#    Eq. 5, with all lateral strengths equal) — the winner does not inhibit itself;
# 3. every inhibited neuron becomes refractory: $t_{out,i} \leftarrow t$, so its $w_{dyn}$ drops to 0 (Eq. 2);
# 4. clip: $V_i \leftarrow \max(V_i, -V_{th,i})$.
#
# In `snnlab`: `snnlab.neuron.simulate_group(..., kappa=...)` (the WTA block of its loop).
#
# **EXERCISE.** Write `my_wta_step(v, v_th, kappa)` for arrays `v` (membranes after integration)
# and `v_th`; return `(v_new, fired, refractory)` — `fired` and `refractory` are boolean arrays
# (`refractory[i]`: neuron $i$'s $t_{out}$ is set to now).

# %% nbgrader={"grade": false, "grade_id": "nb03_my_wta_step", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_wta_step(v, v_th, kappa):
    ### BEGIN SOLUTION
    v = np.array(v, dtype=float)
    fired = v >= v_th
    v[fired] -= v_th[fired]
    n_fired = fired.sum()
    n_other = n_fired - fired                     # spikes of the *other* neurons
    v += kappa * v_th * n_other
    if kappa != 0 and n_fired > 0:
        refractory = np.ones(v.size, dtype=bool)
    else:
        refractory = fired.copy()
    v = np.maximum(v, -v_th)
    return v, fired, refractory
    ### END SOLUTION


# %% tags=["check"]
nb03.check_wta_step(my_wta_step)


# %% [markdown]
# ## 2. Inhibition proportional to the inhibited neuron's threshold — 8 min
#
# Neurons with a large $V_{th}$ are inhibited strongly, those with a small $V_{th}$ weakly. With the
# threshold regularization of notebook 06, very active neurons get larger thresholds, so this balances
# the activity (section 2.1.2).
#
# **EXERCISE.** A neuron sits at $V = v$ ($0 \le v < V_{th}$). Other neurons of its group fire one
# after the other (no leak, no input to our neuron). Write `my_spikes_to_floor(v, v_th, kappa)`: how
# many of their spikes does it take until our neuron sits at the floor $-V_{th}$? (`np.inf` if never.)

# %% nbgrader={"grade": false, "grade_id": "nb03_my_spikes_to_floor", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_spikes_to_floor(v, v_th, kappa):
    ### BEGIN SOLUTION
    if kappa == 0:
        return np.inf
    return int(np.ceil((v + v_th) / (-kappa * v_th)))
    ### END SOLUTION


# %% tags=["check"]
nb03.check_spikes_to_floor(my_spikes_to_floor)

# %% [markdown]
# The same in `simulate_group`: two neurons with $V_{th} = 1$ and $2$ start at $V = 0.3\,V_{th}$; a third
# neuron fires at every event (κ = −0.4). Solid: simulated; dashed: $\max(v + n\kappa V_{th}, -V_{th})$.
# Both reach the floor after the same number of spikes — the inhibition is *relative* to $V_{th}$.

# %%
kappa, th = -0.4, np.array([1.0, 2.0, 1.0])
n = 6
ev = make_events(np.arange(n + 1) * 1e-4, np.r_[0, np.ones(n, int)])
W = np.array([[0.3, 0.0], [0.6, 0.0], [0.0, 1.0]])      # neuron 2 fires at every event from 1 on
res = simulate_group(ev, W, th, tau_mp=1e6, T_ref=0.0, kappa=kappa, record=True)
k = np.arange(n + 1)
fig, ax = plt.subplots(figsize=(6, 2.8))
for i, c in ((0, "C0"), (1, "C1")):
    ax.plot(k, res.trace_v[i], "o-", color=c, label=f"simulate_group, V_th = {th[i]:g}")
    ax.plot(k, np.maximum(W[i, 0] + k * kappa * th[i], -th[i]), "--", color="k", lw=1)
ax.set_xlabel("spikes of the other neuron"); ax.set_ylabel("V_mp"); ax.legend(fontsize=8); plt.show()
print("simulated V:", np.round(res.trace_v[:2], 3))

# %% [markdown]
# ## 3. Explorer: κ, group size, refractoriness — 10 min
#
# A group of N neurons (random positive weights, thresholds 0.8-1.2) receives the same Poisson input
# (20 channels, 5 keps, 100 ms). Left: spike raster; right: spikes per neuron. The title reports the
# total, the *winner share* (fraction of spikes from the most active neuron) and the *stolen* fraction
# (spikes fired within $T_{ref}$ after another neuron's spike, `snnlab.teaching.steal_rate`).
#
# Try κ = 0 (independent neurons), −0.4 (paper, hidden layers), −1 (output layer); then untick
# "inhibition makes the losers refractory".

# %%
from snnlab.widgets import wta_explorer
wta = wta_explorer()
wta.widget

# %% [markdown]
# ## 4. Why the inhibited neurons become refractory — 10 min
#
# The paper (section 2.1.1): lateral inhibition "simultaneously puts all neurons competing in a WTA
# into the refractory state. This ensures that the winning neuron gets another chance to win the
# competition, since otherwise another neuron could fire while only the winner has to reset its
# membrane potential after generating a spike."
#
# Without it, right after a spike the winner is refractory (its inputs scaled by $w_{dyn} \approx 0$)
# while the losers keep integrating at full weight — they catch up and fire during the winner's
# refractory period. We run the same group both ways (`simulate_variant(inhibited_refractory=...)`).

# %%
rng = np.random.default_rng(5)
N, M = 10, 20
W = rng.uniform(0.0, 0.25, (N, M)); th = rng.uniform(0.8, 1.2, N)
ev = poisson_encode(rng.uniform(0.2, 1.0, M), total_rate=5000.0, duration=0.1, rng=6)
fig, axes = plt.subplots(1, 2, figsize=(10, 3), sharey=True)
for ax, flag in zip(axes, (True, False)):
    r = simulate_variant(ev, W, th, 0.02, 0.001, -0.4, inhibited_refractory=flag)
    plots.raster(ax, r.spike_times)
    ax.set_title(f"losers refractory: {flag}\n{sum(map(len, r.spike_times))} spikes, "
                 f"winner share {winner_share(r.spike_times):.2f}, stolen {steal_rate(r.spike_times, 0.001):.2f}",
                 fontsize=9)
plt.show()
same = simulate_group(ev, W, th, 0.02, 0.001, -0.4).spike_times == \
       simulate_variant(ev, W, th, 0.02, 0.001, -0.4).spike_times
print("simulate_variant with the paper's choice == snnlab.neuron.simulate_group:", same)


# %% [markdown]
# With the paper's rule almost no spike is "stolen": after each spike every neuron restarts from a
# refractory state, and the neuron with the strongest input (often the previous winner) wins again.
# Without it, about half of the spikes come from other neurons right after a spike, the group fires
# more and is less selective.
#
# ## 5. How sparse? A κ sweep — 10 min
#
# **EXERCISE.** Write `my_winner_share(spike_times)`: the fraction of all spikes of the group emitted
# by its most active neuron (`spike_times` is a list with one list of times per neuron; 0.0 if
# nobody fired).

# %% nbgrader={"grade": false, "grade_id": "nb03_my_winner_share", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_winner_share(spike_times):
    ### BEGIN SOLUTION
    counts = [len(s) for s in spike_times]
    total = sum(counts)
    return max(counts) / total if total > 0 else 0.0
    ### END SOLUTION


# %% tags=["check"]
nb03.check_winner_share(my_winner_share)

# %%
kappas = np.linspace(-1, 0, 5 if QUICK else 11)
share = {True: [], False: []}; total = {True: [], False: []}
for kappa in kappas:
    for flag in (True, False):
        r = simulate_variant(ev, W, th, 0.02, 0.001, kappa, inhibited_refractory=flag)
        share[flag].append(winner_share(r.spike_times)); total[flag].append(sum(map(len, r.spike_times)))
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
for flag, st in ((True, "o-"), (False, "s--")):
    lab = "losers refractory (paper)" if flag else "losers not refractory"
    a1.plot(kappas, share[flag], st, label=lab); a2.plot(kappas, total[flag], st, label=lab)
a1.set_xlabel("κ"); a1.set_ylabel("winner share"); a2.set_xlabel("κ"); a2.set_ylabel("spikes in 100 ms")
a2.set_yscale("log"); a1.legend(fontsize=8); plt.show()

# %% [markdown]
# Stronger inhibition (κ → −1) means fewer spikes and a larger share for the winner. The paper found
# κ = −0.4 best for the hidden layers on MNIST (Fig. 3; notebook 07 reproduces that sweep).
#
# **Summary.** A WTA spike changes every other neuron by $\kappa V_{th,i}$ and makes it refractory
# through the dynamic weight; this is why the paper uses $w_{dyn}$ rather than a hard refractory
# period. Next: notebook 04, deriving the gradient.
