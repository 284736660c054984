"""Checks for notebooks/01_lif_neuron.ipynb: my_leak, my_event_step, my_first_crossing_time and the
bug hunt (my_simulate).

Every reference is computed by snnlab: :func:`snnlab.neuron.leak` and
:func:`snnlab.neuron.simulate_neuron` (with ``T_ref = 0``: no dynamic weight in this notebook).
"""
from __future__ import annotations

import math

import numpy as np

from ..events import make_events, poisson_encode
from ..neuron import leak, simulate_neuron
from ..teaching import regular_events
from . import Case, Check, Mistake

# ------------------------------------------------------------- my_leak(v, dt, tau_mp), Eq. 1
check_leak = Check(
    "my_leak(v, dt, tau_mp)", leak,
    cases=[Case((1.0, 0.005, 0.020), "a positive membrane decaying for 5 ms"),
           Case((-0.5, 0.040, 0.020), "a negative membrane decaying for 2 tau"),
           Case((0.8, 0.0, 0.020), "dt = 0 (two events at the same time)"),
           Case((1.0, 0.010, 0.200), "a long time constant (N-MNIST, 200 ms)")],
    mistakes=[
        Mistake("your membrane potential never decays: did you multiply by exp(-dt / tau_mp)?",
                lambda v, dt, tau: v),
        Mistake("your membrane *grows* between events: the exponent needs a minus sign, "
                "exp(-dt / tau_mp).", lambda v, dt, tau: v * math.exp(dt / tau)),
        Mistake("you used the Euler step v * (1 - dt / tau_mp); the event-driven neuron uses the exact "
                "solution v * exp(-dt / tau_mp), valid for any gap between events.",
                lambda v, dt, tau: v * (1 - dt / tau)),
        Mistake("dt and tau_mp are swapped: exp(-dt / tau_mp), not exp(-tau_mp / dt).",
                lambda v, dt, tau: v * math.exp(-tau / dt) if dt > 0 else 0.0),
        Mistake("the leak is multiplicative (a fraction of v is lost), not a subtraction.",
                lambda v, dt, tau: v - math.exp(-dt / tau)),
    ],
    hint="between two events the membrane follows dV/dt = -V / tau_mp, so V(t_p) = V(t_p-1) * exp(-(t_p - t_p-1) / tau_mp).",
    arg_names=("v", "dt", "tau_mp"), reference_name="snnlab.neuron.leak")


# ----------------------------------------- my_event_step(v, dt, w, v_th, tau_mp), Eqs. 1 and 3
def _reference_step(v, dt, w, v_th, tau_mp):
    """One event of snnlab.neuron.simulate_neuron: a first event at t=0 sets V = v (needs
    -v_th <= v < v_th), the second (weight w, dt later) is the step asked for.  T_ref = 0."""
    ev = make_events([0.0, dt], [0, 1])
    r = simulate_neuron(ev, [v, w], v_th, tau_mp, T_ref=0.0)
    return float(r.membrane[0]), len(r.spike_times[0]) > 0     # (the first event never fires)


def _step_model(leak_on=True, leak_after=False, reset="subtract", clip="-vth", geq=True, loop=False):
    def step(v, dt, w, v_th, tau):
        if leak_after:
            v = (v + w) * math.exp(-dt / tau)
        else:
            v = (v * math.exp(-dt / tau) if leak_on else v) + w
        spiked = v >= v_th if geq else v > v_th
        if spiked:
            if reset == "subtract":
                v -= v_th
                while loop and v >= v_th:
                    v -= v_th
            elif reset == "zero":
                v = 0.0
        if clip == "-vth":
            v = max(v, -v_th)
        elif clip == "0":
            v = max(v, 0.0)
        elif clip == "+vth":
            v = max(v, v_th)
        return v, bool(spiked)
    return step


check_event_step = Check(
    "my_event_step(v, dt, w, v_th, tau_mp)", _reference_step,
    cases=[Case((0.5, 0.010, 0.2, 1.0, 0.020), "the leak before the input, no spike"),
           Case((0.3, 0.030, 0.8, 1.0, 0.020), "leak decides: no spike with the leak, a spike without it"),
           Case((0.9, 0.001, 0.6, 1.0, 0.020), "a spike and the reset"),
           Case((1.2, 0.002, 1.5, 2.0, 0.020), "a spike with V_th = 2 (not 1)"),
           Case((0.5, 0.0, 0.5, 1.0, 0.020), "V exactly equal to V_th (fires: V >= V_th)"),
           Case((0.2, 0.0, 2.5, 1.0, 0.020), "an input 2.5 x V_th (one spike per event)"),
           Case((-0.2, 0.005, -1.5, 1.0, 0.020), "a big negative input: clip at -V_th"),
           Case((-0.1, 0.005, -0.3, 1.0, 0.020), "a small negative input: no clipping needed")],
    mistakes=[
        Mistake("your membrane never decays between events: multiply v by exp(-dt / tau_mp) "
                "before adding the input (Eq. 1).", _step_model(leak_on=False)),
        Mistake("you leaked after adding the input: the input arrives at time t and has not "
                "decayed yet; leak first, then add w (Eq. 1).", _step_model(leak_after=True)),
        Mistake("you reset to zero; the paper resets by *subtraction*, V <- V - V_th (Eq. 3), so the "
                "part of V above threshold is kept.", _step_model(reset="zero")),
        Mistake("your neuron spikes but V is not reset: subtract V_th after a spike (Eq. 3).",
                _step_model(reset="none")),
        Mistake("no clipping: the membrane must not go below -V_th (section 2.1.1), "
                "V <- max(V, -V_th).", _step_model(clip="none")),
        Mistake("you clipped at 0; the floor is -V_th (negative potentials down to -V_th are allowed).",
                _step_model(clip="0")),
        Mistake("you clipped at +V_th, as the reading note writes it (a typo there); the paper's floor "
                "is -V_th.", _step_model(clip="+vth")),
        Mistake("you fire only when V > V_th; the rule is V >= V_th (equality fires).",
                _step_model(geq=False)),
        Mistake("you keep subtracting V_th while V >= V_th; the neuron emits at most one spike per "
                "input event (then V may stay above threshold until the next event).",
                _step_model(loop=True)),
    ],
    hint="order: leak, add w, if V >= V_th: spike and V -= V_th, then V = max(V, -V_th). "
         "Return (V, spiked).",
    arg_names=("v", "dt", "w", "v_th", "tau_mp"),
    reference_name="snnlab.neuron.simulate_neuron (one event, T_ref = 0)")


# ---------------------------------- my_first_crossing_time(w, v_th, tau_mp, rate), from Eq. 1
def _reference_first_crossing(w, v_th, tau_mp, rate, n_max=3000):
    """Simulated: regular input at 1/rate, 2/rate, ...; the first output spike (inf if none)."""
    ev = regular_events(rate, (n_max + 0.5) / rate)
    r = simulate_neuron(ev, [w], v_th, tau_mp, T_ref=0.0)
    return r.spike_times[0][0] if r.spike_times[0] else math.inf


def _analytic(w, v_th, tau, rate, rounding=math.ceil, shift=0, never=math.inf):
    q = math.exp(-1.0 / (rate * tau))
    arg = 1 - v_th * (1 - q) / w
    if arg <= 0:
        return never
    return (rounding(math.log(arg) / math.log(q)) + shift) / rate


def _continuous(w, v_th, tau, rate):
    arg = 1 - v_th / (w * rate * tau)
    return -tau * math.log(arg) if arg > 0 else math.inf


check_first_crossing_time = Check(
    "my_first_crossing_time(w, v_th, tau_mp, rate)", _reference_first_crossing,
    cases=[Case((0.3, 1.0, 0.020, 200.0), "moderate input, tau 20 ms"),
           Case((0.25, 1.5, 0.010, 1000.0), "fast input, V_th = 1.5"),
           Case((0.5, 1.0, 0.050, 50.0), "slow input, long tau"),
           Case((0.1, 1.0, 0.020, 100.0), "too weak an input: the neuron never fires")],
    mistakes=[
        Mistake("you ignored the leak (n = V_th / w inputs); between inputs V decays by "
                "q = exp(-1 / (rate tau_mp)), so V after n inputs is w (1 - q^n) / (1 - q).",
                lambda w, th, tau, r: math.ceil(th / w - 1e-12) / r),
        Mistake("you used the continuous (rate) approximation V(t) = w rate tau (1 - exp(-t / tau)); "
                "the neuron only changes at input events, so the answer is a multiple of 1/rate.",
                _continuous),
        Mistake("one input too early: either you rounded n down (use ceil: the first *whole* n with "
                "V >= V_th), or you counted from t = 0 (the n-th input arrives at n / rate).",
                lambda w, th, tau, r: _analytic(w, th, tau, r, shift=-1)),
        Mistake("when w / (1 - q) < V_th the membrane saturates below threshold and never fires: "
                "return math.inf (np.inf) in that case.",
                lambda w, th, tau, r: _analytic(w, th, tau, r, never=float("nan"))),
    ],
    hint="V after n regular inputs: w (1 - q^n) / (1 - q) with q = exp(-1 / (rate tau_mp)). Solve "
         "V >= V_th for the smallest whole n; the time is n / rate.",
    arg_names=("w", "v_th", "tau_mp", "rate"),
    reference_name="snnlab.neuron.simulate_neuron on a regular input train")


# ------------------------------------------------------------ bug hunt: my_simulate(...)
def buggy_simulate(events, weights, v_th, tau_mp):
    """The buggy loop shown in the notebook (leak uses the absolute time t, not t - t_prev)."""
    v, spikes = 0.0, []
    for t, k in zip(events["t"], events["ch"]):
        v = v * math.exp(-t / tau_mp)
        v = v + weights[k]
        if v >= v_th:
            spikes.append(float(t))
            v = v - v_th
        v = max(v, -v_th)
    return spikes


def _sim_model(leak_abs=False, reset="subtract", clip=True):
    def sim(events, weights, v_th, tau):
        v, t_prev, spikes = 0.0, 0.0, []
        for t, k in zip(events["t"], events["ch"]):
            v = v * math.exp(-((t if leak_abs else t - t_prev)) / tau) + weights[k]
            if v >= v_th:
                spikes.append(float(t))
                v = 0.0 if reset == "zero" else v - v_th
            if clip:
                v = max(v, -v_th)
            t_prev = t
        return spikes
    return sim


def _reference_sim(events, weights, v_th, tau_mp):
    return simulate_neuron(events, weights, v_th, tau_mp, T_ref=0.0).spike_times[0]


_BH_EV = poisson_encode(np.ones(6), total_rate=3000.0, duration=0.08, rng=4)
_BH_W = np.array([0.35, 0.3, 0.25, -0.6, 0.3, -0.9])

check_simulate = Check(
    "my_simulate(events, weights, v_th, tau_mp)", _reference_sim,
    cases=[Case((_BH_EV, _BH_W, 1.0, 0.020), "mixed excitatory / inhibitory Poisson input"),
           Case((_BH_EV, _BH_W * 2, 1.5, 0.005), "stronger input, short tau_mp"),
           Case((regular_events(400.0, 0.1), np.array([0.3]), 1.0, 0.020), "a regular train")],
    mistakes=[
        Mistake("still the original bug: the leak uses exp(-t / tau_mp) with t the absolute time; "
                "it must use the time since the *previous event*, t - t_prev (and update t_prev).",
                buggy_simulate),
        Mistake("the leak is fixed, but now you reset to zero; keep the reset by subtraction (Eq. 3).",
                _sim_model(reset="zero")),
        Mistake("the leak is fixed, but the clipping at -V_th got lost.", _sim_model(clip=False)),
    ],
    hint="look at the line that computes the leak: which time difference belongs in the exponent?",
    arg_names=("events", "weights", "v_th", "tau_mp"),
    reference_name="snnlab.neuron.simulate_neuron (T_ref = 0)",
    explain="the bug was the leak: exp(-t / tau_mp) decays the membrane by the absolute time t of the "
            "event, so late in the train every input finds V almost erased; between two events the membrane "
            "decays only for the time since the previous event, exp(-(t - t_prev) / tau_mp) (Eq. 1), which "
            "needs t_prev, updated at every event.")
