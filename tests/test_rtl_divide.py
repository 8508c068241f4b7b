"""hwgen.rtl.divide: the constant division of the averaging kernels is exact, and the parameters
it derives from golden types reproduce hwgen.graph.layers.average's division."""

import numpy as np
import pytest

from hwgen.errors import HwgenError
from hwgen.graph import layers
from hwgen.graph.ops import Fixed
from hwgen.rtl import divide


@pytest.mark.parametrize("n", [*range(1, 40), 100, 255, 256, 1000])
def test_magic_reciprocal_divides_exactly_up_to_the_bound(n):
    max_dividend = 25_000
    multiplier, shift = divide.magic_reciprocal(n, max_dividend)
    a = np.arange(max_dividend + 1, dtype=np.int64)
    assert np.array_equal((a * multiplier) >> shift, a // n)
    assert multiplier == -(-(1 << shift) // n)
    if n & (n - 1) == 0:
        assert multiplier == 1 and 1 << shift == n  # a power of two is a plain shift


def test_the_bound_is_what_makes_it_exact():
    """One shift less than chosen breaks the division somewhere below the bound (for n = 7, the
    smallest exact shift is needed), while the chosen pair satisfies the inequality."""
    n, max_dividend = 7, 1 << 12
    multiplier, shift = divide.magic_reciprocal(n, max_dividend)
    assert divide.is_exact(n, max_dividend, multiplier, shift)
    smaller = -(-(1 << (shift - 1)) // n)
    a = np.arange(max_dividend + 1, dtype=np.int64)
    assert not np.array_equal((a * smaller) >> (shift - 1), a // n)


@pytest.mark.parametrize("n, signed", [(3, True), (5, False), (6, True), (7, False), (16, True), (25, False)])
def test_parameters_reproduce_the_golden_truncating_division(n, signed):
    """sign(a) * ((|a| * M) >> k) with a the sum on the accumulator grid equals
    layers.average's quotient for every sum of n inputs: checked through layers.average with an
    output type that keeps the quotient unchanged (same grid, wide)."""
    x_type = Fixed(8, 5, signed)
    acc_shift = int(n - 1).bit_length()
    acc_type = Fixed(8 + 2 * acc_shift, 5 + acc_shift, signed)
    identity_out = Fixed(40, acc_type.frac, True, "TRN", "SAT")
    p = divide.average_parameters(n, x_type, acc_type, identity_out)
    sums = np.arange(n * x_type.min_int, n * x_type.max_int + 1, dtype=np.int64)
    golden, n_over = layers.average(sums, n, x_type, acc_type, identity_out)
    assert n_over == 0
    a = sums << p["ACC_SHIFT"]
    quotient = np.sign(a) * ((np.abs(a) * p["DIV_MULT"]) >> p["DIV_SHIFT"])
    assert np.array_equal(quotient, golden)
    assert p["OUT_SHIFT"] == 0 and p["ACC_W"] == acc_type.width and p["DATA_SIGNED"] == int(signed)


def test_parameters_refuse_types_the_kernels_cannot_match():
    x = Fixed(8, 5, True)
    out = Fixed(8, 5, True, "RND", "SAT")
    with pytest.raises(HwgenError, match="fewer fractional bits"):
        divide.average_parameters(3, x, Fixed(12, 4, True), out)
    with pytest.raises(HwgenError, match="cannot hold every sum"):
        divide.average_parameters(3, x, Fixed(11, 7, True), out)
    with pytest.raises(HwgenError, match="signedness"):
        divide.average_parameters(3, x, Fixed(12, 7, False), out)
    with pytest.raises(HwgenError, match="wraps"):
        divide.average_parameters(3, x, Fixed(12, 7, True), Fixed(8, 5, True, "RND", "WRAP"))
    with pytest.raises(HwgenError, match="divisor n=0"):
        divide.magic_reciprocal(0, 10)
