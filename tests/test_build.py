"""The builder end to end on the demo's config at a small size: steps, records, one build per folder."""

import json
import subprocess
import sys

import numpy as np
import pytest

from hwgen.builder import BuildConfig, demo_config, run_build
from hwgen.builder.core import open_build
from hwgen.errors import HwgenError


def small_demo(out) -> BuildConfig:
    cfg = demo_config(out=str(out), n=60)
    cfg.data |= {"time": 64, "depth": 16}
    cfg.train |= {"float_epochs": 2, "epochs": 2, "progress": False}
    # the RTL design is generated (and lint-checked); its whole-model simulation and synthesis are
    # tested on small models in tests/test_rtl_sim.py and tests/test_rtl_zoo.py
    cfg.steps = [s for s in cfg.steps if s not in ("step_rtlsim", "step_synth")]
    return cfg


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cfg = small_demo(tmp_path_factory.mktemp("demo") / "demo")
    return cfg, run_build(cfg)


def test_every_step_leaves_a_record_of_what_it_did(demo):
    cfg, records = demo
    assert list(records) == ["step_data", "step_train", "step_export", "step_convert_hls", "step_csim", "step_rtl"]
    assert records["step_rtl"]["identity"] == records["step_export"]["identity"]
    assert records["step_rtl"]["lint_warnings"] == 0 and records["step_rtl"]["cycles"]["ii"] > 0
    for name, record in records.items():
        saved = json.loads((open_build(cfg.out).out / "steps" / f"{name}.json").read_text())
        assert saved == json.loads(json.dumps(record, default=str)) and saved["seconds"] > 0
    build = open_build(cfg.out)
    assert records["step_data"]["shape"] == [60, 64, 16]
    assert 0.2 < records["step_train"]["accuracy"] <= 1  # three classes: chance is 1/3
    export = records["step_export"]
    assert export["identity"] == f"{build.graph.identity():016x}" and export["nodes"] == len(build.graph.nodes)
    assert export["saved_graph_reproduces_outputs"] is True
    assert export["cost"]["macs"] == records["step_convert_hls"]["macs"] > 0
    metrics = json.loads((build.out / "run" / "metrics.json").read_text())  # what `hwgen train` reported
    report = json.loads((build.hls_dir / "report.json").read_text())
    assert metrics["weight_bits"] == export["cost"]["weight_bits"] == report["totals"]["weight_bits"] > 0
    assert records["step_csim"]["golden_vs_csim_mismatches"] == 0
    assert records["step_csim"]["n_samples"] == export["verify_examples"] > 0
    for path in ("graph/graph.json", "graph/weights.npz", "graph/stream.json", "verify/input.npy",
                 "verify/expected.npy", "hls/report.json", "hls/csim.json", "run/model.h5", "gallery.png"):
        assert (build.out / path).is_file(), path


def test_the_saved_graph_reproduces_the_verification_outputs_without_tensorflow(demo):
    cfg, _ = demo
    code = f"""
import sys, numpy as np
from hwgen.builder.core import open_build
from hwgen.graph import execute
build = open_build({cfg.out!r})
x, expected, _ = build.verify_set()
assert np.array_equal(execute(build.graph, x).logits.reshape(len(x), -1), expected)
print('TF', any(m.split('.')[0] in ('tensorflow', 'keras', 'qkeras') for m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "TF False" in out


def test_precisions_are_calibrated_on_training_examples_not_the_test_split(demo):
    cfg, _ = demo
    build = open_build(cfg.out)
    split = json.loads((build.out / "run" / "split.json").read_text())
    assert build.graph.meta["calibration_examples"] == min(len(split["train"]), 256)
    assert len(split["train"]) != len(split["test"])  # otherwise this test could not tell them apart
    x_test = np.load(build.verify_dir / "input.npy")
    assert len(x_test) == len(split["test"])


def test_a_build_restarts_at_a_named_step_and_refuses_unknown_or_unready_ones(demo, tmp_path):
    cfg, _ = demo
    records = run_build(cfg, start="convert_hls", stop="csim")
    assert list(records) == ["step_convert_hls", "step_csim"]
    assert records["step_csim"]["compiled"] is False  # nothing changed: g++ did not run again
    with pytest.raises(HwgenError, match="unknown step 'nope'; the steps are data, train, export"):
        run_build(cfg, start="nope")
    fresh = small_demo(tmp_path / "fresh")
    with pytest.raises(HwgenError, match="step step_data has not run in this build folder"):
        run_build(fresh, start="csim")


def test_one_folder_holds_one_build(demo, tmp_path):
    cfg, _ = demo
    other = small_demo(cfg.out)
    other.board, other.reuse = "pynq-z2", 2
    with pytest.raises(HwgenError, match=r"holds a build with other settings \(reuse differ\)"):
        run_build(other, start="export")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(HwgenError, match="not empty and not a hwgen build folder"):
        run_build(small_demo(tmp_path / "mine"))
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(HwgenError, match="exists and is a file"):
        run_build(small_demo(tmp_path / "file"))


def test_a_failed_step_is_marked_incomplete_and_later_steps_refuse_to_start(demo, monkeypatch):
    from hwgen.builder import core

    cfg, _ = demo

    def broken(build, cfg):
        """Break on purpose."""
        raise HwgenError("broken on purpose")

    monkeypatch.setitem(core.REGISTRY, "step_convert_hls", "test_build:_broken_step")
    monkeypatch.setattr(sys.modules[__name__], "_broken_step", broken, raising=False)
    with pytest.raises(HwgenError, match="broken on purpose"):
        run_build(cfg, start="convert_hls")
    steps = open_build(cfg.out).out / "steps"
    assert (steps / "step_convert_hls.running").is_file() and not (steps / "step_convert_hls.json").exists()
    with pytest.raises(HwgenError, match="step step_convert_hls has not run"):
        run_build(cfg, start="csim")
    monkeypatch.undo()
    run_build(cfg, start="convert_hls")  # rerunning the step completes the build again
    assert not (steps / "step_convert_hls.running").exists() and (steps / "step_csim.json").is_file()


def test_build_config_refuses_unknown_boards_backends_and_settings():
    with pytest.raises(HwgenError, match="unknown board 'zybo'"):
        BuildConfig(source="x", board="zybo")
    with pytest.raises(HwgenError, match="backend 'vhdl' is not one of hls, rtl"):
        BuildConfig(source="x", backend="vhdl")
    with pytest.raises(HwgenError, match=r"unknown build settings \['turbo'\]"):
        BuildConfig.from_json({"source": "x", "turbo": True})
