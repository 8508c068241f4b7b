"""hwgen.rtl.skip_fifo against a simulated residual block: fork -> (main path, skip FIFO) -> add.

The main path is a depthwise convolution (per channel: lead = look-ahead x beats per step + 1) or
a full convolution (whole steps: lead = (look-ahead + 1) x beats per step), each followed by a
requant_relu; the block's output is axis_add + requant_relu, compared with hwgen.graph. A skip
FIFO one beat shorter than skip_fifo_depth(..., full_rate=False) must hang; that depth must finish
bit-exactly; the full-rate depth must run as fast as the main path alone.
"""

from __future__ import annotations

import zlib

import cocotb
import harness
import numpy as np
import pytest
from stream_checks import frames_full_rate, frames_idle_and_backpressure  # noqa: F401  (cocotb runs them)

from hwgen.graph import layers, ops
from hwgen.rtl import memfile, skip_fifo

BENCH = "residual_bench"   # sim/hdl
F = ops.Fixed
X_TYPE = F(8, 5)                                    # the block input
W_FRAC = 6                                          # weights' fractional bits
MAIN_TYPE = F(8, 3, rounding="RND", saturation="SAT")   # main path activation (ReLU)
OUT_TYPE = F(8, 4, rounding="RND_CONV", saturation="SAT")
N_FRAMES = 3
MAINS = {  # kernel, its HDL parameters in the bench
    "depthwise": ("depthwise_conv1d", dict(CH=8, PAR=2, K=3, T=8, ACC_W=20)),
    "conv": ("conv1d_mac", dict(CH=4, PAR=2, K=3, T=6, ACC_W=22)),
}


def path_stages(main: str) -> list[skip_fifo.PathStage]:
    kernel, p = MAINS[main]
    return [skip_fifo.stage(kernel, dict(K=p["K"], PADDING="same", STRIDE=1)), skip_fifo.stage("requant_relu", {})]


def beats_per_step(main: str) -> int:
    p = MAINS[main][1]
    return p["CH"] // p["PAR"]


def bench_params(main: str, depth: int) -> dict:
    p = MAINS[main][1]
    frac = max(MAIN_TYPE.frac, X_TYPE.frac)            # layers.add's common binary point
    shift_a, shift_b = frac - MAIN_TYPE.frac, frac - X_TYPE.frac
    lo = (MAIN_TYPE.min_int << shift_a) + (X_TYPE.min_int << shift_b)
    hi = (MAIN_TYPE.max_int << shift_a) + (X_TYPE.max_int << shift_b)
    return dict(MAIN=main, DATA_W=8, WEIGHT_W=8, BIAS_W=12, ACC_W=p["ACC_W"], CH=p["CH"], PAR=p["PAR"], K=p["K"],
                T=p["T"], MAIN_SHIFT=X_TYPE.frac + W_FRAC - MAIN_TYPE.frac, SHIFT_A=shift_a, SHIFT_B=shift_b,
                SUM_W=ops.bits_needed(lo, hi), OUT_SHIFT=frac - OUT_TYPE.frac, SKIP_DEPTH=depth)


def make_case(params: dict, rng):
    """Input frames, weights and the golden block output: x + requant(conv(x)), cast to OUT_TYPE."""
    ch, k, t = params["CH"], params["K"], params["T"]
    x = harness.edge_ints(rng, (N_FRAMES, t, ch), X_TYPE.min_int, X_TYPE.max_int)
    b = rng.integers(-(1 << 11), 1 << 11, size=ch)
    if params["MAIN"] == "conv":
        w = rng.integers(-40, 41, size=(k, ch, ch))
        acc = np.stack([ops.conv1d(f, w, b, 1, "same") for f in x])
    else:
        w = rng.integers(-40, 41, size=(k, ch))
        acc = np.stack([ops.depthwise_conv1d(f, w, b, 1, "same") for f in x])
    main, _ = ops.requantize(acc, X_TYPE.frac + W_FRAC, MAIN_TYPE)
    expected, _ = layers.add(ops.relu(main), MAIN_TYPE, x, X_TYPE, OUT_TYPE)
    return x, w, b, expected


def weight_files(params: dict, w, b):
    if params["MAIN"] == "conv":
        conv = dict(IN_PAR=params["PAR"], OUT_PAR=params["PAR"], WEIGHT_W=8, BIAS_W=12)
        return lambda path: memfile.write_conv1d(path.parent, w, b, conv)
    return lambda path: memfile.write_depthwise_conv1d(path.parent, w, b, dict(PAR=params["PAR"], WEIGHT_W=8, BIAS_W=12))


@cocotb.test()
async def hangs(dut):
    """All frames offered, output always ready: the block must stop for good before the end."""
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    arrays = harness.bench_arrays()
    layout = harness.bench_case()["stream"]
    source, _sink = harness.axis_source(dut), harness.axis_sink(dut)  # the sink keeps m_axis_tready high
    await harness.start(dut)
    for frame in arrays["inputs"]:
        await source.send(harness.axis_frame(harness.frame_to_beats(frame, layout["in_par"], layout["in_w"])))
    out_beats = arrays["expected"].size // layout["out_par"]
    seen = idle = 0
    for _ in range(3000):
        await RisingEdge(dut.clk)
        moved = (dut.s_axis_tvalid.value == 1 and dut.s_axis_tready.value == 1) or \
                (dut.m_axis_tvalid.value == 1 and dut.m_axis_tready.value == 1)
        seen += int(dut.m_axis_tvalid.value == 1 and dut.m_axis_tready.value == 1)
        idle = 0 if moved else idle + 1
    assert seen < out_beats, f"all {out_beats} output beats came out: the block did not deadlock"
    assert idle >= 2500, f"the block still moved {3000 - idle} cycles before the end: not a deadlock"
    dut._log.info("deadlocked after %d of %d output beats", seen, out_beats)


@cocotb.test()
async def runs_as_fast_as_the_main_path(dut):
    """No idle input, no backpressure: frames back to back in at most n_frames x (T + look-ahead)
    x beats per step cycles + a pipeline allowance (the line buffer pads after each frame)."""
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    case, arrays = harness.bench_case(), harness.bench_arrays()
    layout = case["stream"]
    source, _sink = harness.axis_source(dut), harness.axis_sink(dut)  # the sink keeps m_axis_tready high
    await harness.start(dut)
    for frame in arrays["inputs"]:
        await source.send(harness.axis_frame(harness.frame_to_beats(frame, layout["in_par"], layout["in_w"])))
    out_beats = arrays["expected"].size // layout["out_par"]
    first = last = None
    seen = 0
    for cycle in range(5000):
        await RisingEdge(dut.clk)
        if first is None and dut.s_axis_tvalid.value == 1 and dut.s_axis_tready.value == 1:
            first = cycle
        if dut.m_axis_tvalid.value == 1 and dut.m_axis_tready.value == 1:
            seen, last = seen + 1, cycle
            if seen == out_beats:
                break
    assert seen == out_beats, f"{seen} of {out_beats} output beats"
    cycles = last - first + 1
    dut._log.info("%d cycles for %d frames (budget %d)", cycles, len(arrays["inputs"]), case["budget"])
    assert cycles <= case["budget"], f"{cycles} cycles, more than {case['budget']}"


def run_block(main: str, depth: int, tests: list[str], sim: str, extra: dict | None = None):
    params = bench_params(main, depth)
    rng = np.random.default_rng(zlib.crc32(main.encode()))
    x, w, b, expected = make_case(params, rng)
    stream = dict(in_par=params["PAR"], in_w=8, out_par=params["PAR"], out_w=8, out_signed=True, cycles_per_beat=4)
    harness.run(BENCH, params, "test_skip_fifo", sim, case={"stream": stream, **(extra or {})},
                arrays={"inputs": x, "expected": expected}, files={"weights.mem": weight_files(params, w, b)},
                testcase=tests)


@pytest.mark.parametrize("main", sorted(MAINS))
def test_skip_fifo_one_beat_short_deadlocks(main):
    depth = skip_fifo.skip_fifo_depth(path_stages(main), beats_per_step(main), full_rate=False)
    run_block(main, depth - 1, ["hangs"], "icarus")


@pytest.mark.parametrize("main", sorted(MAINS))
def test_skip_fifo_minimum_depth_finishes_bit_exact(main):
    depth = skip_fifo.skip_fifo_depth(path_stages(main), beats_per_step(main), full_rate=False)
    run_block(main, depth, ["frames_full_rate", "frames_idle_and_backpressure"], "icarus")


def test_skip_fifo_full_rate_depth_keeps_the_main_path_rate():
    main = "depthwise"
    stages, g = path_stages(main), beats_per_step(main)
    depth = skip_fifo.skip_fifo_depth(stages, g)
    p = MAINS[main][1]
    budget = N_FRAMES * (p["T"] + stages[0].lookahead) * g + 12
    run_block(main, depth, ["runs_as_fast_as_the_main_path", "frames_idle_and_backpressure"], "verilator",
              extra={"budget": budget})
