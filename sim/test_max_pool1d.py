"""Bench for kernels/max_pool1d.v: bit-exact against hwgen.graph.ops.max_pool1d."""

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

KERNEL = "max_pool1d"
GRID = [
    dict(T=12, CH=4, PAR=2, DATA_W=8, POOL=2),
    dict(T=10, CH=3, PAR=1, DATA_W=8, POOL=3),   # T % POOL = 1: the tail step is dropped
    dict(T=11, CH=8, PAR=8, DATA_W=4, DATA_SIGNED=0, POOL=5),  # unsigned 0..15, T % POOL = 1
]
BAD = [
    (dict(CH=5), "CH"),
    (dict(T=1), "T"),
    (dict(POOL=0), "POOL"),
    (dict(STRIDE=1), "STRIDE"),   # overlapping windows: refused with a message, not computed wrong
]


def activations(rng, n_frames, params) -> np.ndarray:
    """Random frames with extremes planted, one frame all at the lowest value, one all zero, one
    all at the highest."""
    data_type = ops.Fixed(params["DATA_W"], 0, bool(params.get("DATA_SIGNED", 1)))
    lo, hi = data_type.min_int, data_type.max_int
    x = harness.edge_ints(rng, (n_frames, params["T"], params["CH"]), lo, hi)
    x[1] = lo
    x[2] = 0
    x[3] = hi
    return x


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_max_pool1d(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    inputs = activations(rng, 4, params)
    expected = np.stack([ops.max_pool1d(frame, params["POOL"]) for frame in inputs])
    stream = dict(in_par=params["PAR"], in_w=params["DATA_W"], out_par=params["PAR"],
                  out_w=params["DATA_W"], out_signed=bool(params.get("DATA_SIGNED", 1)))
    harness.run(KERNEL, params, "test_max_pool1d", sim, case={"stream": stream},
                arrays={"inputs": inputs, "expected": expected})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_max_pool1d_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
