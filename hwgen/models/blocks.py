"""Quantized 1-D and 2-D building blocks for the hwgen zoo.

1-D (the default, and the hardware path): a block works on a tensor of shape (time, channels):
convolution runs along slow time and the depth bins (or a block's feature maps) are the channels,
which is the hardware's natural stream (one A-line per beat). 2-D: the same block on a (time, depth,
channels) tensor, i.e. the M-mode as an image; each block picks its 1-D or 2-D layers from the rank
of its input, so there is one function per block. In 2-D ``kernel`` is an int k (k x k) or a
(time, depth) pair. Every layer gets a name derived from the block name (e.g. ``b1_dw``, ``b1_pw``)
so the hls4ml config, the golden integer model and the RTL can refer to it.

Layer vocabulary (all of it converts with hls4ml 1.3.0): QConv1D, QSeparableConv1D, QDepthwiseConv2D
on a (time, 1, channels) Reshape (QKeras has no QDepthwiseConv1D), QDense, QActivation(quantized_relu),
MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, Add, Concatenate, Reshape and a final
Activation('softmax'). No BatchNormalization: bias + quantized ReLU keep the integer graph simple.
2-D vocabulary (hls4ml 1.3.0 converts all of it with io_stream; the golden integer model, the RTL
backend and ``hwgen convert`` are 1-D only and refuse it by layer name): QConv2D (also k x 1 and
1 x k), QSeparableConv2D, QDepthwiseConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D.
Measured (tests/test_models_2d.py): a model holding every 2-D block once compiles with g++ and its
C-sim equals Keras exactly on 64 inputs, once the po2 exponent fields of the shift layer are widened as
hwgen/hls does in 1-D (hls4ml's default 4-bit field floors shift products: 1 output LSB off).

Costs below use T = output length, k = kernel, C = input channels, F = output filters; in 2-D read
T as the output positions (time x depth) and k as the kernel taps (k_t * k_d).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qkeras import (
    QActivation,
    QConv1D,
    QConv2D,
    QDense,
    QDepthwiseConv2D,
    QSeparableConv1D,
    QSeparableConv2D,
    quantized_bits,
    quantized_po2,
    quantized_relu,
)
from tensorflow.keras import initializers, layers

# Blocks outside the hwgen hardware vocabulary; zoo.build refuses them unless allow_unconvertible=True.
# Measured with hls4ml 1.3.0 (convert + compile, 16x8 input, ap_fixed<24,8>): SE converts and matches
# Keras to 0.008 (its sigmoid lookup table), CBAM-channel converts but deviates by up to 0.086 on
# every row. Neither fits the golden integer model / RTL: a float sigmoid gate and a broadcasting Multiply.
UNCONVERTIBLE_BLOCKS = {
    "se": "squeeze-excitation needs a sigmoid gate and a broadcasting Multiply, which the golden integer "
    "model and RTL backend do not have (hls4ml 1.3.0 converts it, within its sigmoid table's precision)",
    "cbam": "CBAM channel attention needs a sigmoid gate and a broadcasting Multiply (not in the golden "
    "model / RTL), and hls4ml 1.3.0's conversion of it deviates from Keras by up to 0.086",
}

# He initialisation keeps activations at scale through ReLUs without batch norm, so small values do
# not vanish under the quantized ReLU's step at initialisation.
INIT = "he_normal"
PO2_MAX = 0.5  # largest shift weight: makes QKeras' exponent range exactly 2^(po2_bits-1) values


def depthwise_init(kernel):
    """He initialisation for a depthwise kernel: its fan-in is the k taps of one channel. Keras's
    default counts k * channels, which shrinks activations by sqrt(channels) per depthwise layer."""
    taps = math.prod(kernel) if isinstance(kernel, tuple) else kernel
    return initializers.TruncatedNormal(stddev=math.sqrt(2.0 / taps) / 0.8796)  # undo truncation shrink


def is_2d(x) -> bool:
    """True for a (batch, time, depth, channels) image tensor, False for a (batch, time, channels) sequence."""
    return len(x.shape) == 4


def kernel_2d(kernel) -> tuple[int, int]:
    """(time taps, depth taps) of a 2-D kernel given as k (square) or a (k_t, k_d) pair."""
    return (int(kernel), int(kernel)) if isinstance(kernel, int) else tuple(int(k) for k in kernel)


def _factorised(x, name, layer, kernel, activate, q):
    """Run ``layer(x, name, kernel)`` as k_t x 1 (``{name}_time``, quantized ReLU) then 1 x k_d (``name``)."""
    k_t, k_d = kernel_2d(kernel)
    x = relu(layer(x, f"{name}_time", (k_t, 1)), f"{name}_time_relu", q)
    x = layer(x, name, (1, k_d))
    return relu(x, f"{name}_relu", q) if activate else x


@dataclass(frozen=True)
class Quant:
    """Quantizer settings shared by a model's layers.

    ``bits=None`` builds the float twin of the same graph (same layer classes and names, no
    quantizers) used for float pre-training before QAT; weights transfer by layer name.
    Weights: quantized_bits(bits, 0, alpha=1), range [-1, 1); shift layers: quantized_po2(po2_bits, 0.5),
    sign * 2^-e with e in 1..2^(po2_bits-1) (never zero), so a weight is exactly a sign bit and a
    (po2_bits-1)-bit shift. (max_value=1 would give 2^(po2_bits-1)+1 exponents, one too many.) Biases: quantized_bits(max(bits, 8), 2, alpha=1) since they add at accumulator
    width. Activations: quantized_relu(bits, act_integer).
    """

    bits: int | None = 8
    act_integer: int | None = None
    po2_bits: int = 4
    input_bits: int = 8

    @property
    def is_float(self) -> bool:
        return self.bits is None

    def kernel(self, shift: bool = False):
        if self.is_float:
            return None
        if shift:
            return quantized_po2(self.po2_bits, PO2_MAX)
        return quantized_bits(self.bits, 0, alpha=1)

    def bias(self):
        return None if self.is_float else quantized_bits(max(self.bits, 8), 2, alpha=1)

    def relu(self):
        if self.is_float:
            return "relu"
        integer = self.act_integer if self.act_integer is not None else (3 if self.bits >= 6 else 2)
        return quantized_relu(self.bits, integer)

    def input(self):
        return "relu" if self.is_float else quantized_relu(self.input_bits, 0)


def relu(x, name: str, q: Quant):
    """Quantized ReLU: the only nonlinearity inside the models (hls4ml: yes; costs nothing)."""
    return QActivation(q.relu(), name=name)(x)


def conv(x, name: str, filters: int, kernel, q: Quant, *, shift=False, stride=1, activate=True, factorised=False):
    """Standard convolution, the baseline: params k*C*F + F, MACs T*k*C*F. hls4ml: yes (1-D and 2-D).

    2-D with ``factorised=True`` (Inception-v3 style): k_t x 1 to M = min(C, F) maps, quantized ReLU,
    then 1 x k_d to F: params k_t*C*M + k_d*M*F, MACs T*(k_t*C*M + k_d*M*F) instead of T*k_t*k_d*C*F,
    at most (k_t + k_d) / (k_t * k_d) of it (3x3: 2/3, 9x9: 2/9). hls4ml: yes (rectangular QConv2D).
    """
    if not is_2d(x):
        x = QConv1D(
            filters, kernel, strides=stride, padding="same", name=name, kernel_initializer=INIT,
            kernel_quantizer=q.kernel(shift), bias_quantizer=q.bias(),
        )(x)
        return relu(x, f"{name}_relu", q) if activate else x

    def layer(h, layer_name, size):
        last = layer_name == name  # a factorised pair's first half makes min(C, F) maps
        return QConv2D(
            filters if last else min(filters, x.shape[-1]), size, strides=stride if last else 1, padding="same",
            name=layer_name,
            kernel_initializer=INIT, kernel_quantizer=q.kernel(shift), bias_quantizer=q.bias(),
        )(h)

    if factorised and min(kernel_2d(kernel)) > 1:
        return _factorised(x, name, layer, kernel, activate, q)
    x = layer(x, name, kernel_2d(kernel))
    return relu(x, f"{name}_relu", q) if activate else x


def depthwise(x, name: str, kernel, q: Quant, *, shift=False, stride=1, activate=True, factorised=False):
    """Depthwise convolution, one k-tap filter per channel: params k*C + C, MACs T*k*C.

    1-D: QKeras has no QDepthwiseConv1D, so this is QDepthwiseConv2D with a (k, 1) kernel between two
    Reshapes ((T, C) -> (T, 1, C) -> (T', C)). hls4ml: yes; checked against Keras with
    convert_from_keras_model + compile (io_parallel and io_stream, 8 channels): agrees to one output
    LSB (ReLU rounding), without the alternating-channel fault of hls4ml #1471/#1472.
    2-D: QDepthwiseConv2D with a (k_t, k_d) kernel, or with ``factorised=True`` a k_t x 1 depthwise,
    quantized ReLU, then 1 x k_d: params (k_t + k_d)*C instead of k_t*k_d*C. hls4ml: yes (io_stream).
    """
    def layer(h, layer_name, size):
        steps = stride if layer_name == name else 1  # a factorised pair strides once, in its last layer
        return QDepthwiseConv2D(
            size, strides=(steps, steps if is_2d(x) else 1), padding="same", name=layer_name,
            depthwise_initializer=depthwise_init(size), depthwise_quantizer=q.kernel(shift), bias_quantizer=q.bias(),
        )(h)

    if is_2d(x):
        if factorised and min(kernel_2d(kernel)) > 1:
            return _factorised(x, name, layer, kernel, activate, q)
        x = layer(x, name, kernel_2d(kernel))
        return relu(x, f"{name}_relu", q) if activate else x
    steps, channels = x.shape[1], x.shape[2]
    x = layers.Reshape((steps, 1, channels), name=f"{name}_to2d")(x)
    x = layer(x, name, (kernel, 1))
    x = layers.Reshape((x.shape[1], channels), name=f"{name}_to1d")(x)
    return relu(x, f"{name}_relu", q) if activate else x


def separable(x, name: str, filters: int, kernel, q: Quant, *, shift=False, activate=True):
    """Depthwise-separable convolution (QSeparableConv1D / QSeparableConv2D: depthwise k taps, then
    pointwise 1x1).

    Params k*C + C*F + F instead of k*C*F (MACs T*(k*C + C*F) instead of T*k*C*F): about
    1/F + 1/k of the standard cost. No activation between the two halves (one Keras layer).
    hls4ml: yes (1-D: split into depthwise + pointwise; 2-D: SeparableConv2D, io_stream). With
    ``shift=True`` both kernels are sign * 2^-e (quantized_po2): the DeepShift "Q" mode, so the
    hardware shifts instead of multiplying.
    """
    layer, size = (QSeparableConv2D, kernel_2d(kernel)) if is_2d(x) else (QSeparableConv1D, kernel)
    x = layer(
        filters, size, padding="same", name=name, depthwise_initializer=depthwise_init(size), pointwise_initializer=INIT,
        depthwise_quantizer=q.kernel(shift), pointwise_quantizer=q.kernel(shift), bias_quantizer=q.bias(),
    )(x)
    return relu(x, f"{name}_relu", q) if activate else x


def inverted_residual(x, name: str, filters: int, kernel, q: Quant, *, expand: int = 2, factorised=False):
    """MobileNetV2 inverted residual: expand 1x1 (C -> e*C), depthwise k, linear project 1x1, add.

    Params C*eC + k*eC + eC*F (+ biases), MACs T*(C*eC + k*eC + eC*F): cheap when F ~ C, and the
    wide depthwise stage sees e times more features. The skip Add is used when C == F. Unlike
    MobileNetV2, a quantized ReLU follows the add (``{name}_out``) so every tensor between blocks
    has one unsigned fixed-point type. hls4ml: yes (1-D and 2-D; ``factorised`` splits the 2-D depthwise).
    """
    channels = x.shape[-1]
    h = conv(x, f"{name}_exp", channels * expand, 1, q)
    h = depthwise(h, f"{name}_dw", kernel, q, factorised=factorised)
    h = conv(h, f"{name}_proj", filters, 1, q, activate=False)
    if channels == filters:
        h = layers.Add(name=f"{name}_add")([x, h])
    return relu(h, f"{name}_out", q)


def ghost(x, name: str, filters: int, kernel, q: Quant, *, factorised=False):
    """Ghost module (GhostNet): a 1x1 primary conv makes F/2 maps, a cheap depthwise k makes the
    other F/2 "ghost" maps from them, and the two are concatenated.

    Params C*F/2 + k*F/2, MACs T*(C*F/2 + k*F/2): about half a 1x1 conv, and far below a k-wide
    standard conv. hls4ml: yes (Concatenate on the channel axis, 1-D and 2-D).
    """
    if filters % 2:
        raise ValueError(f"{name}: ghost module needs an even number of filters, got {filters}")
    primary = conv(x, f"{name}_primary", filters // 2, 1, q)
    cheap = depthwise(primary, f"{name}_cheap", kernel, q, factorised=factorised)
    return layers.Concatenate(axis=-1, name=f"{name}_cat")([primary, cheap])


def fire(x, name: str, squeeze: int, expand: int, q: Quant, *, kernel=3, factorised=False):
    """Fire module (SqueezeNet): squeeze 1x1 to S maps, then expand with parallel 1x1 and k-wide
    convs (E each), concatenated to 2E maps.

    Params C*S + S*E + k*S*E, MACs T*(C*S + S*E + k*S*E): the squeeze makes the k-wide conv cheap.
    hls4ml: yes (Concatenate on the channel axis, 1-D and 2-D).
    """
    s = conv(x, f"{name}_squeeze", squeeze, 1, q)
    e1 = conv(s, f"{name}_e1", expand, 1, q)
    ek = conv(s, f"{name}_ek", expand, kernel, q, factorised=factorised)
    return layers.Concatenate(axis=-1, name=f"{name}_cat")([e1, ek])


def squeeze_excite(x, name: str, q: Quant, *, ratio: int = 4, kind: str = "se"):
    """Channel attention: squeeze-excitation (``kind='se'``: GAP -> FC -> ReLU -> FC -> sigmoid) or
    CBAM's channel module (``kind='cbam'``: the same MLP on the average- and max-pooled vectors,
    summed), and the input scaled per channel by the gate.

    Params about 2*C*C/ratio, MACs about 2*C*C/ratio + T*C: cheap. Hardware: NO. hls4ml 1.3.0
    converts SE (matching Keras to its sigmoid table's precision) but CBAM-channel deviates by up to
    0.086, and neither the sigmoid gate nor the broadcasting Multiply exists in the golden integer
    model or the RTL; build() refuses it unless ``allow_unconvertible=True`` (float/QAT study only).
    """
    channels = x.shape[-1]
    hidden = max(1, channels // ratio)
    fc1 = QDense(hidden, name=f"{name}_fc1", kernel_quantizer=q.kernel(), bias_quantizer=q.bias())
    fc2 = QDense(channels, name=f"{name}_fc2", kernel_quantizer=q.kernel(), bias_quantizer=q.bias())

    def mlp(v, tag):
        return fc2(relu(fc1(v), f"{name}_{tag}_relu", q))

    avg_pool, max_pool = ((layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D) if is_2d(x)
                          else (layers.GlobalAveragePooling1D, layers.GlobalMaxPooling1D))
    gate = mlp(avg_pool(name=f"{name}_avg")(x), "avg")
    if kind == "cbam":
        gate = layers.Add(name=f"{name}_sum")([gate, mlp(max_pool(name=f"{name}_max")(x), "max")])
    gate = layers.Activation("sigmoid", name=f"{name}_gate")(gate)
    gate = layers.Reshape((1,) * (len(x.shape) - 2) + (channels,), name=f"{name}_gate3d")(gate)
    return layers.Multiply(name=f"{name}_scale")([x, gate])
