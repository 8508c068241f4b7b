"""The named, configurable models of the hwgen zoo.

All share one macro-structure so their costs compare fairly: an 8-bit input quantizer, three stages
(filters 16/32/64 times ``width``, ``depth`` blocks each, then max-pooling along time by ``pools``),
global average pooling, a quantized dense ``logits`` layer and a separate ``softmax`` (hardware drops
it and takes the argmax). Only the block inside a stage differs.

``dims=1`` (default) convolves along slow time with the depth bins as channels: the hardware path.
``dims=2`` reshapes the (time, depth) input to a (time, depth, 1) image and uses the 2-D form of the
same blocks (pooling both axes): hls4ml 1.3.0 converts these models (io_stream), but the golden
integer model, the RTL backend and ``hwgen convert`` are 1-D only and refuse them by layer name.
"""

from __future__ import annotations

import math

import tensorflow as tf
from qkeras import QActivation, QDense
from tensorflow.keras import layers

from hwgen.errors import ModelError
from hwgen.models import blocks
from hwgen.models.blocks import Quant
from hwgen.models.catalog import BITS_RANGE, DEFAULTS, MODELS, TESTED_BITS

FACTORISABLE = ("cnn", "mobilenet", "ghostnet", "firenet")  # their k-wide kernels are QConv2D / QDepthwiseConv2D
BASE_FILTERS = (16, 32, 64)


def available() -> list[str]:
    """Names of the zoo models."""
    return list(MODELS)


def build(name: str, input_shape, n_classes: int, **cfg) -> tf.keras.Model:
    """Build zoo model ``name`` for inputs of shape (time, depth) and ``n_classes`` classes.

    ``cfg`` keys and defaults are in ``DEFAULTS``. Inputs with time == 1 (single A-lines, task
    ``aline``) are convolved along depth instead (a Reshape to (depth, 1) first). With ``dims=2`` the
    input is reshaped to a (time, depth, 1) image (named ``to_image``) and pooled on both axes. Raises ModelError
    for an unknown name or setting, a shape the model cannot take, or an hls4ml-unconvertible block
    (``attention``) unless ``allow_unconvertible=True``.
    """
    if name not in MODELS:
        raise ModelError(f"unknown model {name!r}; available: {', '.join(MODELS)}")
    unknown = set(cfg) - set(DEFAULTS)
    if unknown:
        raise ModelError(f"model {name!r}: unknown setting(s) {sorted(unknown)}; accepted: {sorted(DEFAULTS)}")
    cfg = {**DEFAULTS, **cfg}
    _check_settings(name, cfg, n_classes)
    steps, channels = _sequence_shape(name, input_shape, (cfg["input_pool"], *cfg["pools"]), cfg["dims"])
    two_d = cfg["dims"] == 2
    q = Quant(bits=cfg["bits"], act_integer=cfg["act_integer"], po2_bits=cfg["po2_bits"])

    inputs = layers.Input(tuple(int(s) for s in input_shape), name="x_in")  # "input" is reserved in hls4ml
    x = inputs
    if two_d:
        x = layers.Reshape((steps, channels, 1), name="to_image")(x)
    elif int(input_shape[0]) == 1:
        x = layers.Reshape((steps, channels), name="to_depth_seq")(x)
    x = QActivation(q.input(), name="input_q")(x)
    if cfg["input_pool"] > 1:  # along time only
        pool = (cfg["input_pool"], 1) if two_d else cfg["input_pool"]
        x = (layers.AveragePooling2D if two_d else layers.AveragePooling1D)(pool, name="pool0")(x)
    filters = [max(2, 2 * round(f * cfg["width"] / 2)) for f in BASE_FILTERS]
    if name == "mobilenet":
        x = blocks.conv(x, "stem", filters[0], 1, q)
    for stage, (f, pool) in enumerate(zip(filters, cfg["pools"], strict=True), start=1):
        for i in range(1, cfg["depth"] + 1):
            x = _block(name, x, f"b{stage}" if cfg["depth"] == 1 else f"b{stage}_{i}", f, cfg, q)
        if cfg["attention"]:
            x = blocks.squeeze_excite(x, f"att{stage}", q, kind=cfg["attention"])
        if pool > 1:
            x = (layers.MaxPooling2D if two_d else layers.MaxPooling1D)(pool, name=f"pool{stage}")(x)
    x = (layers.GlobalAveragePooling2D if two_d else layers.GlobalAveragePooling1D)(name="gap")(x)
    x = QDense(
        n_classes, name="logits", kernel_quantizer=q.kernel(shift=name == "shiftcnn"), bias_quantizer=q.bias()
    )(x)
    outputs = layers.Activation("softmax", name="softmax")(x)
    model = tf.keras.Model(inputs, outputs, name=name)
    _start_as_high_pass(model)
    return model


def _start_as_high_pass(model) -> None:
    """Make every temporal kernel (k > 1 taps) sum to zero over its taps at initialisation.

    In an M-mode the static depth profile (skin, pleura, A-line reverberations) is shared by all
    classes, while the classes differ in how the texture changes over slow time. Without batch norm
    a randomly initialised net is dominated by the static part and barely learns on the small
    synthetic sets; starting from high-pass (zero-DC) kernels fixes that. Training may move away.
    """
    for layer in model.layers:
        for weight in layer.weights:
            short = weight.name.split("/")[-1].split(":")[0]
            if short in ("kernel", "depthwise_kernel") and len(weight.shape) >= 3 and weight.shape[0] > 1:
                value = weight.numpy()
                weight.assign(value - value.mean(axis=0, keepdims=True))


def _block(name, x, block_name, filters, cfg, q):
    kernel, factorised = cfg["kernel"], cfg["factorise"]
    if name == "cnn":
        return blocks.conv(x, block_name, filters, kernel, q, factorised=factorised)
    if name in ("dscnn", "shiftcnn"):
        return blocks.separable(x, block_name, filters, kernel, q, shift=name == "shiftcnn")
    if name == "mobilenet":
        return blocks.inverted_residual(x, block_name, filters, kernel, q, expand=cfg["expand"], factorised=factorised)
    if name == "ghostnet":
        return blocks.ghost(x, block_name, filters, kernel, q, factorised=factorised)
    return blocks.fire(x, block_name, max(2, filters // 4), filters // 2, q, factorised=factorised)


def _check_settings(name, cfg, n_classes):
    bits = cfg["bits"]
    lo, hi = BITS_RANGE
    if bits is not None and not (isinstance(bits, int) and lo <= bits <= hi):
        raise ModelError(f"model {name!r}: bits must be an integer in {lo}..{hi} "
                         f"({', '.join(map(str, TESTED_BITS))} tested) or None, got {bits!r}")
    if not (isinstance(n_classes, int) and n_classes >= 2):
        raise ModelError(f"model {name!r}: n_classes must be an integer >= 2, got {n_classes!r}")
    if not (cfg["width"] > 0 and isinstance(cfg["depth"], int) and cfg["depth"] >= 1):
        raise ModelError(f"model {name!r}: width must be > 0 and depth an integer >= 1")
    _check_dims(name, cfg)
    if not (isinstance(cfg["input_pool"], int) and cfg["input_pool"] >= 1):
        raise ModelError(f"model {name!r}: input_pool must be an integer >= 1, got {cfg['input_pool']!r}")
    if len(cfg["pools"]) != len(BASE_FILTERS) or any(int(p) < 1 for p in cfg["pools"]):
        raise ModelError(f"model {name!r}: pools needs {len(BASE_FILTERS)} factors >= 1, got {cfg['pools']!r}")
    attention = cfg["attention"]
    if attention is not None:
        if attention not in blocks.UNCONVERTIBLE_BLOCKS:
            raise ModelError(f"model {name!r}: attention must be one of {list(blocks.UNCONVERTIBLE_BLOCKS)}")
        if not cfg["allow_unconvertible"]:
            raise ModelError(
                f"model {name!r}: attention={attention!r} cannot be converted by hls4ml "
                f"({blocks.UNCONVERTIBLE_BLOCKS[attention]}); pass allow_unconvertible=True to build it anyway"
            )


def _check_dims(name, cfg):
    """dims, kernel and factorise settings: which block runs in which dimensionality."""
    dims, kernel = cfg["dims"], cfg["kernel"]
    if dims not in (1, 2):
        raise ModelError(f"model {name!r}: dims must be 1 (time, depth bins as channels) or 2 (time x depth image), "
                         f"got {dims!r}")
    pair = isinstance(kernel, (tuple, list)) and len(kernel) == 2 and dims == 2
    taps = tuple(kernel) if pair else (kernel,)
    if not all(isinstance(k, int) and k >= 1 for k in taps):
        raise ModelError(f"model {name!r}: kernel must be an integer >= 1"
                         f"{' or a (time, depth) pair' if dims == 2 else ''}, got {kernel!r}")
    if cfg["factorise"]:
        if dims != 2:
            raise ModelError(f"model {name!r}: factorise (k x 1 then 1 x k) needs dims=2; 1-D kernels are already k x 1")
        if name not in FACTORISABLE:
            raise ModelError(f"model {name!r}: factorise is not supported by its block (QSeparableConv2D is one "
                             f"layer); supported: {', '.join(FACTORISABLE)}")


def _sequence_shape(name, input_shape, pools, dims=1):
    """(steps, channels) of the sequence the convolutions run along (dims=2: (time, depth) of the image),
    after checking the shape."""
    shape = tuple(input_shape)
    if len(shape) != 2 or not all(isinstance(s, int) and s >= 1 for s in shape):
        raise ModelError(f"model {name!r}: input shape {shape} is not (time, depth) with positive integers")
    time, depth = shape
    needed = math.prod(int(p) for p in pools)
    if dims == 2:
        if time == 1:
            raise ModelError(f"model {name!r}: dims=2 needs time > 1 (a time x depth image); single A-lines "
                             "(time 1) take dims=1")
        stage_pools = math.prod(int(p) for p in pools[1:])  # input_pool (pools[0]) acts on time only
        if depth < stage_pools:
            raise ModelError(f"model {name!r}: input depth {depth} is too short for 2-D pools {tuple(pools[1:])}: "
                             f"needs depth >= {stage_pools} (pass smaller pools=...)")
    steps, channels, axis = (depth, 1, "depth") if time == 1 else (time, depth, "time")
    if steps < needed:
        raise ModelError(
            f"model {name!r}: input {axis} {steps} is too short for pools {tuple(pools)}: needs {axis} >= {needed}"
            " (pass smaller pools=...)"
        )
    return steps, channels
