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

from hwgen.rtl.fold import conv_engine_frame_cycles


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
