"""Bring your own model: the QKeras features hls4ml users expect, converted exactly or refused in one line.

One hand-written model (`own_model`) carries every feature: BatchNormalization after a QConv1D and
after a QDense (folded), an activation given inside a QConv1D, a per-channel power-of-two scale
(alpha='auto_po2') and alpha=None. It is exported, converted and C-simulated ONCE (`_built`, one g++
compile) and every test below reads that build.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("hls4ml")

from hwgen.errors import ModelError  # noqa: E402

SHAPE = (32, 16)


def own_model(seed=0, *, po2_alpha="auto_po2"):
    """A hand-written QKeras model with the features users bring (no hwgen zoo block)."""
    from qkeras import QActivation, QConv1D, QDense
    from qkeras.quantizers import quantized_bits, quantized_relu
    from tensorflow.keras import layers as L

    tf.keras.utils.set_random_seed(seed)
    inp = L.Input(SHAPE, name="x_in")
    x = QActivation(quantized_relu(8, 0), name="in_q")(inp)
    x = QConv1D(8, 5, padding="same", kernel_quantizer=quantized_bits(8, 0, alpha=1), use_bias=False, name="c1")(x)
    x = L.BatchNormalization(name="c1_bn")(x)
    x = QActivation(quantized_relu(8, 3), name="c1_relu")(x)
    x = QConv1D(8, 3, kernel_quantizer=quantized_bits(6, 0, alpha=po2_alpha),
                bias_quantizer=quantized_bits(8, 2, alpha=1), activation=quantized_relu(8, 3), name="c2")(x)
    x = L.MaxPooling1D(2, name="pool")(x)
    x = QConv1D(8, 3, kernel_quantizer=quantized_bits(8, 0), bias_quantizer=quantized_bits(8, 2), name="c3")(x)
    x = QActivation(quantized_relu(8, 3), name="c3_relu")(x)
    x = L.GlobalAveragePooling1D(name="gap")(x)
    x = QDense(12, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
               name="d1")(x)
    x = L.BatchNormalization(name="d1_bn")(x)
    x = QActivation(quantized_relu(8, 3), name="d1_relu")(x)
    x = QDense(3, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
               name="logits")(x)
    out = L.Activation("softmax", name="softmax")(x)
    model = tf.keras.Model(inp, out, name="own")
    rng = np.random.default_rng(seed)
    for bn in ("c1_bn", "d1_bn"):  # statistics a trained model would have, not the identity
        n = model.get_layer(bn).gamma.shape[0]
        model.get_layer(bn).set_weights([rng.uniform(0.5, 2.0, n), rng.uniform(-0.3, 0.3, n),
                                         rng.uniform(-0.2, 0.2, n), rng.uniform(0.05, 1.0, n)])
    return model


def _data(n, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n,) + SHAPE).astype(np.float32), rng.integers(0, 3, n)


def _inputs_file(path: Path, x, y) -> str:
    np.savez(path, x=x, y=y, classes=np.array(["a", "b", "c"]), index=np.arange(len(x)))
    return str(path)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("own"))


@lru_cache(maxsize=None)
def _built(root: str):
    """The own model exported, converted and C-simulated once."""
    from hwgen.builder import BuildConfig, run_build
    from hwgen.builder.core import open_build

    folder = Path(root)
    own_model().save(folder / "own.h5", include_optimizer=False)
    cfg = BuildConfig(out=str(folder / "build"), source=str(folder / "own.h5"),
                      calib=_inputs_file(folder / "calib.npz", *_data(100, 1)),
                      verify_data=_inputs_file(folder / "verify.npz", *_data(100, 2)))
    records = run_build(cfg, stop="csim")
    return open_build(cfg.out), records


def _project_layers(build) -> set[str]:
    """The layers of the written hls4ml project (each nnet:: call is commented with its layer's name)."""
    text = (build.hls_dir / "hls4ml_prj" / "firmware" / "hwgen_net.cpp").read_text()
    return set(re.findall(r"nnet::\w+<.*; // (\w+)$", text, flags=re.M))


# ------------------------------------------------------------------ BatchNormalization


def test_batchnorm_after_qconv1d_and_qdense_is_folded_and_bit_exact_in_csim(root):
    build, records = _built(root)
    graph = build.graph
    assert "c1_bn" not in graph.by_name and "d1_bn" not in graph.by_name
    assert graph.by_name["c1"].attrs["folded"] == "c1_bn" and graph.by_name["d1"].attrs["folded"] == "d1_bn"
    assert graph.by_name["c1"].bias is not None  # use_bias=False: the fold gives it the BN's shift
    csim = records["step_csim"]
    assert csim["n_samples"] == 100 and csim["golden_vs_csim_mismatches"] == 0
    # hls4ml converts the derived model: no BatchNormalization layer is left for it to keep in float types
    layers = _project_layers(build)
    assert {"c1", "d1", "c2_quantized_relu"} <= layers and not {"c1_bn", "d1_bn"} & layers
    export = records["step_export"]
    assert export["keras_vs_graph_argmax_agreement"] >= 0.99  # measured against the user's own model
    assert export["keras_vs_graph_within_tolerance"] is True


def test_folded_weights_are_requantized_to_the_stated_width_and_close_to_the_float_fold():
    from hwgen.models.export import to_graph

    model = own_model()
    graph = to_graph(model)
    bn = model.get_layer("c1_bn")
    gamma, beta, mean, var = (np.asarray(w, np.float64) for w in bn.get_weights())
    scale = gamma / np.sqrt(var + bn.epsilon)
    kernel = np.asarray(model.get_layer("c1").kernel_quantizer_internal(model.get_layer("c1").kernel), np.float64)
    node = graph.by_name["c1"]
    folded = node.kernel.values * 2.0**-node.kernel.frac
    assert node.attrs["fold_bits"] == 12  # the kernel's 8 bits + 4
    lsb = 2.0**-node.kernel.frac
    assert np.abs(folded - kernel * scale).max() <= lsb / 2
    assert np.abs(kernel * scale).max() >= 2.0 ** (12 - 2) * lsb  # 12 significant bits are used
    bias = node.bias.values * 2.0**-node.bias.frac
    assert np.abs(bias - (beta - scale * mean)).max() <= 2.0**-node.bias.frac / 2


def test_batchnorm_that_cannot_be_folded_is_refused_with_what_to_do():
    from qkeras import QActivation, QConv1D
    from qkeras.quantizers import quantized_bits, quantized_relu
    from tensorflow.keras import layers as L

    from hwgen.models.export import from_keras

    inp = L.Input(SHAPE, name="x_in")
    x = QConv1D(4, 3, kernel_quantizer=quantized_bits(8, 0, alpha=1), use_bias=False, name="c")(inp)
    x = QActivation(quantized_relu(8, 3), name="r")(x)
    x = L.BatchNormalization(name="bn")(x)
    with pytest.raises(ModelError, match=r"BatchNormalization 'bn' follows 'r' \(relu\); hwgen folds a "
                                         r"BatchNormalization into the QConv1D.*directly before it"):
        from_keras(tf.keras.Model(inp, x))


def test_batchnorm_after_a_separable_conv_folds_into_its_pointwise_half_and_hls4ml_gets_the_same_weights():
    from qkeras import QActivation, QSeparableConv1D
    from qkeras.quantizers import quantized_bits, quantized_relu
    from tensorflow.keras import layers as L

    from hwgen.graph import execute
    from hwgen.graph.precision import infer_precision
    from hwgen.models.export import for_hls4ml, logits_model, to_graph

    tf.keras.utils.set_random_seed(1)
    inp = L.Input(SHAPE, name="x_in")
    x = QActivation(quantized_relu(8, 0), name="in_q")(inp)
    x = QSeparableConv1D(8, 5, depthwise_quantizer=quantized_bits(8, 0, alpha=1),
                         pointwise_quantizer=quantized_bits(8, 0, alpha=1), use_bias=False, name="sep")(x)
    x = L.BatchNormalization(name="sep_bn")(x)
    x = QActivation(quantized_relu(8, 3), name="r")(x)
    x = L.GlobalAveragePooling1D(name="gap")(x)
    model = tf.keras.Model(inp, x)
    bn = model.get_layer("sep_bn")
    bn.set_weights([np.linspace(0.5, 2, 8), np.linspace(-0.3, 0.3, 8), np.linspace(-0.1, 0.1, 8), np.full(8, 0.2)])
    graph = to_graph(model)
    assert graph.by_name["sep_pointwise"].attrs["folded"] == "sep_bn" and "folded" not in graph.by_name["sep_depthwise"].attrs
    derived = for_hls4ml(model, graph)
    assert "sep_bn" not in [layer.name for layer in derived.layers]
    node = graph.by_name["sep_pointwise"]
    pointwise = derived.get_layer("sep").pointwise_kernel.numpy().reshape(node.kernel.values.shape)
    np.testing.assert_array_equal(pointwise.astype(np.float64) * 2.0**node.kernel.frac, node.kernel.values)
    x, _ = _data(64, 6)
    infer_precision(graph, x)
    got = graph.output.out.to_float(execute(graph, x).logits)
    for keras in (model, derived):  # the user's model (float BN) and hls4ml's (folded weights)
        want = logits_model(keras).predict(x, verbose=0)
        assert np.abs(got - want).max() <= 0.05 * (want.max() - want.min())


def test_a_sequential_model_converts_like_the_same_functional_model():
    from hwgen.models.export import for_hls4ml, to_graph

    functional = own_model()
    sequential = tf.keras.Sequential([tf.keras.Input(SHAPE)] + [layer for layer in functional.layers[1:]])
    a, b = to_graph(functional), to_graph(sequential)
    assert [n.name for n in a.nodes[1:]] == [n.name for n in b.nodes[1:]]
    assert all(np.array_equal(p.kernel.values, q.kernel.values)
               for p, q in zip(a.nodes, b.nodes, strict=True) if p.kernel is not None)
    assert "c1_bn" not in [layer.name for layer in for_hls4ml(sequential, b).layers]


# ------------------------------------------------------------------ activation inside a layer


def test_an_activation_inside_a_qconv1d_is_a_node_named_as_hls4ml_names_it(root):
    build, records = _built(root)
    graph = build.graph
    node = graph.by_name["c2_quantized_relu"]  # hls4ml's name: <layer>_<quantizer class>
    assert node.op == "relu" and node.inputs == ["c2"] and node.out.hls() == "ap_ufixed<8,3,AP_RND_CONV,AP_SAT>"
    assert graph.by_name["c2"].out == graph.by_name["c2"].acc  # the one rounding is the quantizer's
    hls = json.loads((build.hls_dir / "hls.json").read_text())["hls_config"]["LayerName"]
    assert hls["c2_quantized_relu"]["Precision"]["result"] == node.out.hls()
    assert records["step_csim"]["golden_vs_csim_mismatches"] == 0


def test_an_activation_inside_a_layer_is_traced_and_compared(root):
    from hwgen.hls.csim import load_bridge

    build, _ = _built(root)
    bridge, _, _ = load_bridge(build.hls_dir, build.graph)
    x, _, _ = build.verify_set()
    traced = bridge.trace(x[:3], {"c2_quantized_relu": int(np.prod(build.graph.by_name["c2_quantized_relu"].shape))})
    assert "c2_quantized_relu" in traced
    from hwgen.graph import execute

    want = execute(build.graph, x[:3]).values["c2_quantized_relu"].reshape(3, -1)
    got = np.rint(traced["c2_quantized_relu"] * 2.0**build.graph.by_name["c2_quantized_relu"].out.frac)
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ alpha scales


def test_auto_po2_scales_are_folded_exactly_and_hls4ml_adds_no_apply_alpha(root):
    build, records = _built(root)
    model = own_model()
    c2 = model.get_layer("c2")
    want = np.asarray(c2.kernel_quantizer_internal(c2.kernel), np.float64)
    node = build.graph.by_name["c2"]
    np.testing.assert_array_equal(node.kernel.values * 2.0**-node.kernel.frac, want)  # exact, not re-rounded
    assert node.attrs["rescaled"] == "auto_po2"
    layers = _project_layers(build)
    assert "c2" in layers and not any(name.endswith("_alpha") for name in layers)  # no ApplyAlpha layer
    assert records["step_csim"]["golden_vs_csim_mismatches"] == 0


def test_alpha_none_is_handled_exactly(root):
    build, records = _built(root)
    node = build.graph.by_name["c3"]
    c3 = own_model().get_layer("c3")
    want = np.asarray(c3.kernel_quantizer_internal(c3.kernel), np.float64)
    np.testing.assert_array_equal(node.kernel.values * 2.0**-node.kernel.frac, want)
    assert c3.kernel_quantizer_internal.alpha == "auto_po2"  # QKeras' meaning of alpha=None on a kernel
    assert node.attrs["rescaled"] == "auto_po2" and node.kernel.bits >= 8
    assert build.graph.by_name["c3"].bias.bits == 8  # on a bias alpha=None stays scale 1
    assert "c3" in _project_layers(build) and "c3_alpha" not in _project_layers(build)
    assert records["step_csim"]["golden_vs_csim_mismatches"] == 0


def test_alpha_auto_is_refused_with_what_to_use_instead():
    from hwgen.models.export import from_keras

    with pytest.raises(ModelError, match=r"layer 'c2': kernel quantizer alpha='auto' scales each output channel by "
                                         r"a float.*use alpha=1 or alpha='auto_po2'"):
        from_keras(own_model(po2_alpha="auto"))


def test_train_and_convert_count_the_same_weight_bits(root):
    """metrics.json (models.summary at the end of `hwgen train`) and the convert report use one count."""
    from hwgen import models

    build, _ = _built(root)
    report = json.loads((build.hls_dir / "report.json").read_text())
    assert models.summary(own_model())["weight_bits"] == report["totals"]["weight_bits"] > 0


# ------------------------------------------------------------------ inputs hwgen refuses up front


def _cli(args, capsys):
    from hwgen.cli import main

    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_variable_length_input_is_one_line_through_the_cli(tmp_path, capsys):
    from qkeras import QConv1D, QDense
    from qkeras.quantizers import quantized_bits
    from tensorflow.keras import layers as L

    inp = L.Input((None, 64), name="x_in")
    x = QConv1D(4, 3, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
                name="c")(inp)
    x = L.GlobalAveragePooling1D(name="gap")(x)
    x = QDense(3, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
               name="d")(x)
    tf.keras.Model(inp, x).save(tmp_path / "var.h5")
    code, out, err = _cli(["convert", tmp_path / "var.h5", "--out", tmp_path / "b"], capsys)
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "input shape (None, 64) has a variable length" in err and "Input((time, depth))" in err


def test_a_2d_model_is_refused_by_its_first_2d_layer_before_any_calibration(tmp_path, capsys):
    from hwgen import models

    models.build("cnn", SHAPE, 3, width=0.25, dims=2, pools=(2, 2, 1)).save(tmp_path / "m2d.h5")
    code, out, err = _cli(["convert", tmp_path / "m2d.h5", "--out", tmp_path / "b"], capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "is 2-D; hwgen's integer graph" in err
    assert "calibration" not in (out + err).lower()


# ------------------------------------------------------------------ saturation is enforced


def _saturating(tmp_path):
    """Two convolutions with no activation between them: the first one's result is a 16-bit intermediate sized on
    calibration data 20x smaller than the verification data, so it saturates there."""
    from qkeras import QActivation, QConv1D, QDense
    from qkeras.quantizers import quantized_bits, quantized_relu
    from tensorflow.keras import layers as L

    tf.keras.utils.set_random_seed(0)
    inp = L.Input(SHAPE, name="x_in")
    x = QActivation(quantized_relu(8, 0), name="in_q")(inp)
    x = QConv1D(4, 5, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
                kernel_initializer=tf.keras.initializers.RandomUniform(0.2, 0.6), name="c1")(x)
    x = QConv1D(4, 3, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
                name="c2")(x)
    x = QActivation(quantized_relu(8, 5), name="r")(x)
    x = L.GlobalAveragePooling1D(name="gap")(x)
    x = QDense(3, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
               name="d")(x)
    tf.keras.Model(inp, x).save(tmp_path / "m.h5", include_optimizer=False)
    x, y = _data(200, 3)
    calib = _inputs_file(tmp_path / "calib.npz", x[:100] * 0.05, y[:100])
    verify = _inputs_file(tmp_path / "verify.npz", x[100:], y[100:])
    return tmp_path / "m.h5", calib, verify


def test_saturation_beyond_the_tolerance_fails_naming_the_layer_and_count_unless_allowed(tmp_path, capsys):
    source, calib, verify = _saturating(tmp_path)
    args = ["build", source, "--out", tmp_path / "b", "--calib", calib, "--verify-data", verify, "--stop", "export"]
    code, out, err = _cli(args, capsys)
    assert code == 2 and "Traceback" not in err, err
    named, count = re.search(r"layer '([^']+)' saturated (\d+) values", err).groups()
    assert "differ from Keras beyond the tolerance" in err and "--allow-saturation" in err
    assert not (tmp_path / "b" / "steps" / "step_export.json").exists()  # the step did not complete
    code, out, err = _cli(["convert", source, "--out", tmp_path / "c", "--calib", calib], capsys)  # noise verify set
    assert code == 2 and "--allow-saturation" in err and len(err.strip().splitlines()) == 1, err
    code, out, err = _cli(args + ["--allow-saturation"], capsys)
    assert code == 0, err
    record = json.loads((tmp_path / "b" / "steps" / "step_export.json").read_text())
    assert record["keras_vs_graph_within_tolerance"] is False and record["allow_saturation"] is True
    assert max(record["overflows"], key=record["overflows"].get) == named
    assert record["overflows"][named] == int(count) > 0


def test_saturation_the_models_own_quantizers_define_is_not_an_overflow(tmp_path):
    from qkeras import QActivation, QConv1D, QDense
    from qkeras.quantizers import quantized_bits, quantized_relu
    from tensorflow.keras import layers as L

    from hwgen.builder import BuildConfig, run_build

    tf.keras.utils.set_random_seed(0)
    inp = L.Input(SHAPE, name="x_in")
    x = QActivation(quantized_relu(8, 0), name="in_q")(inp)
    x = QConv1D(6, 3, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
                name="c")(x)
    x = QActivation(quantized_relu(4, 0), name="r")(x)  # clips at 15/16: by design
    x = L.GlobalAveragePooling1D(name="gap")(x)
    x = QDense(3, kernel_quantizer=quantized_bits(8, 0, alpha=1), bias_quantizer=quantized_bits(8, 2, alpha=1),
               name="d")(x)
    tf.keras.Model(inp, x).save(tmp_path / "clip.h5")
    x, y = _data(60, 4)
    cfg = BuildConfig(out=str(tmp_path / "b"), source=str(tmp_path / "clip.h5"),
                      calib=_inputs_file(tmp_path / "c.npz", x, y), verify_data=_inputs_file(tmp_path / "v.npz", x, y))
    record = run_build(cfg, stop="export")["step_export"]
    assert record["clipped"].get("r", 0) > 0  # the quantizer clipped, as the model defines
    assert record["overflows"] == {} and record["keras_vs_graph_within_tolerance"] is True


# ------------------------------------------------------------------ one name per layer


def test_the_report_names_work_in_layer_and_precision_options(tmp_path):
    from hwgen import models
    from hwgen.boards import get
    from hwgen.graph.precision import infer_precision
    from hwgen.hls.convert import hls_settings, write_project
    from hwgen.models.export import to_graph

    tf.keras.utils.set_random_seed(0)
    model = models.build("dscnn", SHAPE, 3, width=0.25)
    x = _data(40, 5)[0]
    graph = to_graph(model, ["a", "b", "c"])
    sep = next(n.keras for n in graph.nodes if n.name.endswith("_depthwise") and n.keras != n.name)
    infer_precision(graph, x, __import__("hwgen.graph.precision", fromlist=["PrecisionPolicy"]).PrecisionPolicy(
        overrides={f"{sep}_depthwise": {"result": "ap_fixed<16,5,AP_RND_CONV,AP_SAT>"}}))
    assert graph.by_name[f"{sep}_depthwise"].out.hls() == "ap_fixed<16,5,AP_RND_CONV,AP_SAT>"
    board = get("pynq-z2")
    report = write_project(graph, model, board, tmp_path / "p", hls_settings(
        graph, board, reuse=1, layer_settings={f"{sep}_depthwise": {"ReuseFactor": 4}}))
    rows = {r["layer"]: r for r in report["layers"]}
    assert rows[f"{sep}_depthwise"]["reuse"] == 4 and rows[f"{sep}_pointwise"]["reuse"] == 1
    params = (tmp_path / "p" / "hls4ml_prj" / "firmware" / "parameters.h").read_text()
    depthwise = params.split(f"// {sep}_depthwise")[1].split("// ")[0]
    pointwise = params.split(f"// {sep}_pointwise")[1].split("// ")[0]
    assert "reuse_factor = 4" in depthwise and "reuse_factor = 4" not in pointwise
    # a model-wide reuse reaches both halves (hls4ml's own config pins them to 1 otherwise, silently)
    shared = write_project(graph, model, board, tmp_path / "q", hls_settings(graph, board, reuse=4))
    rows = {r["layer"]: r for r in shared["layers"]}
    assert rows[f"{sep}_depthwise"]["reuse"] == 4 and rows[f"{sep}_pointwise"]["reuse"] == 4
    params = (tmp_path / "q" / "hls4ml_prj" / "firmware" / "parameters.h").read_text()
    for half in ("depthwise", "pointwise"):
        assert "reuse_factor = 4" in params.split(f"// {sep}_{half}")[1].split("// ")[0]
    with pytest.raises(ModelError, match=rf"layer settings name unknown layer 'nope'; layers: .*{sep}_depthwise"):
        hls_settings(graph, board, layer_settings={"nope": {"ReuseFactor": 2}})
    with pytest.raises(ModelError, match=rf"'{sep}' is two nodes .*{sep}_depthwise.*{sep}_pointwise"):
        infer_precision(to_graph(model), x, __import__("hwgen.graph.precision", fromlist=["P"]).PrecisionPolicy(
            overrides={sep: {"accum": "ap_fixed<32,8>"}}))


# ------------------------------------------------------------------ the README's worked example


def test_the_readme_own_model_example_trains_saves_and_converts(tmp_path, monkeypatch, capsys):
    """The README's `my_model.py`, run as written (2 epochs, 48 examples), then its `hwgen convert` line."""
    from hwgen.data import save, synthesize
    from hwgen.graph import load

    section = (Path(__file__).resolve().parents[1] / "README.md").read_text().split("### Your own model")[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    convert = "hwgen convert my_model.h5 --calib train.npz --out build/mine"
    assert convert in section and "hwgen sim csim build/mine --data test.npz" in section
    save(synthesize("lung", 48, seed=1), tmp_path / "train.npz")
    monkeypatch.chdir(tmp_path)
    exec(compile(code.replace("epochs=40", "epochs=2"), "README.md", "exec"), {})
    code, out, err = _cli(convert.split()[1:], capsys)
    assert code == 0, err
    graph = load(tmp_path / "build" / "mine" / "graph")
    assert {n.attrs.get("folded") for n in graph.nodes} >= {"c1_bn", "c3_bn"}
    assert "c2_quantized_relu" in graph.by_name and graph.by_name["c2"].attrs["rescaled"] == "auto_po2"
