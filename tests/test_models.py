"""The zoo: every model builds with the hardware vocabulary, costs are counted right, quantizers do
what they claim, bad requests fail clearly, models survive save/load and convert with hls4ml."""

import re

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from hwgen import models  # noqa: E402
from hwgen.errors import ModelError  # noqa: E402

SHAPE = (32, 16)
ALLOWED = {
    "InputLayer", "QActivation", "QConv1D", "QSeparableConv1D", "QDepthwiseConv2D", "QDense", "Reshape",
    "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "Add", "Concatenate", "Flatten", "Activation",
}
NAME = re.compile(r"^(x_in|input_q|to_depth_seq|stem(_relu)?|b\d+(_\d+)?(_[a-z0-9]+)*|pool\d|gap|logits|softmax)$")
# model -> layer types it must contain / must not contain
CLAIMS = {
    "cnn": ({"QConv1D"}, {"QSeparableConv1D", "QDepthwiseConv2D"}),
    "dscnn": ({"QSeparableConv1D"}, {"QConv1D"}),
    "shiftcnn": ({"QSeparableConv1D"}, {"QConv1D"}),
    "mobilenet": ({"QConv1D", "QDepthwiseConv2D", "Add"}, {"QSeparableConv1D"}),
    "ghostnet": ({"QConv1D", "QDepthwiseConv2D", "Concatenate"}, {"QSeparableConv1D"}),
    "firenet": ({"QConv1D", "Concatenate"}, {"QDepthwiseConv2D"}),
}


def types_of(model):
    return {type(layer).__name__ for layer in model.layers}


@pytest.mark.parametrize("name", models.available())
def test_every_model_builds_with_the_hardware_vocabulary(name):
    model = models.build(name, SHAPE, 3, kernel=3)
    assert model.output_shape == (None, 3)
    assert model.layers[-1].name == "softmax" and type(model.layers[-1]).__name__ == "Activation"
    assert types_of(model) <= ALLOWED, types_of(model) - ALLOWED
    must, must_not = CLAIMS[name]
    assert must <= types_of(model) and not (must_not & types_of(model))
    names = [layer.name for layer in model.layers]
    assert len(set(names)) == len(names)
    assert all(NAME.match(n) for n in names), [n for n in names if not NAME.match(n)]


def test_claims_cover_the_whole_zoo():
    assert set(CLAIMS) == set(models.available())


def test_mac_and_bit_counts_match_hand_calculation():
    cnn = models.build("cnn", SHAPE, 3, kernel=3)  # stages 16, 32, 64 filters; pools 4, 4, 2
    rows = {r["name"]: r for r in models.describe(cnn)}
    assert rows["b1"]["macs"] == 32 * 3 * 16 * 16
    assert rows["b2"]["macs"] == 8 * 3 * 16 * 32
    assert rows["b3"]["macs"] == 2 * 3 * 32 * 64
    assert rows["logits"]["macs"] == 64 * 3
    assert models.count_macs(cnn) == 24576 + 12288 + 12288 + 192
    assert rows["b1"]["weight_bits"] == (3 * 16 * 16 + 16) * 8
    ds = {r["name"]: r for r in models.describe(models.build("dscnn", SHAPE, 3, kernel=3))}
    assert ds["b1"]["macs"] == 32 * 3 * 16 + 32 * 16 * 16
    assert ds["b1"]["params"] == 3 * 16 + 16 * 16 + 16
    mobile = {r["name"]: r for r in models.describe(models.build("mobilenet", SHAPE, 3, kernel=3))}
    assert mobile["b1_dw"]["macs"] == 32 * 3 * 32  # depthwise over the 2x expanded 32 channels
    shift = models.summary(models.build("shiftcnn", SHAPE, 3, kernel=3, po2_bits=4))
    assert shift["shift_macs"] == shift["macs"] > 0
    assert models.summary(models.build("cnn", SHAPE, 3, kernel=3, bits=None))["weight_bits"] == 32 * cnn.count_params()


def test_depthwise_separable_models_are_cheaper_than_the_baseline():
    macs = {n: models.count_macs(models.build(n, (256, 64), 3)) for n in ("cnn", "dscnn", "shiftcnn")}
    assert macs["cnn"] >= 5 * macs["dscnn"] and macs["dscnn"] == macs["shiftcnn"]


def test_shift_weights_are_signed_powers_of_two():
    model = models.build("shiftcnn", SHAPE, 3, kernel=3, po2_bits=4)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()])
    layer = model.get_layer("b2")
    for quantizer, weight in ((layer.depthwise_quantizer_internal, layer.depthwise_kernel),
                              (layer.pointwise_quantizer_internal, layer.pointwise_kernel)):
        q = np.asarray(quantizer(weight))
        exponents = np.log2(np.abs(q))
        assert np.all(q != 0) and np.allclose(exponents, np.round(exponents))
        assert len(np.unique(exponents)) <= 2 ** (4 - 1)  # a sign bit and 3 exponent bits
        w = np.asarray(weight)
        assert np.all(np.sign(q)[np.abs(w) > 0.05] == np.sign(w)[np.abs(w) > 0.05])  # sign survives
    logits = model.get_layer("logits")
    assert type(logits.kernel_quantizer_internal).__name__ == "quantized_po2"


@pytest.mark.parametrize("bits", [8, 6, 4])
def test_fixed_point_weights_sit_on_the_bit_grid(bits):
    model = models.build("dscnn", SHAPE, 3, kernel=3, bits=bits)
    layer = model.get_layer("b1")
    q = np.asarray(layer.pointwise_quantizer_internal(layer.pointwise_kernel))
    steps = q * 2 ** (bits - 1)  # quantized_bits(bits, 0): sign + (bits-1) fraction bits
    assert np.allclose(steps, np.round(steps)) and np.abs(q).max() <= 1


def test_float_twin_shares_names_and_weights():
    float_model = models.build("mobilenet", SHAPE, 3, bits=None)
    quant = models.build("mobilenet", SHAPE, 3, bits=8)
    assert [layer.name for layer in float_model.layers] == [layer.name for layer in quant.layers]
    quant.set_weights(float_model.get_weights())


def test_single_a_lines_convolve_along_depth():
    model = models.build("dscnn", (1, 64), 3)
    assert model.get_layer("to_depth_seq").output_shape == (None, 64, 1)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (("resnet", SHAPE, 3), {}, "available: cnn, dscnn, shiftcnn"),
        (("cnn", (32,), 3), {}, r"is not \(time, depth\)"),
        (("cnn", (16, 16), 3), {}, "time 16 is too short"),
        (("cnn", (1, 8), 3), {}, "depth 8 is too short"),
        (("cnn", SHAPE, 1), {}, "n_classes"),
        (("cnn", SHAPE, 3), {"bits": 1}, "bits"),
        (("cnn", SHAPE, 3), {"widht": 2}, "unknown setting"),
        (("dscnn", SHAPE, 3), {"attention": "se"}, "allow_unconvertible"),
        (("dscnn", SHAPE, 3), {"attention": "cbam"}, "allow_unconvertible"),
    ],
)
def test_bad_requests_raise_clear_model_errors(args, kwargs, message):
    with pytest.raises(ModelError, match=message):
        models.build(*args, **kwargs)


def test_attention_builds_only_when_explicitly_allowed():
    model = models.build("dscnn", SHAPE, 3, attention="se", allow_unconvertible=True)
    assert "Multiply" in types_of(model)


def test_save_and_load_round_trip(tmp_path):
    model = models.build("ghostnet", SHAPE, 3, kernel=3, bits=6)
    x = np.random.default_rng(1).random((4, *SHAPE), dtype=np.float32)
    model.save(tmp_path / "model.h5")
    loaded = models.load(tmp_path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    (tmp_path / "bad.h5").write_bytes(b"not hdf5")
    with pytest.raises(ModelError, match="bad.h5"):
        models.load(tmp_path / "bad.h5")
    with pytest.raises(ModelError, match="no such model"):
        models.load(tmp_path / "missing.h5")


@pytest.mark.slow
def test_hls4ml_converts_every_zoo_model(tmp_path):
    """Conversion only (no C++ compile): ~1 s per model."""
    hls4ml = pytest.importorskip("hls4ml")
    expected = {"dscnn": {"DepthwiseConv1D", "PointwiseConv1D"}, "mobilenet": {"DepthwiseConv2D", "Merge"},
                "ghostnet": {"DepthwiseConv2D", "Concatenate"}, "cnn": {"Conv1D"}}
    for name in models.available():
        model = models.build(name, SHAPE, 3, kernel=3)
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
        hls_model = hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, output_dir=str(tmp_path / name), backend="Vitis", io_type="io_parallel")
        classes = {layer.class_name for layer in hls_model.get_layers()}
        assert expected.get(name, set()) <= classes, (name, classes)
        assert "Softmax" in classes


def test_scaling_to_data_reaches_the_target_within_the_quantizer_range():
    rng = np.random.default_rng(2)
    x = (0.5 + 0.3 * rng.standard_normal((16, *SHAPE))).clip(0, 1).astype("float32")
    model = models.build("dscnn", SHAPE, 3, kernel=3, bits=None)
    gains = models.scale_to_data(model, x, target=1.0)
    assert set(gains) == {"b1", "b2", "b3"} and gains["b1"] > 1
    reached, clamped = {}, {}
    for name in gains:
        layer = model.get_layer(name)
        out = tf.keras.Model(model.input, layer.output)(x).numpy()
        peak = np.abs(layer.pointwise_kernel.numpy()).max()
        assert peak <= 1.0
        reached[name], clamped[name] = abs(np.std(out) - 1.0) <= 0.05, peak > 0.95
    # every layer reaches the target unless its weights hit the quantizer's range first; on this data the
    # early layers are held at the range and the last one reaches the target
    assert all(reached[n] or clamped[n] for n in gains), (reached, clamped)
    assert clamped["b1"] and reached["b3"] and not clamped["b3"], (reached, clamped)
    shift = models.build("shiftcnn", SHAPE, 3, kernel=3)
    models.scale_to_data(shift, x, target=50.0)  # unreachable: must stop at the po2 range
    assert np.abs(shift.get_layer("b1").pointwise_kernel.numpy()).max() <= 0.5


def test_temporal_kernels_start_as_high_pass_filters():
    model = models.build("cnn", SHAPE, 3, kernel=5, bits=None)  # float twin: no weight rounding
    kernel = model.get_layer("b1").kernel.numpy()
    np.testing.assert_allclose(kernel.sum(axis=0), 0, atol=1e-5)
    const = np.full((1, *SHAPE), 0.5, np.float32)  # a static image: no response away from the edges
    out = tf.keras.Model(model.input, model.get_layer("b1").output)(const).numpy()
    assert np.abs(out[0, 3:-3]).max() < 1e-5
