"""Checks for notebooks/03_winner_take_all.ipynb: my_wta_step (one WTA step), my_spikes_to_floor
(inhibition to the floor), my_winner_share.

References: :func:`snnlab.neuron.simulate_group` (probed with crafted events, see
:func:`_reference_wta_step`) and :func:`snnlab.teaching.winner_share`.
"""
from __future__ import annotations

import math

import numpy as np

from ..events import make_events
from ..neuron import simulate_group
from ..teaching import winner_share
from . import Case, Check, Mistake

_TAU, _TREF = 0.020, 0.001


# --------------------------------------------- my_wta_step(v, v_th, kappa) -> (v, fired, refr)
def _reference_wta_step(v, v_th, kappa):
    """snnlab.neuron.simulate_group on one event whose weights are ``v`` (so V = v after the
    integration, -v_th <= v < 2 v_th), then a tiny probe input T_ref/2 later: the probe gets
    through with w_dyn = 1/4 for refractory neurons and 1 for the others."""
    v, v_th = np.asarray(v, float), np.asarray(v_th, float)
    probe = 1e-3 * v_th
    ev = make_events([0.0, _TREF / 2], [0, 1])
    r = simulate_group(ev, np.column_stack([v, probe]), v_th, _TAU, _TREF, kappa, record=True)
    v1, v2 = r.trace_v[:, 0], r.trace_v[:, 1]
    fired = np.array([len(s) > 0 and s[0] == 0.0 for s in r.spike_times])
    w_dyn = (v2 - v1 * math.exp(-_TREF / 2 / _TAU)) / probe
    return v1, fired, w_dyn < 0.5


def _wta_model(scale="inhibited", self_inhibit=False, refractory_all=True, clip=True,
               reset="subtract", once=False, sign=1.0):
    def step(v, v_th, kappa):
        v, v_th = np.array(v, float), np.asarray(v_th, float)
        fired = v >= v_th
        if reset == "subtract":
            v[fired] -= v_th[fired]
        else:
            v[fired] = 0.0
        n = int(fired.sum())
        if kappa != 0 and n:
            n_other = np.full(v.size, n) if self_inhibit else n - fired.astype(int)
            if once:
                n_other = (n_other > 0).astype(int)
            if scale == "inhibited":
                v += sign * kappa * v_th * n_other
            elif scale == "constant":
                v += sign * kappa * n_other
            else:                                   # the *firing* neurons' thresholds
                tot = v_th[fired].sum()
                v += sign * kappa * (tot - np.where(fired, v_th, 0.0))
        refr = fired | (kappa != 0 and n > 0) if refractory_all else fired.copy()
        if clip:
            v = np.maximum(v, -v_th)
        return v, fired, np.asarray(refr, bool)
    return step


_TH = np.array([1.0, 2.0, 0.5, 1.5])
check_wta_step = Check(
    "my_wta_step(v, v_th, kappa)", _reference_wta_step,
    cases=[Case((np.array([1.2, 0.5, 0.1, 0.3]), _TH, -0.4), "neuron 0 (V_th = 1) wins"),
           Case((np.array([0.2, 2.1, 0.1, 1.0]), _TH, -0.4), "neuron 1 (V_th = 2) wins"),
           Case((np.array([1.1, 2.2, 0.2, 0.9]), _TH, -0.3), "two winners at once"),
           Case((np.array([0.5, 1.0, 0.2, -0.3]), _TH, -0.4), "nobody fires"),
           Case((np.array([1.0, 0.1, -0.3, 0.0]), _TH, -1.0), "strong inhibition: clip at -V_th"),
           Case((np.array([1.2, 0.5, 0.1, 0.3]), _TH, 0.0), "kappa = 0 (no WTA)")],
    mistakes=[
        Mistake("your inhibition is proportional to the *winner's* threshold; the paper makes it "
                "proportional to the *inhibited* neuron's own threshold: V_i += kappa * V_th,i.",
                _wta_model(scale="winner")),
        Mistake("your inhibition is the same for every neuron (kappa); it must be proportional to the "
                "inhibited neuron's threshold: V_i += kappa * V_th,i.", _wta_model(scale="constant")),
        Mistake("you forgot the refractoriness of the inhibited neurons: lateral inhibition sets "
                "t_out of *every* neuron of the group (refractory = True for all when somebody fired "
                "and kappa != 0).", _wta_model(refractory_all=False)),
        Mistake("the winner inhibits itself too; only the *other* neurons are inhibited.",
                _wta_model(self_inhibit=True)),
        Mistake("with two winners each loser gets inhibited once; it must get kappa * V_th,i for *each* "
                "spike of another neuron.", _wta_model(once=True)),
        Mistake("your 'inhibition' excites: kappa is already negative, add kappa * V_th,i (do not "
                "subtract it).", _wta_model(sign=-1.0)),
        Mistake("no clipping after the inhibition: V >= -V_th,i.", _wta_model(clip=False)),
        Mistake("the winners are reset to zero; reset by subtraction (Eq. 3).", _wta_model(reset="zero")),
    ],
    hint="fired = v >= v_th; winners: v -= v_th; every neuron i: v_i += kappa * v_th_i * (number of "
         "*other* neurons that fired); clip at -v_th; refractory = all neurons if any fired and "
         "kappa != 0, else just the winners.",
    arg_names=("v", "v_th", "kappa"), reference_name="snnlab.neuron.simulate_group")


# ------------------------------------------ my_spikes_to_floor(v, v_th, kappa)
def _reference_floor(v, v_th, kappa, n_max=200):
    """Neuron 0 starts at V = v; neuron 1 fires at every following event (kappa-inhibiting
    neuron 0); count the spikes until neuron 0 sits at the floor -V_th (snnlab simulate_group,
    no leak to speak of: tau_mp = 1e9 s, events 1 us apart)."""
    if kappa == 0:
        return math.inf
    t = np.arange(n_max + 1) * 1e-6
    ev = make_events(t, np.r_[0, np.ones(n_max, int)])
    W = np.array([[v, 0.0], [0.0, 1.0]])
    r = simulate_group(ev, W, [v_th, 1.0], tau_mp=1e9, T_ref=0.0, kappa=kappa, record=True)
    at_floor = np.nonzero(r.trace_v[0, 1:] <= -v_th)[0]
    return int(at_floor[0] + 1) if at_floor.size else math.inf


check_spikes_to_floor = Check(
    "my_spikes_to_floor(v, v_th, kappa)", _reference_floor,
    cases=[Case((0.3, 1.0, -0.4), "V_th = 1, kappa = -0.4"),
           Case((0.3, 2.0, -0.4), "V_th = 2: the same kappa pushes harder"),
           Case((0.35, 0.5, -0.15), "V_th = 0.5, weak inhibition"),
           Case((0.2, 1.0, 0.0), "kappa = 0: never")],
    mistakes=[
        Mistake("your inhibition per spike is kappa, not kappa * V_th: it is proportional to the "
                "inhibited neuron's threshold.",
                lambda v, th, k: math.ceil((v + th) / -k) if k else math.inf),
        Mistake("the floor is -V_th, not 0.",
                lambda v, th, k: math.ceil(v / (-k * th)) if k else math.inf),
        Mistake("off by one: round up, ceil((v + V_th) / (-kappa V_th)).",
                lambda v, th, k: math.floor((v + th) / (-k * th)) if k else math.inf),
        Mistake("with kappa = 0 there is no inhibition at all: return math.inf.",
                lambda v, th, k: math.ceil((v + th) / (-k * th)) if k else float("nan")),
    ],
    hint="each spike of another neuron adds kappa * V_th (< 0); how many are needed to go from v "
         "down to -V_th?",
    arg_names=("v", "v_th", "kappa"), reference_name="snnlab.neuron.simulate_group")


# ------------------------------------------------ my_winner_share(spike_times)
def _first_to_fire_share(spike_times):
    counts = [len(s) for s in spike_times]
    if not sum(counts):
        return 0.0
    first = min((s[0], i) for i, s in enumerate(spike_times) if s)[1]
    return counts[first] / sum(counts)


check_winner_share = Check(
    "my_winner_share(spike_times)", winner_share,
    cases=[Case(([[0.001, 0.002, 0.003], [0.0015], []],), "3 neurons, one clear winner"),
           Case(([[0.001], [0.002, 0.004], [0.003]],), "the winner is not neuron 0"),
           Case(([[0.004, 0.006], [0.002, 0.005, 0.007], [0.001]],),
                "the winner is neither neuron 0 nor the neuron that fired first"),
           Case(([[], [], []],), "nobody fired")],
    mistakes=[
        Mistake("you took the share of the neuron that fired FIRST; the winner is the neuron with the *most* "
                "spikes (the earliest spike says who won the first competition, not who wins most of them).",
                _first_to_fire_share),
        Mistake("you took neuron 0's share; the winner is the neuron with the *most* spikes.",
                lambda st: len(st[0]) / sum(map(len, st)) if sum(map(len, st)) else 0.0),
        Mistake("divide by the total number of spikes, not by the number of neurons.",
                lambda st: max(map(len, st)) / len(st)),
        Mistake("when nobody fired, return 0.0 (no winner), not nan.",
                lambda st: max(map(len, st)) / sum(map(len, st)) if sum(map(len, st)) else float("nan")),
        Mistake("you returned the winner's spike count; the share is count / total.",
                lambda st: max(map(len, st))),
    ],
    hint="counts = [len(s) for s in spike_times]; share = max(counts) / sum(counts) (0 if no spikes).",
    arg_names=("spike_times",), reference_name="snnlab.teaching.winner_share")
