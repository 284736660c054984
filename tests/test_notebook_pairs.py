"""The notebooks are their own source: every ``notebooks/NN_name.ipynb`` is paired with a jupytext
``notebooks/NN_name.py`` (py:percent), and the two hold the same cells.  Nothing is executed here.

Editing either file in JupyterLab (jupytext's contents manager) rewrites both; after editing one
outside JupyterLab, ``jupytext --sync notebooks/NN_name.ipynb`` (or ``make sync-notebooks``)
brings the other up to date.
"""
import difflib
import re
from pathlib import Path

import nbformat
import pytest

jupytext = pytest.importorskip("jupytext")

REPO = Path(__file__).resolve().parents[1]
NB_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
SCRIPTS = sorted(p for p in NB_DIR.glob("*.py") if not p.name.startswith("_"))
FORMATS = "ipynb,py:percent"
BEGIN = "### BEGIN SOLUTION"
IDS = [p.stem for p in NOTEBOOKS]


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _fix(nb_path: Path) -> str:
    return (f"run: jupytext --sync {_rel(nb_path)}   (the more recently modified file wins; to choose, "
            f"'jupytext --to ipynb --update {_rel(nb_path.with_suffix('.py'))}' makes the .py win, "
            f"'jupytext --to py:percent {_rel(nb_path)}' the .ipynb)")


def _cells(path: Path):
    """(cell type, source, tags, nbgrader metadata) of every cell, as jupytext reads the file."""
    nb = jupytext.read(path)
    return [(c.cell_type, c.source, c.metadata.get("tags", []), c.metadata.get("nbgrader"))
            for c in nb.cells]


def test_notebooks_found():
    assert NOTEBOOKS, "no notebooks in notebooks/"


def test_no_build_folder():
    """The notebooks are edited directly; no generator scripts produce them any more."""
    assert not (NB_DIR / "_build").exists(), \
        "notebooks/_build/ is back: edit the notebooks (or their .py pairs) themselves instead"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_notebook_has_a_pair(path):
    py = path.with_suffix(".py")
    assert py.exists(), (f"{_rel(path)} has no py:percent pair: "
                         f"run: jupytext --set-formats {FORMATS} {_rel(path)}")
    formats = nbformat.read(path, as_version=4).metadata.get("jupytext", {}).get("formats")
    assert formats == FORMATS, (f"{_rel(path)}: jupytext formats are {formats!r}, not {FORMATS!r}: "
                                f"run: jupytext --set-formats {FORMATS} {_rel(path)}")


def test_every_script_has_a_notebook():
    orphans = [_rel(p) for p in SCRIPTS if not p.with_suffix(".ipynb").exists()]
    assert not orphans, (f"{orphans}: a .py in notebooks/ without its .ipynb; make one with "
                         f"'jupytext --set-formats {FORMATS} notebooks/NN_name.py' (or delete the .py)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_pair_agrees(path):
    py = path.with_suffix(".py")
    if not py.exists():
        pytest.skip("no pair (see test_every_notebook_has_a_pair)")
    a, b = _cells(path), _cells(py)
    if a == b:
        return
    if len(a) != len(b):
        detail = f"{len(a)} cells in the .ipynb, {len(b)} in the .py"
    else:
        i = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
        (ta, sa, ga, na), (tb, sb, gb, nb_) = a[i], b[i]
        if (ta, sa) != (tb, sb):
            diff = "\n".join(difflib.unified_diff(f"[{ta}]\n{sa}".splitlines(), f"[{tb}]\n{sb}".splitlines(),
                                                  path.name, py.name, lineterm="", n=1))
            detail = f"cell {i} differs:\n{diff[:1500]}"
        else:
            detail = (f"cell {i}: tags {ga} vs {gb}" if ga != gb else f"cell {i}: nbgrader {na} vs {nb_}")
    pytest.fail(f"{path.stem}: {_rel(path)} and {_rel(py)} disagree ({detail})\n{_fix(path)}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_solution_cells_have_nbgrader_metadata(path):
    """Cells with a solution region are nbgrader 'autograded answer' cells with a unique grade_id
    (what ``nbgrader generate_assignment`` needs); no other cell claims to be a solution.  nbgrader
    takes any line that *contains* "BEGIN SOLUTION" or "END SOLUTION", in any cell, markdown too,
    for a marker, so other cells must not mention them literally."""
    nb = nbformat.read(path, as_version=4)
    seen = set()
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        lines = cell.source.splitlines()
        has_solution = cell.cell_type == "code" and any(line.strip().startswith(BEGIN) for line in lines)
        markers = [line for line in lines if "BEGIN SOLUTION" in line or "END SOLUTION" in line]
        if not has_solution:
            assert not (meta or {}).get("solution"), f"{path.name} cell {i}: nbgrader solution cell without {BEGIN}"
            assert not markers, (f"{path.name} cell {i}: mentions a solution marker outside a solution region "
                                 f"(nbgrader would take it for one): {markers}")
            continue
        assert all(line.strip().startswith(("### BEGIN SOLUTION", "### END SOLUTION")) for line in markers), \
            f"{path.name} cell {i}: a solution marker that is not a line of its own: {markers}"
        assert "exercise" in cell.metadata.get("tags", []), f"{path.name} cell {i}: a solution outside an exercise cell"
        assert meta is not None, f"{path.name} cell {i}: solution cell without nbgrader metadata"
        assert {k: meta.get(k) for k in ("solution", "grade", "locked", "schema_version")} == \
            {"solution": True, "grade": False, "locked": False, "schema_version": 3}, f"{path.name} cell {i}: {meta}"
        gid = meta.get("grade_id", "")
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", gid), f"{path.name} cell {i}: bad grade_id {gid!r}"
        assert gid not in seen, f"{path.name}: grade_id {gid!r} used twice"
        seen.add(gid)


# ------------------------------------------------------------------ links into docs/algorithm.md
ALGORITHM = REPO / "docs" / "algorithm.md"
LINK = re.compile(r"docs/algorithm\.md#([A-Za-z0-9_\-]+)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_to_the_algorithm_page_resolve():
    """Notebooks and exercise modules cite docs/algorithm.md by section anchor, and nothing outside
    the repository (the design spec or the reading note's file)."""
    anchors = {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", ALGORITHM.read_text(), re.M)}
    sources = NOTEBOOKS + sorted((REPO / "snnlab" / "exercises").glob("*.py"))
    broken, outside = [], []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        broken += [f"{_rel(path)}: #{a}" for a in LINK.findall(text) if a not in anchors]
        outside += [f"{_rel(path)}: {w}" for w in ("ALGORITHM.md", "reading_note") if w in text]
    assert not broken, f"links to missing sections of docs/algorithm.md: {broken}"
    assert not outside, f"cite docs/algorithm.md instead of files outside the repository: {outside}"
