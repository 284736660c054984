"""Checks for notebooks/00_start_here.ipynb (warm-up)."""
from __future__ import annotations

import numpy as np

from ..events import make_events, poisson_encode
from . import Case, Check, Mistake


def _rate(events, duration):
    """Reference: total input rate = number of events / presentation time (events per second)."""
    return events.size / duration


_EV1 = poisson_encode(np.ones(4), total_rate=2000.0, duration=0.05, rng=0)
_EV2 = make_events([0.001, 0.004, 0.010], [0, 2, 2])

check_input_rate = Check(
    "input_rate(events, duration)", _rate,
    cases=[Case((_EV1, 0.05), "a Poisson train on 4 channels, 50 ms"),
           Case((_EV2, 0.2), "3 events in a 200 ms window that ends long after the last event")],
    mistakes=[
        Mistake("your rate is 1000x too small: `duration` is already in seconds "
                "(snnlab keeps times in seconds; ms only appear in plots and slider labels).",
                lambda ev, d: ev.size / (d * 1000)),
        Mistake("you divided by the number of channels: the rate asked for is the *total* over all "
                "channels (the paper's 5 keps is a total).",
                lambda ev, d: ev.size / d / np.unique(ev["ch"]).size),
        Mistake("you divided by the time of the last event; the window lasts `duration` seconds "
                "even if the last event comes earlier.",
                lambda ev, d: ev.size / ev["t"][-1]),
        Mistake("you returned the number of events; a rate is events *per second*.",
                lambda ev, d: ev.size),
    ],
    hint="len(events) counts the events; divide by the window length in seconds.",
    arg_names=("events", "duration"), reference_name="events.size / duration")
