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
# # 04 · Deriving the gradient (Eqs. 4-9, and the sign of Eq. 13)
#
# **Goal.** See where the paper's backward pass comes from: the spike *traces* $x_k$, $a_i$ (Eq. 4),
# the exact decomposition of the membrane potential (Eq. 5), the transfer function obtained by setting
# the residual to zero (Eq. 6), and its derivatives (Eqs. 7-9) — each checked numerically on a live
# simulation or by finite differences. You settle a sign question the paper gets wrong (Eq. 13).
# **Assumes.** Notebooks 01-03; the chain rule; a little linear algebra (a matrix inverse).
#
# | section | time |
# |---|---|
# | 1. Traces $x_k$, $a_i$ (Eq. 4) — exercise; when to read them | 15 min |
# | 2. The membrane decomposition (Eq. 5) on a live simulation | 10 min |
# | 3. The transfer function (Eq. 6) vs a simulated neuron | 10 min |
# | 4. Derivatives (Eqs. 7-9) vs finite differences; why Eq. 9 needs $\mu = |\kappa|$ — exercise | 15 min |
# | 5. The threshold update: which sign? — two exercises | 15 min |
#
# Paper → code: Eq. 4 `snnlab.layers.traces` (`input_traces`, `output_traces`); Eq. 5
# `snnlab.learning.membrane_decomposition`; Eq. 6 `transfer_function`; Eq. 7 `da_dw`, `da_dthreshold`;
# Eqs. 8-9 `da_dx`, `wta_inverse_apply` (dense: `wta_matrix_inverse`); Eq. 13 `threshold_gradient`.

# %%
import os
import numpy as np
import matplotlib.pyplot as plt
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

from snnlab.events import make_events, EventBatch
from snnlab.layers import DenseLayer, input_traces, output_traces
from snnlab import learning as L
from snnlab.widgets_learning import trace_curve
from snnlab.exercises import nb04

# %% [markdown]
# ## 1. Traces $x_k$ and $a_i$ (Eq. 4) — 15 min
#
# The backward pass needs one number per synapse and per neuron that summarizes "how much spiking
# happened". Lee et al. use leaky spike counts with the membrane's own time constant (**Eq. 4**):
#
# $$x_k(t) = \sum_p e^{(t_p - t)/\tau_{mp}}, \qquad a_i(t) = \sum_q e^{(t_q - t)/\tau_{mp}}$$
#
# over the input spikes $t_p \le t$ of synapse $k$ and the output spikes $t_q \le t$ of neuron $i$.
# A trace jumps by 1 at each spike and decays like the membrane in between (Eq. 1 with weight 1 and
# no threshold). In `snnlab`: `snnlab.layers.traces`, and for a layer's forward pass
# `input_traces(out, n_in, tau_mp)` / `output_traces(out, tau_mp)` (read at the end of the window).
#
# A live simulation: a layer of 5 neurons, 8 input synapses, positive weights, weak WTA
# ($\kappa = -0.1$), 120 input events in 50 ms, window $T = 60$ ms. Solid: the trace updated event by
# event (a leaky counter); dashed: the sum of exponentials of Eq. 4 over the *simulated* spikes; dots:
# the library's value at $T$.

# %%
rng = np.random.default_rng(1)
N, M, tau, T = 5, 8, 0.020, 0.060
W = rng.uniform(0.0, 0.5, (N, M))
th = rng.uniform(0.6, 1.0, N)
ev = make_events(np.sort(rng.uniform(0, 0.05, 120)), rng.integers(0, M, 120))
layer = DenseLayer(W, th, tau_mp=tau, T_ref=0.0, kappa=-0.1)
out = layer.forward(EventBatch.from_list([ev], duration=T))
x = input_traces(out, M, tau)[0]          # Eq. 4 at t = T, one value per synapse
a = output_traces(out, tau)[0]            # Eq. 4 at t = T, one value per neuron
out_times = out.inputs.t[0, out.spike_k]  # output spike times (sample 0)
print("output spikes per neuron:", out.counts[0])

def leaky_counter(t_grid, spike_times, tau):
    """x jumps by 1 at each spike and decays with tau in between (event-driven form of Eq. 4)."""
    st, res, x, t_prev, j = np.sort(spike_times), [], 0.0, 0.0, 0
    for t in t_grid:
        while j < st.size and st[j] <= t:
            x = x * np.exp(-(st[j] - t_prev) / tau) + 1.0
            t_prev, j = st[j], j + 1
        res.append(x * np.exp(-(t - t_prev) / tau))
    return np.array(res)

tg = np.linspace(0, T, 1200)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.2))
for k, c in zip((0, 3, 6), ("C0", "C1", "C2")):
    st = ev["t"][ev["ch"] == k]
    ax1.plot(tg * 1e3, leaky_counter(tg, st, tau), color=c, lw=1.3, label=f"x_{k}(t)")
    ax1.plot(tg * 1e3, trace_curve(tg, st, tau), "k--", lw=0.8)
    ax1.plot([T * 1e3], [x[k]], "o", color=c)
for i, c in zip(range(3), ("C3", "C4", "C5")):
    st = out_times[out.spike_n == i]
    ax2.plot(tg * 1e3, leaky_counter(tg, st, tau), color=c, lw=1.3, label=f"a_{i}(t) ({len(st)} spikes)")
    ax2.plot(tg * 1e3, trace_curve(tg, st, tau), "k--", lw=0.8)
    ax2.plot([T * 1e3], [a[i]], "o", color=c)
ax1.set_title("input traces x_k (dashed: Eq. 4 sum; dots: input_traces)", fontsize=9)
ax2.set_title("output traces a_i (dashed: Eq. 4 sum; dots: output_traces)", fontsize=9)
for ax in (ax1, ax2):
    ax.set_xlabel("time (ms)"); ax.set_ylabel("trace"); ax.legend(fontsize=7)
plt.show()


# %% [markdown]
# **EXERCISE.** Write `my_trace(spike_times, t, tau_mp)`: the trace of Eq. 4 at time `t` (seconds) for
# one channel whose spikes happened at `spike_times` (a list, possibly including spikes after `t`).

# %% nbgrader={"grade": false, "grade_id": "nb04_my_trace", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_trace(spike_times, t, tau_mp):
    ### BEGIN SOLUTION
    st = np.asarray(spike_times, dtype=float)
    st = st[st <= t]
    return float(np.exp((st - t) / tau_mp).sum())
    ### END SOLUTION


# %% tags=["check"]
nb04.check_trace(my_trace)

# %% [markdown]
# ### When are the traces read? ("end" vs "integral")
#
# Eq. 4 defines the traces as functions of time, but the backward pass needs *one* number per sample.
# The literal reading is: at the end of the presentation window, $t = T$ (`readout="end"`). That
# weighs a spike at the very end by 1 and a spike 50 ms earlier by $e^{-2.5} \approx 0.08$: the
# gradient mostly sees the last few tens of ms. The alternative (`readout="integral"`) averages the
# trace over the window, $\frac{1}{T}\int_0^T x(t)\,dt = \frac{\tau_{mp}}{T}\sum_p \big(1 - e^{(t_p - T)/\tau_{mp}}\big)$,
# which favours the *early* spikes instead (a spike at $T - \tau_{mp}$ counts 63 % of an early one,
# a spike at $T$ nothing) and, like "end", does not grow with the window length. A third option,
# `readout="count"`, gives every spike $\tau_{mp}/T$ (the average trace under a steady rate), so it
# weighs all spikes alike, as the output counts of Eq. 16 do. The paper does not say which.
# `snnlab` implements all three (`traces(..., readout=...)`, whose default is the literal `"end"`).
# Which one trains better is an experiment: the trainer's default (`TrainConfig.readout`) is
# `"count"`, because it trained best on PI-MNIST; notebook 07 (section 5) prints the three runs side by
# side from their logs in `results/`.
# Below: the three readouts from the library, and the integral checked against a numerical integral
# of the trace.

# %%
x_end = input_traces(out, M, tau, readout="end")[0]
x_int = input_traces(out, M, tau, readout="integral")[0]
x_count = input_traces(out, M, tau, readout="count")[0]
tf = np.linspace(0, T, 20001)
numeric = [np.trapezoid(trace_curve(tf, ev["t"][ev["ch"] == k], tau), tf) / T for k in range(M)]
print(f"{'k':>2} {'spikes':>6} {'end':>8} {'integral':>9} {'numerical ∫x dt / T':>20} {'count':>8} {'spikes·τ/T':>11}")
for k in range(M):
    n_k = np.sum(ev['ch'] == k)
    print(f"{k:>2} {n_k:>6} {x_end[k]:>8.4f} {x_int[k]:>9.4f} {numeric[k]:>20.4f} {x_count[k]:>8.4f} {n_k * tau / T:>11.4f}")


# %% [markdown]
# ## 2. The membrane decomposition (Eq. 5) on a live simulation — 10 min
#
# Because Eqs. 1 and 3 and the lateral inhibition are all *linear* (each event adds a number that then
# decays with $\tau_{mp}$), the membrane at time $T$ is exactly the sum of the decayed contributions:
#
# $$V_i(T) = \underbrace{\sum_k w_{ik}\,x_k}_{\text{inputs}} \;-\; \underbrace{V_{th,i}\,a_i}_{\text{own resets}} \;+\; \underbrace{\sigma V_{th,i}\sum_{j\ne i}\kappa_{ij}\,a_j}_{\text{lateral inhibition}} \qquad \text{(Eq. 5)}$$
#
# with traces read at $T$ (`learning.membrane_decomposition(W, x, th, a, kappa, sigma)`). With
# $\sigma = 1$ this is *exact* — **as long as** nothing non-linear happens: no dynamic weight
# ($T_{ref} = 0$) and no clipping at $-V_{th}$ (positive weights, weak $\kappa$). The simulated
# membrane at $T$ is the last recorded one, decayed from the last event to $T$.

# %%
def eq5_vs_simulation(W, th, kappa, T_ref, ev, T=0.060, tau=0.020):
    out = DenseLayer(W, th, tau_mp=tau, T_ref=T_ref, kappa=kappa).forward(EventBatch.from_list([ev], duration=T))
    x, a = input_traces(out, W.shape[1], tau)[0], output_traces(out, tau)[0]
    v_sim = out.membrane[0] * np.exp(-(T - ev["t"][-1]) / tau)
    v_eq5 = L.membrane_decomposition(W, x, th, a, kappa, sigma=1.0)
    return v_sim, v_eq5, out, x, a

v_sim, v_eq5, _, _, _ = eq5_vs_simulation(W, th, -0.1, 0.0, ev)
print(f"{'neuron':>6} {'simulated V(T)':>15} {'Eq. 5':>15} {'difference':>11}")
for i in range(N):
    print(f"{i:>6} {v_sim[i]:>15.12f} {v_eq5[i]:>15.12f} {v_eq5[i] - v_sim[i]:>11.1e}")

# %% [markdown]
# The three terms for each neuron (bars) add up to the simulated membrane (black dots):

# %%
inp = W @ x
own = -th * a
lat = 1.0 * th * -0.1 * (a.sum() - a)
fig, ax = plt.subplots(figsize=(7, 3))
idx = np.arange(N)
ax.bar(idx - 0.25, inp, 0.25, label="Σ_k w_ik x_k (inputs)")
ax.bar(idx, own, 0.25, label="−V_th,i a_i (resets)")
ax.bar(idx + 0.25, lat, 0.25, label="σ V_th,i Σ κ a_j (inhibition)")
ax.plot(idx, v_sim, "ko", label="simulated V_i(T)")
ax.plot(idx, inp + own + lat, "w+", ms=10, mew=2, label="sum of the bars")
ax.axhline(0, color="0.5", lw=0.8); ax.set_xlabel("neuron"); ax.legend(fontsize=7, ncol=2); plt.show()

# %% [markdown]
# **When Eq. 5 becomes approximate.** Turn on the dynamic weight ($T_{ref} = 1$ ms: inputs right after
# a spike or an inhibition are scaled down), or allow negative weights and strong inhibition (the clip
# at $-V_{th}$ throws charge away). The decomposition then differs from the simulation; the table gives
# the largest difference in units of $V_{th}$ (the membrane lives in $[-V_{th}, V_{th})$).

# %%
W_mixed = rng.uniform(-0.5, 0.5, (N, M))
print(f"{'case':<52} {'max |Eq.5 - sim| / V_th':>24}")
for name, Wc, kappa, T_ref in [("exact: W >= 0, kappa = -0.1, T_ref = 0", W, -0.1, 0.0),
                               ("dynamic weight: T_ref = 1 ms", W, -0.1, 0.001),
                               ("clipping: weights of both signs, T_ref = 0", W_mixed, -0.1, 0.0),
                               ("strong WTA kappa = -0.4, T_ref = 1 ms, mixed W", W_mixed, -0.4, 0.001)]:
    v_sim, v_eq5, *_ = eq5_vs_simulation(Wc, th, kappa, T_ref, ev)
    print(f"{name:<52} {np.max(np.abs(v_eq5 - v_sim) / th):>24.3g}")

# %% [markdown]
# That is why the backward pass uses an *expected* efficacy $\sigma < 1$ for the inhibition term
# (paper: $\sigma \approx 0.5$): inhibited neurons are refractory and often sit at the floor, so only
# part of the nominal inhibition $\kappa V_{th}$ actually changes their membrane.
#
# ## 3. The transfer function (Eq. 6) vs a simulated neuron — 10 min
#
# Eq. 5 holds at any time; the residual $V_i$ is bounded ($-V_{th} \le V_i < V_{th}$) while the traces
# grow with the activity. Neglecting the residual ($V_i \approx 0$) gives the **transfer function**
# (**Eq. 6**, `learning.transfer_function(s, th, kappa, sigma)`):
#
# $$a_i \approx \frac{s_i}{V_{th,i}} + \sigma\sum_{j\ne i}\kappa_{ij}\,a_j, \qquad s_i = \sum_k w_{ik}x_k .$$
#
# For one neuron without WTA, averaged over time ($\langle x\rangle = r_{in}\tau_{mp}$,
# $\langle a\rangle = r_{out}\tau_{mp}$) it says $r_{out} \approx w\,r_{in}/V_{th}$: a straight line
# through the origin — the leak cancels because traces and membrane decay alike. Move the input rate:
# the dots are a simulated neuron (`DenseLayer`, 0.5 s of Poisson input, one batch over all rates);
# right: the output trace $a(t)$ vs $s(t)/V_{th}$ at the slider's rate — they differ by $V(t)/V_{th}$,
# never more than 1. With $T_{ref} > 0$ the dynamic weight makes the neuron saturate: Eq. 6 ignores it.

# %%
from snnlab.widgets_learning import transfer_explorer
tf_widget = transfer_explorer()
tf_widget.widget

# %%
rows = {"input rate r_in (eps)": tf_widget.rates, "measured r_out (eps)": tf_widget.measured,
        "Eq. 6: w r_in / V_th (eps)": tf_widget.predicted}
for label, values in rows.items():
    print(f"{label:<27}" + "".join(f"{v:>7.0f}" for v in values[:-1]))

# %% [markdown]
# The same check for the WTA layer of section 1: the traces at $T$ against Eq. 6 solved over the
# *active* neurons (the linear system $(I - \sigma K)\,a = s / V_{th}$), with $\sigma = 1$ (the actual
# inhibition) and $\sigma = 0.5$ (the paper's expected efficacy).

# %%
v_sim, v_eq5, out, x, a = eq5_vs_simulation(W, th, -0.1, 0.0, ev)
act = out.counts[0] > 0
s = (W @ x)[act]
for sigma in (1.0, 0.5):
    pred = L.transfer_function(s, th[act], -0.1, sigma)
    print(f"sigma = {sigma}: a measured {np.round(a[act], 3)}  Eq. 6 {np.round(pred, 3)}")
print("the gap is the neglected residual V_i / V_th,i (Eq. 5), here:", np.round((v_sim / th)[act], 3))


# %% [markdown]
# ## 4. Derivatives (Eqs. 7-9) vs finite differences — 15 min
#
# Differentiating Eq. 6 over the $n$ active neurons, $(I - \sigma K)\,a = \mathrm{diag}(g)\,s$ with
# $g_i = 1/V_{th,i}$ and $K_{ij} = \kappa$ ($i \ne j$), gives
#
# * **Eq. 7** (local): $\partial a_i / \partial w_{ik} = x_k / V_{th,i}$ (`da_dw`) and
#   $\partial a_i/\partial V_{th,i} = -\hat a_i / V_{th,i}$ with $\hat a_i = a_i - \sigma\sum_{j\ne i}\kappa a_j$
#   (`da_dthreshold`, `effective_activity`), both then spread over the group by $(I - \sigma K)^{-1}$;
# * **Eqs. 8-9**: $\partial a / \partial x = (I - \sigma K)^{-1}\,\mathrm{diag}(g)\,W$ (`da_dx`), where,
#   with equal $\kappa$ and $\mu = |\kappa|$ (Sherman-Morrison),
#   $$(I - \sigma K)^{-1} = \frac{1}{1 - \sigma\mu}\Big[I - \frac{\sigma\mu}{1 + \sigma\mu(n-1)}\,J\Big] \qquad \text{(Eq. 9, } J = \text{all ones)}$$
#   — O(n) instead of a matrix inversion (`wta_inverse_apply`; dense: `wta_matrix_inverse`).
#
# Central finite differences of the transfer function itself, against the library's closed forms:

# %%
def numeric_grad(f, v, h=1e-6):
    """Central finite differences of a scalar function f at v (any shape)."""
    g = np.zeros_like(v)
    for idx in np.ndindex(v.shape):
        vp, vm = v.copy(), v.copy()
        vp[idx] += h; vm[idx] -= h
        g[idx] = (f(vp) - f(vm)) / (2 * h)
    return g

rng4 = np.random.default_rng(3)
n, Mx, sigma = 4, 6, 0.5
Wg, xg, thg = rng4.uniform(-1, 1, (n, Mx)), rng4.uniform(0, 2, Mx), rng4.uniform(0.5, 1.5, n)
for kappa in (0.0, -0.4, -1.0):
    a_of = lambda W_, x_, th_: L.transfer_function(W_ @ x_, th_, kappa, sigma)
    a0 = a_of(Wg, xg, thg)
    inv = L.wta_matrix_inverse(n, kappa, sigma)
    i, k = 1, 2
    fd_w = numeric_grad(lambda w: a_of(np.where(np.arange(n)[:, None] == i, w, Wg), xg, thg)[i], Wg[i:i+1].copy())
    # d a_i / d w_ik for all k of row i, vs Eq. 7 spread by (I - sigma K)^-1 (its diagonal entry)
    eq7_w = inv[i, i] * L.da_dw(thg, xg)[i]
    fd_th = numeric_grad(lambda t_: a_of(Wg, xg, t_)[0], thg.copy())
    eq7_th = inv[0] * L.da_dthreshold(thg, a0, np.ones(n, bool), kappa, sigma)
    fd_x = np.stack([numeric_grad(lambda xx: a_of(Wg, xx, thg)[j], xg.copy()) for j in range(n)])
    rel = lambda u, v: np.max(np.abs(u - v)) / np.max(np.abs(v))
    print(f"kappa = {kappa:>4}: Eq. 7 (w) {rel(fd_w[0], eq7_w):.1e}   Eq. 7 (V_th) {rel(fd_th, eq7_th):.1e}"
          f"   Eqs. 8-9 (x) {rel(fd_x, L.da_dx(Wg, thg, kappa, sigma)):.1e}   (largest relative difference)")

# %% [markdown]
# **Why Eq. 9 needs $\mu = |\kappa|$.** The paper writes the formula with a $\mu$ that must be the
# *magnitude* of the (negative) lateral strength. Plug in the signed $\kappa$ instead and the
# denominator $1 + \sigma\kappa(n-1)$ becomes $1 - 0.2\,(n-1)$ for $\kappa = -0.4$, $\sigma = 0.5$: zero
# at $n = 6$ active neurons (and negative, i.e. nonsense, beyond) — although the true inverse exists for
# every $n$:

# %%
kappa, sigma = np.float64(-0.4), np.float64(0.5)    # numpy floats: 1/0 gives inf, not an exception
ns = np.arange(1, 13)
fig, ax = plt.subplots(figsize=(6, 2.8))
ax.plot(ns, 1 + sigma * abs(kappa) * (ns - 1), "o-", label="1 + σ|κ|(n−1)  (Eq. 9, μ = |κ|)")
ax.plot(ns, 1 + sigma * kappa * (ns - 1), "s--", color="C3", label="1 + σκ(n−1)  (signed κ)")
ax.axhline(0, color="k", lw=0.8); ax.set_xlabel("n, active neurons"); ax.set_ylabel("denominator")
ax.legend(fontsize=8); plt.show()
v = np.random.default_rng(0).normal(size=(1, 7))
for n in (5, 6, 7):
    dense = v[:, :n] @ L.wta_matrix_inverse(n, kappa, sigma).T
    closed = L.wta_inverse_apply(v[:, :n], np.ones((1, n), bool), kappa, sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        signed = (v[:, :n] - sigma * kappa / (1 + sigma * kappa * (n - 1)) * v[:, :n].sum()) / (1 - sigma * kappa)
    print(f"n = {n}: |closed form − dense| = {np.abs(closed - dense).max():.1e};"
          f"  signed-κ formula: {np.round(signed[0, :3], 3)} vs dense {np.round(dense[0, :3], 3)}")


# %% [markdown]
# **EXERCISE.** Write `my_wta_inverse(v, kappa, sigma)`: $(I - \sigma K)^{-1} v$ for a vector `v` over
# $n$ = `len(v)` active neurons, with the closed form of Eq. 9 (no matrix: the check stops a function
# that solves or inverts one).

# %% nbgrader={"grade": false, "grade_id": "nb04_my_wta_inverse", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_wta_inverse(v, kappa, sigma):
    ### BEGIN SOLUTION
    v = np.asarray(v, dtype=float)
    n, mu = v.size, abs(kappa)
    return (v - sigma * mu / (1 + sigma * mu * (n - 1)) * v.sum()) / (1 - sigma * mu)
    ### END SOLUTION


# %% tags=["check"]
nb04.check_wta_inverse(my_wta_inverse)


# %% [markdown]
# ## 5. The threshold update: which sign? — 15 min
#
# Eq. 13 of the paper prints the threshold update as $\Delta V_{th,i} = -\eta_{th}\sqrt{N/(mM)}\;\delta_i\,\hat a_i$.
# But Eq. 7 says a higher threshold means *less* activity, $\partial a_i/\partial V_{th,i} = -\hat a_i/V_{th,i}$,
# so the chain rule gives the opposite sign. And the paper's own remark — training lowers the
# thresholds of neurons that respond too little — only works with a plus. Don't trust either
# argument: **measure**. Take the linearized network (Eq. 6), the loss $L = \tfrac12\|a - y\|^2$ as a
# function of the thresholds (`nb04.loss_of_thresholds(W, x, th, y, kappa, sigma)`), and compute
# $\partial L/\partial V_{th,i}$ by central finite differences.
#
# **EXERCISE.** Write `my_fd_threshold_gradient(W, x, th, y, kappa, sigma)`: the vector of
# $\partial L/\partial V_{th,i}$, $i = 1..n$, with $h = 10^{-6}$.

# %% nbgrader={"grade": false, "grade_id": "nb04_my_fd_threshold_gradient", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_fd_threshold_gradient(W, x, th, y, kappa, sigma, h=1e-6):
    ### BEGIN SOLUTION
    g = np.zeros(th.size)
    for i in range(th.size):
        tp, tm = th.copy(), th.copy()
        tp[i] += h
        tm[i] -= h
        g[i] = (nb04.loss_of_thresholds(W, x, tp, y, kappa, sigma)
                - nb04.loss_of_thresholds(W, x, tm, y, kappa, sigma)) / (2 * h)
    return g
    ### END SOLUTION


# %% tags=["check"]
nb04.check_fd_threshold_gradient(my_fd_threshold_gradient)

# %% [markdown]
# Now compare the descent direction $-\partial L/\partial V_{th}$ (finite differences, computed here
# with `numeric_grad` from section 4) with the two candidates for Eq. 13, $\pm\,\delta_i\hat a_i$
# (`delta` from `learning.normalized_delta`, `a_hat` from `learning.effective_activity`):

# %%
rng5 = np.random.default_rng(4)
n, Mx, kappa, sigma = 5, 7, -0.4, 0.5
W5, x5, th5 = rng5.uniform(0, 1, (n, Mx)), rng5.uniform(0, 1, Mx), rng5.uniform(0.5, 1.5, n)
y5 = rng5.uniform(0, 2, n)
a5 = L.transfer_function(W5 @ x5, th5, kappa, sigma)
carriers = np.ones((1, n), bool)
delta = L.normalized_delta((a5 - y5)[None], carriers, th5, kappa, sigma)[0]
a_hat = L.effective_activity(a5[None], carriers, kappa, sigma)[0]
descent = -numeric_grad(lambda t_: nb04.loss_of_thresholds(W5, x5, t_, y5, kappa, sigma), th5.copy())
print(f"{'i':>2} {'-dL/dV_th (FD)':>15} {'+delta*a_hat':>13} {'-delta*a_hat (printed)':>23}")
for i in range(n):
    print(f"{i:>2} {descent[i]:>15.5f} {delta[i] * a_hat[i]:>13.5f} {-delta[i] * a_hat[i]:>23.5f}")
print("signs agree with +delta*a_hat:", bool(np.all(np.sign(descent) == np.sign(delta * a_hat))))
print("ratio (-dL/dV_th) / (delta a_hat) =", np.round(descent / (delta * a_hat), 6), "= g_bar, a positive constant")
eta, L0 = 0.05, nb04.loss_of_thresholds(W5, x5, th5, y5, kappa, sigma)
for sgn, name in ((+1, "+eta delta a_hat"), (-1, "-eta delta a_hat (printed)")):
    print(f"one step {name:<28}: loss {L0:.5f} -> {nb04.loss_of_thresholds(W5, x5, th5 + sgn * eta * delta * a_hat, y5, kappa, sigma):.5f}")


# %% [markdown]
# **EXERCISE.** Write `my_threshold_update(delta, a_hat, eta)`: the threshold change of Eq. 13 *with
# the sign that descends the loss* (leave out the factor $\sqrt{N/(mM)}$).

# %% nbgrader={"grade": false, "grade_id": "nb04_my_threshold_update", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_threshold_update(delta, a_hat, eta):
    ### BEGIN SOLUTION
    return eta * np.asarray(delta) * np.asarray(a_hat)
    ### END SOLUTION


# %% tags=["check"]
nb04.check_threshold_update(my_threshold_update)

# %% [markdown]
# Here is what the check says about the sign as printed in the paper:

# %%
nb04.check_threshold_update(lambda delta, a_hat, eta: -eta * np.asarray(delta) * np.asarray(a_hat));

# %% [markdown]
# `snnlab.learning.threshold_gradient` returns $\partial L/\partial V_{th} = -\sqrt{N/(mM)}\,\delta\hat a$,
# so the optimizer's step $-\eta_{th}\,\partial L/\partial V_{th}$ has the plus sign;
# `tests/test_learning.py::test_threshold_update_sign_follows_the_chain_rule_not_the_printed_minus`
# does the finite-difference check of this section automatically.
#
# **Summary.** Traces are leaky spike counts (Eq. 4); with them the membrane decomposes exactly
# (Eq. 5, when nothing non-linear happens); dropping the bounded residual gives a linear transfer
# function (Eq. 6) whose derivatives (Eqs. 7-9) are what backprop uses — with $\mu = |\kappa|$ in Eq. 9
# and a *plus* sign in the threshold update. Next: **05_init_and_error_normalization.ipynb**.
