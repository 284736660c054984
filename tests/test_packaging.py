"""Pins that matter (python, numpy, brian2) agree in pyproject.toml, environment.yml (conda users) and
binder/ (repo2docker: requirements.txt, runtime.txt, postBuild)."""
import os
import re
import stat
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PINNED = ("numpy", "brian2")


def _spec(req: str) -> tuple[str, str]:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    return m.group(1).lower(), re.sub(r"\s+", "", m.group(2))


def _env_yml(path: Path) -> dict[str, str]:
    """Conda dependencies of a simple environment.yml ('  - name<spec>' lines, pip section excluded)."""
    deps, in_deps, in_pip = {}, False, False
    for line in path.read_text().splitlines():
        if re.match(r"^dependencies:\s*$", line):
            in_deps = True
            continue
        if in_deps and re.match(r"^\S", line):
            in_deps = False
        m = re.match(r"^(\s*)-\s+(.+?)\s*(#.*)?$", line)
        if not (in_deps and m):
            continue
        if len(m.group(1)) > 2:      # nested list (the pip: section)
            continue
        item = m.group(2)
        if item.startswith("pip:"):
            continue
        name, spec = _spec(item)
        deps[name] = spec
    return deps


def _pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _requirements_txt(path: Path) -> dict[str, str]:
    """name -> specifier of a pip requirements file (comments and option lines skipped)."""
    deps = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, spec = _spec(line)
            deps[name.replace("_", "-")] = spec
    return deps


def test_pins_agree_environment_yml():
    proj = _pyproject()["project"]
    deps = dict(_spec(d) for d in proj["dependencies"])
    env = _env_yml(REPO / "environment.yml")
    for name in PINNED:
        assert env[name] == deps[name], f"environment.yml: {name}{env[name]} but pyproject.toml has {name}{deps[name]}"
    assert proj["requires-python"] == ">=3.11,<3.12"
    assert env["python"] == "=3.11", f"environment.yml: python{env['python']}, expected python=3.11"
    assert set(deps) <= set(env), f"environment.yml misses {sorted(set(deps) - set(env))}"


def test_binder_requirements_have_the_pyproject_pins():
    """binder/requirements.txt repeats every pyproject.toml dependency with the same specifier (repo2docker
    ignores pyproject.toml once binder/ exists), adds jupyterlab_widgets, and runtime.txt is Python 3.11."""
    deps = {name.replace("_", "-"): spec for name, spec in (_spec(d) for d in _pyproject()["project"]["dependencies"])}
    req = _requirements_txt(REPO / "binder/requirements.txt")
    assert set(deps) <= set(req), f"binder/requirements.txt misses {sorted(set(deps) - set(req))}"
    differ = {name: (deps[name], req[name]) for name in deps if req[name] != deps[name]}
    assert not differ, f"binder/requirements.txt and pyproject.toml pin differently (pyproject, binder): {differ}"
    assert "jupyterlab-widgets" in req, "binder/requirements.txt needs jupyterlab_widgets (JupyterLab 4 widgets)"
    assert (REPO / "binder/runtime.txt").read_text().strip() == "python-3.11"
    assert not (REPO / "binder/environment.yml").exists(), "repo2docker would take binder/environment.yml (conda-forge) first"
    # no local reference: repo2docker would install after copying the whole repository (no layer cache)
    text = (REPO / "binder/requirements.txt").read_text()
    assert not any(line.split("#", 1)[0].strip().startswith(("-e", "-r", "-c", ".")) for line in text.splitlines())


def test_numpy_below_2_4():
    spec = dict(_spec(d) for d in _pyproject()["project"]["dependencies"])["numpy"]
    assert "<2.4" in spec and ">=2.0" in spec


def test_scripts_and_binder():
    proj = _pyproject()["project"]
    assert proj["scripts"]["snnlab"] == "snnlab.cli:main"
    for f in ("binder/postBuild", ".ci/run"):
        assert os.stat(REPO / f).st_mode & stat.S_IXUSR, f"{f} must be executable"
    assert "pip install --no-deps -e ." in (REPO / "binder/postBuild").read_text()
    assert "make test" in (REPO / ".ci/run").read_text()
