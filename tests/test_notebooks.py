"""Every notebook runs top to bottom (quick mode); student copies fail only where expected.

Parametrized over ``notebooks/*.ipynb``, so new notebooks are picked up automatically.  Their
jupytext ``.py`` pairs are not executed: they hold the same cells (tests/test_notebook_pairs.py).
"""
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")
import nbclient.exceptions  # noqa: E402  (CellTimeoutError, DeadKernelError)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 60
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _execute(nb, cwd, allow_errors=False):
    """Run a notebook in a fresh kernel.  A kernel that stops answering (seen rarely here with
    ipykernel + pyzmq under heavy load: a cell that takes 3 s hangs until the cell timeout)
    gets one fresh retry, so a lost message costs CELL_TIMEOUT seconds, not a red CI."""
    os.environ["SNNLAB_QUICK"] = "1"          # inherited by the kernel
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    original = nbformat.from_dict(nb)
    for attempt in range(2):
        work = nbformat.from_dict(original) if attempt else nb
        client = nbclient.NotebookClient(work, timeout=CELL_TIMEOUT, kernel_name="python3",
                                         allow_errors=allow_errors,
                                         resources={"metadata": {"path": str(cwd)}})
        t0 = time.perf_counter()
        try:
            client.execute()
        except (nbclient.exceptions.CellTimeoutError, nbclient.exceptions.DeadKernelError):
            if attempt:
                raise
            print(f"kernel stopped answering after {time.perf_counter() - t0:.0f} s; retrying once")
            continue
        if attempt:
            nb.cells = work.cells
        return time.perf_counter() - t0


def _text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type == "error":
            parts.append(f"{o.ename}: {o.evalue}")
        elif "data" in o and "text/plain" in o.data:
            parts.append(o.data["text/plain"])
    return ANSI.sub("", "\n".join(parts))


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def test_notebooks_found():
    assert NOTEBOOKS, "no notebooks in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: commit notebooks with outputs cleared"
    seconds = _execute(nb, path.parent)
    print(f"{path.name}: {seconds:.1f} s")
    for i, cell in enumerate(nb.cells):
        if "check" in _tags(cell):
            out = _text(cell)
            assert "✓ correct" in out and "✗" not in out, \
                f"{path.name} cell {i}: the solution does not pass its own check:\n{out}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_copy(path, tmp_path):
    from snnlab.exercises.student import make_student_copies
    make_student_copies(path.parent, tmp_path)
    student = tmp_path / path.name
    nb = nbformat.read(student, as_version=4)
    src = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "### BEGIN SOLUTION" not in src and "### END SOLUTION" not in src
    n_ex = sum("exercise" in _tags(c) for c in nb.cells)
    assert src.count("EXERCISE: fill in this cell") >= n_ex
    _execute(nb, tmp_path, allow_errors=True)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            assert _tags(cell) & {"exercise", "check"}, \
                f"{path.name} cell {i} (not an exercise/check) fails in the student copy: " \
                f"{errors[0].ename}: {errors[0].evalue}\n{cell.source}"
        if "check" in _tags(cell):
            out = _text(cell)
            assert "not done yet" in out, \
                f"{path.name} cell {i}: a check on an unsolved exercise should say 'not done yet':\n{out}"
