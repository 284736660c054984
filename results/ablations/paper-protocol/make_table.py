"""results/ablations/paper-protocol/TABLE.md: the paper's protocol (preset pi-mnist-800-paper: batch 1,
threshold regularization at every input event, rho 4e-5, floor "add", no recentering) against one
change at a time, every run 5 epochs on 50k training digits with the last 10k held out.  Read from
each run folder's metrics.jsonl and config.json; the commands are in command.txt.

    python results/ablations/paper-protocol/make_table.py
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = "base"


def load(run: Path):
    metrics = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines() if ln.strip()]
    return metrics, json.loads((run / "config.json").read_text())


def main() -> int:
    runs = sorted(p for p in HERE.iterdir() if (p / "metrics.jsonl").exists())
    if not any(r.name == BASE for r in runs):
        raise SystemExit(f"no {BASE}/ run in {HERE}")
    import dataclasses
    from snnlab.train import TrainConfig
    defaults = dataclasses.asdict(TrainConfig())     # a setting newer than a run counts as its default
    base_cfg = {**defaults, **load(HERE / BASE)[1]}
    lines = ["| run | setting changed | epochs | validation % (200 ms, 10k) | train % (50 ms, last epoch) | "
             "mean hidden V_th | min per epoch (s) |",
             "|---|---|---|---|---|---|---|"]
    for run in sorted(runs, key=lambda r: (r.name != BASE, r.name)):
        m, cfg = load(run)
        cfg = {**defaults, **cfg}
        changed = ", ".join(f"{k}={cfg[k]!r}" for k in cfg if cfg[k] != base_cfg[k]
                            and k not in ("epochs",)) or "(the preset)"
        tested = [r for r in m if r.get("test_accuracy") is not None]
        val = f"{100 * tested[-1]['test_accuracy']:.2f} (epoch {tested[-1]['epoch']})" if tested else "none yet"
        last = m[-1]
        lines.append(f"| {run.name} | {changed} | {len(m)} | {val} | {100 * last['train_accuracy']:.2f} | "
                     f"{last['mean_threshold'][0]:.3f} | {min(r['train_time_s'] for r in m):.0f} |")
    (HERE / "TABLE.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
