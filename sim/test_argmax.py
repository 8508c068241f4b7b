"""Bench for kernels/argmax.v: bit-exact against hwgen.graph.ops.argmax (ties -> lowest index)."""

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

KERNEL = "argmax"
GRID = [
    dict(N=4, PAR=1, DATA_W=16),
    dict(N=10, PAR=2, DATA_W=8),
    dict(N=12, PAR=3, DATA_W=20),
]
BAD = [
    (dict(N=5, PAR=2), "N"),
    (dict(IDX_W=1), "IDX_W"),
    (dict(DATA_W=1), "DATA_W"),
]




def scores(rng, n_frames, params) -> np.ndarray:
    """Frames full of ties: values from a small set (with both extremes), plus an all-equal,
    an all most-negative frame and frames whose maximum sits at the last index or is tied at
    the first and last."""
    n, width = params["N"], params["DATA_W"]
    lo, hi = ops.int_range(width)
    pool = np.array([lo, lo + 1, -1, 0, 1, hi - 1, hi] + list(rng.integers(lo, hi, 3)), dtype=np.int64)
    x = rng.choice(pool, size=(n_frames, 1, n))
    x[0, 0, :] = 7 % (hi + 1)          # all equal -> index 0
    x[1, 0, :] = lo                    # all most negative -> index 0
    x[2, 0, :] = lo
    x[2, 0, -1] = lo + 1               # maximum at the last index
    x[3, 0, :] = 0
    x[3, 0, [0, -1]] = hi              # tie between first and last -> index 0
    x[4, 0, :] = -1
    x[4, 0, [n // 2, -1]] = 1          # tie in the middle and at the end -> the middle one
    return x


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_argmax(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    inputs = scores(rng, 12, params)
    expected = ops.argmax(inputs).reshape(-1, 1, 1)  # one beat per frame: the index
    idx_w = max(1, (params["N"] - 1).bit_length())
    stream = dict(in_par=params["PAR"], in_w=params["DATA_W"], out_par=1, out_w=idx_w, out_signed=False)
    harness.run(KERNEL, params, "test_argmax", sim, case={"stream": stream},
                arrays={"inputs": inputs, "expected": expected})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_argmax_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[1], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
