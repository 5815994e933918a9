# facevoice: two commands on a fresh machine
#   make demo   installs what is missing, runs the pipeline on the offline demo corpus, prints metrics and artifact paths
#   make test   installs what is missing, checks notebooks and library are in sync, runs nbdev_test and pytest
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.facevoice-installed
export FACEVOICE_HOME ?= $(CURDIR)/data
export DEEPFACE_BACKEND_ENGINE ?= pytorch
export DEEPFACE_HOME ?= $(FACEVOICE_HOME)/deepface_home
# nothing in the demo or the tests may reach a model hub: fail fast instead of hanging on the network
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export MPLBACKEND ?= Agg
PIPQ := 2>&1 | { grep -v '^WARNING: Location' || true; }

DEMO := $(FACEVOICE_HOME)/demo

.PHONY: help demo test sysdeps venv sync sync-check readme nbtest pytest lock clean-data

help:
	@echo "make demo   run the whole pipeline on the offline demo corpus"
	@echo "make test   sync check + nbdev_test + pytest"

## system packages (ffmpeg for all media I/O, espeak-ng for the demo voices)
sysdeps:
	@missing=""; for t in ffmpeg ffprobe espeak-ng; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo ">> installing system packages (missing:$$missing)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq ffmpeg espeak-ng >/dev/null; \
	fi

## the virtual environment: reinstalled only when the lock or the package metadata change
$(STAMP): requirements-ci.txt settings.ini setup.py
	@test -x $(PY) || { echo ">> creating $(VENV)"; python3 -m venv $(VENV); }
	@echo ">> installing pinned packages (first time: a few minutes)"
	@$(PY) -m pip install -q -r requirements-ci.txt $(PIPQ)
	@$(PY) -m pip install -q --no-deps -e . $(PIPQ)
	@touch $@

venv: $(STAMP)

## notebooks are the source of truth: exporting and cleaning them must not change anything
sync-check: venv
	@snap() { { find nbs facevoice -type f \( -name '*.ipynb' -o -name '*.py' \) -not -path '*/.ipynb_checkpoints/*'; echo README.md; } | sort | xargs sha1sum; }; \
	before=$$(snap); $(BIN)/nbdev_clean; $(BIN)/nbdev_export; $(PY) .ci/readme.py >/dev/null; after=$$(snap); \
	if [ "$$before" != "$$after" ]; then \
	  echo "ERROR: notebooks and library were out of sync; nbdev_export/nbdev_clean changed:"; \
	  diff <(echo "$$before") <(echo "$$after") | grep '^>' | awk '{print "   " $$3}'; \
	  echo "Review and commit those files (never edit facevoice/*.py or README.md by hand: edit nbs/*.ipynb, then make sync)."; \
	  exit 1; fi; echo ">> notebooks and library in sync"

## export + clean + README, for developers before a commit
sync: venv
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export && $(PY) .ci/readme.py

readme: venv
	$(PY) .ci/readme.py

nbtest: venv sysdeps
	$(BIN)/nbdev_test --n_workers 0 --timing

pytest: venv sysdeps
	$(PY) -m pytest tests -q -ra

test: sync-check nbtest pytest

demo: venv sysdeps
	@$(BIN)/facevoice_demo --home $(FACEVOICE_HOME)

## regenerate the lock from the current venv
lock:
	@{ echo "# Pinned environment for this machine kind and CI (x86_64, CPython 3.11). Regenerate with \`make lock\`."; \
	   echo "# Colab keeps its preinstalled torch: use \`pip install -e .\` there, not this file."; \
	   $(PY) -m pip freeze --exclude-editable 2>/dev/null | grep -v '^facevoice'; } > requirements-ci.txt

clean-data:
	rm -rf $(FACEVOICE_HOME)
