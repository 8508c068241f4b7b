"""The Xilinx AXI DMA (axi_dma 7.1, PG021) in direct register mode, as seen from its AXI-Lite registers.

Modelled: the registers pynq and hwgen's driver touch, with PG021's reset values and bits; RS/Halted;
Idle set when a transfer completes; LENGTH writes start a transfer (zero has no effect) and keep only
`c_sg_length_width` bits, as the hardware register does; soft reset (either channel's DMACR bit 2) resets
both channels and abandons their transfers; DMADecErr for an address outside the DMA's data segments;
DMAIntErr when a received packet is longer than S2MM_LENGTH; an error halts the channel until a reset.
S2MM accepts beats only while a transfer is programmed (the stream is back-pressured otherwise) and
completes only on TLAST, writing the byte count back to S2MM_LENGTH.
Not modelled: scatter-gather, interrupts as signals (the IOC/Err status bits are), the AXI timing of the
memory side (beats move at up to one a cycle), keep/strobe bytes of a partial last beat (sent as zeros).
Behaviour PG021 leaves undefined (an unaligned address without DRE, LENGTH written during a transfer)
raises `SimulationError` instead of guessing.
"""

from __future__ import annotations

import numpy as np

from hwgen.pynqsim.errors import SimulationError

# Channel register offsets (MM2S at 0x00, S2MM at 0x30) and bits, PG021 "Register Space".
DMACR, DMASR, ADDR, ADDR_MSB, LENGTH = 0x00, 0x04, 0x18, 0x1C, 0x28
MM2S, S2MM = 0x00, 0x30
CR_RS, CR_RESET = 1 << 0, 1 << 2
CR_RESET_VALUE = 0x0001_0000          # IRQThreshold = 1
SR_HALTED, SR_IDLE = 1 << 0, 1 << 1
SR_INT_ERR, SR_SLV_ERR, SR_DEC_ERR = 1 << 4, 1 << 5, 1 << 6
SR_IOC_IRQ, SR_DLY_IRQ, SR_ERR_IRQ = 1 << 12, 1 << 13, 1 << 14
SR_THRESHOLD = 0x0001_0000            # IRQThresholdSts = 1
SR_W1C = SR_IOC_IRQ | SR_DLY_IRQ | SR_ERR_IRQ


class Channel:
    """One direction of the DMA: its DMACR/DMASR/address/LENGTH registers and the transfer in flight."""

    def __init__(self, dma: AxiDma, base: int, mm_bytes: int, stream_bytes: int, dre: bool):
        self.dma, self.base = dma, base
        self.name = "MM2S" if base == MM2S else "S2MM"
        self.mm_bytes, self.stream_bytes, self.dre = mm_bytes, stream_bytes, dre
        self.reset()

    def reset(self) -> None:
        self.control = CR_RESET_VALUE
        self.halted, self.idle, self.errors, self.irq = True, False, 0, 0
        self.address = self.length = 0
        self.active = False
        self.done_bytes = 0          # S2MM: bytes written so far in the transfer
        self.transfers = 0
        self.pending_error = None    # (bit, why): raised at the next clock (a bus error takes cycles)

    @property
    def status(self) -> int:
        return (SR_HALTED * self.halted) | (SR_IDLE * self.idle) | self.errors | self.irq | SR_THRESHOLD

    def fail(self, error: int, why: str) -> None:
        """An error: the bit, Err_Irq, and the channel halts (PG021: errors halt the engine)."""
        self.errors |= error
        self.irq |= SR_ERR_IRQ
        self.halted, self.active = True, False
        self.dma.log.append(f"{self.name}: {why}")

    def write_control(self, value: int) -> None:
        if value & CR_RESET:
            self.dma.soft_reset()
            return
        self.control = value & ~CR_RESET
        if value & CR_RS:
            if not self.errors:       # a channel that halted on an error needs a reset first
                self.halted = False
        else:
            self.halted = True
            self.abandon()

    def clock(self) -> None:
        """Time passed: an error the bus signalled since the transfer started lands now."""
        if self.pending_error:
            error, why = self.pending_error
            self.pending_error = None
            self.fail(error, why)

    def abandon(self) -> None:
        if self.active and self.base == MM2S:
            self.dma.fabric.drop_input()
        self.active = False

    def write_length(self, value: int) -> None:
        value &= (1 << self.dma.length_bits) - 1     # the register holds only c_sg_length_width bits
        if value == 0 or self.halted:
            return                                   # PG021: zero has no effect; a halted channel does not start
        if self.active:
            raise SimulationError(f"{self.dma.name}: {self.name}_LENGTH written while a transfer is in "
                                  "progress (PG021 leaves this undefined)")
        if not self.dre and self.address % self.mm_bytes:
            raise SimulationError(f"{self.dma.name}: {self.name} address {self.address:#x} is not aligned to the "
                                  f"{self.mm_bytes}-byte memory-map width and the DMA has no DRE (PG021: undefined)")
        self.length, self.idle, self.active, self.done_bytes = value, False, True, 0
        self.transfers += 1
        if not self.dma.decodes(self.address, value):   # the interconnect answers DECERR a few cycles later
            self.pending_error = (SR_DEC_ERR, f"address {self.address:#x} + {value} is outside the DMA's data segments")
            return
        if self.base == MM2S:
            data = self.dma.ddr.view(self.address, value).copy()
            beats = -(-value // self.stream_bytes)
            padded = np.zeros(beats * self.stream_bytes, dtype=np.uint8)
            padded[:value] = data
            self.dma.fabric.send(padded)

    # ------------------------------------------------------------------ stream side
    def sent(self) -> None:
        """MM2S: every beat of the transfer has been accepted downstream."""
        if self.active:
            self.active, self.idle = False, True
            self.irq |= SR_IOC_IRQ

    def room(self) -> int:
        """S2MM: beats the channel accepts now (0 when no transfer is programmed: the stream stalls). A
        full buffer still takes one beat, so a packet longer than LENGTH is seen and flagged."""
        if not self.active:
            return 0
        return max(1, -(-(self.length - self.done_bytes) // self.stream_bytes))

    def receive(self, data: np.ndarray, last: np.ndarray) -> None:
        """S2MM: beats (n, stream_bytes) uint8 with their TLAST flags, written to DDR."""
        for beat, is_last in zip(data, last, strict=True):
            if not self.active:
                raise SimulationError(f"{self.dma.name}: S2MM got a beat with no transfer programmed")
            space = self.length - self.done_bytes
            if space <= 0:
                self.fail(SR_INT_ERR, f"packet longer than S2MM_LENGTH ({self.length} bytes) without TLAST")
                return
            n = min(space, self.stream_bytes)
            self.dma.ddr.view(self.address + self.done_bytes, n)[:] = beat[:n]
            self.done_bytes += n
            if is_last:
                self.active, self.idle = False, True
                self.length = self.done_bytes     # PG021: S2MM_LENGTH reads the bytes actually received
                self.irq |= SR_IOC_IRQ
                return


class AxiDma:
    """The registers of one axi_dma cell; `fabric` moves its stream beats, `ddr` is its memory."""

    def __init__(self, name: str, params: dict, ddr, segments: list[tuple[int, int]], fabric):
        if int(params.get("c_include_sg", 0)):
            raise SimulationError(f"{name}: scatter-gather mode (c_include_sg 1) is not modelled; hwgen's "
                                  "overlays use direct register mode")
        self.name, self.ddr, self.segments, self.fabric = name, ddr, segments, fabric
        self.length_bits = int(params.get("c_sg_length_width", 14))
        self.log: list[str] = []
        width = {k: int(params.get(k, 32)) // 8 for k in ("c_m_axi_mm2s_data_width", "c_m_axis_mm2s_tdata_width",
                                                          "c_m_axi_s2mm_data_width", "c_s_axis_s2mm_tdata_width")}
        self.mm2s = Channel(self, MM2S, width["c_m_axi_mm2s_data_width"], width["c_m_axis_mm2s_tdata_width"],
                            bool(int(params.get("c_include_mm2s_dre", 0))))
        self.s2mm = Channel(self, S2MM, width["c_m_axi_s2mm_data_width"], width["c_s_axis_s2mm_tdata_width"],
                            bool(int(params.get("c_include_s2mm_dre", 0))))

    def channel(self, offset: int) -> tuple[Channel, int]:
        return (self.s2mm, offset - S2MM) if offset >= S2MM else (self.mm2s, offset)

    def decodes(self, address: int, nbytes: int) -> bool:
        return any(lo <= address and address + nbytes - 1 <= hi for lo, hi in self.segments)

    def soft_reset(self) -> None:
        self.mm2s.abandon()
        self.s2mm.abandon()
        self.mm2s.reset()
        self.s2mm.reset()
        self.log.append("soft reset")

    # ------------------------------------------------------------------ AXI-Lite
    def read(self, offset: int) -> int:
        channel, reg = self.channel(offset)
        if reg == DMASR:
            self.fabric.poll(self, channel)      # the driver is waiting on the DMA: simulated time moves
            return channel.status
        if reg == DMACR:
            return channel.control
        if reg == ADDR:
            return channel.address & 0xFFFFFFFF
        if reg == ADDR_MSB:
            return channel.address >> 32
        if reg == LENGTH:
            return channel.length
        return 0

    def write(self, offset: int, value: int) -> None:
        channel, reg = self.channel(offset)
        value &= 0xFFFFFFFF
        self.fabric.idle_polls = 0          # the driver acted: its next polls count afresh
        if reg == DMACR:
            channel.write_control(value)
        elif reg == DMASR:
            channel.irq &= ~(value & SR_W1C)
        elif reg == ADDR:
            channel.address = (channel.address & ~0xFFFFFFFF) | value
        elif reg == ADDR_MSB:
            channel.address = (channel.address & 0xFFFFFFFF) | value << 32
        elif reg == LENGTH:
            channel.write_length(value)
