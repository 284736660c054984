"""The Binder environment builds from binder/ alone and runs a notebook.

repo2docker needs Docker (and conda-forge for its own base image), so this builds the part that is
ours the way repo2docker does, without them: a fresh ``python3.11 -m venv``, then from the
repository root ``pip install -r binder/requirements.txt`` and ``binder/postBuild`` (with the venv
first on PATH, as repo2docker's environment is). Then ``notebooks/01_lif_neuron.ipynb`` runs in
that environment in quick mode, in a kernel of that venv, and ``jupyterlab_widgets`` (what
JupyterLab 4 needs to render ipywidgets) must import there. It works on a copy of the repository's
files, so the editable install does not touch the working tree. Takes a few minutes (pip).
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/01_lif_neuron.ipynb"

RUNNER = r'''
import json, os, sys
import nbclient, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import json as _j, sys as _s, snnlab as _p, jupyterlab_widgets as _w\n"
    "print('BINDER-CHECK ' + _j.dumps({'python': _s.executable, 'snnlab': _p.__file__, 'widgets': _w.__file__}))"))
client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                 resources={"metadata": {"path": os.path.dirname(os.path.abspath(sys.argv[1]))}})
client.execute()
out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
print(out.strip())
'''


def _copy_repo(dst: Path) -> None:
    """The files of the repository as they are in the working tree (tracked or new, not ignored)."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        src = REPO / name
        if src.is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_binder_environment_builds_and_runs_notebook_01(tmp_path):
    python = shutil.which("python3.11")
    if python is None:
        pytest.skip("no python3.11 on PATH (binder/runtime.txt asks for python-3.11)")
    repo = tmp_path / "repo"
    _copy_repo(repo)
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    bindir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               JUPYTER_PLATFORM_DIRS="1")

    def run(args, **kw):
        res = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, **kw)
        assert res.returncode == 0, f"{' '.join(map(str, args))} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
        return res

    run([bindir / "python", "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"])
    run(["binder/postBuild"])                               # as repo2docker runs it: from the root

    # the kernel must be this venv's, with snnlab from the copy and the widgets' lab extension
    env.update(SNNLAB_QUICK="1", MPLBACKEND="module://matplotlib_inline.backend_inline")
    # a user-wide kernelspec named python3 must not win over the venv's own
    env["JUPYTER_PATH"] = str(venv / "share" / "jupyter")
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter-data")
    runner = tmp_path / "run_notebook.py"
    runner.write_text(RUNNER)
    res = run([bindir / "python", runner, repo / NOTEBOOK], timeout=1800)
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("BINDER-CHECK "))
    found = json.loads(line.removeprefix("BINDER-CHECK "))
    assert Path(found["python"]).parent.resolve() == bindir.resolve(), found
    assert Path(found["snnlab"]).resolve().is_relative_to(repo.resolve()), found
    assert Path(found["widgets"]).resolve().is_relative_to(venv.resolve()), found
    lab = run([bindir / "jupyter", "labextension", "list"])
    assert "@jupyter-widgets/jupyterlab-manager" in lab.stdout + lab.stderr
