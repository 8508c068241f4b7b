"""Every 1-D zoo model through `hwgen build --backend rtl` (export, rtl, rtlsim) at a small width:
the whole design simulated on Verilator equals the integer graph on every logit of every sample."""

from __future__ import annotations

import json

import pytest

from hwgen.models.catalog import MODELS
from hwgen.rtl import sim

pytestmark = pytest.mark.skipif(sim.verilator_bin() is None, reason="verilator is not installed")
tf = pytest.importorskip("tensorflow")

CASES = [(name, 8) for name in MODELS] + [("shiftcnn", 4)]  # (all six at 4 and 6 bits too: by hand, not in CI)


@pytest.mark.parametrize("name, bits", CASES, ids=[f"{n}-{b}bit" for n, b in CASES])
def test_zoo_model_rtl_bit_exact(tmp_path, name, bits):
    from hwgen import models
    from hwgen.builder import BuildConfig, run_build

    tf.keras.utils.set_random_seed(1)
    model = models.build(name, (16, 8), 3, width=0.25, kernel=3, pools=(2, 2, 1), bits=bits)
    model.save(tmp_path / "model.h5")
    cfg = BuildConfig(out=str(tmp_path / "build"), source=str(tmp_path / "model.h5"), backend="rtl",
                      steps=["step_export", "step_rtl", "step_rtlsim"], verify_max=12)
    records = run_build(cfg)
    sim_record = records["step_rtlsim"]
    assert sim_record["bit_exact"] and sim_record["frames"] == 12 and sim_record["identity_ok"]
    manifest = json.loads((tmp_path / "build" / "rtl" / "rtl.json").read_text())
    assert manifest["identity"] == records["step_export"]["identity"]
    kernels = {k["kernel"] for layer in manifest["layers"] for k in layer["kernels"]}
    if name == "shiftcnn":
        assert "shift_conv1d" in kernels and "conv1d_mac" not in kernels
    if name == "mobilenet":
        assert {"axis_fork", "axis_add", "axis_fifo"} <= kernels
    if name in ("ghostnet", "firenet"):
        assert "axis_concat" in kernels
