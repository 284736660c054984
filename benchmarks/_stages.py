"""Where a training step's time goes: cProfile a few steps and sum the cumulative time of named
snnlab functions (used by bench_train.py and bench_cnn.py)."""
from __future__ import annotations

import cProfile
import pstats
import time


def profile_stages(step, steps, stages) -> tuple[float, dict]:
    """Run ``step(i)`` for every i in ``steps`` under cProfile.

    Args:
        step: one training step.  steps: the step indices.
        stages: [(label, function names whose cumulative time counts), ...] (snnlab functions only).
    Returns:
        (total seconds, {label: seconds}).
    """
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for i in steps:
        step(i)
    prof.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats          # (file, line, name) -> (cc, nc, tt, ct, callers)
    return total, {label: sum(v[3] for (f, _, fn), v in stats.items() if fn in names and "snnlab" in f)
                   for label, names in stages}
