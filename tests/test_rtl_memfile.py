"""hwgen.rtl.memfile: $readmemh words, packing order per kernel, refusal of values that don't fit."""

import numpy as np
import pytest

from hwgen.errors import HwgenError
from hwgen.rtl import memfile


def test_lanes_pack_low_first_in_twos_complement():
    assert memfile.hex_words([[-1, 2]], width=4) == ["2f"]
    assert memfile.hex_words([-128, 127, 0], width=8) == ["80", "7f", "00"]
    assert memfile.hex_words([[5]], width=3, signed=False) == ["5"]


def test_round_trip_keeps_every_value(tmp_path):
    rng = np.random.default_rng(0)
    words = rng.integers(-(1 << 11), 1 << 11, size=(9, 3))
    words[0] = [-(1 << 11), (1 << 11) - 1, 0]
    path = memfile.write_memh(tmp_path / "w.mem", words, width=12)
    assert np.array_equal(memfile.read_memh(path, width=12, lanes=3), words)


@pytest.mark.parametrize("value, width, signed", [(128, 8, True), (-129, 8, True), (-1, 4, False), (16, 4, False)])
def test_refuses_values_that_do_not_fit(tmp_path, value, width, signed):
    words = np.zeros((3, 2), dtype=np.int64)
    words[2, 1] = value
    with pytest.raises(HwgenError) as err:
        memfile.write_memh(tmp_path / "bias.mem", words, width, signed)
    msg = str(err.value)
    assert f"value {value}" in msg and "(2, 1)" in msg and f"{width}-bit" in msg and "bias.mem" in msg
    assert not (tmp_path / "bias.mem").exists()


def test_refuses_non_integers():
    with pytest.raises(HwgenError, match="integers"):
        memfile.hex_words([0.5], width=8)


def test_conv_weight_order_matches_the_engine():
    k, cin, cout, in_par, out_par = 3, 4, 6, 2, 3
    w = np.arange(k * cin * cout).reshape(k, cin, cout)
    words = memfile.conv1d_weight_words(w, in_par, out_par)
    g_in = cin // in_par
    assert words.shape == (cout // out_par * g_in, out_par * k * in_par)
    for og in range(cout // out_par):
        for ig in range(g_in):
            for j in range(out_par):
                for kk in range(k):
                    for i in range(in_par):
                        lane = (j * k + kk) * in_par + i
                        assert words[og * g_in + ig, lane] == w[kk, ig * in_par + i, og * out_par + j]


def test_depthwise_and_bias_order():
    w = np.arange(3 * 4).reshape(3, 4)  # (K, CH)
    words = memfile.depthwise_weight_words(w, par=2)
    assert words.tolist() == [[w[0, 0], w[0, 1], w[1, 0], w[1, 1], w[2, 0], w[2, 1]],
                              [w[0, 2], w[0, 3], w[1, 2], w[1, 3], w[2, 2], w[2, 3]]]
    assert memfile.bias_words(np.arange(6), par=3).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_channels_must_divide_by_parallelism():
    with pytest.raises(HwgenError, match="CH_OUT=5"):
        memfile.conv1d_weight_words(np.zeros((1, 4, 5)), 2, 2)


def test_po2_codes_and_their_limits():
    codes = memfile.po2_codes([1, -1, 0, -1], [0, 7, 5, 1], max_shift=7)
    assert codes.tolist() == [0b01_000, 0b11_111, 0, 0b11_001]  # sign 01 = +1, 11 = -1, zero -> 0
    with pytest.raises(HwgenError, match=r"shift 8 .*MAX_SHIFT=7"):
        memfile.po2_codes([1], [8], max_shift=7)
    with pytest.raises(HwgenError, match="sign 2"):
        memfile.po2_codes([2], [0], max_shift=7)


def test_shift_conv_refuses_weights_that_are_not_powers_of_two(tmp_path):
    params = dict(IN_PAR=1, OUT_PAR=1, MAX_SHIFT=7, BIAS_W=8)
    with pytest.raises(HwgenError, match="power of two"):
        memfile.write_shift_conv1d(tmp_path, np.array([[[3]]]), np.array([0]), params)
    files = memfile.write_shift_conv1d(tmp_path, np.array([[[-128]]]), np.array([5]), params)
    assert files["WEIGHT_FILE"].read_text() == "1f\n" and files["BIAS_FILE"].read_text() == "05\n"


def test_depthwise_and_dense_store_po2_weights_as_the_same_codes(tmp_path):
    """PRODUCT="shift": the integer weights (0 or +-2**k) become po2_codes, one format for every kernel."""
    w = np.array([[1, -128], [0, 4]])                      # (K=2, CH=2) / (N_IN=2, N_OUT=2)
    codes = memfile.po2_codes([[1, -1], [0, 1]], [[0, 7], [0, 2]], max_shift=7)
    dw = memfile.write_depthwise_conv1d(tmp_path / "dw", w, np.zeros(2, dtype=np.int64),
                                        dict(PAR=2, PRODUCT="shift", MAX_SHIFT=7, WEIGHT_W=5, BIAS_W=8))
    assert np.array_equal(memfile.read_memh(dw["WEIGHT_FILE"], 5, lanes=4, signed=False),
                          memfile.depthwise_weight_words(codes, par=2))
    dense = memfile.write_dense(tmp_path / "dense", w, np.zeros(2, dtype=np.int64),
                                dict(IN_PAR=1, OUT_PAR=2, PRODUCT="shift", MAX_SHIFT=7, ACC_W=20))
    assert np.array_equal(memfile.read_memh(dense["WEIGHT_FILE"], 5, lanes=2, signed=False),
                          memfile.dense_weight_words(codes, 1, 2))


def test_shift_weights_refuse_non_po2_values_and_a_wrong_width(tmp_path):
    params = dict(PAR=1, PRODUCT="shift", MAX_SHIFT=7, WEIGHT_W=5, BIAS_W=8)
    with pytest.raises(HwgenError, match="depthwise_conv1d weights.*power of two"):
        memfile.write_depthwise_conv1d(tmp_path, np.array([[3]]), np.array([0]), params)
    with pytest.raises(HwgenError, match=r"WEIGHT_W=8 but shift codes for MAX_SHIFT=7 are 5 bits"):
        memfile.write_depthwise_conv1d(tmp_path, np.array([[2]]), np.array([0]), {**params, "WEIGHT_W": 8})
    with pytest.raises(HwgenError, match=r"dense: PRODUCT 'add'"):
        memfile.write_dense(tmp_path, np.array([[2]]), np.array([0]), dict(IN_PAR=1, OUT_PAR=1, PRODUCT="add",
                                                                          WEIGHT_W=8, ACC_W=20))
    assert not list(tmp_path.glob("*.mem"))
