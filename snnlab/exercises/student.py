"""Make student copies of the notebooks: solutions out, outputs cleared.

    python -m snnlab.exercises.student notebooks/ -o student/

Every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader markers, in
any code cell) is replaced by ``raise NotImplementedError("EXERCISE: fill in this cell")``
at the indentation of the ``### BEGIN SOLUTION`` line.  All outputs and execution counts are
cleared; cell tags (``exercise``, ``check``) and nbgrader cell metadata are kept.  Files whose
names start with ``_`` and folders starting with ``_`` or ``.`` are skipped.

Only the ``.ipynb`` files are read: their jupytext ``.py`` pairs hold the same cells
(``tests/test_notebook_pairs.py``).  A student copy is a plain notebook, not a pair: its
``jupytext`` metadata is dropped, so JupyterLab does not write a ``.py`` beside it.

The solution cells also carry nbgrader metadata (``"solution": true``, a ``grade_id``), so
``nbgrader generate_assignment`` can make the student version instead of this module.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("EXERCISE: fill in this cell")'


def strip_solutions(source: str) -> str:
    """Replace each marked solution region by the ``NotImplementedError`` stub."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise ValueError(f"nested {BEGIN!r}")
            inside = True
            indent = re.match(r"\s*", line).group(0)
            out.append(indent + STUB)
        elif stripped.startswith(END):
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r}")
    return "\n".join(out)


def student_notebook(nb):
    """A student copy of a notebook node (modified in place and returned)."""
    nb.metadata.pop("jupytext", None)         # not paired with a .py: a plain notebook
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
        cell.get("metadata", {}).pop("execution", None)
    return nb


def make_student_copies(src: Path, dst: Path) -> list[Path]:
    """Write student copies of every ``*.ipynb`` under ``src`` (recursively) into ``dst``."""
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise ValueError("the output folder must differ from the notebook folder")
    written = []
    for path in sorted(src.rglob("*.ipynb")):
        rel = path.relative_to(src)
        if any(p.startswith((".", "_")) for p in rel.parts):
            continue
        nb = nbformat.read(path, as_version=4)
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".ipynb.tmp")
        nbformat.write(student_notebook(nb), tmp)
        tmp.replace(target)
        written.append(target)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", type=Path, help="folder with the teacher notebooks")
    ap.add_argument("-o", "--output", type=Path, default=Path("student"), help="output folder")
    args = ap.parse_args(argv)
    if not args.notebooks.is_dir():
        print(f"error: {args.notebooks} is not a folder", file=sys.stderr)
        return 2
    written = make_student_copies(args.notebooks, args.output)
    for w in written:
        print(f"wrote {w}")
    if not written:
        print(f"warning: no notebooks found in {args.notebooks}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
