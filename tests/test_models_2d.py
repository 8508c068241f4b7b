"""The zoo in 2-D (time x depth image): every model builds from 2-D blocks, costs are counted right,
the factorised k x 1 + 1 x k form is what it claims, bad combinations fail clearly, hls4ml converts the
2-D models, hwgen's 1-D-only golden model / convert refuse them by layer name, and training runs.
Also DeepShift-PS training of shift layers (hwgen.models.shift), which the 2-D work brought along."""

import json
import re

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from hwgen import models  # noqa: E402
from hwgen.errors import HwgenError, ModelError  # noqa: E402

SHAPE = (16, 8)
SMALL = dict(kernel=3, pools=(2, 2, 2), dims=2)
ALLOWED_2D = {
    "InputLayer", "Reshape", "QActivation", "QConv2D", "QSeparableConv2D", "QDepthwiseConv2D", "QDense",
    "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "Add", "Concatenate", "Activation",
}
ONE_D = {"QConv1D", "QSeparableConv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D"}
NAME = re.compile(r"^(x_in|input_q|to_image|stem(_relu)?|b\d+(_\d+)?(_[a-z0-9]+)*|pool\d|gap|logits|softmax)$")
CLAIMS = {
    "cnn": {"QConv2D"},
    "dscnn": {"QSeparableConv2D"},
    "shiftcnn": {"QSeparableConv2D"},
    "mobilenet": {"QConv2D", "QDepthwiseConv2D", "Add"},
    "ghostnet": {"QConv2D", "QDepthwiseConv2D", "Concatenate"},
    "firenet": {"QConv2D", "Concatenate"},
}


def types_of(model):
    return {type(layer).__name__ for layer in model.layers}


def kernel_shapes(model):
    return {layer.name: tuple(w.shape[:2]) for layer in model.layers for w in layer.weights
            if w.name.split("/")[-1].split(":")[0] in ("kernel", "depthwise_kernel") and len(w.shape) == 4}


@pytest.mark.parametrize("name", models.available())
@pytest.mark.parametrize("factorise", [False, True])
def test_every_model_builds_in_2d(name, factorise):
    if factorise and name not in models.zoo.FACTORISABLE:
        with pytest.raises(ModelError, match=f"supported: {', '.join(models.zoo.FACTORISABLE)}"):
            models.build(name, SHAPE, 3, factorise=True, **SMALL)
        return
    model = models.build(name, SHAPE, 3, factorise=factorise, **SMALL)
    assert model.input_shape == (None, *SHAPE) and model.output_shape == (None, 3)
    assert model.get_layer("to_image").output_shape == (None, *SHAPE, 1)
    assert types_of(model) <= ALLOWED_2D, types_of(model) - ALLOWED_2D
    assert CLAIMS[name] <= types_of(model) and not (ONE_D & types_of(model))
    names = [layer.name for layer in model.layers]
    assert len(set(names)) == len(names) and all(NAME.match(n) for n in names)
    wide = {s for s in kernel_shapes(model).values() if s != (1, 1)}
    assert wide == ({(3, 1), (1, 3)} if factorise else {(3, 3)}), wide


def test_claims_cover_the_whole_zoo():
    assert set(CLAIMS) == set(models.available())


def test_2d_macs_and_params_match_hand_calculation():
    cnn = {r["name"]: r for r in models.describe(models.build("cnn", SHAPE, 3, **SMALL))}
    assert cnn["b1"]["macs"] == 16 * 8 * 9 * 1 * 16  # 16x8 positions, 3x3 taps, 1 -> 16 maps
    assert cnn["b2"]["macs"] == 8 * 4 * 9 * 16 * 32  # after a 2x2 max-pool
    assert cnn["b2"]["params"] == 9 * 16 * 32 + 32
    ds = {r["name"]: r for r in models.describe(models.build("dscnn", SHAPE, 3, **SMALL))}
    assert ds["b2"]["macs"] == 8 * 4 * (9 * 16 + 16 * 32)
    assert ds["b2"]["params"] == 9 * 16 + 16 * 32 + 32
    fact = {r["name"]: r for r in models.describe(models.build("cnn", SHAPE, 3, factorise=True, **SMALL))}
    assert fact["b1_time"]["macs"] == 16 * 8 * 3 * 1 * 1 and fact["b1"]["macs"] == 16 * 8 * 3 * 1 * 16
    assert fact["b2_time"]["macs"] == 8 * 4 * 3 * 16 * 16 and fact["b2"]["macs"] == 8 * 4 * 3 * 16 * 32
    mobile = {r["name"]: r for r in models.describe(models.build("mobilenet", SHAPE, 3, factorise=True, **SMALL))}
    assert mobile["b1_dw_time"]["macs"] == mobile["b1_dw"]["macs"] == 16 * 8 * 3 * 32
    assert mobile["b1_dw"]["params"] == 3 * 32 + 32


def test_rectangular_kernels_and_the_factorised_saving():
    model = models.build("cnn", (32, 32), 3, kernel=(9, 3), dims=2)
    assert kernel_shapes(model)["b2"] == (9, 3)
    full = models.build("cnn", (64, 32), 3, kernel=5, dims=2)
    fact = models.build("cnn", (64, 32), 3, kernel=5, dims=2, factorise=True)
    assert models.count_macs(fact) < 0.4 * models.count_macs(full)  # 5x5 -> 5x1 + 1x5: at most 10/25


def test_2d_separable_models_are_cheaper_than_the_2d_baseline():
    macs = {n: models.count_macs(models.build(n, (64, 32), 3, dims=2, kernel=5)) for n in ("cnn", "dscnn", "shiftcnn")}
    assert macs["cnn"] >= 5 * macs["dscnn"] and macs["dscnn"] == macs["shiftcnn"]


def test_2d_shift_weights_are_signed_powers_of_two():
    model = models.build("shiftcnn", SHAPE, 3, po2_bits=4, **SMALL)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
    layer = model.get_layer("b2")
    assert type(layer).__name__ == "QSeparableConv2D"
    for quantizer, weight in ((layer.depthwise_quantizer_internal, layer.depthwise_kernel),
                              (layer.pointwise_quantizer_internal, layer.pointwise_kernel)):
        q = np.asarray(quantizer(weight))
        exponents = np.log2(np.abs(q))
        assert np.all(q != 0) and np.allclose(exponents, np.round(exponents))
        assert len(np.unique(exponents)) <= 2 ** (4 - 1)
    assert models.summary(model)["shift_macs"] == models.summary(model)["macs"] > 0


def test_2d_kernels_start_as_high_pass_along_time():
    model = models.build("cnn", (32, 32), 3, kernel=5, dims=2, bits=None)
    kernel = model.get_layer("b1").kernel.numpy()  # (time, depth, in, out)
    np.testing.assert_allclose(kernel.sum(axis=0), 0, atol=1e-5)


def test_float_twin_and_save_load_round_trip_in_2d(tmp_path):
    float_model = models.build("ghostnet", SHAPE, 3, bits=None, factorise=True, **SMALL)
    quant = models.build("ghostnet", SHAPE, 3, bits=6, factorise=True, **SMALL)
    assert [layer.name for layer in float_model.layers] == [layer.name for layer in quant.layers]
    quant.set_weights(float_model.get_weights())
    x = np.random.default_rng(1).random((4, *SHAPE), dtype=np.float32)
    quant.save(tmp_path / "model.h5")
    np.testing.assert_array_equal(quant.predict(x, verbose=0), models.load(tmp_path).predict(x, verbose=0))


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (("cnn", SHAPE, 3), {"dims": 3, "pools": (2, 2, 2)}, "dims must be 1"),
        (("cnn", SHAPE, 3), {"factorise": True, "pools": (2, 2, 2)}, "factorise .* needs dims=2"),
        (("dscnn", SHAPE, 3), {"factorise": True, **SMALL}, "'dscnn': factorise is not supported .* supported: cnn"),
        (("cnn", (1, 64), 3), {"dims": 2}, "dims=2 needs time > 1"),
        (("cnn", (32, 16), 3), {"dims": 2}, "depth 16 is too short for 2-D pools"),
        (("cnn", (32, 32), 3), {"kernel": (3, 3)}, "kernel must be an integer >= 1, got"),
        (("cnn", (32, 32), 3), {"kernel": (3, 0), "dims": 2}, r"or a \(time, depth\) pair"),
        (("dscnn", SHAPE, 3), {"attention": "se", **SMALL}, "allow_unconvertible"),
    ],
)
def test_bad_2d_requests_raise_clear_model_errors(args, kwargs, message):
    with pytest.raises(ModelError, match=message):
        models.build(*args, **kwargs)


def test_2d_attention_builds_only_when_explicitly_allowed():
    model = models.build("dscnn", SHAPE, 3, attention="cbam", allow_unconvertible=True, **SMALL)
    assert {"Multiply", "GlobalAveragePooling2D"} <= types_of(model)


@pytest.mark.parametrize("name", ["cnn", "dscnn", "mobilenet"])
def test_golden_model_and_convert_refuse_2d_naming_the_first_2d_layer(name, tmp_path):
    from hwgen.models.export import from_keras

    model = models.build(name, SHAPE, 3, **SMALL)
    first = next(layer for layer in model.layers if type(layer).__name__.endswith("2D"))
    with pytest.raises(ModelError, match=rf"layer '{first.name}' \({type(first).__name__}\) is 2-D"):
        from_keras(model)
    if name == "cnn":  # the build stops at export, before any calibration
        from hwgen.builder import BuildConfig, run_build

        model.save(tmp_path / "m.h5")
        with pytest.raises(ModelError, match=f"layer '{first.name}'"):
            run_build(BuildConfig(out=str(tmp_path / "b"), source=str(tmp_path / "m.h5")))
        assert not (tmp_path / "b" / "graph").exists()


def test_hls4ml_converts_every_2d_zoo_model(tmp_path):
    """Conversion only (io_stream, Vivado): the 2-D layers map to hls4ml's 2-D kernels."""
    hls4ml = pytest.importorskip("hls4ml")
    expected = {
        "cnn": {"Conv2D", "Pooling2D", "GlobalPooling2D"},
        "dscnn": {"DepthwiseConv2D", "PointwiseConv2D"},
        "shiftcnn": {"DepthwiseConv2D", "PointwiseConv2D"},
        "mobilenet": {"DepthwiseConv2D", "PointwiseConv2D", "Merge"},
        "ghostnet": {"DepthwiseConv2D", "Concatenate"},
        "firenet": {"Conv2D", "PointwiseConv2D", "Concatenate"},
    }
    for name in models.available():
        model = models.build(name, SHAPE, 3, factorise=name in models.zoo.FACTORISABLE, **SMALL)
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
        hls_model = hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, output_dir=str(tmp_path / name), backend="Vivado", io_type="io_stream")
        classes = {layer.class_name for layer in hls_model.get_layers()}
        assert expected[name] <= classes, (name, classes)


def test_cli_trains_a_2d_model_and_refuses_a_bad_combination(tmp_path, capsys):
    from hwgen.cli import main

    out = tmp_path / "run2d"
    args = ["train", "--model", "dscnn", "--dims", "2", "--n", "24", "--time", "32", "--depth", "32",
            "--kernel", "3", "--epochs", "1", "--batch-size", "8", "--out", str(out)]
    try:
        main(args)
    except SystemExit as done:
        assert done.code in (0, None)
    metrics = json.loads((out / "metrics.json").read_text())
    model = models.load(out)
    assert "QSeparableConv2D" in types_of(model) and metrics["macs"] == models.count_macs(model)
    assert json.loads((out / "config.json").read_text())["model_cfg"]["dims"] == 2
    test = np.load(out / "test.npz")
    assert test["x"].shape[1:] == (32, 32)  # the same (time, depth) files feed the 2-D model
    from hwgen.train import predict

    assert predict(out, test["x"]).shape == (len(test["x"]), 3)

    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--model", "cnn", "--factorise", "--n", "24", "--time", "32", "--depth", "16",
              "--out", str(tmp_path / "bad")])
    assert exit_info.value.code == 2
    assert "factorise" in capsys.readouterr().err


def every_2d_block_model():
    """One tiny 2-D model holding each 2-D block once (conv, factorised conv, separable, shift
    separable, factorised inverted residual, ghost, fire), with logits out (no softmax)."""
    from qkeras import QActivation, QDense
    from tensorflow.keras import layers

    from hwgen.models import blocks

    q = blocks.Quant(bits=8)
    inputs = layers.Input(SHAPE, name="x_in")
    x = QActivation(q.input(), name="input_q")(layers.Reshape((*SHAPE, 1), name="to_image")(inputs))
    x = blocks.conv(x, "c1", 8, 3, q)
    x = blocks.conv(x, "c2", 8, (5, 3), q, factorised=True)
    x = blocks.separable(x, "s1", 8, 3, q)
    x = blocks.separable(x, "s2", 8, 3, q, shift=True)
    x = blocks.inverted_residual(x, "ir", 8, 3, q, factorised=True)
    x = blocks.ghost(x, "gh", 8, 3, q)
    x = blocks.fire(x, "fi", 2, 4, q)
    x = layers.GlobalAveragePooling2D(name="gap")(layers.MaxPooling2D(2, name="pool1")(x))
    outputs = QDense(3, name="logits", kernel_quantizer=q.kernel(), bias_quantizer=q.bias())(x)
    return tf.keras.Model(inputs, outputs)


@pytest.mark.slow
def test_hls4ml_2d_blocks_compile_and_match_keras_exactly(tmp_path):
    """g++ C-sim of every 2-D block against Keras on 64 inputs (~30 s). Wide default types, and the
    po2 exponent fields widened as hwgen/hls does in 1-D: hls4ml's own 4-bit exponent field floors
    shift products (1 output LSB off at the shift layer, measured)."""
    hls4ml = pytest.importorskip("hls4ml")
    tf.keras.utils.set_random_seed(0)
    model = every_2d_block_model()
    x = np.random.default_rng(0).random((64, *SHAPE), dtype=np.float32)
    models.scale_to_data(model, x[:32])
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado",
                                                  default_precision="ap_fixed<32,12>")
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=str(tmp_path / "all2d"), backend="Vivado", io_type="io_stream")
    exponents = [v for layer in hls_model.get_layers() for v in layer.weights.values() if "exponent" in str(v.type.name)]
    assert len(exponents) == 2  # the shift layer's depthwise and pointwise halves
    for var in exponents:
        var.type.precision.width = 8
    hls_model.compile()
    expected = model.predict(x, verbose=0)
    got = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(expected.shape)
    assert np.abs(expected).max() > 0.1  # a live network, not all zeros
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------- DeepShift-PS (hwgen.models.shift)


def test_ps_quantizer_gives_the_q_mode_weights_and_log_domain_gradients():
    from qkeras import quantized_po2

    from hwgen.models.shift import SHIFT_SCALE, ps_po2

    w = np.array([0.9, 0.5, 0.3, 0.1, 0.01, 0.003, 1e-6, 0.0, -0.2, -0.04, -1e-9], np.float32)
    ps = ps_po2(4)
    u = tf.Variable(ps.encode(w))
    with tf.GradientTape() as tape:
        weights = ps(u)
        total = tf.reduce_sum(weights)
    np.testing.assert_array_equal(weights.numpy(), np.asarray(quantized_po2(4, 0.5)(w)))
    grad = tape.gradient(total, u).numpy()  # d(sum W)/du = scale * ln2 * |W|: steps move the exponent
    np.testing.assert_allclose(grad, SHIFT_SCALE * np.log(2) * np.abs(weights.numpy()), rtol=1e-5)
    tiny = ps_po2(4)(tf.constant([0.01 / SHIFT_SCALE, -0.01 / SHIFT_SCALE])).numpy()
    assert tiny.tolist() == [2.0 ** -8, -(2.0 ** -8)]  # |code| < 1: smallest magnitude, the sign still there


def test_ps_form_round_trips_to_a_stock_po2_model():
    from hwgen.models.shift import to_ps, to_q

    model = models.build("shiftcnn", (32, 16), 3, kernel=3)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
    ps_model = to_ps(model)
    assert type(ps_model.get_layer("b2").depthwise_quantizer_internal).__name__ == "ps_po2"
    kernel_var = ps_model.get_layer("b2").depthwise_kernel
    kernel_var.assign_add(np.full(kernel_var.shape, 0.05, np.float32))  # as a training step would
    exported = to_q(ps_model)
    x = rng.random((8, 32, 16), dtype=np.float32)
    np.testing.assert_array_equal(exported.predict(x, verbose=0), ps_model.predict(x, verbose=0))
    layer = exported.get_layer("b2")
    assert type(layer.depthwise_quantizer_internal).__name__ == "quantized_po2"
    kernel = layer.depthwise_kernel.numpy()  # stored weights are the exact powers of two
    np.testing.assert_array_equal(np.asarray(layer.depthwise_quantizer_internal(kernel)), kernel)
    assert models.summary(exported) == models.summary(model)
    with pytest.raises(ModelError, match="no quantized_po2 .*shiftcnn"):
        to_ps(models.build("cnn", (32, 16), 3, kernel=3))


def test_ps_training_saves_a_model_the_golden_model_reads(tmp_path):
    from hwgen.models.export import from_keras
    from hwgen.train import TrainConfig, train_model

    run = train_model(TrainConfig(task="lung", model="shiftcnn", n=24, time=32, depth=16, epochs=1, batch_size=8,
                                  progress=False, model_cfg={"kernel": 3}, shift_training="ps", out=str(tmp_path)))
    model = models.load(run)  # stock QKeras custom objects: no PS quantizer left in the file
    kinds = {type(layer.depthwise_quantizer_internal).__name__ for layer in model.layers
             if hasattr(layer, "depthwise_quantizer_internal")}
    assert kinds == {"quantized_po2"}
    assert any(node.kernel is not None and node.kernel.is_po2 for node in from_keras(model))
    with pytest.raises(HwgenError, match="shift-training 'pq': expected one of q, ps"):  # before any data work
        train_model(TrainConfig(task="lung", model="shiftcnn", n=24, time=32, depth=16, epochs=1, progress=False,
                                shift_training="pq", out=str(tmp_path / "bad")))
