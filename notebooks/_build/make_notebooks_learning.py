"""Generate notebooks 04-06 (run: python notebooks/_build/make_notebooks_learning.py).

Same conventions as ``make_notebooks.py`` (00-03): the .ipynb files are the source of truth
once committed (outputs cleared); cells tagged ``exercise`` hold a solution between
``### BEGIN SOLUTION`` / ``### END SOLUTION``; cells tagged ``check`` call the self-checks of
:mod:`snnlab.exercises` (``nb04``, ``nb05``, ``nb06``).
"""
from nbcells import check, code, exercise, md, write  # noqa: F401

SETUP = '''
import os
import numpy as np
import matplotlib.pyplot as plt
%matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)
'''

# =====================================================================================  04
write("04_deriving_the_gradient.ipynb", [
    md(r"""
# 04 · Deriving the gradient (Eqs. 4-9, and the sign of Eq. 13)

**Goal.** See where the paper's backward pass comes from: the spike *traces* $x_k$, $a_i$ (Eq. 4),
the exact decomposition of the membrane potential (Eq. 5), the transfer function obtained by setting
the residual to zero (Eq. 6), and its derivatives (Eqs. 7-9) — each checked numerically on a live
simulation or by finite differences. You settle a sign question the paper gets wrong (Eq. 13).
**Assumes.** Notebooks 01-03; the chain rule; a little linear algebra (a matrix inverse).

| section | time |
|---|---|
| 1. Traces $x_k$, $a_i$ (Eq. 4) — exercise; when to read them | 15 min |
| 2. The membrane decomposition (Eq. 5) on a live simulation | 10 min |
| 3. The transfer function (Eq. 6) vs a simulated neuron | 10 min |
| 4. Derivatives (Eqs. 7-9) vs finite differences; why Eq. 9 needs $\mu = |\kappa|$ — exercise | 15 min |
| 5. The threshold update: which sign? — two exercises | 15 min |

Paper → code: Eq. 4 `snnlab.layers.traces` (`input_traces`, `output_traces`); Eq. 5
`snnlab.learning.membrane_decomposition`; Eq. 6 `transfer_function`; Eq. 7 `da_dw`, `da_dthreshold`;
Eqs. 8-9 `da_dx`, `wta_inverse_apply` (dense: `wta_matrix_inverse`); Eq. 13 `threshold_gradient`.
"""),
    code(SETUP + '''
from snnlab.events import make_events, EventBatch
from snnlab.layers import DenseLayer, input_traces, output_traces
from snnlab import learning as L
from snnlab.widgets_learning import trace_curve
from snnlab.exercises import nb04
'''),
    md(r"""
## 1. Traces $x_k$ and $a_i$ (Eq. 4) — 15 min

The backward pass needs one number per synapse and per neuron that summarizes "how much spiking
happened". Lee et al. use leaky spike counts with the membrane's own time constant (**Eq. 4**):

$$x_k(t) = \sum_p e^{(t_p - t)/\tau_{mp}}, \qquad a_i(t) = \sum_q e^{(t_q - t)/\tau_{mp}}$$

over the input spikes $t_p \le t$ of synapse $k$ and the output spikes $t_q \le t$ of neuron $i$.
A trace jumps by 1 at each spike and decays like the membrane in between (Eq. 1 with weight 1 and
no threshold). In `snnlab`: `snnlab.layers.traces`, and for a layer's forward pass
`input_traces(out, n_in, tau_mp)` / `output_traces(out, tau_mp)` (read at the end of the window).

A live simulation: a layer of 5 neurons, 8 input synapses, positive weights, weak WTA
($\kappa = -0.1$), 120 input events in 50 ms, window $T = 60$ ms. Solid: the trace updated event by
event (a leaky counter); dashed: the sum of exponentials of Eq. 4 over the *simulated* spikes; dots:
the library's value at $T$.
"""),
    code('''
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
'''),
    md(r"""
**EXERCISE.** Write `my_trace(spike_times, t, tau_mp)`: the trace of Eq. 4 at time `t` (seconds) for
one channel whose spikes happened at `spike_times` (a list, possibly including spikes after `t`).
"""),
    exercise('''
def my_trace(spike_times, t, tau_mp):
    ### BEGIN SOLUTION
    st = np.asarray(spike_times, dtype=float)
    st = st[st <= t]
    return float(np.exp((st - t) / tau_mp).sum())
    ### END SOLUTION
'''),
    check('''
nb04.check_trace(my_trace)
'''),
    md(r"""
### When are the traces read? ("end" vs "integral")

Eq. 4 defines the traces as functions of time, but the backward pass needs *one* number per sample.
The literal reading is: at the end of the presentation window, $t = T$ (`readout="end"`). That
weighs a spike at the very end by 1 and a spike 50 ms earlier by $e^{-2.5} \approx 0.08$: the
gradient mostly sees the last few tens of ms. The alternative (`readout="integral"`) averages the
trace over the window, $\frac{1}{T}\int_0^T x(t)\,dt = \frac{\tau_{mp}}{T}\sum_p \big(1 - e^{(t_p - T)/\tau_{mp}}\big)$,
which favours the *early* spikes instead (a spike at $T - \tau_{mp}$ counts 63 % of an early one,
a spike at $T$ nothing) and, like "end", does not grow with the window length. A third option,
`readout="count"`, gives every spike $\tau_{mp}/T$ (the average trace under a steady rate), so it
weighs all spikes alike, as the output counts of Eq. 16 do. The paper does not say which.
`snnlab` implements all three (`traces(..., readout=...)`, whose default is the literal `"end"`).
Which one trains better is an experiment: the trainer's default (`TrainConfig.readout`) is
`"count"`, because it trained best on PI-MNIST; notebook 07 (section 5) prints the three runs side by
side from their logs in `results/`.
Below: the three readouts from the library, and the integral checked against a numerical integral
of the trace.
"""),
    code('''
x_end = input_traces(out, M, tau, readout="end")[0]
x_int = input_traces(out, M, tau, readout="integral")[0]
x_count = input_traces(out, M, tau, readout="count")[0]
tf = np.linspace(0, T, 20001)
numeric = [np.trapezoid(trace_curve(tf, ev["t"][ev["ch"] == k], tau), tf) / T for k in range(M)]
print(f"{'k':>2} {'spikes':>6} {'end':>8} {'integral':>9} {'numerical ∫x dt / T':>20} {'count':>8} {'spikes·τ/T':>11}")
for k in range(M):
    n_k = np.sum(ev['ch'] == k)
    print(f"{k:>2} {n_k:>6} {x_end[k]:>8.4f} {x_int[k]:>9.4f} {numeric[k]:>20.4f} {x_count[k]:>8.4f} {n_k * tau / T:>11.4f}")
'''),
    md(r"""
## 2. The membrane decomposition (Eq. 5) on a live simulation — 10 min

Because Eqs. 1 and 3 and the lateral inhibition are all *linear* (each event adds a number that then
decays with $\tau_{mp}$), the membrane at time $T$ is exactly the sum of the decayed contributions:

$$V_i(T) = \underbrace{\sum_k w_{ik}\,x_k}_{\text{inputs}} \;-\; \underbrace{V_{th,i}\,a_i}_{\text{own resets}} \;+\; \underbrace{\sigma V_{th,i}\sum_{j\ne i}\kappa_{ij}\,a_j}_{\text{lateral inhibition}} \qquad \text{(Eq. 5)}$$

with traces read at $T$ (`learning.membrane_decomposition(W, x, th, a, kappa, sigma)`). With
$\sigma = 1$ this is *exact* — **as long as** nothing non-linear happens: no dynamic weight
($T_{ref} = 0$) and no clipping at $-V_{th}$ (positive weights, weak $\kappa$). The simulated
membrane at $T$ is the last recorded one, decayed from the last event to $T$.
"""),
    code('''
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
'''),
    md(r"""
The three terms for each neuron (bars) add up to the simulated membrane (black dots):
"""),
    code('''
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
'''),
    md(r"""
**When Eq. 5 becomes approximate.** Turn on the dynamic weight ($T_{ref} = 1$ ms: inputs right after
a spike or an inhibition are scaled down), or allow negative weights and strong inhibition (the clip
at $-V_{th}$ throws charge away). The decomposition then differs from the simulation; the table gives
the largest difference in units of $V_{th}$ (the membrane lives in $[-V_{th}, V_{th})$).
"""),
    code('''
W_mixed = rng.uniform(-0.5, 0.5, (N, M))
print(f"{'case':<52} {'max |Eq.5 - sim| / V_th':>24}")
for name, Wc, kappa, T_ref in [("exact: W >= 0, kappa = -0.1, T_ref = 0", W, -0.1, 0.0),
                               ("dynamic weight: T_ref = 1 ms", W, -0.1, 0.001),
                               ("clipping: weights of both signs, T_ref = 0", W_mixed, -0.1, 0.0),
                               ("strong WTA kappa = -0.4, T_ref = 1 ms, mixed W", W_mixed, -0.4, 0.001)]:
    v_sim, v_eq5, *_ = eq5_vs_simulation(Wc, th, kappa, T_ref, ev)
    print(f"{name:<52} {np.max(np.abs(v_eq5 - v_sim) / th):>24.3g}")
'''),
    md(r"""
That is why the backward pass uses an *expected* efficacy $\sigma < 1$ for the inhibition term
(paper: $\sigma \approx 0.5$): inhibited neurons are refractory and often sit at the floor, so only
part of the nominal inhibition $\kappa V_{th}$ actually changes their membrane.

## 3. The transfer function (Eq. 6) vs a simulated neuron — 10 min

Eq. 5 holds at any time; the residual $V_i$ is bounded ($-V_{th} \le V_i < V_{th}$) while the traces
grow with the activity. Neglecting the residual ($V_i \approx 0$) gives the **transfer function**
(**Eq. 6**, `learning.transfer_function(s, th, kappa, sigma)`):

$$a_i \approx \frac{s_i}{V_{th,i}} + \sigma\sum_{j\ne i}\kappa_{ij}\,a_j, \qquad s_i = \sum_k w_{ik}x_k .$$

For one neuron without WTA, averaged over time ($\langle x\rangle = r_{in}\tau_{mp}$,
$\langle a\rangle = r_{out}\tau_{mp}$) it says $r_{out} \approx w\,r_{in}/V_{th}$: a straight line
through the origin — the leak cancels because traces and membrane decay alike. Move the input rate:
the dots are a simulated neuron (`DenseLayer`, 0.5 s of Poisson input, one batch over all rates);
right: the output trace $a(t)$ vs $s(t)/V_{th}$ at the slider's rate — they differ by $V(t)/V_{th}$,
never more than 1. With $T_{ref} > 0$ the dynamic weight makes the neuron saturate: Eq. 6 ignores it.
"""),
    code('''
from snnlab.widgets_learning import transfer_explorer
tf_widget = transfer_explorer()
tf_widget.widget
'''),
    code('''
print("input rate (eps):", tf_widget.rates[:-1].round(0))
print("measured r_out:  ", tf_widget.measured[:-1].round(0))
print("Eq. 6 w r_in/V_th:", tf_widget.predicted[:-1].round(0))
'''),
    md(r"""
The same check for the WTA layer of section 1: the traces at $T$ against Eq. 6 solved over the
*active* neurons (the linear system $(I - \sigma K)\,a = s / V_{th}$), with $\sigma = 1$ (the actual
inhibition) and $\sigma = 0.5$ (the paper's expected efficacy).
"""),
    code('''
v_sim, v_eq5, out, x, a = eq5_vs_simulation(W, th, -0.1, 0.0, ev)
act = out.counts[0] > 0
s = (W @ x)[act]
for sigma in (1.0, 0.5):
    pred = L.transfer_function(s, th[act], -0.1, sigma)
    print(f"sigma = {sigma}: a measured {np.round(a[act], 3)}  Eq. 6 {np.round(pred, 3)}")
print("the gap is the neglected residual V_i / V_th,i (Eq. 5), here:", np.round((v_sim / th)[act], 3))
'''),
    md(r"""
## 4. Derivatives (Eqs. 7-9) vs finite differences — 15 min

Differentiating Eq. 6 over the $n$ active neurons, $(I - \sigma K)\,a = \mathrm{diag}(g)\,s$ with
$g_i = 1/V_{th,i}$ and $K_{ij} = \kappa$ ($i \ne j$), gives

* **Eq. 7** (local): $\partial a_i / \partial w_{ik} = x_k / V_{th,i}$ (`da_dw`) and
  $\partial a_i/\partial V_{th,i} = -\hat a_i / V_{th,i}$ with $\hat a_i = a_i - \sigma\sum_{j\ne i}\kappa a_j$
  (`da_dthreshold`, `effective_activity`), both then spread over the group by $(I - \sigma K)^{-1}$;
* **Eqs. 8-9**: $\partial a / \partial x = (I - \sigma K)^{-1}\,\mathrm{diag}(g)\,W$ (`da_dx`), where,
  with equal $\kappa$ and $\mu = |\kappa|$ (Sherman-Morrison),
  $$(I - \sigma K)^{-1} = \frac{1}{1 - \sigma\mu}\Big[I - \frac{\sigma\mu}{1 + \sigma\mu(n-1)}\,J\Big] \qquad \text{(Eq. 9, } J = \text{all ones)}$$
  — O(n) instead of a matrix inversion (`wta_inverse_apply`; dense: `wta_matrix_inverse`).

Central finite differences of the transfer function itself, against the library's closed forms:
"""),
    code('''
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
'''),
    md(r"""
**Why Eq. 9 needs $\mu = |\kappa|$.** The paper writes the formula with a $\mu$ that must be the
*magnitude* of the (negative) lateral strength. Plug in the signed $\kappa$ instead and the
denominator $1 + \sigma\kappa(n-1)$ becomes $1 - 0.2\,(n-1)$ for $\kappa = -0.4$, $\sigma = 0.5$: zero
at $n = 6$ active neurons (and negative, i.e. nonsense, beyond) — although the true inverse exists for
every $n$:
"""),
    code('''
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
'''),
    md(r"""
**EXERCISE.** Write `my_wta_inverse(v, kappa, sigma)`: $(I - \sigma K)^{-1} v$ for a vector `v` over
$n$ = `len(v)` active neurons, with the closed form of Eq. 9 (no matrix!).
"""),
    exercise('''
def my_wta_inverse(v, kappa, sigma):
    ### BEGIN SOLUTION
    v = np.asarray(v, dtype=float)
    n, mu = v.size, abs(kappa)
    return (v - sigma * mu / (1 + sigma * mu * (n - 1)) * v.sum()) / (1 - sigma * mu)
    ### END SOLUTION
'''),
    check('''
nb04.check_wta_inverse(my_wta_inverse)
'''),
    md(r"""
## 5. The threshold update: which sign? — 15 min

Eq. 13 of the paper prints the threshold update as $\Delta V_{th,i} = -\eta_{th}\sqrt{N/(mM)}\;\delta_i\,\hat a_i$.
But Eq. 7 says a higher threshold means *less* activity, $\partial a_i/\partial V_{th,i} = -\hat a_i/V_{th,i}$,
so the chain rule gives the opposite sign. And the paper's own remark — training lowers the
thresholds of neurons that respond too little — only works with a plus. Don't trust either
argument: **measure**. Take the linearized network (Eq. 6), the loss $L = \tfrac12\|a - y\|^2$ as a
function of the thresholds (`nb04.loss_of_thresholds(W, x, th, y, kappa, sigma)`), and compute
$\partial L/\partial V_{th,i}$ by central finite differences.

**EXERCISE.** Write `my_fd_threshold_gradient(W, x, th, y, kappa, sigma)`: the vector of
$\partial L/\partial V_{th,i}$, $i = 1..n$, with $h = 10^{-6}$.
"""),
    exercise('''
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
'''),
    check('''
nb04.check_fd_threshold_gradient(my_fd_threshold_gradient)
'''),
    md(r"""
Now compare the descent direction $-\partial L/\partial V_{th}$ (finite differences, computed here
with `numeric_grad` from section 4) with the two candidates for Eq. 13, $\pm\,\delta_i\hat a_i$
(`delta` from `learning.normalized_delta`, `a_hat` from `learning.effective_activity`):
"""),
    code('''
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
'''),
    md(r"""
**EXERCISE.** Write `my_threshold_update(delta, a_hat, eta)`: the threshold change of Eq. 13 *with
the sign that descends the loss* (leave out the factor $\sqrt{N/(mM)}$).
"""),
    exercise('''
def my_threshold_update(delta, a_hat, eta):
    ### BEGIN SOLUTION
    return eta * np.asarray(delta) * np.asarray(a_hat)
    ### END SOLUTION
'''),
    check('''
nb04.check_threshold_update(my_threshold_update)
'''),
    md("Here is what the check says about the sign as printed in the paper:"),
    code('''
nb04.check_threshold_update(lambda delta, a_hat, eta: -eta * np.asarray(delta) * np.asarray(a_hat));
'''),
    md(r"""
`snnlab.learning.threshold_gradient` returns $\partial L/\partial V_{th} = -\sqrt{N/(mM)}\,\delta\hat a$,
so the optimizer's step $-\eta_{th}\,\partial L/\partial V_{th}$ has the plus sign;
`tests/test_learning.py::test_threshold_update_sign_follows_the_chain_rule_not_the_printed_minus`
does the finite-difference check of this section automatically.

**Summary.** Traces are leaky spike counts (Eq. 4); with them the membrane decomposes exactly
(Eq. 5, when nothing non-linear happens); dropping the bounded residual gives a linear transfer
function (Eq. 6) whose derivatives (Eqs. 7-9) are what backprop uses — with $\mu = |\kappa|$ in Eq. 9
and a *plus* sign in the threshold update. Next: **05_init_and_error_normalization.ipynb**.
"""),
])

# =====================================================================================  05
write("05_init_and_error_normalization.ipynb", [
    md(r"""
# 05 · Initialization and error normalization (Eqs. 10-12)

**Goal.** Understand how the paper keeps a deep spiking network trainable from the first step:
weights and thresholds are initialized so that every neuron's squared weight norm is 1 on average
(Eqs. 10-11), the threshold scale $\alpha$ sets how much the network fires, and the backpropagated
errors are normalized layer by layer (Eq. 12) so that they neither explode nor vanish.
**Assumes.** Notebook 04 (deltas, $g_i = 1/V_{th,i}$); the variance of a uniform distribution.

| section | time |
|---|---|
| 1. Eq. 10 and Eq. 11 — two exercises; the reading note's init | 15 min |
| 2. What α does to firing (real MNIST digits, slider) | 10 min |
| 3. Exploding and vanishing errors; Eq. 12 — exercise | 20 min |

Paper → code: Eq. 10 `snnlab.network.init_dense(n_in, n_out, alpha, rng, kappa, variant="paper"|"note")`;
Eq. 12 `snnlab.learning.backprop_error` (the bracket $\sqrt{N/n}\,W^T\delta$) and
`snnlab.learning.normalized_delta` (the factor $g_i/\bar g$ and, with WTA, $(I - \sigma K)^{-T}$).
"""),
    code(SETUP + '''
from snnlab.network import init_dense
from snnlab import learning as L
from snnlab.exercises import nb05
'''),
    md(r"""
## 1. Eq. 10 and Eq. 11 — 15 min

A neuron with $M$ synapses starts with (**Eq. 10**)

$$w_{ik} \sim U\big[-\sqrt{3/M},\; \sqrt{3/M}\big], \qquad V_{th} = \alpha\sqrt{3/M}\ \ \text{(same for all neurons of the layer)},$$

with $\alpha$ between 3 and 10 (smaller for layers with fewer units). The bound is chosen so that
(**Eq. 11**) $E\big[\sum_k w_{ik}^2\big] = 1$ for every neuron, whatever $M$. The threshold is
$\alpha$ times the largest possible weight: only $\alpha$ and the input statistics decide how often
the neuron fires, not the layer size.

**EXERCISE.** Write `my_init_bounds(M, alpha)` returning `(a, V_th)`: the weight bound $a$
($w \sim U[-a, a]$) and the threshold of Eq. 10.
"""),
    exercise('''
def my_init_bounds(M, alpha):
    ### BEGIN SOLUTION
    a = np.sqrt(3.0 / M)
    return a, alpha * a
    ### END SOLUTION
'''),
    check('''
nb05.check_init_bounds(my_init_bounds)
'''),
    md(r"""
**EXERCISE.** Write `my_expected_sum_w2(M, a)`: $E\big[\sum_{k=1}^{M} w_k^2\big]$ for independent
$w_k \sim U[-a, a]$ (compute $E[w^2] = \frac{1}{2a}\int_{-a}^{a} w^2\,dw$ on paper first).
"""),
    exercise('''
def my_expected_sum_w2(M, a):
    ### BEGIN SOLUTION
    return M * a ** 2 / 3
    ### END SOLUTION
'''),
    check('''
nb05.check_expected_sum_w2(my_expected_sum_w2)
'''),
    md(r"""
Measured on layers made by `init_dense`: the mean of $\sum_k w_{ik}^2$ over the neurons, for the
paper's init and for the **reading note's** init ($w \sim U[\pm\alpha/\sqrt M]$,
$V_{th} \sim U[\alpha, 2\alpha]$). The note claims $E[\sum w^2] = \alpha^2$ — compare with your formula.
"""),
    code('''
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
'''),
    md(r"""
So the note's $\alpha^2$ is really $\alpha^2/3$ (ALGORITHM.md section 7). There is a second, larger
consequence: in the note's init the threshold is $U[\alpha, 2\alpha]$ while the weights scale with
$\alpha/\sqrt M$ — the ratio threshold / weight bound is $\sqrt M$ to $2\sqrt M$ (28-56 for
$M = 784$) *whatever* $\alpha$ is, much more than the paper's $\alpha$ = 3-10. Tick the box in the
explorer below to see what that does to firing.

## 2. What α does to firing — 10 min

A hidden layer (784 → 200, WTA $\kappa$) receives real MNIST digits as Poisson events (5 keps, 50 ms,
`poisson_encode`) and runs the event-driven forward pass (`DenseLayer.forward`). Left: spikes per
sample of each hidden neuron (sorted); right: hidden spikes per sample and the fraction of neurons
that never fired on these digits, for a range of α (the weights are the same, only $V_{th}$ changes).
Small α: many spikes, few silent neurons; large α: a quiet layer where most neurons never fire (and
so never learn — only active neurons carry error in hidden layers). The paper picks α in 3..10.
"""),
    code('''
from snnlab.widgets_learning import alpha_explorer
alpha_w = alpha_explorer(n_digits=8 if QUICK else 32)
alpha_w.widget
'''),
    code('''
for note in (False, True):
    alpha_w.update(note_init=note)
    print(("note's init " if note else "paper's init") + f": {alpha_w.stats['spikes']:.1f} hidden spikes per sample, "
          f"{alpha_w.stats['silent']:.0%} silent neurons (α = {alpha_w.values['alpha']:g}, κ = {alpha_w.values['kappa']:g})")
alpha_w.update(note_init=False);
'''),
    md(r"""
## 3. Exploding and vanishing errors; Eq. 12 — 20 min

In backprop the error of layer $l$ comes from layer $l+1$ through $W^{(l+1)T}\delta^{(l+1)}$, is
restricted to the $n$ active neurons (in a spiking net only they have a derivative), and is
multiplied by the local gain $g_i = 1/V_{th,i}$ of the linearized transfer function (Eq. 6). Each
step multiplies the error energy $\sum_i \delta_i^2$ roughly by (fraction active) × $g^2$ — with
$V_{th} = \alpha\sqrt{3/M}$ that is $\frac{n}{N}\cdot\frac{M}{3\alpha^2}$, far from 1. Over several layers
the errors explode or vanish.

**Eq. 12** fixes both factors, for the active neurons of layer $l$:

$$\delta^{(l)} = \mathrm{diag}\!\left(\frac{g}{\bar g}\right)\,(I - \sigma K_l)^{-T}\left[\sqrt{\frac{N_l}{n_l}}\;W^{(l+1)T}\delta^{(l+1)}\right],
\qquad \bar g = \sqrt{\tfrac{1}{n}\textstyle\sum_{i\ \text{active}} g_i^2}$$

$\sqrt{N/n}$ undoes the loss of energy from keeping $n$ of $N$ neurons, and $g/\bar g$ keeps the
*relative* gains but not their scale. (The reading note keeps only $g/\bar g$.)

**EXERCISE.** Write `my_normalized_backprop(delta_upper, W_upper, active, threshold)` for a layer
without WTA ($K = 0$): `delta_upper` is (B, N_up), `W_upper` (N_up, N), `active` (B, N) bool,
`threshold` (N,). Return the (B, N) deltas of Eq. 12 (zero for inactive neurons).
"""),
    exercise('''
def my_normalized_backprop(delta_upper, W_upper, active, threshold):
    ### BEGIN SOLUTION
    N = active.shape[1]
    n = active.sum(axis=1, keepdims=True)
    err = np.sqrt(N / n) * (delta_upper @ W_upper)
    g = 1.0 / threshold
    g_bar = np.sqrt((active * g ** 2).sum(axis=1, keepdims=True) / n)
    return np.where(active, g / g_bar * err, 0.0)
    ### END SOLUTION
'''),
    check('''
nb05.check_normalized_backprop(my_normalized_backprop)
'''),
    md(r"""
The explorer sends an output error with $\sum\delta^2 = 1$ down a 784-500-400-300-200-10 network at
its Eq. 10 initialization, with random active sets (each hidden neuron active with the chosen
probability), three ways: the plain chain rule ($g \odot$ mask $\odot W^T\delta$), $W^T\delta$ alone
(mask only), and Eq. 12 (`backprop_error` + `normalized_delta`). Log axis: with α = 5 and 30 %
active the chain rule grows the error energy layer after layer, $W^T\delta$ alone shrinks it; Eq. 12
stays at 1. Move α and the active fraction.
"""),
    code('''
from snnlab.widgets_learning import error_flow_explorer
flow = error_flow_explorer()
flow.widget
'''),
    code('''
print("E[Σδ²] per layer (hidden 1 .. output):")
for name, v in flow.result.items():
    print(f"  {name:>6}: {np.array2string(v, precision=3)}")
'''),
    md(r"""
**Summary.** Eq. 10 makes $E[\sum_k w_{ik}^2] = 1$ (Eq. 11; the note's version of the claim is off
by a factor 3), α alone sets how much a layer fires at the start, and Eq. 12 keeps the error energy
near 1 in every layer, so one learning rate fits all layers. Next: **06_regularizers.ipynb**.
"""),
])

# =====================================================================================  06
write("06_regularizers.ipynb", [
    md(r"""
# 06 · Regularizers: weight norms, thresholds and dead neurons (section 2.3)

**Goal.** Understand the paper's two regularizers: the *exponential* weight regularization
(Eqs. 14-15), compared with L2 and max-norm on the weight-norm trajectory, and the *threshold*
regularization that keeps neurons from dying in winner-take-all layers — including the lower bound
on thresholds and its two variants (paper vs reading note).
**Assumes.** Notebooks 03 (WTA), 04 (gradients) and 05 (Eq. 11: $E[\sum_j w_{ij}^2] = 1$).

| section | time |
|---|---|
| 1. Exponential weight regularization (Eqs. 14-15) — exercise | 10 min |
| 2. L2 vs max-norm vs exponential on the weight norm — exercise + explorer | 15 min |
| 3. Threshold regularization and dead neurons — exercise | 20 min |
| 4. The threshold floor: "scale" (note) vs "add" (paper) | 10 min |

Paper → code: Eq. 14 `snnlab.regularizers.exponential_penalty`, Eq. 15 `exponential_gradient`;
`l2_gradient`, `max_norm` for comparison; section 2.3.2 `threshold_regularization(counts, rho)` and
`apply_threshold_floor(weights, threshold, wanted, floor, mode="scale"|"add")`.
"""),
    code(SETUP + '''
from snnlab import regularizers as R
from snnlab.widgets_learning import regularizer_trajectories
from snnlab.exercises import nb06
'''),
    md(r"""
## 1. Exponential weight regularization (Eqs. 14-15) — 10 min

To keep Eq. 11 ($\sum_j w_{ij}^2 \approx 1$) true during training, each neuron $i$ of a hidden layer
pays (**Eq. 14**)

$$L_w(i) = \tfrac12\,\lambda\,e^{\beta\left(\sum_j w_{ij}^2 - 1\right)}, \qquad
\frac{\partial L_w(i)}{\partial w_{ij}} = \beta\lambda\, w_{ij}\, e^{\beta\left(\sum_j w_{ij}^2 - 1\right)} \quad \text{(Eq. 15)}$$

with $\beta = 10$, $\lambda = 0.002..0.04$. It is a weight decay whose *rate* $\beta\lambda\,e^{\beta(\sum w^2 - 1)}$
depends on the row's squared norm: huge above 1, tiny below.

**EXERCISE.** Write `my_exp_gradient(W, lam, beta)`: Eq. 15 for a weight matrix `W` (rows = neurons).
"""),
    exercise('''
def my_exp_gradient(W, lam, beta):
    ### BEGIN SOLUTION
    sq = (W ** 2).sum(axis=1, keepdims=True)
    return beta * lam * W * np.exp(beta * (sq - 1.0))
    ### END SOLUTION
'''),
    check('''
nb06.check_exponential_gradient(my_exp_gradient)
'''),
    md(r"""
The library's Eq. 15 against finite differences of its Eq. 14, and the decay rate per unit weight
(gradient / w) as a function of the row's squared norm, for the three regularizers:
"""),
    code('''
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
'''),
    md(r"""
## 2. L2 vs max-norm vs exponential on the weight norm — 15 min

The paper's reason for the exponential form (section 2.3.1): L2 "leads to an initial fast growth,
followed by a continued decrease of weights"; max-norm caps the norm; the exponential regularizer is
a compromise. A toy model shows this: weight rows ($M = 100$, Eq. 10 init) receive a learning drive
that pushes their norms up — a fixed direction per row plus noise, fading as the error shrinks
(`widgets_learning.regularizer_trajectories`) — plus one regularizer. For a fair comparison L2 gets
$\lambda_{L2} = \beta\lambda$, the exponential's decay rate at $\sum w^2 = 1$.

Here are the three trajectories, unlabeled:
"""),
    code('''
mystery = regularizer_trajectories(steps=3000 if QUICK else 6000)
fig, ax = plt.subplots(figsize=(7, 3.2))
for letter, name in nb06.MYSTERY.items():
    ax.plot(mystery[name], lw=1.5, label=f"curve {letter}")
ax.plot(mystery["none"], ":", color="0.6", label="no regularizer")
ax.axhline(1, color="k", lw=0.6); ax.set_yscale("log")
ax.set_xlabel("learning step"); ax.set_ylabel("Σ_j w_ij² (mean over rows)"); ax.legend(fontsize=8); plt.show()
'''),
    md(r"""
**EXERCISE.** Which curve is which? Make `which_regularizer()` return a dict mapping `"A"`, `"B"`,
`"C"` to `"l2"`, `"max-norm"` or `"exponential"`.
"""),
    exercise('''
def which_regularizer():
    ### BEGIN SOLUTION
    return {"A": "exponential", "B": "l2", "C": "max-norm"}
    ### END SOLUTION
'''),
    check('''
nb06.check_which_regularizer(which_regularizer)
'''),
    md(r"""
Now the labeled explorer: move λ and β (paper: β = 10, λ = 0.002..0.04) and the strength of the
drive. Large β makes the exponential regularizer behave like max-norm; small β like L2.
"""),
    code('''
from snnlab.widgets_learning import regularizer_explorer
reg = regularizer_explorer()
reg.widget
'''),
    md(r"""
## 3. Threshold regularization and dead neurons — 20 min

In a WTA layer a few neurons win most competitions; their weights grow, they win even more, and
the others fall silent for good: *dead neurons* (no spikes → no error → no learning). Section 2.3.2:
when $N_w$ of the $N$ neurons fire after an input event, **their thresholds rise by $\rho N$, then all
$N$ thresholds fall by $\rho N_w$** ($\rho$ = 0.00004..0.0002). The changes sum to zero over the layer:
active neurons become less sensitive, silent ones more.

The paper applies this during the forward pass with batch size 1. In batched training, `snnlab`
sums the changes over all events of all samples of the batch and applies them after the batch:
with $c_i$ = spikes of neuron $i$ in the batch and $C = \sum_i c_i$,
$\Delta V_{th,i} = \rho\,(N c_i - C)$.

**EXERCISE.** Write `my_threshold_reg(counts, rho)`: `counts` is (B, N) spike counts; return the (N,)
threshold changes of the batch.
"""),
    exercise('''
def my_threshold_reg(counts, rho):
    ### BEGIN SOLUTION
    c = np.asarray(counts, dtype=float).sum(axis=0)
    return rho * (c.size * c - c.sum())
    ### END SOLUTION
'''),
    check('''
nb06.check_threshold_regularization(my_threshold_reg)
'''),
    md(r"""
The batch sum equals the paper's per-event rule, replayed over the spikes of a live simulation
(`LayerOutput.spike_k` tells which input event caused each spike):
"""),
    code('''
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
print("sum over the layer:", R.threshold_regularization(out.counts, rho).sum())
'''),
    md(r"""
**Dead neurons in training.** We train a 784-100-10 network (hidden WTA κ = −0.4, output κ = −1,
`snnlab.train.Trainer`, batches of 16 MNIST digits, 50 ms) for a few dozen batches, three ways:
no threshold regularization, $\rho = 4\cdot10^{-5}$ (the paper's low end), and $\rho = 2\cdot10^{-4}$
(the paper's high end — but summed over a batch of 16 the step is 16 times a per-sample step).
Every few batches we count, on 50 fixed test digits, how many hidden neurons never fire.
"""),
    code('''
import time
from snnlab.train import Trainer, TrainConfig, encode_batch
n_batches = 15 if QUICK else 60
runs = {}
t0 = time.perf_counter()
for rho in (0.0, 4e-5, 2e-4):
    tr = Trainer(TrainConfig(hidden=(100,), batch_size=16, rho=rho, seed=0), progress=False)
    probe = encode_batch(tr.test_images[:50], tr.permutation, 0.05, 5000.0, np.random.default_rng(5))
    rng_b = np.random.default_rng(0)
    hist = {"batch": [], "dead": [], "th": [], "acc": []}
    for b in range(n_batches + 1):
        if b % 5 == 0:
            counts = tr.net.forward(probe)[0].counts.sum(axis=0)
            hist["batch"].append(b); hist["dead"].append(float(np.mean(counts == 0)))
            hist["th"].append(tr.net.layers[0].threshold.copy())
        if b < n_batches:
            idx = rng_b.integers(0, 60000, 16)
            hist["acc"].append(tr.train_batch(tr.train_images[idx], tr.train_labels[idx], 0.05, rng_b)["accuracy"])
    hist["counts"] = counts
    runs[rho] = hist
print(f"{3 * n_batches} training batches in {time.perf_counter() - t0:.1f} s")

fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(13, 3.2))
for (rho, hist), c in zip(runs.items(), ("C3", "C0", "C1")):
    lab = f"ρ = {rho:g}" if rho else "no threshold regularization"
    a1.plot(hist["batch"], hist["dead"], "o-", color=c, label=lab)
    th = np.array(hist["th"])
    a2.plot(hist["batch"], np.median(th, axis=1), "-", color=c, label=lab)
    a2.fill_between(hist["batch"], th.min(axis=1), th.max(axis=1), color=c, alpha=0.15)
    a3.plot(np.sort(hist["counts"])[::-1] / 50, drawstyle="steps-mid", color=c, label=lab)
a1.set_xlabel("training batch"); a1.set_ylabel("fraction of dead hidden neurons"); a1.legend(fontsize=7)
a2.set_xlabel("training batch"); a2.set_ylabel("hidden V_th (median, min-max band)"); a2.set_yscale("log")
a3.set_xlabel("hidden neuron (sorted)"); a3.set_ylabel("spikes per test digit"); a3.set_yscale("symlog", linthresh=0.1)
plt.show()
for rho, hist in runs.items():
    print(f"ρ = {rho:<7g}: dead {hist['dead'][0]:.0%} -> {hist['dead'][-1]:.0%};  hidden V_th "
          f"{hist['th'][-1].min():.3f}..{hist['th'][-1].max():.3f};  train accuracy (last 5 batches) "
          f"{np.mean(hist['acc'][-5:]):.2f}")
'''),
    md(r"""
Without threshold regularization the winners keep winning and the fraction of dead hidden neurons
grows from batch to batch; with $\rho = 4\cdot10^{-5}$ the thresholds of busy neurons rise, those
of silent ones fall, and (almost) all neurons stay alive. Too large a batch-summed step overshoots:
thresholds jump around and the layer can fall silent altogether — a reason to scale $\rho$ with
the batch size or apply it per sample.

## 4. The threshold floor: "scale" (note) vs "add" (paper) — 10 min

Thresholds must not fall too far (tiny thresholds → runaway firing). The lower bound is 1/5 of the
initial threshold (the value of the reading note; the paper gives none). A neuron whose threshold
*wants* to go below the floor keeps the floor, and instead its weights change:

* paper: "all weight values of the neuron are increased by the same amount" — `mode="add"`:
  $w_{ij} \leftarrow w_{ij} + (\text{floor} - \text{wanted})$;
* reading note: "proportionally" — `mode="scale"` (the default of `apply_threshold_floor`):
  $w_{ij} \leftarrow w_{ij}\cdot \text{floor}/\text{wanted}$. Since scaling weights and threshold together
  leaves $V/V_{th}$ unchanged, the neuron then fires *exactly* as if its threshold were `wanted`.

One neuron with mixed-sign weights, threshold 0.4 wanted, floor 0.5:
"""),
    code('''
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
'''),
    md(r"""
"scale" reproduces the wanted behaviour exactly; "add" shifts every weight by the same amount, so a
neuron with $M$ inputs gets an extra drive proportional to the *total* input rate, whatever the
pattern — it becomes less selective, and with many inputs the shift can matter a lot more than the
threshold change it replaces.

Over many epochs the picture turns around. A hidden neuron that was told "fire less" again and
again ends up with mostly *negative* weights; its threshold sinks to the floor, and "scale" then
multiplies those negative weights — the neuron stays silent for good. "add" lifts every weight,
so such a neuron comes back. In `results/` (see `results/README.md`), 784-800-10 with "scale" had
a growing fraction of hidden neurons that never fired, and with "add" it stayed at or near zero. So the trainer's
default (`TrainConfig.floor_mode`) is the paper's "add"; both are offered. The cell below reads those
two runs' per-epoch logs (nothing typed in):
"""),
    code('''
from snnlab.dashboard import load_runs
runs = load_runs()
for name, mode in (("pi-mnist-800-recenter-fix", "scale"), ("pi-mnist-800", "add")):
    if name not in runs:
        print(f"{name}: not in results/ (see results/README.md for its command)")
        continue
    dead = [f"{100 * r['dead_fraction'][0]:.1f}" for r in runs[name]["metrics"]]
    print(f"floor {mode!r:8} hidden neurons that never fired, % per epoch: {', '.join(dead)}")
'''),
    md(r"""
**But "add" has a price in a layer without WTA.** In 784-500-500-10 the second hidden layer has no
lateral inhibition (the paper's best setting), so its total spike count can grow. The zero-sum rule
lowers every threshold by $\rho\,C$ ($C$ = the layer's spikes in the batch); neurons below the floor
then get $+(\text{floor} - \text{wanted})$ on *each of their 500 weights*, fire more, $C$ grows, and
the next deficit is larger: a loop. `results/pi-mnist-500-500-whatif/` continued one checkpoint of
that net in four ways (`benchmarks/watch_layers.py CHECKPOINT --set ...`); the cell prints how each
ended (the last line of each file):
"""),
    code('''
from snnlab.dashboard import results_dir
whatif = results_dir() / "pi-mnist-500-500-whatif"
for variant in ("default", "norecenter", "rho0", "clip"):
    f = whatif / f"watch-{variant}.txt"
    if not f.exists():
        print(f"{f}: not found (see results/README.md for its command)")
        continue
    lines = [line for line in f.read_text().splitlines() if line.startswith(("epoch", "DIVERGED"))]
    batches = sum(line.startswith("epoch") for line in lines)
    print(f"{variant:11} {batches:3d} batches, last: {lines[-1][:110]}")
'''),
    md(r"""
Only the variants whose floor leaves the weights alone (`rho = 0`, or `floor_mode="clip"`) stay
stable, so the loop runs through the floor's weight growth. `TrainConfig.floor_mode` therefore also
accepts `"clip"` and a tuple with one mode per layer. Whether that is enough to train 500-500 is
recorded in `results/README.md`.

**Summary.** The exponential regularizer keeps $\sum_j w_{ij}^2$ near 1 (max-norm-like above,
L2-like but weak below); threshold regularization ($\Delta V_{th,i} = \rho(N c_i - C)$, summing to zero)
keeps WTA neurons alive; the threshold floor turns a too-low threshold into stronger weights.
Next: notebook 07, training on PI-MNIST.
"""),
])
