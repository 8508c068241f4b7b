"""Bench for kernels/global_avg_pool.v: bit-exact against hwgen.graph.ops.requantize(global_sum)."""

from __future__ import annotations

import zlib

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

KERNEL = "global_avg_pool"
GRID = [
    dict(T=16, CH=4, PAR=2, DATA_W=8, ACC_W=12, SHIFT=4, ROUNDING="RND"),       # exact mean, minimal ACC_W
    dict(T=25, CH=3, PAR=1, DATA_W=8, ACC_W=13, SHIFT=5, ROUNDING="RND_CONV"),  # T not a power of two
    dict(T=8, CH=8, PAR=4, DATA_W=8, ACC_W=16, SHIFT=0, ROUNDING="TRN"),        # raw sums: saturation
]
BAD = [
    (dict(ACC_W=11), "ACC_W"),   # 8 + clog2(16) = 12 bits needed
    (dict(SHIFT=12), "SHIFT"),
    (dict(CH=5), "CH"),
]


def golden(frame: np.ndarray, params) -> np.ndarray:
    out = ops.Fixed(params["DATA_W"], 0, rounding=params["ROUNDING"], saturation="SAT")
    q, _ = ops.requantize(ops.global_sum(frame), params["SHIFT"], out)
    return q[None, :]


def activations(rng, n_frames, params) -> np.ndarray:
    """Random frames with extremes planted; all most-negative (the largest-magnitude sum), all
    most-positive and all-zero frames."""
    lo, hi = -(1 << (params["DATA_W"] - 1)), (1 << (params["DATA_W"] - 1)) - 1
    x = harness.edge_ints(rng, (n_frames, params["T"], params["CH"]), lo, hi)
    x[1], x[2], x[3] = lo, hi, 0
    return x


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_global_avg_pool(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    inputs = activations(rng, 5, params)
    expected = np.stack([golden(frame, params) for frame in inputs])
    stream = dict(in_par=params["PAR"], in_w=params["DATA_W"], out_par=params["PAR"],
                  out_w=params["DATA_W"], out_signed=True)
    harness.run(KERNEL, params, "test_global_avg_pool", sim, case={"stream": stream},
                arrays={"inputs": inputs, "expected": expected})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_global_avg_pool_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
