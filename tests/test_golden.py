"""The golden integer model and precision inference (numpy + Keras; no hls4ml compile here)."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.errors import ModelError, OverflowDetected
from hwgen.golden import layers as gl
from hwgen.golden.layers import QWeights
from hwgen.golden.ops import Fixed
from hwgen.hls.precision import PrecisionPolicy, parse_type

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


def golden_for(model, calib, policy=None):
    from hwgen.golden.keras import from_keras
    from hwgen.golden.model import GoldenModel
    from hwgen.hls.precision import infer_precision

    nodes = from_keras(model)
    notes = infer_precision(nodes, calib, policy)
    return GoldenModel(nodes), notes


@pytest.fixture(scope="module")
def tiny():
    model = tiny_model()
    x = np.random.default_rng(1).random((300, 24, 6)).astype(np.float32)
    golden, _ = golden_for(model, x[:100])
    return model, golden, x


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
    from hwgen.golden.keras import logits_model

    model, golden, x = tiny
    logits = golden.nodes[-1].out.to_float(golden.logits(x))
    keras = logits_model(model).predict(x, verbose=0)
    agreement = np.mean(logits.argmax(1) == keras.argmax(1))
    assert agreement >= 0.99, agreement
    assert np.abs(logits - keras).max() < 0.25  # same network: differences are a few LSBs of rounding
    assert [n.op for n in golden.nodes][-1] == "dense"  # the softmax is gone


def test_accumulators_hold_the_worst_case_of_any_in_range_input(tiny):
    _, golden, _ = tiny
    for x in (np.zeros((2, 24, 6)), np.ones((2, 24, 6)), np.random.default_rng(5).random((20, 24, 6))):
        golden.run(x)
        assert not any(golden.acc_overflows.values()), golden.acc_overflows
    for node in golden.nodes:
        if node.acc is not None:
            lo, hi = node.attrs["bound"]
            assert node.acc.to_float(node.acc.min_int) <= lo and hi <= node.acc.to_float(node.acc.max_int), node.name


def test_the_three_silent_traps_are_impossible_with_defaults():
    from hwgen.models import build

    model = build("shiftcnn", (128, 8), 3, width=0.25, pools=(2, 2, 1))
    x = np.random.default_rng(0).random((64, 128, 8)).astype(np.float32)
    golden, _ = golden_for(model, x[:32])
    by = golden.by_name
    # 1. GAP over 32 steps: the accumulator holds 32 * the largest input, and the mean is exact.
    gap = by["gap"]
    x_in = by[gap.inputs[0]].out
    assert gap.acc.to_float(gap.acc.max_int) >= 32 * x_in.to_float(x_in.max_int)
    values, overflows = golden.run(x)
    mean = x_in.to_float(values[gap.inputs[0]]).mean(axis=1)
    assert np.abs(gap.out.to_float(values["gap"]) - mean).max() <= gap.out.lsb / 2
    # 2. po2 layers: accumulators from the exact bound (hls4ml would leave fixed<16,6>).
    for node in golden.nodes:
        if node.kernel is not None and node.kernel.is_po2:
            assert node.acc != Fixed(16, 10) and node.acc.width >= 8
    assert sum(overflows.values()) == 0
    # 3. no softmax: the output is the dense layer's exact accumulator.
    assert golden.nodes[-1].name == "logits" and golden.nodes[-1].out == golden.nodes[-1].acc


def test_a_forced_narrow_accumulator_warns_and_every_wrap_is_counted(tiny):
    model, golden, x = tiny
    frac = golden.by_name["conv"].acc.frac
    narrow = f"ap_fixed<{frac + 2},2>"
    with pytest.warns(UserWarning, match=r"layer 'conv': forced accum .* narrower .*measured range \["):
        forced, notes = golden_for(model, x[:100], PrecisionPolicy(overrides={"conv": {"accum": narrow}}))
    assert forced.by_name["conv"].acc == parse_type(narrow)
    _, overflows = forced.run(x[:20])
    assert overflows["conv"] > 0 and forced.acc_overflows["conv"] > 0
    with pytest.raises(OverflowDetected, match="layer 'conv' .*wrapped"):
        forced.run(x[:20], strict=True)


def test_unsupported_layers_are_named_with_the_supported_list():
    from tensorflow.keras import layers as L

    from hwgen.golden.keras import from_keras

    inp = L.Input((16, 4), name="x_in")
    out = L.BatchNormalization(name="bn")(inp)
    with pytest.raises(ModelError, match=r"layer 'bn' is a BatchNormalization.*supported: .*QConv1D"):
        from_keras(tf.keras.Model(inp, out))


def test_float_weights_are_refused():
    from qkeras import QConv1D
    from tensorflow.keras import layers as L

    from hwgen.golden.keras import from_keras

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
    from hwgen.golden.layers import po2_is_exact

    model, golden, x = tiny
    po2 = [n for n in golden.nodes if n.kernel is not None and n.kernel.is_po2]
    assert po2 and all(po2_is_exact(golden.by_name[n.inputs[0]].out, n.kernel) for n in po2)
    # the zoo's case: 8-bit all-fractional input, exponents down to 2^-8: ap_int<4> -> ap_int<8>
    from hwgen.hls.precision import _exact_exponent_width

    w = QWeights(np.array([[1, -2], [4, 256]]), 8, po2_width=4)
    assert _exact_exponent_width(w, Fixed(8, 8, signed=False)).po2_width == 8
    assert _exact_exponent_width(w, Fixed(8, 5, signed=False)).po2_width == 5
