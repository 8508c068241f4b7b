"""Bench for kernels/axis_add.v: the exact sum, and axis_add + requant_relu equal to hwgen.graph.layers.add."""

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

from hwgen.graph import layers, ops

KERNEL = "axis_add"
CHAIN = "axis_add_requant"   # sim/hdl: axis_add -> requant_relu
F = ops.Fixed

# (lanes, type of a, type of b): accumulator + activation, and a shifted signed input with a 2-bit
# unsigned one, where the exact sum needs one bit less than max(width)+1 (CASTS add unsigned inputs).
ADDS = [
    (2, F(16, 6), F(8, 2)),
    (4, F(8, 0), F(2, 4, signed=False)),
]
# (lanes, a, b, output type of the add layer)
CASTS = [
    (2, F(16, 6), F(8, 2), F(8, 3, rounding="RND_CONV", saturation="SAT")),
    (3, F(8, 8, signed=False), F(8, 7), F(6, 4, signed=False, rounding="RND", saturation="SAT")),
]


def common_frac(a: ops.Fixed, b: ops.Fixed) -> int:
    return max(a.frac, b.frac)  # the binary point layers.add aligns both inputs to


def add_params(par: int, a: ops.Fixed, b: ops.Fixed) -> dict:
    """HDL parameters of axis_add for a + b: shifts onto the common point, the exact sum's width."""
    frac = common_frac(a, b)
    shift_a, shift_b = frac - a.frac, frac - b.frac
    lo = (a.min_int << shift_a) + (b.min_int << shift_b)
    hi = (a.max_int << shift_a) + (b.max_int << shift_b)
    return dict(PAR=par, A_W=a.width, A_SIGNED=int(a.signed), SHIFT_A=shift_a,
                B_W=b.width, B_SIGNED=int(b.signed), SHIFT_B=shift_b, OUT_W=ops.bits_needed(lo, hi))


def operands(rng, par: int, a: ops.Fixed, b: ops.Fixed, frames: int = 4) -> tuple[np.ndarray, np.ndarray]:
    shape = (frames, 6, 2 * par)  # 6 time steps x 2 channel groups
    return (harness.edge_ints(rng, shape, a.min_int, a.max_int),
            harness.edge_ints(rng, shape, b.min_int, b.max_int))


def ports(par: int, a: ops.Fixed, b: ops.Fixed, out_w: int, out_signed: bool) -> dict:
    return dict(inputs=[dict(prefix="s_axis_a", par=par, w=a.width), dict(prefix="s_axis_b", par=par, w=b.width)],
                outputs=[dict(prefix="m_axis", par=par, w=out_w, signed=out_signed)])


EXACT_CASES = [pytest.param(*x, sim, id=f"{harness.param_id(add_params(*x))}-{sim}")
               for x, sim in [(x, "verilator") for x in ADDS] + [(ADDS[0], "icarus")]]


@pytest.mark.parametrize("par, a, b, sim", EXACT_CASES)
def test_axis_add_exact_sum(par, a, b, sim):
    params = add_params(par, a, b)
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    xa, xb = operands(rng, par, a, b)
    exact = F(params["OUT_W"], common_frac(a, b), saturation="SAT")
    expected, n_over = layers.add(xa, a, xb, b, exact)
    assert n_over == 0, "the sum type must hold every exact sum"
    harness.run(KERNEL, params, "test_axis_add", sim, case={"ports": ports(par, a, b, params["OUT_W"], True)},
                arrays={"inputs_0": xa, "inputs_1": xb, "expected_0": expected})


@pytest.mark.parametrize("par, a, b, out", CASTS, ids=[f"cast{i}" for i in range(len(CASTS))])
def test_axis_add_then_requant_equals_golden_add(par, a, b, out):
    params = add_params(par, a, b)
    params.update(DATA_W=out.width, SHIFT=common_frac(a, b) - out.frac, ROUNDING=out.rounding, RELU=0,
                  OUT_SIGNED=int(out.signed))
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    xa, xb = operands(rng, par, a, b)
    expected, n_over = layers.add(xa, a, xb, b, out)
    assert n_over > 0, "the data should make the cast saturate somewhere"
    harness.run(CHAIN, params, "test_axis_add", "verilator", case={"ports": ports(par, a, b, out.width, out.signed)},
                arrays={"inputs_0": xa, "inputs_1": xb, "expected_0": expected},
                testcase=["frames_full_rate", "frames_idle_and_backpressure"])


BAD = [
    (dict(OUT_W=add_params(*ADDS[1])["OUT_W"] - 1), "OUT_W"),
    (dict(SHIFT_A=-1), "SHIFT_A"),
    (dict(B_SIGNED=2), "B_SIGNED"),
    (dict(A_W=59), "A_W"),
]


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_axis_add_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**add_params(*ADDS[1]), **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log


def test_exact_width_is_one_bit_less_than_the_naive_bound():
    """The second case is where OUT_W = max(term widths) + 1 would waste a bit: the kernel accepts
    the exact width (the grid runs it) and refuses one less (BAD)."""
    params = add_params(*ADDS[1])
    naive = max(params["A_W"] + params["SHIFT_A"] + 1 - params["A_SIGNED"],
                params["B_W"] + params["SHIFT_B"] + 1 - params["B_SIGNED"]) + 1
    assert params["OUT_W"] == naive - 1
