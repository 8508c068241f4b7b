"""Bench for kernels/axis_lanes.v: the same values in the same order, IN_PAR -> OUT_PAR lanes a beat."""

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

from hwgen.graph import ops

KERNEL = "axis_lanes"
BENCH = "axis_lanes_bench"   # sim/hdl: the lane mask on s_axis_tuser
# ch, t: the frame shape (bench only); ch is a multiple of IN_PAR and OUT_PAR
GRID = [
    dict(W=8, IN_PAR=8, OUT_PAR=64, ch=64, t=3),                 # gather: DMA beat -> wide layer
    dict(W=6, IN_PAR=2, OUT_PAR=3, ch=6, t=5),                   # gather, then a registered scatter
    dict(W=12, IN_PAR=3, OUT_PAR=2, ch=6, t=5, KEEP_ENABLE=1),   # the same, the other way, with a mask
    dict(W=5, IN_PAR=4, OUT_PAR=4, ch=8, t=4),                   # wires
    dict(W=8, IN_PAR=8, OUT_PAR=2, ch=8, t=3, KEEP_ENABLE=1),    # scatter; frame_in's case (masks: 2..14 values)
    dict(W=31, IN_PAR=16, OUT_PAR=4, ch=16, t=3, HOLD=1),        # registered scatter: a PE-16 conv -> a 4-lane ReLU
    dict(W=8, IN_PAR=8, OUT_PAR=2, ch=8, t=3, KEEP_ENABLE=1, HOLD=1),   # ... with a mask
]
STREAM_TESTS = ["frames_full_rate", "full_throughput", "frames_idle_and_backpressure", "reset_mid_frame",
                "short_frame_resync"]
BAD = [
    (dict(IN_PAR=0), "IN_PAR"),
    (dict(OUT_PAR=0), "OUT_PAR"),
    (dict(KEEP_ENABLE=2), "KEEP_ENABLE"),
    (dict(HOLD=2), "HOLD"),
]


@cocotb.test()
async def kept_lanes_only(dut):
    """KEEP_ENABLE: frames of n values, n a multiple of OUT_PAR but not of IN_PAR, the last beat's
    lane mask (on tuser) marking the n % IN_PAR values it holds: exactly the n values come out."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415
    from cocotbext.axi import AxiStreamFrame  # noqa: PLC0415

    p = harness.bench_case()["params"]
    w, pin, pout = p["W"], p["IN_PAR"], p["OUT_PAR"]
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
    assert params["ch"] % math.lcm(params["IN_PAR"], params["OUT_PAR"]) == 0
    lo, hi = ops.int_range(params["W"])
    frames = harness.edge_ints(rng, (4, params["t"], params["ch"]), lo, hi)
    ports = dict(inputs=[dict(prefix="s_axis", par=params["IN_PAR"], w=params["W"])],
                 outputs=[dict(prefix="m_axis", par=params["OUT_PAR"], w=params["W"])])
    tests = STREAM_TESTS + (["kept_lanes_only"] if params.get("KEEP_ENABLE") else [])
    harness.run(BENCH, params, "test_axis_lanes", sim, case={"ports": ports},
                arrays={"inputs_0": frames, "expected_0": frames}, testcase=tests)


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_axis_lanes_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**{k: v for k, v in GRID[0].items() if k.isupper()}, **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
