"""Export a trained QKeras model to the integer graph (`hwgen.graph`): untyped nodes with exact weights.

This is the only bridge from Keras to the hub; everything after it (precision inference, the backends,
the driver) works on the graph without TensorFlow.

Weights are passed through their own QKeras quantizers and turned into exact integers on a
power-of-two grid; quantized activations carry the type hls4ml gives them
(quantized_relu(b, i) -> ap_ufixed<b, i, AP_RND_CONV, AP_SAT>). Layers outside `SUPPORTED` are
refused by name. A final softmax is dropped: hardware outputs logits and the argmax (a softmax
after wide logits is where hls4ml's lookup tables return constants).

What users bring from hls4ml and FINN flows:
- An activation given inside a layer (`QConv1D(..., activation=quantized_relu(8, 3))`) becomes its own
  node, named as hls4ml names the activation it splits off: `<layer>_<quantizer class>` (`c2_quantized_relu`),
  or `<layer>_relu` for a float ReLU.
- Per-channel power-of-two scales (`quantized_bits(..., alpha='auto_po2')`, or any power-of-two alpha) are
  exact: the scaled values are integers on a finer common grid, declared at the width they need. A float
  scale (alpha='auto') is refused, naming what to use instead. alpha=None is QKeras' default: on a
  layer's kernel QKeras turns it into 'auto_po2' when it builds the layer; elsewhere it is scale 1.
- A BatchNormalization directly after a QConv1D, QSeparableConv1D, QDepthwiseConv2D or QDense (with no
  activation inside it) is folded into that layer: w' = w * s, b' = (b - mean) * s + beta per output
  channel, s = gamma / sqrt(var + eps). s is not a power of two, so the folded weights are re-quantized:
  `fold_bits` significant bits (default: the kernel's bits + 4, e.g. 12 for 8-bit weights, still one DSP48
  operand) on one power-of-two grid for the layer, the bias on the same grid, both rounded half to even.
  Keras agreement is then measured, not bit-exact (`hwgen build` enforces a tolerance).

hls4ml keeps a BatchNormalization after a quantized layer as its own layer (its `bn_fuse` pass refuses
quantized weights) and splits alpha scales into `ApplyAlpha` layers; `for_hls4ml` therefore gives hls4ml
a derived model (BatchNormalization removed, folded and rescaled weights set to the graph's exact values
under alpha=1 quantizers that hold them), so hls4ml, the graph and C-sim compute the same integers.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np

from hwgen.errors import ModelError
from hwgen.graph import ops
from hwgen.graph.check import check
from hwgen.graph.graph import WEIGHTED_OPS, Graph, Node
from hwgen.graph.layers import QWeights
from hwgen.graph.ops import Fixed

SUPPORTED = (
    "InputLayer", "QConv1D", "QSeparableConv1D", "QDepthwiseConv2D (on a (time, 1, ch) Reshape)", "QDense",
    "BatchNormalization (folded into the weighted layer before it)",
    "QActivation(quantized_relu | quantized_bits)", "Activation(relu | linear | final softmax)",
    "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "Add", "Concatenate", "Flatten",
    "Reshape", "Dropout",
)
_IDENTITY = ("Dropout",)
MAX_FRAC = 40
FOLD_EXTRA_BITS = 4  # folded BatchNormalization weights: the kernel's bits + this many significant bits
WEIGHTED_KINDS = ("QConv1D", "QSeparableConv1D", "QDepthwiseConv2D", "QDense")


def to_graph(model, classes=None, *, allow_float: bool = False, meta: dict | None = None,
             fold_bits: int | None = None) -> Graph:
    """The model as an untyped integer graph (softmax dropped); `classes` names the outputs.

    `allow_float` lets an unquantized model through with float weights, for the cost model only
    (such a graph cannot be executed or converted). `fold_bits`: significant bits of folded
    BatchNormalization weights (default: the kernel's bits + FOLD_EXTRA_BITS).
    """
    nodes = from_keras(model, allow_float=allow_float, fold_bits=fold_bits)
    graph = Graph(nodes, classes=list(classes or []), meta=dict(meta or {}), name=model.name)
    check(graph)
    return graph


def from_keras(model, *, allow_float: bool = False, fold_bits: int | None = None) -> list[Node]:
    """The model's layers as untyped nodes in topological order (softmax dropped, BatchNormalization folded)."""
    _check_input(model)
    model = functional(model)
    config = model.get_config()["layers"]
    readers = _readers(model.get_config())
    alias: dict[str, str] = {}  # skipped or folded layer -> the node that carries its value
    nodes: list[Node] = []
    for index, entry in enumerate(config):
        layer = model.get_layer(entry["config"]["name"])
        inputs = [alias.get(n, n) for n in _inbound(entry)]
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            _fold_batchnorm(layer, {n.name: n for n in nodes}, inputs[0] if inputs else None, readers, fold_bits)
            alias[layer.name] = inputs[0]
            continue
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


def functional(model):
    """A Sequential model as the same layers in a functional model (whose config names every layer's inputs)."""
    import tensorflow as tf

    if isinstance(model, tf.keras.Sequential):
        return tf.keras.Model(model.inputs, model.outputs, name=model.name)
    return model


def _readers(model_config: dict) -> dict[str, int]:
    """Keras layer name -> how many layers (or model outputs) read its output."""
    count: dict[str, int] = {}
    for entry in model_config["layers"]:
        for name in _inbound(entry):
            count[name] = count.get(name, 0) + 1
    for item in model_config.get("output_layers", []):
        count[item[0]] = count.get(item[0], 0) + 1
    return count


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
    if kind in WEIGHTED_KINDS:
        nodes = _weighted(layer, kind, inputs, shape, allow_float)
        return nodes + _inner_activation(layer, kind, nodes[-1])
    if kind == "InputLayer":
        return [Node(name, "input", [], shape)]
    if kind == "QActivation":
        op, quantizer = _quantizer_type(layer.name, layer.quantizer if hasattr(layer, "quantizer") else layer.activation)
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


def _weighted(layer, kind, inputs, shape, allow_float) -> list[Node]:
    name = layer.name
    if kind == "QConv1D":
        _check_conv(layer, kind)
        kernel, scaled = _kernel(layer, "kernel", allow_float=allow_float)
        return [Node(name, "conv", inputs, shape, kernel, _bias(layer, allow_float),
                     {"stride": int(layer.strides[0]), "padding": layer.padding} | scaled)]
    if kind == "QSeparableConv1D":
        return _separable(layer, inputs, shape, allow_float)
    if kind == "QDepthwiseConv2D":
        return [_depthwise2d(layer, inputs, shape, allow_float)]
    if len(layer.input_shape) != 2:
        raise ModelError(f"layer {name!r} (QDense) takes a {len(layer.input_shape) - 1}-D input; hwgen needs a "
                         "flat vector: put Flatten or GlobalAveragePooling1D before it")
    kernel, scaled = _kernel(layer, "kernel", allow_float=allow_float)
    return [Node(name, "dense", inputs, shape, kernel, _bias(layer, allow_float), scaled)]


def _inner_activation(layer, kind, node: Node) -> list[Node]:
    """An activation given inside a weighted layer, as its own node named the way hls4ml names it."""
    act = layer.get_config().get("activation")
    if act in (None, "linear"):
        return []
    if act == "relu":
        return [Node(f"{layer.name}_relu", "relu", [node.name], node.shape)]
    if isinstance(act, str):
        where = "put it in its own final Activation('softmax') layer (hwgen drops it: the hardware outputs logits)" \
            if act == "softmax" else "use quantized_relu or quantized_bits (inside the layer or in a QActivation)"
        raise ModelError(f"layer {layer.name!r} ({kind}) has activation {act!r} inside it; {where}")
    quantizer = layer.activation
    op, out = _quantizer_type(layer.name, quantizer)
    return [Node(f"{layer.name}_{type(quantizer).__name__}", op, [node.name], node.shape, attrs={"quantizer": out})]


def _unsupported(layer, kind) -> ModelError:
    detail = f"{kind}({layer.get_config().get('activation')})" if kind == "Activation" else kind
    return ModelError(f"layer {layer.name!r} is a {detail}, which hwgen cannot convert; supported: {', '.join(SUPPORTED)}")


def _check_conv(layer, kind):
    if layer.padding not in ("valid", "same"):
        raise ModelError(f"layer {layer.name!r} ({kind}): padding {layer.padding!r}; hwgen supports 'valid' and 'same'")
    if any(int(d) != 1 for d in layer.dilation_rate):
        raise ModelError(f"layer {layer.name!r} ({kind}): dilation {layer.dilation_rate} is not supported")


def _separable(layer, inputs, shape, allow_float=False) -> list[Node]:
    _check_conv(layer, "QSeparableConv1D")
    if int(layer.depth_multiplier) != 1:
        raise ModelError(f"layer {layer.name!r}: depth_multiplier {layer.depth_multiplier}; hwgen supports 1")
    dw, dw_scaled = _kernel(layer, "depthwise_kernel", "depthwise_quantizer_internal", allow_float)
    dw = replace(dw, values=dw.values[:, :, 0])
    pw, pw_scaled = _kernel(layer, "pointwise_kernel", "pointwise_quantizer_internal", allow_float)
    steps = shape[0]
    channels = int(layer.input_shape[-1])
    stride = int(layer.strides[0])
    return [
        Node(f"{layer.name}_depthwise", "depthwise", inputs, (steps, channels), dw, None,
             {"stride": stride, "padding": layer.padding} | dw_scaled, keras=layer.name),
        Node(f"{layer.name}_pointwise", "conv", [f"{layer.name}_depthwise"], shape,
             pw, _bias(layer, allow_float), {"stride": 1, "padding": "valid"} | pw_scaled,
             keras=layer.name),
    ]


def _depthwise2d(layer, inputs, shape, allow_float=False) -> Node:
    in_shape = tuple(layer.input_shape[1:])
    k_h, k_w = (int(k) for k in layer.kernel_size)
    if len(in_shape) != 3 or in_shape[1] != 1 or k_w != 1 or int(layer.depth_multiplier) != 1:
        raise ModelError(f"layer {layer.name!r}: QDepthwiseConv2D is supported only as a 1-D depthwise "
                         f"((time, 1, ch) input, (k, 1) kernel, depth_multiplier 1); got input {in_shape}, "
                         f"kernel {layer.kernel_size}")
    if any(int(d) != 1 for d in layer.dilation_rate):
        raise ModelError(f"layer {layer.name!r}: dilation {layer.dilation_rate} is not supported")
    dw, scaled = _kernel(layer, "depthwise_kernel", "depthwise_quantizer_internal", allow_float)
    dw = replace(dw, values=dw.values[:, 0, :, 0])
    return Node(layer.name, "depthwise", inputs, shape, dw, _bias(layer, allow_float),
                {"stride": int(layer.strides[0]), "padding": layer.padding, "as2d": True} | scaled)


def _kernel(layer, weight, attr="kernel_quantizer_internal", allow_float=False) -> tuple[QWeights, dict]:
    """The weights as exact integers, and {"rescaled": alpha} when a scale (alpha) widened their grid."""
    quantizer = getattr(layer, attr, None)
    if quantizer is None:
        if allow_float:
            return QWeights(np.asarray(getattr(layer, weight).numpy(), dtype=np.float64), None, bits=32), {}
        raise ModelError(f"layer {layer.name!r} has float {weight} weights (no quantizer); hwgen needs "
                         "quantized_bits or quantized_po2 weights")
    name = type(quantizer).__name__
    if name not in ("quantized_bits", "quantized_po2"):
        raise ModelError(f"layer {layer.name!r}: weight quantizer {name} is not supported (quantized_bits, quantized_po2)")
    weights, scaled = _quantized(layer, weight, quantizer)
    po2_width = int(quantizer.bits) if name == "quantized_po2" else None
    return replace(weights, po2_width=po2_width), scaled


def _bias(layer, allow_float=False) -> QWeights | None:
    if not getattr(layer, "use_bias", False) or getattr(layer, "bias", None) is None:
        return None
    quantizer = getattr(layer, "bias_quantizer_internal", None)
    if quantizer is None:
        if allow_float:
            return QWeights(np.asarray(layer.bias.numpy(), dtype=np.float64), None, bits=32)
        raise ModelError(f"layer {layer.name!r} has a float bias (no bias_quantizer); give it quantized_bits")
    return _quantized(layer, "bias", quantizer)[0]


def has_scale(quantizer) -> bool:
    """A quantized_bits whose alpha is not exactly 1 (hls4ml splits such scales into ApplyAlpha layers)."""
    if type(quantizer).__name__ != "quantized_bits":
        return False
    alpha = quantizer.alpha
    return alpha is None or isinstance(alpha, str) or float(alpha) != 1.0


def _quantized(layer, weight, quantizer) -> tuple[QWeights, dict]:
    """A weight through its own quantizer, as exact integers; a power-of-two alpha widens the declared bits."""
    alpha = getattr(quantizer, "alpha", 1)
    label = f"layer {layer.name!r}: {'kernel' if weight == 'kernel' else weight} quantizer"
    if isinstance(alpha, str) and alpha != "auto_po2":
        raise ModelError(f"{label} alpha={alpha!r} scales each output channel by a float, which no fixed-point "
                         "grid holds exactly; use alpha=1 or alpha='auto_po2' (per-channel powers of two, folded "
                         "into the weights exactly)")
    values = np.asarray(quantizer(getattr(layer, weight)).numpy(), dtype=np.float64)
    ints, frac = _on_grid(values, label)
    if alpha is None or type(quantizer).__name__ != "quantized_bits" or (not isinstance(alpha, str)
                                                                          and float(alpha) == 1.0):
        return QWeights(ints, frac, bits=int(quantizer.bits)), {}
    return QWeights(ints, frac, bits=declared_bits(ints, frac)), {"rescaled": str(alpha)}


def declared_bits(ints: np.ndarray, frac: int) -> int:
    """The width of a signed quantized_bits type holding these integers, with at least one integer bit
    (hls4ml's ap_fixed<W, I> with I >= 1, always well-formed)."""
    ints = np.asarray(ints, dtype=np.int64)
    need = ops.bits_needed(min(int(ints.min(initial=0)), 0), max(int(ints.max(initial=0)), 0))
    return max(need, frac + 1)


def _on_grid(values: np.ndarray, what: str) -> tuple[np.ndarray, int]:
    """Real values on a power-of-two grid -> (integers, fractional bits), the coarsest exact grid."""
    for frac in range(0, MAX_FRAC + 1):
        scaled = values * 2.0**frac
        if np.all(scaled == np.round(scaled)):
            return scaled.astype(np.int64), frac
    raise ModelError(f"{what}: quantized values are not on a power-of-two grid (a scale that is not a power of "
                     "two?); use alpha=1 or alpha='auto_po2'")


def _quantizer_type(where: str, quantizer) -> tuple[str, Fixed]:
    """A QKeras activation quantizer -> (graph op, the type hls4ml gives it)."""
    name = type(quantizer).__name__
    if name == "quantized_relu":
        if float(quantizer.negative_slope) != 0.0 or getattr(quantizer, "use_sigmoid", 0):
            raise ModelError(f"layer {where!r}: quantized_relu with negative_slope/use_sigmoid is not supported")
        bits, integer = int(quantizer.bits), int(quantizer.integer)
        return "relu", Fixed(bits, bits - integer, False, "RND_CONV", "SAT")
    if name == "quantized_bits":
        if getattr(quantizer, "alpha", None) not in (None, 1, 1.0) or getattr(quantizer, "symmetric", False):
            raise ModelError(f"layer {where!r}: quantized_bits activations need alpha=1 and symmetric=0")
        if not quantizer.keep_negative:
            raise ModelError(f"layer {where!r}: quantized_bits(keep_negative=False) activations are not "
                             "supported (hls4ml makes them signed); use quantized_relu")
        bits, integer = int(quantizer.bits), int(quantizer.integer)
        return "quant", Fixed(bits, bits - integer - 1, True, "RND_CONV", "SAT")
    raise ModelError(f"layer {where!r}: activation {name} is not supported; use quantized_relu or quantized_bits")


# ---------------------------------------------------------------- BatchNormalization folding


def _fold_batchnorm(bn, nodes: dict[str, Node], source: str | None, readers: dict, fold_bits: int | None) -> None:
    """Fold `bn` into the weighted node `source` in place (see the module docstring)."""
    node = nodes.get(source)
    what = f"BatchNormalization {bn.name!r}"
    fix = ("hwgen folds a BatchNormalization into the QConv1D, QSeparableConv1D, QDepthwiseConv2D or QDense "
           "directly before it (with no activation inside that layer): put it there, before the activation")
    if node is None or node.op not in WEIGHTED_OPS:
        after = f"follows {source!r} ({node.op})" if node is not None else "reads the model input"
        raise ModelError(f"{what} {after}; {fix}")
    if "folded" in node.attrs:
        raise ModelError(f"{what} follows {node.attrs['folded']!r}, already folded into {node.name!r}; {fix}")
    if readers.get(node.keras, 0) > 1:
        raise ModelError(f"{what}: {node.keras!r} also feeds other layers, so its output cannot be scaled; {fix}")
    if node.kernel.is_po2:
        raise ModelError(f"{what} follows the power-of-two layer {node.name!r}: its scales would turn the shifts into "
                         "multiplications; train that layer without BatchNormalization (or with quantized_bits weights)")
    axis = [int(a) for a in np.atleast_1d(bn.axis)]
    if axis != [len(bn.input_shape) - 1]:
        raise ModelError(f"{what}: axis {axis}; hwgen folds a BatchNormalization over the channels (the last axis)")
    scale, shift = _bn_affine(bn)
    kernel = node.kernel.values * (2.0 ** -node.kernel.frac if not node.kernel.is_float else 1.0)
    bias = np.zeros(node.shape[-1]) if node.bias is None else \
        node.bias.values * (2.0 ** -node.bias.frac if not node.bias.is_float else 1.0)
    kernel, bias = kernel * scale, bias * scale + shift
    if node.kernel.is_float:
        node.kernel, node.bias = QWeights(kernel, None, bits=32), QWeights(bias, None, bits=32)
    else:
        bits = int(fold_bits or node.kernel.bits + FOLD_EXTRA_BITS)
        k_ints, frac = requantize_folded(kernel, bits)
        b_ints = np.round(bias * 2.0**frac).astype(np.int64)  # half to even, on the kernel's grid
        node.kernel = QWeights(k_ints, frac, bits=declared_bits(k_ints, frac))
        node.bias = QWeights(b_ints, frac, bits=declared_bits(b_ints, frac))
        node.attrs["fold_bits"] = bits
    node.attrs["folded"] = bn.name


def _bn_affine(bn) -> tuple[np.ndarray, np.ndarray]:
    """(s, t) with BN(x) = x * s + t per channel, from the layer's inference statistics."""
    mean = np.asarray(bn.moving_mean.numpy(), np.float64)
    var = np.asarray(bn.moving_variance.numpy(), np.float64)
    gamma = np.asarray(bn.gamma.numpy(), np.float64) if bn.scale else np.ones_like(mean)
    beta = np.asarray(bn.beta.numpy(), np.float64) if bn.center else np.zeros_like(mean)
    scale = gamma / np.sqrt(var + float(bn.epsilon))
    return scale, beta - mean * scale


def requantize_folded(real: np.ndarray, bits: int) -> tuple[np.ndarray, int]:
    """Real weights -> (integers, frac): `bits` significant bits for the largest magnitude, one grid, half to even."""
    peak = float(np.abs(real).max(initial=0.0))
    if peak == 0.0:
        return np.zeros(real.shape, dtype=np.int64), 0
    frac = bits - 1 - (math.floor(math.log2(peak)) + 1)
    return np.round(real * 2.0**frac).astype(np.int64), frac


# ---------------------------------------------------------------- the model hls4ml converts

# Keras layer kind -> graph node suffix -> (kernel variable, its quantizer's config key)
_KERNEL_SLOTS = {
    "QConv1D": {"": ("kernel", "kernel_quantizer")},
    "QDense": {"": ("kernel", "kernel_quantizer")},
    "QDepthwiseConv2D": {"": ("depthwise_kernel", "depthwise_quantizer")},
    "QSeparableConv1D": {"_depthwise": ("depthwise_kernel", "depthwise_quantizer"),
                         "_pointwise": ("pointwise_kernel", "pointwise_quantizer")},
}


def for_hls4ml(model, graph: Graph):
    """The Keras model hls4ml converts for `graph`: its BatchNormalization layers removed and every folded or
    scaled (alpha != 1) weight set to the graph's exact values under an alpha=1 quantized_bits that holds them.

    Returns `model` itself when nothing needs changing. Layer names are kept, so hls4ml's layers are the
    graph's nodes.
    """
    import tensorflow as tf
    from qkeras.quantizers import get_quantizer

    from hwgen.models import custom_objects

    rewrites = _rewrites(model, graph)
    folded = {n.attrs["folded"] for n in graph.nodes if "folded" in n.attrs}
    if not rewrites and not folded:
        return model
    model = functional(model)
    config = json.loads(model.to_json())["config"]  # plain JSON: get_config() may hold quantizer objects
    source = {e["config"]["name"]: _inbound(e)[0] for e in config["layers"] if e["config"]["name"] in folded}
    kept = []
    for entry in config["layers"]:
        name = entry["config"]["name"]
        if name in folded:
            continue
        if entry["class_name"] == "QActivation" and isinstance(entry["config"]["activation"], dict):
            entry["config"]["activation"] = get_quantizer(entry["config"]["activation"])  # QActivation keeps dicts
        for inbound in entry.get("inbound_nodes") or []:
            for item in inbound:
                item[0] = source.get(item[0], item[0])
        for variable, (weights, key) in rewrites.get(name, {}).items():
            entry["config"][key] = _quantizer_config(weights)
            entry["config"]["use_bias"] = entry["config"].get("use_bias", True) or variable == "bias"
        kept.append(entry)
    config["layers"] = kept
    config["output_layers"] = [[source.get(o[0], o[0]), *o[1:]] for o in config["output_layers"]]
    derived = tf.keras.Model.from_config(config, custom_objects=custom_objects())
    for layer in derived.layers:
        values = {_short(v.name): v.numpy() for v in model.get_layer(layer.name).weights}
        for variable, (weights, _) in rewrites.get(layer.name, {}).items():
            values[variable] = _exact_float32(weights, layer.name)
        layer.set_weights([values[_short(v.name)].reshape(v.shape) for v in layer.weights])
    return derived


def _rewrites(model, graph: Graph) -> dict[str, dict[str, tuple[QWeights, str]]]:
    """{Keras layer: {variable: (the graph's exact weights, quantizer config key)}} of what hls4ml must be given."""
    out: dict[str, dict] = {}
    for node in graph.nodes:
        if node.op not in WEIGHTED_OPS:
            continue
        layer = model.get_layer(node.keras)
        variable, key = _KERNEL_SLOTS[type(layer).__name__][node.name[len(node.keras):]]
        slots = [(variable, key, node.kernel)]
        if node.bias is not None:
            slots.append(("bias", "bias_quantizer", node.bias))
        for variable, key, weights in slots:
            if "folded" in node.attrs or has_scale(getattr(layer, f"{key}_internal", None)):
                out.setdefault(node.keras, {})[variable] = (weights, key)
    return out


def _quantizer_config(weights: QWeights) -> dict:
    """An alpha=1 quantized_bits holding exactly these integers (ap_fixed<bits, bits - frac> in hls4ml)."""
    from qkeras.quantizers import quantized_bits

    quantizer = quantized_bits(int(weights.bits), int(weights.bits) - 1 - int(weights.frac), alpha=1)
    return {"module": "qkeras.quantizers", "class_name": "quantized_bits", "config": quantizer.get_config(),
            "registered_name": "quantized_bits"}


def _exact_float32(weights: QWeights, layer: str) -> np.ndarray:
    values = (weights.values * 2.0 ** -weights.frac).astype(np.float32)
    if not np.array_equal(values.astype(np.float64) * 2.0**weights.frac, weights.values):
        raise ModelError(f"layer {layer!r}: its folded weights need more than float32's 24 bits; "
                         "lower --fold-bits")
    return values


def _short(variable_name: str) -> str:
    """'c1/kernel:0' -> 'kernel'."""
    return variable_name.split("/")[-1].split(":")[0]
