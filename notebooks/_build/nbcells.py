"""Cell helpers shared by the notebook generators in this folder."""
import hashlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent.parent


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text, tags=()):
    c = new_code_cell(text.strip("\n"))
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def exercise(text):
    return code(text, ["exercise"])


def check(text):
    return code(text, ["check"])


def write(name, cells):
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):       # stable ids: regenerating leaves unchanged cells unchanged
        cell["id"] = hashlib.sha1(f"{name}:{i}:{cell['source']}".encode()).hexdigest()[:8]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, HERE / name)
    print("wrote", HERE / name)
