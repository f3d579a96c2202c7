# The compendium's front door. Each target does its own set-up, idempotently.
#   make reproduce [SCALE=small|medium|full] [SEED=N] [PROFILE=default|slurm] [SNAKEMAKE_ARGS=...]
#                  (PROFILE=slurm also installs the SLURM executor plugin: make env PROFILE=slurm)
#   make env [PROFILE=slurm] [SNAKEMAKE_PYTHON=/path/to/python3]
#                  the two environments: .venv (the project) and .venv-snakemake (Snakemake)
#   make test      lint, then the test suite (unit, property, whole-DAG integration at small scale)
#   make lint      ruff, mypy and snakemake --lint
#   make verify    rebuild in a temporary copy and compare every hash with results/manifest.json
#   make inspect-raw RAW=/path/to/asif [RAW_FILES=gy{year}.dta]   what ingest would make of licensed files
#   make audit NUMBER='\FIEShareOutput' | TABLE=baseline ROW=backward COLUMN=1 |
#              FIGURE=spec_curve [POINT=family/model/term] | EXHIBIT='Table 2' | FILE=path
#                  the chain of one number, cell, figure point or exhibit back to the raw files
#   make clean     remove generated files (data/processed, results, logs, the PDF); tracked files and data/raw stay
#   make bench [SCALE=full|medium|small] [TARGET=rule-or-file] [FORCE=no] [BENCH_CONFIG='key=value ...']
#                  rerun the DAG (or one target) at that scale with wall, CPU and peak memory per job
#                  and the machine's load; writes results/benchmarks/summary.csv and its section of
#                  docs/benchmarks.md (critical path included). Rewrites the outputs of that scale;
#                  FORCE=no runs only out-of-date jobs; BENCH_CONFIG adds --config items (e.g. other dirs).
#   make bench-estimate [BENCH_DIR=../shared/bench] [REPEATS=3]
#                  time the estimation engine on the bench panel (each family as a job, then in memory);
#                  writes results/benchmarks/estimate/summary.csv, in_memory.csv
#                  and its section of docs/benchmarks.md
#   make bench-noop [REPEATS=10]
#                  time `make reproduce` on a complete build (a start with nothing to do); writes
#                  results/benchmarks/noop/summary.csv and its section of docs/benchmarks.md
SHELL := /bin/bash
.DEFAULT_GOAL := reproduce
.PHONY: env tex reproduce test verify report lint clean audit inspect-raw bench bench-estimate bench-noop

VENV := .venv
SNAKEMAKE_VENV := .venv-snakemake
UV := .tools/bin/uv
SNAKEMAKE := $(SNAKEMAKE_VENV)/bin/snakemake
SCALE ?=
SEED ?=
PROFILE ?= default
SNAKEMAKE_ARGS ?=
BENCH_DIR ?= ../shared/bench
REPEATS ?=
CONFIG_OVERRIDES := $(strip $(if $(SCALE),scale=$(SCALE)) $(if $(SEED),seed=$(SEED)))
CONFIG_FLAG := $(if $(CONFIG_OVERRIDES),--config $(CONFIG_OVERRIDES))
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SOURCE_DATE_EPOCH ?= 1700000000
export UV_PYTHON ?= python3

# Two environments, both pinned by uv.lock. .venv holds the project (the `upgrading` command the
# jobs run, the tests, the linters). .venv-snakemake holds Snakemake alone (workflow/envs/snakemake):
# Snakemake imports pandas and numpy at each start whenever they sit next to it, so a start with
# nothing to do would pay for them. PROFILE=slurm adds the `slurm` extra (the SLURM executor
# plugin, which needs pandas) to .venv-snakemake. The stamp names the variant: switching PROFILE
# syncs again, which installs or removes the plugin.
ENV_VARIANT := $(if $(filter slurm,$(PROFILE)),slurm,local)
# The interpreter of .venv-snakemake: the distribution's /usr/bin/python3 when it is 3.11 or newer
# (Debian and Ubuntu build it with profile-guided and link-time optimisation: a Snakemake start
# costs about a fifth less CPU than under a plain source build such as pyenv's), else UV_PYTHON.
SNAKEMAKE_PYTHON ?= $(or $(shell /usr/bin/python3 -c 'import sys; print(sys.executable if sys.version_info >= (3, 11) else "")' 2>/dev/null),$(UV_PYTHON))

env: $(VENV)/.synced $(SNAKEMAKE_VENV)/.synced-$(ENV_VARIANT)

$(VENV)/.synced: uv.lock pyproject.toml
	@bash workflow/scripts/ensure_uv.sh
	$(UV) sync --frozen --compile-bytecode
	@rm -f $(VENV)/.synced-*
	@touch $@

$(SNAKEMAKE_VENV)/.synced-%: uv.lock pyproject.toml workflow/envs/snakemake/pyproject.toml
	@bash workflow/scripts/ensure_uv.sh
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(SNAKEMAKE_VENV) UV_PYTHON=$(SNAKEMAKE_PYTHON) $(UV) sync --frozen --compile-bytecode \
		--package upgrading-snakemake $(if $(filter slurm,$*),--extra slurm)
	@rm -f $(SNAKEMAKE_VENV)/.synced-*
	@touch $@

tex:
	@bash workflow/scripts/ensure_tex.sh

reproduce: env tex
	$(SNAKEMAKE) --workflow-profile profiles/$(PROFILE) $(CONFIG_FLAG) $(SNAKEMAKE_ARGS)

test: env tex lint
	$(VENV)/bin/pytest

RAW ?= data/raw
RAW_FILES ?= asif_{year}
inspect-raw: env
	$(VENV)/bin/upgrading inspect-raw "$(RAW)" --file-pattern '$(RAW_FILES)'

verify: env tex
	bash workflow/scripts/verify.sh

TARGET ?=
FORCE ?= yes
BENCH_CONFIG ?=
bench: env tex
	$(VENV)/bin/python workflow/scripts/bench_dag.py --scale $(or $(SCALE),full) $(if $(TARGET),--target '$(TARGET)') \
		$(foreach kv,$(SEED:%=seed=%) $(BENCH_CONFIG),--set '$(kv)') $(if $(filter no,$(FORCE)),--no-force) -- $(SNAKEMAKE_ARGS)

bench-estimate: env
	@test -d "$(BENCH_DIR)" || { echo "error: $(BENCH_DIR) not found: bench-estimate needs the bench folder (gen_panel.py, specs_speed.yaml); set BENCH_DIR=..." >&2; exit 2; }
	$(VENV)/bin/python workflow/scripts/bench_estimate.py --bench-dir "$(BENCH_DIR)" $(if $(REPEATS),--repeats $(REPEATS))

bench-noop: env
	$(VENV)/bin/python workflow/scripts/bench_noop.py $(if $(REPEATS),--repeats $(REPEATS)) -- \
		$(SNAKEMAKE) --workflow-profile profiles/$(PROFILE) $(CONFIG_FLAG) $(SNAKEMAKE_ARGS)

report: env
	$(SNAKEMAKE) --workflow-profile profiles/$(PROFILE) $(CONFIG_FLAG) --report results/report.html

AUDIT_ARGS := $(foreach v,NUMBER TABLE ROW COLUMN FIGURE POINT EXHIBIT FILE,$(if $($(v)),--$(shell echo $(v) | tr A-Z a-z) '$($(v))'))
audit: env
	$(VENV)/bin/upgrading audit --trail '$(or $(TRAIL),results/trail.json)' $(AUDIT_ARGS)

# ruff (rules in pyproject.toml [tool.ruff]), mypy ([tool.mypy]) and Snakemake's own linter
# (its accepted lints, with reasons, in workflow/scripts/snakemake_lint.py).
lint: env
	$(VENV)/bin/ruff check src tests workflow/scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/python workflow/scripts/snakemake_lint.py $(SNAKEMAKE)

# Generated files only: tracked files (the READMEs of data/processed and results) stay.
clean:
	@bash workflow/scripts/clean.sh
