# 义务教育优质均衡 analysis workbench. `make help` lists the targets.
# Every target sets up what it needs (virtualenv, Jupyter kernel, CJK font) first.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KERNEL := edu-balance
KERNEL_SPEC := $(VENV)/share/jupyter/kernels/$(KERNEL)/kernel.json
RAW ?= data/raw
PROCESSED ?= data/processed
SAMPLE := data/raw/sample
YEAR ?=
COUNTIES ?= all
JOBS ?=
SCOPE ?= county,city
PYTEST_ARGS ?=

export EDU_KERNEL := $(KERNEL)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.DEFAULT_GOAL := help
.PHONY: help setup venv kernel font browser sample data reports test test-all lab lint strip bench clean-data clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

setup: venv kernel font ## Virtualenv, Jupyter kernel and CJK font

venv: $(STAMP) ## Create .venv and install the package with its dependencies

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

kernel: $(KERNEL_SPEC) ## Register the Jupyter kernel "edu-balance" inside .venv

$(KERNEL_SPEC): $(STAMP)
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (edu-balance)" > /dev/null

font: ## Make sure a CJK font is installed so charts render Chinese
	@bash scripts/ensure-font.sh

browser: ## Install headless Chromium for the browser tests (where apt-get is available)
	@bash scripts/ensure-chromium.sh || true

sample: venv ## (Re)generate the synthetic sample city in data/raw/sample
	$(PY) -m analysis sample --out $(SAMPLE)

$(SAMPLE)/.complete: | $(STAMP)
	$(PY) -m analysis sample --out $(SAMPLE)
	@touch $@

data: venv $(SAMPLE)/.complete ## Build the sample (if missing) and clean data/raw into data/processed
	$(PY) -m analysis clean --raw $(RAW) --out $(PROCESSED)

reports: setup data ## Build the sample data and publish the county and city reports to reports/
	$(PY) -m analysis publish --counties $(COUNTIES) --processed $(PROCESSED) --out reports \
		--scope $(SCOPE) $(if $(YEAR),--year $(YEAR)) $(if $(JOBS),--jobs $(JOBS))

test: setup browser ## Run the test suite (fast subset: a few counties per notebook)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-all: setup browser ## Run every test, incl. all notebooks for every sample county
	$(PY) -m pytest -n 2 -m "slow or not slow" $(PYTEST_ARGS)

bench: setup ## Run the benchmarks (cleaning, indicators, publishing); prints figures and ratios
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lab: setup data ## Start JupyterLab on the project (127.0.0.1, a free port); prints the URL and what to open first
	$(PY) -m analysis.lab --root .

lint: venv ## Ruff lint of the package, tests and benchmarks
	$(VENV)/bin/ruff check analysis tests benchmarks

strip: venv ## Strip outputs from the notebooks (do this before committing)
	$(VENV)/bin/nbstripout --keep-id --keep-metadata-keys metadata.kernelspec notebooks/*.ipynb

clean-data: ## Remove generated data (data/processed, the sample) and reports
	find $(PROCESSED) -mindepth 1 ! -name .gitkeep ! -name README.md -delete
	rm -rf $(SAMPLE) reports

clean: clean-data ## Also remove the virtualenv
	rm -rf $(VENV)
