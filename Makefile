# The platform's commands. `make run` and `make test` are the two that matter; see README.md.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
SANDBOX_IMAGE ?= course-sandbox-node:1
PYTHON_SANDBOX_IMAGE ?= course-sandbox-python:1
# KEDA's models (npm), which the Kubernetes manifests' test validates the ScaledObject with.
KEDA_MODELS := .tools/keda-models-2.0.0

.PHONY: run test lint format sandbox-image python-sandbox-image images bench check-content clean

run: $(VENV)/.synced
	$(VENV)/bin/python scripts/run_platform.py

test: $(VENV)/.synced sandbox-image python-sandbox-image $(KEDA_MODELS)/installed
	$(VENV)/bin/pytest

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.synced
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.synced sandbox-image python-sandbox-image
	SANDBOX_IMAGE=$(SANDBOX_IMAGE) PYTHON_SANDBOX_IMAGE=$(PYTHON_SANDBOX_IMAGE) \
	  $(VENV)/bin/python bench/grading.py
	$(VENV)/bin/python bench/pages.py
	$(VENV)/bin/python bench/gradebook.py
	$(VENV)/bin/python bench/verdict_accuracy.py
	$(VENV)/bin/python bench/fairness.py
	$(VENV)/bin/python bench/portal_load.py
	SANDBOX_IMAGE=$(SANDBOX_IMAGE) $(VENV)/bin/python bench/verdict_push.py

# Validate content/: every problem as path:line: message, non-zero exit if any.
check-content: $(VENV)/.synced
	$(VENV)/bin/python -m portal.catalogue.check content

sandbox-image:
	SANDBOX_IMAGE=$(SANDBOX_IMAGE) scripts/build-sandbox-image.sh

# The sandbox of the `python-sandbox` grader kind (services/sandbox-image-python).
python-sandbox-image:
	PYTHON_SANDBOX_IMAGE=$(PYTHON_SANDBOX_IMAGE) scripts/build-sandbox-image.sh python

# The images compose.yaml runs (web, grader; offline PostgreSQL and Valkey where no
# registry is reachable), and the sandbox images the graders start (Node's, Python's).
images: $(VENV)/.synced sandbox-image python-sandbox-image
	scripts/build-service-images.sh

clean:
	rm -rf $(VENV) .tools var .pytest_cache .ruff_cache

# uv installs the locked versions of every workspace member into .venv.
$(VENV)/.synced: pyproject.toml uv.lock services/contract/pyproject.toml \
		services/grader/pyproject.toml services/web/pyproject.toml \
		services/workerkit/pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

$(KEDA_MODELS)/installed:
	@if command -v npm >/dev/null; then \
	  npm install --prefix $(KEDA_MODELS) --no-audit --no-fund --loglevel=error \
	    @kubernetes-models/keda@2.0.0 && echo @kubernetes-models/keda@2.0.0 > $@; \
	else echo "test: no npm: the KEDA check of the Kubernetes manifests will skip" >&2; fi
