"""Bench for kernels/ctrl_axil.v: every register of hwgen.runtime.protocol.REGISTERS through
cocotbext-axi's AxiLiteMaster, rw1c errors, clear, soft reset, and the counters against a model under
random frame traffic (several frames in flight, more than the start queue holds)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import cocotb
import harness
import pytest

from hwgen.runtime import protocol

KERNEL = "ctrl_axil"
ID = 0x0123456789ABCDEF
GRID = [
    dict(ID=ID, T=256, D=64, N_CLASSES=3, IN_BITS=8, START_QUEUE=4, SOFT_RESET_CYCLES=16, SAT_W=6),
    dict(ID=0xFEDCBA9876543210, T=9, D=5, N_CLASSES=12, IN_BITS=12, START_QUEUE=2, SOFT_RESET_CYCLES=3, SAT_W=31),
]
BAD = [
    (dict(START_QUEUE=0), "START_QUEUE"),
    (dict(T=70000), "T"),
    (dict(N_CLASSES=1), "N_CLASSES"),
]
PULSES = ("frame_start", "frame_done", "short_frame", "long_frame")
MAX32 = 0xFFFFFFFF
PERIOD_NS = 10  # harness.start's clock


def _master(dut):
    from cocotbext.axi import AxiLiteBus, AxiLiteMaster  # noqa: PLC0415

    master = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_ctrl"), dut.clk, dut.rst)
    master.write_if.log.setLevel("WARNING")
    master.read_if.log.setLevel("WARNING")
    return master


async def _start(dut):
    for name in PULSES:
        getattr(dut, name).value = 0
    dut.sat_inc.value = 0
    master = _master(dut)
    await harness.start(dut)
    return master


async def read(master, name: str) -> int:
    return (await master.read_dword(protocol.offset(name)))


async def write(master, name: str, value: int) -> None:
    await master.write_dword(protocol.offset(name), value)


async def pulse(dut, name: str, cycles: int = 1) -> None:
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    getattr(dut, name).value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    getattr(dut, name).value = 0


@cocotb.test()
async def reads_every_register(dut):
    p = harness.bench_case()["params"]
    master = await _start(dut)
    want = {
        "CTRL": 0, "STATUS": 0, "ID_LO": p["ID"] & MAX32, "ID_HI": p["ID"] >> 32, "FRAMES": 0,
        "LAST_CYCLES": 0, "ERRORS": 0, "SATURATIONS": 0, "SHAPE": p["T"] | p["D"] << 16,
        "CLASSES": p["N_CLASSES"] | p["IN_BITS"] << 16 | protocol.PROTOCOL_VERSION << 24, "INTERVAL": 0,
    }
    assert set(want) == set(protocol.REGISTERS), "the bench must read every register of the map"
    for name, value in want.items():
        got = await read(master, name)
        assert got == value, f"{name} reads {got:#x}, expected {value:#x}"
    assert await master.read_dword(0x2C) == 0 and await master.read_dword(0xFFC) == 0  # unmapped


@cocotb.test()
async def errors_are_sticky_and_write_one_to_clear(dut):
    master = await _start(dut)
    await pulse(dut, "short_frame")
    assert await read(master, "ERRORS") == protocol.ERROR_SHORT_FRAME
    assert await read(master, "STATUS") == protocol.STATUS_ERROR
    await pulse(dut, "long_frame")
    assert await read(master, "ERRORS") == protocol.ERROR_SHORT_FRAME | protocol.ERROR_LONG_FRAME
    await master.write(protocol.offset("ERRORS") + 1, b"\x03")    # byte 1 (WSTRB 0010): no flag lives there
    assert await read(master, "ERRORS") == 3
    await write(master, "ERRORS", protocol.ERROR_SHORT_FRAME)
    assert await read(master, "ERRORS") == protocol.ERROR_LONG_FRAME
    await write(master, "ERRORS", protocol.ERROR_LONG_FRAME)
    assert await read(master, "ERRORS") == 0 and await read(master, "STATUS") == 0


@cocotb.test()
async def soft_reset_pulse_zeroes_everything(dut):
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    p = harness.bench_case()["params"]
    master = await _start(dut)
    await pulse(dut, "frame_start")
    await pulse(dut, "frame_done")
    await pulse(dut, "frame_start")           # a frame in flight: busy
    await pulse(dut, "long_frame")
    dut.sat_inc.value = 5
    await RisingEdge(dut.clk)
    dut.sat_inc.value = 0
    assert await read(master, "FRAMES") == 1 and await read(master, "SATURATIONS") == 5
    assert await read(master, "STATUS") == protocol.STATUS_BUSY | protocol.STATUS_ERROR
    high = []

    async def watch():
        for _ in range(p["SOFT_RESET_CYCLES"] + 40):
            await RisingEdge(dut.clk)
            high.append(int(dut.soft_reset.value))
    watcher = cocotb.start_soon(watch())
    await write(master, "CTRL", protocol.CTRL_SOFT_RESET)   # the response must come back
    await watcher
    assert sum(high) == p["SOFT_RESET_CYCLES"], f"soft_reset high {sum(high)} cycles"
    first = high.index(1)
    assert high[first:first + p["SOFT_RESET_CYCLES"]] == [1] * p["SOFT_RESET_CYCLES"], "not one pulse"
    for name in ("CTRL", "STATUS", "FRAMES", "LAST_CYCLES", "ERRORS", "SATURATIONS", "INTERVAL"):
        assert await read(master, name) == 0, f"{name} not zero after the soft reset"


@cocotb.test()
async def clear_keeps_frames_in_flight(dut):
    from cocotb.triggers import ClockCycles, RisingEdge  # noqa: PLC0415

    master = await _start(dut)
    clears = []

    async def watch():
        while True:
            await RisingEdge(dut.clk)
            clears.append(int(dut.clear.value))
    cocotb.start_soon(watch())
    await pulse(dut, "frame_start")
    await pulse(dut, "short_frame")
    await ClockCycles(dut.clk, 9)
    await write(master, "CTRL", protocol.CTRL_CLEAR)
    assert sum(clears) == 1
    assert await read(master, "ERRORS") == 0 and await read(master, "FRAMES") == 0
    assert await read(master, "STATUS") == protocol.STATUS_BUSY       # the frame is still inside
    await pulse(dut, "frame_done")
    frames, cycles = await read(master, "FRAMES"), await read(master, "LAST_CYCLES")
    assert frames == 1 and cycles > 10, (frames, cycles)               # timed from its own start
    assert await read(master, "CTRL") == 0                             # bit 1 reads 0


@dataclass
class Model:
    """What the registers should read, from the pulses the bench drove (cycle numbers of the edges
    at which ctrl_axil sampled them)."""

    queue_depth: int
    frames: int = 0
    last_cycles: int = 0
    interval: int = 0
    saturations: int = 0
    errors: int = 0
    started: int = 0
    finished: int = 0
    prev_start: int | None = None
    queue: list = field(default_factory=list)   # (frame number, start cycle)

    def cycle(self, c: int, start: bool, done: bool, sat: int, short: bool, long: bool) -> None:
        push = start and len(self.queue) < self.queue_depth
        if done:
            if self.queue and self.queue[0][0] == self.finished:
                self.last_cycles = c - self.queue.pop(0)[1] + 1
            else:
                self.last_cycles = 0
            self.finished += 1
            self.frames = min(self.frames + 1, MAX32)
        if start:
            if push:
                self.queue.append((self.started, c))
            if self.prev_start is not None:
                self.interval = c - self.prev_start
            self.prev_start = c
            self.started += 1
        self.saturations = min(self.saturations + sat, MAX32)
        self.errors |= int(short) | int(long) << 1

    def registers(self) -> dict[str, int]:
        busy = int(self.started != self.finished)
        return dict(FRAMES=self.frames, LAST_CYCLES=self.last_cycles, INTERVAL=self.interval,
                    SATURATIONS=self.saturations, ERRORS=self.errors,
                    STATUS=busy * protocol.STATUS_BUSY | int(self.errors != 0) * protocol.STATUS_ERROR)


@cocotb.test()
async def counts_under_random_traffic(dut):
    """Phases of random traffic (up to START_QUEUE + 2 frames in flight, so some start times are
    dropped when the queue is small), each followed by reading every counter; a clear in between."""
    from cocotb.triggers import RisingEdge  # noqa: PLC0415
    from cocotb.utils import get_sim_time  # noqa: PLC0415

    p = harness.bench_case()["params"]
    master = await _start(dut)
    model = Model(p["START_QUEUE"])
    rng = random.Random(p["START_QUEUE"])
    drops = 0
    timed_checks = untimed_checks = 0
    for phase in range(12):
        for _ in range(150):
            in_flight = model.started - model.finished
            start = in_flight < p["START_QUEUE"] + 2 and rng.random() < 0.05
            done = in_flight > 0 and rng.random() < 0.04
            sat = rng.randrange(1 << min(p["SAT_W"], 4)) if rng.random() < 0.2 else 0
            short, long = rng.random() < 0.003, rng.random() < 0.003
            for name, value in zip(PULSES, (start, done, short, long), strict=True):
                getattr(dut, name).value = int(value)
            dut.sat_inc.value = sat
            await RisingEdge(dut.clk)
            cycle = round(get_sim_time(unit="ns") / PERIOD_NS)   # the edge that sampled the pulses
            drops += int(start and len(model.queue) >= model.queue_depth)
            model.cycle(cycle, start, done, sat, short, long)
        for name in PULSES:
            getattr(dut, name).value = 0
        dut.sat_inc.value = 0
        for name, value in model.registers().items():
            got = await read(master, name)
            assert got == value, f"phase {phase}: {name} reads {got}, the model says {value}"
        timed_checks += int(model.last_cycles > 0)
        untimed_checks += int(model.last_cycles == 0 and model.finished > 0)
        if phase == 5:
            await write(master, "CTRL", protocol.CTRL_CLEAR)
            model.frames = model.last_cycles = model.interval = model.saturations = model.errors = 0
    dut._log.info("%d frames, %d start times dropped (queue %d); LAST_CYCLES checked %d times timed, %d untimed",
                  model.finished, drops, p["START_QUEUE"], timed_checks, untimed_checks)
    assert model.finished > 40 and timed_checks >= 6, (model.finished, timed_checks)
    if p["START_QUEUE"] < 4:
        assert drops > 0 and untimed_checks > 0, "the traffic never overflowed the start queue"


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_ctrl_axil(params, sim):
    harness.run(KERNEL, params, "test_ctrl_axil", sim)


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_ctrl_axil_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log
