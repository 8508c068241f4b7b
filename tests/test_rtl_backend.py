"""The RTL backend without a simulator: lowering, folding, refusals, the generated top and its manifest.

Everything here is numpy (random integer graphs from hwgen.rtl.graphs), so it runs in seconds."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from hwgen.boards import get
from hwgen.errors import HwgenError, ModelError
from hwgen.graph import Node, ops
from hwgen.rtl import emit, flow, fold, graphs, lower


@pytest.fixture(scope="module")
def residual_graph():
    return graphs.random_graph(np.random.default_rng(3), blocks=["residual", "concat"])


def test_generated_top_names_layers_and_carries_the_identity(tmp_path, residual_graph):
    manifest = flow.generate(residual_graph, tmp_path / "rtl")
    top = (tmp_path / "rtl" / "hwgen_accel.v").read_text()
    assert "module hwgen_accel (" in top
    assert f"64'h{residual_graph.identity():016x}" in top
    for node in residual_graph.nodes[1:]:
        if node.op not in ("reshape",) and lower.foldable(node):
            assert re.search(rf"\bu_{node.name}\w* \(", top) or node.op == "relu", node.name
    for port in ("ap_clk", "ap_rst_n", "s_axis_tdata", "m_axis_tlast", "s_axi_ctrl_rready"):
        assert port in top
    listed = [ln for ln in (tmp_path / "rtl" / "filelist.f").read_text().splitlines() if not ln.startswith("#")]
    assert listed[0] == "hwgen_accel.v" and all((tmp_path / "rtl" / f).is_file() for f in listed)
    assert "axis_fork.v" in listed and "axis_add.v" in listed and "axis_concat.v" in listed
    saved = json.loads((tmp_path / "rtl" / "rtl.json").read_text())
    assert saved["identity"] == f"{residual_graph.identity():016x}" == manifest["identity"]
    fifos = [k for layer in saved["layers"] for k in layer["kernels"] if k["kernel"] == "axis_fifo"]
    assert fifos and any(k["fifo_depth"] > 0 for k in fifos), "a residual and a concat need skip FIFOs"
    assert all(layer["predicted_cycles"] <= saved["cycles"]["ii"] for layer in saved["layers"])


def test_folding_meets_the_target_and_a_slower_target_costs_less():
    graph = graphs.random_graph(np.random.default_rng(5), steps=32, channels=8, blocks=["conv", "separable"])
    fast, fast_rec = flow.plan(graph, target_ii=64)
    slow, slow_rec = flow.plan(graph, target_ii=1024)
    assert fast_rec["cycles"]["ii"] <= 64 * 1.0 + 8 or fast_rec["cycles"]["bottleneck"] == "frame_in"
    assert slow_rec["cycles"]["ii"] > fast_rec["cycles"]["ii"]
    products = [sum(i.products for i in d.instances) for d in (fast, slow)]
    assert products[1] < products[0]


def test_fold_by_hand_is_kept_and_checked():
    graph = graphs.random_graph(np.random.default_rng(6), steps=16, channels=4, blocks=["conv"])
    conv = next(n for n in graph.nodes if n.op == "conv")
    cout = conv.shape[-1]
    design, record = flow.plan(graph, fold_spec={conv.name: [cout, 4]})
    inst = design.instance(conv.name)
    assert (inst.params["OUT_PAR"], inst.params["IN_PAR"]) == (cout, 4)
    assert record["folding"][conv.name] == {"simd": 4, "pe": cout, "by_hand": True}
    with pytest.raises(HwgenError, match=rf"--fold {conv.name}=3,4: PE must divide"):
        flow.plan(graph, fold_spec={conv.name: [3, 4]})
    with pytest.raises(HwgenError, match="--fold nope: no such layer"):
        flow.plan(graph, fold_spec={"nope": [1, 1]})


def test_unsupported_layers_are_refused_by_name():
    graph = graphs.random_graph(np.random.default_rng(7), steps=12, channels=4, blocks=["pool"])
    pool = next(n for n in graph.nodes if n.op == "maxpool")
    pool.attrs["stride"] = 1
    with pytest.raises(ModelError, match=rf"layer '{pool.name}' \(maxpool\): stride 1 with pool .* supported"):
        flow.plan(graph)
    graph = graphs.random_graph(np.random.default_rng(8), blocks=["conv"])
    conv = next(n for n in graph.nodes if n.op == "conv")
    conv.acc = type(conv.acc)(conv.acc.width - 4, conv.acc.frac)
    with pytest.raises(ModelError, match=rf"layer '{conv.name}': accumulator .* narrower than exact"):
        flow.plan(graph)


def test_signed_input_and_wide_logits_are_refused():
    graph = graphs.random_graph(np.random.default_rng(9), blocks=["conv"])
    graph.input.out = type(graph.input.out)(8, 7, True)
    with pytest.raises(ModelError, match="input is unsigned"):
        lower.check_graph(graph)


def test_default_target_follows_the_input_stream():
    graph = graphs.random_graph(np.random.default_rng(10), steps=64, channels=16, blocks=["separable"])
    _, record = flow.plan(graph, data_width=64)
    assert record["stream_ii"] == 64 * 16 // 8
    assert record["target_ii"] == int(record["stream_ii"] * flow.DEFAULT_SLACK)
    _, narrow = flow.plan(graph, data_width=32)
    assert narrow["stream_ii"] == 2 * record["stream_ii"]


def test_target_fps_sets_the_target_from_the_board_clock():
    graph = graphs.random_graph(np.random.default_rng(11), steps=32, channels=8, blocks=["conv"])
    board = get("pynq-z2")
    _, record = flow.plan(graph, board=board, target_fps=board.clock_mhz * 1e6 / 500)
    assert record["target_ii"] == 500


def test_conv_cycle_rule_is_the_benches_rule():
    params = dict(T=16, K=3, STRIDE=2, PADDING="same", CH_IN=8, CH_OUT=4, IN_PAR=2, OUT_PAR=2)
    bounds = fold.conv_engine_frame_cycles(params)
    # TensorFlow pads 0 before and 1 after (16 steps, k 3, stride 2): 17 rows of 4 input groups
    assert bounds["steps"] == 8 and bounds["input"] == 17 * 4 and bounds["issue"] == 8 * 4 * 2


def test_manifest_records_folding_fifo_depths_and_cycles(tmp_path):
    graph = graphs.random_graph(np.random.default_rng(12), blocks=["concat"])
    manifest = flow.generate(graph, tmp_path / "rtl")
    for layer in manifest["layers"]:
        assert set(layer) >= {"layer", "op", "fold", "kernels", "predicted_cycles"}
        for k in layer["kernels"]:
            assert k["instance"].startswith("u_") and "params" in k
    assert manifest["cycles"]["ii"] >= manifest["cycles"]["frame_in"]


def test_dead_branch_is_refused():
    graph = graphs.random_graph(np.random.default_rng(13), blocks=["conv"])
    relu = next(n for n in graph.nodes if n.op == "relu")
    extra = Node("orphan", "relu", [relu.name], relu.shape, attrs=dict(relu.attrs), acc=None, out=relu.out)
    graph.nodes.insert(graph.nodes.index(relu) + 1, extra)
    graph.by_name[extra.name] = extra
    with pytest.raises(ModelError, match="'orphan': its result is read by no layer"):
        flow.plan(graph)


def test_emit_sources_come_from_the_file_lists(residual_graph):
    design, _ = flow.plan(residual_graph)
    names = [p.name for p in emit.sources(design)]
    assert names[0] == "accel_shell.v" and len(names) == len(set(names))
    assert "frame_in.v" in names and "ctrl_axil.v" in names and "requant_relu.v" in names


def test_cli_fold_option_parses_and_refuses_junk():
    from hwgen.cli.build import folds

    assert folds(["b1_pointwise=16,8", "pool1=4"]) == {"b1_pointwise": [16, 8], "pool1": [4]}
    for bad in ("b1", "b1=0,2", "b1=a,b", "=4", "b1=1,2,3"):
        with pytest.raises(HwgenError, match="--fold"):
            folds([bad])


def test_sim_rtl_on_a_folder_without_a_design_is_one_line(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "hwgen", "sim", "rtl", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "not a hwgen build folder" in r.stderr + r.stdout


def small_dsp_board(dsp: int):
    """A part with plenty of LUTs and only `dsp` DSP48s (the folder reads resources only)."""
    from types import SimpleNamespace

    return SimpleNamespace(name="tiny-dsp", part="x", clock_mhz=100.0,
                           resources={"lut": 10**6, "ff": 10**6, "dsp": dsp, "bram18": 100})


def test_multipliers_move_to_luts_where_the_dsps_run_out():
    graph = graphs.random_graph(np.random.default_rng(31), steps=16, channels=8, blocks=["conv", "separable"])
    design, free = flow.plan(graph, target_ii=32)
    need = free["resources_estimate"]["total"]["DSP48E1"]
    assert need > 8 and not any(f.get("lut_multipliers") for f in free["folding"].values())
    design, tight = flow.plan(graph, target_ii=32, board=small_dsp_board(need - 4))
    moved = [name for name, f in tight["folding"].items() if f.get("lut_multipliers")]
    assert moved and not tight["relaxed"], "a DSP shortfall costs LUTs before it costs cycles"
    assert tight["resources_estimate"]["total"]["DSP48E1"] <= need - 4
    assert tight["cycles"]["ii"] == free["cycles"]["ii"]
    for name in moved:
        assert {i.params.get("PRODUCT") for i in design.by_layer(name) if i.products} == {"lut"}


def test_casts_and_pools_after_a_wide_layer_take_fewer_lanes():
    """A ReLU after a pointwise layer with PE lanes sees one beat per G_IN cycles: it takes the fewest
    lanes that keep it at most half busy (an axis_lanes with a registered scatter in front)."""
    graph = graphs.random_graph(np.random.default_rng(32), steps=32, channels=8, blocks=["separable"])
    pointwise = next(n for n in graph.nodes if n.op == "conv")
    relu = next(n for n in graph.nodes if n.inputs == [pointwise.name])
    design, record = flow.plan(graph, fold_spec={pointwise.name: [pointwise.shape[-1], 1]}, target_ii=4096)
    assert record["folding"][relu.name]["simd"] < pointwise.shape[-1]
    lanes = [i for i in design.by_layer(relu.name) if i.kernel == "axis_lanes"]
    assert lanes and lanes[0].params["HOLD"] == 1
    beats = pointwise.shape[0] * pointwise.shape[-1] // record["folding"][relu.name]["simd"]
    assert beats <= 4096 // 2


def test_a_same_window_gets_a_fifo_for_its_trailing_rows():
    graph = graphs.random_graph(np.random.default_rng(33), steps=32, channels=8, blocks=["separable"])
    design, _ = flow.plan(graph)
    dw = next(n for n in graph.nodes if n.op == "depthwise")
    k = dw.kernel.values.shape[0]
    assert k > 1, "the seed should draw a window with trailing rows"
    fifos = [i for i in design.by_layer(dw.name) if i.kernel == "axis_fifo"]
    inst = design.instance(dw.name)
    after = ops.same_padding(inst.params["T"], k, 1)[1]
    assert len(fifos) == 1 and fifos[0].params["DEPTH"] >= after * inst.params["CH"] // inst.params["PAR"]
    assert fifos[0].outputs[0] is inst.inputs[0]
