"""Optimizers on numpy arrays: SGD and Adam (Kingma & Ba 2014; beta1 0.9, beta2 0.999, eps 1e-8).

``step(params, grads)`` updates every array of ``params`` in place with its gradient.
Each parameter has its own learning rate (the paper uses eta_w for weights and eta_th for
thresholds), given at construction as a list.
"""
from __future__ import annotations

import numpy as np


class SparseGradient:
    """A gradient that is zero outside the block ``rows x cols`` of its parameter (one sample's
    dense-layer gradient: active inputs x neurons with error).  ``values`` is that block."""

    def __init__(self, rows, cols, values):
        self.rows, self.cols, self.values = rows, cols, values

    def toarray(self, shape):
        out = np.zeros(shape)
        out[np.ix_(self.rows, self.cols)] = self.values
        return out


class SGD:
    """theta <- theta - lr * grad (a :class:`SparseGradient` updates only its block: the same result)."""

    def __init__(self, lrs):
        self.lrs = list(lrs)

    def step(self, params, grads):
        for p, g, lr in zip(params, grads, self.lrs):
            if isinstance(g, SparseGradient):
                p[np.ix_(g.rows, g.cols)] -= lr * g.values
            else:
                p -= lr * g

    def decay(self, factor):
        """Multiply every learning rate by ``factor`` (the paper: exp(-1/35) per epoch)."""
        self.lrs = [lr * factor for lr in self.lrs]

    def state_dict(self):
        return {"lrs": list(self.lrs)}

    def load_state_dict(self, state):
        self.lrs = list(state["lrs"])


class Adam(SGD):
    """Adam with bias correction."""

    def __init__(self, lrs, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lrs)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m = None
        self.v = None

    def step(self, params, grads):
        grads = [g.toarray(p.shape) if isinstance(g, SparseGradient) else g for p, g in zip(params, grads)]
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        c1 = 1 - self.beta1 ** self.t
        c2 = 1 - self.beta2 ** self.t
        for p, g, lr, m, v in zip(params, grads, self.lrs, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= lr * (m / c1) / (np.sqrt(v / c2) + self.eps)

    def state_dict(self):
        return {"lrs": list(self.lrs), "t": self.t, "m": self.m, "v": self.v}

    def load_state_dict(self, state):
        self.lrs = list(state["lrs"])
        self.t = int(state["t"])
        self.m = None if state["m"] is None else [np.array(a) for a in state["m"]]
        self.v = None if state["v"] is None else [np.array(a) for a in state["v"]]


def make_optimizer(name, lrs):
    """"sgd" or "adam"."""
    if name == "sgd":
        return SGD(lrs)
    if name == "adam":
        return Adam(lrs)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {name!r}")
