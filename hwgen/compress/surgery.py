"""Rebuilding a functional QKeras model with layers changed, inserted, split or removed.

Compression edits a trained model's graph (insert batch norm for slimming, drop channels, split a layer
into two thin ones) and must hand back an ordinary QKeras model that `hwgen.models.export.to_graph` and
hls4ml convert like any zoo model. `rewrite` walks the Keras graph in topological order and lets an
`edit` function produce each layer's output tensor; every layer the edit leaves alone is copied with its
config (quantizers included) and weights.

Channel bookkeeping for structured pruning: `consumers` and `feeds_add` tell which layers a tensor
reaches through channel-preserving layers, so a convolution whose channels meet a residual Add (whose two
inputs must keep the same channels) is never pruned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hwgen.errors import ModelError

# Layers whose output channels are their input's channels, one for one.
CHANNEL_PRESERVING = ("QActivation", "Activation", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D",
                      "Dropout", "Reshape", "QDepthwiseConv2D", "BatchNormalization")
# Layers that make new channels from all of their input's (their input channels can be sliced).
CHANNEL_MIXING = ("QConv1D", "QSeparableConv1D", "QDense")


def inbound(entry: dict) -> list[str]:
    """Names of the layers feeding a layer entry of `model.get_config()["layers"]`."""
    nodes = entry.get("inbound_nodes") or []
    return [item[0] for item in nodes[0]] if nodes else []


def layer_entries(model) -> list[dict]:
    return model.get_config()["layers"]


def copy_layer(layer, config: dict | None = None):
    """A new, unbuilt layer of the same class from `config` (default: the layer's own)."""
    import tensorflow as tf

    from hwgen.models import custom_objects

    with tf.keras.utils.custom_object_scope(custom_objects()):
        return layer.__class__.from_config(config if config is not None else layer.get_config())


def call(layer, inputs: list):
    return layer(inputs[0] if len(inputs) == 1 else inputs)


Edit = Callable[[object, list, list[str]], object]


def rewrite(model, edit: Edit | None = None, name: str | None = None):
    """A new model: each layer's output is `edit(layer, input_tensors, input_names)`, or a copy when that
    returns None. Names of new layers must be unique; `edit` sets the weights of the layers it makes."""
    import tensorflow as tf

    entries = layer_entries(model)
    tensors: dict[str, object] = {}
    inputs = []
    for entry in entries:
        layer = model.get_layer(entry["name"])
        if type(layer).__name__ == "InputLayer":
            tensor = tf.keras.layers.Input(tuple(layer.input_shape[0][1:]) if isinstance(layer.input_shape, list)
                                           else tuple(layer.input_shape[1:]), name=layer.name)
            inputs.append(tensor)
            tensors[layer.name] = tensor
            continue
        sources = inbound(entry)
        args = [tensors[s] for s in sources]
        out = edit(layer, args, sources) if edit is not None else None
        if out is None:
            new = copy_layer(layer)
            out = call(new, args)
            new.set_weights(layer.get_weights())
        tensors[layer.name] = out
    output = tensors[entries[-1]["name"]]
    return tf.keras.Model(inputs, output, name=name or model.name)


def consumers(model) -> dict[str, list[str]]:
    """layer name -> names of the layers that take its output."""
    out: dict[str, list[str]] = {}
    for entry in layer_entries(model):
        for source in inbound(entry):
            out.setdefault(source, []).append(entry["name"])
    return out


def reaches(model, name: str, kinds: tuple[str, ...]) -> bool:
    """True when layer `name`'s channels reach a layer of one of `kinds` through channel-preserving layers
    (and concatenations, which keep each part's channels)."""
    after = consumers(model)
    todo, seen = list(after.get(name, [])), set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        kind = type(model.get_layer(current)).__name__
        if kind in kinds:
            return True
        if kind in CHANNEL_PRESERVING or kind == "Concatenate":
            todo.extend(after.get(current, []))
    return False


def output_layer(model) -> str:
    """The layer making the logits: the input of a final softmax, else the last layer."""
    entries = layer_entries(model)
    last = model.get_layer(entries[-1]["name"])
    if type(last).__name__ == "Activation" and last.get_config()["activation"] == "softmax":
        return inbound(entries[-1])[0]
    return last.name


def logits_view(model, feature_layers: tuple[str, ...] = ()):
    """A model sharing `model`'s weights that returns [logits, *outputs of feature_layers]."""
    import tensorflow as tf

    outputs = [model.get_layer(output_layer(model)).output]
    outputs += [model.get_layer(n).output for n in feature_layers]
    return tf.keras.Model(model.inputs, outputs, name=f"{model.name}_view")


def weight_kinds(layer) -> dict[str, str]:
    """Kernel weight name -> its quantizer class name ('' for float)."""
    attrs = {"kernel": "kernel_quantizer_internal", "depthwise_kernel": "depthwise_quantizer_internal",
             "pointwise_kernel": "pointwise_quantizer_internal"}
    out = {}
    for weight in layer.weights:
        short = weight.name.split("/")[-1].split(":")[0]
        if short in attrs:
            quantizer = getattr(layer, attrs[short], None)
            out[short] = type(quantizer).__name__ if quantizer is not None else ""
    return out


def is_po2(layer) -> bool:
    return "quantized_po2" in weight_kinds(layer).values()


def slice_channels(layer, weights: list[np.ndarray], keep_in: np.ndarray | None,
                   keep_out: np.ndarray | None) -> list[np.ndarray]:
    """`layer`'s weights restricted to the kept input and output channels (None: all)."""
    kind = type(layer).__name__
    names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    out = []
    for short, value in zip(names, weights, strict=True):
        if kind == "QConv1D" and short == "kernel":  # (k, C, F)
            value = value[:, keep_in] if keep_in is not None else value
            value = value[:, :, keep_out] if keep_out is not None else value
        elif kind == "QSeparableConv1D" and short == "depthwise_kernel":  # (k, C, 1)
            value = value[:, keep_in] if keep_in is not None else value
        elif kind == "QSeparableConv1D" and short == "pointwise_kernel":  # (1, C, F)
            value = value[:, keep_in] if keep_in is not None else value
            value = value[:, :, keep_out] if keep_out is not None else value
        elif kind == "QDense" and short == "kernel":  # (C, F)
            value = value[keep_in] if keep_in is not None else value
            value = value[:, keep_out] if keep_out is not None else value
        elif kind == "QDepthwiseConv2D" and short == "depthwise_kernel":  # (k, 1, C, 1)
            value = value[:, :, keep_in] if keep_in is not None else value
        elif short == "bias":
            keep = keep_in if kind == "QDepthwiseConv2D" else keep_out
            value = value[keep] if keep is not None else value
        elif kind not in CHANNEL_MIXING + ("QDepthwiseConv2D",):
            raise ModelError(f"layer {layer.name!r} ({kind}) has weights hwgen cannot slice by channel")
        out.append(value)
    return out
