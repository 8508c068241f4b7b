"""Bench for kernels/conv1d_mac.v: accumulators bit-exact against hwgen.graph.ops.conv1d."""

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

KERNEL = "conv1d_mac"
GRID = [
    dict(DATA_W=8, WEIGHT_W=8, BIAS_W=16, ACC_W=24, CH_IN=4, CH_OUT=4, K=3, STRIDE=1, PADDING="same",
         T=8, IN_PAR=2, OUT_PAR=2),
    dict(DATA_W=6, WEIGHT_W=5, BIAS_W=12, ACC_W=18, CH_IN=3, CH_OUT=6, K=1, STRIDE=1, PADDING="valid",
         T=7, IN_PAR=3, OUT_PAR=2),                                     # pointwise, all inputs per cycle
    dict(DATA_W=8, WEIGHT_W=8, BIAS_W=20, ACC_W=22, CH_IN=4, CH_OUT=2, K=4, STRIDE=2, PADDING="same",
         T=9, IN_PAR=1, OUT_PAR=1),                                     # serial, tight accumulator
    dict(DATA_W=8, DATA_SIGNED=0, WEIGHT_W=4, BIAS_W=12, ACC_W=16, CH_IN=2, CH_OUT=4, K=3, STRIDE=2,
         PADDING="same", T=8, IN_PAR=2, OUT_PAR=2),                     # unsigned data (0..255), minimal
                                                                        # ACC_W; TF strided 'same': 0 before
    # multipliers in LUTs (partial-product sums)
    dict(DATA_W=8, WEIGHT_W=8, BIAS_W=20, ACC_W=22, CH_IN=4, CH_OUT=2, K=4, STRIDE=2, PADDING="same",
         T=9, IN_PAR=2, OUT_PAR=1, PRODUCT="lut"),
    dict(DATA_W=8, DATA_SIGNED=0, WEIGHT_W=4, BIAS_W=12, ACC_W=16, CH_IN=2, CH_OUT=4, K=3, STRIDE=2,
         PADDING="same", T=8, IN_PAR=2, OUT_PAR=2, PRODUCT="lut"),
]
BAD = [
    (dict(CH_IN=3), "CH_IN"),
    (dict(CH_OUT=5), "CH_OUT"),
    (dict(ACC_W=18), "ACC_W"),   # narrower than an exact accumulator: refused, never wraps
    (dict(DATA_SIGNED=0, ACC_W=20), "ACC_W"),   # enough for signed data, one bit short for unsigned
    (dict(DATA_SIGNED=2), "DATA_SIGNED"),
    (dict(PRODUCT="shift"), "PRODUCT"),   # shift weights go to shift_conv1d
]
N_FRAMES = 3


def limits(width: int, signed: bool = True) -> tuple[int, int]:
    t = ops.Fixed(width, 0, signed)
    return t.min_int, t.max_int


def make_case(params: dict, rng: np.random.Generator):
    """Random data and weights with extremes planted; frame 1 is all data of the largest magnitude
    (most negative, or the largest unsigned value) against weights of the most negative value (the
    largest products), frame 2 all zeros."""
    p = params
    signed = bool(p.get("DATA_SIGNED", 1))
    d_lo, d_hi = limits(p["DATA_W"], signed)
    w_lo, w_hi = limits(p["WEIGHT_W"])
    b_lo, b_hi = limits(p["BIAS_W"])
    x = harness.edge_ints(rng, (N_FRAMES, p["T"], p["CH_IN"]), d_lo, d_hi)
    x[1] = d_lo if signed else d_hi
    x[2] = 0
    w = harness.edge_ints(rng, (p["K"], p["CH_IN"], p["CH_OUT"]), w_lo, w_hi)
    w[:, :, 0] = w_lo          # output channel 0: every product at its largest magnitude
    b = harness.edge_ints(rng, (p["CH_OUT"],), b_lo, b_hi)
    b[0] = b_hi
    expected = np.stack([ops.conv1d(f, w, b, p["STRIDE"], p["PADDING"]) for f in x])
    return x, w, b, expected


def cycles_per_input_beat(p: dict) -> int:
    """About the engine's cycles per input beat: one load and one issue per output group for every
    output time step, which comes every STRIDE input steps (sets the bench's wait times)."""
    return max(1, (1 + p["CH_OUT"] // p["OUT_PAR"]) // p["STRIDE"])


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_conv1d_mac(params, sim, tmp_path):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    x, w, b, expected = make_case(params, rng)
    stream = dict(in_par=params["IN_PAR"], in_w=params["DATA_W"], out_par=params["OUT_PAR"],
                  out_w=params["ACC_W"], out_signed=True, cycles_per_beat=cycles_per_input_beat(params))
    report = tmp_path / "cycles.json"
    harness.run(KERNEL, params, "test_conv1d_mac", sim,
                case={"stream": stream, "cycles_report": str(report)},
                arrays={"inputs": x, "expected": expected},
                files={"weights.mem": lambda path: memfile.write_conv1d(path.parent, w, b, params)})
    cycle_count.check_conv_engine_cycles(report, params)


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_conv1d_mac_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error:\n{log}"
    assert f"parameter {name}" in log, log
