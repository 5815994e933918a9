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
	@start=$$(date +%s); \
	echo ">> 00 demo corpus"; $(BIN)/facevoice_make_demo --output_dir $(DEMO); \
	echo ">> 01 extract faces and voices"; $(BIN)/facevoice_extract --dataset_path $(DEMO) --output_dir $(FACEVOICE_HOME)/faces \
	    --detector_backend opencv --align_faces --fps 1 --workers 2; \
	echo ">> 02 dedupe"; $(BIN)/facevoice_dedupe --faces_dir $(FACEVOICE_HOME)/faces --dedupe_dir $(FACEVOICE_HOME)/dedup \
	    --representative_dir $(FACEVOICE_HOME)/representatives --model_name pixel --threshold 0.05; \
	echo ">> 03 match"; $(BIN)/facevoice_match -d $(FACEVOICE_HOME)/faces --faces_dir $(FACEVOICE_HOME)/dedup \
	    -m $(DEMO)/vox2_meta.csv -o $(FACEVOICE_HOME)/pairs --val_fraction 0.15 --test_fraction 0.25; \
	echo ">> 05 train (tiny preset, CPU)"; rm -rf $(FACEVOICE_HOME)/runs/demo_tiny; \
	$(PY) -c "import sys; from facevoice.train import *; setup_logging(); \
	  r = train(TrainConfig(matched_file=sys.argv[1]+'/train.txt', val_file=sys.argv[1]+'/val.txt', save_dir=sys.argv[2], **DEMO_TRAIN)); \
	  print(f\"best val 1:2 matching {r['best']:.3f} after {r['steps']} steps\")" $(FACEVOICE_HOME)/pairs $(FACEVOICE_HOME)/runs/demo_tiny; \
	echo; echo "demo finished in $$(( $$(date +%s) - start )) s; artifacts:"; \
	echo "  demo corpus       $(DEMO)  (oracle: $(DEMO)/oracle.json)"; \
	echo "  faces + voices    $(FACEVOICE_HOME)/faces  (summary: extract_summary.csv, skipped: extract_skipped.csv)"; \
	echo "  deduplicated      $(FACEVOICE_HOME)/dedup  representatives: $(FACEVOICE_HOME)/representatives"; \
	echo "  pair lists        $(FACEVOICE_HOME)/pairs/{train,val,test}.txt"; \
	echo "  training run      $(FACEVOICE_HOME)/runs/demo_tiny  (best/, model/, tensorboard/: $(BIN)/facevoice_tensorboard --log_dir $(FACEVOICE_HOME)/runs/demo_tiny/tensorboard)"

## regenerate the lock from the current venv
lock:
	@{ echo "# Pinned environment for this machine kind and CI (x86_64, CPython 3.11). Regenerate with \`make lock\`."; \
	   echo "# Colab keeps its preinstalled torch: use \`pip install -e .\` there, not this file."; \
	   $(PY) -m pip freeze --exclude-editable 2>/dev/null | grep -v '^facevoice'; } > requirements-ci.txt

clean-data:
	rm -rf $(FACEVOICE_HOME)
