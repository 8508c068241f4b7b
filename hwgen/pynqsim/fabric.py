"""The programmable logic of a simulated board: one accelerator between the two channels of one AXI DMA.

The accelerator is anything with the `ClockedAccelerator` methods below (the RTL backend's Verilator
model of the design). Simulated time advances only while the driver waits on the DMA: a read of a
DMA status register runs the clock until that channel's transfer is done or `quantum` cycles passed
(`READ_CYCLES` when the channel has nothing in flight), so a run is deterministic: the same register
accesses give the same cycles, and the host costs no simulated time otherwise. A poll during which no
beat moved on either stream counts as idle; `max_idle_polls` in a row raise `SimulationStalled` (on a
board: a hang, e.g. pynq's `wait()` on a transfer that never ends).

    class ClockedAccelerator(Protocol):
        in_bytes: int                  # bytes of one s_axis beat (the input stream's TDATA)
        out_bytes: int                 # bytes of one m_axis beat (4)
        cycle: int                     # clock cycles since the model was created
        def send(self, data) -> None   # queue beats for s_axis: uint8 (n * in_bytes,), TLAST on the last
        def queued(self) -> int        # queued beats s_axis has not accepted yet
        def drop_queued(self) -> None  # forget them (the DMA was reset)
        def run(self, cycles, out_room) -> (data (m, out_bytes) uint8, last (m,) bool)
                                       # clock up to `cycles`, m_axis_tready high while fewer than
                                       # out_room beats were taken; returns after a beat with TLAST
        def read(self, offset, out_room) -> int     # one AXI-Lite read / write of the control block;
        def write(self, offset, value, out_room)    # the streams move meanwhile (m_axis within out_room)
        def reset(self) -> None        # ap_rst_n (programming the fabric resets the design)
"""

from __future__ import annotations

import numpy as np

from hwgen.pynqsim.errors import SimulationError, SimulationStalled

QUANTUM = 1024              # cycles per status poll at most
MAX_IDLE_POLLS = 2_000      # x QUANTUM = 2 M cycles (20 ms at 100 MHz) without a beat moving
READ_CYCLES = 8             # a status read while the channel has nothing in flight
MM2S_CHUNK = 64             # cycles between checks of the input queue while a send is in flight


class Faults:
    """Design faults between the DMA and the accelerator (what a broken block design does)."""

    def __init__(self, drop_output_tlast: bool = False, drop_input_tlast: bool = False):
        self.drop_output_tlast = drop_output_tlast   # m_axis TLAST not connected to the DMA (tied low)
        self.drop_input_tlast = drop_input_tlast     # s_axis TLAST not connected (tied low)

    @classmethod
    def from_json(cls, spec: dict | None) -> Faults:
        spec = dict(spec or {})
        unknown = set(spec) - {"drop_output_tlast", "drop_input_tlast"}
        if unknown:
            raise SimulationError(f"unknown design faults {sorted(unknown)}")
        return cls(**{k: bool(v) for k, v in spec.items()})


class Fabric:
    """Moves beats between an AxiDma model and a ClockedAccelerator, and keeps simulated time."""

    def __init__(self, accelerator, quantum: int = QUANTUM, max_idle_polls: int = MAX_IDLE_POLLS,
                 faults: Faults | None = None):
        self.accel, self.quantum, self.max_idle_polls = accelerator, int(quantum), int(max_idle_polls)
        self.faults = faults or Faults()
        self.dma = None
        self.idle_polls = self.polls = 0
        self.beats_in = self.beats_out = 0
        self._pending_input = 0

    # ------------------------------------------------------------------ from the DMA model
    def send(self, data: np.ndarray) -> None:
        """MM2S started: its beats go to the accelerator's s_axis, TLAST on the last (unless the fault)."""
        if self.accel.queued():
            raise SimulationError("MM2S started while beats of the previous transfer were still queued")
        if data.size % self.accel.in_bytes:
            raise SimulationError(f"MM2S beats of {self.dma.mm2s.stream_bytes} bytes into a "
                                  f"{self.accel.in_bytes}-byte s_axis")
        self.accel.send(data, last=not self.faults.drop_input_tlast)
        self._pending_input = self.accel.queued()

    def drop_input(self) -> None:
        self.accel.drop_queued()
        self._pending_input = 0

    def poll(self, dma, channel) -> None:
        """The driver read a DMA status register: run the clock, then count idle polls."""
        self.polls += 1
        if not channel.active:
            moved = self.advance(READ_CYCLES)
        else:
            moved, start = 0, self.accel.cycle
            while channel.active and self.accel.cycle - start < self.quantum:
                left = self.quantum - (self.accel.cycle - start)
                moved += self.advance(min(left, MM2S_CHUNK) if channel is dma.mm2s else left)
        self.idle_polls = 0 if moved else self.idle_polls + 1
        if self.idle_polls >= self.max_idle_polls:
            raise SimulationStalled(
                f"{dma.name} {channel.name} status polled {self.idle_polls} times ({self.idle_polls * self.quantum:,} "
                f"cycles) with no beat moving on either stream: MM2S {self._describe(dma.mm2s)}, S2MM "
                f"{self._describe(dma.s2mm)}; the accelerator has {self.accel.queued()} input beats queued "
                f"(on a board this wait would never end)")

    @staticmethod
    def _describe(channel) -> str:
        state = "halted" if channel.halted else "idle" if channel.idle else "busy" if channel.active else "started"
        extra = f", {channel.done_bytes} of {channel.length} bytes received" if channel.base and channel.active else ""
        return state + extra

    # ------------------------------------------------------------------ the accelerator's AXI-Lite block
    def read(self, offset: int) -> int:
        return self.accel.read(offset, self.dma.s2mm.room())

    def write(self, offset: int, value: int) -> None:
        self.accel.write(offset, value, self.dma.s2mm.room())

    # ------------------------------------------------------------------ the clock
    def advance(self, cycles: int) -> int:
        """Run the accelerator up to `cycles` cycles; returns the number of beats that moved."""
        dma = self.dma
        dma.mm2s.clock()
        dma.s2mm.clock()
        room = dma.s2mm.room()
        data, last = self.accel.run(cycles, room)
        if len(data) > room:
            raise SimulationError(f"the accelerator model returned {len(data)} beats with room for {room}")
        queued = self.accel.queued()
        moved = (self._pending_input - queued) + len(data)
        self.beats_in += self._pending_input - queued
        self._pending_input = queued
        if dma.mm2s.active and queued == 0:
            dma.mm2s.sent()
        if len(data):
            self.beats_out += len(data)
            if self.faults.drop_output_tlast:
                last = np.zeros_like(last)
            dma.s2mm.receive(data, last)
        return moved
