"""A stack of spiking layers: forward pass, prediction, and networks built from the paper's notation."""
from __future__ import annotations

import numpy as np

from .events import EventBatch
from .layers import DenseLayer, LayerOutput, SpikingLayer, SumPool, init_conv


def init_dense(n_in: int, n_out: int, alpha: float = 5.0, rng=None, kappa: float = 0.0,
               tau_mp: float = 0.020, T_ref: float = 0.001, variant: str = "paper") -> DenseLayer:
    """A dense layer initialized as in Eq. 10.

    paper: w ~ U[-sqrt(3/M), sqrt(3/M)],  V_th = alpha * sqrt(3/M) for every neuron,
           so that E[sum_k w_ik^2] = 1 (Eq. 11).
    note:  the reading note's variant (docs/algorithm.md, where the reading note differs): w ~ U[-alpha/sqrt(M), alpha/sqrt(M)],
           V_th ~ U[alpha, 2 alpha].

    Args:
        n_in: M, synapses per neuron.  n_out: N, neurons.
        alpha: threshold scale (> 0; paper 3..10).
        rng: numpy Generator or seed.
        kappa, tau_mp, T_ref: neuron parameters (see :class:`DenseLayer`).
    """
    if not (isinstance(n_in, (int, np.integer)) and n_in >= 1 and isinstance(n_out, (int, np.integer)) and n_out >= 1):
        raise ValueError(f"a dense layer needs n_in >= 1 inputs and n_out >= 1 neurons (whole numbers), "
                         f"got n_in={n_in!r}, n_out={n_out!r}")
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

    def forward(self, batch: EventBatch, backend: str = "numpy", threshold_rules=None) -> list[LayerOutput]:
        """Propagate a batch through all layers; returns one LayerOutput per layer.

        Args:
            batch: input events.
            backend: "numpy" (the reference loops) or "numba" (the compiled kernels, same spikes).
            threshold_rules: None, or one :class:`~snnlab.regularizers.EventThresholdRule` (or None)
                per layer: threshold regularization at every input event (the paper's protocol).
        """
        rules = threshold_rules or [None] * len(self.layers)
        outputs = []
        for layer, rule in zip(self.layers, rules):
            out = layer.forward(batch, backend=backend, threshold_rule=rule)
            outputs.append(out)
            batch = out.spikes
        return outputs

    def predict(self, batch: EventBatch, backend: str = "numpy") -> tuple[np.ndarray, np.ndarray]:
        """Class = argmax of output spike counts; ties go to the larger final V / V_th.

        Returns:
            (predictions (B,), silent (B,) bool: no output spike at all).
        """
        out = self.forward(batch, backend=backend)[-1]
        return predict_from_output(out, self.layers[-1].threshold)

    def describe(self) -> str:
        return " -> ".join(layer.describe() for layer in self.layers)


def parse_layer(token) -> tuple:
    """One layer of the paper's notation: 800 (dense), "20C5" (20 maps, 5x5 kernels), "P2" (2x2 pool).

    Returns:
        ("dense", n) | ("conv", maps, kernel) | ("pool", size).
    """
    if isinstance(token, (int, np.integer)) and not isinstance(token, bool):
        if token < 1:
            raise ValueError(f"layer {token!r}: a dense layer needs >= 1 neurons")
        return ("dense", int(token))
    text = str(token).strip().upper()
    try:
        if text.isdigit():
            return parse_layer(int(text))
        if text.startswith("P"):
            size = int(text[1:])
            if size < 1:
                raise ValueError
            return ("pool", size)
        if "C" in text:
            maps, kernel = (int(v) for v in text.split("C"))
            if maps < 1 or kernel < 1:
                raise ValueError
            return ("conv", maps, kernel)
    except ValueError:
        pass
    raise ValueError(f"layer {token!r} is not in the paper's notation: use a number of neurons (800), "
                     "MAPS C KERNEL for a convolution (20C5), or P SIZE for pooling (P2)")


def build_layers(input_shape, hidden, n_out, kappas, alphas, rng, tau_mp=0.020, T_ref=0.001,
                 init_variant="paper", pool_threshold=0.8) -> Network:
    """A network from the paper's notation, e.g. input (1, 28, 28), hidden ("20C5", "P2", "50C5", "P2", 200).

    Args:
        input_shape: (M,) for flat inputs, (C, H, W) for maps.
        hidden: hidden layers in the paper's notation (see :func:`parse_layer`); the output layer
            is dense with ``n_out`` neurons.
        kappas, alphas: one value per *trained* layer (hidden layers that are not pools, then the
            output layer): WTA strength and threshold scale of Eq. 10.
        rng: generator for the initial weights (drawn layer by layer, in order).
    """
    specs = [parse_layer(h) for h in hidden] + [("dense", int(n_out))]
    n_trained = sum(1 for s in specs if s[0] != "pool")
    if len(kappas) != n_trained or len(alphas) != n_trained:
        raise ValueError(f"need one kappa and one alpha per trained layer ({n_trained}: the hidden layers "
                         f"that are not pools, and the output); got {len(kappas)} kappa(s) and {len(alphas)} alpha(s)")
    shape = tuple(input_shape)
    layers, t = [], 0
    for spec in specs:
        if spec[0] == "pool":
            if len(shape) != 3:
                raise ValueError(f"P{spec[1]}: pooling needs maps (C, H, W) as input, got a flat layer of {shape[0]}")
            layer = SumPool(shape, spec[1], threshold=pool_threshold, tau_mp=tau_mp, T_ref=T_ref)
            shape = layer.output_shape
        elif spec[0] == "conv":
            if len(shape) != 3:
                raise ValueError(f"{spec[1]}C{spec[2]}: a convolution needs maps (C, H, W) as input, "
                                 f"got a flat layer of {shape[0]}; put convolutions before dense layers")
            layer = init_conv(shape, spec[1], spec[2], alpha=alphas[t], rng=rng, kappa=kappas[t],
                              tau_mp=tau_mp, T_ref=T_ref)
            shape, t = layer.output_shape, t + 1
        else:
            m = int(np.prod(shape))
            layer = init_dense(m, spec[1], alpha=alphas[t], rng=rng, kappa=kappas[t], tau_mp=tau_mp,
                               T_ref=T_ref, variant=init_variant)
            shape, t = (spec[1],), t + 1
        layers.append(layer)
    return Network(layers)


def predict_from_output(out: LayerOutput, threshold: np.ndarray):
    """Prediction rule (docs/algorithm.md, prediction) from an output layer's LayerOutput."""
    score = out.counts + 0.5 * np.clip(out.membrane / threshold, -1.0, 1.0 - 1e-9) + 0.5
    # counts are integers; V/V_th in [-1, 1) maps to [0, 1): it only breaks ties.
    return np.argmax(score, axis=1), out.counts.sum(axis=1) == 0
