# Two commands set everything up on a fresh machine:
#   make demo   one complete customization run on the local emulator
#   make test   the whole offline suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where pip finds the CPU build of torch 2.13.0. Empty: the default index (machines that keep the
# CPU wheel locally). Elsewhere: make TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu demo
TORCH_INDEX_URL ?=
TORCH_INDEX_ARGS := $(if $(TORCH_INDEX_URL),--extra-index-url $(TORCH_INDEX_URL),)

# The suite runs in parallel (pytest-xdist): a fixed worker count that suits 2 cores, tests that share a
# server, an emulator or a tool install kept on one worker (xdist_group + --dist loadgroup).
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadgroup
# Line coverage of the shipped packages (lambdas/workflow_lambdas, evaluator/bertscore_evaluator):
# the floor is the total measured on 2026-12-02 (94%) minus a small margin.
COVERAGE_FLOOR := 92
PYTEST_COVERAGE := --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

.PHONY: install demo demo-json test test-fast test-unit test-workflow test-terraform lint typecheck format fmt benchmarks mutation clean

$(STAMP): pyproject.toml lambdas/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned to the CPU build, so nothing pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0 $(TORCH_INDEX_ARGS)
	# The Lambda zip's exact dependency versions constrain the venv: tests run what Lambda runs.
	$(BIN)/python -m pip install --quiet -e ".[dev]" --constraint lambdas/requirements.txt
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/bedrock-customize demo

demo-json: install
	$(BIN)/bedrock-customize demo --json

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy, strict on the shipped packages (lambdas/workflow_lambdas, evaluator/bertscore_evaluator):
# the configuration is [tool.mypy] in pyproject.toml.
typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/python tools/terraform.py fmt .

fmt: format

test: install lint typecheck
	$(BIN)/python tools/terraform.py fmt-check .
	# asl-validator's npm install once, before the workers start (two workers installing it at once race).
	-$(BIN)/python -c 'import runpy; runpy.run_path("tools/validate_asl.py")["ensure_validator"]()'
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_PARALLEL) $(PYTEST_COVERAGE)

# The inner loop: no BERTScore model, no checkov (state coverage is skipped: tests are selected).
test-fast: install
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_PARALLEL) -m "not slow and not checkov"

test-unit: install
	$(BIN)/pytest -q tests/unit

test-workflow: install
	$(BIN)/pytest -q tests/workflow

test-terraform: install
	$(BIN)/pytest -q tests/terraform

# Mutation testing, not part of make test (slow). mutmut on the money-critical and verdict modules
# ([tool.mutmut] in pyproject.toml, run by tools/run_mutmut.py) and tools/asl_mutation.py on both state
# machine templates and the run-stopped event pattern (a seeded sample of ASL_MUTANTS mutants).
# MUTATION_MODULES narrows mutmut, e.g. make mutation MUTATION_MODULES="release_throughput stats".
# MUTATION_RESUME=1 keeps the killed results in build/mutation/: the checkout's tests and changed sources come in,
# and the mutants of changed files, the survivors and the timed-out ones run again.
MUTATION_MODULES ?=
ASL_MUTANTS ?= 40
ASL_SEED ?= 15
mutation: install
	@mkdir -p build
	@set -o pipefail; \
	nice -n 10 $(BIN)/python tools/run_mutmut.py $(if $(MUTATION_MODULES),--only $(MUTATION_MODULES),) $(if $(MUTATION_RESUME),--resume,) \
		| tee build/mutation-python.log; \
	nice -n 10 $(BIN)/python tools/asl_mutation.py --max $(ASL_MUTANTS) --seed $(ASL_SEED) --tests 4 | tee build/mutation-asl.log; \
	python_killed=$$(sed -n 's/^result: python_killed=//p' build/mutation-python.log); \
	asl_killed=$$(sed -n 's/^result: asl_killed=//p' build/mutation-asl.log); \
	echo "result: python_killed=$$python_killed asl_killed=$$asl_killed"

benchmarks: install
	$(BIN)/python benchmarks/evaluator.py
	$(BIN)/python benchmarks/fanout.py
	$(BIN)/python benchmarks/time_to_verdict.py

clean:
	rm -rf $(VENV) .tools build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
