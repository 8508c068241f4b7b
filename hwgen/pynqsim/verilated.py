"""The RTL backend's Verilator model of the design (hwgen.rtl.sim: the C++ harness around the generated
hwgen_accel top, a shared library loaded with ctypes) as the simulated board's accelerator.

The simulated bitstream names the library and the folder of weight files it reads at start-up:
    {"kind": "verilator", "library": "sim/libhwgen_accel_sim.so", "rtl_dir": "sim/rtl"}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hwgen.pynqsim.errors import SimulationError

REGISTER_WINDOW_MASK = 0xFFF   # the control block decodes 12 address bits (a 4 KiB window)


class VerilatedAccelerator:
    """`ClockedAccelerator` (hwgen.pynqsim.fabric) over hwgen.rtl.sim.Accelerator."""

    def __init__(self, library: Path, rtl_dir: Path):
        from hwgen.rtl.sim import Accelerator

        if not Path(library).is_file():
            raise SimulationError(f"{library}: no Verilator model (hwgen.pynqsim.folder builds it with the overlay)")
        self.sim = Accelerator(library, rtl_dir)
        if self.sim.data_bits % 32:
            raise SimulationError(f"the model's s_axis is {self.sim.data_bits} bits; the simulated board moves "
                                  "32-bit words (the DMA's stream widths are multiples of 32 bits)")
        self.in_bytes, self.out_bytes = self.sim.data_bits // 8, 4
        self._held: list[tuple[np.ndarray, np.ndarray]] = []   # beats taken during register accesses

    @property
    def cycle(self) -> int:
        return self.sim.cycle

    def reset(self) -> None:
        self.sim.reset()
        self._held.clear()

    def close(self) -> None:
        self.sim.close()

    # ------------------------------------------------------------------ streams
    def send(self, data: np.ndarray, last: bool = True) -> None:
        words = np.ascontiguousarray(data).view("<u4").reshape(-1, self.in_bytes // 4).astype(np.uint32)
        lasts = np.zeros(len(words), dtype=np.uint8)
        lasts[-1] = bool(last)
        self.sim.push(words, lasts)

    def queued(self) -> int:
        return self.sim.in_pending()

    def drop_queued(self) -> None:
        self.sim.drop_input()

    def _take(self) -> None:
        data, last, _ = self.sim.pop()
        if len(data):
            self._held.append((data.astype("<u4").view(np.uint8).reshape(-1, 4), last.astype(bool)))

    def run(self, cycles: int, out_room: int) -> tuple[np.ndarray, np.ndarray]:
        held = sum(len(d) for d, _ in self._held)
        room = max(0, out_room - held)
        self.sim.limit_output(room)
        if room:
            self.sim.run(room, cycles)          # stops when `room` beats came out
        else:
            self.sim.step(cycles)               # m_axis_tready stays low: the input side still moves
        self._take()
        if not self._held:
            return np.zeros((0, 4), np.uint8), np.zeros(0, bool)
        data = np.concatenate([d for d, _ in self._held])
        last = np.concatenate([lst for _, lst in self._held])
        self._held.clear()
        # More than out_room only when the DMA lost room since (a reset): its FIFO's beats are gone.
        return data[:out_room], last[:out_room]

    # ------------------------------------------------------------------ AXI-Lite
    def read(self, offset: int, out_room: int = 0) -> int:
        self.sim.limit_output(max(0, out_room - sum(len(d) for d, _ in self._held)))
        value = self.sim.read(offset & REGISTER_WINDOW_MASK)
        self._take()
        return value

    def write(self, offset: int, value: int, out_room: int = 0) -> None:
        self.sim.limit_output(max(0, out_room - sum(len(d) for d, _ in self._held)))
        self.sim.write(offset & REGISTER_WINDOW_MASK, value)
        self._take()


def load(spec: dict, folder: Path) -> VerilatedAccelerator:
    """The accelerator a simulated bitstream names (paths relative to its folder)."""
    try:
        library, rtl_dir = folder / spec["library"], folder / spec["rtl_dir"]
    except KeyError as err:
        raise SimulationError(f"simulated bitstream in {folder}: the verilator accelerator needs {err}") from None
    return VerilatedAccelerator(library, rtl_dir)
