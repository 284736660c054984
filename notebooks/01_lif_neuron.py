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
# # 01 · The LIF neuron, event-driven (Eqs. 1 and 3)
#
# **Goal.** Understand and implement the event-driven leaky integrate-and-fire neuron of Lee et al.
# (2016, section 2.1.1): exact leak between events, threshold, reset by subtraction, clipping at
# $-V_{th}$; check it against an independent simulator (Brian2).
# **Assumes.** Notebook 00; numpy; the exponential function.
#
# | section | time |
# |---|---|
# | 1. Leak between events (Eq. 1) — exercise | 8 min |
# | 2. One input event: integrate, fire, reset, clip (Eqs. 1, 3) — exercise | 12 min |
# | 3. When does the first spike come? (analytic) — exercise | 12 min |
# | 4. Explorer: sliders, Brian2 overlay, spike table | 10 min |
# | 5. Bug hunt — exercise | 10 min |
#
# In this notebook the dynamic weight (Eq. 2) is switched off (`T_ref=0`); notebook 02 is about it.

# %%
import os
import numpy as np
import matplotlib.pyplot as plt
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

from snnlab.events import make_events
from snnlab.neuron import leak, simulate_neuron, membrane_between_events
from snnlab.teaching import regular_events, first_crossing_time
from snnlab import plots
from snnlab.exercises import nb01


# %% [markdown]
# ## 1. Leak between events (Eq. 1) — 8 min
#
# Between two input events nothing arrives, and the membrane obeys $\dot V = -V/\tau_{mp}$. Its exact
# solution gives the first term of **Eq. 1**:
#
# $$V_{mp}(t_p) = V_{mp}(t_{p-1})\, e^{(t_{p-1}-t_p)/\tau_{mp}} + w_i^{(p)} w_{dyn}$$
#
# No time step is needed: the neuron is updated only when an event arrives ("lazy", exact).
# In `snnlab` this is `snnlab.neuron.leak(membrane, dt, tau_mp)`.
#
# **EXERCISE.** Write `my_leak(v, dt, tau_mp)`: the membrane `dt` seconds after it had value `v`.

# %% nbgrader={"grade": false, "grade_id": "nb01_my_leak", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_leak(v, dt, tau_mp):
    ### BEGIN SOLUTION
    return v * np.exp(-dt / tau_mp)
    ### END SOLUTION


# %% tags=["check"]
nb01.check_leak(my_leak)

# %% [markdown]
# The library's event-driven neuron after one input of weight $w$ at $t=0$: simulated (solid) and
# the analytic $w\,e^{-t/\tau_{mp}}$ (dashed).

# %%
tau, w = 0.020, 0.8
ev = make_events([0.0], [0])
res = simulate_neuron(ev, [w], 1.0, tau_mp=tau, T_ref=0.0, record=True)
t = np.linspace(0, 0.1, 400)
fig, ax = plt.subplots(figsize=(6, 2.8))
ax.plot(t * 1e3, membrane_between_events(res, t, tau), label="simulate_neuron")
ax.plot(t * 1e3, w * np.exp(-t / tau), "k--", label="analytic w·exp(-t/τ)")
ax.set_xlabel("time (ms)"); ax.set_ylabel("V_mp"); ax.legend(); plt.show()
for dt in (0.005, 0.020, 0.060):
    print(f"after {dt*1e3:4.0f} ms: library leak {leak(w, dt, tau):.6f}   analytic {w*np.exp(-dt/tau):.6f}")


# %% [markdown]
# ## 2. One input event: integrate, fire, reset, clip — 12 min
#
# Per input event (see `snnlab/neuron.py`, which lists the steps):
#
# 1. **leak** to the event time (Eq. 1, first term);
# 2. **integrate**: add the weight, $V \leftarrow V + w$ (Eq. 1, second term, with $w_{dyn}=1$ here);
# 3. **fire**: if $V \ge V_{th}$ the neuron emits one spike (at most one per input event);
# 4. **reset by subtraction** (**Eq. 3**): $V \leftarrow V - V_{th}$ — the excess above threshold is kept;
# 5. **clip**: $V \leftarrow \max(V, -V_{th})$ (section 2.1.1; the reading note's "下限为 $V_{th}$" is a typo).
#
# **EXERCISE.** Write `my_event_step(v, dt, w, v_th, tau_mp)` returning `(v_new, spiked)` for one
# input event of weight `w` arriving `dt` seconds after the previous one.

# %% nbgrader={"grade": false, "grade_id": "nb01_my_event_step", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_event_step(v, dt, w, v_th, tau_mp):
    ### BEGIN SOLUTION
    v = v * np.exp(-dt / tau_mp) + w
    spiked = v >= v_th
    if spiked:
        v = v - v_th
    v = max(v, -v_th)
    return v, bool(spiked)
    ### END SOLUTION


# %% tags=["check"]
nb01.check_event_step(my_event_step)

# %% [markdown]
# **Reset by subtraction and clipping, seen in a simulation.** Because Eqs. 1 and 3 are linear, the
# membrane is exactly the superposition $V(t) = \sum_p w_p e^{-(t-t_p)/\tau} - V_{th}\sum_q e^{-(t-t_q)/\tau}$
# over input events $t_p$ and output spikes $t_q$ (this is the decomposition behind Eqs. 4-5) — *as
# long as the clip never acts*. With strongly inhibitory inputs the clip acts and the simulated
# membrane (solid) leaves the closed form (dashed):

# %%
rng = np.random.default_rng(2)
t_in = np.sort(rng.uniform(0, 0.1, 60))
ch = rng.integers(0, 2, t_in.size)
weights = np.array([0.45, -0.9])                 # channel 1 is inhibitory
ev = make_events(t_in, ch)
res = simulate_neuron(ev, weights, 1.0, tau_mp=0.02, T_ref=0.0, record=True)
tg = np.sort(np.r_[np.linspace(0, 0.1, 2000), ev["t"], ev["t"] - 1e-9])
closed = plots.superposition_trace(tg, ev["t"], weights[ev["ch"]], res.spike_times[0], 1.0, 0.02)
fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(tg * 1e3, membrane_between_events(res, tg, 0.02), label="simulate_neuron (with clip)")
ax.plot(tg * 1e3, closed, "k--", lw=1, label="closed form (no clip)")
ax.axhline(1.0, color="0.5", lw=0.8); ax.axhline(-1.0, color="0.5", lw=0.8, ls=":")
ax.set_xlabel("time (ms)"); ax.set_ylabel("V_mp"); ax.legend(fontsize=8); plt.show()
print("clip acted at", int(np.sum(res.trace_v[0] == -1.0)), "events; output spikes:", len(res.spike_times[0]))


# %% [markdown]
# ## 3. When does the first spike come? — 12 min
#
# Regular input: one event of weight $w$ every $1/r$ seconds (the first at $1/r$). With
# $q = e^{-1/(r\tau_{mp})}$, Eq. 1 gives after $n$ inputs (no spike yet)
#
# $$V_n = w\,(1 + q + \dots + q^{n-1}) = w\,\frac{1-q^n}{1-q}.$$
#
# The neuron fires at the first whole $n$ with $V_n \ge V_{th}$, at time $n/r$. If $w/(1-q) < V_{th}$
# the membrane saturates below threshold and the neuron never fires.
#
# **EXERCISE.** Write `my_first_crossing_time(w, v_th, tau_mp, rate)` (seconds; `np.inf` if never).

# %% nbgrader={"grade": false, "grade_id": "nb01_my_first_crossing_time", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_first_crossing_time(w, v_th, tau_mp, rate):
    ### BEGIN SOLUTION
    q = np.exp(-1.0 / (rate * tau_mp))
    arg = 1 - v_th * (1 - q) / w
    if arg <= 0:
        return np.inf
    n = np.ceil(np.log(arg) / np.log(q))
    return n / rate
    ### END SOLUTION


# %% tags=["check"]
nb01.check_first_crossing_time(my_first_crossing_time)

# %% [markdown]
# The library's analytic formula (`snnlab.teaching.first_crossing_time`) next to the simulation:

# %%
print(f"{'rate (eps)':>10} {'analytic (ms)':>14} {'simulated (ms)':>15}")
for rate in (100, 200, 500, 1000, 2000):
    ev = regular_events(rate, 0.5)
    sim = simulate_neuron(ev, [0.3], 1.0, tau_mp=0.02, T_ref=0.0).spike_times[0]
    print(f"{rate:>10} {first_crossing_time(0.3, 1.0, 0.02, rate) * 1e3:>14.3f} "
          f"{(sim[0] if sim else np.inf) * 1e3:>15.3f}")

# %% [markdown]
# ## 4. Explorer: τ_mp, V_th, input rate — and Brian2 — 10 min
#
# Move the sliders (the figure redraws when you release one). Solid: the event-driven neuron
# (`snnlab.neuron.simulate_neuron`); dotted: the same neuron built in **Brian2**
# (`snnlab.brian.brian_membrane_trace`, clock-driven, 10 µs steps, input times on that grid);
# dashed: the closed form of section 2; the vertical dash-dot line: the analytic first spike
# (section 3). The table under the figure compares the spike times of the two simulators.
#
# Try: a longer τ_mp (less leak, earlier first spike); a rate so low that $w/(1-q) < V_{th}$ (no spike).

# %%
from snnlab.widgets import lif_explorer
lif = lif_explorer()
lif.widget

# %%
print(lif.text)      # the same spike table, as text


# %% [markdown]
# ## 5. Bug hunt — 10 min
#
# A student wrote this loop for one neuron (no refractory period). It runs, but its spikes differ
# from `simulate_neuron` — below, the same regular input train into both. Find the bug (the check
# under your answer explains it once you have fixed it).

# %%
def buggy_simulate(events, weights, v_th, tau_mp):
    v, spikes = 0.0, []
    for t, k in zip(events["t"], events["ch"]):
        v = v * np.exp(-t / tau_mp)
        v = v + weights[k]
        if v >= v_th:
            spikes.append(float(t))
            v = v - v_th
        v = max(v, -v_th)
    return spikes

rate, duration, w = 400.0, 0.1, 0.3
ev = regular_events(rate, duration)
print(f"spike times (s); input: weight {w} at {rate:g} events/s for {duration * 1e3:g} ms, V_th = 1, tau_mp = 20 ms")
print("  buggy_simulate: ", np.round(buggy_simulate(ev, [w], 1.0, 0.02), 4))
print("  simulate_neuron:", np.round(simulate_neuron(ev, [w], 1.0, tau_mp=0.02, T_ref=0.0).spike_times[0], 4))


# %% [markdown]
# **EXERCISE.** Write the corrected `my_simulate` (same arguments, returns the list of spike times).

# %% nbgrader={"grade": false, "grade_id": "nb01_my_simulate", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_simulate(events, weights, v_th, tau_mp):
    ### BEGIN SOLUTION
    v, t_prev, spikes = 0.0, 0.0, []
    for t, k in zip(events["t"], events["ch"]):
        v = v * np.exp(-(t - t_prev) / tau_mp)
        v = v + weights[k]
        if v >= v_th:
            spikes.append(float(t))
            v = v - v_th
        v = max(v, -v_th)
        t_prev = t
    return spikes
    ### END SOLUTION


# %% tags=["check"]
nb01.check_simulate(my_simulate)

# %% [markdown]
# **Summary.** Eq. 1 (exact leak + input), Eq. 3 (reset by subtraction) and the clip at $-V_{th}$ are
# the whole neuron; an event-driven simulator updates it only at input events, and it agrees with a
# clock-driven Brian2 simulation spike for spike. Next: **02_dynamic_weight.ipynb**.
