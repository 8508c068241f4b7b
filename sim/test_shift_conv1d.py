"""Bench for kernels/shift_conv1d.v: accumulators bit-exact against hwgen.graph.ops.conv1d with
power-of-two weights (po2_to_int), i.e. sums of ops.shift_product."""

from __future__ import annotations

import zlib

import cycle_count
import harness
import numpy as np
import pytest
from cycle_count import frame_cycles  # noqa: F401  (cocotb finds the tests it runs in this module)
from stream_checks import frames_full_rate, frames_idle_and_backpressure, reset_mid_frame, short_frame_resync  # noqa: F401

from hwgen.graph import ops
from hwgen.rtl import memfile

KERNEL = "shift_conv1d"
GRID = [
    dict(DATA_W=8, MAX_SHIFT=7, BIAS_W=16, ACC_W=24, CH_IN=4, CH_OUT=4, K=3, STRIDE=1, PADDING="same",
         T=8, IN_PAR=2, OUT_PAR=2),
    dict(DATA_W=6, MAX_SHIFT=3, BIAS_W=10, ACC_W=14, CH_IN=4, CH_OUT=4, K=1, STRIDE=1, PADDING="valid",
         T=6, IN_PAR=4, OUT_PAR=1),                                     # pointwise, tight accumulator
    dict(DATA_W=8, MAX_SHIFT=12, BIAS_W=16, ACC_W=26, CH_IN=2, CH_OUT=2, K=5, STRIDE=2, PADDING="same",
         T=9, IN_PAR=1, OUT_PAR=2),                                     # 4-bit shifts, stride 2
    dict(DATA_W=8, DATA_SIGNED=0, MAX_SHIFT=4, BIAS_W=12, ACC_W=17, CH_IN=2, CH_OUT=2, K=3, STRIDE=3,
         PADDING="same", T=9, IN_PAR=2, OUT_PAR=1),                     # unsigned data, minimal ACC_W;
                                                                        # TF strided 'same': no padding
]
BAD = [
    (dict(ACC_W=19), "ACC_W"),
    (dict(DATA_SIGNED=0, ACC_W=20), "ACC_W"),   # enough for signed data, one bit short for unsigned
    (dict(CH_IN=3), "CH_IN"),
]
N_FRAMES = 3


def make_case(p: dict, rng: np.random.Generator):
    """Random data (extremes planted) and po2 weights; output channel 0 has every weight at
    -2**MAX_SHIFT, so frame 1 (all data of the largest magnitude) reaches the largest sum."""
    signed = bool(p.get("DATA_SIGNED", 1))
    data_type = ops.Fixed(p["DATA_W"], 0, signed)
    d_lo, d_hi = data_type.min_int, data_type.max_int
    b_lo, b_hi = ops.int_range(p["BIAS_W"])
    x = harness.edge_ints(rng, (N_FRAMES, p["T"], p["CH_IN"]), d_lo, d_hi)
    x[1] = d_lo if signed else d_hi
    x[2] = 0
    shape = (p["K"], p["CH_IN"], p["CH_OUT"])
    sign = rng.integers(-1, 2, size=shape)
    shift = harness.edge_ints(rng, shape, 0, p["MAX_SHIFT"])
    sign[:, :, 0], shift[:, :, 0] = -1, p["MAX_SHIFT"]
    b = harness.edge_ints(rng, (p["CH_OUT"],), b_lo, b_hi)
    w = ops.po2_to_int(sign, shift)
    expected = np.stack([ops.conv1d(f, w, b, p["STRIDE"], p["PADDING"]) for f in x])
    return x, w, b, expected


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_shift_conv1d(params, sim, tmp_path):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    x, w, b, expected = make_case(params, rng)
    cycles = max(1, (1 + params["CH_OUT"] // params["OUT_PAR"]) // params["STRIDE"])
    stream = dict(in_par=params["IN_PAR"], in_w=params["DATA_W"], out_par=params["OUT_PAR"],
                  out_w=params["ACC_W"], out_signed=True, cycles_per_beat=cycles)
    report = tmp_path / "cycles.json"
    harness.run(KERNEL, params, "test_shift_conv1d", sim,
                case={"stream": stream, "cycles_report": str(report)},
                arrays={"inputs": x, "expected": expected},
                files={"weights.mem": lambda path: memfile.write_shift_conv1d(path.parent, w, b, params)})
    cycle_count.check_conv_engine_cycles(report, params)


def test_shift_product_is_the_golden_multiply():
    """The engine's arithmetic (shift, conditional negation) is ops.shift_product; it must equal the
    multiply the golden conv uses, on extremes too, or the bench above would compare the wrong thing."""
    x = np.array([-128, -1, 0, 1, 127])[:, None]
    sign, shift = np.array([-1, 0, 1])[None, :], np.array([7, 3, 0])[None, :]
    assert np.array_equal(ops.shift_product(x, sign, shift), x * ops.po2_to_int(sign, shift))


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_shift_conv1d_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error:\n{log}"
    assert f"parameter {name}" in log, log
