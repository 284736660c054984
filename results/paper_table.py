"""The paper beside snnlab: Tables 2, 3, 4 and Figs. 3, 5, 6, every snnlab number read from the
result files of its run folder, and the machine-readable ``SUMMARY`` lines of ``results/SUMMARY.txt``.

Used by ``python results/make_index.py`` (which writes the table into ``results/INDEX.md`` and the
lines into ``results/SUMMARY.txt``) and by notebook 07.  Nothing here is typed in except the
paper's own numbers (``PAPER``) and which folder answers which row (``ROWS``).

Table 2 statistic: [min, mean, max] of the 1 s tests on the 10k test digits over the paper's
window, epochs 181-200; a run that has not reached epoch 200 is summarized over its last 20
epochs (``epochs`` says how far it got), and a run with no 1 s test there says so.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent

# The paper's numbers (Lee, Delbruck & Pfeiffer 2016), as printed.
PAPER = {
    ("table2", "784-800-10"): "[98.56, 98.64, 98.71] (SGD)",
    ("table2", "500-500"): "[98.63, 98.70, 98.76] (SGD)",
    ("table2", "300-300"): "[98.71, 98.77, 98.88] (Adam)",
    "fig3": "best kappa -0.4 for N = 100, 200, 300 (150 epochs, mean of epochs 131-150)",
    "table3": "99.31 (elastic distortion, 1 network)",
    "table4": "[98.56, 98.66, 98.74] (2312-800-10, full real test set)",
    "fig5": "three 100 ms saccades, big drops of the error where the event rate is highest; "
            "each saccade after the first about halves the error",
    "fig6": "the ANN needs ~4.8x the operations of the SNN for a similar error (ANN over 10 frames: 2.2%)",
}

# Table 2: (net, protocol, run folder relative to results/)
TABLE2 = [
    ("784-800-10", "batch32", "canonical/pi-mnist-800"),
    ("784-800-10", "paper", "canonical/pi-mnist-800-paper"),
    ("500-500", "batch32", "canonical/pi-mnist-500-500"),
    ("300-300", "batch32", "canonical/pi-mnist-300-300-adam"),
]
FIG3 = "canonical/kappa_sweep"
CNN = "mnist-cnn"
NMNIST = "nmnist"


def _metrics(run: Path) -> list[dict]:
    f = run / "metrics.jsonl"
    return [json.loads(ln) for ln in f.read_text().splitlines() if ln.strip()] if f.exists() else []


def _config(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())


def table2_row(net: str, protocol: str, folder: str) -> dict:
    """One Table 2 run: its window statistic of 1 s tests (see the module docstring)."""
    from snnlab.dashboard import window_statistic
    run = RESULTS / folder
    done = len(_metrics(run))
    first, last = (181, 200) if done >= 200 else (max(1, done - 19), done)
    cfg = _config(run)
    row = {"kind": "table2", "net": net, "protocol": protocol, "folder": folder, "epochs": done,
           "window": [first, last], "optimizer": cfg["optimizer"], "batch_size": cfg["batch_size"],
           "seeds": 1}
    try:
        w = window_statistic(run, first, last)
    except ValueError:
        row.update(min=None, mean=None, max=None, tested_epochs=[])
        return row
    row.update(min=w["min"], mean=w["mean"], max=w["max"], tested_epochs=w["epochs"])
    return row


def fig3_row(folder: str = FIG3) -> dict:
    """Best hidden-layer kappa per N from the kappa sweep's point files."""
    run = RESULTS / folder
    points = [json.loads(f.read_text()) for f in sorted(run.glob("N*_kappa*.json"))]
    best, epochs = {}, sorted({p["epochs"] for p in points})
    for p in points:
        if p.get("diverged") or p.get("test_accuracy") is None:
            continue
        n = p["hidden"]
        if n not in best or p["test_accuracy"] > best[n][1]:
            best[n] = (p["kappa"], p["test_accuracy"])
    return {"kind": "fig3", "folder": folder, "epochs_per_point": epochs[0] if len(epochs) == 1 else epochs,
            "test_s": sorted({p["test_presentation_s"] for p in points}),
            "best": {n: {"kappa": k, "accuracy": round(100 * a, 2)} for n, (k, a) in sorted(best.items())}}


def _summary_lines(path: Path, tag: str) -> list[dict]:
    """The key=value fields of every ``SUMMARY <tag> ...`` line of a SUMMARY.txt."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "SUMMARY" and parts[1] == tag:
            out.append(dict(p.split("=", 1) for p in parts[2:]))
    return out


def rows() -> list[dict]:
    """Every row of the table, snnlab's side read from the result files."""
    out = [table2_row(*r) for r in TABLE2]
    out.append(fig3_row())
    cnn = _summary_lines(RESULTS / CNN / "SUMMARY.txt", "cnn")
    cnn_runs = sorted(p.name for p in (RESULTS / CNN).glob("run-*"))
    out.append({"kind": "table3", "folder": CNN, "runs": cnn, "run_folders": cnn_runs})
    nm = _summary_lines(RESULTS / NMNIST / "SUMMARY.txt", "nmnist")
    out.append({"kind": "table4", "folder": NMNIST, "runs": nm})
    fig5 = json.loads((RESULTS / NMNIST / "fig5a.json").read_text())
    fig5b = json.loads((RESULTS / NMNIST / "fig5b_fig6.json").read_text())
    times = fig5b["times_s"]
    at = {ms: fig5b["snn_error"][min(range(len(times)), key=lambda i: abs(times[i] - ms / 1000))]
          for ms in (100, 200, 300)}
    out.append({"kind": "fig5", "folder": NMNIST, "peaks_ms": [round(1000 * t, 1) for t in fig5["peaks_s"]],
                "recordings": fig5["n_recordings"], "error_at_ms": at, "test_n": fig5b["n_test"]})
    out.append({"kind": "fig6", "folder": NMNIST, "runs": _summary_lines(RESULTS / NMNIST / "SUMMARY.txt", "fig6")})
    return out


def _fmt(row) -> tuple[str, str, str]:
    """(what, paper, snnlab) cells of one row."""
    k = row["kind"]
    if k == "table2":
        what = f"Table 2, {row['net']}, protocol {row['protocol']} ({row['optimizer']}, batch {row['batch_size']})"
        if row["mean"] is None:
            ours = f"no 1 s test in epochs {row['window'][0]}-{row['window'][1]} ({row['epochs']} epochs trained)"
        else:
            ours = (f"[{row['min']:.2f}, {row['mean']:.2f}, {row['max']:.2f}] over epochs "
                    f"{row['window'][0]}-{row['window'][1]} ({len(row['tested_epochs'])} tested; "
                    f"{row['epochs']} epochs trained)")
        return what, PAPER[("table2", row["net"])], ours
    if k == "fig3":
        best = ", ".join(f"N={n}: {v['kappa']:+.1f} ({v['accuracy']:.2f}%)" for n, v in row["best"].items())
        return "Fig. 3, best hidden kappa", PAPER["fig3"], \
            f"{best} ({row['epochs_per_point']} epoch(s) per point, {row['test_s'][0] * 1000:.0f} ms test)"
    if k == "table3":
        if not row["runs"]:
            ours = f"no 1 s test yet (runs: {', '.join(row['run_folders']) or 'none'})"
        else:
            ours = "; ".join(f"{r['test_accuracy']} after {r['epochs']} epochs (distortion {r['distortion']})"
                             for r in row["runs"])
        return "Table 3, 28x28-20C5-P2-50C5-P2-200-10", PAPER["table3"], ours
    if k == "table4":
        ours = "; ".join(f"{r['real_test_accuracy']} on {r['real_test_n']} real test recordings, "
                         f"{r['emulated_test_accuracy']} on the emulated test set, {r['epochs']} epochs"
                         for r in row["runs"]) or "no run"
        return "Table 4, N-MNIST 2312-800-10", PAPER["table4"], ours
    if k == "fig5":
        err = ", ".join(f"{100 * e:.1f}% at {ms} ms" for ms, e in row["error_at_ms"].items())
        return "Fig. 5, event rate and error over time (2312-200-10)", PAPER["fig5"], \
            (f"rate peaks at {', '.join(f'{p:g}' for p in row['peaks_ms'])} ms ({row['recordings']} real test "
             f"recordings); error {err} ({row['test_n']} test streams)")
    if k == "fig6":
        ours = "; ".join(f"{r['ops_ratio']}x at {r['error_percent']}% error" for r in row["runs"]) or "no run"
        return "Fig. 6, ANN / SNN operations at equal error", PAPER["fig6"], ours
    raise ValueError(f"unknown row kind {k!r}")


def markdown(table_rows=None) -> str:
    """The table as markdown, each row linked to its folder (links relative to results/)."""
    table_rows = rows() if table_rows is None else table_rows
    lines = ["| result | paper | snnlab | folder |", "|---|---|---|---|"]
    for r in table_rows:
        what, paper, ours = (c.replace("|", "\\|") for c in _fmt(r))
        lines.append(f"| {what} | {paper} | {ours} | [{r['folder']}/]({r['folder']}/) |")
    return "\n".join(lines) + "\n"


def summary_lines(table_rows=None) -> list[str]:
    """The ``SUMMARY table2 ...`` and ``SUMMARY fig3 ...`` lines (a run without a 1 s test: na)."""
    table_rows = rows() if table_rows is None else table_rows
    out = []
    for r in table_rows:
        if r["kind"] == "table2":
            stat = " ".join(f"{k}={'na' if r[k] is None else format(r[k], '.2f')}" for k in ("min", "mean", "max"))
            out.append(f"SUMMARY table2 net={r['net']} protocol={r['protocol']} {stat} "
                       f"epochs={r['epochs']} seeds={r['seeds']}")
        elif r["kind"] == "fig3":
            eps = r["epochs_per_point"]
            best = " ".join(f"best_kappa_N{n}={v['kappa']:g}" for n, v in r["best"].items())
            out.append(f"SUMMARY fig3 epochs_per_point={eps if isinstance(eps, int) else min(eps)} {best}")
    return out


if __name__ == "__main__":
    print(markdown(), end="")
    print("\n".join(summary_lines()))
