"""One LIF neuron, one event at a time (Lee et al. 2016, Eqs. 1-3).  Read this first.

This is the *reference*: plain Python loops over events, one number per neuron, every
line a step of the paper.  The batched layer in :mod:`snnlab.layers` does the same
arithmetic for many samples at once and is tested to give exactly the same spikes.

Per input event at time t on synapse k:
  1. leak       V <- V * exp(-(t - t_prev) / tau_mp)                      Eq. 1
  2. refractory w_dyn = min(1, ((t - t_out) / T_ref)^2)                   Eq. 2
  3. integrate  V <- V + w_dyn * w_k                                      Eq. 1
  4. fire       if V >= V_th: spike at t, V <- V - V_th, t_out <- t       Eq. 3
  5. WTA        every other neuron i: V_i <- V_i + kappa * V_th,i,        section 2.1.2
                t_out,i <- t  (the inhibited neurons become refractory)
  6. clip       V <- max(V, -V_th)                                        section 2.1.1
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .events import check_events
from .params import check_array, check_kappa, check_T_ref, check_tau


def leak(membrane: float, dt: float, tau_mp: float) -> float:
    """Eq. 1, first term: the membrane decays exactly between two events, dt seconds apart."""
    return membrane * np.exp(-dt / tau_mp)


def dynamic_weight(t: float, t_out: float, T_ref: float) -> float:
    """Eq. 2: 0 right after the last output spike (or inhibition) at t_out, back to 1 after T_ref.

    ``t_out = -inf`` (never fired) gives 1.  ``T_ref = 0`` switches the mechanism off.
    """
    if T_ref == 0:
        return 1.0
    recovered = (t - t_out) / T_ref
    return min(1.0, recovered * recovered)


@dataclass
class NeuronResult:
    """What :func:`simulate_neuron` and :func:`simulate_group` return.

    Attributes:
        spike_times: list (one per neuron) of output spike times (s).
        membrane: final membrane potentials (after the last event).
        trace_t, trace_v: membrane right after every event (neurons x events), for plots.
    """
    spike_times: list
    membrane: np.ndarray
    trace_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    trace_v: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


def simulate_group(events, weights, threshold, tau_mp=0.020, T_ref=0.001, kappa=0.0,
                   record=False) -> NeuronResult:
    """Reference simulation of N LIF neurons sharing the input ``events`` (Eqs. 1-3, WTA).

    Args:
        events: event array (fields ``t`` seconds, ``ch``), sorted by time.
        weights: (N, M) synaptic weights, ``weights[i, k]`` = w_ik from input k to neuron i.
        threshold: (N,) thresholds V_th,i (> 0).
        tau_mp: membrane time constant (s), > 0.
        T_ref: maximum refractory period (s), >= 0.
        kappa: lateral inhibition strength in [-1, 0]; 0 = independent neurons (no WTA).
        record: keep the membrane after every event (for plots).
    Returns:
        :class:`NeuronResult`.
    """
    tau_mp, T_ref, kappa = check_tau(tau_mp), check_T_ref(T_ref), check_kappa(kappa)
    weights = check_array(weights, "weights")
    if weights.ndim != 2:
        raise ValueError(f"weights must be (N neurons, M inputs), got shape {weights.shape}")
    N, M = weights.shape
    threshold = check_array(threshold, "threshold", shape=(N,), positive=True)
    check_events(events, n_channels=M)

    membrane = np.zeros(N)
    t_out = np.full(N, -np.inf)          # last output spike or inhibition, "never" at first
    spike_times = [[] for _ in range(N)]
    t_prev = 0.0
    trace_v = []
    for t, k in zip(events["t"], events["ch"]):
        fired = []
        for i in range(N):
            membrane[i] = leak(membrane[i], t - t_prev, tau_mp)                # Eq. 1, leak
            membrane[i] += dynamic_weight(t, t_out[i], T_ref) * weights[i, k]   # Eqs. 1-2
            if membrane[i] >= threshold[i]:                                   # Eq. 3
                membrane[i] -= threshold[i]
                t_out[i] = t
                spike_times[i].append(float(t))
                fired.append(i)
        if kappa != 0.0 and fired:                                            # WTA
            for i in range(N):
                n_other = len(fired) - (i in fired)        # spikes of the *other* neurons
                membrane[i] += (kappa * threshold[i]) * n_other
                t_out[i] = t                               # inhibited -> refractory
        for i in range(N):
            membrane[i] = max(membrane[i], -threshold[i])  # clip at -V_th
        t_prev = t
        if record:
            trace_v.append(membrane.copy())
    trace_v = np.array(trace_v).T if record else np.zeros((N, 0))
    return NeuronResult(spike_times, membrane, events["t"].copy() if record else np.zeros(0), trace_v)


def simulate_neuron(events, weights, threshold, tau_mp=0.020, T_ref=0.001, record=False) -> NeuronResult:
    """One neuron: ``weights`` is (M,), ``threshold`` a number.  See :func:`simulate_group`."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights of one neuron must be a 1-D array (M,), got shape {w.shape}")
    return simulate_group(events, w[None, :], [threshold], tau_mp, T_ref, 0.0, record)


def membrane_between_events(result: NeuronResult, t_grid, tau_mp: float, neuron: int = 0) -> np.ndarray:
    """The continuous membrane trace: the value after each event, decaying until the next.

    For plots: evaluates V(t) on ``t_grid`` from the recorded post-event values (needs
    ``record=True``).  Before the first event V = 0.
    """
    t_grid = np.asarray(t_grid, dtype=np.float64)
    idx = np.searchsorted(result.trace_t, t_grid, side="right") - 1
    v = np.zeros_like(t_grid)
    ok = idx >= 0
    v[ok] = result.trace_v[neuron, idx[ok]] * np.exp(-(t_grid[ok] - result.trace_t[idx[ok]]) / tau_mp)
    return v
