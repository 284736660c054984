"""What Figs. 5 and 6 of the paper measure, as functions (section 3.3).

* Fig. 5A: the input event rate per pixel over time, mean and std over recordings: three saccades.
* Fig. 5B: the error rate of an SNN as a function of time, predicting from the output spikes up
  to time t.
* Fig. 6: error against cumulative operations: for the SNN, synaptic operations (every delivered
  input event times the neurons it reaches, counted by the simulator); for an ANN of the same
  architecture, multiply-accumulates on frames of events accumulated over 30 ms, its softmax
  outputs summed over the frames seen so far.

``results/nmnist/make_figures.py`` calls these on the real test recordings and writes the files.
"""
from __future__ import annotations

import numpy as np

from .events import EventBatch, dvs_to_channels

SENSOR = 34
CHANNELS = 2 * SENSOR * SENSOR


# ---------------------------------------------------------------- Fig. 5A
def event_rate_per_pixel(streams, bin_s=0.005, t_max=0.32):
    """Events per second per pixel in bins of ``bin_s`` (both polarities, 34 x 34 pixels).

    Returns:
        (bin centres (T,) s, rates (n_streams, T) events / s / pixel).
    """
    edges = np.arange(0.0, t_max + bin_s / 2, bin_s)
    rates = np.stack([np.histogram(s["t"] - s["t"][0], edges)[0] for s in streams]) / (bin_s * SENSOR * SENSOR)
    return 0.5 * (edges[1:] + edges[:-1]), rates


def saccade_peaks(times, mean_rate, n=3):
    """Times of the ``n`` largest peaks of a rate profile, one per third of the recording."""
    thirds = np.array_split(np.arange(times.size), n)
    return [float(times[idx[np.argmax(mean_rate[idx])]]) for idx in thirds]


# ---------------------------------------------------------------- Fig. 5B and the SNN side of Fig. 6
def snn_error_and_ops_vs_time(net, streams, labels, times, backend="numba", batch_size=32):
    """Error rate and mean cumulative synaptic operations of an SNN at each time of ``times``.

    The prediction at time t is the output neuron with the most spikes up to t (no spike: an error;
    ties: the lowest index, so a tie counts as right only when the target wins it).

    Returns:
        (error (T,), synaptic operations per sample (T,)).
    """
    times = np.asarray(times, dtype=np.float64)
    wrong = np.zeros(times.size)
    ops = np.zeros(times.size)
    for s in range(0, len(streams), batch_size):
        chunk = [dvs_to_channels(x) for x in streams[s:s + batch_size]]
        for c in chunk:
            c["t"] -= c["t"][0]
        batch = EventBatch.from_list(chunk, duration=np.array([max(c["t"][-1], 1e-6) for c in chunk]))
        outs = net.forward(batch, backend=backend)
        for layer, out in zip(net.layers, outs):         # ops: input events up to t x fan-out
            fan = layer.fan_out()
            inp = out.inputs
            valid = inp.valid
            t_in = np.where(valid, inp.t, np.inf)
            per_event = np.where(valid, fan[np.where(valid, inp.ch, 0)], 0)
            for b in range(inp.batch_size):
                order = np.argsort(t_in[b], kind="stable")
                cum = np.cumsum(per_event[b][order])
                k = np.searchsorted(t_in[b][order], times, side="right")
                ops += np.where(k > 0, cum[np.maximum(k - 1, 0)], 0)
        last = outs[-1]
        t_spike = last.inputs.t[last.spike_b, last.spike_k]
        for b in range(batch.batch_size):
            mine = last.spike_b == b
            ts, ns = t_spike[mine], last.spike_n[mine]
            for i, t in enumerate(times):
                counts = np.bincount(ns[ts <= t], minlength=last.counts.shape[1])
                if counts.max() == 0 or np.argmax(counts) != labels[s + b]:
                    wrong[i] += 1
    return wrong / len(streams), ops / len(streams)


# ---------------------------------------------------------------- the ANN of Fig. 6
def frames(stream, frame_s=0.030, t_max=None):
    """Counts of events per channel in consecutive frames of ``frame_s`` seconds, (F, 2312)."""
    ev = dvs_to_channels(stream)
    t = ev["t"] - ev["t"][0]
    t_max = t[-1] if t_max is None else t_max
    n = max(int(np.ceil((t_max + 1e-12) / frame_s)), 1)
    f = np.minimum((t / frame_s).astype(np.int64), n - 1)
    out = np.zeros((n, CHANNELS))
    np.add.at(out, (f, ev["ch"]), 1.0)
    return out


class FrameANN:
    """A 2312-H-10 ReLU network with softmax outputs, trained on single frames (numpy, Adam)."""

    def __init__(self, hidden=200, rng=0):
        rng = np.random.default_rng(rng)
        self.W1 = rng.normal(0, np.sqrt(2.0 / CHANNELS), (CHANNELS, hidden))
        self.b1 = np.zeros(hidden)
        self.W2 = rng.normal(0, np.sqrt(2.0 / hidden), (hidden, 10))
        self.b2 = np.zeros(10)
        self._adam = None

    @staticmethod
    def _prep(x):
        return np.log1p(x)          # event counts -> a compressed intensity

    def probabilities(self, x):
        h = np.maximum(self._prep(x) @ self.W1 + self.b1, 0.0)
        z = h @ self.W2 + self.b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def macs_per_frame(self) -> int:
        return self.W1.size + self.W2.size

    def fit(self, x, y, epochs=3, batch=256, lr=1e-3, rng=0):
        """Cross-entropy, Adam (0.9, 0.999, 1e-8). x: (n, 2312) frames, y: (n,) labels."""
        rng = np.random.default_rng(rng)
        params = [self.W1, self.b1, self.W2, self.b2]
        if self._adam is None:
            self._adam = [np.zeros_like(p) for p in params] + [np.zeros_like(p) for p in params] + [0]
        m, v = self._adam[:4], self._adam[4:8]
        for _ in range(epochs):
            order = rng.permutation(len(y))
            for s in range(0, len(y), batch):
                idx = order[s:s + batch]
                xb = self._prep(x[idx])
                h_pre = xb @ self.W1 + self.b1
                h = np.maximum(h_pre, 0.0)
                z = h @ self.W2 + self.b2
                z -= z.max(axis=1, keepdims=True)
                p = np.exp(z)
                p /= p.sum(axis=1, keepdims=True)
                p[np.arange(len(idx)), y[idx]] -= 1.0
                dz = p / len(idx)
                gW2, gb2 = h.T @ dz, dz.sum(0)
                dh = (dz @ self.W2.T) * (h_pre > 0)
                gW1, gb1 = xb.T @ dh, dh.sum(0)
                self._adam[8] += 1
                t = self._adam[8]
                for p_, g, m_, v_ in zip(params, (gW1, gb1, gW2, gb2), m, v):
                    m_ *= 0.9
                    m_ += 0.1 * g
                    v_ *= 0.999
                    v_ += 0.001 * g * g
                    p_ -= lr * (m_ / (1 - 0.9 ** t)) / (np.sqrt(v_ / (1 - 0.999 ** t)) + 1e-8)
        return self


def ann_error_and_macs_vs_frames(ann, streams, labels, frame_s=0.030, n_frames=10):
    """Error after summing the softmax outputs of the first f frames, f = 1..n_frames, and the MACs.

    Returns:
        (error (n_frames,), cumulative MACs per sample (n_frames,)).
    """
    wrong = np.zeros(n_frames)
    for stream, label in zip(streams, labels):
        fr = frames(stream, frame_s, t_max=frame_s * n_frames - 1e-9)[:n_frames]
        p = np.cumsum(ann.probabilities(fr), axis=0)
        wrong += np.argmax(p, axis=1) != label
    return wrong / len(streams), ann.macs_per_frame() * np.arange(1, n_frames + 1)


def ops_at_error(error, ops, level):
    """The fewest operations after which the error is at or below ``level`` (None if never)."""
    error, ops = np.asarray(error), np.asarray(ops)
    ok = np.flatnonzero(error <= level)
    return float(ops[ok[0]]) if ok.size else None
