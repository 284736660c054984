"""Test accuracy after a fixed wall-clock training budget (for comparison with other recipes).

Trains the ``quick`` configuration (784-800-10) for --seconds of wall time (measured around the
training steps only), then evaluates on the first --nt test digits, once per --test-duration
(200 ms, and 1 s as in the paper).  Run it under ``/usr/bin/time -v`` to get the peak memory
(maximum resident set size).

    /usr/bin/time -v python benchmarks/accuracy_at_wall_time.py --seconds 90 --test-duration 0.2 1.0
"""
from __future__ import annotations

import argparse
import json
import time

from snnlab.cli import _parse_set
from snnlab.config import ConfigError
from snnlab.train import PRESETS, Trainer


class Budget:
    def __init__(self, seconds):
        self.seconds, self.start = seconds, None

    def on_batch_end(self, trainer, info):
        if self.start is None:
            self.start = time.perf_counter() - trainer._epoch_stats["time"]
        if time.perf_counter() - self.start >= self.seconds:
            raise StopIteration


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=90.0)
    p.add_argument("--nt", type=int, default=10000)
    p.add_argument("--test-duration", type=float, nargs="+", default=[0.2], help="s per test digit")
    p.add_argument("--preset", default="quick")
    p.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                   help="change a setting of the preset (as snnlab train --set)")
    a = p.parse_args(argv)
    try:
        cfg = _parse_set(a.set, PRESETS[a.preset])
    except ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None
    trainer = Trainer(cfg, progress=False, callbacks=[Budget(a.seconds)])
    try:
        trainer.fit(1)
    except StopIteration:
        pass
    s = trainer._epoch_stats if trainer.epoch == 0 else trainer.history[-1]
    seen = s["seen"] if trainer.epoch == 0 else len(trainer.train_labels)
    for duration in a.test_duration:
        res = trainer.evaluate(duration=duration, n=a.nt)
        print(json.dumps({"preset": a.preset, "set": a.set, "budget_s": a.seconds, "train_digits_seen": seen,
                          "test_accuracy": res["accuracy"], "test_digits": res["n"],
                          "test_presentation_s": res["duration_s"]}), flush=True)
    return 0


if __name__ == "__main__":
    main()
