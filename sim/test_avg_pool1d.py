"""Bench for kernels/avg_pool1d.v: bit-exact against hwgen.graph.ops.requantize(sum_pool1d)."""

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

KERNEL = "avg_pool1d"
GRID = [
    dict(T=12, CH=4, PAR=2, DATA_W=8, POOL=2, ROUNDING="RND"),
    dict(T=10, CH=3, PAR=1, DATA_W=8, POOL=4, ROUNDING="RND_CONV"),  # T % POOL = 2 dropped
    dict(T=8, CH=4, PAR=4, DATA_W=6, POOL=8, ROUNDING="TRN"),
]
BAD = [
    (dict(POOL=3), "POOL"),
    (dict(CH=3), "CH"),
    (dict(ROUNDING="UP"), "ROUNDING"),  # reported by the division stage
]


def golden(frame: np.ndarray, params) -> np.ndarray:
    pool_log2 = params["POOL"].bit_length() - 1
    out = ops.Fixed(params["DATA_W"], 0, rounding=params["ROUNDING"], saturation="SAT")
    q, _ = ops.requantize(ops.sum_pool1d(frame, params["POOL"]), pool_log2, out)
    return q


def activations(rng, n_frames, params) -> np.ndarray:
    """Random frames with extremes planted; all most-negative, all most-positive and all-zero frames."""
    lo, hi = -(1 << (params["DATA_W"] - 1)), (1 << (params["DATA_W"] - 1)) - 1
    x = harness.edge_ints(rng, (n_frames, params["T"], params["CH"]), lo, hi)
    x[1], x[2], x[3] = lo, hi, 0
    return x


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_avg_pool1d(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    inputs = activations(rng, 5, params)
    expected = np.stack([golden(frame, params) for frame in inputs])
    stream = dict(in_par=params["PAR"], in_w=params["DATA_W"], out_par=params["PAR"],
                  out_w=params["DATA_W"], out_signed=True)
    harness.run(KERNEL, params, "test_avg_pool1d", sim, case={"stream": stream},
                arrays={"inputs": inputs, "expected": expected})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_avg_pool1d_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
