"""Cost figures of a Keras model: the integer graph's cost model for 1-D models, Keras layers for 2-D.

`summary(model)` (what metrics.json and the benchmarks report) exports a 1-D model to the integer graph
and reads `hwgen.graph.cost`, the same count the hls4ml and RTL reports use. Only models the graph
cannot hold (the 2-D zoo) are counted layer by layer here, with the same rules: one MAC per weight use
(for shift layers a shift-add); pooling, Add, Concatenate and activations count zero.
"""

from __future__ import annotations

import math

import numpy as np

# Keras weight name -> attribute holding its QKeras quantizer.
_QUANTIZER_ATTR = {
    "kernel": "kernel_quantizer_internal",
    "depthwise_kernel": "depthwise_quantizer_internal",
    "pointwise_kernel": "pointwise_quantizer_internal",
    "bias": "bias_quantizer_internal",
}
FLOAT_BITS = 32


def layer_macs(layer) -> int:
    """Multiply-accumulates of one layer for one input example (1-D and 2-D layers)."""
    kind = type(layer).__name__
    out = layer.output_shape
    if kind in ("QConv1D", "Conv1D", "QConv2D", "Conv2D"):
        positions, taps, cin = math.prod(out[1:-1]), math.prod(layer.kernel_size), layer.input_shape[-1]
        return positions * taps * cin * out[-1]
    if kind in ("QSeparableConv1D", "SeparableConv1D", "QSeparableConv2D", "SeparableConv2D"):
        positions, taps = math.prod(out[1:-1]), math.prod(layer.kernel_size)
        mid = layer.input_shape[-1] * layer.depth_multiplier
        return positions * taps * mid + positions * mid * out[-1]
    if kind in ("QDepthwiseConv2D", "DepthwiseConv2D"):
        return math.prod(out[1:]) * math.prod(layer.kernel_size)
    if kind in ("QDense", "Dense"):
        positions = math.prod(layer.input_shape[1:-1]) if len(layer.input_shape) > 2 else 1
        return positions * layer.input_shape[-1] * layer.units
    return 0


def quantizer_bits(quantizer) -> int:
    """Storage bits of one weight under a QKeras quantizer (32 for float)."""
    return int(getattr(quantizer, "bits", FLOAT_BITS)) if quantizer is not None else FLOAT_BITS


def layer_weight_bits(layer) -> int:
    """Bits to store this layer's weights and biases as the hardware holds them."""
    total = 0
    for weight in layer.weights:
        short = weight.name.split("/")[-1].split(":")[0]
        quantizer = getattr(layer, _QUANTIZER_ATTR.get(short, ""), None)
        total += int(np.prod(weight.shape)) * quantizer_bits(quantizer)
    return total


def kernel_kind(layer) -> str:
    """'po2' for shift layers, 'bits' for fixed-point weights, 'float', or '' for weightless layers."""
    quantizers = [getattr(layer, a, None) for a in ("kernel_quantizer_internal", "depthwise_quantizer_internal")]
    names = [type(q).__name__ for q in quantizers if q is not None]
    if not layer.weights:
        return ""
    if not names:
        return "float"
    return "po2" if "quantized_po2" in names else "bits"


def describe(model) -> list[dict]:
    """One row per layer: name, type, output shape, params, MACs, weight bits and kernel kind."""
    return [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": list(layer.output_shape[1:]) if isinstance(layer.output_shape, tuple) else None,
            "params": int(layer.count_params()),
            "macs": layer_macs(layer),
            "weight_bits": layer_weight_bits(layer),
            "kernel": kernel_kind(layer),
        }
        for layer in model.layers
    ]


def count_macs(model) -> int:
    """Total multiply-accumulates for one example."""
    return sum(layer_macs(layer) for layer in model.layers)


def count_params(model) -> int:
    return int(model.count_params())


def weight_bits(model) -> int:
    """Total weight + bias memory in bits."""
    return sum(layer_weight_bits(layer) for layer in model.layers)


def summary(model) -> dict:
    """The cost figures metrics.json and the benchmarks report (params, MACs, shift MACs, weight bits, ...)."""
    from hwgen.errors import ModelError
    from hwgen.graph import cost
    from hwgen.models.export import to_graph

    try:
        graph = to_graph(model, allow_float=True)
    except ModelError:  # 2-D models: counted per Keras layer
        rows = describe(model)
        return {
            "params": count_params(model),
            "macs": sum(r["macs"] for r in rows),
            "shift_macs": sum(r["macs"] for r in rows if r["kernel"] == "po2"),
            "weight_bits": sum(r["weight_bits"] for r in rows),
        }
    return cost.summary(graph)
