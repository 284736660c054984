"""results/INDEX.md covers the results and agrees with results/make_index.py; no committed text
file names a path of one machine."""
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}
# paths that exist on one machine only; spelled in pieces so that this file does not match itself
MACHINE_PATHS = re.compile("|".join(re.escape(p) for p in
                                    ("/" + "work/", "/" + "root/", "/" + "home/", "/" + "tmp/pytest",
                                     "/" + "Users/")))
# files with such a path that are not the results' to fix, left to their owners (remove when fixed)
PENDING = set()                                  # files exempted from the machine-path check (none)


@pytest.fixture(scope="module")
def make_index():
    spec = importlib.util.spec_from_file_location("make_index", RESULTS / "make_index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _index_folders() -> list[str]:
    rows = [ln for ln in (RESULTS / "INDEX.md").read_text().splitlines()
            if ln.startswith("| ") and not ln.startswith(("| claim |", "| result |"))]
    folders = []
    for row in rows:
        m = re.search(r"\| \[([^\]]+)/\]\(\1/\) \|", row)
        assert m, f"INDEX.md row without a folder link: {row[:80]}"
        folders.append(m.group(1))
    return folders


def _run_folders(top: str) -> set[str]:
    """Folders under results/<top>/ that hold files themselves (runs and benchmark outputs)."""
    found = set()
    for d in (RESULTS / top).rglob("*"):
        if d.is_dir() and not SKIP_DIRS & set(d.parts) and any(f.is_file() for f in d.iterdir()):
            found.add(d.relative_to(RESULTS).as_posix())
    return found


def test_every_folder_in_the_index_exists():
    folders = _index_folders()
    assert folders, "INDEX.md lists no claim"
    missing = sorted({f for f in folders if not (RESULTS / f).is_dir()})
    assert not missing, f"INDEX.md names folders that do not exist: {missing}"


def test_every_canonical_and_ablation_folder_is_in_the_index():
    named = set(_index_folders())
    for top in ("canonical", "ablations"):
        absent = sorted(_run_folders(top) - named)
        assert not absent, (f"results/{top}/ folders without a claim in INDEX.md: {absent} "
                            "(add them to results/claims.json and run python results/make_index.py)")


def test_index_is_what_make_index_writes(make_index):
    assert (RESULTS / "INDEX.md").read_text() == make_index.render(), \
        "results/INDEX.md is out of date: run python results/make_index.py"


def test_summary_txt_is_what_make_index_writes_in_the_issues_format(make_index):
    text = (RESULTS / "SUMMARY.txt").read_text()
    assert text == make_index.render_summary(), "results/SUMMARY.txt is out of date: run python results/make_index.py"
    num = r"(\d+\.\d\d|na)"
    table2 = re.compile(rf"SUMMARY table2 net=(784-800-10|500-500|300-300) protocol=(paper|batch32) "
                        rf"min={num} mean={num} max={num} epochs=\d+ seeds=\d+")
    fig3 = re.compile(r"SUMMARY fig3 epochs_per_point=\d+ best_kappa_N100=\S+ best_kappa_N200=\S+ best_kappa_N300=\S+")
    lines = text.splitlines()
    t2 = [ln for ln in lines if ln.startswith("SUMMARY table2 ")]
    assert t2 and all(table2.fullmatch(ln) for ln in t2), t2
    assert sum(bool(fig3.fullmatch(ln)) for ln in lines) == 1


def test_the_paper_table_reads_its_numbers_from_the_run_files(make_index, tmp_path):
    """A Table 2 row is the window statistic of the run's own 1 s tests: change a test file, the row changes."""
    import json
    import shutil
    pt = make_index._paper_table()
    run = tmp_path / "run"
    shutil.copytree(RESULTS / "canonical" / "pi-mnist-800", run,
                    ignore=shutil.ignore_patterns("*.safetensors", "*.png"))
    before = pt.table2_row("784-800-10", "batch32", str(run))
    f = run / "evaluate-1s-epoch200.json"
    r = json.loads(f.read_text())
    r["accuracy"] = 0.5
    f.write_text(json.dumps(r))
    after = pt.table2_row("784-800-10", "batch32", str(run))
    assert before["min"] > 90 and after["min"] == 50.0 and before["epochs"] == after["epochs"] == 200


def test_claims_name_their_source_and_readme_claims_come_first(make_index):
    claims = make_index.load_claims()
    sources = [c["source"] for c in claims]
    assert set(sources) <= {"README.md", "results/archive/HISTORY.md"}
    n = sources.count("README.md")
    assert n and sources[:n] == ["README.md"] * n, "README.md's claims come first, in its order"


def test_moved_paths_exist_and_old_names_are_not_reused(make_index):
    """Every folder of the earlier flat layout has a new home, and no committed file is back under an
    old name (make_index.py dates a moved folder by its history under both names)."""
    moved = make_index.load_moved()
    gone = sorted(new for new in moved.values() if not (RESULTS / new).exists())
    assert not gone, f"claims.json 'moved' names paths that do not exist: {gone}"
    tracked = subprocess.run(["git", "ls-files", "results"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    runs = [old for old in moved if old != "README.md"]     # results/README.md is the new layout's
    reused = sorted({old for old in runs for t in tracked
                     if t == f"results/{old}" or t.startswith(f"results/{old}/")})
    assert not reused, f"committed files under old (moved) names again: {reused}; use the layout of results/README.md"


def test_no_committed_text_file_names_a_machine_path():
    """Paths like the repository's own location on one machine mean nothing elsewhere: write them
    relative (to the repository root, or ../ for a folder beside it)."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    offenders = []
    for name in filter(None, names.decode().split("\0")):
        path = REPO / name
        if name in PENDING or not path.is_file():
            continue                                   # deleted in the working tree
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue                                   # binary
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATHS.search(line):
                offenders.append(f"{name}:{i}: {line.strip()[:100]}")
    assert not offenders, "machine-specific absolute paths:\n" + "\n".join(offenders)
