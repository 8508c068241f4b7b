"""The cocotb tests every streaming kernel's bench runs; each sim/test_<kernel>.py imports the ones
that apply to its kernel. The data and golden outputs come from the files the pytest side writes
for each case (see `harness.run`), so the same tests serve every kernel."""

import cocotb
import harness


@cocotb.test()
async def frames_full_rate(dut):
    await harness.check_frames(dut)


@cocotb.test()
async def full_throughput(dut):
    await harness.check_full_throughput(dut)


@cocotb.test()
async def frames_idle_and_backpressure(dut):
    await harness.check_frames(dut, idle=0.3, stall=0.3)


@cocotb.test()
async def reset_mid_frame(dut):
    await harness.check_reset_mid_frame(dut)


@cocotb.test()
async def short_frame_resync(dut):
    await harness.check_short_frame_resync(dut)
