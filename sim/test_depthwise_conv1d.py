"""Bench for kernels/depthwise_conv1d.v: accumulators bit-exact against hwgen.graph.ops.depthwise_conv1d."""

from __future__ import annotations

import zlib

import harness
import numpy as np
import pytest
from stream_checks import frames_full_rate, frames_idle_and_backpressure, reset_mid_frame, short_frame_resync  # noqa: F401  (cocotb finds the tests it runs in this module)

from hwgen.graph import ops
from hwgen.rtl import memfile

KERNEL = "depthwise_conv1d"
GRID = [
    dict(DATA_W=8, WEIGHT_W=8, BIAS_W=16, ACC_W=20, CH=4, K=3, STRIDE=1, PADDING="same", T=8, PAR=2),
    dict(DATA_W=5, WEIGHT_W=4, BIAS_W=8, ACC_W=12, CH=6, K=5, STRIDE=2, PADDING="valid", T=11, PAR=3),
    dict(DATA_W=8, WEIGHT_W=8, BIAS_W=12, ACC_W=19, CH=2, K=4, STRIDE=1, PADDING="same", T=7, PAR=1),
]
BAD = [
    (dict(CH=5), "CH"),
    (dict(ACC_W=16), "ACC_W"),
]
N_FRAMES = 3


def make_case(p: dict, rng: np.random.Generator):
    """Random data and weights with extremes planted; channel 0's filter is all most-negative
    weights, so frame 1 (all most-negative data) reaches the largest positive sum; frame 2 is zeros."""
    d_lo, d_hi = -(1 << (p["DATA_W"] - 1)), (1 << (p["DATA_W"] - 1)) - 1
    w_lo, w_hi = -(1 << (p["WEIGHT_W"] - 1)), (1 << (p["WEIGHT_W"] - 1)) - 1
    b_lo, b_hi = -(1 << (p["BIAS_W"] - 1)), (1 << (p["BIAS_W"] - 1)) - 1
    x = harness.edge_ints(rng, (N_FRAMES, p["T"], p["CH"]), d_lo, d_hi)
    x[1] = d_lo
    x[2] = 0
    w = harness.edge_ints(rng, (p["K"], p["CH"]), w_lo, w_hi)
    w[:, 0] = w_lo
    b = harness.edge_ints(rng, (p["CH"],), b_lo, b_hi)
    b[0] = b_hi
    expected = np.stack([ops.depthwise_conv1d(f, w, b, p["STRIDE"], p["PADDING"]) for f in x])
    return x, w, b, expected


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_depthwise_conv1d(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    x, w, b, expected = make_case(params, rng)
    stream = dict(in_par=params["PAR"], in_w=params["DATA_W"], out_par=params["PAR"],
                  out_w=params["ACC_W"], out_signed=True, cycles_per_beat=1)
    harness.run(KERNEL, params, "test_depthwise_conv1d", sim, case={"stream": stream},
                arrays={"inputs": x, "expected": expected},
                files={"weights.mem": lambda path: memfile.write_depthwise_conv1d(path.parent, w, b, params)})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_depthwise_conv1d_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error:\n{log}"
    assert f"parameter {name}" in log, log
