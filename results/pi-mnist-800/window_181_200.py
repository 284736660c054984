"""The paper's Table 2 statistic for this run: [min, mean, max] of the 1 s test accuracy over epochs
181-200 (here the 10 odd epochs tested with `snnlab evaluate` and epoch 200 from summary.json), and
the training time of all epochs.  Run from the repository root:
    python results/pi-mnist-800/window_181_200.py > results/pi-mnist-800/window-181-200.json
"""
import json
import statistics
d = "results/pi-mnist-800"
acc = {e: json.load(open(f"{d}/evaluate-1s-epoch{e}.json"))["accuracy"] for e in range(181, 200, 2)}
acc[200] = json.load(open(f"{d}/summary.json"))["test_accuracy"]
v = [100 * a for a in acc.values()]
m = [json.loads(l) for l in open(f"{d}/metrics.jsonl")]
t = [r["train_time_s"] for r in m]
print(json.dumps({"epochs_tested_at_1s": sorted(acc), "accuracy_percent": {e: round(100 * a, 2) for e, a in sorted(acc.items())},
                  "min": round(min(v), 2), "mean": round(statistics.mean(v), 2), "max": round(max(v), 2),
                  "epochs": len(m), "training_time_min_all_epochs": round(sum(t) / 60, 1),
                  "epoch_train_time_s_126_200": [round(min(t[125:])), round(max(t[125:]))],
                  "samples_per_s_126_200": [round(min(r["samples_per_s"] for r in m[125:])), round(max(r["samples_per_s"] for r in m[125:]))]}, indent=1))
