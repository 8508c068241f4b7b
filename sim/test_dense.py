"""Bench for kernels/dense.v: bit-exact against hwgen.graph.layers.dense (integer or power-of-two
weights), weights via hwgen.rtl.memfile."""

from __future__ import annotations

import zlib

import harness
import layer_cases
import numpy as np
import pytest
from stream_checks import (  # noqa: F401  (cocotb finds the tests it runs in this module)
    frames_full_rate,
    frames_idle_and_backpressure,
    full_throughput,
    reset_mid_frame,
    short_frame_resync,
)

from hwgen.errors import HwgenError
from hwgen.rtl import memfile

KERNEL = "dense"
FILES = dict(WEIGHT_FILE="weights.mem", BIAS_FILE="bias.mem")  # relative: one build serves any weights
GRID = [
    dict(N_IN=12, N_OUT=4, IN_PAR=2, OUT_PAR=2, DATA_W=8, WEIGHT_W=8, ACC_W=20, **FILES),
    dict(N_IN=8, N_OUT=3, IN_PAR=1, OUT_PAR=1, DATA_W=8, DATA_SIGNED=0, WEIGHT_W=4, ACC_W=16, **FILES),  # unsigned
    dict(N_IN=9, N_OUT=6, IN_PAR=3, OUT_PAR=3, DATA_W=6, WEIGHT_W=6, ACC_W=16, **FILES),
    dict(N_IN=12, N_OUT=4, IN_PAR=2, OUT_PAR=2, DATA_W=8, WEIGHT_W=8, ACC_W=20, PRODUCT="lut", **FILES),  # LUT mults
    # power-of-two weights (the zoo's shiftcnn logits: 8-bit unsigned pooled features, 2**-1..2**-8)
    dict(N_IN=16, N_OUT=3, IN_PAR=4, OUT_PAR=1, DATA_W=8, DATA_SIGNED=0, PRODUCT="shift", MAX_SHIFT=7,
         WEIGHT_W=5, ACC_W=21, **FILES),
]
BAD = [
    (dict(ACC_W=19), "ACC_W"),   # 8 + 8 + clog2(12) = 20 bits needed
    (dict(DATA_SIGNED=0, ACC_W=20), "ACC_W"),   # unsigned data need one more
    (dict(N_OUT=5), "N_OUT"),
    (dict(N_IN=13), "N_IN"),
    (dict(PRODUCT="shift", MAX_SHIFT=7, WEIGHT_W=8), "WEIGHT_W"),   # shift codes are 2 + 3 bits
    (dict(PRODUCT="shift", MAX_SHIFT=15, WEIGHT_W=6), "ACC_W"),    # 8 + 15 + 1 + 4 = 28 bits needed
]


def layer(rng, params):
    """Random weights and biases with extremes; output 0 has all most-negative weights and the
    largest allowed bias, so a frame of inputs of the largest magnitude reaches the top of the
    accumulator."""
    w = layer_cases.random_weights(rng, (params["N_IN"], params["N_OUT"]), params)
    w[:, 0] = layer_cases.most_negative_weight(params)
    b_lim = (1 << (params["ACC_W"] - 2)) - 1  # a bias must fit ACC_W - 1 bits (see dense.v)
    b = harness.edge_ints(rng, params["N_OUT"], -b_lim, b_lim)
    b[0] = b_lim
    return w, b


def activations(rng, n_frames, params) -> np.ndarray:
    data_type = layer_cases.data_type(params)
    lo, hi = data_type.min_int, data_type.max_int
    x = harness.edge_ints(rng, (n_frames, 1, params["N_IN"]), lo, hi)
    x[1], x[2], x[3] = lo, 0, hi
    return x


@pytest.mark.parametrize("params, sim", harness.cases(GRID))
def test_dense(params, sim):
    rng = np.random.default_rng(zlib.crc32(harness.param_id(params).encode()))
    w, b = layer(rng, params)
    inputs = activations(rng, 5, params)
    expected = layer_cases.dense_accumulators(inputs, w, b, params)
    stream = dict(in_par=params["IN_PAR"], in_w=params["DATA_W"], out_par=params["OUT_PAR"],
                  out_w=params["ACC_W"], out_signed=True, cycles_per_beat=params["N_OUT"] // params["OUT_PAR"])
    harness.run(KERNEL, params, "test_dense", sim, case={"stream": stream},
                arrays={"inputs": inputs, "expected": expected},
                files={"weights.mem": lambda path: memfile.write_dense(path.parent, w, b, params)})


@pytest.mark.parametrize("bad, name", BAD, ids=[name for _, name in BAD])
def test_dense_rejects_bad_parameter(bad, name):
    status, log = harness.elaborate(KERNEL, {**GRID[0], **bad}, "icarus")
    assert status != 0, f"{bad} elaborated without error"
    assert f"parameter {name}" in log, log


def test_dense_weight_words_follow_the_documented_order():
    n_in, n_out, par_in, par_out = 6, 4, 3, 2
    w = np.arange(n_in * n_out).reshape(n_in, n_out)
    words = memfile.dense_weight_words(w, par_in, par_out)
    g_out = n_out // par_out
    for b in range(n_in // par_in):
        for og in range(g_out):
            for j in range(par_out):
                for i in range(par_in):
                    assert words[b * g_out + og, j * par_in + i] == w[b * par_in + i, og * par_out + j]


def test_dense_files_refuse_values_that_do_not_fit(tmp_path):
    params = GRID[0]
    w = np.zeros((params["N_IN"], params["N_OUT"]), dtype=np.int64)
    w[3, 1] = 1 << (params["WEIGHT_W"] - 1)  # one past the largest 8-bit weight
    with pytest.raises(HwgenError, match="weights.mem.*does not fit 8-bit"):
        memfile.write_dense(tmp_path, w, np.zeros(params["N_OUT"], dtype=np.int64), params)
