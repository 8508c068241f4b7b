"""Per-layer golden functions: one sample of one layer, exactly as the hardware computes it.

Each function takes integer activations laid out (time, channels) (or (features,) after global
pooling) with their `Fixed` types and returns integers plus a count of values that left a type's
range. They are the reference for the hls4ml C-sim comparison and for the RTL kernel benches, and
they only combine the primitives of `hwgen.graph.ops`.

Power-of-two weights follow hls4ml's `weight_exponential` product exactly: the input is cast to
r_T = ap_fixed<2*(We+Wx), We+Wx> (We exponent bits, Wx input bits), shifted by the exponent (bits
shifted out on the right are dropped: a floor) and negated for a negative sign. When the exponent
reaches below r_T's fractional bits, the product is truncated; `po2_product_frac` says when.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.graph import ops
from hwgen.graph.ops import Fixed


@dataclass(frozen=True)
class QWeights:
    """Integer weights: real value = values * 2**-frac.

    `bits` is the width the model's quantizer declares for each weight (what the weight memory
    stores); `po2_width` is set for power-of-two weights stored as hls4ml exponent types (sign bit plus
    a `po2_width`-bit signed exponent); the values are then 0 or ±2**k. `frac` None marks float
    weights of an unquantized model: countable by the cost model, never executed.
    """

    values: np.ndarray
    frac: int | None
    po2_width: int | None = None
    bits: int | None = None

    @property
    def is_float(self) -> bool:
        return self.frac is None

    @property
    def storage_bits(self) -> int:
        """Bits per stored weight: the quantizer's declared width, else the exact width of the values."""
        if self.bits is not None:
            return int(self.bits)
        if self.is_float:
            return 32
        lo, hi = self.bounds()
        return ops.bits_needed(min(lo, 0), max(hi, 0))

    @property
    def is_po2(self) -> bool:
        return self.po2_width is not None

    def exponents(self) -> tuple[np.ndarray, np.ndarray]:
        """(sign, exponent) of po2 weights: w = sign * 2**exponent (real value, frac applied)."""
        sign, shift = ops.int_to_po2(self.values)
        return sign, shift - self.frac

    def bounds(self) -> tuple[int, int]:
        return int(self.values.min()), int(self.values.max())


def po2_product_frac(x_type: Fixed, w: QWeights) -> int:
    """Fractional bits of the products of a po2 layer: exact when r_T is wide enough, else r_T's."""
    rt_frac = w.po2_width + x_type.width
    _, exps = w.exponents()
    exact = x_type.frac + max(0, -int(exps.min()))
    return min(rt_frac, exact)


def po2_is_exact(x_type: Fixed, w: QWeights) -> bool:
    """True when hls4ml's shift product keeps every bit for this input type and these exponents."""
    _, exps = w.exponents()
    return x_type.frac + max(0, -int(exps.min())) <= w.po2_width + x_type.width


def product_frac(x_type: Fixed, w: QWeights) -> int:
    """Fractional bits of the layer's products (before the bias joins them)."""
    return po2_product_frac(x_type, w) if w.is_po2 else x_type.frac + w.frac


def _po2_terms(x: np.ndarray, x_type: Fixed, w: QWeights):
    """Split a po2 layer into one (shifted input, ±1 weight mask) pair per exponent.

    The shifted input is the hardware's product magnitude before the sign: floor(x * 2**e) on the
    product grid. Summing conv(shifted_e, sign * [exp == e]) over e gives the exact hls4ml result.
    """
    p_frac = po2_product_frac(x_type, w)
    sign, exps = w.exponents()
    for e in np.unique(exps[sign != 0]):
        shift = p_frac - x_type.frac + int(e)  # left shift onto the product grid
        shifted = ops.shift_round(x, -shift, "TRN")  # floor when bits fall off (r_T too narrow)
        yield shifted, np.where((exps == e) & (sign != 0), sign, 0)


def _with_bias(acc: np.ndarray, p_frac: int, bias: QWeights | None, acc_type: Fixed) -> tuple[np.ndarray, int]:
    acc = ops.align(acc, p_frac, acc_type.frac)
    if bias is not None:
        acc = acc + ops.align(bias.values, bias.frac, acc_type.frac)
    return ops.saturate(acc, acc_type)


def conv(x, x_type: Fixed, kernel: QWeights, bias: QWeights | None, acc_type: Fixed,
         stride: int = 1, padding: str = "valid", depthwise: bool = False) -> tuple[np.ndarray, int]:
    """Accumulator of a (depthwise) 1-D convolution on the `acc_type` grid; returns (acc, n_overflow).

    kernel.values is (k, cin, cout), or (k, ch) when `depthwise`. A WRAP accumulator wraps (and
    counts) like ap_fixed does: modular arithmetic makes wrapping the exact sum identical to
    wrapping every partial sum.
    """
    fn = ops.depthwise_conv1d if depthwise else ops.conv1d
    p_frac = product_frac(x_type, kernel)
    if kernel.is_po2:
        acc = sum(fn(xs, ws, stride=stride, padding=padding) for xs, ws in _po2_terms(x, x_type, kernel))
    else:
        acc = fn(x, kernel.values, stride=stride, padding=padding)
    return _with_bias(acc, p_frac, bias, acc_type)


def dense(x, x_type: Fixed, kernel: QWeights, bias: QWeights | None, acc_type: Fixed) -> tuple[np.ndarray, int]:
    """Accumulator of a dense layer on `acc_type`'s grid: x (in,), kernel (in, out)."""
    p_frac = product_frac(x_type, kernel)
    if kernel.is_po2:
        acc = sum(ops.dense(xs, ws) for xs, ws in _po2_terms(x, x_type, kernel))
    else:
        acc = ops.dense(x, kernel.values)
    return _with_bias(acc, p_frac, bias, acc_type)


def cast(x, x_type: Fixed, out: Fixed, relu: bool = False) -> tuple[np.ndarray, int]:
    """Assign to `out` (its rounding and saturation), after a ReLU if asked: an hls4ml result cast."""
    x = ops.relu(x) if relu else np.asarray(x, dtype=np.int64)
    return ops.requantize(x, x_type.frac, out)


def average(sums, n: int, sum_type: Fixed, acc_type: Fixed, out: Fixed) -> tuple[np.ndarray, int]:
    """hls4ml's average: exact sum in `acc_type`, divided by n in that type (truncated toward zero),
    then cast to `out`. With n a power of two and acc_type.frac >= sum frac + log2(n) it is exact."""
    acc, n_acc = ops.saturate(ops.align(sums, sum_type.frac, acc_type.frac), acc_type)
    quotient = np.sign(acc) * (np.abs(acc) // n)
    q, n_out = ops.requantize(quotient, acc_type.frac, out)
    return q, n_acc + n_out


def average_pool(x, x_type: Fixed, pool: int, stride: int, acc_type: Fixed, out: Fixed):
    """AveragePooling1D ('valid'): window sums, then `average`."""
    return average(ops.sum_pool1d(x, pool, stride), pool, x_type, acc_type, out)


def global_average_pool(x, x_type: Fixed, acc_type: Fixed, out: Fixed):
    """GlobalAveragePooling1D: (time, ch) -> (ch,)."""
    return average(ops.global_sum(x), np.asarray(x).shape[0], x_type, acc_type, out)


def max_pool(x, pool: int, stride: int) -> np.ndarray:
    """MaxPooling1D ('valid'): exact (the result keeps the input type)."""
    return ops.max_pool1d(x, pool, stride)


def add(a, a_type: Fixed, b, b_type: Fixed, out: Fixed) -> tuple[np.ndarray, int]:
    """Elementwise sum of two tensors (exact in ap_fixed), cast to `out`."""
    frac = max(a_type.frac, b_type.frac)
    total = ops.align(a, a_type.frac, frac) + ops.align(b, b_type.frac, frac)
    return ops.requantize(total, frac, out)


def concatenate(parts, part_types, out: Fixed) -> tuple[np.ndarray, int]:
    """Concatenate along the last axis, each part cast to `out`."""
    cast_parts, n_over = [], 0
    for part, part_type in zip(parts, part_types, strict=True):
        q, n = ops.requantize(part, part_type.frac, out)
        cast_parts.append(q)
        n_over += n
    return np.concatenate(cast_parts, axis=-1), n_over
