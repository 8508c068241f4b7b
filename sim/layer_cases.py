"""Weights, types and golden accumulators of the weighted kernels' benches (depthwise_conv1d, dense).

A kernel's HDL parameters say how its weights multiply: PRODUCT "mul" with WEIGHT_W-bit integers,
or PRODUCT "shift" with power-of-two weights 0 / +-2**shift, shift <= MAX_SHIFT. The golden
accumulator comes from hwgen.graph.layers (the functions the integer graph runs), with real-valued
types: activations ap_(u)fixed<DATA_W, DATA_W - X_FRAC>, weights with `weight_frac` fractional
bits (po2: exponents down to -(MAX_SHIFT + 1), as the zoo's quantized_po2 weights 2**-e), and the
accumulator on the product grid x.frac + w.frac, the grid the kernels accumulate on. For po2
weights the exponent field is widened until hls4ml's shift product is exact
(`layers.po2_is_exact`), which is what the RTL's exact shift computes.
"""

from __future__ import annotations

import harness
import numpy as np

from hwgen.graph import layers, ops
from hwgen.graph.layers import QWeights

X_FRAC = 5  # ap_ufixed<8,3>: the zoo's activations after a quantized_relu


def is_shift(p: dict) -> bool:
    return p.get("PRODUCT", "mul") == "shift"


def data_type(p: dict) -> ops.Fixed:
    return ops.Fixed(p["DATA_W"], X_FRAC, bool(p.get("DATA_SIGNED", 1)))


def weight_frac(p: dict) -> int:
    return p["MAX_SHIFT"] + 1 if is_shift(p) else p["WEIGHT_W"] - 1


def most_negative_weight(p: dict) -> int:
    return -(1 << p["MAX_SHIFT"]) if is_shift(p) else -(1 << (p["WEIGHT_W"] - 1))


def random_weights(rng: np.random.Generator, shape, p: dict) -> np.ndarray:
    """Integer weights for the kernel's PRODUCT, extremes planted (po2: zeros, both signs, shift 0
    and MAX_SHIFT)."""
    if is_shift(p):
        sign = rng.integers(-1, 2, size=shape)
        shift = harness.edge_ints(rng, shape, 0, p["MAX_SHIFT"])
        return ops.po2_to_int(sign, shift)
    lo, hi = ops.int_range(p["WEIGHT_W"])
    return harness.edge_ints(rng, shape, lo, hi)


def kernel_weights(w: np.ndarray, p: dict) -> QWeights:
    """The golden model's view of the weights; po2 with the narrowest exact exponent field."""
    if not is_shift(p):
        return QWeights(np.asarray(w), weight_frac(p))
    x_type = data_type(p)
    for po2_width in range(1, 64):
        kernel = QWeights(np.asarray(w), weight_frac(p), po2_width=po2_width)
        if layers.po2_is_exact(x_type, kernel):
            return kernel
    raise AssertionError("no exponent width makes the po2 product exact")


def accumulator_type(p: dict) -> ops.Fixed:
    return ops.Fixed(p["ACC_W"], X_FRAC + weight_frac(p))


def bias_weights(b: np.ndarray, p: dict) -> QWeights:
    """Biases already on the accumulator's grid (the files hold them that way)."""
    return QWeights(np.asarray(b), accumulator_type(p).frac)


def depthwise_accumulators(x: np.ndarray, w: np.ndarray, b: np.ndarray, p: dict) -> np.ndarray:
    """hwgen.graph.layers.conv(depthwise=True) over frames x (n, T, CH); no accumulator may wrap."""
    out = []
    for frame in x:
        acc, n_over = layers.conv(frame, data_type(p), kernel_weights(w, p), bias_weights(b, p),
                                  accumulator_type(p), p["STRIDE"], p["PADDING"], depthwise=True)
        assert n_over == 0, "test data overflow the accumulator"
        out.append(acc)
    return np.stack(out)


def dense_accumulators(x: np.ndarray, w: np.ndarray, b: np.ndarray, p: dict) -> np.ndarray:
    """hwgen.graph.layers.dense over frames x (n, 1, N_IN); no accumulator may wrap."""
    out = []
    for frame in x:
        acc, n_over = layers.dense(frame, data_type(p), kernel_weights(w, p), bias_weights(b, p),
                                   accumulator_type(p))
        assert n_over == 0, "test data overflow the accumulator"
        out.append(acc)
    return np.stack(out)
