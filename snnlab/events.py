"""Event streams: the only input a spiking layer understands.

An *event* is "a spike arrived on input channel ``ch`` at time ``t``" (seconds).
One sample's events are a numpy structured array with fields ``t`` (float64,
seconds) and ``ch`` (int32), sorted by time.  Events from a DVS sensor (N-MNIST)
additionally carry ``x``, ``y`` and polarity ``p`` (see :data:`DVS_DTYPE`) and are
turned into channel events by :func:`dvs_to_channels`.

A *batch* of samples with different numbers of events is an :class:`EventBatch`:
padded 2-D arrays, so that a layer can process "the k-th event of every sample"
in one numpy operation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EVENT_DTYPE = np.dtype([("t", "<f8"), ("ch", "<i4")])
"""One spike: time ``t`` in seconds and input channel ``ch``."""

DVS_DTYPE = np.dtype([("x", "<i2"), ("y", "<i2"), ("p", "i1"), ("t", "<f8")])
"""One DVS event: pixel ``x``, ``y``, polarity ``p`` (1 = on, 0 = off), time ``t`` in seconds."""


def make_events(t, ch) -> np.ndarray:
    """Build an event array from times (s) and channels; sorts by time (stable).

    Args:
        t: spike times in seconds, any order.
        ch: input channel of each spike (same length as ``t``): whole numbers >= 0 that fit int32
            (integer dtype, or floats with integral values); 0.7 or 2**32 + 3 is refused, never
            cut or wrapped.
    Returns:
        structured array of :data:`EVENT_DTYPE`, sorted by ``t``.
    """
    t = np.asarray(t, dtype=np.float64).ravel()
    ch = np.asarray(ch).ravel()
    if t.shape != ch.shape:
        raise ValueError(f"t and ch must have the same length, got {t.size} and {ch.size}")
    ch = _channels(ch)
    if not np.all(np.isfinite(t)):
        raise ValueError("event times must be finite numbers (seconds); found NaN or inf")
    ev = np.empty(t.size, dtype=EVENT_DTYPE)
    ev["t"], ev["ch"] = t, ch
    return sort_events(ev)


def _channels(ch: np.ndarray) -> np.ndarray:
    """``ch`` as int32 channel numbers, or a ValueError naming the first value that is not one."""
    if ch.size == 0:
        return ch.astype(np.int32)
    if ch.dtype == object or not (np.issubdtype(ch.dtype, np.integer) or np.issubdtype(ch.dtype, np.floating)) \
            or np.issubdtype(ch.dtype, np.bool_):
        raise ValueError(f"channels must be whole numbers (input indices), got an array of {ch.dtype}")
    if np.issubdtype(ch.dtype, np.floating):
        bad = ~np.isfinite(ch) | (ch != np.round(ch))
        if bad.any():
            raise ValueError(f"channels must be whole numbers (input indices); found {ch[bad][0]!r}")
    lo, hi = ch.min(), ch.max()
    limit = np.iinfo(np.int32).max
    if lo < 0 or hi > limit:
        raise ValueError(f"channels must lie in 0..{limit} (int32); found {lo if lo < 0 else hi!r}")
    return ch.astype(np.int32)


def sort_events(events: np.ndarray) -> np.ndarray:
    """Return the events sorted by time (stable: equal times keep their order)."""
    return events[np.argsort(events["t"], kind="stable")]


def merge_events(*streams: np.ndarray) -> np.ndarray:
    """Merge several event streams into one, sorted by time."""
    if not streams:
        raise ValueError("merge_events needs at least one event stream")
    return sort_events(np.concatenate(streams))


def check_events(events: np.ndarray, n_channels: int | None = None, name: str = "events") -> None:
    """Raise a ValueError that says what is wrong if ``events`` cannot be simulated.

    Checks: the dtype has ``t`` and ``ch``, times are finite and non-decreasing,
    channels lie in ``[0, n_channels)``.
    """
    if not isinstance(events, np.ndarray) or events.dtype.names is None or not {"t", "ch"} <= set(events.dtype.names):
        raise ValueError(f"{name} must be a structured array with fields 't' and 'ch' "
                         f"(use snnlab.events.make_events(t, ch)); got {type(events).__name__}")
    t = events["t"]
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name}: event times must be finite (seconds); found NaN or inf")
    if t.size > 1 and np.any(np.diff(t) < 0):
        i = int(np.argmax(np.diff(t) < 0))
        raise ValueError(f"{name}: event times must be sorted; t[{i}]={t[i]!r} > t[{i + 1}]={t[i + 1]!r}. "
                         "Call snnlab.events.sort_events(events) first.")
    if n_channels is not None and events.size:
        lo, hi = int(events["ch"].min()), int(events["ch"].max())
        if lo < 0 or hi >= n_channels:
            raise ValueError(f"{name}: channel out of range: found channels {lo}..{hi}, "
                             f"but the layer has {n_channels} inputs (allowed 0..{n_channels - 1})")


def poisson_encode(image, total_rate: float = 5000.0, duration: float = 0.05,
                   rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Poisson spike train of an image: pixel i fires at a rate proportional to its intensity.

    The rates of all pixels sum to ``total_rate`` (the paper uses 5 keps, section 3.1).
    Independent Poisson processes are drawn as one Poisson process of the total rate
    whose events pick a pixel with probability intensity / sum(intensity).

    Args:
        image: pixel intensities (any shape, >= 0); channel = flat pixel index.
        total_rate: events per second summed over all pixels (eps).
        duration: presentation length (s).
        rng: numpy Generator or seed.
    Returns:
        events (:data:`EVENT_DTYPE`) sorted by time, all in ``[0, duration)``.
    """
    if total_rate <= 0 or not np.isfinite(total_rate):
        raise ValueError(f"total_rate must be > 0 events/s, got {total_rate}")
    if duration <= 0 or not np.isfinite(duration):
        raise ValueError(f"duration must be > 0 s, got {duration}")
    p = np.asarray(image, dtype=np.float64).ravel()
    if np.any(p < 0) or not np.all(np.isfinite(p)):
        raise ValueError("image intensities must be finite and >= 0")
    if p.sum() == 0:
        raise ValueError("image is all zeros: a Poisson encoding would have no events")
    rng = np.random.default_rng(rng)
    n = rng.poisson(total_rate * duration)
    t = np.sort(rng.uniform(0.0, duration, size=n))
    ch = rng.choice(p.size, size=n, p=p / p.sum())
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"], ev["ch"] = t, ch
    return ev


def crop_events(events: np.ndarray, n: int, rng: np.random.Generator | int | None = None,
                shift_to_zero: bool = True) -> np.ndarray:
    """``n`` consecutive events from a random start position (N-MNIST training, section 3.3).

    Args:
        events: one sample's events, sorted.
        n: number of consecutive events to keep (all of them if the stream is shorter).
        rng: numpy Generator or seed for the start position.
        shift_to_zero: subtract the first kept event's time so the crop starts at t = 0.
    """
    if n <= 0:
        raise ValueError(f"n must be a positive number of events, got {n}")
    if events.size == 0:
        raise ValueError("cannot crop an empty event stream")
    rng = np.random.default_rng(rng)
    start = int(rng.integers(0, max(events.size - n, 0) + 1))
    out = events[start:start + n].copy()
    if shift_to_zero:
        out["t"] -= out["t"][0]
    return out


def dvs_to_channels(dvs: np.ndarray, width: int = 34, height: int = 34) -> np.ndarray:
    """DVS events (x, y, p, t) -> channel events; channel = p * width * height + y * width + x.

    So channels 0..W*H-1 are OFF events and W*H..2*W*H-1 are ON events (2312 for 34 x 34).
    """
    x, y, p = dvs["x"].astype(np.int64), dvs["y"].astype(np.int64), dvs["p"].astype(np.int64)
    if dvs.size and (x.min() < 0 or x.max() >= width or y.min() < 0 or y.max() >= height):
        raise ValueError(f"DVS event coordinates outside the {width} x {height} sensor")
    ev = np.empty(dvs.size, dtype=EVENT_DTYPE)
    ev["t"] = dvs["t"]
    ev["ch"] = p * (width * height) + y * width + x
    return sort_events(ev)


@dataclass
class EventBatch:
    """Events of B samples, padded to a common length K.

    Attributes:
        t: (B, K) float64 times; padding repeats the sample's last time.
        ch: (B, K) int32 channels; padding is -1.
        n: (B,) number of real events of each sample.
        duration: (B,) end of each sample's presentation window (s).
    """
    t: np.ndarray
    ch: np.ndarray
    n: np.ndarray
    duration: np.ndarray

    @property
    def batch_size(self) -> int:
        return self.t.shape[0]

    @property
    def valid(self) -> np.ndarray:
        """(B, K) bool, True for real events, False for padding."""
        return np.arange(self.t.shape[1])[None, :] < self.n[:, None]

    @classmethod
    def from_list(cls, samples, duration=None) -> "EventBatch":
        """Pad a list of event arrays (one per sample) into a batch."""
        if len(samples) == 0:
            raise ValueError("an event batch needs at least one sample")
        n = np.array([s.size for s in samples], dtype=np.int64)
        K = int(n.max()) if n.size else 0
        B = len(samples)
        t = np.zeros((B, K))
        ch = np.full((B, K), -1, dtype=np.int32)
        for b, s in enumerate(samples):
            t[b, :s.size] = s["t"]
            ch[b, :s.size] = s["ch"]
            if s.size:
                t[b, s.size:] = s["t"][-1]
        if duration is None:
            duration = np.array([s["t"][-1] if s.size else 0.0 for s in samples])
        duration = np.broadcast_to(np.asarray(duration, dtype=np.float64), (B,)).copy()
        return cls(t=t, ch=ch, n=n, duration=duration)

    def to_list(self) -> list[np.ndarray]:
        """Back to one event array per sample."""
        out = []
        for b in range(self.batch_size):
            ev = np.empty(int(self.n[b]), dtype=EVENT_DTYPE)
            ev["t"], ev["ch"] = self.t[b, :self.n[b]], self.ch[b, :self.n[b]]
            out.append(ev)
        return out
