# Set-up and everyday commands. `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RELEASE ?= 1.4.0

.PHONY: install demo test lint bench clean-demo mutate mutate-sample

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The whole example rollout, wave after wave, simulated with the mock engine (no cloud, no Pulumi
# CLI, its own ledger in .platform/simulated.db), approving production waves as an operator would.
# The example's maintenance window and freezes are real (docs/windows-and-freezes.md): the plan's
# calendar shows them, and a wave they hold exits 3 with the reason; the demo then deploys it anyway
# with an override recorded on the run (who, why), so that it completes whatever the day.
DEMO_OVERRIDE = --ignore-windows --ignore-freeze --reason "make demo: a simulated rollout that runs whatever the day"
demo: $(STAMP)
	@export PLATFORM_ENGINE=mock PLATFORM_ACTOR=demo-operator; set -e; \
	$(BIN)/platform validate; \
	waves=$$($(BIN)/platform validate --json | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["counts"]["waves"])'); \
	echo; echo "=== the last wave of the plan, and the calendar of windows and freezes ==="; \
	$(BIN)/platform plan --release $(RELEASE) --wave $$waves; \
	for wave in $$(seq 1 $$waves); do \
	  echo; echo "=== wave $$wave of $$waves ==="; \
	  phase=$$($(BIN)/platform plan --release $(RELEASE) --wave $$wave --json | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["waves"][0]["phase"])'); \
	  if [ "$$phase" = production ]; then \
	    $(BIN)/platform approve --release $(RELEASE) --wave $$wave --by demo-operator --comment "make demo"; \
	  fi; \
	  $(BIN)/platform up --release $(RELEASE) --wave $$wave --yes || { code=$$?; [ $$code -eq 3 ] || exit $$code; \
	    echo "--- make demo: deferred (above); deploying it anyway, the override recorded on the run"; \
	    $(BIN)/platform up --release $(RELEASE) --wave $$wave --yes $(DEMO_OVERRIDE); }; \
	done; \
	echo; $(BIN)/platform status

clean-demo:
	rm -f .platform/simulated.db .platform/simulated.db-wal .platform/simulated.db-shm
	rm -rf .platform/simulated .platform/logs

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done

# Mutation testing of the safety-critical core (docs/mutation-testing.md): every mutant of each
# module against the tests that execute its line. Slow (minutes per module): run it on demand.
MUTATE_MODULES ?= planning/gate.py planning/selection.py ledger/claims.py planning/inventory.py \
	planning/lifecycle.py planning/waves.py planning/stackconfig.py
mutate: $(STAMP)
	$(BIN)/python tools/mutate.py $(MUTATE_MODULES) $(MUTATE_ARGS)

# What CI runs: a seeded sample of each module's mutants (a few minutes), failing under 95 %.
mutate-sample: $(STAMP)
	$(BIN)/python tools/mutate.py planning/gate.py planning/selection.py --sample 15 --seed 21 \
	  --tests tests/core tests/runner --fail-under 95 $(MUTATE_ARGS)
