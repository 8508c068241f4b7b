"""Bench for kernels/global_avg_pool.v: bit-exact against hwgen.graph.layers.global_average_pool
for any T, parameters from hwgen.rtl.divide.average_parameters."""

from __future__ import annotations

import zlib

import harness
import numpy as np
import pytest
from average_cases import activations, average_entry, global_average_pool, stream
from saturation import saturation_total  # noqa: F401  (cocotb finds the tests it runs in this module)
from stream_checks import (  # noqa: F401  (cocotb finds the tests it runs in this module)
    frames_full_rate,
    frames_idle_and_backpressure,
    full_throughput,
    reset_mid_frame,
    short_frame_resync,
)

from hwgen.graph.ops import Fixed

KERNEL = "global_avg_pool"
# out=Fixed(width, frac beyond the input's, signed, rounding)
GRID = [
    average_entry(16, 8, True, 4, Fixed(16, 3, True, "RND"), T=16, CH=4, PAR=2),        # 16-bit intermediate out
    average_entry(25, 8, False, 5, Fixed(8, 0, False, "RND_CONV"), T=25, CH=3, PAR=1),  # unsigned, odd T
    average_entry(6, 8, True, 3, Fixed(6, 0, True, "TRN"), T=6, CH=8, PAR=4),             # saturating out
]
BAD = [
    (dict(ACC_W=15), "ACC_W"),          # 8 + clog2(16) + 4 = 16 bits needed
    (dict(T=15), "DIV_MULT"),           # the constants of T=16 do not divide by 15
    (dict(CH=5), "CH"),
]


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_global_avg_pool(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    inputs = activations(rng, 6, params, params["T"])
    expected, clipped = global_average_pool(inputs, params)
    harness.run(KERNEL, params, "test_global_avg_pool", sim, case={"stream": stream(params)},
                arrays={"inputs": inputs, "expected": expected, "sat_total": clipped})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_global_avg_pool_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
