"""Bench for kernels/axis_concat.v: equal to hwgen.graph.layers.concatenate of parts already in the output type."""

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
)

from hwgen.graph import layers, ops

KERNEL = "axis_concat"
BENCH = "axis_concat_bench"   # sim/hdl: the vector inputs as s<i>_axis_* ports
GRID = [
    dict(N=2, PAR=2, W=8, CH0=4, CH1=2),               # ghost module: primary + cheap features
    dict(N=3, PAR=1, W=6, CH0=1, CH1=3, CH2=2),        # one-group part, narrow values
    dict(N=4, PAR=4, W=8, CH0=8, CH1=4, CH2=4, CH3=12),
]
BAD = [
    (dict(CH1=3), "CH1"),
    (dict(N=5), "N"),
    (dict(N=3, CH2=0), "CH2"),
]
T = 5  # time steps per frame


def channels(params) -> list[int]:
    return [params[f"CH{i}"] for i in range(params["N"])]


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_axis_concat(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    out = ops.Fixed(params["W"], 4, saturation="SAT")
    parts = [harness.edge_ints(rng, (4, T, ch), out.min_int, out.max_int) for ch in channels(params)]
    expected, n_over = layers.concatenate(parts, [out] * len(parts), out)
    assert n_over == 0  # the parts already have the output type: the cast is the identity
    ports = dict(inputs=[dict(prefix=f"s{i}_axis", par=params["PAR"], w=params["W"]) for i in range(params["N"])],
                 outputs=[dict(prefix="m_axis", par=params["PAR"], w=params["W"])])
    arrays = {**{f"inputs_{i}": p for i, p in enumerate(parts)}, "expected_0": expected}
    harness.run(BENCH, params, "test_axis_concat", sim, case={"ports": ports}, arrays=arrays)


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_axis_concat_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
