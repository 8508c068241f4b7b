"""Bench for kernels/axis_fork.v: every output gets every beat, each under its own backpressure."""

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

KERNEL = "axis_fork"
BENCH = "axis_fork_bench"   # sim/hdl: the vector outputs as m<i>_axis_* ports
GRID = [
    dict(N=2, WIDTH=16),
    dict(N=4, WIDTH=33),
]
BAD = [
    (dict(N=1), "N"),
    (dict(N=5), "N"),
    (dict(WIDTH=0), "WIDTH"),
]


@cocotb.test()
async def one_blocked_output_holds_the_input(dut):
    """While output 1 is not ready, the others take the first beat once and the input keeps it;
    when output 1 becomes ready everything flows again, in order."""
    from cocotb.triggers import ClockCycles, RisingEdge  # noqa: PLC0415

    n, width = harness.bench_case()["params"]["N"], harness.bench_case()["params"]["WIDTH"]
    source = harness.axis_source(dut)
    sinks = [harness.axis_sink(dut, f"m{i}_axis") for i in range(n)]
    sinks[1].pause = True
    await harness.start(dut)
    beats = [(7 * i + 3) % (1 << width) for i in range(12)]
    await source.send(harness.axis_frame(beats))
    handshakes = dict.fromkeys(range(n), 0)
    accepted = 0
    for _ in range(30):
        await RisingEdge(dut.clk)
        accepted += int(dut.s_axis_tvalid.value == 1 and dut.s_axis_tready.value == 1)
        for i in range(n):
            handshakes[i] += int(getattr(dut, f"m{i}_axis_tvalid").value == 1
                                 and getattr(dut, f"m{i}_axis_tready").value == 1)
    assert accepted == 0, f"the input gave up {accepted} beat(s) while output 1 had not taken them"
    assert handshakes[1] == 0 and all(handshakes[i] == 1 for i in range(n) if i != 1), handshakes
    sinks[1].pause = False
    for sink in sinks:
        got = await harness.receive_frames(sink, 1, 200, dut.clk)
        assert got[0] == beats
    await ClockCycles(dut.clk, 5)


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_axis_fork(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    lo, hi = ops.int_range(params["WIDTH"])
    frames = harness.edge_ints(rng, (5, 9, 1), lo, hi)
    ports = dict(inputs=[dict(prefix="s_axis", par=1, w=params["WIDTH"])],
                 outputs=[dict(prefix=f"m{i}_axis", par=1, w=params["WIDTH"]) for i in range(params["N"])])
    arrays = {"inputs_0": frames, **{f"expected_{i}": frames for i in range(params["N"])}}
    harness.run(BENCH, params, "test_axis_fork", sim, case={"ports": ports}, arrays=arrays)


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_axis_fork_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
