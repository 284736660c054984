"""Write results/INDEX.md: every number the repository reports, with the folder that holds its
files, the command that made it and the commit that added it.

The claims and their folders are kept by hand in results/claims.json; this script fills in the rest
from the repository:

* command: a line of the folder's ``command.txt`` (or its one ``*-command.txt``): the first command
  line containing the claim's ``match`` text, else the first command line; ``#`` comments dropped.
  Commands are as recorded, so their paths are those of the day (results/archive/HISTORY.md maps the
  old flat folder names to the new ones).
* commit: ``git log -1 -- <folder>``, the newest commit that added or changed the folder's files,
  also under the path the folder had before the layout moved it (``moved`` in claims.json: old ->
  new). Commits whose subject starts with ``results layout:`` (moving folders, making paths
  relative, adding a missing command.txt) do not count: they changed where a result is, not the
  result. So commit a new result first, then rerun this script and commit INDEX.md.

It also writes the paper-vs-snnlab table (``results/paper_table.py``: Tables 2-4, Figs. 3, 5, 6, every
snnlab number read from the result files) at the top of INDEX.md, and ``results/SUMMARY.txt``, the
machine-readable ``SUMMARY table2 ...`` / ``SUMMARY fig3 ...`` lines, followed by the lines of the
other SUMMARY.txt files under results/ (N-MNIST, the CNN).

Run from anywhere:

    python results/make_index.py           # writes results/INDEX.md and results/SUMMARY.txt
    python results/make_index.py --check   # exit status 1 if either is not what it would write

tests/test_results_index.py checks that INDEX.md is in sync, that every folder it names exists and
that every run folder under canonical/ and ablations/ is named.
"""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent
REPO = RESULTS.parent
CLAIMS = RESULTS / "claims.json"
INDEX = RESULTS / "INDEX.md"
SUMMARY = RESULTS / "SUMMARY.txt"
OTHER_SUMMARIES = ("nmnist/SUMMARY.txt", "mnist-cnn/SUMMARY.txt")
HOUSEKEEPING = "results layout:"
_COMMENT = re.compile(r"\s+#(\s.*)?$")


def load_claims(path=CLAIMS) -> list[dict]:
    return json.loads(Path(path).read_text())["claims"]


def command_file(folder: Path) -> Path:
    """``folder/command.txt``, else the folder's only ``*-command.txt``."""
    if (folder / "command.txt").is_file():
        return folder / "command.txt"
    found = sorted(folder.glob("*-command.txt"))
    if len(found) != 1:
        raise ValueError(f"{folder}: no command.txt (and {len(found)} *-command.txt files)")
    return found[0]


def command_for(folder: Path, match: str | None = None) -> str:
    """The claim's command line from the folder's command file (comments dropped)."""
    lines = [_COMMENT.sub("", ln).strip() for ln in command_file(folder).read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    for ln in lines:
        if match is None or match in ln:
            return ln
    raise ValueError(f"{command_file(folder)}: no command line contains {match!r}")


def _git(*args) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout


def load_moved(path=CLAIMS) -> dict[str, str]:
    """old -> new path (relative to results/) of every folder or file the results layout moved."""
    return json.loads(Path(path).read_text()).get("moved", {})


def commit_for(folder: Path, moved=None) -> str:
    """The newest commit that added or changed the folder's files, under its present path or under the
    path(s) it had before the layout moved it (``moved`` in claims.json), ``results layout:`` commits
    not counted (see the module docstring). '-' if there is none."""
    rel = folder.resolve().relative_to(RESULTS).as_posix()
    moved = load_moved() if moved is None else moved
    paths = [f"results/{rel}/"] + [f"results/{old}" for old, new in moved.items()
                                   if new == rel or new.startswith(rel + "/")]
    sha = _git("log", "-1", "--abbrev=7", "--format=%h", "--invert-grep", f"--grep=^{HOUSEKEEPING}",
               "--", *paths).strip()
    return sha or "-"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{_cell(text)}{pad}{fence}"


def _paper_table():
    sys.path.insert(0, str(RESULTS))
    try:
        import paper_table
    finally:
        sys.path.remove(str(RESULTS))
    return paper_table


def render_summary(table_rows=None) -> str:
    """results/SUMMARY.txt: the Table 2 and Fig. 3 lines, then every other SUMMARY.txt's lines."""
    lines = _paper_table().summary_lines(table_rows)
    for rel in OTHER_SUMMARIES:
        f = RESULTS / rel
        if f.exists():
            lines += [ln for ln in f.read_text().splitlines() if ln.startswith("SUMMARY ")]
    return "\n".join(lines) + "\n"


def render(claims=None, table_rows=None) -> str:
    claims = load_claims() if claims is None else claims
    moved = load_moved()
    n_readme = sum(1 for c in claims if c.get("source") == "README.md")
    lines = [
        "<!-- Written by results/make_index.py from results/claims.json: edit those, not this file. -->",
        "# Index of reported numbers",
        "",
        "## The paper beside snnlab",
        "",
        "Every snnlab number below is read from the files of the folder in its row",
        "(`results/paper_table.py`); the machine-readable lines are in `SUMMARY.txt`.",
        "",
        _paper_table().markdown(table_rows).rstrip("\n"),
        "",
        "## Every claim",
        "",
        f"Every number the repository reports, {len(claims)} claims: the first {n_readme} are the numbers README.md",
        "quotes, in its order; the rest are those of every other folder under `canonical/` and",
        "`ablations/`, and details (all quoted in `archive/HISTORY.md`, the record of every measurement).",
        "Numbers quoted from elsewhere (the paper, snnTorch) have no folder and are not listed.",
        "Folders are relative to `results/` (layout: `README.md`). The command is the line of the folder's",
        "`command.txt` that made the number, as recorded: its paths are those of the day, before the",
        "folders moved (`archive/HISTORY.md` maps old names to new). The commit is the newest one that",
        "added or changed the folder's files (moves not counted). Regenerate with",
        "`python results/make_index.py`.",
        "",
        "| claim | folder | command | commit |",
        "|---|---|---|---|",
    ]
    for c in claims:
        folder = RESULTS / c["folder"]
        lines.append(f"| {_cell(c['claim'])} | [{c['folder']}/]({c['folder']}/) | "
                     f"{_code(command_for(folder, c.get('match')))} | {commit_for(folder, moved)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only check that INDEX.md is up to date")
    args = p.parse_args(argv)
    table_rows = _paper_table().rows()
    outputs = {INDEX: render(table_rows=table_rows), SUMMARY: render_summary(table_rows)}
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
        for p in stale:
            print(f"{p} is out of date: run python results/make_index.py", file=sys.stderr)
        return 1 if stale else 0
    for p, text in outputs.items():
        p.write_text(text)
    print(f"wrote {INDEX} ({len(load_claims())} claims) and {SUMMARY}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
