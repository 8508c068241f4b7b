"""Whole designs on Verilator (through hwgen/rtl/harness.cpp and ctypes): every logit bit of every frame
equals the integer graph's; random input gaps and output backpressure change nothing; the registers
read back what the frames did; folding changes cycles only. A hypothesis test draws random graphs.

Each design is compiled once per session into sim_build/rtlsim (keyed by its Verilog sources)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.graph import execute
from hwgen.paths import REPO_ROOT
from hwgen.rtl import flow, graphs, sim

CACHE = REPO_ROOT / "sim_build" / "rtlsim"

pytestmark = pytest.mark.skipif(sim.verilator_bin() is None, reason="verilator is not installed")


def run(graph, folder: Path, x, **kw) -> dict:
    flow.generate(graph, folder / "rtl", **{k: v for k, v in kw.items() if k in ("fold_spec", "target_ii")})
    sim_kw = {k: v for k, v in kw.items() if k in ("idle", "stall", "seed")}
    return flow.simulate(graph, folder / "rtl", x, out_dir=CACHE, prune=False, **sim_kw)


@pytest.fixture(scope="module")
def every_block():
    """conv with a stride, separable, pools, a residual add and a concatenation, 6-bit."""
    rng = np.random.default_rng(21)
    graph = graphs.random_graph(rng, steps=16, channels=4, bits=6,
                                blocks=["conv", "residual", "concat", "avgpool", "separable"])
    return graph, rng.random((10,) + graph.input_shape)


def test_every_block_bit_exact_under_gaps_and_backpressure(tmp_path, every_block):
    graph, x = every_block
    record = run(graph, tmp_path, x, idle=0.3, stall=0.3, seed=5)
    flow.check_simulation(record, "every_block")
    assert record["bit_exact"] and record["frames"] == len(x)
    regs = record["registers"]
    assert regs["FRAMES"] == len(x) and regs["ERRORS"] == 0 and regs["STATUS"] == 0
    assert (regs["ID_HI"] << 32 | regs["ID_LO"]) == graph.identity()
    assert regs["SATURATIONS"] == sum(execute(graph, x).overflows.values())
    assert regs["INTERVAL"] > 0  # LAST_CYCLES reads 0 when backpressure keeps > 4 frames in flight (protocol)


def test_registers_time_each_frame(tmp_path, every_block):
    """One frame at a time: LAST_CYCLES is the measured latency (first input to last output beat) and
    INTERVAL the measured distance between the last two frames' first input beats."""
    graph, x = every_block
    flow.generate(graph, tmp_path / "rtl")
    record = flow.simulate(graph, tmp_path / "rtl", x[:3], out_dir=CACHE, prune=False, batch=1)
    regs, lat = record["registers"], record["latency_cycles"]
    assert record["bit_exact"]
    assert lat["min"] <= regs["LAST_CYCLES"] <= lat["max"] and regs["LAST_CYCLES"] > 0
    assert regs["INTERVAL"] == record["interval_cycles"]["max"] or regs["INTERVAL"] >= lat["min"]


def test_back_to_back_interval_is_the_predicted_ii(tmp_path, every_block):
    """Streaming back to back, frames start every II cycles: the slowest kernel's frame as fold.py predicts
    it, within a few cycles (more frames are in flight than LAST_CYCLES times: it reads 0, as specified)."""
    graph, x = every_block
    record = run(graph, tmp_path, x)
    ii = record["interval_cycles"]
    assert abs(ii["median"] - record["predicted"]["ii"]) <= max(2, 0.03 * record["predicted"]["ii"])


def test_separable_blocks_keep_the_predicted_ii(tmp_path):
    """The demo models' shape (separable, pool, separable): every 'same' window's trailing rows are
    absorbed by the FIFO before it and the ReLUs after the pointwise layers take fewer lanes behind a
    registered scatter, so the interval is the slowest kernel's frame."""
    rng = np.random.default_rng(40)
    graph = graphs.random_graph(rng, steps=64, channels=16, blocks=["separable", "pool", "separable"])
    x = rng.random((10,) + graph.input_shape)
    record = run(graph, tmp_path, x)
    assert record["bit_exact"]
    assert abs(record["interval_cycles"]["median"] - record["predicted"]["ii"]) <= max(2, 0.03 * record["predicted"]["ii"])


def test_folding_changes_cycles_never_results(tmp_path):
    rng = np.random.default_rng(22)
    graph = graphs.random_graph(rng, steps=24, channels=8, blocks=["conv", "separable"])
    x = rng.random((6,) + graph.input_shape)
    fast = run(graph, tmp_path / "fast", x, target_ii=24)
    slow = run(graph, tmp_path / "slow", x, target_ii=400)
    assert fast["bit_exact"] and slow["bit_exact"]
    assert slow["interval_cycles"]["median"] > 2 * fast["interval_cycles"]["median"]


def test_multipliers_in_luts_are_bit_exact(tmp_path):
    """A part short of DSP48s: the folder moves layers' multipliers into LUTs (PRODUCT "lut"); same logits."""
    from types import SimpleNamespace

    rng = np.random.default_rng(24)
    graph = graphs.random_graph(rng, steps=12, channels=4, blocks=["conv", "separable"])
    tiny = SimpleNamespace(name="tiny-dsp", part="x", clock_mhz=100.0,
                           resources={"lut": 10**6, "ff": 10**6, "dsp": 2, "bram18": 100})
    manifest = flow.generate(graph, tmp_path / "rtl", target_ii=24, board=tiny)
    products = {k["params"].get("PRODUCT") for layer in manifest["layers"] for k in layer["kernels"]
                if k["products_per_cycle"]}
    assert "lut" in products
    x = rng.random((5,) + graph.input_shape)
    record = flow.simulate(graph, tmp_path / "rtl", x, out_dir=CACHE, prune=False, idle=0.2, stall=0.2, seed=3)
    flow.check_simulation(record, "lut multipliers")
    assert record["bit_exact"]


def test_a_wrong_expectation_is_reported_with_the_sample(tmp_path):
    rng = np.random.default_rng(23)
    graph = graphs.random_graph(rng, blocks=["conv"])
    x = rng.random((3,) + graph.input_shape)
    expected = execute(graph, x).logits.copy()
    expected[1, 0] += 1
    flow.generate(graph, tmp_path / "rtl")
    record = flow.simulate(graph, tmp_path / "rtl", x, expected, out_dir=CACHE, prune=False)
    assert record["mismatched_frames"] == 1 and record["first_mismatch"]["sample"] == 1
    with pytest.raises(HwgenError, match="differs from the integer graph on 1 of 3 frames; first: sample 1"):
        flow.check_simulation(record, "x")


@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), bits=st.sampled_from([4, 6, 8]), po2=st.booleans(),
       blocks=st.lists(st.sampled_from(graphs.BLOCKS), min_size=1, max_size=3),
       steps=st.sampled_from([8, 12, 15]), channels=st.sampled_from([2, 4, 6]))
def test_random_graphs_rtl_equals_golden(tmp_path_factory, seed, bits, po2, blocks, steps, channels):
    rng = np.random.default_rng(seed)
    graph = graphs.random_graph(rng, steps=steps, channels=channels, bits=bits, po2=po2, blocks=blocks)
    x = rng.random((5,) + graph.input_shape)
    record = run(graph, tmp_path_factory.mktemp("rand"), x, idle=0.2, stall=0.2, seed=seed)
    flow.check_simulation(record, f"blocks {blocks}, {bits} bits, po2 {po2}")


def test_too_big_for_the_part_is_refused(tmp_path, monkeypatch):
    """step_synth counts with yosys and refuses a design beyond the board's part, with the numbers
    (here a pynq-z2 with 50 LUTs: one yosys run on the smallest design)."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys is not installed")
    import json

    from rich.console import Console

    from hwgen import boards
    from hwgen.rtl import steps

    graph = graphs.random_graph(np.random.default_rng(24), steps=8, channels=2, blocks=["conv"])
    flow.generate(graph, tmp_path / "rtl")
    board = boards.get("pynq-z2")
    tiny = replace(board, resources={**board.resources, "lut": 50, "dsp": 0})  # a part without DSP48s too

    class FakeBuild:
        out = tmp_path
        rtl_dir = tmp_path / "rtl"
        console = Console(quiet=True)

        def status(self, text):
            pass

    monkeypatch.setattr(boards, "get", lambda name: tiny)
    cfg = type("Cfg", (), {"board": "pynq-z2"})()
    with pytest.raises(HwgenError, match=r"does not fit xc7z020clg400-1 \(pynq-z2\): LUT [\d,]+ > 50, DSP \d+ > 0"):
        steps.step_synth(FakeBuild(), cfg)
    record = json.loads((tmp_path / "rtl" / "synth.json").read_text())
    assert record["counts"]["LUT"] > 50 and not record["fits"] and record["fraction"]["lut"] > 1
    assert record["counts"]["DSP48E1"] > 0  # integer weights: the conv's products are DSP48s
    assert record["fraction"]["dsp"] is None and record["fraction"]["bram18"] == 0.0  # no share of nothing
