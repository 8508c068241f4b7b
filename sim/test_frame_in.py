"""Bench for kernels/frame_in.v: DMA beats packed by hwgen.runtime.protocol.StreamFormat -> the first
layer's stream, with short and long frames checked and recovered from."""

from __future__ import annotations

import zlib

import cocotb
import harness
import numpy as np
import pytest
from stream_checks import (  # noqa: F401  (cocotb finds the tests it runs in this module)
    frames_full_rate,
    frames_idle_and_backpressure,
    full_throughput,
    reset_mid_frame,
)

from hwgen.runtime.protocol import StreamFormat

KERNEL = "frame_in"
GRID = [
    dict(DATA=64, IN_BITS=8, T=5, D=6, PAR=2),     # 30 values: 4 beats, the last with 6 lanes
    dict(DATA=64, IN_BITS=12, T=3, D=8, PAR=8),    # 16-bit lanes, 4 a beat
    dict(DATA=64, IN_BITS=8, T=4, D=16, PAR=16),   # two beats per output beat
    dict(DATA=64, IN_BITS=5, T=3, D=3, PAR=3),     # 9 values: 8 + 1 padded beat, 8 -> 3 lanes
]
BAD = [
    (dict(IN_BITS=17), "IN_BITS"),
    (dict(DATA=60), "DATA"),
    (dict(PAR=4), "PAR"),
]


def stream_format(params) -> StreamFormat:
    return StreamFormat(time=params["T"], depth=params["D"], n_classes=2, in_bits=params["IN_BITS"],
                        data_width=params["DATA"])


class Pulses:
    """Counts frame_start / short_frame / long_frame pulses every cycle."""

    def __init__(self, dut):
        self.counts = dict(frame_start=0, short_frame=0, long_frame=0)
        self._dut = dut
        cocotb.start_soon(self._watch())

    async def _watch(self):
        from cocotb.triggers import RisingEdge  # noqa: PLC0415

        while True:
            await RisingEdge(self._dut.clk)
            for name in self.counts:
                self.counts[name] += int(getattr(self._dut, name).value == 1)


def _case():
    case, arrays = harness.bench_case(), harness.bench_arrays()
    return case, arrays["inputs_0"], arrays["expected_0"], case["params"]


async def _values_out(dut, sink, n_frames: int, params) -> list[np.ndarray]:
    frames = await harness.receive_frames(sink, n_frames, 4000, dut.clk)
    return [harness.beats_to_frame(f, params["PAR"], params["IN_BITS"], params["D"], signed=False) for f in frames]


@cocotb.test()
async def short_frame_completed_with_zeros(dut):
    """A transfer cut short (tlast half way): the frame comes out whole, its missing values zero,
    one short_frame pulse; the next frame comes out right."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415

    case, inputs, expected, params = _case()
    source, sink = harness.axis_source(dut), harness.axis_sink(dut)
    pulses = Pulses(dut)
    await harness.start(dut)
    beats = [harness.frame_to_beats(f, f.shape[-1], case["lane_bits"]) for f in inputs]
    assert len(beats[0]) >= 2, "a one-beat frame cannot be short: lengthen the grid's frames"
    cut = len(beats[0]) // 2
    await source.send(harness.axis_frame(beats[0][:cut]))
    await source.send(harness.axis_frame(beats[1]))
    got = await _values_out(dut, sink, 2, params)
    lanes = inputs.shape[-1]
    partial = np.zeros(params["T"] * params["D"], dtype=np.int64)
    partial[:cut * lanes] = inputs[0].reshape(-1)[:cut * lanes]
    harness.assert_frames_equal(got[0], partial.reshape(params["T"], params["D"]), "short frame, zero-completed")
    harness.assert_frames_equal(got[1], expected[1], "frame after the short one")
    await ClockCycles(dut.clk, 10)
    assert pulses.counts == dict(frame_start=2, short_frame=1, long_frame=0), pulses.counts


@cocotb.test()
async def long_frame_tail_discarded(dut):
    """A frame without tlast on its last beat, followed in the same transfer by a whole other
    frame: the first frame comes out, one long_frame pulse, the rest of the transfer is dropped,
    and the frame after it comes out right."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415

    case, inputs, expected, params = _case()
    source, sink = harness.axis_source(dut), harness.axis_sink(dut)
    pulses = Pulses(dut)
    await harness.start(dut)
    beats = [harness.frame_to_beats(f, f.shape[-1], case["lane_bits"]) for f in inputs]
    await source.send(harness.axis_frame(beats[0] + beats[1]))   # tlast only after frame 1
    await source.send(harness.axis_frame(beats[2]))
    got = await _values_out(dut, sink, 2, params)
    harness.assert_frames_equal(got[0], expected[0], "the long frame's own values")
    harness.assert_frames_equal(got[1], expected[2], "frame after the discarded tail")
    await ClockCycles(dut.clk, 30)
    assert sink.empty(), "the discarded tail came out"
    assert pulses.counts == dict(frame_start=2, short_frame=0, long_frame=1), pulses.counts


@cocotb.test()
async def frame_start_per_frame(dut):
    """Whole frames back to back under backpressure: one frame_start each, no error pulse."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415

    case, inputs, expected, params = _case()
    source, sink = harness.axis_source(dut), harness.axis_sink(dut)
    sink.set_pause_generator(harness.backpressure_generator(5, 0.4))
    pulses = Pulses(dut)
    await harness.start(dut)
    for f in inputs:
        await source.send(harness.axis_frame(harness.frame_to_beats(f, f.shape[-1], case["lane_bits"])))
    got = await _values_out(dut, sink, len(inputs), params)
    for i, frame in enumerate(got):
        harness.assert_frames_equal(frame, expected[i], f"frame {i}")
    await ClockCycles(dut.clk, 10)
    assert pulses.counts == dict(frame_start=len(inputs), short_frame=0, long_frame=0), pulses.counts


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_frame_in(params, sim):
    fmt = stream_format(params)
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    q = rng.integers(0, 1 << params["IN_BITS"], size=(4, params["T"], params["D"]))
    q[0, 0, 0] = (1 << params["IN_BITS"]) - 1
    # the DMA image exactly as the driver packs it, as (frames, beats, lanes) of lane_bits values
    lanes = fmt.pack(q).view(fmt.lane_dtype).reshape(len(q), fmt.beats_per_frame, fmt.lanes).astype(np.int64)
    assert [harness.frame_to_beats(f, fmt.lanes, fmt.lane_bits) for f in lanes] == fmt.beats(q).tolist()
    ports = dict(inputs=[dict(prefix="s_axis", par=fmt.lanes, w=fmt.lane_bits)],
                 outputs=[dict(prefix="m_axis", par=params["PAR"], w=params["IN_BITS"], signed=False)])
    harness.run(KERNEL, params, "test_frame_in", sim, case={"ports": ports, "lane_bits": fmt.lane_bits},
                arrays={"inputs_0": lanes, "expected_0": q})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_frame_in_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
