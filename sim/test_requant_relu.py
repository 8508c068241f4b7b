"""Bench for kernels/requant_relu.v: bit-exact against hwgen.graph.layers.cast (ReLU, then
ops.requantize), and its sat_lanes pulse against ops.saturate's count on every beat."""

from __future__ import annotations

import zlib

import harness
import numpy as np
import pytest
from saturation import saturation_per_beat  # noqa: F401  (cocotb finds the tests it runs in this module)
from stream_checks import (  # noqa: F401  (cocotb finds the tests it runs in this module)
    frames_full_rate,
    frames_idle_and_backpressure,
    full_throughput,
    reset_mid_frame,
    short_frame_resync,
)

from hwgen.graph import layers, ops

KERNEL = "requant_relu"
GRID = [
    dict(PAR=2, ACC_W=24, DATA_W=8, SHIFT=8, ROUNDING="RND", RELU=1, OUT_SIGNED=1),
    dict(PAR=1, ACC_W=20, DATA_W=8, SHIFT=1, ROUNDING="RND_CONV", RELU=0, OUT_SIGNED=1),
    dict(PAR=4, ACC_W=16, DATA_W=6, SHIFT=-2, ROUNDING="TRN", RELU=0, OUT_SIGNED=0),  # left shift, unsigned out
    dict(PAR=2, ACC_W=10, IN_SIGNED=0, DATA_W=6, SHIFT=2, ROUNDING="RND_CONV", RELU=1, OUT_SIGNED=1),  # unsigned in
]
BAD = [
    (dict(ROUNDING="FLOOR"), "ROUNDING"),
    (dict(ACC_W=16, SHIFT=16), "SHIFT"),
    (dict(PAR=0), "PAR"),
]


def output_type(params) -> ops.Fixed:
    return ops.Fixed(params["DATA_W"], 0, signed=bool(params["OUT_SIGNED"]),
                     rounding=params["ROUNDING"], saturation="SAT")


def golden(acc: np.ndarray, params) -> tuple[np.ndarray, int]:
    """(outputs, number clipped): the accumulator has SHIFT fractional bits more than the output."""
    acc_type = ops.Fixed(params["ACC_W"], params["SHIFT"], signed=bool(params.get("IN_SIGNED", 1)))
    return layers.cast(acc, acc_type, output_type(params), relu=bool(params["RELU"]))


def saturations_per_beat(acc: np.ndarray, params) -> np.ndarray:
    """ops.saturate's count for every beat (PAR lanes) in stream order."""
    beats = acc.reshape(-1, params["PAR"])
    return np.array([golden(beat, params)[1] for beat in beats])


def accumulators(rng, shape, params) -> np.ndarray:
    """Half full-range (mostly saturating, extremes planted), half near the output range, with
    rounding ties and the values either side of both saturation limits planted."""
    acc_w, shift, out = params["ACC_W"], params["SHIFT"], output_type(params)
    signed = bool(params.get("IN_SIGNED", 1))
    lo, hi = ops.int_range(acc_w, signed)
    if shift > 0:
        half = 1 << (shift - 1)
        special = [(k << shift) + half for k in (-3, -2, -1, 0, 1, 2, 3)]  # rounding ties
        special += [(out.max_int << shift) + d for d in (half - 1, half, half + 1)]
        special += [(out.min_int << shift) + d for d in (-half - 1, -half, -half + 1)]
    else:  # exact left shift: the accumulators either side of each output limit
        special = [(limit >> -shift) + d for limit in (out.max_int, out.min_int) for d in (-1, 0, 1)]
    wide = harness.edge_ints(rng, shape, lo, hi, special=special)
    near = min(hi, 1 << max(params["DATA_W"] + shift, 1))
    special = [v for v in special if lo <= v <= hi]
    narrow = harness.edge_ints(rng, shape, -near if signed else 0, near, special=special)
    return np.where(rng.random(shape) < 0.5, wide, narrow)


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_requant_relu(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    inputs = accumulators(rng, (8, 6, 2 * params["PAR"]), params)  # 8 frames of 6 steps x 2 groups
    expected, _ = golden(inputs, params)
    sat = saturations_per_beat(inputs, params)
    assert sat.any() and not sat.all(), "the data should clip some beats and not others"
    stream = dict(in_par=params["PAR"], in_w=params["ACC_W"], out_par=params["PAR"],
                  out_w=params["DATA_W"], out_signed=bool(params["OUT_SIGNED"]))
    harness.run(KERNEL, params, "test_requant_relu", sim, case={"stream": stream},
                arrays={"inputs": inputs, "expected": expected, "sat_per_beat": sat})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_requant_relu_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log


def test_requant_relu_rejects_bad_parameter_on_verilator():
    """The same initial-block check stops a Verilator model at time 0 with the parameter named."""
    status, log = harness.elaborate(KERNEL, {**GRID[0], "ROUNDING": "FLOOR"}, "verilator")
    assert status != 0, "ROUNDING=FLOOR elaborated without error on Verilator"
    assert "parameter ROUNDING" in log, log
