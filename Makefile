# Two entry points (see README.md): `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Material's end-of-life notice (in English, at each start of mkdocs) is for maintainers:
# the contributors' page says it once (« Les deux commandes »). `make build
# NO_MKDOCS_2_WARNING=` shows it.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build test test-fast test-release bench reference notebooks clean pdf kit

# (Re)install when the venv is missing or the pinned versions change.
$(STAMP): pyproject.toml requirements.lock scripts/install.sh
	VENV=$(VENV) PYTHON=$(PYTHON) bash scripts/install.sh
	touch $@

serve: $(STAMP)  ## build the site (training the examples) and serve it on 127.0.0.1:8000
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(STAMP)  ## build the static site into site/
	$(BIN)/mkdocs build --strict

pdf: build  ## the whole course as one PDF, site/fidle-cours.pdf (headless Chromium)
	$(BIN)/python scripts/make_pdf.py site

# KIT_PYTHONS="3.12" for a smaller kit; uses site/ as built (make build or make pdf first),
# or builds it with the profile of mkdocs.yml when absent.
kit: $(STAMP)  ## the offline classroom kit, dist/fidle-kit.tar (see README.md)
	$(BIN)/python scripts/make_kit.py

# Three tiers (tests/DURATIONS.md): test-fast trains nothing (< 2 min), test is the whole
# suite but the release checks (< 10 min on 2 cores; in two pytest processes at once, the
# second one for the tests that use neither the session's trainings nor its site, the
# browser nor the slow ones: scripts/test.sh), test-release builds and installs the
# offline kit. .ci/run runs test, then test-release.
test: $(STAMP)  ## the whole test suite but the release checks (as CI runs it first)
	PYTHON=$(BIN)/python bash scripts/test.sh

test-fast: $(STAMP)  ## the tests that train nothing and build no site (under 2 minutes)
	$(BIN)/python -m pytest -m "not slow and not browser and not trains and not release"

test-release: $(STAMP)  ## the slow end-to-end checks of what is shipped (the offline kit)
	$(BIN)/python -m pytest -m release

bench: $(STAMP)  ## benchmarks (not part of the tests): bench/results/ and the site page
	$(BIN)/python -m bench

# REFERENCE_BACKENDS="jax torch" then adds 2 seeds of each of these backends (CPU) to
# the same files, recorded with their backend and device (extras jax, torch).
REFERENCE_BACKENDS ?=
reference: $(STAMP)  ## train every example on several seeds: reference/*.json (resumable)
	$(BIN)/fidle-examples reference
	for backend in $(REFERENCE_BACKENDS); do \
	    KERAS_BACKEND=$$backend $(BIN)/fidle-examples reference --seeds 2 || exit 1; done

notebooks: $(STAMP)  ## regenerate docs/carnets/*.ipynb from the package and the pages
	$(BIN)/python -m fidle_examples.notebooks

clean:
	rm -rf site .cache/fidle-examples results
