"""Integer primitives of the hardware arithmetic: the single reference for HLS C-sim and RTL benches.

Every value is an integer array (numpy int64) plus a fixed-point type `Fixed` saying how many of
its bits are fractional. Nothing here uses floating point, so results are exact and reproducible:
a layer is `accumulate` (exact, no rounding) followed by `requantize` (one rounding, one saturation).

Conventions (shared by hwgen.graph, hwgen.hls and kernels/*.v):
- Activations are laid out (time, channels): one row per A-line beat in the 1-D stream.
- Conv weights are (kernel, in_channels, out_channels); depthwise weights are (kernel, channels);
  dense weights are (in, out). Biases must already be aligned to the accumulator's binary point
  (`align`).
- Power-of-two weights are stored as sign in {-1, 0, +1} and shift >= 0: w_int = sign << shift.
- Rounding modes follow ap_fixed: TRN floors (toward -inf), RND rounds half toward +inf,
  RND_CONV rounds half to even. Saturation SAT clips; WRAP keeps the low bits, and every wrapped
  element is counted so a caller can refuse it: an overflow is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROUNDING_MODES = ("TRN", "RND", "RND_CONV")
SATURATION_MODES = ("SAT", "WRAP")


@dataclass(frozen=True)
class Fixed:
    """A fixed-point type: `width` bits in all, `frac` of them after the binary point.

    `integer` (width - frac) counts the sign bit, like ap_fixed<W, I>. `frac` may exceed `width`
    or be negative (a type for tiny or for coarse values).
    """

    width: int
    frac: int
    signed: bool = True
    rounding: str = "TRN"
    saturation: str = "WRAP"

    def __post_init__(self):
        if self.width < 1 or self.width > 62:
            raise ValueError(f"Fixed width must be 1..62 bits, got {self.width}")
        if self.rounding not in ROUNDING_MODES:
            raise ValueError(f"rounding {self.rounding!r} is not one of {ROUNDING_MODES}")
        if self.saturation not in SATURATION_MODES:
            raise ValueError(f"saturation {self.saturation!r} is not one of {SATURATION_MODES}")

    @property
    def integer(self) -> int:
        return self.width - self.frac

    @property
    def min_int(self) -> int:
        return int_range(self.width, self.signed)[0]

    @property
    def max_int(self) -> int:
        return int_range(self.width, self.signed)[1]

    @property
    def lsb(self) -> float:
        return 2.0 ** -self.frac

    def hls(self) -> str:
        """The matching HLS type, e.g. ap_fixed<8,3,AP_RND_CONV,AP_SAT>."""
        base = "ap_fixed" if self.signed else "ap_ufixed"
        modes = ""
        if (self.rounding, self.saturation) != ("TRN", "WRAP"):
            modes = f",AP_{self.rounding},AP_{self.saturation}"
        return f"{base}<{self.width},{self.integer}{modes}>"

    def contains(self, q: np.ndarray) -> np.ndarray:
        return (q >= self.min_int) & (q <= self.max_int)

    def to_float(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(q, dtype=np.float64) * self.lsb

    def quantize(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """Real values -> integers of this type (its rounding and saturation); returns (q, n_overflow).

        The input is taken exactly as float64, then scaled by a power of two (exact), so this is
        the same as requantising a real number.
        """
        scaled = np.asarray(x, dtype=np.float64) * (2.0 ** self.frac)
        floor = np.floor(scaled)
        q = _round_from_floor(floor.astype(np.int64), scaled - floor, self.rounding)
        return saturate(q, self)


def _round_from_floor(floor: np.ndarray, rem: np.ndarray, rounding: str) -> np.ndarray:
    """Round given floor(v) and the remainder v - floor(v) in [0, 1)."""
    if rounding == "TRN":
        return floor
    if rounding == "RND":
        return floor + (rem >= 0.5)
    half_up = (rem > 0.5) | ((rem == 0.5) & (floor % 2 == 1))
    return floor + half_up


def shift_round(acc: np.ndarray, shift: int, rounding: str = "TRN") -> np.ndarray:
    """acc * 2**-shift rounded to an integer; a negative shift is an exact left shift."""
    acc = np.asarray(acc, dtype=np.int64)
    if shift <= 0:
        return acc << -shift
    floor = acc >> shift
    rem = acc - (floor << shift)  # in [0, 2**shift)
    half = np.int64(1) << (shift - 1)
    if rounding == "TRN":
        return floor
    if rounding == "RND":
        return floor + (rem >= half)
    if rounding == "RND_CONV":
        return floor + ((rem > half) | ((rem == half) & (floor % 2 == 1)))
    raise ValueError(f"rounding {rounding!r} is not one of {ROUNDING_MODES}")


def saturate(q: np.ndarray, out: Fixed) -> tuple[np.ndarray, int]:
    """Fit integers into `out`: clip (SAT) or keep the low bits (WRAP). Returns (q, n_out_of_range)."""
    q = np.asarray(q, dtype=np.int64)
    outside = ~out.contains(q)
    n_over = int(np.count_nonzero(outside))
    if out.saturation == "SAT":
        return np.clip(q, out.min_int, out.max_int), n_over
    if n_over == 0:
        return q, 0
    mask = (np.int64(1) << out.width) - 1
    low = q & mask
    if out.signed:
        low = np.where(low > out.max_int, low - (np.int64(1) << out.width), low)
    return low, n_over


def requantize(acc: np.ndarray, acc_frac: int, out: Fixed) -> tuple[np.ndarray, int]:
    """An exact accumulator with `acc_frac` fractional bits -> `out` (one rounding, one saturation)."""
    return saturate(shift_round(acc, acc_frac - out.frac, out.rounding), out)


def align(q: np.ndarray, frac: int, to_frac: int) -> np.ndarray:
    """Move integers to a finer binary point exactly (biases onto the accumulator's point)."""
    if to_frac < frac:
        raise ValueError(f"aligning from {frac} to {to_frac} fractional bits would lose bits")
    return np.asarray(q, dtype=np.int64) << (to_frac - frac)


def relu(q: np.ndarray) -> np.ndarray:
    return np.maximum(q, 0)


def same_padding(n: int, kernel: int, stride: int = 1) -> tuple[int, int]:
    """Zeros (before, after) of a 'same' convolution over `n` steps, exactly as TensorFlow pads.

    TensorFlow makes ceil(n / stride) outputs and pads `total` = the rows those outputs need beyond
    `n`, putting total // 2 in front: with a stride the split depends on n (n=256, k=3, s=2 pads
    0 before and 1 after, not 1 and 1).
    """
    if kernel < 1 or stride < 1:
        raise ValueError(f"kernel ({kernel}) and stride ({stride}) must be >= 1")
    n_out = -(-n // stride)
    total = max((n_out - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


def pad_time(x: np.ndarray, kernel: int, padding: str, stride: int = 1) -> np.ndarray:
    """Zero-pad (time, channels) as Keras does: 'valid' none, 'same' as `same_padding`."""
    if padding == "valid":
        return x
    if padding != "same":
        raise ValueError(f"padding {padding!r} is not 'valid' or 'same'")
    before, after = same_padding(np.asarray(x).shape[0], kernel, stride)
    return np.pad(x, ((before, after), (0, 0)))


def windows(x: np.ndarray, kernel: int, stride: int = 1) -> np.ndarray:
    """Sliding windows over time: (time, ch) -> (out_time, kernel, ch). What the line buffer emits."""
    x = np.asarray(x, dtype=np.int64)
    n_out = (x.shape[0] - kernel) // stride + 1
    if n_out < 1:
        raise ValueError(f"{x.shape[0]} time steps are fewer than the kernel size {kernel}")
    idx = np.arange(n_out)[:, None] * stride + np.arange(kernel)[None, :]
    return x[idx]


def conv1d(x, w, bias=None, stride: int = 1, padding: str = "valid") -> np.ndarray:
    """Exact 1-D convolution accumulator: x (time, cin) int, w (k, cin, cout) int -> (out_time, cout)."""
    w = np.asarray(w, dtype=np.int64)
    win = windows(pad_time(np.asarray(x, dtype=np.int64), w.shape[0], padding, stride), w.shape[0], stride)
    acc = np.einsum("tkc,kco->to", win, w)
    return acc if bias is None else acc + np.asarray(bias, dtype=np.int64)


def depthwise_conv1d(x, w, bias=None, stride: int = 1, padding: str = "valid") -> np.ndarray:
    """Exact depthwise accumulator: x (time, ch), w (k, ch) -> (out_time, ch)."""
    w = np.asarray(w, dtype=np.int64)
    win = windows(pad_time(np.asarray(x, dtype=np.int64), w.shape[0], padding, stride), w.shape[0], stride)
    acc = np.einsum("tkc,kc->tc", win, w)
    return acc if bias is None else acc + np.asarray(bias, dtype=np.int64)


def dense(x, w, bias=None) -> np.ndarray:
    """Exact dense accumulator: x (..., in) int, w (in, out) int -> (..., out)."""
    acc = np.asarray(x, dtype=np.int64) @ np.asarray(w, dtype=np.int64)
    return acc if bias is None else acc + np.asarray(bias, dtype=np.int64)


def po2_to_int(sign, shift) -> np.ndarray:
    """Power-of-two weights (sign in {-1,0,1}, shift >= 0) -> the integers they stand for."""
    sign = np.asarray(sign, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    if np.any(shift < 0):
        raise ValueError("po2 shifts must be >= 0 (put negative exponents in the weight's frac bits)")
    return sign * (np.int64(1) << shift)


def int_to_po2(w) -> tuple[np.ndarray, np.ndarray]:
    """Integers that are 0 or ±2**k -> (sign, shift). Refuses anything else."""
    w = np.asarray(w, dtype=np.int64)
    mag = np.abs(w)
    shift = np.where(mag > 0, np.log2(np.maximum(mag, 1)).round().astype(np.int64), 0)
    if np.any((mag > 0) & ((np.int64(1) << shift) != mag)):
        raise ValueError("weights are not all zero or a signed power of two")
    return np.sign(w), shift


def shift_product(x, sign, shift) -> np.ndarray:
    """What the shift engine computes for one product: ±(x << shift), or 0. Equals x * po2_to_int."""
    x = np.asarray(x, dtype=np.int64)
    shifted = x << np.asarray(shift, dtype=np.int64)
    return np.where(np.asarray(sign) < 0, -shifted, np.where(np.asarray(sign) > 0, shifted, 0))


def max_pool1d(x, pool: int, stride: int | None = None) -> np.ndarray:
    """(time, ch) -> (out_time, ch): maximum over each window (Keras 'valid' pooling)."""
    return windows(x, pool, stride or pool).max(axis=1)


def sum_pool1d(x, pool: int, stride: int | None = None) -> np.ndarray:
    """(time, ch) -> (out_time, ch): exact window sums; divide with `requantize` or a reciprocal."""
    return windows(x, pool, stride or pool).sum(axis=1)


def global_sum(x) -> np.ndarray:
    """(time, ch) -> (ch,): exact sums over time, the accumulator of global average pooling."""
    return np.asarray(x, dtype=np.int64).sum(axis=0)


def argmax(q) -> np.ndarray:
    """Index of the largest value along the last axis; ties go to the lowest index (as the RTL does)."""
    return np.argmax(np.asarray(q), axis=-1)


def int_range(width: int, signed: bool = True) -> tuple[int, int]:
    """(smallest, largest) integer of `width` bits, two's complement or unsigned: Fixed's range."""
    if width < 1:
        raise ValueError(f"a width of {width} bits holds no integer")
    return (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)


def bits_needed(lo: int, hi: int, signed: bool = True) -> int:
    """Smallest width holding every integer in [lo, hi]."""
    if signed:
        need = max(int(hi).bit_length(), int(-lo - 1).bit_length() if lo < 0 else 0)
        return need + 1
    if lo < 0:
        raise ValueError("an unsigned type cannot hold negative values")
    return max(int(hi).bit_length(), 1)
