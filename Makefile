# snnlab: one command per job. Needs only python3.11 (or python3) and make.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)

.PHONY: venv test lab train bench student

## venv: create .venv and install snnlab[test] (re-installs only when pyproject.toml changes)
venv: $(VENV)/.installed

$(PY):
	@test -n "$(PYTHON)" || { echo "error: need python3.11 (or python3) on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -e ".[test]"
	touch $@

## test: unit tests + notebook execution, quick mode
test: venv
	SNNLAB_QUICK=1 $(PY) -m pytest -q

## lab: JupyterLab on notebooks/
lab: venv
	$(VENV)/bin/jupyter lab notebooks/

## train: the main job without a browser
train: venv
	OMP_NUM_THREADS=1 $(VENV)/bin/snnlab train --preset quick

## bench: forward-pass benchmark
bench: venv
	$(PY) benchmarks/bench_forward.py

## student: student copies of the notebooks (solutions removed, outputs cleared) in student/
student: venv
	$(PY) -m snnlab.exercises.student notebooks/ -o student/

## sync-notebooks: update each notebook's .ipynb / .py (jupytext) pair from the more recently modified file
.PHONY: sync-notebooks
sync-notebooks: venv
	$(VENV)/bin/jupytext --sync notebooks/*.ipynb
