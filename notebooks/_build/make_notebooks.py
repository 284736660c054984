"""Generate notebooks 00-03 from this script (run: python notebooks/_build/make_notebooks.py).

The .ipynb files are the source of truth once committed (outputs cleared); this script is
how they were first written and can regenerate them.  Cells tagged ``exercise`` hold a
solution between ``### BEGIN SOLUTION`` / ``### END SOLUTION``; cells tagged ``check`` call
the self-check of :mod:`snnlab.exercises`.
"""
from nbcells import check, code, exercise, md, write  # noqa: F401

SETUP = '''
import os
import numpy as np
import matplotlib.pyplot as plt
%matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)
'''

# =====================================================================================  00
write("00_start_here.ipynb", [
    md(r"""
# 00 · Start here

**Goal.** Learn how this lab works: the order of the notebooks, quick mode, how exercises check
themselves, and the vocabulary (English / 中文) used throughout.
**Assumes.** You can run a Jupyter cell (Shift+Enter) and read a little Python/numpy. You have read
(or are reading) Lee, Delbruck & Pfeiffer (2016), *Training Deep Spiking Neural Networks Using
Backpropagation*, Front. Neurosci. 10:508, or the Chinese reading note (阅读笔记).

| section | time |
|---|---|
| 1. How the lab works | 5 min |
| 2. Glossary English / 中文 | 5 min |
| 3. Where each equation lives in `snnlab` | 3 min |
| 4. Warm-up exercise | 5 min |
"""),
    md(r"""
## 1. How the lab works (5 min)

**Order.** Work through the notebooks in order; each builds on the previous one.

| # | notebook | topic |
|---|---|---|
| 00 | start here | this page |
| 01 | `01_lif_neuron` | the LIF neuron, event-driven: leak, threshold, reset by subtraction, clipping (Eqs. 1, 3) |
| 02 | `02_dynamic_weight` | the dynamic weight and the refractory period (Eq. 2) |
| 03 | `03_winner_take_all` | winner-take-all: lateral inhibition proportional to V_th (section 2.1.2) |
| 04-09 | (following) | gradients (Eqs. 5-9), initialization, regularizers, training on MNIST, conv nets, N-MNIST |

**Widgets.** Sliders carry their units in the label and start at the paper's values
(τ_mp = 20 ms, T_ref = 1 ms, κ = −0.4). Heavy ones redraw when you *release* the slider.

**Quick mode.** `SNNLAB_QUICK=1` (environment variable) makes heavy cells do less work; the tests
run every notebook this way. Long results come from files in `results/` that the repository's own
scripts produce, never from numbers typed in.

**Exercises.** A cell marked **EXERCISE** asks you to write a small function. Replace the line
`raise NotImplementedError(...)` with your code and run the cell; then run the **check** cell below
it. The check runs your function on several cases and compares with `snnlab`'s own implementation:

* <span style="color:green">✓ correct: …</span> — done;
* <span style="color:#b58900">… not done yet: fill in the cell marked EXERCISE</span> — you have not written it yet;
* <span style="color:red">✗ …</span> — wrong, with a diagnosis of the *likely mistake*
  (e.g. "your membrane potential never decays: did you multiply by exp(-dt/tau)?") and a hint.

**Student and teacher copies.** The notebooks in `notebooks/` contain the solutions (between
`### BEGIN SOLUTION` and `### END SOLUTION`). `make student` (or
`python -m snnlab.exercises.student notebooks/ -o student/`) writes copies to `student/` with
the solutions removed and outputs cleared; hand those out.
"""),
    code(SETUP),
    md(r"""
## 2. Glossary English / 中文 (5 min)

Terms as the reading note (阅读笔记) uses them; the symbol and where it lives in the code.

| English | 中文 | symbol | in `snnlab` |
|---|---|---|---|
| spike, event | 脉冲 / 事件 | $t_p$ | `snnlab.events` (`make_events`, `poisson_encode`) |
| event-driven | 事件驱动 (event-based) | | `snnlab.neuron.simulate_neuron` |
| spiking neural network | 脉冲神经网络 (SNN) | | `snnlab.network.Network` |
| leaky integrate-and-fire neuron | 泄漏积分发放 (LIF) 神经元 | | `snnlab.neuron` |
| membrane potential | 膜电位 | $V_{mp}$ | `NeuronResult.membrane` |
| membrane time constant | 膜时间常数 | $\tau_{mp}$ | `tau_mp` (seconds) |
| leak | 泄漏 | $e^{-\Delta t/\tau_{mp}}$ | `snnlab.neuron.leak` |
| threshold | 阈值 | $V_{th}$ | `threshold` |
| reset (by subtraction) | 重置 | $V_{mp} - V_{th}$ | Eq. 3 in `simulate_group` |
| clipping (lower bound $-V_{th}$) | 截断 (clipping) | | `simulate_group` |
| dynamic weight | 动态权重 | $w_{dyn}$ | `snnlab.neuron.dynamic_weight` |
| refractory period | 不应期 | $T_{ref}$ | `T_ref` (seconds) |
| winner-take-all | 赢家通吃 (WTA) | | `kappa` in `simulate_group`, `DenseLayer` |
| lateral inhibition | 侧向抑制 | $\kappa$ | `kappa` |
| backpropagation | (误差)反向传播 | $\delta$ | `snnlab.learning` (notebook 04) |
| threshold regularization | 阈值正则化 | $\rho$ | `snnlab.regularizers` (notebook 06) |
| weight regularization (exponential) | 权重正则化 (指数正则化) | $\beta, \lambda$ | `snnlab.regularizers` |
| dead neurons | "沉默" 神经元 (dead neurons) | | notebook 06 |
| Dynamic Vision Sensor | 动态视觉传感器 (DVS) | | `snnlab.data.nmnist` |

*Note.* The reading note writes the lower bound of the membrane as $V_{th}$; the paper says
$-V_{th}$ (a typo in the note). Its $\Delta_t = t_{out} - t_p$ follows the paper; the square in
Eq. 2 hides the sign.
"""),
    md(r"""
## 3. Where each equation lives (3 min)

| paper | what | function |
|---|---|---|
| Eq. 1 | leak and integrate, per input event | `snnlab.neuron.leak`, `simulate_neuron` |
| Eq. 2 | dynamic weight (refractory period) | `snnlab.neuron.dynamic_weight` |
| Eq. 3 | fire and reset by subtraction | `snnlab.neuron.simulate_group` |
| section 2.1.1 | clip at $-V_{th}$ | `snnlab.neuron.simulate_group` |
| section 2.1.2 | WTA: inhibition $\kappa V_{th,i}$, losers refractory | `snnlab.neuron.simulate_group(kappa=...)` |
| Eq. 4 | traces $x_k$, $a_i$ | `snnlab.layers.traces` |

Times are in **seconds** inside the code; milliseconds only in plots and slider labels.
"""),
    code('''
from snnlab.params import default_params
default_params()          # the paper's Table 1 values (times in seconds)
'''),
    md(r"""
## 4. Warm-up exercise (5 min)

The input of a spiking network is a list of events (time, channel). `snnlab.events.poisson_encode`
turns an image into Poisson events whose rates sum to `total_rate` (the paper uses 5,000 events
per second, "5 keps", section 3.1).

**EXERCISE.** Write `input_rate(events, duration)`: the *total* input rate in events per second of
an event array presented for `duration` seconds.
"""),
    exercise('''
def input_rate(events, duration):
    """Total input rate (events per second) of `events` in a window of `duration` s."""
    ### BEGIN SOLUTION
    return len(events) / duration
    ### END SOLUTION
'''),
    check('''
from snnlab.exercises import nb00
nb00.check_input_rate(input_rate)
'''),
    md("Here is what a check says about a typical mistake (dividing by milliseconds):"),
    code('''
nb00.check_input_rate(lambda events, duration: len(events) / (duration * 1000));
'''),
    code('''
from snnlab.events import poisson_encode
ev = poisson_encode(np.ones(784), total_rate=5000.0, duration=0.05, rng=0)
print(f"{len(ev)} events in 50 ms: {len(ev) / 0.05:.0f} events/s (asked for 5000)")
print(ev[:5])
'''),
    md("Next: **01_lif_neuron.ipynb**."),
])

# =====================================================================================  01
write("01_lif_neuron.ipynb", [
    md(r"""
# 01 · The LIF neuron, event-driven (Eqs. 1 and 3)

**Goal.** Understand and implement the event-driven leaky integrate-and-fire neuron of Lee et al.
(2016, section 2.1.1): exact leak between events, threshold, reset by subtraction, clipping at
$-V_{th}$; check it against an independent simulator (Brian2).
**Assumes.** Notebook 00; numpy; the exponential function.

| section | time |
|---|---|
| 1. Leak between events (Eq. 1) — exercise | 8 min |
| 2. One input event: integrate, fire, reset, clip (Eqs. 1, 3) — exercise | 12 min |
| 3. When does the first spike come? (analytic) — exercise | 12 min |
| 4. Explorer: sliders, Brian2 overlay, spike table | 10 min |
| 5. Bug hunt — exercise | 10 min |

In this notebook the dynamic weight (Eq. 2) is switched off (`T_ref=0`); notebook 02 is about it.
"""),
    code(SETUP + '''
from snnlab.events import make_events
from snnlab.neuron import leak, simulate_neuron, membrane_between_events
from snnlab.teaching import regular_events, first_crossing_time
from snnlab import plots
from snnlab.exercises import nb01
'''),
    md(r"""
## 1. Leak between events (Eq. 1) — 8 min

Between two input events nothing arrives, and the membrane obeys $\dot V = -V/\tau_{mp}$. Its exact
solution gives the first term of **Eq. 1**:

$$V_{mp}(t_p) = V_{mp}(t_{p-1})\, e^{(t_{p-1}-t_p)/\tau_{mp}} + w_i^{(p)} w_{dyn}$$

No time step is needed: the neuron is updated only when an event arrives ("lazy", exact).
In `snnlab` this is `snnlab.neuron.leak(membrane, dt, tau_mp)`.

**EXERCISE.** Write `my_leak(v, dt, tau_mp)`: the membrane `dt` seconds after it had value `v`.
"""),
    exercise('''
def my_leak(v, dt, tau_mp):
    ### BEGIN SOLUTION
    return v * np.exp(-dt / tau_mp)
    ### END SOLUTION
'''),
    check('''
nb01.check_leak(my_leak)
'''),
    md(r"""
The library's event-driven neuron after one input of weight $w$ at $t=0$: simulated (solid) and
the analytic $w\,e^{-t/\tau_{mp}}$ (dashed).
"""),
    code('''
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
'''),
    md(r"""
## 2. One input event: integrate, fire, reset, clip — 12 min

Per input event (see `snnlab/neuron.py`, which lists the steps):

1. **leak** to the event time (Eq. 1, first term);
2. **integrate**: add the weight, $V \leftarrow V + w$ (Eq. 1, second term, with $w_{dyn}=1$ here);
3. **fire**: if $V \ge V_{th}$ the neuron emits one spike (at most one per input event);
4. **reset by subtraction** (**Eq. 3**): $V \leftarrow V - V_{th}$ — the excess above threshold is kept;
5. **clip**: $V \leftarrow \max(V, -V_{th})$ (section 2.1.1; the reading note's "下限为 $V_{th}$" is a typo).

**EXERCISE.** Write `my_event_step(v, dt, w, v_th, tau_mp)` returning `(v_new, spiked)` for one
input event of weight `w` arriving `dt` seconds after the previous one.
"""),
    exercise('''
def my_event_step(v, dt, w, v_th, tau_mp):
    ### BEGIN SOLUTION
    v = v * np.exp(-dt / tau_mp) + w
    spiked = v >= v_th
    if spiked:
        v = v - v_th
    v = max(v, -v_th)
    return v, bool(spiked)
    ### END SOLUTION
'''),
    check('''
nb01.check_event_step(my_event_step)
'''),
    md(r"""
**Reset by subtraction and clipping, seen in a simulation.** Because Eqs. 1 and 3 are linear, the
membrane is exactly the superposition $V(t) = \sum_p w_p e^{-(t-t_p)/\tau} - V_{th}\sum_q e^{-(t-t_q)/\tau}$
over input events $t_p$ and output spikes $t_q$ (this is the decomposition behind Eqs. 4-5) — *as
long as the clip never acts*. With strongly inhibitory inputs the clip acts and the simulated
membrane (solid) leaves the closed form (dashed):
"""),
    code('''
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
'''),
    md(r"""
## 3. When does the first spike come? — 12 min

Regular input: one event of weight $w$ every $1/r$ seconds (the first at $1/r$). With
$q = e^{-1/(r\tau_{mp})}$, Eq. 1 gives after $n$ inputs (no spike yet)

$$V_n = w\,(1 + q + \dots + q^{n-1}) = w\,\frac{1-q^n}{1-q}.$$

The neuron fires at the first whole $n$ with $V_n \ge V_{th}$, at time $n/r$. If $w/(1-q) < V_{th}$
the membrane saturates below threshold and the neuron never fires.

**EXERCISE.** Write `my_first_crossing_time(w, v_th, tau_mp, rate)` (seconds; `np.inf` if never).
"""),
    exercise('''
def my_first_crossing_time(w, v_th, tau_mp, rate):
    ### BEGIN SOLUTION
    q = np.exp(-1.0 / (rate * tau_mp))
    arg = 1 - v_th * (1 - q) / w
    if arg <= 0:
        return np.inf
    n = np.ceil(np.log(arg) / np.log(q))
    return n / rate
    ### END SOLUTION
'''),
    check('''
nb01.check_first_crossing(my_first_crossing_time)
'''),
    md("The library's analytic formula (`snnlab.teaching.first_crossing_time`) next to the simulation:"),
    code('''
print(f"{'rate (eps)':>10} {'analytic (ms)':>14} {'simulated (ms)':>15}")
for rate in (100, 200, 500, 1000, 2000):
    ev = regular_events(rate, 0.5)
    sim = simulate_neuron(ev, [0.3], 1.0, tau_mp=0.02, T_ref=0.0).spike_times[0]
    print(f"{rate:>10} {first_crossing_time(0.3, 1.0, 0.02, rate) * 1e3:>14.3f} "
          f"{(sim[0] if sim else np.inf) * 1e3:>15.3f}")
'''),
    md(r"""
## 4. Explorer: τ_mp, V_th, input rate — and Brian2 — 10 min

Move the sliders (the figure redraws when you release one). Solid: the event-driven neuron
(`snnlab.neuron.simulate_neuron`); dotted: the same neuron built in **Brian2**
(`snnlab.brian.brian_membrane_trace`, clock-driven, 10 µs steps, input times on that grid);
dashed: the closed form of section 2; the vertical dash-dot line: the analytic first spike
(section 3). The table under the figure compares the spike times of the two simulators.

Try: a longer τ_mp (less leak, earlier first spike); a rate so low that $w/(1-q) < V_{th}$ (no spike).
"""),
    code('''
from snnlab.widgets import lif_explorer
lif = lif_explorer()
lif.widget
'''),
    code('''
print(lif.text)      # the same spike table, as text
'''),
    md(r"""
## 5. Bug hunt — 10 min

A student wrote this loop for one neuron (no refractory period). It runs, but its spikes differ
from `simulate_neuron`. Find the bug.
"""),
    code('''
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

ev = regular_events(400.0, 0.1)
print("buggy:     ", np.round(buggy_simulate(ev, [0.3], 1.0, 0.02), 4))
print("snnlab:    ", np.round(simulate_neuron(ev, [0.3], 1.0, tau_mp=0.02, T_ref=0.0).spike_times[0], 4))
nb01.check_bug_hunt(buggy_simulate);    # the check recognises this bug
'''),
    md("**EXERCISE.** Write the corrected `my_simulate` (same arguments, returns the list of spike times)."),
    exercise('''
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
'''),
    check('''
nb01.check_bug_hunt(my_simulate)
'''),
    md(r"""
**Summary.** Eq. 1 (exact leak + input), Eq. 3 (reset by subtraction) and the clip at $-V_{th}$ are
the whole neuron; an event-driven simulator updates it only at input events, and it agrees with a
clock-driven Brian2 simulation spike for spike. Next: **02_dynamic_weight.ipynb**.
"""),
])

# =====================================================================================  02
write("02_dynamic_weight.ipynb", [
    md(r"""
# 02 · Dynamic weight and the refractory period (Eq. 2)

**Goal.** Understand the paper's refractory mechanism: after an output spike the *inputs* are scaled
by a dynamic weight $w_{dyn}$ that recovers quadratically (Eq. 2); compare it with the textbook
*hard* refractory period, which blocks the *output* instead.
**Assumes.** Notebook 01.

| section | time |
|---|---|
| 1. The dynamic weight (Eq. 2) — exercise | 8 min |
| 2. How long until the weight is back? — exercise | 5 min |
| 3. Explorer: dynamic weight vs hard refractory period | 10 min |
| 4. Inputs during the refractory period: lost or kept? | 7 min |
| 5. Implement the hard refractory period — exercise | 12 min |
"""),
    code(SETUP + '''
from snnlab.events import make_events, poisson_encode
from snnlab.neuron import dynamic_weight, simulate_neuron, membrane_between_events
from snnlab.teaching import simulate_variant, regular_events
from snnlab.exercises import nb02
'''),
    md(r"""
## 1. The dynamic weight (Eq. 2) — 8 min

$$w_{dyn} = \begin{cases} (\Delta t / T_{ref})^2 & \text{if } \Delta t < T_{ref} \text{ and } w_{dyn} < 1\\ 1 & \text{otherwise}\end{cases}
\qquad \Delta t = t_p - t_{out}$$

$t_{out}$ is the time of the neuron's latest output spike *or* of the latest lateral inhibition it
received (notebook 03). The paper writes $\Delta t = t_{out} - t_p$; the square hides the sign.
The input of Eq. 1 is multiplied by $w_{dyn}$: zero right after the spike, back to full weight after
$T_{ref}$ (paper: 1 ms). `T_ref = 0` switches the mechanism off. In `snnlab`:
`snnlab.neuron.dynamic_weight(t, t_out, T_ref)`.

**EXERCISE.** Write `my_w_dyn(t, t_out, T_ref)` (`t_out = -inf` means "never fired").
"""),
    exercise('''
def my_w_dyn(t, t_out, T_ref):
    ### BEGIN SOLUTION
    if T_ref == 0:
        return 1.0
    return min(1.0, ((t - t_out) / T_ref) ** 2)
    ### END SOLUTION
'''),
    check('''
nb02.check_w_dyn(my_w_dyn)
'''),
    md("The library function (dots) with Eq. 2 (dashed), for three values of T_ref:"),
    code('''
fig, ax = plt.subplots(figsize=(6, 2.8))
dt = np.linspace(0, 0.004, 400)
for T, c in ((0.0005, "C0"), (0.001, "C1"), (0.002, "C2")):
    pts = np.linspace(0, 0.004, 21)
    ax.plot(pts * 1e3, [dynamic_weight(p, 0.0, T) for p in pts], "o", color=c, ms=4,
            label=f"dynamic_weight, T_ref = {T*1e3:g} ms")
    ax.plot(dt * 1e3, np.minimum(1, (dt / T) ** 2), "--", color=c, lw=1)
ax.set_xlabel("time since the output spike (ms)"); ax.set_ylabel("w_dyn"); ax.legend(fontsize=8); plt.show()
'''),
    md(r"""
## 2. How long until the weight is back? — 5 min

**EXERCISE.** Write `my_recovery_time(fraction, T_ref)`: the time after an output spike at which
$w_{dyn}$ reaches `fraction` (between 0 and 1).
"""),
    exercise('''
def my_recovery_time(fraction, T_ref):
    ### BEGIN SOLUTION
    return T_ref * np.sqrt(fraction)
    ### END SOLUTION
'''),
    check('''
nb02.check_recovery_time(my_recovery_time)
'''),
    code('''
T = 0.001
for f in (0.25, 0.5, 0.9):
    dt = T * np.sqrt(f)        # analytic answer
    print(f"w_dyn = {f:4.2f} after {dt*1e3:.4f} ms;  library dynamic_weight there: {dynamic_weight(dt, 0.0, T):.6f}")
'''),
    md(r"""
## 3. Explorer: dynamic weight vs hard refractory period — 10 min

Top: $w_{dyn}$ *measured* in `simulate_neuron` (a spike at $t=0$, then one probe input; dots) over
Eq. 2 (dashed). Middle: the same Poisson input drives the paper's neuron (dynamic weight) and a
neuron with a **hard** refractory period (`snnlab.teaching.simulate_variant(refractory="hard")`:
every input is integrated in full, but firing is blocked for $T_{ref}$). Bottom: their spikes.

Try T_ref = 0 (both identical), then 3-10 ms with a high input rate: the hard neuron's membrane
keeps climbing during the blocked period, and with reset by subtraction the excess piles up, so it
ends up firing at its maximum rate $1/T_{ref}$ whatever the input; with the dynamic weight the input
arriving right after a spike is (partly) *lost*.
"""),
    code('''
from snnlab.widgets import refractory_explorer
refr = refractory_explorer()
refr.widget
'''),
    md(r"""
## 4. Inputs during the refractory period: lost or kept? — 7 min

One strong input makes the neuron fire at 10 ms; three inputs of 0.4 follow at 10.2, 10.5 and
10.8 ms, inside $T_{ref} = 1$ ms; then a single weak input at 12 ms.
"""),
    code('''
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
'''),
    md(r"""
With the dynamic weight the inputs inside the refractory period are mostly lost, so there is no
second spike. With a hard refractory period the membrane integrates them all (it sits above
threshold, but may not fire), and the neuron fires at the next input after $T_{ref}$.

Why did the paper choose the dynamic weight? Because $t_{out}$ can be set *from outside*: the lateral
inhibition of a winner-take-all circuit puts all competing neurons into the refractory state at
once (notebook 03). A hard block of the output could not do that.

## 5. Implement the hard refractory period — 12 min

**EXERCISE.** Write `my_simulate_hard(events, weights, v_th, tau_mp, T_ref)` for one neuron: the loop
of notebook 01 (leak, integrate, fire, reset by subtraction, clip) where the neuron may only fire if
at least `T_ref` has passed since its last spike. Return the list of spike times.
"""),
    exercise('''
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
'''),
    check('''
nb02.check_hard_refractory(my_simulate_hard)
'''),
    md("Next: **03_winner_take_all.ipynb**."),
])

# =====================================================================================  03
write("03_winner_take_all.ipynb", [
    md(r"""
# 03 · Winner-take-all: lateral inhibition (section 2.1.2)

**Goal.** Understand the paper's WTA circuit: every spike of a neuron lowers the membrane of every
*other* neuron of the group by $\kappa V_{th,i}$ — proportional to the **inhibited** neuron's own
threshold — and puts it into the refractory state (Eq. 2 with $t_{out,i} \leftarrow t$). See why
the losers are made refractory.
**Assumes.** Notebooks 01 and 02.

| section | time |
|---|---|
| 1. One WTA step — exercise | 12 min |
| 2. Inhibition proportional to V_th — exercise | 8 min |
| 3. Explorer: κ, group size, rasters | 10 min |
| 4. Why the inhibited neurons become refractory | 10 min |
| 5. How sparse? A κ sweep — exercise | 10 min |
"""),
    code(SETUP + '''
from snnlab.events import make_events, poisson_encode
from snnlab.neuron import simulate_group
from snnlab.teaching import simulate_variant, winner_share, steal_rate
from snnlab import plots
from snnlab.exercises import nb03
'''),
    md(r"""
## 1. One WTA step — 12 min

After the input of an event has been integrated (Eq. 1), in a WTA layer with strength
$-1 \le \kappa \le 0$ (paper: −0.4 in hidden layers):

1. every neuron with $V_i \ge V_{th,i}$ fires and resets, $V_i \leftarrow V_i - V_{th,i}$ (Eq. 3);
2. every neuron $i$ receives $\kappa V_{th,i}$ **for each spike of another neuron** (the form used in
   Eq. 5, with all lateral strengths equal) — the winner does not inhibit itself;
3. every inhibited neuron becomes refractory: $t_{out,i} \leftarrow t$, so its $w_{dyn}$ drops to 0 (Eq. 2);
4. clip: $V_i \leftarrow \max(V_i, -V_{th,i})$.

In `snnlab`: `snnlab.neuron.simulate_group(..., kappa=...)` (the WTA block of its loop).

**EXERCISE.** Write `my_wta_step(v, v_th, kappa)` for arrays `v` (membranes after integration)
and `v_th`; return `(v_new, fired, refractory)` — `fired` and `refractory` are boolean arrays
(`refractory[i]`: neuron $i$'s $t_{out}$ is set to now).
"""),
    exercise('''
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
'''),
    check('''
nb03.check_wta_step(my_wta_step)
'''),
    md(r"""
## 2. Inhibition proportional to the inhibited neuron's threshold — 8 min

Neurons with a large $V_{th}$ are inhibited strongly, those with a small $V_{th}$ weakly. With the
threshold regularization of notebook 06, very active neurons get larger thresholds, so this balances
the activity (section 2.1.2).

**EXERCISE.** A neuron sits at $V = v$ ($0 \le v < V_{th}$). Other neurons of its group fire one
after the other (no leak, no input to our neuron). Write `my_spikes_to_floor(v, v_th, kappa)`: how
many of their spikes does it take until our neuron sits at the floor $-V_{th}$? (`np.inf` if never.)
"""),
    exercise('''
def my_spikes_to_floor(v, v_th, kappa):
    ### BEGIN SOLUTION
    if kappa == 0:
        return np.inf
    return int(np.ceil((v + v_th) / (-kappa * v_th)))
    ### END SOLUTION
'''),
    check('''
nb03.check_spikes_to_floor(my_spikes_to_floor)
'''),
    md(r"""
The same in `simulate_group`: two neurons with $V_{th} = 1$ and $2$ start at $V = 0.3\,V_{th}$; a third
neuron fires at every event (κ = −0.4). Solid: simulated; dashed: $\max(v + n\kappa V_{th}, -V_{th})$.
Both reach the floor after the same number of spikes — the inhibition is *relative* to $V_{th}$.
"""),
    code('''
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
'''),
    md(r"""
## 3. Explorer: κ, group size, refractoriness — 10 min

A group of N neurons (random positive weights, thresholds 0.8-1.2) receives the same Poisson input
(20 channels, 5 keps, 100 ms). Left: spike raster; right: spikes per neuron. The title reports the
total, the *winner share* (fraction of spikes from the most active neuron) and the *stolen* fraction
(spikes fired within $T_{ref}$ after another neuron's spike, `snnlab.teaching.steal_rate`).

Try κ = 0 (independent neurons), −0.4 (paper, hidden layers), −1 (output layer); then untick
"inhibition makes the losers refractory".
"""),
    code('''
from snnlab.widgets import wta_explorer
wta = wta_explorer()
wta.widget
'''),
    md(r"""
## 4. Why the inhibited neurons become refractory — 10 min

The paper (section 2.1.1): lateral inhibition "simultaneously puts all neurons competing in a WTA
into the refractory state. This ensures that the winning neuron gets another chance to win the
competition, since otherwise another neuron could fire while only the winner has to reset its
membrane potential after generating a spike."

Without it, right after a spike the winner is refractory (its inputs scaled by $w_{dyn} \approx 0$)
while the losers keep integrating at full weight — they catch up and fire during the winner's
refractory period. We run the same group both ways (`simulate_variant(inhibited_refractory=...)`).
"""),
    code('''
rng = np.random.default_rng(5)
N, M = 10, 20
W = rng.uniform(0.0, 0.25, (N, M)); th = rng.uniform(0.8, 1.2, N)
ev = poisson_encode(rng.uniform(0.2, 1.0, M), total_rate=5000.0, duration=0.1, rng=6)
fig, axes = plt.subplots(1, 2, figsize=(10, 3), sharey=True)
for ax, flag in zip(axes, (True, False)):
    r = simulate_variant(ev, W, th, 0.02, 0.001, -0.4, inhibited_refractory=flag)
    plots.raster(ax, r.spike_times)
    ax.set_title(f"losers refractory: {flag}\\n{sum(map(len, r.spike_times))} spikes, "
                 f"winner share {winner_share(r.spike_times):.2f}, stolen {steal_rate(r.spike_times, 0.001):.2f}",
                 fontsize=9)
plt.show()
same = simulate_group(ev, W, th, 0.02, 0.001, -0.4).spike_times == \\
       simulate_variant(ev, W, th, 0.02, 0.001, -0.4).spike_times
print("simulate_variant with the paper's choice == snnlab.neuron.simulate_group:", same)
'''),
    md(r"""
With the paper's rule almost no spike is "stolen": after each spike every neuron restarts from a
refractory state, and the neuron with the strongest input (often the previous winner) wins again.
Without it, about half of the spikes come from other neurons right after a spike, the group fires
more and is less selective.

## 5. How sparse? A κ sweep — 10 min

**EXERCISE.** Write `my_winner_share(spike_times)`: the fraction of all spikes of the group emitted
by its most active neuron (`spike_times` is a list with one list of times per neuron; 0.0 if
nobody fired).
"""),
    exercise('''
def my_winner_share(spike_times):
    ### BEGIN SOLUTION
    counts = [len(s) for s in spike_times]
    total = sum(counts)
    return max(counts) / total if total > 0 else 0.0
    ### END SOLUTION
'''),
    check('''
nb03.check_winner_share(my_winner_share)
'''),
    code('''
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
'''),
    md(r"""
Stronger inhibition (κ → −1) means fewer spikes and a larger share for the winner. The paper found
κ = −0.4 best for the hidden layers on MNIST (Fig. 3; notebook 07 reproduces that sweep).

**Summary.** A WTA spike changes every other neuron by $\kappa V_{th,i}$ and makes it refractory
through the dynamic weight; this is why the paper uses $w_{dyn}$ rather than a hard refractory
period. Next: notebook 04, deriving the gradient.
"""),
])
