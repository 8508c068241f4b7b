"""Bench for kernels/avg_pool1d.v: bit-exact against hwgen.graph.layers.average_pool for any POOL
(exact sum on the accumulator grid, division truncated toward zero, the output's rounding and
saturation), parameters from hwgen.rtl.divide.average_parameters."""

from __future__ import annotations

import zlib

import harness
import numpy as np
import pytest
from average_cases import activations, average_entry, average_pool, stream
from saturation import saturation_total  # noqa: F401  (cocotb finds the tests it runs in this module)
from stream_checks import (  # noqa: F401  (cocotb finds the tests it runs in this module)
    frames_full_rate,
    frames_idle_and_backpressure,
    full_throughput,
    reset_mid_frame,
    short_frame_resync,
)

from hwgen.graph.ops import Fixed

KERNEL = "avg_pool1d"
# out=Fixed(width, frac beyond the input's, signed, rounding)
GRID = [
    average_entry(3, 8, True, 2, Fixed(8, 0, True, "RND_CONV"), T=10, CH=4, PAR=2, POOL=3),  # T % 3 dropped
    average_entry(5, 8, False, 3, Fixed(8, 0, False, "TRN"), T=12, CH=3, PAR=3, POOL=5),    # unsigned
    average_entry(6, 6, True, 5, Fixed(4, -1, True, "RND"), T=13, CH=2, PAR=1, POOL=6),     # finer acc,
                                                                                          # coarser, saturating out
    average_entry(7, 8, False, 3, Fixed(12, 4, False, "RND_CONV"), T=14, CH=2, PAR=2, POOL=7),  # out finer than acc
    average_entry(4, 8, True, 2, Fixed(8, 0, True, "RND"), T=8, CH=4, PAR=4, POOL=4),       # power of two
]
BAD = [
    (dict(DIV_MULT=682), "DIV_MULT"),   # ceil(2**11 / 3) = 683: 682 is not exact
    (dict(DIV_SHIFT=10, DIV_MULT=342), "DIV_MULT"),   # a shift too small for the largest sum
    (dict(ACC_W=11), "ACC_W"),         # 8 + clog2(3) + 2 = 12 bits needed
    (dict(STRIDE=2), "STRIDE"),
    (dict(CH=3), "CH"),
    (dict(ROUNDING="UP"), "ROUNDING"),  # reported by the requantisation stage
]


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_avg_pool1d(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    inputs = activations(rng, 6, params, params["T"])
    expected, clipped = average_pool(inputs, params, params["POOL"])
    harness.run(KERNEL, params, "test_avg_pool1d", sim, case={"stream": stream(params)},
                arrays={"inputs": inputs, "expected": expected, "sat_total": clipped})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_avg_pool1d_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
