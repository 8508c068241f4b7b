"""Exact division by a constant for the averaging kernels (avg_pool1d, global_avg_pool).

hwgen.graph.layers.average divides the exact sum, moved onto the accumulator's grid, by the
window length n and truncates toward zero: q = sign(a) * (|a| // n). The kernels compute |a| // n
without a divider: a multiply by a constant M and a right shift by k,

    |a| // n == (|a| * M) >> k    for every 0 <= |a| <= max_dividend,

with M = ceil(2**k / n). Why it is exact: write e = M*n - 2**k (0 <= e < n) and |a| = q*n + r
(0 <= r < n). Then |a|*M / 2**k = q + (r + |a|*e / 2**k) / n, whose floor is q exactly when
r + |a|*e / 2**k < n for every r < n, i.e. when |a|*e < 2**k. `magic_reciprocal` picks the
smallest k with max_dividend * e < 2**k, so M is as narrow as possible; the multiply is a
constant, which the kernels build from shifts and adds (no DSP48, no divider). kernels/avg_divide.v
checks the same inequality at time 0 and refuses a pair (M, k) for which it does not hold.

`average_parameters` turns the golden types of an average (input, accumulator, output) into the
kernels' HDL parameters, refusing types the kernels cannot match bit for bit.
"""

from __future__ import annotations

import math

from hwgen.errors import HwgenError
from hwgen.graph.ops import Fixed

MAX_DIVIDEND_BITS = 40   # avg_divide.v's limit: its exactness check runs in 64-bit constants
MAX_DIVISOR = (1 << 20) - 1
MAX_MULTIPLIER = 1 << 31  # DIV_MULT is a 32-bit Verilog integer parameter


def magic_reciprocal(n: int, max_dividend: int) -> tuple[int, int]:
    """(M, k), the smallest k, with (a * M) >> k == a // n for every integer 0 <= a <= max_dividend."""
    if not 1 <= n <= MAX_DIVISOR:
        raise HwgenError(f"average: divisor n={n} must be 1..{MAX_DIVISOR}")
    if not 0 <= max_dividend < 1 << MAX_DIVIDEND_BITS:
        raise HwgenError(f"average: largest dividend {max_dividend} must be below 2**{MAX_DIVIDEND_BITS}")
    for k in range(63):
        multiplier = -(-(1 << k) // n)
        if multiplier >= MAX_MULTIPLIER:
            break
        if is_exact(n, max_dividend, multiplier, k):
            return multiplier, k
    raise HwgenError(f"average: no multiplier below 2**31 divides by {n} exactly up to {max_dividend} "
                     "(avg_divide.v's limit: narrow the accumulator's extra fraction bits)")


def is_exact(n: int, max_dividend: int, multiplier: int, shift: int) -> bool:
    """The sufficient condition of the module docstring: M*n >= 2**k and (M*n - 2**k) * max < 2**k."""
    excess = multiplier * n - (1 << shift)
    return 0 <= excess and excess * max_dividend < 1 << shift


def max_sum(n: int, x_type: Fixed) -> int:
    """Largest |sum| of n values of `x_type` (integers)."""
    return n * max(abs(x_type.min_int), abs(x_type.max_int))


def average_parameters(n: int, x_type: Fixed, acc_type: Fixed, out: Fixed) -> dict[str, object]:
    """HDL parameters of avg_pool1d / global_avg_pool that compute
    hwgen.graph.layers.average(sums of n values of x_type, n, x_type, acc_type, out) bit for bit.

    Refused (HwgenError naming the type): an accumulator with fewer fractional bits than the
    input (the golden model would lose bits moving the sum onto it), of the other signedness, or
    too narrow for the largest sum (the golden model would wrap or clip it; the kernel never does),
    and an output that WRAPs (the kernels saturate).
    """
    if acc_type.frac < x_type.frac:
        raise HwgenError(f"average: accumulator {acc_type.hls()} has fewer fractional bits than its input "
                         f"{x_type.hls()}")
    if acc_type.signed != x_type.signed:
        raise HwgenError(f"average: accumulator {acc_type.hls()} and input {x_type.hls()} differ in signedness")
    acc_shift = acc_type.frac - x_type.frac
    sum_bits = x_type.width + (math.ceil(math.log2(n)) if n > 1 else 0)
    if acc_type.width < sum_bits + acc_shift:
        raise HwgenError(f"average over {n}: accumulator {acc_type.hls()} cannot hold every sum of {x_type.hls()} "
                         f"values ({sum_bits + acc_shift} bits needed)")
    if out.saturation != "SAT":
        raise HwgenError(f"average: output {out.hls()} wraps; the averaging kernels saturate (use AP_SAT)")
    multiplier, shift = magic_reciprocal(n, max_sum(n, x_type) << acc_shift)
    return {
        "DATA_W": x_type.width, "DATA_SIGNED": int(x_type.signed),
        "ACC_W": acc_type.width, "ACC_SHIFT": acc_shift, "DIV_MULT": multiplier, "DIV_SHIFT": shift,
        "OUT_W": out.width, "OUT_SIGNED": int(out.signed), "OUT_SHIFT": acc_type.frac - out.frac,
        "ROUNDING": out.rounding,
    }
