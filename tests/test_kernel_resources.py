"""Kernel resources from yosys: the shift engine has no multiplier, the MAC engine uses DSP48s."""

import pytest

from hwgen.errors import HwgenError
from hwgen.rtl import synth

needs_yosys = pytest.mark.skipif(not synth.yosys_available(), reason="yosys is not on PATH (apt-get install yosys)")

# Equal parallelism (K*IN_PAR*OUT_PAR = 3 products per cycle), wide operands, few channels (fast).
SHAPE = dict(CH_IN=2, CH_OUT=2, K=3, T=8, IN_PAR=1, OUT_PAR=1, DATA_W=16, BIAS_W=16, ACC_W=40)


@needs_yosys
def test_shift_engine_uses_no_dsp_and_mac_engine_does():
    mac = synth.synthesize("conv1d_mac", {**SHAPE, "WEIGHT_W": 16})
    shift = synth.synthesize("shift_conv1d", {**SHAPE, "MAX_SHIFT": 15})
    assert shift["DSP48E1"] == 0, shift
    assert mac["DSP48E1"] >= 3, mac  # one DSP48E1 per 16x16 product at least
    assert shift["LUT"] > 0 and shift["CARRY4"] > 0, shift  # the shifts and adders are really there


def test_stat_parsing_groups_primitives():
    text = """=== top ===
   Number of cells:                 10
     CARRY4                          2
     DSP48E1                         3
     FDRE                            5
     FDSE                            1
     LUT2                            4
     LUT6                            6
     RAM32M                          2
     RAMB18E1                        1
"""
    counts = synth.parse_stat(text)
    assert counts == dict(LUT=10, LUTRAM=2, SRL=0, FF=6, CARRY4=2, DSP48E1=3, RAMB18E1=1, RAMB36E1=0)


def test_defaults_come_from_the_sources():
    defaults = synth.kernel_defaults("conv1d_mac")
    assert defaults["PADDING"] == "same" and isinstance(defaults["CH_IN"], int)


@needs_yosys
def test_unknown_parameter_is_refused():
    with pytest.raises(HwgenError, match="NOT_A_PARAM"):
        synth.synthesize("conv1d_mac", {"NOT_A_PARAM": 1})


@needs_yosys
def test_fifo_memory_follows_its_size():
    """axis_fifo is inferred as distributed RAM when small and block RAM when large (no FF array)."""
    small = synth.synthesize("axis_fifo", dict(DEPTH=16, WIDTH=64))
    large = synth.synthesize("axis_fifo", dict(DEPTH=1024, WIDTH=16))
    assert small["LUTRAM"] > 0 and small["RAMB18E1"] + small["RAMB36E1"] == 0, small
    assert small["FF"] < 16 * 64, small                          # the memory is not in flip-flops
    assert large["RAMB18E1"] + large["RAMB36E1"] > 0 and large["LUTRAM"] == 0, large
    forced = synth.synthesize("axis_fifo", dict(DEPTH=16, WIDTH=8, RAM_STYLE="block"))
    assert forced["RAMB18E1"] == 1, forced                       # string parameters reach yosys


@needs_yosys
@pytest.mark.parametrize("kernel, shape", [
    ("depthwise_conv1d", dict(CH=2, PAR=2, K=3, T=8, DATA_W=16, BIAS_W=16, ACC_W=40)),
    ("dense", dict(N_IN=4, N_OUT=2, IN_PAR=2, OUT_PAR=1, DATA_W=16, ACC_W=40)),
])
def test_shift_product_removes_the_multipliers(kernel, shape):
    """PRODUCT="shift" (a string parameter, set through yosys chparam) leaves no DSP48 in a shape
    whose 16-bit products would each take one (the "mul" builds: bench/kernels.py)."""
    shift = synth.synthesize(kernel, {**shape, "PRODUCT": "shift", "MAX_SHIFT": 15, "WEIGHT_W": 6})
    assert shift["DSP48E1"] == 0 and shift["LUT"] > 0 and shift["CARRY4"] > 0, shift


def test_per_product_fit_recovers_a_line_and_reports_residuals():
    fit = synth.fit_per_product([4, 8, 16, 32], [110, 150, 230, 400])  # 70 + 10/product, last point +10
    assert fit["per_product"] == pytest.approx(10.37, abs=0.01) and fit["fixed"] == pytest.approx(66.96, abs=0.01)
    assert len(fit["residuals"]) == 4 and fit["max_abs_residual"] > 0
    exact = synth.fit_per_product([4, 8, 16], [1, 2, 4])
    assert exact["fixed"] == pytest.approx(0) and exact["per_product"] == pytest.approx(0.25)
    assert exact["max_abs_residual"] == 0
    with pytest.raises(HwgenError, match="two different"):
        synth.fit_per_product([4, 4], [1, 2])


def test_parameters_become_the_top_modules_defaults():
    """Negative numbers and strings reach yosys as Verilog writes them (chparam made them unsigned),
    and a default that is an expression of other parameters can be set too."""
    text = synth.with_defaults("requant_relu", {"SHIFT": -2, "ROUNDING": "RND_CONV"})
    assert "parameter SHIFT = -2," in text and 'parameter [63:0] ROUNDING = "RND_CONV",' in text
    assert "$fatal(1, \"requant_relu: parameter PAR=%0d" in text  # the body is untouched
    assert synth.kernel_defaults("avg_pool1d")["ACC_SHIFT"] is None
    assert "parameter ACC_SHIFT = 3," in synth.with_defaults("avg_pool1d", {"ACC_SHIFT": 3})
