"""Bench for kernels/line_buffer_1d.v: every window bit-exact against hwgen.graph.ops.windows/pad_time."""

from __future__ import annotations

import zlib

import harness
import numpy as np
import pytest
from stream_checks import frames_full_rate, frames_idle_and_backpressure, reset_mid_frame, short_frame_resync  # noqa: F401  (cocotb finds the tests it runs in this module)

from hwgen.graph import ops

KERNEL = "line_buffer_1d"
GRID = [
    dict(DATA_W=8, CH=4, PAR=2, K=3, STRIDE=1, PADDING="same", T=10),
    dict(DATA_W=5, CH=6, PAR=3, K=4, STRIDE=2, PADDING="same", T=11),   # asymmetric padding
    dict(DATA_W=6, CH=2, PAR=1, K=5, STRIDE=3, PADDING="valid", T=13),  # stride ends output early
    # strided 'same' where TensorFlow pads differently from (K-1)/2 in front, K-1 in all:
    dict(DATA_W=8, CH=4, PAR=2, K=3, STRIDE=2, PADDING="same", T=8),    # 0 before, 1 after
    dict(DATA_W=4, CH=3, PAR=3, K=3, STRIDE=3, PADDING="same", T=9),    # no padding at all
]
BAD = [
    (dict(CH=5), "CH"),
    (dict(PADDING="full"), "PADDING"),
    (dict(T=2, PADDING="valid"), "T"),
    (dict(STRIDE=0), "STRIDE"),
]


def expected_beats(x: np.ndarray, p: dict) -> np.ndarray:
    """(T, CH) -> (out_time * groups, K * PAR): one row per output beat, lane k*PAR + i."""
    win = ops.windows(ops.pad_time(x, p["K"], p["PADDING"], p["STRIDE"]), p["K"], p["STRIDE"])  # (n, K, CH)
    n, k, ch = win.shape
    per_group = win.reshape(n, k, ch // p["PAR"], p["PAR"]).transpose(0, 2, 1, 3)  # (n, G, K, PAR)
    return per_group.reshape(n * ch // p["PAR"], k * p["PAR"])


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_line_buffer_1d(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    lo, hi = ops.int_range(params["DATA_W"])
    inputs = harness.edge_ints(rng, (3, params["T"], params["CH"]), lo, hi)
    inputs[1] = lo  # a frame of the most negative value, then one of zeros
    inputs = np.concatenate([inputs, np.zeros_like(inputs[:1])])
    expected = np.stack([expected_beats(x, params) for x in inputs])
    stream = dict(in_par=params["PAR"], in_w=params["DATA_W"], out_par=params["K"] * params["PAR"],
                  out_w=params["DATA_W"], out_signed=True)
    harness.run(KERNEL, params, "test_line_buffer_1d", sim, case={"stream": stream},
                arrays={"inputs": inputs, "expected": expected})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_line_buffer_1d_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error:\n{log}"
    assert f"parameter {name}" in log, log


def test_line_buffer_1d_bad_parameter_stops_verilator_too():
    """The same check on Verilator (through the cached cocotb build): $fatal at time 0 names it."""
    status, log = harness.elaborate(KERNEL, {**GRID[0], "CH": 5}, "verilator")
    assert status != 0 and "parameter CH" in log, log
