"""A stack of spiking layers: forward pass and prediction."""
from __future__ import annotations

import numpy as np

from .events import EventBatch
from .layers import DenseLayer, LayerOutput, SpikingLayer


def init_dense(n_in: int, n_out: int, alpha: float = 5.0, rng=None, kappa: float = 0.0,
               tau_mp: float = 0.020, T_ref: float = 0.001, variant: str = "paper") -> DenseLayer:
    """A dense layer initialized as in Eq. 10.

    paper: w ~ U[-sqrt(3/M), sqrt(3/M)],  V_th = alpha * sqrt(3/M) for every neuron,
           so that E[sum_k w_ik^2] = 1 (Eq. 11).
    note:  the reading note's variant (ALGORITHM.md section 7): w ~ U[-alpha/sqrt(M), alpha/sqrt(M)],
           V_th ~ U[alpha, 2 alpha].

    Args:
        n_in: M, synapses per neuron.  n_out: N, neurons.
        alpha: threshold scale (> 0; paper 3..10).
        rng: numpy Generator or seed.
        kappa, tau_mp, T_ref: neuron parameters (see :class:`DenseLayer`).
    """
    if alpha <= 0 or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number > 0 (paper: 3..10), got {alpha!r}")
    rng = np.random.default_rng(rng)
    if variant == "paper":
        a = np.sqrt(3.0 / n_in)
        weights = rng.uniform(-a, a, size=(n_out, n_in))
        threshold = np.full(n_out, alpha * a)
    elif variant == "note":
        a = alpha / np.sqrt(n_in)
        weights = rng.uniform(-a, a, size=(n_out, n_in))
        threshold = rng.uniform(alpha, 2 * alpha, size=n_out)
    else:
        raise ValueError(f"variant must be 'paper' or 'note', got {variant!r}")
    return DenseLayer(weights, threshold, tau_mp=tau_mp, T_ref=T_ref, kappa=kappa)


class Network:
    """Layers in order; each layer's output spikes are the next layer's input events."""

    def __init__(self, layers: list[SpikingLayer]):
        if not layers:
            raise ValueError("a network needs at least one layer")
        for lower, upper in zip(layers, layers[1:]):
            if lower.n_out != upper.n_in:
                raise ValueError(f"layer sizes do not chain: a layer with {lower.n_out} outputs "
                                 f"feeds one with {upper.n_in} inputs")
        self.layers = list(layers)

    @property
    def sizes(self) -> list[int]:
        return [self.layers[0].n_in] + [layer.n_out for layer in self.layers]

    def forward(self, batch: EventBatch) -> list[LayerOutput]:
        """Propagate a batch through all layers; returns one LayerOutput per layer."""
        outputs = []
        for layer in self.layers:
            out = layer.forward(batch)
            outputs.append(out)
            batch = out.spikes
        return outputs

    def predict(self, batch: EventBatch) -> tuple[np.ndarray, np.ndarray]:
        """Class = argmax of output spike counts; ties go to the larger final V / V_th.

        Returns:
            (predictions (B,), silent (B,) bool: no output spike at all).
        """
        out = self.forward(batch)[-1]
        return predict_from_output(out, self.layers[-1].threshold)


def predict_from_output(out: LayerOutput, threshold: np.ndarray):
    """Prediction rule of ALGORITHM.md section 6 from an output layer's LayerOutput."""
    score = out.counts + 0.5 * np.clip(out.membrane / threshold, -1.0, 1.0 - 1e-9) + 0.5
    # counts are integers; V/V_th in [-1, 1) maps to [0, 1): it only breaks ties.
    return np.argmax(score, axis=1), out.counts.sum(axis=1) == 0
