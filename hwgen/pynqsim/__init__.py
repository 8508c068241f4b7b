"""A simulated PYNQ board for CI and laptops: the unchanged `hwgen.runtime` driver (and pynq itself) runs
on it, with the overlay's accelerator simulated cycle by cycle (the RTL backend's Verilator model).

Runs in the pynq environment (`.venv-pynq`, numpy + pynq), never in the TensorFlow one.

    device.py   SimulatedBoard: the pynq.Device (metadata, download, register routing, buffers)
    dma.py      the AXI DMA's registers and behaviour (PG021, direct register mode)
    fabric.py   the DMA <-> accelerator streams and simulated time; design faults
    memory.py   simulated DDR and the PynqBuffers pynq hands out (cacheable or not)
    ps.py       the PS clock registers pynq's Clocks reads and writes
    folder.py   a simulated deployment folder (modelled .hwh + simulated bitstream + the driver); runs in
                the main environment (it builds the Verilator model), imports no pynq
    verilated.py the RTL backend's Verilator model (hwgen.rtl.sim) as the board's accelerator
"""

from hwgen.pynqsim.errors import BusError, SimulationError, SimulationStalled


def __getattr__(name):
    if name == "SimulatedBoard":     # imports pynq: only in the pynq environment
        from hwgen.pynqsim.device import SimulatedBoard

        return SimulatedBoard
    raise AttributeError(f"module 'hwgen.pynqsim' has no attribute {name!r}")


__all__ = ["BusError", "SimulatedBoard", "SimulationError", "SimulationStalled"]
