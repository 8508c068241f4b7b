"""Bench for kernels/axis_lanes.v: the same values in the same order, PAR_IN -> PAR_OUT lanes a beat."""

from __future__ import annotations

import math
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

KERNEL = "axis_lanes"
BENCH = "axis_lanes_bench"   # sim/hdl: the lane mask on s_axis_tuser
# ch, t: the frame shape (bench only); ch is a multiple of PAR_IN and PAR_OUT
GRID = [
    dict(W=8, PAR_IN=8, PAR_OUT=64, ch=64, t=3),                 # gather: DMA beat -> wide layer
    dict(W=6, PAR_IN=2, PAR_OUT=3, ch=6, t=5),                   # gather, then a registered scatter
    dict(W=12, PAR_IN=3, PAR_OUT=2, ch=6, t=5, KEEP_ENABLE=1),   # the same, the other way, with a mask
    dict(W=5, PAR_IN=4, PAR_OUT=4, ch=8, t=4),                   # wires
    dict(W=8, PAR_IN=8, PAR_OUT=2, ch=8, t=3, KEEP_ENABLE=1),    # scatter; frame_in's case (masks: 2..14 values)
]
STREAM_TESTS = ["frames_full_rate", "full_throughput", "frames_idle_and_backpressure", "reset_mid_frame",
                "short_frame_resync"]
BAD = [
    (dict(PAR_IN=0), "PAR_IN"),
    (dict(PAR_OUT=0), "PAR_OUT"),
    (dict(KEEP_ENABLE=2), "KEEP_ENABLE"),
]


@cocotb.test()
async def kept_lanes_only(dut):
    """KEEP_ENABLE: frames of n values, n a multiple of PAR_OUT but not of PAR_IN, the last beat's
    lane mask (on tuser) marking the n % PAR_IN values it holds: exactly the n values come out."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415
    from cocotbext.axi import AxiStreamFrame  # noqa: PLC0415

    p = harness.bench_case()["params"]
    w, pin, pout = p["W"], p["PAR_IN"], p["PAR_OUT"]
    source, sink = harness.axis_source(dut), harness.axis_sink(dut)
    sink.set_pause_generator(harness.backpressure_generator(3, 0.3))
    await harness.start(dut)
    lengths = [n for n in range(pout, 6 * pin, pout) if n % pin][:4]
    assert lengths, "no frame length exercises a partial last beat"
    frames = [[(17 * i + n) % (1 << w) for i in range(n)] for n in lengths]
    for values in frames:
        padded = values + [(1 << w) - 1] * (-len(values) % pin)   # padding the kernel must drop
        beats = [harness.pack_lanes(padded[i:i + pin], w) for i in range(0, len(padded), pin)]
        mask = [0] * (len(beats) - 1) + [(1 << (len(values) % pin)) - 1]
        await source.send(AxiStreamFrame(tdata=beats, tuser=mask))
    got = await harness.receive_frames(sink, len(frames), 2000, dut.clk)
    for values, beats in zip(frames, got, strict=True):
        assert len(beats) == len(values) // pout, f"{len(values)} values gave {len(beats)} beats"
        out = [v for b in beats for v in harness.unpack_lanes(b, pout, w, signed=False)]
        assert out == values
    await ClockCycles(dut.clk, 5)


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_axis_lanes(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    assert params["ch"] % math.lcm(params["PAR_IN"], params["PAR_OUT"]) == 0
    lo, hi = -(1 << (params["W"] - 1)), (1 << (params["W"] - 1)) - 1
    frames = harness.edge_ints(rng, (4, params["t"], params["ch"]), lo, hi)
    ports = dict(inputs=[dict(prefix="s_axis", par=params["PAR_IN"], w=params["W"])],
                 outputs=[dict(prefix="m_axis", par=params["PAR_OUT"], w=params["W"])])
    tests = STREAM_TESTS + (["kept_lanes_only"] if params.get("KEEP_ENABLE") else [])
    harness.run(BENCH, params, "test_axis_lanes", sim, case={"ports": ports},
                arrays={"inputs_0": frames, "expected_0": frames}, testcase=tests)


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_axis_lanes_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**{k: v for k, v in GRID[0].items() if k.isupper()}, **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
