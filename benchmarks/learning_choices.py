"""Measure the open choices of the learning rule on PI-MNIST, one setting at a time.

Each variant trains a fresh 784-800-10 network (the ``quick`` preset unless --preset) on the
same first N training digits (one pass, same seed) and is tested on the first NT test digits;
one JSON line per variant is appended to OUT (default results/ablations/learning-choices/choices.jsonl).

    python benchmarks/learning_choices.py --vary readout=end,integral
    python benchmarks/learning_choices.py --vary silent_output_error=True,False
    python benchmarks/learning_choices.py --vary batch_size=8,32,128
    python benchmarks/learning_choices.py --vary rho=0,5e-6,4e-5
"""
from __future__ import annotations

import argparse
import ast
import json
import platform
import sys
import time
from pathlib import Path

from snnlab.train import PRESETS, Trainer, TrainingDiverged


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vary", required=True, help="key=value1,value2,...")
    p.add_argument("--preset", default="quick")
    p.add_argument("--n", type=int, default=20000, help="training digits (one pass)")
    p.add_argument("--nt", type=int, default=2000, help="test digits")
    p.add_argument("--test-duration", type=float, default=0.2, help="s per test digit")
    p.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE", help="fixed overrides")
    p.add_argument("--out", default="results/ablations/learning-choices/choices.jsonl")
    a = p.parse_args(argv)
    key, values = a.vary.split("=", 1)
    fixed = {}
    for item in a.set:
        k, v = item.split("=", 1)
        fixed[k] = ast.literal_eval(v)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for raw in values.split(","):
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        cfg = PRESETS[a.preset].replace(train_samples=a.n, test_samples=a.nt, eval_duration=a.test_duration,
                                        **fixed, **{key: value})
        t0 = time.time()
        trainer = Trainer(cfg, progress=False)
        try:
            m = trainer.train_epoch()
            row = {"test_accuracy": m["test_accuracy"], "train_accuracy": m["train_accuracy"],
                   "spikes_per_neuron_per_sample": m["spikes_per_neuron_per_sample"],
                   "samples_per_s": m["samples_per_s"], "diverged": None}
        except TrainingDiverged as exc:
            row = {"test_accuracy": None, "diverged": str(exc)}
        row = {"vary": key, "value": value, "fixed": fixed, "preset": a.preset, "train_digits": a.n,
               "test_digits": a.nt, "test_duration_s": a.test_duration, **row,
               "wall_s": round(time.time() - t0, 1), "machine": platform.machine(),
               "command": "python benchmarks/learning_choices.py " + " ".join(sys.argv[1:] if argv is None else argv)}
        print(json.dumps(row), flush=True)
        with open(out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
