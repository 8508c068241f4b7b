"""Bench for kernels/result_out.v: logits -> exactly hwgen.runtime.protocol.StreamFormat.output_words."""

from __future__ import annotations

import math
import zlib

import cocotb
import harness
import numpy as np
import pytest
from stream_checks import frames_full_rate, frames_idle_and_backpressure, full_throughput  # noqa: F401
from test_argmax import scores  # frames full of ties and extremes

from hwgen.runtime.protocol import StreamFormat

KERNEL = "result_out"
GRID = [
    dict(N_CLASSES=4, PAR=1, ACC_W=24),
    dict(N_CLASSES=10, PAR=2, ACC_W=32),      # full-width logits: no sign extension
    dict(N_CLASSES=12, PAR=3, ACC_W=2),       # 2-bit logits: ties everywhere
]
BAD = [
    (dict(ACC_W=33), "ACC_W"),
    (dict(N_CLASSES=6, PAR=4), "PAR"),
    (dict(N_CLASSES=1, PAR=1), "N_CLASSES"),
]


@cocotb.test()
async def reset_while_sending(dut):
    """Reset in the middle of a frame's output beats, then all frames: every output is exact
    (no logit, index or beat count leaks from the interrupted frame)."""
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    source, sink = harness.axis_source(dut), harness.axis_sink(dut)
    sink.set_pause_generator(harness.backpressure_generator(9, 0.5))
    arrays = harness.bench_arrays()
    par = harness.bench_case()["params"]["PAR"]
    acc_w = harness.bench_case()["params"]["ACC_W"]
    beats = [harness.frame_to_beats(f.reshape(-1, par), par, acc_w) for f in arrays["inputs_0"]]
    await harness.start(dut)
    await source.send(harness.axis_frame(beats[0]))
    sent = 0
    while sent < 2:  # the index and one logit are out
        await RisingEdge(dut.clk)
        sent += int(dut.m_axis_tvalid.value == 1 and dut.m_axis_tready.value == 1)
    await harness.reset(dut)
    sink.clear()
    for b in beats:
        await source.send(harness.axis_frame(b))
    got = await harness.receive_frames(sink, len(beats), 5000, dut.clk)
    assert got == [list(map(int, w[:, 0])) for w in arrays["expected_0"]]


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_result_out(params, sim):
    n, par, acc_w = params["N_CLASSES"], params["PAR"], params["ACC_W"]
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    logits = scores(rng, 10, dict(N=n, DATA_W=acc_w))                  # (frames, 1, n)
    fmt = StreamFormat(time=1, depth=1, n_classes=n, logit_bits=acc_w)
    words = fmt.output_words(logits.reshape(-1, n)).astype(np.int64)   # (frames, 1 + n)
    classes, back = fmt.unpack(words)
    assert (back == logits.reshape(-1, n)).all() and (classes == logits.reshape(-1, n).argmax(axis=1)).all()
    in_beats = n // par
    ports = dict(inputs=[dict(prefix="s_axis", par=par, w=acc_w)],
                 outputs=[dict(prefix="m_axis", par=1, w=32, signed=False)],
                 cycles_per_beat=math.ceil((in_beats + n + 3) / in_beats))   # the frame is not overlapped
    harness.run(KERNEL, params, "test_result_out", sim, case={"ports": ports},
                arrays={"inputs_0": logits, "expected_0": words[:, :, None]})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_result_out_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log

