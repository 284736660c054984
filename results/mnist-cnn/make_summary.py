"""results/mnist-cnn/SUMMARY.txt from the run folders (one line per run that has a 1 s test).

    python results/mnist-cnn/make_summary.py

A run folder is ``results/mnist-cnn/run-*``; its 1 s test on the 10k test digits is the train
command's final test (``summary.json``) or an ``evaluate-1s-epochN.json`` written by
``snnlab evaluate CKPT --duration 1.0 > evaluate-1s-epochN.json`` (the newest epoch counts).
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one_second_test(run: Path):
    """(accuracy, epochs) of the run's newest 1 s test on the test set, or None."""
    best = None
    if (run / "summary.json").exists():
        s = json.loads((run / "summary.json").read_text())
        if s.get("test_presentation_s") == 1.0:
            best = (s["test_accuracy"], s["epochs"])
    for f in run.glob("evaluate-1s-epoch*.json"):
        r = json.loads(f.read_text())
        if r.get("split") == "test" and r.get("duration_s") == 1.0 and (best is None or r["epoch"] > best[1]):
            best = (r["accuracy"], r["epoch"])
    return best


def main() -> int:
    lines = []
    for run in sorted(HERE.glob("run-*")):
        cfg = json.loads((run / "config.json").read_text())
        test = one_second_test(run)
        if test is None:
            print(f"{run.name}: no 1 s test yet")
            continue
        distortion = "yes" if cfg.get("distortion") else "no"
        lines.append(f"SUMMARY cnn test_accuracy={100 * test[0]:.2f} epochs={test[1]} presentation_s=1.0 "
                     f"distortion={distortion}")
    (HERE / "SUMMARY.txt").write_text("".join(line + "\n" for line in lines))
    print("\n".join(lines) or "SUMMARY.txt: no run has a 1 s test yet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
