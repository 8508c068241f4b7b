"""Bench for kernels/accel_shell.v through sim/hdl/accel_last_line.v, a top as the generator writes one
(accel_shell + a trivial core whose logits are the frame's last line): a DMA-like stream in, result
beats out exactly as hwgen.runtime.protocol.StreamFormat.output_words, and the AXI-Lite registers read
back frames, cycles, errors and saturations."""

from __future__ import annotations

import zlib

import cocotb
import harness
import numpy as np
import pytest

from hwgen.runtime import protocol
from hwgen.runtime.protocol import StreamFormat

TOP = "accel_last_line"   # sim/hdl
GRID = [
    dict(DATA=64, IN_BITS=8, T=6, D=4, IN_PAR=2, ACC_W=12, ID=0x0123456789ABCDEF),
    dict(DATA=32, IN_BITS=12, T=5, D=3, IN_PAR=3, ACC_W=16, ID=0xA5A5F00D5EED1234),   # 16-bit lanes, padded last beat
]
N_FRAMES = 6


def stream_format(p) -> StreamFormat:
    return StreamFormat(time=p["T"], depth=p["D"], n_classes=p["D"], in_bits=p["IN_BITS"],
                        logit_bits=p["ACC_W"], data_width=p["DATA"], graph_id=p["ID"])


def expected_words(fmt: StreamFormat, q: np.ndarray) -> list[list[int]]:
    """The core's logits are the last line: the result beats the driver will unpack."""
    return fmt.output_words(q[:, -1, :]).astype(np.int64).tolist()


class Ports:
    """Cocotbext-axi endpoints on the top's ports (ap_clk, ap_rst_n active low) and a monitor of the
    cycle of every s_axis / m_axis handshake, to check LAST_CYCLES and INTERVAL exactly."""

    def __init__(self, dut, fmt: StreamFormat):
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster  # noqa: PLC0415

        kw = dict(clock=dut.ap_clk, reset=dut.ap_rst_n, reset_active_level=False)
        self.dut, self.fmt = dut, fmt
        self.dma_in = harness.axis_source(dut, "s_axis", **kw)
        self.dma_out = harness.axis_sink(dut, "m_axis", **kw)
        self.ctrl = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_ctrl"), dut.ap_clk, dut.ap_rst_n, False)
        self.ctrl.write_if.log.setLevel("WARNING")
        self.ctrl.read_if.log.setLevel("WARNING")
        self.first_in: list[int] = []     # cycle of each frame's first input beat
        self.last_out: list[int] = []     # cycle of each frame's last output beat
        self._beat = 0

    async def start(self):
        await harness.start(self.dut, clock="ap_clk", reset_signal="ap_rst_n", active_high=False)
        cocotb.start_soon(self._monitor())

    async def _monitor(self):
        from cocotb.triggers import RisingEdge  # noqa: PLC0415

        dut, cycle = self.dut, 0
        while True:
            await RisingEdge(dut.ap_clk)
            cycle += 1
            if dut.s_axis_tvalid.value == 1 and dut.s_axis_tready.value == 1:
                if self._beat == 0:
                    self.first_in.append(cycle)
                last = self._beat == self.fmt.beats_per_frame - 1 or dut.s_axis_tlast.value == 1
                self._beat = 0 if last else self._beat + 1
            if dut.m_axis_tvalid.value == 1 and dut.m_axis_tready.value == 1 and dut.m_axis_tlast.value == 1:
                self.last_out.append(cycle)

    async def send(self, beats: list[int]):
        await self.dma_in.send(harness.axis_frame(beats))

    async def results(self, n: int) -> list[list[int]]:
        return await harness.receive_frames(self.dma_out, n, 20_000, self.dut.ap_clk)

    async def reg(self, name: str) -> int:
        return await self.ctrl.read_dword(protocol.offset(name))


def _case():
    case, arrays = harness.bench_case(), harness.bench_arrays()
    return case["params"], stream_format(case["params"]), arrays["q"]


@cocotb.test()
async def frames_end_to_end(dut):
    """Frames from a bursty DMA into a stalling sink: every result exact; then FRAMES, STATUS,
    ERRORS, SATURATIONS, LAST_CYCLES and INTERVAL read back as the port activity says."""
    p, fmt, q = _case()
    ports = Ports(dut, fmt)
    ports.dma_in.set_pause_generator(harness.idle_generator(1, 0.3))
    ports.dma_out.set_pause_generator(harness.backpressure_generator(1, 0.3))
    await ports.start()
    for beats in fmt.beats(q).tolist():
        await ports.send(beats)
    assert await ports.results(len(q)) == expected_words(fmt, q)
    assert await ports.reg("FRAMES") == len(q)
    assert await ports.reg("STATUS") == 0 and await ports.reg("ERRORS") == 0
    assert await ports.reg("SATURATIONS") == int((q == (1 << p["IN_BITS"]) - 1).sum())
    assert await ports.reg("LAST_CYCLES") == ports.last_out[-1] - ports.first_in[-1] + 1
    assert await ports.reg("INTERVAL") == ports.first_in[-1] - ports.first_in[-2]
    ident = await ports.reg("ID_LO") | await ports.reg("ID_HI") << 32
    assert ident == fmt.graph_id
    assert await ports.reg("SHAPE") == fmt.time | fmt.depth << 16
    assert await ports.reg("CLASSES") == fmt.n_classes | fmt.in_bits << 16 | protocol.PROTOCOL_VERSION << 24
    dut._log.info("last frame: %d cycles in to out; interval %d", await ports.reg("LAST_CYCLES"),
                  await ports.reg("INTERVAL"))


@cocotb.test()
async def short_and_long_frames_are_flagged(dut):
    """A short transfer gives one zero-completed result and ERRORS bit 0; a transfer running past its
    frame gives that frame's result and ERRORS bit 1; the frame after each comes out right."""
    p, fmt, q = _case()
    ports = Ports(dut, fmt)
    await ports.start()
    beats = fmt.beats(q).tolist()
    cut = len(beats[0]) // 2
    await ports.send(beats[0][:cut])                       # short
    await ports.send(beats[1] + beats[2][:2])              # long: frame 1, then two beats of frame 2
    await ports.send(beats[3])
    completed = q[0].reshape(-1).copy()
    completed[cut * fmt.lanes:] = 0                        # what the core saw of the short frame
    want = expected_words(fmt, np.stack([completed.reshape(q[0].shape), q[1], q[3]]))
    assert await ports.results(3) == want
    assert await ports.reg("ERRORS") == protocol.ERROR_SHORT_FRAME | protocol.ERROR_LONG_FRAME
    assert await ports.reg("STATUS") == protocol.STATUS_ERROR
    assert await ports.reg("FRAMES") == 3
    await ports.ctrl.write_dword(protocol.offset("ERRORS"), protocol.ERROR_SHORT_FRAME | protocol.ERROR_LONG_FRAME)
    assert await ports.reg("ERRORS") == 0


@cocotb.test()
async def soft_reset_drains_the_pipeline(dut):
    """With the output stalled, a frame sits in the datapath; a soft reset drops it and zeroes the
    counters, and the next frames come out exactly and are counted from zero."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415

    p, fmt, q = _case()
    ports = Ports(dut, fmt)
    ports.dma_out.pause = True
    await ports.start()
    beats = fmt.beats(q).tolist()
    await ports.send(beats[0])
    await ClockCycles(dut.ap_clk, 20 + 2 * fmt.beats_per_frame)
    assert await ports.reg("STATUS") == protocol.STATUS_BUSY
    await ports.ctrl.write_dword(protocol.offset("CTRL"), protocol.CTRL_SOFT_RESET)
    await ClockCycles(dut.ap_clk, 40)
    assert await ports.reg("STATUS") == 0 and await ports.reg("FRAMES") == 0
    ports.dma_out.clear()
    ports.dma_out.pause = False
    for b in beats[1:3]:
        await ports.send(b)
    assert await ports.results(2) == expected_words(fmt, q[1:3])
    await ClockCycles(dut.ap_clk, 20)
    assert ports.dma_out.empty(), "the dropped frame's result came out after all"
    assert await ports.reg("FRAMES") == 2


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_accel_shell(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    top = (1 << params["IN_BITS"]) - 1
    q = rng.integers(0, top + 1, size=(N_FRAMES, params["T"], params["D"]))
    q[q % 5 == 0] = top                                   # values at the top of the range: "saturations"
    q[2, -1, :] = q[2, -1, 0]                             # a tie: the lowest index wins
    harness.run(TOP, params, "test_accel_shell", sim, arrays={"q": q})
