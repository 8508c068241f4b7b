"""Export a trained QKeras model to the integer graph (`hwgen.graph`): untyped nodes with exact weights.

This is the only bridge from Keras to the hub; everything after it (precision inference, the backends,
the driver) works on the graph without TensorFlow.

Weights are passed through their own QKeras quantizers and turned into exact integers on a
power-of-two grid; quantized activations carry the type hls4ml gives them
(quantized_relu(b, i) -> ap_ufixed<b, i, AP_RND_CONV, AP_SAT>). Layers outside `SUPPORTED` are
refused by name. A final softmax is dropped: hardware outputs logits and the argmax (a softmax
after wide logits is where hls4ml's lookup tables return constants).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hwgen.errors import ModelError
from hwgen.graph.check import check
from hwgen.graph.graph import Graph, Node
from hwgen.graph.layers import QWeights
from hwgen.graph.ops import Fixed

SUPPORTED = (
    "InputLayer", "QConv1D", "QSeparableConv1D", "QDepthwiseConv2D (on a (time, 1, ch) Reshape)", "QDense",
    "QActivation(quantized_relu | quantized_bits)", "Activation(relu | linear | final softmax)",
    "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "Add", "Concatenate", "Flatten",
    "Reshape", "Dropout",
)
_IDENTITY = ("Dropout",)
MAX_FRAC = 40


def to_graph(model, classes=None, *, allow_float: bool = False, meta: dict | None = None) -> Graph:
    """The model as an untyped integer graph (softmax dropped); `classes` names the outputs.

    `allow_float` lets an unquantized model through with float weights, for the cost model only
    (such a graph cannot be executed or converted).
    """
    nodes = from_keras(model, allow_float=allow_float)
    graph = Graph(nodes, classes=list(classes or []), meta=dict(meta or {}), name=model.name)
    check(graph)
    return graph


def from_keras(model, *, allow_float: bool = False) -> list[Node]:
    """The model's layers as untyped nodes in topological order (softmax dropped)."""
    _check_input(model)
    config = model.get_config()["layers"]
    alias: dict[str, str] = {}  # skipped layer -> the node that carries its value
    nodes: list[Node] = []
    for index, entry in enumerate(config):
        layer = model.get_layer(entry["config"]["name"])
        inputs = [alias.get(n, n) for n in _inbound(entry)]
        kind = type(layer).__name__
        if _is_skipped(layer, kind, is_last=index == len(config) - 1):
            alias[layer.name] = inputs[0]
            continue
        nodes.extend(_convert(layer, kind, inputs, allow_float))
        alias[layer.name] = nodes[-1].name
    if any(n.op == "input" for n in nodes[1:]) or nodes[0].op != "input":
        raise ModelError("hwgen converts models with exactly one input")
    return nodes


def _check_input(model) -> None:
    """One fixed-length 1-D input; a 2-D model is refused by its first 2-D layer, before any other work."""
    shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
    if len(shapes) != 1:
        raise ModelError(f"model {model.name!r} has {len(shapes)} inputs; hwgen converts models with exactly one")
    shape = shapes[0]
    if any(s is None for s in shape[1:]):
        raise ModelError(f"model {model.name!r}: input shape {tuple(shape[1:])} has a variable length; hwgen's "
                         "hardware streams a fixed window: build the model with Input((time, depth)), e.g. (256, 64)")
    for layer in model.layers:
        if _is_2d(layer):
            raise ModelError(f"layer {layer.name!r} ({type(layer).__name__}) is 2-D; hwgen's integer graph, RTL "
                             "kernels and `hwgen convert` are 1-D (convolution along time, depth bins as channels)")


def _is_2d(layer) -> bool:
    """2-D layers, except the zoo's 1-D depthwise: a QDepthwiseConv2D with a (k, 1) kernel on a (time, 1, ch)
    Reshape."""
    kind = type(layer).__name__
    if not kind.endswith("2D"):
        return False
    if kind == "QDepthwiseConv2D":
        shape = tuple(layer.input_shape[1:])
        return not (len(shape) == 3 and shape[1] == 1 and int(layer.kernel_size[1]) == 1)
    return True


def logits_model(model):
    """The same Keras model without a final softmax (what the hardware computes)."""
    import tensorflow as tf

    last = model.layers[-1]
    if type(last).__name__ == "Activation" and last.get_config()["activation"] == "softmax":
        return tf.keras.Model(model.inputs, last.input, name=f"{model.name}_logits")
    return model


def _inbound(entry) -> list[str]:
    nodes = entry.get("inbound_nodes") or []
    if not nodes:
        return []
    return [item[0] for item in nodes[0]]


def _is_skipped(layer, kind, is_last: bool) -> bool:
    if kind in _IDENTITY:
        return True
    if kind == "Activation":
        act = layer.get_config()["activation"]
        if act == "linear" or (act == "softmax" and is_last):
            return True
        if act == "softmax":
            raise ModelError(f"layer {layer.name!r}: softmax is only supported as the model's last layer (dropped)")
    return False


def _shape(layer) -> tuple:
    return tuple(int(s) for s in layer.output_shape[1:]) if not isinstance(layer.output_shape, list) else \
        tuple(int(s) for s in layer.output_shape[0][1:])


def _convert(layer, kind, inputs, allow_float=False) -> list[Node]:
    name, shape = layer.name, _shape(layer)
    if kind == "InputLayer":
        return [Node(name, "input", [], shape)]
    if kind == "QConv1D":
        _check_conv(layer, kind)
        return [Node(name, "conv", inputs, shape, _kernel(layer, "kernel", allow_float=allow_float),
                     _bias(layer, allow_float), {"stride": int(layer.strides[0]), "padding": layer.padding})]
    if kind == "QSeparableConv1D":
        return _separable(layer, inputs, shape, allow_float)
    if kind == "QDepthwiseConv2D":
        return [_depthwise2d(layer, inputs, shape, allow_float)]
    if kind == "QDense":
        _check_activation(layer, kind)
        if len(layer.input_shape) != 2:
            raise ModelError(f"layer {name!r} (QDense) takes a {len(layer.input_shape) - 1}-D input; hwgen needs a "
                             "flat vector: put Flatten or GlobalAveragePooling1D before it")
        return [Node(name, "dense", inputs, shape, _kernel(layer, "kernel", allow_float=allow_float),
                     _bias(layer, allow_float))]
    if kind == "QActivation":
        op, quantizer = _activation_quantizer(layer)
        return [Node(name, op, inputs, shape, attrs={"quantizer": quantizer})]
    if kind == "Activation":
        if layer.get_config()["activation"] != "relu":
            raise _unsupported(layer, kind)
        return [Node(name, "relu", inputs, shape)]
    if kind in ("MaxPooling1D", "AveragePooling1D"):
        if layer.padding != "valid":
            raise ModelError(f"layer {name!r} ({kind}): padding {layer.padding!r}; hwgen supports 'valid' pooling")
        op = "maxpool" if kind.startswith("Max") else "avgpool"
        return [Node(name, op, inputs, shape, attrs={"pool": int(layer.pool_size[0]), "stride": int(layer.strides[0])})]
    if kind == "GlobalAveragePooling1D":
        if layer.get_config().get("keepdims"):
            raise ModelError(f"layer {name!r}: GlobalAveragePooling1D(keepdims=True) is not supported")
        return [Node(name, "gap", inputs, shape, attrs={"steps": int(layer.input_shape[1])})]
    if kind == "Add":
        if len(inputs) != 2:
            raise ModelError(f"layer {name!r} (Add) has {len(inputs)} inputs; hwgen supports 2")
        return [Node(name, "add", inputs, shape)]
    if kind == "Concatenate":
        if layer.axis not in (-1, len(shape)):
            raise ModelError(f"layer {name!r} (Concatenate): axis {layer.axis}; hwgen concatenates channels (axis -1)")
        return [Node(name, "concat", inputs, shape)]
    if kind in ("Flatten", "Reshape"):
        return [Node(name, "reshape", inputs, shape)]
    raise _unsupported(layer, kind)


def _unsupported(layer, kind) -> ModelError:
    detail = f"{kind}({layer.get_config().get('activation')})" if kind == "Activation" else kind
    return ModelError(f"layer {layer.name!r} is a {detail}, which hwgen cannot convert; supported: {', '.join(SUPPORTED)}")


def _check_activation(layer, kind):
    act = layer.get_config().get("activation")
    if act not in (None, "linear"):
        raise ModelError(f"layer {layer.name!r} ({kind}) has activation {act!r} inside it; use activation=None "
                         "and a separate QActivation layer so every rounding is explicit")


def _check_conv(layer, kind):
    _check_activation(layer, kind)
    if layer.padding not in ("valid", "same"):
        raise ModelError(f"layer {layer.name!r} ({kind}): padding {layer.padding!r}; hwgen supports 'valid' and 'same'")
    if any(int(d) != 1 for d in layer.dilation_rate):
        raise ModelError(f"layer {layer.name!r} ({kind}): dilation {layer.dilation_rate} is not supported")


def _separable(layer, inputs, shape, allow_float=False) -> list[Node]:
    _check_conv(layer, "QSeparableConv1D")
    if int(layer.depth_multiplier) != 1:
        raise ModelError(f"layer {layer.name!r}: depth_multiplier {layer.depth_multiplier}; hwgen supports 1")
    dw = _kernel(layer, "depthwise_kernel", "depthwise_quantizer_internal", allow_float)
    dw = replace(dw, values=dw.values[:, :, 0])
    pw = _kernel(layer, "pointwise_kernel", "pointwise_quantizer_internal", allow_float)
    steps = shape[0]
    channels = int(layer.input_shape[-1])
    stride = int(layer.strides[0])
    return [
        Node(f"{layer.name}_depthwise", "depthwise", inputs, (steps, channels), dw, None,
             {"stride": stride, "padding": layer.padding}, keras=layer.name),
        Node(f"{layer.name}_pointwise", "conv", [f"{layer.name}_depthwise"], shape,
             pw, _bias(layer, allow_float), {"stride": 1, "padding": "valid"},
             keras=layer.name),
    ]


def _depthwise2d(layer, inputs, shape, allow_float=False) -> Node:
    _check_activation(layer, "QDepthwiseConv2D")
    in_shape = tuple(layer.input_shape[1:])
    k_h, k_w = (int(k) for k in layer.kernel_size)
    if len(in_shape) != 3 or in_shape[1] != 1 or k_w != 1 or int(layer.depth_multiplier) != 1:
        raise ModelError(f"layer {layer.name!r}: QDepthwiseConv2D is supported only as a 1-D depthwise "
                         f"((time, 1, ch) input, (k, 1) kernel, depth_multiplier 1); got input {in_shape}, "
                         f"kernel {layer.kernel_size}")
    if any(int(d) != 1 for d in layer.dilation_rate):
        raise ModelError(f"layer {layer.name!r}: dilation {layer.dilation_rate} is not supported")
    dw = _kernel(layer, "depthwise_kernel", "depthwise_quantizer_internal", allow_float)
    dw = replace(dw, values=dw.values[:, 0, :, 0])
    return Node(layer.name, "depthwise", inputs, shape, dw, _bias(layer, allow_float),
                {"stride": int(layer.strides[0]), "padding": layer.padding, "as2d": True})


def _kernel(layer, weight, attr="kernel_quantizer_internal", allow_float=False) -> QWeights:
    quantizer = getattr(layer, attr, None)
    if quantizer is None:
        if allow_float:
            return QWeights(np.asarray(getattr(layer, weight).numpy(), dtype=np.float64), None, bits=32)
        raise ModelError(f"layer {layer.name!r} has float {weight} weights (no quantizer); hwgen needs "
                         "quantized_bits or quantized_po2 weights")
    name = type(quantizer).__name__
    if name not in ("quantized_bits", "quantized_po2"):
        raise ModelError(f"layer {layer.name!r}: weight quantizer {name} is not supported (quantized_bits, quantized_po2)")
    values = np.asarray(quantizer(getattr(layer, weight)).numpy(), dtype=np.float64)
    ints, frac = _on_grid(values, f"layer {layer.name!r} {weight}")
    po2_width = int(quantizer.bits) if name == "quantized_po2" else None
    return QWeights(ints, frac, po2_width, bits=int(quantizer.bits))


def _bias(layer, allow_float=False) -> QWeights | None:
    if not getattr(layer, "use_bias", False) or getattr(layer, "bias", None) is None:
        return None
    quantizer = getattr(layer, "bias_quantizer_internal", None)
    if quantizer is None:
        if allow_float:
            return QWeights(np.asarray(layer.bias.numpy(), dtype=np.float64), None, bits=32)
        raise ModelError(f"layer {layer.name!r} has a float bias (no bias_quantizer); give it quantized_bits")
    values = np.asarray(quantizer(layer.bias).numpy(), dtype=np.float64)
    ints, frac = _on_grid(values, f"layer {layer.name!r} bias")
    return QWeights(ints, frac, bits=int(quantizer.bits))


def _on_grid(values: np.ndarray, what: str) -> tuple[np.ndarray, int]:
    """Real values on a power-of-two grid -> (integers, fractional bits), the coarsest exact grid."""
    for frac in range(0, MAX_FRAC + 1):
        scaled = values * 2.0**frac
        if np.all(scaled == np.round(scaled)):
            return scaled.astype(np.int64), frac
    raise ModelError(f"{what}: quantized values are not on a power-of-two grid (an alpha='auto' scale?); "
                     "use alpha=1 quantizers")


def _activation_quantizer(layer) -> tuple[str, Fixed]:
    quantizer = layer.quantizer if hasattr(layer, "quantizer") else layer.activation
    name = type(quantizer).__name__
    if name == "quantized_relu":
        if float(quantizer.negative_slope) != 0.0 or getattr(quantizer, "use_sigmoid", 0):
            raise ModelError(f"layer {layer.name!r}: quantized_relu with negative_slope/use_sigmoid is not supported")
        bits, integer = int(quantizer.bits), int(quantizer.integer)
        return "relu", Fixed(bits, bits - integer, False, "RND_CONV", "SAT")
    if name == "quantized_bits":
        if getattr(quantizer, "alpha", None) not in (None, 1, 1.0) or getattr(quantizer, "symmetric", False):
            raise ModelError(f"layer {layer.name!r}: quantized_bits activations need alpha=1 and symmetric=0")
        if not quantizer.keep_negative:
            raise ModelError(f"layer {layer.name!r}: quantized_bits(keep_negative=False) activations are not "
                             "supported (hls4ml makes them signed); use quantized_relu")
        bits, integer = int(quantizer.bits), int(quantizer.integer)
        return "quant", Fixed(bits, bits - integer - 1, True, "RND_CONV", "SAT")
    raise ModelError(f"layer {layer.name!r}: QActivation({name}) is not supported; use quantized_relu or quantized_bits")
