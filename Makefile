# Quick start: `make demo`, then `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hinge needs Python >= 3.11, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@tmp=$$(mktemp -d) && \
	$(BIN)/hinge record --simulate --duration 9 --speed 10 --seed 7 -o $$tmp && \
	$(BIN)/hinge analyse $$tmp/session_*; status=$$?; rm -rf $$tmp; exit $$status

test: $(STAMP)
	$(BIN)/python -m pytest tests -q

bench: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/second_sensor.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/protocol_speed.py
	$(BIN)/python benchmarks/fuzz_protocols.py
	$(BIN)/python benchmarks/ble_stream.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
