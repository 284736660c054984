"""Checks for notebooks/09_nmnist.ipynb: decoding one 5-byte N-MNIST event, the synaptic operations
of a stream in a dense 2312-N-10 network, the training crop of section 3.3.

References: :func:`snnlab.data.read_nmnist_bin` (the file format), :func:`snnlab.layers.synaptic_ops`
with :class:`snnlab.layers.DenseLayer` (what the simulator counts), :func:`snnlab.events.crop_events`.

decode_event and synaptic_ops are plain :class:`~snnlab.exercises.Check` objects (answers compared by
value, a time limit per case); the crop, random by nature, has a property check written by hand
(:func:`run_crop_check`) that calls the student's function with the same time limit
(:func:`~snnlab.exercises.call_with_time_limit`) and reports a timeout with the same message.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np

from ..data import read_nmnist_bin
from ..events import EventBatch, crop_events, dvs_to_channels, make_events
from ..layers import DenseLayer, synaptic_ops as layer_synaptic_ops
from . import Case, Check, CheckResult, Mistake, NOT_DONE, call_with_time_limit, timeout_message

#: seconds per case (per call of the student's function) for this notebook's checks
CHECK_TIME_LIMIT = 10.0

SIDE = 34


# ------------------------------------------------------------ decode_event(five_bytes) -> (x, y, p, t_us)
def reference_decode_event(five_bytes):
    """The event as :func:`snnlab.data.read_nmnist_bin` reads it from a file holding these 5 bytes."""
    fd, name = tempfile.mkstemp(suffix=".bin")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(five_bytes))
        ev = read_nmnist_bin(name)[0]
    finally:
        os.unlink(name)
    return int(ev["x"]), int(ev["y"]), int(ev["p"]), int(round(float(ev["t"]) * 1e6))


def _decode_model(kind):
    def dec(five_bytes):
        b = [int(v) for v in bytes(five_bytes)]
        x, y, p = b[0], b[1], b[2] >> 7
        t = ((b[2] & 0x7F) << 16) | (b[3] << 8) | b[4]
        if kind == "little":
            t = (b[4] << 16) | (b[3] << 8) | (b[2] & 0x7F)
        elif kind == "unmasked":
            t = (b[2] << 16) | (b[3] << 8) | b[4]
        elif kind == "bit-value":
            p = b[2] & 0x80
        elif kind == "low-bit":
            p = b[2] & 1
        elif kind == "swap":
            x, y = y, x
        elif kind == "seconds":
            t = t * 1e-6
        return x, y, p, t
    return dec


_DECODE_CASES = [Case((bytes([12, 20, 0x85, 0x3A, 0x7F]),), "an ON event (polarity bit set) at t = 0x053A7F us"),
                 Case((bytes([3, 30, 0x01, 0x02, 0x03]),), "an OFF event at t = 0x010203 us"),
                 Case((bytes([33, 0, 0xFF, 0xFF, 0xFE]),), "an ON event at almost the largest time, 2^23 - 2 us"),
                 Case((bytes([0, 33, 0x00, 0x00, 0x01]),), "an OFF event at t = 1 us, pixel (0, 33)"),
                 Case((bytes([7, 9, 0x80, 0x00, 0x00]),), "an ON event at t = 0: byte 2 holds only the polarity bit")]

check_decode_event = Check(
    "my_decode_event(five_bytes)", reference_decode_event, _DECODE_CASES,
    mistakes=[
        Mistake("wrong byte order: the timestamp is big-endian, byte 2 holds its highest bits (22..16) and "
                "byte 4 its lowest (7..0): t = (b2 & 0x7F) << 16 | b3 << 8 | b4.", _decode_model("little")),
        Mistake("the polarity bit is still inside your timestamp: bit 7 of byte 2 is the polarity, so ON "
                "events come out 2^23 us = 8.4 s late; mask it out of the time with b2 & 0x7F.",
                _decode_model("unmasked")),
        Mistake("your polarity is 128 for ON events: that is the value of bit 7; shift it down (b2 >> 7) so "
                "that ON = 1 and OFF = 0.", _decode_model("bit-value")),
        Mistake("you read the polarity from the lowest bit of byte 2; it is the HIGHEST bit (bit 7), "
                "b2 >> 7.", _decode_model("low-bit")),
        Mistake("x and y are swapped: byte 0 is x (the column), byte 1 is y (the row).", _decode_model("swap")),
        Mistake("return the timestamp in microseconds, the file's unit, as a whole number "
                "(read_nmnist_bin converts to seconds later).", _decode_model("seconds")),
    ],
    hint="b = list(five_bytes); x = b[0]; y = b[1]; p = b[2] >> 7; t_us = (b[2] & 0x7F) << 16 | b[3] << 8 | b[4]",
    arg_names=("five_bytes",), reference_name="snnlab.data.read_nmnist_bin", time_limit=CHECK_TIME_LIMIT)


# -------------------------------------------- synaptic_ops(stream, hidden_spikes, sizes): dense network
def reference_synaptic_ops(stream, hidden_spikes, sizes=(2312, 800, 10)):
    """What the simulator counts: every input event x the neurons it reaches (all N of the next layer),
    layer by layer (:func:`snnlab.layers.synaptic_ops` of zero-weight :class:`~snnlab.layers.DenseLayer`)."""
    layers = [DenseLayer(np.zeros((n_out, n_in)), np.ones(n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    ch = dvs_to_channels(stream)
    inputs = [ch] + [make_events(np.zeros(int(n)), np.zeros(int(n), int)) for n in np.atleast_1d(hidden_spikes)]
    total = 0
    for layer, ev in zip(layers, inputs):
        total += int(layer_synaptic_ops(layer, EventBatch.from_list([ev], duration=1.0))[0])
    return total


def _ops_model(kind):
    def ops(stream, hidden_spikes, sizes=(2312, 800, 10)):
        n, h = len(stream), int(hidden_spikes)
        if kind == "fan-in":
            return n * sizes[0] + h * sizes[1]
        if kind == "no-output":
            return n * sizes[1]
        if kind == "ann":
            return sizes[0] * sizes[1] + sizes[1] * sizes[2]
        if kind == "pixels":
            return len(np.unique(dvs_to_channels(stream)["ch"])) * sizes[1] + h * sizes[2]
        raise ValueError(kind)
    return ops


def _dvs(n, seed, t_max=0.3):
    """A synthetic DVS stream: n events on a 34 x 34 sensor (pixels repeat), sorted in time."""
    g = np.random.default_rng(seed)
    from ..events import DVS_DTYPE
    ev = np.zeros(n, DVS_DTYPE)
    ev["x"], ev["y"] = g.integers(8, 26, n), g.integers(8, 26, n)
    ev["p"], ev["t"] = g.integers(0, 2, n), np.sort(g.uniform(0, t_max, n))
    return ev


_OPS_CASES = [Case((_dvs(4000, 1), 950, (2312, 800, 10)), "a 4,000-event stream into 2312-800-10"),
              Case((_dvs(1500, 2), 120, (2312, 200, 10)), "the 2312-200-10 network of Figs. 5-6"),
              Case((_dvs(5, 3), 0, (2312, 800, 10)), "5 events and no hidden spike: only the first layer works")]

check_synaptic_ops = Check(
    "my_synaptic_ops(stream, hidden_spikes, sizes)", reference_synaptic_ops, _OPS_CASES,
    mistakes=[
        Mistake("you multiplied by the number of INPUTS of each layer; an event is delivered to every neuron "
                "of the layer it enters: 800 (hidden) per input event, 10 (output) per hidden spike.",
                _ops_model("fan-in")),
        Mistake("the hidden layer's spikes are events too: each one reaches the 10 output neurons; add "
                "hidden_spikes * sizes[2].", _ops_model("no-output")),
        Mistake("that is what an ANN computes for ONE frame (every weight once, 2312 x 800 + 800 x 10 "
                "multiply-accumulates, whatever the input); the SNN works per event, so its cost depends on "
                "how many events there are.", _ops_model("ann")),
        Mistake("you counted each active input pixel once; every EVENT costs 800 operations, also the "
                "second and later events of the same pixel and polarity.", _ops_model("pixels")),
    ],
    hint="len(stream) * sizes[1] + hidden_spikes * sizes[2]: events entering a dense layer x its neurons.",
    arg_names=("stream", "hidden_spikes", "sizes"), reference_name="snnlab.layers.synaptic_ops",
    time_limit=CHECK_TIME_LIMIT)


# ----------------------------------------------------------------------- crop(stream, n, rng)
CROP = "my_crop(stream, n, rng)"
#: what the crop check says for each typical mistake (the tests look for these texts)
CROP_MISTAKES = {
    "not consecutive": "your events are not consecutive: they are picked from all over the stream. The paper "
                       "trains on n CONSECUTIVE events, a short stretch of the recording "
                       "(stream[start:start + n]).",
    "off the end": "your crop ran off the end of the stream: the start was drawn so late that fewer than n "
                   "events were left. The start must lie in 0 .. len(stream) - n "
                   "(rng.integers(0, len(stream) - n + 1)).",
    "not shifted": "your crop does not start at t = 0: subtract the time of the first kept event from all "
                   "its times (a presentation starts at 0).",
    "shifted by the stream's start": "you subtracted the time of the stream's first event; subtract the "
                                     "time of the CROP's first event, so that the crop starts at t = 0.",
    "always the same start": "your crop always starts at the same event: draw the start at random with the "
                             "generator passed in (rng.integers(0, len(stream) - n + 1)).",
    "ignores rng": "your crop does not use the generator passed in (two calls with the same seed gave "
                   "different crops): use rng.integers(...), so that a seeded run can be repeated.",
    "changed the input": "you changed the stream passed in: stream[start:start + n] is a view of it, so "
                         "shifting its times shifts the original too; take a .copy() first.",
    "too long": "your crop has more than n events.",
    "short stream": "for a stream shorter than n, return the whole stream (shifted to start at 0).",
}
_CROP_HINT = ("start = rng.integers(0, max(len(stream) - n, 0) + 1); out = stream[start:start + n].copy(); "
              "out['t'] -= out['t'][0]")


def _stream(n, seed):
    g = np.random.default_rng(seed)
    return make_events(np.sort(g.uniform(0.004, 0.31, n)), g.integers(0, 2 * SIDE * SIDE, n))


_CROP_STREAM, _CROP_SHORT = _stream(1000, 91), _stream(200, 92)
_CROP_CASES = [(_CROP_STREAM, 300, range(30), "300 events of a 1,000-event stream"),
               (_CROP_STREAM, 1000, range(3), "n = the length of the stream"),
               (_CROP_SHORT, 300, range(3), "a stream of 200 events, shorter than n = 300")]


def _find_start(stream, out):
    """Where ``out`` sits in ``stream`` as a consecutive stretch (times up to a common shift), or None."""
    L = len(out)
    if L == 0:
        return None
    ch, t = stream["ch"], stream["t"]
    for s in np.flatnonzero(ch[:len(stream) - L + 1] == out["ch"][0]):
        if np.array_equal(ch[s:s + L], out["ch"]) and np.allclose(t[s:s + L] - t[s], out["t"] - out["t"][0],
                                                                     rtol=0, atol=1e-12):
            return int(s)
    return None


def _is_subsequence(stream, out):
    """Are out's events, up to one common time shift, events of the stream in the same order?"""
    ch, t = stream["ch"], stream["t"]
    for s0 in np.flatnonzero(ch == out["ch"][0]):
        want = out["t"] + (t[s0] - out["t"][0])
        idx = np.clip(np.searchsorted(t, want - 1e-12), 0, len(t) - 1)
        if (np.allclose(t[idx], want, rtol=0, atol=1e-9) and np.array_equal(ch[idx], out["ch"])
                and np.all(np.diff(idx) > 0)):
            return True
    return False


def _wrong(message, what=None, got=None, hint=_CROP_HINT) -> CheckResult:
    lines = [f"✗ {CROP}: {message}"]
    if what:
        lines.append(f"  case ({what})" + (f": {got}" if got else ""))
    lines.append(f"  hint: {hint}")
    return CheckResult(CROP, False, "\n".join(lines))


class _TimedOut(BaseException):
    """The student's crop did not return within the time limit (a BaseException: not a crash)."""

    def __init__(self, seconds, stopped, case):
        super().__init__(seconds)
        self.seconds, self.stopped, self.case = seconds, stopped, case


def _with_time_limit(fn, seconds):
    """``fn(stream, n, rng)`` run by :func:`~snnlab.exercises.call_with_time_limit`: its value, or the
    exception it raised, or :class:`_TimedOut`."""
    def run(stream, n, rng, case):
        o = call_with_time_limit(fn, (stream, n, rng), None, seconds)
        if o.timed_out:
            raise _TimedOut(seconds, o.stopped, case)
        if o.error is not None:
            raise o.error
        return o.value
    return run


def run_crop_check(my_crop, time_limit: float = CHECK_TIME_LIMIT) -> CheckResult:
    """Like :func:`check_crop`, without printing."""
    if not callable(my_crop):
        return CheckResult(CROP, False, f"✗ {CROP}: expected a function, got {type(my_crop).__name__}. "
                                        "Pass the function itself (no parentheses).")
    try:
        return _run_crop_check(_with_time_limit(my_crop, time_limit))
    except _TimedOut as t:
        return CheckResult(CROP, False, timeout_message(CROP, t.seconds, t.stopped, t.case)
                           + f"\n  hint: {_CROP_HINT}")


def _run_crop_check(fn) -> CheckResult:
    starts = []
    for base, n, seeds, what in _CROP_CASES:
        expected = min(n, len(base))
        for seed in seeds:
            stream = base.copy()
            try:
                out = fn(stream, n, np.random.default_rng(seed), f"{what}: n = {n}, seed {seed}")
            except NotImplementedError:
                return CheckResult(CROP, None, f"… {CROP}: {NOT_DONE} (replace the `raise NotImplementedError` "
                                               "line by your code, run that cell, then this one again)")
            except Exception as err:  # noqa: BLE001 - the student's code may raise anything
                extra = f"\n  {CROP_MISTAKES['short stream']}" if len(base) < n else ""
                return _wrong(f"raised {type(err).__name__}: {err}{extra}", what, f"n = {n}, seed {seed}")
            if not np.array_equal(stream, base):
                return _wrong(CROP_MISTAKES["changed the input"], what)
            if not (isinstance(out, np.ndarray) and out.dtype.names and {"t", "ch"} <= set(out.dtype.names)):
                return _wrong("return an event array like the stream (fields 't' and 'ch'), got "
                              f"{type(out).__name__}", what)
            if len(out) < expected:
                key = "short stream" if len(base) < n else "off the end"
                return _wrong(CROP_MISTAKES[key], what, f"{len(out)} events instead of {expected} (seed {seed})")
            if len(out) > expected:
                return _wrong(CROP_MISTAKES["too long"], what, f"{len(out)} events, n = {n}")
            s = _find_start(base, out)
            if s is None:
                if _is_subsequence(base, out):
                    return _wrong(CROP_MISTAKES["not consecutive"], what, f"seed {seed}")
                return _wrong("your events are not a stretch of the stream (reordered, or channels changed).",
                              what, f"seed {seed}")
            t0 = float(out["t"][0])
            if abs(t0) > 1e-12:
                if abs(t0 - base["t"][s]) < 1e-12:
                    return _wrong(CROP_MISTAKES["not shifted"], what, f"the crop starts at {t0 * 1e3:.3f} ms")
                if abs(t0 - (base["t"][s] - base["t"][0])) < 1e-12:
                    return _wrong(CROP_MISTAKES["shifted by the stream's start"], what,
                                  f"the crop starts at {t0 * 1e3:.3f} ms")
                return _wrong(CROP_MISTAKES["not shifted"], what, f"the crop starts at {t0 * 1e3:.3f} ms")
            if n < len(base):
                starts.append(s)
    if len(set(starts)) == 1:
        return _wrong(CROP_MISTAKES["always the same start"], _CROP_CASES[0][3], f"always event {starts[0]}")
    again = f"{_CROP_CASES[0][3]}: n = 300, seed 7"
    a = fn(_CROP_STREAM.copy(), 300, np.random.default_rng(7), again)
    b = fn(_CROP_STREAM.copy(), 300, np.random.default_rng(7), again)
    if not (len(a) == len(b) and np.array_equal(a, b)):
        return _wrong(CROP_MISTAKES["ignores rng"], _CROP_CASES[0][3])
    ref = crop_events(_CROP_STREAM, 300, np.random.default_rng(0))
    same_draw = np.array_equal(ref, fn(_CROP_STREAM.copy(), 300, np.random.default_rng(0),
                                       f"{_CROP_CASES[0][3]}: n = 300, seed 0"))
    msg = (f"✓ correct: {CROP} gives n consecutive events from a random start, inside the stream, shifted to "
           f"t = 0, reproducible with rng (starts drawn: {min(starts)} .. {max(starts)} of 0 .. "
           f"{len(_CROP_STREAM) - 300})")
    if same_draw:
        msg += "; the same crops as snnlab.events.crop_events"
    return CheckResult(CROP, True, msg)


def check_crop(my_crop, quiet: bool = False) -> CheckResult:
    """The crop of section 3.3: n consecutive events from a random start, shifted to start at 0.

    Crops are random, so the check tests properties (30 seeds): n events (the whole stream if shorter),
    a consecutive stretch of the stream, first time 0, the input left unchanged, different starts for
    different seeds, the same crop for the same seed."""
    res = run_crop_check(my_crop)
    return res if quiet else res.show()


__all__ = ["check_decode_event", "check_synaptic_ops", "check_crop", "run_crop_check", "CROP_MISTAKES",
           "reference_decode_event", "reference_synaptic_ops"]
