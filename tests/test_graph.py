"""The integer graph: export, precision inference, the executor, the cost model, saving and loading."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.errors import HwgenError, ModelError, OverflowDetected
from hwgen.graph import execute
from hwgen.graph import layers as gl
from hwgen.graph.layers import QWeights
from hwgen.graph.ops import Fixed
from hwgen.graph.precision import PrecisionPolicy, parse_type

tf = pytest.importorskip("tensorflow")


def tiny_model(time=24, channels=6, n_classes=3, avg_pool=3, seed=0):
    """Every layer type hwgen converts, small: conv, po2 separable, Add, 1-D depthwise (2-D on a
    Reshape; 5 channels: odd, as in hls4ml #1471), Concatenate, a non-power-of-two AveragePooling1D, a signed quantized_bits activation,
    MaxPooling1D, Flatten, dense logits and a final softmax."""
    from qkeras import QActivation, QConv1D, QDense, QDepthwiseConv2D, QSeparableConv1D
    from qkeras.quantizers import quantized_bits, quantized_po2, quantized_relu
    from tensorflow.keras import layers as L

    tf.keras.utils.set_random_seed(seed)
    bias_q = quantized_bits(8, 2, alpha=1)
    inp = L.Input((time, channels), name="x_in")
    x = QActivation(quantized_relu(8, 0), name="in_q")(inp)
    a = QConv1D(5, 3, padding="same", kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=bias_q,
                name="conv")(x)
    a = QActivation(quantized_relu(6, 2), name="conv_relu")(a)
    b = QSeparableConv1D(5, 5, padding="same", depthwise_quantizer=quantized_po2(4, 1),
                         pointwise_quantizer=quantized_po2(4, 1), bias_quantizer=bias_q, name="sep")(a)
    s = L.Add(name="add")([a, b])
    s = QActivation(quantized_relu(8, 3), name="add_relu")(s)
    d = L.Reshape((time, 1, 5), name="dw_to2d")(s)
    d = QDepthwiseConv2D((3, 1), padding="same", depthwise_quantizer=quantized_bits(8, 0, alpha=1),
                         bias_quantizer=bias_q, name="dw")(d)
    d = L.Reshape((time, 5), name="dw_to1d")(d)
    d = QActivation(quantized_relu(8, 3), name="dw_relu")(d)
    c = L.Concatenate(name="cat")([s, d])
    p = L.AveragePooling1D(avg_pool, name="avg")(c)
    p = QActivation(quantized_bits(8, 3, alpha=1), name="avg_q")(p)
    p = L.MaxPooling1D(2, name="max")(p)
    f = L.Flatten(name="flat")(p)
    out = QDense(n_classes, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=bias_q, name="logits")(f)
    out = L.Activation("softmax", name="softmax")(out)
    model = tf.keras.Model(inp, out, name="tiny")
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # non-zero biases so they are exercised
        weights = layer.get_weights()
        if weights and layer.name != "dw":
            weights[-1] = rng.uniform(-0.5, 0.5, weights[-1].shape).astype(np.float32)
            layer.set_weights(weights)
    return model


def graph_for(model, calib, policy=None):
    """The model's typed integer graph (and the precision notes)."""
    from hwgen.graph.precision import infer_precision
    from hwgen.models.export import to_graph

    graph = to_graph(model, classes=[f"c{i}" for i in range(int(model.output_shape[-1]))])
    notes = infer_precision(graph, calib, policy)
    return graph, notes


@pytest.fixture(scope="module")
def tiny():
    model = tiny_model()
    x = np.random.default_rng(1).random((300, 24, 6)).astype(np.float32)
    graph, _ = graph_for(model, x[:100])
    return model, graph, x


def test_po2_products_follow_hls4ml_weight_exponential_bit_for_bit():
    """r_T = ap_fixed<2(We+Wx), We+Wx>: exponents below -(We+Wx-Fx) lose bits; checked per product."""
    rng = np.random.default_rng(0)
    x_type = Fixed(8, 8, signed=False)
    exps = rng.integers(-8, 1, (3, 4, 2))
    sign = rng.choice([-1, 1], (3, 4, 2))
    frac = 8
    w = QWeights(sign * (1 << (exps + frac)), frac, po2_width=4)
    assert not gl.po2_is_exact(x_type, w)  # the truncating case: 8 + 8 > 4 + 8
    x = rng.integers(0, 256, (10, 4))
    acc_type = Fixed(40, gl.product_frac(x_type, w))
    got, n = gl.conv(x, x_type, w, None, acc_type)
    rt_frac = 4 + 8
    want = np.zeros((8, 2), dtype=np.int64)
    for t in range(8):
        for o in range(2):
            for k in range(3):
                for c in range(4):
                    shift = rt_frac - x_type.frac + int(exps[k, c, o])
                    mag = x[t + k, c] << shift if shift >= 0 else x[t + k, c] >> -shift  # floor
                    want[t, o] += (mag if sign[k, c, o] > 0 else -mag) << (acc_type.frac - rt_frac)
    assert n == 0
    np.testing.assert_array_equal(got, want)


def test_average_divides_toward_zero_then_rounds_like_ap_fixed():
    sums = np.array([7, -7, 9])  # on a 0-fractional-bit grid
    acc = Fixed(12, 2)  # two extra fractional bits
    out, n = gl.average(sums, 3, Fixed(8, 0), acc, Fixed(8, 0, rounding="RND_CONV", saturation="SAT"))
    # 7/3 = 2.33 -> 9/4 (truncated on the acc grid) -> 2; -7/3 -> -9/4 -> -2; 9/3 = 3
    np.testing.assert_array_equal(out, [2, -2, 3])
    assert n == 0


def test_golden_agrees_with_keras_on_every_layer_type(tiny):
    from hwgen.models.export import logits_model

    model, graph, x = tiny
    logits = graph.output.out.to_float(execute(graph, x).logits)
    keras = logits_model(model).predict(x, verbose=0)
    agreement = np.mean(logits.argmax(1) == keras.argmax(1))
    assert agreement >= 0.99, agreement
    assert np.abs(logits - keras).max() < 0.25  # same network: differences are a few LSBs of rounding
    assert graph.output.op == "dense"  # the softmax is gone


def test_accumulators_hold_the_worst_case_of_any_in_range_input(tiny):
    _, graph, _ = tiny
    for x in (np.zeros((2, 24, 6)), np.ones((2, 24, 6)), np.random.default_rng(5).random((20, 24, 6))):
        run = execute(graph, x)
        assert not any(run.acc_overflows.values()), run.acc_overflows
    for node in graph.nodes:
        if node.acc is not None:
            lo, hi = node.attrs["bound"]
            assert node.acc.to_float(node.acc.min_int) <= lo and hi <= node.acc.to_float(node.acc.max_int), node.name


def test_the_three_silent_traps_are_impossible_with_defaults():
    from hwgen.models import build

    model = build("shiftcnn", (128, 8), 3, width=0.25, pools=(2, 2, 1))
    x = np.random.default_rng(0).random((64, 128, 8)).astype(np.float32)
    graph, _ = graph_for(model, x[:32])
    by = graph.by_name
    # 1. GAP over 32 steps: the accumulator holds 32 * the largest input, and the mean is exact.
    gap = by["gap"]
    x_in = by[gap.inputs[0]].out
    assert gap.acc.to_float(gap.acc.max_int) >= 32 * x_in.to_float(x_in.max_int)
    run = execute(graph, x)
    values, overflows = run.values, run.overflows
    mean = x_in.to_float(values[gap.inputs[0]]).mean(axis=1)
    assert np.abs(gap.out.to_float(values["gap"]) - mean).max() <= gap.out.lsb / 2
    # 2. po2 layers: accumulators from the exact bound (hls4ml would leave fixed<16,6>).
    for node in graph.nodes:
        if node.kernel is not None and node.kernel.is_po2:
            assert node.acc != Fixed(16, 10) and node.acc.width >= 8
    assert sum(overflows.values()) == 0
    # 3. no softmax: the output is the dense layer's exact accumulator.
    assert graph.output.name == "logits" and graph.output.out == graph.output.acc


def test_a_forced_narrow_accumulator_warns_and_every_wrap_is_counted(tiny):
    model, graph, x = tiny
    frac = graph.by_name["conv"].acc.frac
    narrow = f"ap_fixed<{frac + 2},2>"
    with pytest.warns(UserWarning, match=r"layer 'conv': forced accum .* narrower .*measured range \["):
        forced, notes = graph_for(model, x[:100], PrecisionPolicy(overrides={"conv": {"accum": narrow}}))
    assert forced.by_name["conv"].acc == parse_type(narrow)
    run = execute(forced, x[:20])
    assert run.overflows["conv"] > 0 and run.acc_overflows["conv"] > 0
    with pytest.raises(OverflowDetected, match="layer 'conv' .*wrapped"):
        execute(forced, x[:20], strict=True)


def test_unsupported_layers_are_named_with_the_supported_list():
    from tensorflow.keras import layers as L

    from hwgen.models.export import from_keras

    inp = L.Input((16, 4), name="x_in")
    out = L.LayerNormalization(name="ln")(inp)
    with pytest.raises(ModelError, match=r"layer 'ln' is a LayerNormalization.*supported: .*QConv1D"):
        from_keras(tf.keras.Model(inp, out))


def test_float_weights_are_refused():
    from qkeras import QConv1D
    from tensorflow.keras import layers as L

    from hwgen.models.export import from_keras

    inp = L.Input((16, 4), name="x_in")
    out = QConv1D(4, 3, name="c")(inp)
    with pytest.raises(ModelError, match="layer 'c' has float kernel weights"):
        from_keras(tf.keras.Model(inp, out))


def test_parse_type_reads_hls_spellings():
    assert parse_type("ap_fixed<16,6>") == Fixed(16, 10)
    assert parse_type("ufixed<8,0,RND_CONV,SAT>") == Fixed(8, 8, False, "RND_CONV", "SAT")
    assert parse_type("ap_fixed<12,4,AP_RND,AP_SAT>") == Fixed(12, 8, True, "RND", "SAT")
    with pytest.raises(ModelError, match="not a type like"):
        parse_type("float")


def test_po2_exponent_fields_are_widened_so_shifts_are_exact(tiny):
    from hwgen.graph.layers import po2_is_exact

    model, graph, x = tiny
    po2 = [n for n in graph.nodes if n.kernel is not None and n.kernel.is_po2]
    assert po2 and all(po2_is_exact(graph.by_name[n.inputs[0]].out, n.kernel) for n in po2)
    # the zoo's case: 8-bit all-fractional input, exponents down to 2^-8: ap_int<4> -> ap_int<8>
    from hwgen.graph.precision import _exact_exponent_width

    w = QWeights(np.array([[1, -2], [4, 256]]), 8, po2_width=4)
    assert _exact_exponent_width(w, Fixed(8, 8, signed=False)).po2_width == 8
    assert _exact_exponent_width(w, Fixed(8, 5, signed=False)).po2_width == 5


# ---------------------------------------------------------------- saving, loading, identity


def test_a_saved_graph_reloads_and_reproduces_every_layer_exactly(tiny, tmp_path):
    from hwgen.graph import load, save

    _, graph, x = tiny
    save(graph, tmp_path / "g")
    again = load(tmp_path / "g")
    want, got = execute(graph, x[:40]), execute(again, x[:40])
    for node in graph.nodes:
        np.testing.assert_array_equal(got.values[node.name], want.values[node.name], err_msg=node.name)
    assert again.identity() == graph.identity() and again.classes == graph.classes
    assert [n.out for n in again.nodes] == [n.out for n in graph.nodes]


def test_identity_changes_with_a_weight_or_a_type_but_not_with_metadata(tiny):
    import copy
    from dataclasses import replace

    _, graph, _ = tiny
    other = copy.deepcopy(graph)
    other.meta["source"] = "elsewhere"
    other.nodes[2].attrs["range"] = (0.0, 1.0)
    assert other.identity() == graph.identity()
    node = other.by_name["logits"]
    values = node.kernel.values.copy()
    values[0, 0] += 1
    node.kernel = replace(node.kernel, values=values)
    assert other.identity() != graph.identity()
    typed = copy.deepcopy(graph)
    typed.by_name["logits"].out = Fixed(40, typed.by_name["logits"].out.frac)
    assert typed.identity() != graph.identity()


def _edit(folder, change):
    import json

    path = folder / "graph.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_load_refuses_other_versions_and_files_that_are_not_graphs(tiny, tmp_path):
    from hwgen.graph import load, save

    _, graph, _ = tiny
    save(graph, tmp_path)
    (tmp_path / "junk.json").write_text("[1, 2")
    with pytest.raises(HwgenError, match=r"junk.json: not an hwgen graph"):
        load(tmp_path / "junk.json")
    (tmp_path / "other.json").write_text('{"nodes": []}')
    with pytest.raises(HwgenError, match=r"other.json: not an hwgen graph"):
        load(tmp_path / "other.json")
    _edit(tmp_path, lambda d: d.update(version=99))
    with pytest.raises(HwgenError, match=r"graph.json: graph schema version 99; this hwgen reads version 1"):
        load(tmp_path)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["nodes"][2].update(shape=[25, 5]), r"layer 'conv' \(conv\): output shape \(25, 5\) does not follow"),
    (lambda d: d["nodes"][2].update(op="fft"), r"node 'conv': op 'fft' is not one of"),
    (lambda d: d["nodes"][2]["acc"].update(width=8, frac=4), r"layer 'conv': accumulator .* too narrow|fewer fractional"),
    (lambda d: d["nodes"][2].update(inputs=["nowhere"]), r"node 'conv' reads \['nowhere'\]"),
    (lambda d: d["nodes"][2]["kernel"].update(bits=3), r"layer 'conv': kernel values .* more than its declared 3"),
], ids=["shape", "unknown-op", "narrow-accumulator", "dangling-input", "weights-wider-than-declared"])
def test_a_hand_edited_inconsistent_graph_is_refused_naming_the_node(tiny, tmp_path, edit, message):
    from hwgen.graph import load, save

    _, graph, _ = tiny
    save(graph, tmp_path)
    assert [n["name"] for n in __import__("json").loads((tmp_path / "graph.json").read_text())["nodes"]][2] == "conv"
    _edit(tmp_path, edit)
    with pytest.raises(HwgenError, match=message):
        load(tmp_path)


def test_the_graph_executor_and_hardware_modules_never_import_tensorflow(tiny, tmp_path):
    """Loading a saved graph, running it, and importing the backends' TF-free modules imports no TensorFlow."""
    import subprocess
    import sys

    from hwgen.graph import save

    _, graph, x = tiny
    save(graph, tmp_path / "g")
    np.save(tmp_path / "x.npy", x[:4])
    code = f"""
import sys, numpy as np
from hwgen.graph import load, execute
run = execute(load({str(tmp_path / 'g')!r}), np.load({str(tmp_path / 'x.npy')!r}))
assert run.logits.shape == (4, 3)
import hwgen.rtl, hwgen.rtl.memfile, hwgen.rtl.synth, hwgen.runtime, hwgen.runtime.protocol, hwgen.boards
import hwgen.rtl.lower, hwgen.rtl.fold, hwgen.rtl.emit, hwgen.rtl.sim, hwgen.rtl.flow, hwgen.rtl.graphs
import hwgen.rtl.steps
import hwgen.builder, hwgen.hls.csim, hwgen.hls.bridge, hwgen.run
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'qkeras', 'hls4ml'))
print('IMPORTED', heavy)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "IMPORTED []" in out, out


# ---------------------------------------------------------------- the cost model


def test_the_cost_model_counts_macs_shifts_zeros_and_bits(tiny):
    from hwgen.graph import cost

    _, graph, _ = tiny
    rows = {r["name"]: r for r in cost.graph_cost(graph)["layers"]}
    assert rows["conv"]["macs"] == 24 * 3 * 6 * 5 and rows["conv"]["shift_macs"] == 0
    assert rows["sep_depthwise"]["macs"] == 24 * 5 * 5 == rows["sep_depthwise"]["shift_macs"]
    assert rows["logits"]["macs"] == 40 * 3  # Flatten of (4 steps, 10 channels)
    assert rows["conv"]["weight_bits"] == 3 * 6 * 5 * 6 + 5 * 8  # 6-bit kernel, 8-bit biases
    zeros = int((graph.by_name["conv"].kernel.values == 0).sum())
    assert rows["conv"]["zero_weights"] == zeros and rows["conv"]["nonzero_macs"] == 24 * (90 - zeros)


@pytest.mark.parametrize("name", ["cnn", "dscnn", "shiftcnn", "mobilenet", "ghostnet", "firenet"])
def test_train_metrics_and_the_layer_report_count_with_the_same_cost_model(name):
    """models.summary (metrics.json) reads the graph's cost model; the Keras per-layer count agrees with it."""
    from hwgen import models
    from hwgen.graph import cost
    from hwgen.models.export import to_graph

    model = models.build(name, (32, 16), 3, width=0.25)
    summary = models.summary(model)
    graph_totals = cost.graph_cost(to_graph(model))["totals"]
    assert summary["macs"] == graph_totals["macs"] == models.count_macs(model)
    assert summary["weight_bits"] == graph_totals["weight_bits"] == models.weight_bits(model)
    assert summary["params"] == model.count_params()
