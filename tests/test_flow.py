"""The demo flow end to end on a small set: every step's record, and a bit-exact C-sim."""

import json

import pytest

from hwgen.errors import HwgenError
from hwgen.flow import FlowConfig, run, step_names


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    out = tmp_path_factory.mktemp("flow")
    cfg = FlowConfig(out=str(out), n=60, time=64, depth=16, float_epochs=2, epochs=2)
    return cfg, run(cfg)


def test_every_step_leaves_its_record(flow):
    cfg, records = flow
    assert list(records) == step_names()
    for name in step_names():
        saved = json.loads((cfg.data_path.parent / "steps" / f"{name}.json").read_text())
        assert saved["seconds"] >= 0
    assert cfg.data_path.is_file() and (cfg.run_dir / "model.h5").is_file()
    assert (cfg.build_dir / "report.json").is_file() and (cfg.build_dir / "csim.json").is_file()


def test_csim_is_bit_exact_on_the_test_split(flow):
    _, records = flow
    csim = records["step_csim"]
    assert csim["n_samples"] > 0
    assert csim["golden_vs_csim_mismatches"] == 0
    assert csim["keras_vs_golden_argmax_agreement"] >= 0.99


def test_precisions_are_calibrated_on_the_training_split(flow):
    cfg, _ = flow
    split = json.loads((cfg.run_dir / "split.json").read_text())
    settings = json.loads((cfg.build_dir / "hwgen.json").read_text())
    assert settings["calibration_examples"] == min(len(split["train"]), 512)
    assert len(split["train"]) != len(split["test"])  # otherwise this test could not tell them apart


def test_auto_reuse_fits_the_board_estimate(flow, tmp_path):
    """On a board too small for reuse 1, 'auto' shares multipliers until the estimate fits."""
    from dataclasses import replace

    from hwgen.boards import get
    from hwgen.hls.convert import convert

    cfg, records = flow
    assert records["step_convert"]["reuse"] >= 1
    full = json.loads((cfg.build_dir / "report.json").read_text())["totals"]
    board = get("pynq-z2")
    tiny = replace(board, resources=board.resources | {"lut": full["est_lut"] // 3})
    conv = convert(cfg.run_dir, board=tiny, out=tmp_path / "auto", reuse="auto")
    totals = conv.report["totals"]
    assert conv.settings["reuse"] > 1
    assert totals["est_lut"] <= tiny.resources["lut"] < full["est_lut"]


def test_flow_restarts_at_a_named_step_and_refuses_unknown_ones(flow):
    cfg, _ = flow
    records = run(cfg, start="step_convert", stop="step_convert")
    assert list(records) == ["step_convert"]
    with pytest.raises(HwgenError, match="unknown step 'step_nope'"):
        run(cfg, start="step_nope")
