"""Cycles per frame of a streaming kernel, counted in simulation (a deterministic figure, not a timing).

cocotb side: `frame_cycles` sends the case's input frames back to back with no idle input and no
backpressure, notes the clock cycle of every output beat that carries tlast, and writes
{"frame_end_cycles": [...], "periods": [...]} to case["cycles_report"]. A bench imports it next to
the stream_checks tests and passes `cycles_case(path)` in its case.

pytest side: `steady_period(report)` is the cycles between the ends of the last two frames (the
first frame also carries the pipeline's fill latency).
"""

from __future__ import annotations

import json
from pathlib import Path

import cocotb
import harness

from hwgen.graph import ops


@cocotb.test()
async def frame_cycles(dut):
    """Full-rate frames: the cycle at which each output frame ends (its tlast beat is accepted)."""
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    case, arrays = harness.bench_case(), harness.bench_arrays()
    layout = case["stream"]
    source, sink = harness.axis_source(dut), harness.axis_sink(dut)
    await harness.start(dut)
    inputs = arrays["inputs"]
    for frame in inputs:
        beats = harness.frame_to_beats(frame.reshape(-1, layout["in_par"]), layout["in_par"], layout["in_w"])
        await source.send(harness.axis_frame(beats))
    ends: list[int] = []
    for cycle in range(200 + 16 * inputs.size * layout.get("cycles_per_beat", 1)):
        await RisingEdge(dut.clk)
        if dut.m_axis_tvalid.value == 1 and dut.m_axis_tready.value == 1 and dut.m_axis_tlast.value == 1:
            ends.append(cycle)
            if len(ends) == len(inputs):
                break
    assert len(ends) == len(inputs), f"only {len(ends)} of {len(inputs)} frames ended"
    periods = [b - a for a, b in zip(ends[:-1], ends[1:], strict=True)]
    dut._log.info("frame end cycles %s, periods %s", ends, periods)
    Path(case["cycles_report"]).write_text(json.dumps({"frame_end_cycles": ends, "periods": periods}))
    while not sink.empty():  # outputs are checked by the other tests; drain them here
        await sink.recv()


def steady_period(report: Path) -> int:
    """Cycles per frame once the pipeline is full: between the ends of the last two frames."""
    periods = json.loads(Path(report).read_text())["periods"]
    if not periods:
        raise AssertionError(f"{report}: fewer than two frames were measured")
    return periods[-1]


def conv_engine_frame_cycles(p: dict) -> dict[str, int]:
    """The two bounds on conv1d_engine's cycles per frame at full rate (p: its HDL parameters).

    input: the embedded line buffer steps one beat a cycle through every row of the frame (the real
    rows and the generated trailing zero rows): rows * CH_IN/IN_PAR cycles.
    issue: every output time step issues (CH_IN/IN_PAR) * (CH_OUT/OUT_PAR) product beats, one a cycle.
    A double-buffered engine runs at max(input, issue) per frame; a single-buffered one adds the
    window load to every step.
    """
    k, stride, t = p["K"], p["STRIDE"], p["T"]
    before, after = ops.same_padding(t, k, stride) if p["PADDING"] == "same" else (0, 0)
    n_out = (t + before + after - k) // stride + 1
    last_out_row = k - 1 + stride * (n_out - 1)
    rows = max(last_out_row, before + t - 1) - before + 1
    g_in, g_out = p["CH_IN"] // p["IN_PAR"], p["CH_OUT"] // p["OUT_PAR"]
    return {"input": rows * g_in, "issue": n_out * g_in * g_out, "load": n_out * g_in, "steps": n_out}


def check_conv_engine_cycles(report: Path, params: dict, slack: int = 0) -> int:
    """The measured steady-state cycles per frame of a conv engine are max(input, issue) (+ `slack`):
    the window load is hidden behind the issue of the previous step. (The single-buffered engine
    took 48 instead of 32 cycles on test_conv1d_mac's first case.)"""
    period = steady_period(report)
    bounds = conv_engine_frame_cycles(params)
    budget = max(bounds["input"], bounds["issue"]) + slack
    print(f"conv1d_engine: {period} cycles per frame (input {bounds['input']}, issue {bounds['issue']}, "
          f"{bounds['steps']} output steps)")
    assert period <= budget, (f"{period} cycles per frame, more than max(input {bounds['input']}, issue "
                              f"{bounds['issue']}) + {slack}: the window load is not overlapped")
    return period
