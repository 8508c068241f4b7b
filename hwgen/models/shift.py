"""DeepShift "PS" training for shift (power-of-two) layers, exported as stock QKeras po2 layers.

Q mode (the default, DeepShift-Q in spirit) trains linear weights that ``quantized_po2`` rounds to
sign * 2^-e in the forward pass; an optimiser step changes the value, so small weights hardly ever
change exponent. PS mode (DeepShift-PS: train the sign and the shift themselves) stores per weight one
float ``u`` that carries both: sign(u) is the sign and |u| * SHIFT_SCALE the shift code c (clipped to
1..n, n = 2^(po2_bits-1)), the weight being sign * 2^(round(c) - n - 1). An optimiser step thus moves
the exponent, at the same rate for large and small weights; a sign flips by passing |u| through 0,
i.e. through the smallest magnitude. Rounding and clipping use straight-through gradients.

``to_ps`` turns a built model's ``quantized_po2`` layers into this form (weights encoded so the forward
pass is unchanged) and ``to_q`` turns them back: the exported weights are exact powers of two in the
po2 range, which ``quantized_po2`` leaves unchanged, so hls4ml, the golden model and the RTL see a
stock Q-mode model with exactly the trained forward values. PS models are for training only: hwgen
saves and converts the ``to_q`` export.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
from qkeras.quantizers import BaseQuantizer

from hwgen.errors import ModelError

SHIFT_SCALE = 32.0  # shift-code units per unit of u: a learning-rate step of 1e-3 moves c by 0.032
QUANTIZER_KEYS = {"kernel": "kernel_quantizer", "depthwise_kernel": "depthwise_quantizer",
                  "pointwise_kernel": "pointwise_quantizer"}


class ps_po2(BaseQuantizer):  # noqa: N801 (QKeras quantizers are lower-case classes)
    """sign(u) * 2^(round(clip(|u| * scale, 1, n)) - n - 1), n = 2^(bits-1): the weight values of
    quantized_po2(bits, 0.5), parametrised by sign and shift. Straight-through round and clip."""

    def __init__(self, bits: int = 4, scale: float = SHIFT_SCALE):
        super().__init__()
        self.bits, self.scale = int(bits), float(scale)

    @property
    def levels(self) -> int:
        return 2 ** (self.bits - 1)

    def __call__(self, u):
        n, scale = float(self.levels), self.scale

        @tf.custom_gradient
        def weight(u):
            code = tf.round(tf.clip_by_value(tf.abs(u) * scale, 1.0, n))
            w = tf.where(u >= 0, 1.0, -1.0) * tf.pow(2.0, code - (n + 1.0))  # exact powers of two

            def grad(dy):  # straight through round and clip: dW/du = scale * ln2 * |W|, any sign of u
                return dy * (scale * math.log(2.0)) * tf.abs(w)

            return w, grad

        return weight(u)

    def encode(self, w: np.ndarray) -> np.ndarray:
        """u whose weight equals quantized_po2(bits, 0.5)(w) (the log2 rounding of the Q mode)."""
        n = self.levels
        with np.errstate(divide="ignore"):
            code = np.clip(n + 1 + np.log2(np.abs(w)), 1, n)
        return (np.where(w >= 0, 1.0, -1.0) * code / self.scale).astype(np.float32)

    def get_config(self):
        return {"bits": self.bits, "scale": self.scale}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __str__(self):
        return f"ps_po2({self.bits})"


def to_ps(model) -> tf.keras.Model:
    """The same model with every quantized_po2 kernel in PS form (same forward values)."""
    return _swap(model, "quantized_po2", lambda q: ps_po2(q.bits), lambda old, new, w: new.encode(w))


def to_q(model) -> tf.keras.Model:
    """The stock QKeras export of a PS model: quantized_po2 kernels holding the exact trained weights."""
    from qkeras import quantized_po2

    from hwgen.models.blocks import PO2_MAX

    return _swap(model, "ps_po2", lambda q: quantized_po2(q.bits, PO2_MAX),
                 lambda old, new, u: np.asarray(old(tf.constant(u))))


def _swap(model, old: str, make_quantizer, convert) -> tf.keras.Model:
    """Clone ``model`` with its ``old`` kernel quantizers replaced and their weights converted by
    ``convert(old quantizer, new quantizer, value)``."""
    swapped = []

    def clone(layer):
        config = layer.get_config()
        for key in QUANTIZER_KEYS.values():
            quantizer = getattr(layer, f"{key}_internal", None)
            if type(quantizer).__name__ == old:
                config[key] = make_quantizer(quantizer)
                swapped.append(layer.name)
        return layer.__class__.from_config(config)

    new = tf.keras.models.clone_model(model, clone_function=clone)
    if not swapped:
        raise ModelError(f"model {model.name!r} has no {old} (shift) layers to convert; "
                         "PS training applies to power-of-two layers (e.g. shiftcnn)")
    for layer in model.layers:
        target, values = new.get_layer(layer.name), []
        for weight in layer.weights:
            attr = f"{QUANTIZER_KEYS.get(weight.name.split('/')[-1].split(':')[0], 'bias_quantizer')}_internal"
            quantizer = getattr(layer, attr, None)
            is_old = type(quantizer).__name__ == old
            values.append(convert(quantizer, getattr(target, attr), weight.numpy()) if is_old else weight.numpy())
        target.set_weights(values)
    return new
