# The compendium's front door. Each target does its own set-up, idempotently.
#   make reproduce [SCALE=small|medium|full] [SEED=N] [PROFILE=default|slurm] [SNAKEMAKE_ARGS=...]
#   make test      the test suite (unit, property, whole-DAG integration at small scale)
#   make verify    rebuild in a temporary copy and compare every hash with results/manifest.json
#   make bench-estimate [BENCH_DIR=../shared/bench] [REPEATS=3]
#                  time the estimation engine on the bench panel; writes results/benchmarks/summary.csv
#                  and docs/benchmarks.md
SHELL := /bin/bash
.DEFAULT_GOAL := reproduce
.PHONY: env tex reproduce test verify report lint clean bench-estimate

VENV := .venv
UV := .tools/bin/uv
SNAKEMAKE := $(VENV)/bin/snakemake
SCALE ?=
SEED ?=
PROFILE ?= default
SNAKEMAKE_ARGS ?=
BENCH_DIR ?= ../shared/bench
REPEATS ?= 3
CONFIG_OVERRIDES := $(strip $(if $(SCALE),scale=$(SCALE)) $(if $(SEED),seed=$(SEED)))
CONFIG_FLAG := $(if $(CONFIG_OVERRIDES),--config $(CONFIG_OVERRIDES))
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SOURCE_DATE_EPOCH ?= 1700000000
export UV_PYTHON ?= python3

env: $(VENV)/.synced

$(VENV)/.synced: uv.lock pyproject.toml
	@bash workflow/scripts/ensure_uv.sh
	$(UV) sync --frozen --compile-bytecode
	@touch $@

tex:
	@bash workflow/scripts/ensure_tex.sh

reproduce: env tex
	$(SNAKEMAKE) --workflow-profile profiles/$(PROFILE) $(CONFIG_FLAG) $(SNAKEMAKE_ARGS)

test: env tex
	$(VENV)/bin/pytest

verify: env tex
	bash workflow/scripts/verify.sh

bench-estimate: env
	@test -d "$(BENCH_DIR)" || { echo "error: $(BENCH_DIR) not found: bench-estimate needs the bench folder (gen_panel.py, specs_speed.yaml); set BENCH_DIR=..." >&2; exit 2; }
	$(VENV)/bin/python workflow/scripts/bench_estimate.py --bench-dir "$(BENCH_DIR)" --repeats $(REPEATS)

report: env
	$(SNAKEMAKE) --workflow-profile profiles/$(PROFILE) $(CONFIG_FLAG) --report results/report.html

lint: env
	$(SNAKEMAKE) --lint

clean:
	rm -rf data/processed/* results/* logs paper/paper.pdf .snakemake
