"""Checks for notebooks/02_dynamic_weight.ipynb: my_w_dyn (Eq. 2), my_recovery_time, my_simulate_hard
(the hard refractory period).

References: :func:`snnlab.neuron.dynamic_weight` and :func:`snnlab.teaching.simulate_variant`
(``refractory="hard"``), which is tested to equal :func:`snnlab.neuron.simulate_group` for the
paper's dynamic weight.
"""
from __future__ import annotations

import math

import numpy as np

from ..events import poisson_encode
from ..neuron import dynamic_weight, leak, simulate_neuron
from ..teaching import regular_events, simulate_variant
from . import Case, Check, Mistake, same

INF = math.inf

# -------------------------------------------------------- my_w_dyn(t, t_out, T_ref), Eq. 2
check_w_dyn = Check(
    "my_w_dyn(t, t_out, T_ref)", dynamic_weight,
    cases=[Case((0.0105, 0.010, 0.001), "half-way through the refractory period"),
           Case((0.0102, 0.010, 0.001), "early in the refractory period"),
           Case((0.0110, 0.010, 0.002), "T_ref = 2 ms"),
           Case((0.010, 0.010, 0.001), "right at the output spike"),
           Case((0.0125, 0.010, 0.001), "after the refractory period is over"),
           Case((0.005, -INF, 0.001), "a neuron that never fired (t_out = -inf)"),
           Case((0.0031, 0.003, 0.0), "T_ref = 0 (mechanism switched off)")],
    mistakes=[
        Mistake("your w_dyn recovers *linearly*, (t - t_out) / T_ref; Eq. 2 squares it: "
                "((t - t_out) / T_ref)^2 (quadratic recovery).",
                lambda t, to, T: min(1.0, (t - to) / T) if T > 0 else 1.0),
        Mistake("your w_dyn goes above 1 after T_ref: it must stay at 1 once t - t_out >= T_ref "
                "(min(1, ...)).", lambda t, to, T: ((t - to) / T) ** 2 if T > 0 and to > -INF else 1.0),
        Mistake("you computed the *blocked* fraction 1 - (dt/T_ref)^2; w_dyn is the part of the input "
                "that still gets through: 0 right after the spike, 1 after T_ref.",
                lambda t, to, T: 1 - min(1.0, ((t - to) / T) ** 2) if T > 0 else 1.0),
        Mistake("T_ref = 0 switches the mechanism off: return 1 (no division by zero).",
                lambda t, to, T: min(1.0, ((t - to) / T) ** 2) if T > 0 else float("nan")),
    ],
    hint="w_dyn = min(1, ((t - t_out) / T_ref)^2); with T_ref = 0 it is 1.",
    arg_names=("t", "t_out", "T_ref"), reference_name="snnlab.neuron.dynamic_weight")


# ------------------------------------------------ my_recovery_time(fraction, T_ref), from Eq. 2
def _reference_recovery(fraction, T_ref):
    """Invert snnlab.neuron.dynamic_weight numerically (bisection on the time since t_out)."""
    lo, hi = 0.0, T_ref
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if dynamic_weight(mid, 0.0, T_ref) < fraction:
            lo = mid
        else:
            hi = mid
    return hi


def _recovery_table(student, T_ref=0.001):
    """Shown after a right answer: the student's times, and w_dyn there by the library."""
    lines = [f"with T_ref = {T_ref * 1e3:g} ms:"]
    for f in (0.25, 0.5, 0.9):
        dt = float(student(f, T_ref))
        lines.append(f"  w_dyn = {f:4.2f} after {dt * 1e3:.4f} ms   (snnlab.neuron.dynamic_weight there: "
                     f"{dynamic_weight(dt, 0.0, T_ref):.6f})")
    half, most = (100 * float(student(f, T_ref)) / T_ref for f in (0.5, 0.9))
    lines.append(f"so half of the weight is back only after {half:.0f} % of T_ref, 90 % after {most:.0f} %: the "
                 "quadratic recovery is slow at first and fast at the end.")
    return "\n".join(lines)


check_recovery_time = Check(
    "my_recovery_time(fraction, T_ref)", _reference_recovery,
    cases=[Case((0.25, 0.001), "a quarter of the weight, T_ref = 1 ms"),
           Case((0.5, 0.002), "half of the weight, T_ref = 2 ms"),
           Case((0.81, 0.001), "81 % of the weight"),
           Case((1.0, 0.003), "full recovery")],
    mistakes=[
        Mistake("you assumed a linear recovery (fraction * T_ref); w_dyn recovers quadratically, "
                "so solve (dt / T_ref)^2 = fraction.", lambda f, T: f * T),
        Mistake("you squared instead of taking the square root: dt = T_ref * sqrt(fraction).",
                lambda f, T: f ** 2 * T),
        Mistake("you computed the time that is still missing, T_ref - dt; the question asks for the "
                "time since the spike.", lambda f, T: T - T * math.sqrt(f)),
    ],
    hint="w_dyn(dt) = (dt / T_ref)^2 for dt < T_ref: set it equal to `fraction` and solve for dt.",
    arg_names=("fraction", "T_ref"), compare=lambda a, b: same(a, b, rtol=1e-9, atol=1e-15),
    reference_name="snnlab.neuron.dynamic_weight (inverted numerically)", explain=_recovery_table)


# ------------------------------- my_simulate_hard(events, weights, v_th, tau_mp, T_ref)
def _reference_hard(events, weights, v_th, tau_mp, T_ref):
    return simulate_variant(events, weights, v_th, tau_mp, T_ref, refractory="hard").spike_times[0]


def _hard_model(integrate_during=True, fire_during=False, reset="subtract", clip=True):
    def sim(events, weights, v_th, tau, T_ref):
        v, t_prev, t_out, spikes = 0.0, 0.0, -INF, []
        for t, k in zip(events["t"], events["ch"]):
            v = leak(v, t - t_prev, tau)
            refractory = t - t_out < T_ref
            if integrate_during or not refractory:
                v += weights[k]
            if (fire_during or not refractory) and v >= v_th:
                spikes.append(float(t))
                t_out = t
                v = 0.0 if reset == "zero" else v - v_th
            if clip:
                v = max(v, -v_th)
            t_prev = t
        return spikes
    return sim


_EV_REG = regular_events(2000.0, 0.05)
_EV_POI = poisson_encode(np.ones(3), total_rate=4000.0, duration=0.06, rng=7)

check_simulate_hard = Check(
    "my_simulate_hard(events, weights, v_th, tau_mp, T_ref)", _reference_hard,
    cases=[Case((_EV_REG, np.array([0.45]), 1.0, 0.020, 0.003), "fast regular input, T_ref = 3 ms"),
           Case((_EV_POI, np.array([0.5, 0.4, -1.2]), 1.0, 0.020, 0.002),
                "Poisson input with an inhibitory channel, T_ref = 2 ms"),
           Case((_EV_REG, np.array([0.45]), 1.0, 0.020, 0.0), "T_ref = 0 (no refractory period)")],
    mistakes=[
        Mistake("that is the paper's dynamic weight (Eq. 2); here the *hard* refractory period is "
                "asked for: every input counts in full, only firing is blocked for T_ref.",
                lambda ev, w, th, tau, T: simulate_neuron(ev, w, th, tau, T).spike_times[0]),
        Mistake("your neuron fires during the refractory period: no spike while t - t_out < T_ref.",
                _hard_model(fire_during=True)),
        Mistake("you dropped the inputs that arrive during the refractory period; a hard refractory "
                "period blocks only the *output*, the membrane keeps integrating every input.",
                _hard_model(integrate_during=False)),
        Mistake("you reset to zero; keep the reset by subtraction (Eq. 3).", _hard_model(reset="zero")),
        Mistake("no clipping at -V_th (it still applies).", _hard_model(clip=False)),
    ],
    hint="like the loop of notebook 01 (leak, add w, fire, reset, clip), plus t_out: a spike is "
         "allowed only if t - t_out >= T_ref; a spike sets t_out = t.",
    arg_names=("events", "weights", "v_th", "tau_mp", "T_ref"),
    reference_name='snnlab.teaching.simulate_variant(refractory="hard")')
