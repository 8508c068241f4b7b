"""hwgen.rtl.skip_fifo: the lead of a residual main path and the skip FIFO depth (the simulated check
of the rule is sim/test_skip_fifo.py)."""

import doctest

import pytest

from hwgen.errors import HwgenError
from hwgen.rtl import skip_fifo


def test_docstring_example():
    assert doctest.testmod(skip_fifo).failed == 0


def test_lead_per_channel_and_whole_step():
    dw5 = skip_fifo.stage("depthwise_conv1d", dict(K=5, PADDING="same", STRIDE=1))
    assert dw5.lookahead == 2 and not dw5.whole_step
    assert skip_fifo.main_path_lead([dw5], 3) == 2 * 3 + 1            # beat (t, g) needs (t + 2, g)
    conv = skip_fifo.stage("conv1d_mac", dict(K=4, PADDING="same", STRIDE=1))
    assert conv.lookahead == 2                                         # 'same' K=4: 1 row before, 2 after
    assert skip_fifo.main_path_lead([dw5, conv], 3) == (2 + 2 + 1) * 3  # whole steps from the conv on
    assert skip_fifo.main_path_lead([skip_fifo.stage("requant_relu", {})], 4) == 1


def test_depths():
    path = [skip_fifo.stage("depthwise_conv1d", dict(K=3)), skip_fifo.stage("requant_relu", {})]
    assert skip_fifo.skip_fifo_depth(path, 4, full_rate=False) == 4     # lead 5, the fork holds one
    assert skip_fifo.skip_fifo_depth(path, 4) == 4 + 3 + 1 + skip_fifo.FIFO_LATENCY
    assert skip_fifo.skip_fifo_depth([], 4, full_rate=False) == 1       # never below axis_fifo's minimum


@pytest.mark.parametrize("kernel, params, match", [
    ("depthwise_conv1d", dict(K=3, STRIDE=2), "STRIDE"),
    ("conv1d_mac", dict(K=3, PADDING="valid"), "PADDING"),
    ("max_pool1d", dict(POOL=2), "no skip-FIFO model"),
])
def test_refusals_name_the_problem(kernel, params, match):
    with pytest.raises(HwgenError, match=match):
        skip_fifo.stage(kernel, params)
