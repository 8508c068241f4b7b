"""Bench for kernels/axis_fifo.v: every beat out in order, capacity exactly DEPTH, full rate from DEPTH 3."""

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
    short_frame_resync,
)

from hwgen.graph import ops

KERNEL = "axis_fifo"
GRID = [
    dict(DEPTH=16, WIDTH=8),
    dict(DEPTH=1, WIDTH=5),                          # one beat: a round trip of 3 cycles per beat
    dict(DEPTH=3, WIDTH=48),                         # the smallest full-rate depth
    dict(DEPTH=40, WIDTH=17, RAM_STYLE="block"),     # not a power of two; the block-RAM branch
]
BAD = [
    (dict(DEPTH=0), "DEPTH"),
    (dict(WIDTH=0), "WIDTH"),
    (dict(RAM_STYLE="ultra"), "RAM_STYLE"),
]
CYCLES_PER_BEAT = {1: 3, 2: 2}  # DEPTH -> input cycles per beat at best (ceil), full rate from 3


@cocotb.test()
async def capacity_is_depth(dut):
    """With the output stalled the FIFO takes exactly DEPTH beats, then gives them back in order."""
    from cocotb.triggers import ClockCycles, RisingEdge  # noqa: PLC0415

    depth, width = harness.bench_case()["params"]["DEPTH"], harness.bench_case()["params"]["WIDTH"]
    source, sink = harness.axis_source(dut), harness.axis_sink(dut)
    sink.pause = True
    await harness.start(dut)
    beats = [(i * 0x9E3779B1) % (1 << width) for i in range(2 * depth + 3)]
    await source.send(harness.axis_frame(beats))
    taken = 0
    for _ in range(4 * depth + 20):
        await RisingEdge(dut.clk)
        taken += int(dut.s_axis_tvalid.value == 1 and dut.s_axis_tready.value == 1)
    assert taken == depth, f"the FIFO took {taken} beats with its output stalled, expected DEPTH={depth}"
    sink.pause = False
    got = await harness.receive_frames(sink, 1, 20 * depth + 100, dut.clk)
    assert got[0] == beats, "beats came out changed or out of order"
    await ClockCycles(dut.clk, 5)


def beats(rng, params) -> np.ndarray:
    lo, hi = ops.int_range(params["WIDTH"])
    return harness.edge_ints(rng, (5, 13, 1), lo, hi)  # 5 frames of 13 one-lane beats


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_axis_fifo(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    inputs = beats(rng, params)
    stream = dict(in_par=1, in_w=params["WIDTH"], out_par=1, out_w=params["WIDTH"], out_signed=True,
                  cycles_per_beat=CYCLES_PER_BEAT.get(params["DEPTH"], 1))
    harness.run(KERNEL, params, "test_axis_fifo", sim, case={"stream": stream},
                arrays={"inputs": inputs, "expected": inputs})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_axis_fifo_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
