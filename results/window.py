"""The paper's Table 2 statistic for a run folder: [min, mean, max] of the 1 s test accuracy over a
window of epochs (the paper's: 181-200), from the run's `evaluate-1s-epochN[-seedS].json` files
(written by `snnlab evaluate CKPT --duration 1.0` on epoch-end checkpoint copies) and the train
command's own final test in `summary.json` (`snnlab.dashboard.window_statistic`), plus the training
time and speed from `metrics.jsonl`. Run from the repository root, e.g.:

    python results/window.py results/canonical/pi-mnist-800 181 200 > results/canonical/pi-mnist-800/window-181-200.json
    python results/window.py results/ablations/trace-readout/end 181 200 --times-from 126 > results/ablations/trace-readout/end/window-181-200.json

(The first is the run README reports, readout "count"; the second its "end" twin, made when the folders
were results/pi-mnist-800-readout-count and results/pi-mnist-800.)

Only the default Poisson seed of `snnlab evaluate` enters the statistic, so its spread shows the
change of the weights; tests of the same epoch with other seeds are listed apart (the test noise).
"""
import argparse
import json
import sys
from pathlib import Path

from snnlab.dashboard import window_statistic
from snnlab.train import read_metrics

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("run", type=Path, help="run folder (snnlab train --out)")
p.add_argument("first", type=int, help="first epoch of the window")
p.add_argument("last", type=int, help="last epoch of the window")
p.add_argument("--times-from", type=int, default=1,
               help="report the per-epoch time range from this epoch on (all epochs count in the total)")
args = p.parse_args()
try:
    out = window_statistic(args.run, args.first, args.last)
except ValueError as err:
    sys.exit(f"error: {err}")
m = read_metrics(args.run)
if not m:
    sys.exit(f"error: no metrics.jsonl in {args.run}")
later = [r for r in m if r["epoch"] >= args.times_from]
if not later:
    sys.exit(f"error: --times-from {args.times_from}: {args.run} has only {len(m)} epochs")
out.update({
    "epochs_done": len(m),
    "training_time_min_all_epochs": round(sum(r["train_time_s"] for r in m) / 60, 1),
    f"epoch_train_time_s_from_epoch_{args.times_from}": [round(min(r["train_time_s"] for r in later)),
                                                         round(max(r["train_time_s"] for r in later))],
    f"samples_per_s_from_epoch_{args.times_from}": [round(min(r["samples_per_s"] for r in later)),
                                                    round(max(r["samples_per_s"] for r in later))],
})
print(json.dumps(out, indent=1))
