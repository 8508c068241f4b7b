"""Data-dependent initialisation (LSUV-style) for the batch-norm-free zoo.

M-mode classes differ in small temporal texture changes on top of a large static depth profile, so
with the zero-DC start (zoo._start_as_high_pass) the first features are tiny: without batch norm the
nets then hardly learn, and under a quantized ReLU they round to zero. ``scale_to_data`` rescales each
weight layer in turn so its output has a target spread on a batch of training inputs (Mishkin & Matas,
"All you need is a good init", 2016), but never past the weight quantizer's range, so the float
pre-training and the QAT model see the same weights.
"""

from __future__ import annotations

import numpy as np

from hwgen.models.blocks import PO2_MAX

# Kernel whose scale sets a layer's output (the pointwise half of a separable conv).
_SCALED = ("pointwise_kernel", "kernel", "depthwise_kernel")


def _kernel(layer):
    weights = {w.name.split("/")[-1].split(":")[0]: w for w in layer.weights}
    for name in _SCALED:
        if name in weights:
            return weights[name], name
    return None, None


def _limit(layer, name: str) -> float:
    """Largest weight the layer's quantizer represents (float layers: the 8-bit range, for QAT later)."""
    attr = {"pointwise_kernel": "pointwise_quantizer_internal", "depthwise_kernel": "depthwise_quantizer_internal"}
    quantizer = getattr(layer, attr.get(name, "kernel_quantizer_internal"), None)
    return PO2_MAX if type(quantizer).__name__ == "quantized_po2" else 1.0


def scale_to_data(model, x: np.ndarray, *, target: float = 1.0, rounds: int = 2) -> dict[str, float]:
    """Scale weight layers (all but ``logits``) so each output's std on x is about ``target``.

    Returns the applied gain per layer. Gains are capped so that max |w| stays within the quantizer
    range (1 for fixed-point weights, 0.5 for shift weights).
    """
    import tensorflow as tf

    gains = {}
    for layer in model.layers:
        kernel, name = _kernel(layer)
        if kernel is None or layer.name == "logits":
            continue
        probe = tf.keras.Model(model.input, layer.output)
        total = 1.0
        for _ in range(rounds):
            std = float(np.std(probe(x, training=False).numpy()))
            value = kernel.numpy()
            peak = float(np.abs(value).max())
            if std < 1e-9 or peak == 0:
                break
            gain = min(target / std, 0.99 * _limit(layer, name) / peak)
            kernel.assign(value * gain)
            total *= gain
        gains[layer.name] = total
    return gains
