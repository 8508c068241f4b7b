"""cocotb tests of a kernel's `sat_lanes` output (requant_relu, and the averaging kernels through it):
a one-cycle pulse, the cycle after a beat is accepted, counting the beat's clipped lanes.

The pytest side passes the case's usual "stream" layout and arrays, plus
`sat_per_beat` (saturation_per_beat: one count per input beat, in stream order) or
`sat_total` (saturation_total: the count over all frames), computed with hwgen.graph.
"""

from __future__ import annotations

import cocotb
import harness
from cocotb.triggers import ClockCycles, RisingEdge


async def _run(dut, on_edge) -> None:
    """Send every frame with idle input and backpressure; call on_edge(sat, accepted) at each clock
    edge with sat_lanes as it stands before the edge and whether a beat is accepted at it."""
    layout, arrays = harness.bench_case()["stream"], harness.bench_arrays()
    source, sink = harness.axis_source(dut), harness.axis_sink(dut)
    source.set_pause_generator(harness.idle_generator(3, 0.3))
    sink.set_pause_generator(harness.backpressure_generator(3, 0.3))
    await harness.start(dut)
    for frame in arrays["inputs"]:
        beats = harness.frame_to_beats(frame.reshape(-1, layout["in_par"]), layout["in_par"], layout["in_w"])
        await source.send(harness.axis_frame(beats))
    n_in = arrays["inputs"].size // layout["in_par"]
    seen = 0
    for _ in range(200 + 16 * n_in * layout.get("cycles_per_beat", 1)):
        await RisingEdge(dut.clk)
        accepted = dut.s_axis_tvalid.value == 1 and dut.s_axis_tready.value == 1
        on_edge(int(dut.sat_lanes.value), accepted)
        seen += accepted
        if seen == n_in and source.empty() and sink.count() == len(arrays["inputs"]):
            break
    await ClockCycles(dut.clk, 40)  # the last beats' pulses, and nothing after them
    for _ in range(40):
        await RisingEdge(dut.clk)
        on_edge(int(dut.sat_lanes.value), False)


@cocotb.test()
async def saturation_per_beat(dut):
    """Every accepted beat's pulse equals the golden count of its clipped lanes; no pulse without a beat."""
    expected = [int(n) for n in harness.bench_arrays()["sat_per_beat"]]
    counts: list[int] = []
    stray: list[int] = []
    previous = [False]

    def on_edge(sat: int, accepted: bool) -> None:
        (counts if previous[0] else stray).append(sat)
        previous[0] = accepted

    await _run(dut, on_edge)
    assert not any(stray), f"sat_lanes pulsed {[s for s in stray if s]} in cycles with no accepted beat"
    assert counts == expected, (f"saturation counts differ from golden at beats "
                                f"{[i for i, (a, b) in enumerate(zip(counts, expected, strict=False)) if a != b][:10]}: "
                                f"got {sum(counts)} in all, expected {sum(expected)} over {len(expected)} beats")


@cocotb.test()
async def saturation_total(dut):
    """The pulses summed every cycle (what a top-level counter does) equal the golden count."""
    expected = int(harness.bench_arrays()["sat_total"])
    total = [0]

    def on_edge(sat: int, accepted: bool) -> None:
        total[0] += sat

    await _run(dut, on_edge)
    assert total[0] == expected, f"sat_lanes summed to {total[0]}, golden count {expected}"
