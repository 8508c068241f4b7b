"""The golden convolution against TensorFlow, the definition of 'same' and 'valid' padding.

A wrong reference hides everywhere (the HLS C-sim and the RTL benches are both judged by it), so it is
checked against `tf.nn.conv1d` itself over a grid of lengths, kernel sizes, strides and paddings,
including the strided 'same' cases where TensorFlow pads nothing in front (n=256, k=3, s=2).
"""

import itertools

import numpy as np
import pytest

from hwgen.graph import ops

GRID = list(itertools.product((7, 8, 9, 128, 256), (1, 2, 3, 4, 5, 9), (1, 2, 3, 4), ("same", "valid")))


@pytest.fixture(scope="module")
def tf():
    import tensorflow as tf

    return tf


def test_same_padding_splits_like_tensorflow_for_strided_convolutions():
    assert ops.same_padding(256, 3, 2) == (0, 1)   # (k-1)//2 would put one zero in front
    assert ops.same_padding(128, 3, 3) == (0, 1)
    assert ops.same_padding(256, 3, 1) == (1, 1)
    assert ops.same_padding(9, 4, 2) == (1, 2)


def test_golden_conv1d_and_depthwise_equal_tf_conv1d_over_the_grid(tf):
    rng = np.random.default_rng(0)
    failures = []
    for n, k, stride, padding in GRID:
        if padding == "valid" and n < k:
            continue
        x = rng.integers(-8, 8, size=(n, 3))
        w = rng.integers(-4, 5, size=(k, 3, 2))
        want = tf.nn.conv1d(x[None].astype(np.float32), w.astype(np.float32), stride, padding.upper())
        got = ops.conv1d(x, w, stride=stride, padding=padding)
        if got.shape != tuple(want.shape[1:]) or not np.array_equal(got, np.asarray(want[0], dtype=np.int64)):
            failures.append((n, k, stride, padding))
        # depthwise = a conv1d per channel
        wd = rng.integers(-4, 5, size=(k, 3))
        got_dw = ops.depthwise_conv1d(x, wd, stride=stride, padding=padding)
        for c in range(3):
            want_c = tf.nn.conv1d(x[None, :, c:c + 1].astype(np.float32), wd[:, c:c + 1, None].astype(np.float32),
                                  stride, padding.upper())
            if not np.array_equal(got_dw[:, c], np.asarray(want_c[0, :, 0], dtype=np.int64)):
                failures.append(("depthwise", n, k, stride, padding, c))
    assert not failures, f"golden convolution differs from tf.nn.conv1d at (n, k, stride, padding) {failures}"
