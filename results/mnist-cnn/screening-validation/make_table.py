"""results/mnist-cnn/screening-validation/TABLE.md: each screen's settings and its validation accuracy.

Every screen trains the first 12,800 digits of epoch 1 of the mnist-cnn preset (or of the preset
named in its settings) with one change and ends with the accuracy on the first 1,000 validation
digits at 200 ms (``benchmarks/screen_cnn.py --validate 1000``; the test set is not touched).
The settings are read from command.txt (one line per screen, in the order of the files), the
accuracy from the screen's last line.

    python results/mnist-cnn/screening-validation/make_table.py
"""
from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    commands = [ln.strip() for ln in (HERE / "command.txt").read_text().splitlines() if ln.strip()]
    by_settings = {ln.split("--set", 1)[1].strip(): ln for ln in commands}
    rows = []
    for f in sorted(HERE.glob("*.txt")):
        if f.name in ("command.txt",):
            continue
        text = f.read_text()
        m = re.search(r"^SCREEN validation_accuracy=(\S+) batches=(\d+)(?: samples=(\d+))?", text, re.M)
        head = text.splitlines()[0] if text else ""
        settings = head.split(" with ", 1)[1] if " with " in head else "?"
        if settings == "the preset's settings":
            settings = "seed=0"
        if not m:
            rows.append((f.stem, settings, "not finished", "", ""))
            continue
        cmd = next((c for s, c in by_settings.items() if s.replace('"', "") == settings), None)
        rows.append((f.stem, settings, m.group(1), m.group(2), "yes" if cmd else "NO COMMAND"))
    lines = ["| screen | settings (besides the preset's) | validation % (1,000 digits, 200 ms) | batches | command in command.txt |",
             "|---|---|---|---|---|"]
    lines += [f"| {r[0]} | `{r[1]}` | {r[2]} | {r[3]} | {r[4]} |" for r in rows]
    (HERE / "TABLE.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
