"""A simulated PYNQ board for CI and laptops: the unchanged `hwgen.runtime` driver (and pynq itself) runs
on it, with the overlay's accelerator simulated cycle by cycle (the RTL backend's Verilator model).

Runs in the pynq environment (`.venv-pynq`, numpy + pynq), never in the TensorFlow one.

    device.py   SimulatedBoard: the pynq.Device (metadata, download, register routing, buffers)
    dma.py      the AXI DMA's registers and behaviour (PG021, direct register mode)
    fabric.py   the DMA <-> accelerator streams and simulated time; design faults
    memory.py   simulated DDR and the PynqBuffers pynq hands out (cacheable or not)
    ps.py       the PS clock registers pynq's Clocks reads and writes
    folder.py   a simulated deployment folder (modelled .hwh + simulated bitstream + the driver)
"""

from hwgen.pynqsim.device import SimulatedBoard
from hwgen.pynqsim.errors import BusError, SimulationError, SimulationStalled

__all__ = ["BusError", "SimulatedBoard", "SimulationError", "SimulationStalled"]
