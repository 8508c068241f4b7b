"""`SimulatedBoard`: a `pynq.Device` that the unchanged pynq `Overlay`, DMA driver, `MMIO`, `allocate` and
`Clocks` run on, with the design's accelerator simulated cycle by cycle.

    >>> from hwgen.pynqsim import SimulatedBoard
    >>> board = SimulatedBoard.activate()          # pynq.Device.active_device = board
    >>> from hwgen.runtime import UltrasoundOverlay
    >>> ov = UltrasoundOverlay("deploy-sim/hwgen.bit")

What a download does: the .hwh beside the .bit is parsed by pynq's own metadata parser (as on a board);
the .bit of a simulated deployment folder is a small JSON file naming the accelerator model (the RTL
backend's Verilator library, see `hwgen.pynqsim.folder`) and any design faults; the board then maps
the register windows of the .hwh's AXI DMA (`hwgen.pynqsim.dma`) and accelerator, links them through
the streams the .hwh connects, and resets the design. Register accesses outside every window raise
`BusError`; the PS clock registers are modelled so `Overlay.download()` sets the fabric clock as on a
board. Buffers come from a simulated DDR (`hwgen.pynqsim.memory`).
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

from pynq.pl_server.device import Device

from hwgen.pynqsim import hwh as hwh_file
from hwgen.pynqsim.bitstream import read_bitstream
from hwgen.pynqsim.dma import AxiDma
from hwgen.pynqsim.errors import BusError, SimulationError
from hwgen.pynqsim.fabric import MAX_IDLE_POLLS, QUANTUM, Fabric, Faults
from hwgen.pynqsim.memory import SimulatedDDR, SimulatedMemory
from hwgen.pynqsim.ps import clock_windows, ps_type_of

DMA_TYPE = "xilinx.com:ip:axi_dma:7.1"
ACCEL_TYPE = "hwgen.org:hwgen:hwgen_accel:1.0"


class _Window:
    def __init__(self, base: int, size: int, model, name: str):
        self.base, self.size, self.model, self.name = base, size, model, name


class SimulatedBoard(Device):
    """A PYNQ board whose programmable logic is simulated: see the module docstring.

    `ps` is the board's processing system ("ps7" Zynq-7000 like the PYNQ-Z2, "ps8" UltraScale+);
    `accelerators` maps an accelerator kind of the simulated bitstream to a factory
    `(spec: dict, folder: Path) -> ClockedAccelerator` (the Verilator model is built in);
    `quantum` and `max_idle_polls` set the clock per status poll and the stall limit (hwgen.pynqsim.fabric).
    """

    def __init__(self, ps: str = "ps7", pl_pll_mhz: float | None = None, ddr: SimulatedDDR | None = None,
                 accelerators: dict | None = None, quantum: int = QUANTUM, max_idle_polls: int = MAX_IDLE_POLLS):
        super().__init__("hwgen_simulated_board")
        self.name = f"hwgen simulated board ({ps})"
        self.capabilities = {"REGISTER_RW": True}
        self.ps_type = ps
        self.arch, self._ps_windows = clock_windows(ps, pl_pll_mhz)
        self.ddr = ddr or SimulatedDDR()
        self.default_memory = SimulatedMemory(self, self.ddr)
        self.accelerators = {"verilator": _verilator_accelerator, **(accelerators or {})}
        self.quantum, self.max_idle_polls = quantum, max_idle_polls
        self.windows: list[_Window] = [_Window(b, s, m, m.name) for b, s, m in self._ps_windows]
        self.fabric: Fabric | None = None
        self.accelerator = None
        self.dma: AxiDma | None = None
        self.timestamp = ""
        self.bitfile_name = None
        self.register_reads = self.register_writes = 0
        self.sim_seconds = 0.0          # wall time spent simulating (register accesses and the clock they run)

    @classmethod
    def activate(cls, *args, **kwargs) -> SimulatedBoard:
        """Create a board and make it pynq's active device (what `Overlay()` and `allocate()` use)."""
        import pynq.ps

        board = cls(*args, **kwargs)
        Device.active_device = board
        pynq.ps.Clocks.device = board
        if hasattr(pynq.ps.Clocks, "_real_instance"):   # pynq caches the clock registers of the first device
            del pynq.ps.Clocks._real_instance
        return board

    # ------------------------------------------------------------------ metadata and download
    def get_bitfile_metadata(self, bitfile_name: str):
        from pynq.metadata.runtime_metadata_parser import RuntimeMetadataParser
        from pynqmetadata.frontends import Metadata

        hwh = Path(bitfile_name).with_suffix(".hwh")
        if not hwh.is_file():
            raise RuntimeError(f"Unable to find metadata for bitstream: no {hwh.name} beside {bitfile_name}")
        parser = RuntimeMetadataParser(Metadata(input=str(hwh)))
        design_ps = ps_type_of(parser.ip_dict)
        if design_ps and design_ps != self.ps_type:
            raise SimulationError(f"{hwh.name} is a design for a {design_ps} processing system; this simulated "
                                  f"board has a {self.ps_type}")
        return parser

    def download(self, bitstream, parser=None) -> None:
        path = Path(bitstream.bitfile_name)
        spec = read_bitstream(path)
        parser = parser or self.get_bitfile_metadata(str(path))
        self._program(spec, path, parser)
        self.post_download(bitstream, parser, self.name)

    def _program(self, spec: dict, path: Path, parser) -> None:
        hwh = path.with_suffix(".hwh")
        ips = parser.ip_dict
        dmas = [name for name, ip in ips.items() if ip["type"] == DMA_TYPE]
        accels = [name for name, ip in ips.items() if ip["type"] == ACCEL_TYPE]
        if len(accels) != 1 or len(dmas) != 1:
            raise SimulationError(f"{hwh.name}: the simulated board models one {ACCEL_TYPE} and one {DMA_TYPE}; "
                                  f"the design has {len(accels)} and {len(dmas)}")
        accel_name, dma_name = accels[0], dmas[0]
        links = hwh_file.streams(hwh)
        for (cell, port), (peer_cell, peer_port) in (((dma_name, "M_AXIS_MM2S"), (accel_name, "s_axis")),
                                                     ((accel_name, "m_axis"), (dma_name, "S_AXIS_S2MM"))):
            peer = links.get((cell, port))
            if peer is None or (peer.cell, peer.port) != (peer_cell, peer_port):
                found = f"{peer.cell}/{peer.port}" if peer else "nothing"
                raise SimulationError(f"{hwh.name}: {cell}/{port} is connected to {found}, not {peer_cell}/{peer_port}")
        kind = (spec.get("accelerator") or {}).get("kind")
        if kind not in self.accelerators:
            raise SimulationError(f"{path.name}: accelerator kind {kind!r}; this board has {sorted(self.accelerators)}")
        self.close_design()
        accelerator = self.accelerators[kind](spec["accelerator"], path.parent)
        faults = Faults.from_json(spec.get("faults"))
        fabric = Fabric(accelerator, self.quantum, self.max_idle_polls, faults)
        dma = AxiDma(dma_name, ips[dma_name]["parameters"], self.ddr, hwh_file.data_segments(hwh, dma_name), fabric)
        fabric.dma = dma
        width = links[(dma_name, "M_AXIS_MM2S")].width_bytes
        if width and width != accelerator.in_bytes:
            raise SimulationError(f"{hwh.name}: {accel_name}/s_axis is {width} bytes wide, the accelerator model "
                                  f"{accelerator.in_bytes}")
        accelerator.reset()
        self.accelerator, self.fabric, self.dma = accelerator, fabric, dma
        self.windows = [_Window(b, s, m, m.name) for b, s, m in self._ps_windows]
        self.windows.append(_Window(ips[dma_name]["phys_addr"], ips[dma_name]["addr_range"], dma, dma_name))
        self.windows.append(_Window(ips[accel_name]["phys_addr"], ips[accel_name]["addr_range"], fabric, accel_name))

    def close_design(self) -> None:
        """Release the current design's accelerator model (a new download replaces it)."""
        close = getattr(self.accelerator, "close", None)
        if close is not None:
            close()
        self.accelerator = self.fabric = self.dma = None

    # ------------------------------------------------------------------ registers
    def _window(self, address: int, length: int) -> _Window:
        for w in self.windows:
            if w.base <= address and address + length <= w.base + w.size:
                return w
        raise BusError(f"register access at {address:#010x} ({length} bytes) hits no AXI-Lite window of the "
                       f"design ({', '.join(f'{w.name} {w.base:#x}' for w in self.windows)})")

    def read_registers(self, address: int, length: int) -> bytes:
        if length % 4 or address % 4:
            raise BusError(f"register read of {length} bytes at {address:#x}: 32-bit aligned words only")
        started = time.perf_counter()
        window = self._window(address, length)
        self.register_reads += length // 4
        words = [window.model.read(address - window.base + 4 * i) & 0xFFFFFFFF for i in range(length // 4)]
        data = struct.pack(f"<{len(words)}I", *words)
        self.sim_seconds += time.perf_counter() - started
        return data

    def write_registers(self, address: int, data: bytes) -> None:
        if len(data) % 4 or address % 4:
            raise BusError(f"register write of {len(data)} bytes at {address:#x}: 32-bit aligned words only")
        started = time.perf_counter()
        window = self._window(address, len(data))
        self.register_writes += len(data) // 4
        for i, word in enumerate(struct.unpack(f"<{len(data) // 4}I", data)):
            window.model.write(address - window.base + 4 * i, word)
        self.sim_seconds += time.perf_counter() - started

    # ------------------------------------------------------------------ buffers (PynqBuffer calls these)
    def flush(self, bo, offset, ptr, size) -> None:
        self.default_memory.flush(bo, offset, size)

    def invalidate(self, bo, offset, ptr, size) -> None:
        self.default_memory.invalidate(bo, offset, size)


def _verilator_accelerator(spec: dict, folder: Path):
    from hwgen.pynqsim.verilated import load

    return load(spec, folder)
