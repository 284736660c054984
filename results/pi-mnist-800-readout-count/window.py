"""[min, mean, max] of the 1 s test accuracy over a window of epochs (the paper's Table 2 statistic
is over epochs 181-200), from the `evaluate-1s-epochN[-seedS].json` files of this run, and its
training time from metrics.jsonl. The window uses the default Poisson seed of `snnlab evaluate`
(12345) only, as the "end" run's window did; the other seeds, where tested, are listed apart to show
the test noise. Run from the repository root, e.g.:
    python results/pi-mnist-800-readout-count/window.py 141 200 > results/pi-mnist-800-readout-count/window-141-200.json
"""
import json
import statistics
import sys
from pathlib import Path

from snnlab.dashboard import load_evaluations
from snnlab.train import EVAL_SEED, read_metrics

run = Path(__file__).resolve().parent
first, last = int(sys.argv[1]), int(sys.argv[2])
rows = [r for r in load_evaluations(run) if r["duration_s"] == 1.0]
by_epoch = {}
for r in rows:
    by_epoch.setdefault(r["epoch"], []).append(100 * r["accuracy"])
window = {r["epoch"]: 100 * r["accuracy"] for r in rows if r["seed"] == EVAL_SEED and first <= r["epoch"] <= last}
if not window:
    sys.exit(f"no 1 s test of epochs {first}-{last} in {run}")
m = read_metrics(run)
t = [r["train_time_s"] for r in m]
print(json.dumps({
    "window": [first, last],
    "epochs_tested_at_1s": list(window),
    "accuracy_percent": {e: round(a, 2) for e, a in window.items()},
    "min": round(min(window.values()), 2), "mean": round(statistics.mean(window.values()), 2),
    "max": round(max(window.values()), 2),
    "seeds_where_several": {e: {r["seed"]: round(100 * r["accuracy"], 2) for r in rows if r["epoch"] == e}
                            for e, a in sorted(by_epoch.items()) if len(a) > 1},
    "all_1s_tests_percent_seed_12345": {r["epoch"]: round(100 * r["accuracy"], 2) for r in rows if r["seed"] == EVAL_SEED},
    "epochs_done": len(m), "training_time_min_all_epochs": round(sum(t) / 60, 1),
    "epoch_train_time_s": [round(min(t)), round(max(t))],
    "samples_per_s": [round(min(r["samples_per_s"] for r in m)), round(max(r["samples_per_s"] for r in m))],
}, indent=1))
