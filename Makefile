# Quick start: `make demo`, then `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hinge needs Python >= 3.11, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The simulated sensor (over the same BLE decoding path as a real one) stands still, does the
# guided calibration hinge and a mixed set of 10 bends at 4x real time; `hinge live` judges each
# bend as it ends, then writes the session and its HTML report under DEMO_DIR.
DEMO_DIR ?= $${TMPDIR:-/tmp}/hinge-demo
demo: $(STAMP)
	@mkdir -p $(DEMO_DIR) && $(BIN)/hinge live --simulate --speed 4 --seed 4 --bends 10 --participant demo -o $(DEMO_DIR)

# The whole suite, as CI runs it (.ci/run).
test: $(STAMP)
	$(BIN)/python -m pytest tests -q

# The lane to work in: every package through real flows, under a minute; leaves out the tests
# marked ble (real bleak on an emulated BlueZ), browser (headless chromium) and slow (real-time
# recordings, real processes per case; pyproject.toml lists the markers), on every core
# (pytest-xdist). Prints the slowest tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -q -n auto -m "not ble and not browser and not slow" --durations=15

bench: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/robustness.py
	$(BIN)/python benchmarks/real_recordings.py
	$(BIN)/python benchmarks/second_sensor.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/protocol_speed.py
	$(BIN)/python benchmarks/fuzz_protocols.py
	$(BIN)/python benchmarks/ble_stream.py
	$(BIN)/python benchmarks/live_latency.py
	$(BIN)/python benchmarks/batch.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
