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
# # 02 · Dynamic weight and the refractory period (Eq. 2)
#
# **Goal.** Understand the paper's refractory mechanism: after an output spike the *inputs* are scaled
# by a dynamic weight $w_{dyn}$ that recovers quadratically (Eq. 2); compare it with the textbook
# *hard* refractory period, which blocks the *output* instead.
# **Assumes.** Notebook 01.
#
# | section | time |
# |---|---|
# | 1. The dynamic weight (Eq. 2) — exercise | 8 min |
# | 2. How long until the weight is back? — exercise | 5 min |
# | 3. Explorer: dynamic weight vs hard refractory period | 10 min |
# | 4. Inputs during the refractory period: lost or kept? | 7 min |
# | 5. Implement the hard refractory period — exercise | 12 min |

# %%
import os
import numpy as np
import matplotlib.pyplot as plt
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

from snnlab.events import make_events, poisson_encode
from snnlab.neuron import dynamic_weight, simulate_neuron, membrane_between_events
from snnlab.teaching import simulate_variant, regular_events
from snnlab.exercises import nb02


# %% [markdown]
# ## 1. The dynamic weight (Eq. 2) — 8 min
#
# $$w_{dyn} = \begin{cases} (\Delta t / T_{ref})^2 & \text{if } \Delta t < T_{ref} \text{ and } w_{dyn} < 1\\ 1 & \text{otherwise}\end{cases}
# \qquad \Delta t = t_p - t_{out}$$
#
# $t_{out}$ is the time of the neuron's latest output spike *or* of the latest lateral inhibition it
# received (notebook 03). The paper writes $\Delta t = t_{out} - t_p$; the square hides the sign.
# The input of Eq. 1 is multiplied by $w_{dyn}$: zero right after the spike, back to full weight after
# $T_{ref}$ (paper: 1 ms). `T_ref = 0` switches the mechanism off. In `snnlab`:
# `snnlab.neuron.dynamic_weight(t, t_out, T_ref)`.
#
# **EXERCISE.** Write `my_w_dyn(t, t_out, T_ref)` (`t_out = -inf` means "never fired").

# %% nbgrader={"grade": false, "grade_id": "nb02_my_w_dyn", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_w_dyn(t, t_out, T_ref):
    ### BEGIN SOLUTION
    if T_ref == 0:
        return 1.0
    return min(1.0, ((t - t_out) / T_ref) ** 2)
    ### END SOLUTION


# %% tags=["check"]
nb02.check_w_dyn(my_w_dyn)

# %% [markdown]
# The library function (dots) with Eq. 2 (dashed), for three values of T_ref:

# %%
fig, ax = plt.subplots(figsize=(6, 2.8))
dt = np.linspace(0, 0.004, 400)
for T, c in ((0.0005, "C0"), (0.001, "C1"), (0.002, "C2")):
    pts = np.linspace(0, 0.004, 21)
    ax.plot(pts * 1e3, [dynamic_weight(p, 0.0, T) for p in pts], "o", color=c, ms=4,
            label=f"dynamic_weight, T_ref = {T*1e3:g} ms")
    ax.plot(dt * 1e3, np.minimum(1, (dt / T) ** 2), "--", color=c, lw=1)
ax.set_xlabel("time since the output spike (ms)"); ax.set_ylabel("w_dyn"); ax.legend(fontsize=8); plt.show()


# %% [markdown]
# ## 2. How long until the weight is back? — 5 min
#
# **EXERCISE.** Write `my_recovery_time(fraction, T_ref)`: the time after an output spike at which
# $w_{dyn}$ reaches `fraction` (between 0 and 1). Once it is right, the check prints your times for
# a few fractions next to the library's $w_{dyn}$ at those times.

# %% nbgrader={"grade": false, "grade_id": "nb02_my_recovery_time", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_recovery_time(fraction, T_ref):
    ### BEGIN SOLUTION
    return T_ref * np.sqrt(fraction)
    ### END SOLUTION


# %% tags=["check"]
nb02.check_recovery_time(my_recovery_time)

# %% [markdown]
# ## 3. Explorer: dynamic weight vs hard refractory period — 10 min
#
# Top: $w_{dyn}$ *measured* in `simulate_neuron` (a spike at $t=0$, then one probe input; dots) over
# Eq. 2 (dashed). Middle: the same Poisson input drives the paper's neuron (dynamic weight) and a
# neuron with a **hard** refractory period (`snnlab.teaching.simulate_variant(refractory="hard")`:
# every input is integrated in full, but firing is blocked for $T_{ref}$). Bottom: their spikes.
#
# Try T_ref = 0 (both identical), then 3-10 ms with a high input rate: the hard neuron's membrane
# keeps climbing during the blocked period, and with reset by subtraction the excess piles up, so it
# ends up firing at its maximum rate $1/T_{ref}$ whatever the input; with the dynamic weight the input
# arriving right after a spike is (partly) *lost*.

# %%
from snnlab.widgets import refractory_explorer
refr = refractory_explorer()
refr.widget

# %% [markdown]
# ## 4. Inputs during the refractory period: lost or kept? — 7 min
#
# One strong input makes the neuron fire at 10 ms; three inputs of 0.4 follow at 10.2, 10.5 and
# 10.8 ms, inside $T_{ref} = 1$ ms; then a single weak input at 12 ms.

# %%
ev = make_events([0.010, 0.0102, 0.0105, 0.0108, 0.012], [0, 1, 1, 1, 1])
w, T, tau = [1.0, 0.4], 0.001, 0.020
dyn = simulate_variant(ev, w, 1.0, tau, T, refractory="dynamic", record=True)
hard = simulate_variant(ev, w, 1.0, tau, T, refractory="hard", record=True)
tg = np.sort(np.r_[np.linspace(0.009, 0.014, 800), ev["t"], ev["t"] - 1e-9])
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(tg * 1e3, membrane_between_events(dyn, tg, tau), label="dynamic weight (paper)")
ax.plot(tg * 1e3, membrane_between_events(hard, tg, tau), color="C3", label="hard refractory")
ax.axvspan(10, 11, color="0.9", label="T_ref after the spike"); ax.axhline(1, color="0.5", lw=0.8)
ax.set_xlabel("time (ms)"); ax.set_ylabel("V_mp"); ax.legend(fontsize=8); plt.show()
wd = [dynamic_weight(t, 0.010, T) for t in (0.0102, 0.0105, 0.0108)]
print("w_dyn of the three inputs:", np.round(wd, 3), "-> charge let in:", round(0.4 * sum(wd), 3), "of 1.2")
print("spikes, dynamic weight:", dyn.spike_times[0])
print("spikes, hard refractory:", hard.spike_times[0])


# %% [markdown]
# With the dynamic weight the inputs inside the refractory period are mostly lost, so there is no
# second spike. With a hard refractory period the membrane integrates them all (it sits above
# threshold, but may not fire), and the neuron fires at the next input after $T_{ref}$.
#
# Why did the paper choose the dynamic weight? Because $t_{out}$ can be set *from outside*: the lateral
# inhibition of a winner-take-all circuit puts all competing neurons into the refractory state at
# once (notebook 03). A hard block of the output could not do that.
#
# ## 5. Implement the hard refractory period — 12 min
#
# **EXERCISE.** Write `my_simulate_hard(events, weights, v_th, tau_mp, T_ref)` for one neuron: the loop
# of notebook 01 (leak, integrate, fire, reset by subtraction, clip) where the neuron may only fire if
# at least `T_ref` has passed since its last spike. Return the list of spike times.

# %% nbgrader={"grade": false, "grade_id": "nb02_my_simulate_hard", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_simulate_hard(events, weights, v_th, tau_mp, T_ref):
    ### BEGIN SOLUTION
    v, t_prev, t_out, spikes = 0.0, 0.0, -np.inf, []
    for t, k in zip(events["t"], events["ch"]):
        v = v * np.exp(-(t - t_prev) / tau_mp) + weights[k]
        if t - t_out >= T_ref and v >= v_th:
            spikes.append(float(t))
            t_out = t
            v -= v_th
        v = max(v, -v_th)
        t_prev = t
    return spikes
    ### END SOLUTION


# %% tags=["check"]
nb02.check_simulate_hard(my_simulate_hard)

# %% [markdown]
# Next: **03_winner_take_all.ipynb**.
