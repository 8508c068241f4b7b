"""Bench for kernels/depthwise_conv1d.v: accumulators bit-exact against hwgen.graph.layers.conv
(depthwise=True), with integer ("mul") or power-of-two ("shift") weights."""

from __future__ import annotations

import zlib

import harness
import layer_cases
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
    dict(DATA_W=8, DATA_SIGNED=0, WEIGHT_W=6, BIAS_W=12, ACC_W=17, CH=4, K=3, STRIDE=2, PADDING="same", T=8,
         PAR=4),  # unsigned data, minimal ACC_W; TF strided 'same': 0 before
    # power-of-two weights: shifts, no multiplier (the zoo's shiftcnn: 8-bit unsigned data, 2**-1..2**-8)
    dict(DATA_W=8, DATA_SIGNED=0, PRODUCT="shift", MAX_SHIFT=7, WEIGHT_W=5, BIAS_W=16, ACC_W=21, CH=4, K=9,
         STRIDE=1, PADDING="same", T=12, PAR=2),
    dict(DATA_W=6, PRODUCT="shift", MAX_SHIFT=3, WEIGHT_W=4, BIAS_W=8, ACC_W=12, CH=3, K=3, STRIDE=2,
         PADDING="valid", T=9, PAR=3),   # signed data, minimal ACC_W
    # multipliers in LUTs (partial-product sums): signed and unsigned data, minimal ACC_W
    dict(DATA_W=8, PRODUCT="lut", WEIGHT_W=8, BIAS_W=16, ACC_W=20, CH=4, K=3, STRIDE=1, PADDING="same", T=8, PAR=2),
    dict(DATA_W=8, DATA_SIGNED=0, PRODUCT="lut", WEIGHT_W=6, BIAS_W=12, ACC_W=17, CH=4, K=3, STRIDE=2,
         PADDING="same", T=8, PAR=4),
]
BAD = [
    (dict(CH=5), "CH"),
    (dict(ACC_W=16), "ACC_W"),
    (dict(DATA_SIGNED=0, ACC_W=17), "ACC_W"),   # enough for signed data, one bit short for unsigned
    (dict(PRODUCT="shift", MAX_SHIFT=7, WEIGHT_W=8), "WEIGHT_W"),   # shift codes are 2 + 3 bits
    (dict(PRODUCT="shift", MAX_SHIFT=12, WEIGHT_W=6), "ACC_W"),    # 8-bit data << 12 needs 25 bits
    (dict(PRODUCT="add"), "PRODUCT"),
]
N_FRAMES = 3


def make_case(p: dict, rng: np.random.Generator):
    """Random data and weights with extremes planted; channel 0's filter is all most-negative
    weights, so frame 1 (all data of the largest magnitude) reaches the largest sum; frame 2 is zeros."""
    signed = bool(p.get("DATA_SIGNED", 1))
    x_type = layer_cases.data_type(p)
    b_lo, b_hi = ops.int_range(p["BIAS_W"])
    x = harness.edge_ints(rng, (N_FRAMES, p["T"], p["CH"]), x_type.min_int, x_type.max_int)
    x[1] = x_type.min_int if signed else x_type.max_int
    x[2] = 0
    w = layer_cases.random_weights(rng, (p["K"], p["CH"]), p)
    w[:, 0] = layer_cases.most_negative_weight(p)
    b = harness.edge_ints(rng, (p["CH"],), b_lo, b_hi)
    b[0] = b_hi
    return x, w, b, layer_cases.depthwise_accumulators(x, w, b, p)


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
