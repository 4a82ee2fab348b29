# Everything a fresh machine needs is installed here, from PyPI only.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_INPUT ?= ../shared/data/hamilton/short_hamilton_clip.mp4
DEMO_KNOWN ?= ../shared/data/hamilton/lin-manuel-miranda.png

.PHONY: setup demo test bench bench-identity gui package clean

$(STAMP): requirements.txt requirements-nodeps.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	mkdir -p out
	$(PY) main.py anonymize $(DEMO_INPUT) -o out/demo_anonymized.mp4 --known-faces $(DEMO_KNOWN)

# Settings in pyproject.toml: style and imports (ruff), types (mypy), the layers gui > engine > models > common and no Qt
# below gui (import-linter).
.PHONY: lint
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-logo

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -ra tests

gui: setup
	$(PY) main.py

# deface is measured from its own virtual environment: its plain opencv-python must not meet PySide6.
.venv-deface/.installed:
	$(PYTHON) -m venv .venv-deface
	.venv-deface/bin/pip install --quiet deface==1.5.0 onnxruntime==1.23.2
	touch $@

bench: setup .venv-deface/.installed bench-identity
	PATH="$(CURDIR)/.venv-deface/bin:$$PATH" $(PY) -m tools.bench
	$(PY) -m tools.wider_eval
	$(PY) -m tools.recall_bench
	$(PY) tools/batch_bench.py

# Wrong keeps, missed keeps and people counts on synthetic LFW footage (tuning and held-out halves) and hamilton.
bench-identity: setup
	$(PY) -m tools.identity_bench

package: setup
	$(PY) packaging/build.py

clean:
	rm -rf $(VENV) .venv-deface out build dist
