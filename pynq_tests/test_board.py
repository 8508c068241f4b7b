"""The simulated board itself, through pynq's own Overlay, DMA driver, MMIO, allocate and Clocks: the AXI
DMA's registers and error behaviour (PG021), buffers and their caches, the bus, the clocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwgen.pynqsim import BusError, SimulationError, SimulationStalled
from hwgen.pynqsim.dma import SR_DEC_ERR, SR_HALTED, SR_IDLE, SR_INT_ERR, SR_IOC_IRQ


@pytest.fixture
def ov(designs, board):
    from pynq import Overlay

    return Overlay(str(Path(designs["lung"]["ok"]) / "hwgen.bit"))


def frame(value: int = 7):
    from pynq import allocate

    buf = allocate((1024,), np.uint8)
    buf[:] = value
    return buf


def test_pynq_binds_its_dma_driver_and_sets_the_fabric_clock(ov, board):
    from pynq import Clocks
    from pynq.lib.dma import DMA

    assert isinstance(ov.axi_dma_0, DMA) and ov.axi_dma_0.buffer_max_size == (1 << 26) - 1
    assert Clocks.fclk0_mhz == 100.0                      # divisors from the .hwh, written by download()
    assert ov.is_loaded() and board.timestamp


def test_a_stock_pynq_transfer_round_trip(ov, board):
    from pynq import allocate

    out = allocate((4,), np.uint32)
    dma = ov.axi_dma_0
    dma.recvchannel.transfer(out)
    dma.sendchannel.transfer(frame())
    dma.sendchannel.wait()
    dma.recvchannel.wait()
    assert dma.recvchannel.transferred == 16             # 1 + 3 classes, 32-bit beats, TLAST on the last
    assert out[0] == np.argmax(out[1:].view(np.int32))


def test_a_packet_longer_than_the_receive_buffer_is_an_internal_error(ov, board):
    from pynq import allocate

    out = allocate((2,), np.uint32)                      # 8 bytes for a 16-byte result
    dma = ov.axi_dma_0
    dma.recvchannel.transfer(out)
    dma.sendchannel.transfer(frame())
    # The error halts the channel before wait() looks, so pynq reports it the way it does on a board:
    with pytest.raises(RuntimeError, match=r"DMA channel not started"):
        dma.recvchannel.wait()
    status = dma.mmio.read(0x34)
    assert status & SR_INT_ERR and status & SR_HALTED
    board.fabric.max_idle_polls = 100
    with pytest.raises(SimulationStalled, match="S2MM status polled 100 times"):
        dma.recvchannel.start()                          # halted by an error until a reset: pynq spins forever
    dma.mmio.write(0x30, 0x4)                            # soft reset: both channels back to their reset state
    assert dma.mmio.read(0x34) & (SR_HALTED | SR_INT_ERR) == SR_HALTED
    assert dma.mmio.read(0x04) & SR_HALTED


def test_an_address_outside_the_dmas_segments_is_a_decode_error(ov, board):
    dma = ov.axi_dma_0
    dma.mmio.write(0x48, 0x3000_0000)                    # DDR is 0x0..0x1FFFFFFF in the design's address map
    dma.mmio.write(0x58, 16)
    assert not board.dma.s2mm.errors                     # the interconnect's DECERR takes a few cycles
    with pytest.raises(RuntimeError, match="DMA channel not started"):   # pynq's words for a halted channel
        dma.recvchannel.wait()
    assert dma.mmio.read(0x34) & (SR_DEC_ERR | SR_HALTED) == SR_DEC_ERR | SR_HALTED


def test_the_length_register_keeps_only_its_width_and_zero_starts_nothing(ov, board):
    dma = ov.axi_dma_0
    dma.mmio.write(0x58, 0)                              # PG021: zero has no effect
    assert not board.dma.s2mm.active
    dma.mmio.write(0x48, board.ddr.base)
    dma.mmio.write(0x58, (1 << 26) + 16)                 # bit 26 is not in a 26-bit register
    assert board.dma.s2mm.length == 16


def test_unaligned_or_overlapping_programming_is_refused_as_undefined(ov, board):
    dma = ov.axi_dma_0
    dma.mmio.write(0x18, board.ddr.base + 4)             # MM2S memory side is 64 bits, no DRE
    with pytest.raises(SimulationError, match="not aligned to the 8-byte memory-map width"):
        dma.mmio.write(0x28, 64)
    dma.mmio.write(0x48, board.ddr.base)
    dma.mmio.write(0x58, 16)
    with pytest.raises(SimulationError, match="written while a transfer is in progress"):
        dma.mmio.write(0x58, 16)


def test_the_receive_channel_back_pressures_until_it_is_programmed(ov, board):
    """Sending first: the accelerator's result waits in the stream (no beat is lost); the receive
    programmed later gets it whole."""
    from pynq import allocate

    dma = ov.axi_dma_0
    dma.sendchannel.transfer(frame(3))
    dma.sendchannel.wait()
    for _ in range(20):
        dma.mmio.read(0x34)                              # time passes; nothing can arrive
    assert board.fabric.beats_out == 0
    out = allocate((4,), np.uint32)
    dma.recvchannel.transfer(out)
    dma.recvchannel.wait()
    assert dma.recvchannel.transferred == 16 and dma.mmio.read(0x34) & (SR_IDLE | SR_IOC_IRQ) == SR_IDLE | SR_IOC_IRQ


def test_cached_buffers_need_flush_and_invalidate(ov, board):
    """A cacheable buffer's CPU view and DDR differ until flush()/invalidate(), as on a board."""
    from pynq import allocate

    buf = allocate((64,), np.uint8, cacheable=True)
    buf[:] = 9
    assert not board.ddr.view(buf.physical_address, 64).any()       # still in the "cache"
    buf[8:16].flush()
    assert board.ddr.view(buf.physical_address, 64).tolist() == [0] * 8 + [9] * 8 + [0] * 48
    board.ddr.view(buf.physical_address, 64)[:] = 5                  # the DMA writes DDR
    assert buf[0] == 9
    buf.invalidate()
    assert buf[0] == 5
    plain = allocate((8,), np.uint8)                                  # uncached: a window onto DDR
    plain[:] = 4
    assert board.ddr.view(plain.physical_address, 8).tolist() == [4] * 8


def test_buffers_return_their_memory(board):
    from pynq import allocate

    before = board.ddr.allocated_bytes
    buf = allocate((1000,), np.uint16)
    assert board.ddr.allocated_bytes == before + 2048 and buf.physical_address % 64 == 0
    del buf
    assert board.ddr.allocated_bytes == before


def test_an_access_outside_every_window_is_a_bus_error(ov, board):
    from pynq import MMIO

    with pytest.raises(BusError, match=r"register access at 0x50000000 .* hits no AXI-Lite window"):
        MMIO(0x5000_0000, 0x1000).read(0)


def test_a_real_bitstream_or_another_ps_is_refused(designs, board, tmp_path):
    import shutil

    from pynq import Overlay

    from hwgen.pynqsim import SimulatedBoard

    folder = tmp_path / "real"
    shutil.copytree(designs["lung"]["ok"], folder)
    (folder / "hwgen.bit").write_bytes(b"\x00\x09\x0f\xf0\x0f\xf0" + bytes(64))
    with pytest.raises(SimulationError, match="not a simulated bitstream"):
        Overlay(str(folder / "hwgen.bit"))
    SimulatedBoard.activate(ps="ps8")
    with pytest.raises(SimulationError, match="design for a ps7 processing system; this simulated board has a ps8"):
        Overlay(str(Path(designs["lung"]["ok"]) / "hwgen.bit"))
