# 义务教育优质均衡 analysis workbench. `make help` lists the targets.
# Every target sets up what it needs (virtualenv, Jupyter kernel, CJK font) first.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KERNEL := edu-balance
KERNEL_SPEC := $(VENV)/share/jupyter/kernels/$(KERNEL)/kernel.json
SAMPLE := data/raw/sample
# RAW: a folder of one's own data (make reports RAW=data/raw/青石县). Given, only that folder
# is cleaned, into data/processed/<its name>, and published to reports/<its name>; the synthetic
# sample is neither built nor cleaned. Not given: the sample is built and all of data/raw is
# cleaned into data/processed and published to reports.
RAW ?=
RAW_NAME := $(notdir $(patsubst %/,%,$(RAW)))
ifeq ($(strip $(RAW)),)
RAW_DIR := data/raw
PROCESSED ?= data/processed
REPORTS ?= reports
RAW_DEPS := $(SAMPLE)/.complete
else
RAW_DIR := $(RAW)
PROCESSED ?= data/processed/$(RAW_NAME)
REPORTS ?= reports/$(RAW_NAME)
RAW_DEPS :=
endif
YEAR ?=
COUNTY ?=
TEMPLATE ?= 填报模板.xlsx
COUNTIES ?= all
JOBS ?=
SCOPE ?= county,city
GROUPS ?=
PYTEST_ARGS ?=

export EDU_KERNEL := $(KERNEL)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.DEFAULT_GOAL := help
.PHONY: help setup venv kernel font browser sample template data reports screenshots guide test test-all lab lint strip bench clean-data clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

setup: venv kernel font ## Virtualenv, Jupyter kernel and CJK font

venv: $(STAMP) ## Create .venv and install the package with its dependencies

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# PYTHONWARNINGS: setuptools' notes about editable installs are for packagers, not the user
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[dev]'
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

template: venv ## Write the data-entry workbook 填报模板.xlsx (COUNTY=青石县 YEAR=2024 optional; TEMPLATE=file)
	$(PY) -m analysis template --out $(TEMPLATE) $(if $(COUNTY),--county $(COUNTY)) $(if $(YEAR),--year $(YEAR))

data: venv $(RAW_DEPS) ## Clean data/raw (and the sample, built if missing) into data/processed; RAW=dir: only that folder
	@$(if $(RAW),test -d '$(RAW)' || { echo "RAW=$(RAW)：没有这个文件夹 (no such folder)" >&2; exit 2; })
	@# exit 2: some files could not be used (listed by clean); the usable ones are written and published
	$(PY) -m analysis clean --raw $(RAW_DIR) --out $(PROCESSED) || { rc=$$?; [ $$rc -eq 2 ] || exit $$rc; \
		echo "注意：上面列出的文件没有用上（原因见 $(PROCESSED)/qa_accounting.csv），其余数据照常使用。" \
		"Files listed above were not used; the rest goes on." >&2; }

reports: setup data ## Publish the county and city reports to reports/<year>/ (the sample; RAW=dir: that data, to reports/<name>/)
	$(PY) -m analysis publish --counties $(COUNTIES) --processed $(PROCESSED) --out $(REPORTS) \
		--scope $(SCOPE) $(if $(YEAR),--year $(YEAR)) $(if $(JOBS),--jobs $(JOBS)) $(if $(GROUPS),--groups $(GROUPS))

guide: venv ## Regenerate the generated tables of the user guide (docs/填报模板字段.md)
	$(PY) scripts/make_guide_tables.py

screenshots: setup browser $(SAMPLE)/.complete ## Publish two sample counties to build/screenshots and take the docs' PNGs into docs/images/
	$(PY) scripts/screenshots.py

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

clean-data: ## Remove generated data (data/processed, the sample) and reports (RAW=dir: only that data's)
	find $(PROCESSED) -mindepth 1 ! -name .gitkeep ! -name README.md -delete
	rm -rf $(if $(RAW),,$(SAMPLE)) $(REPORTS)

clean: clean-data ## Also remove the virtualenv
	rm -rf $(VENV)
