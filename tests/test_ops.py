"""The integer primitives every view of the network is checked against."""

import numpy as np
import pytest

from hwgen.graph import ops
from hwgen.graph.ops import Fixed


@pytest.mark.parametrize("rounding", ops.ROUNDING_MODES)
def test_shift_round_modes(rounding):
    # values -7/4 .. 7/4 in quarter steps chosen to hit every tie: -1.5, -0.5, 0.5, 1.5
    acc = np.array([-7, -6, -3, -1, 1, 2, 5, 6])  # /4 -> -1.75 -1.5 -0.75 -0.25 0.25 0.5 1.25 1.5
    want = {
        "TRN": np.floor(acc / 4),
        "RND": np.floor(acc / 4 + 0.5),
        "RND_CONV": np.round(acc / 4),  # numpy rounds half to even
    }[rounding]
    got = ops.shift_round(acc, 2, rounding)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int64


def test_requantize_saturates_and_counts():
    out = Fixed(4, 0, saturation="SAT")
    q, n = ops.requantize(np.array([-100, -8, 7, 100]), 0, out)
    np.testing.assert_array_equal(q, [-8, -8, 7, 7])
    assert n == 2


def test_wrap_is_counted_not_silent():
    out = Fixed(4, 0, saturation="WRAP")
    q, n = ops.requantize(np.array([8, -9, 3]), 0, out)
    np.testing.assert_array_equal(q, [-8, 7, 3])
    assert n == 2


def test_quantize_matches_requantize_on_exact_values():
    rng = np.random.default_rng(0)
    acc = rng.integers(-2**20, 2**20, 1000)
    for mode in ops.ROUNDING_MODES:
        out = Fixed(12, 3, rounding=mode, saturation="SAT")
        a, _ = ops.requantize(acc, 9, out)
        b, _ = out.quantize(acc / 2.0**9)
        np.testing.assert_array_equal(a, b)


def test_conv_equals_shift_engine_for_po2_weights():
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, (16, 3))
    sign = rng.choice([-1, 0, 1], (3, 3, 4))
    shift = rng.integers(0, 7, (3, 3, 4))
    w = ops.po2_to_int(sign, shift)
    acc = ops.conv1d(x, w, padding="same")
    win = ops.windows(ops.pad_time(x, 3, "same"), 3)
    by_shifts = ops.shift_product(win[..., None], sign[None], shift[None]).sum(axis=(1, 2))
    np.testing.assert_array_equal(acc, by_shifts)
    s2, k2 = ops.int_to_po2(w)
    np.testing.assert_array_equal(ops.po2_to_int(s2, k2), w)
    with pytest.raises(ValueError, match="power of two"):
        ops.int_to_po2([3])


def test_hls_type_names():
    assert Fixed(8, 5).hls() == "ap_fixed<8,3>"
    assert Fixed(8, 8, signed=False, rounding="RND_CONV", saturation="SAT").hls() == \
        "ap_ufixed<8,0,AP_RND_CONV,AP_SAT>"


def test_bits_needed():
    assert ops.bits_needed(-128, 127) == 8
    assert ops.bits_needed(-129, 0) == 9
    assert ops.bits_needed(0, 255, signed=False) == 8
