"""The hls4ml view: every project C-simulated against the integer graph, bit for bit.

g++ builds of hls4ml projects take 10-40 s each, so every model is exported, converted and compiled
once per test session (`_built`, keyed by configuration) and models are tiny (input (32, 16), width 0.25).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("hls4ml")
tf = pytest.importorskip("tensorflow")

from hwgen import models  # noqa: E402

ZOO_SHAPE = (32, 16)
N_CLASSES = 3


def _data(shape, n=200, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n,) + tuple(shape)).astype(np.float32), rng.integers(0, N_CLASSES, n)


def _inputs_file(path: Path, x, y) -> str:
    """x, y in a run's test.npz layout (taken as preprocessed)."""
    np.savez(path, x=x, y=y, classes=np.array(["a", "b", "c"]), index=np.arange(len(x)))
    return str(path)


@pytest.fixture(scope="session")
def build_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hls_builds")


@lru_cache(maxsize=None)
def _built(key: str, root: str):
    """One exported + converted + compiled build per configuration key, shared by every test."""
    from hwgen.builder import BuildConfig, run_build
    from hwgen.builder.core import open_build

    folder = Path(root) / key
    folder.mkdir(parents=True)
    settings: dict = {}
    if key == "tiny-narrow":
        from test_graph import tiny_model

        model, shape = tiny_model(), (24, 6)
        frac = 13  # the conv accumulator's fractional bits: 8-bit input x 6-bit weights (checked below)
        settings["precision"] = {"conv": {"accum": f"ap_fixed<{frac + 2},2>"}}
        settings["allow_saturation"] = True  # the wraps are the point: the graph's logits leave Keras' on purpose
    else:
        name, _, io = key.partition("@")
        tf.keras.utils.set_random_seed(0)  # the same weights every run
        model, shape = models.build(name, ZOO_SHAPE, N_CLASSES, width=0.25), ZOO_SHAPE
        settings["io_type"] = io or "io_stream"
    model.save(folder / "source.h5", include_optimizer=False)
    calib = _inputs_file(folder / "calib.npz", *_data(shape, n=100))
    verify = _inputs_file(folder / "verify.npz", *_data(shape, n=100, seed=7))
    cfg = BuildConfig(out=str(folder / "build"), source=str(folder / "source.h5"), calib=calib, verify_data=verify,
                      **settings)
    run_build(cfg, stop="csim")
    return open_build(cfg.out)


def _csim(key, root):
    return json.loads((_built(key, root).hls_dir / "csim.json").read_text())


@pytest.mark.parametrize("name", models.available())
def test_every_zoo_model_matches_the_graph_bit_for_bit_in_csim(name, build_root):
    result = _csim(name, str(build_root))
    assert result["n_samples"] == 100
    assert result["golden_vs_csim_mismatches"] == 0, result.get("first_mismatch_layer")
    assert result["keras_vs_golden_argmax_agreement"] >= 0.99
    assert result["csim_accuracy"] == result["golden_accuracy"]
    assert not result["golden_overflows"]


def test_io_parallel_also_matches_the_graph(build_root):
    build = _built("dscnn@io_parallel", str(build_root))
    assert json.loads((build.hls_dir / "hls.json").read_text())["io_type"] == "io_parallel"
    assert _csim("dscnn@io_parallel", str(build_root))["golden_vs_csim_mismatches"] == 0


def test_all_layer_types_and_a_wrapping_accumulator_match_the_graph(build_root):
    """Odd channels in the 1-D depthwise, a non-power-of-two average pool, Add, Concatenate, Flatten,
    po2 separable, and a forced too-narrow accumulator: C-sim wraps exactly where the graph counts it."""
    build = _built("tiny-narrow", str(build_root))
    assert build.graph.by_name["conv"].acc.frac == 13  # the override above is 2 integer bits on that grid
    result = _csim("tiny-narrow", str(build_root))
    assert result["golden_vs_csim_mismatches"] == 0, result.get("layers")
    assert result["golden_overflows"].get("conv", 0) > 0  # the wraps are detected and reported


def test_po2_weights_reach_hls4ml_as_exponent_types(build_root):
    build = _built("shiftcnn", str(build_root))
    firmware = build.hls_dir / "hls4ml_prj" / "firmware"
    defines = (firmware / "defines.h").read_text()
    params = (firmware / "parameters.h").read_text()
    widths = [int(w) for w in re.findall(r"typedef struct exponent_weight\d+_t \{ap_uint<1> sign;ap_int<(\d+)> weight;", defines)]
    graph_widths = sorted(n.kernel.po2_width for n in build.graph.nodes if n.kernel is not None)
    assert sorted(widths) == graph_widths and min(widths) >= 4  # widened where the shift would drop bits
    assert params.count("weight_exponential") >= 7  # 3 depthwise + 3 pointwise + the dense logits
    assert "weight_default" not in params and "product::mult<" not in params  # no multiplier anywhere
    weights = sorted((firmware / "weights").glob("w*.txt"))
    assert weights and all(t.read_text().lstrip().startswith("{") for t in weights)  # {sign, exponent} pairs


def test_a_wrong_layer_is_named_by_layer_tracing(build_root):
    """Make the graph disagree at one layer (TRN instead of RND_CONV): C-sim tracing must name it."""
    from hwgen.hls.csim import run_csim

    build = _built("cnn", str(build_root))
    broken = copy.deepcopy(build.graph)
    target = broken.by_name["b2_relu"]
    target.out = replace(target.out, rounding="TRN")
    x, y = _data(ZOO_SHAPE, seed=11)
    result = run_csim(build.hls_dir, broken, x, y)
    assert result["golden_vs_csim_mismatches"] > 0
    assert result["first_mismatch_layer"] == "b2_relu"
    assert result["compiled"] is False  # the project did not change: its library was reused


def test_report_counts_with_the_graph_cost_model_and_marks_estimates(build_root):
    from hwgen.graph import cost

    reports = {}
    for name in ("shiftcnn", "cnn"):
        build = _built(name, str(build_root))
        report = json.loads((build.hls_dir / "report.json").read_text())
        assert report["part"] == "xc7z020clg400-1" and "ESTIMATES" in report["estimate_note"]
        totals = cost.graph_cost(build.graph)["totals"]
        assert report["totals"]["macs"] == totals["macs"] and report["totals"]["weight_bits"] == totals["weight_bits"]
        assert all(r["accum"] for r in report["layers"] if r["macs"])
        assert report["totals"]["est_latency_cycles"] > 0
        reports[name] = report["totals"]
    assert reports["shiftcnn"]["shift_macs"] == reports["shiftcnn"]["macs"] > 0
    assert reports["shiftcnn"]["est_dsp"] == 0 and reports["cnn"]["est_dsp"] > 0
    assert reports["cnn"]["shift_macs"] == 0


def test_cli_convert_then_csim_on_a_run_directory(tmp_path):
    """`hwgen convert RUN --board pynq-z2 --out BUILD` then `hwgen sim csim BUILD` (the run's test split)."""
    from typer.testing import CliRunner

    from hwgen.cli import app

    run = tmp_path / "run"
    run.mkdir()
    model = models.build("cnn", ZOO_SHAPE, N_CLASSES, width=0.25)
    model.save(run / "model.h5", include_optimizer=False)
    x, y = _data(ZOO_SHAPE, n=60, seed=5)
    np.savez(run / "test.npz", x=x, y=y, classes=np.array(["a", "b", "c"]), index=np.arange(len(x)))
    (run / "config.json").write_text(json.dumps({"classes": ["a", "b", "c"], "task": "lung"}))
    (run / "preprocess.json").write_text(json.dumps({"time": 32, "depth": 16}))
    build = tmp_path / "build"
    runner = CliRunner()
    done = runner.invoke(app, ["convert", str(run), "--board", "pynq-z2", "--out", str(build), "--calib",
                               str(run / "test.npz")])
    assert done.exit_code == 0, done.output
    assert "ESTIMATES" in done.output and (build / "hls" / "report.json").is_file()
    assert (build / "hls" / "hls4ml_prj" / "firmware" / "hwgen_net.cpp").is_file()
    done = runner.invoke(app, ["sim", "csim", str(build)])
    assert done.exit_code == 0, done.output
    csim = json.loads((build / "hls" / "csim.json").read_text())
    assert csim["n_samples"] == 60 and csim["golden_vs_csim_mismatches"] == 0
    for key in ("keras_vs_golden_argmax_agreement", "csim_accuracy", "keras_accuracy"):
        assert key in csim
    assert json.loads((build / "steps" / "step_csim.json").read_text())["golden_vs_csim_mismatches"] == 0
    from hwgen.data import save, synthesize

    save(synthesize("cardiac", 4, seed=0, time=32, depth=16), tmp_path / "heart.npz")
    done = runner.invoke(app, ["sim", "csim", str(build), "--data", str(tmp_path / "heart.npz")])
    assert done.exit_code != 0 and "holds task 'cardiac', but the model was trained for 'lung'" in str(done.exception)


def test_cli_errors_are_one_line(tmp_path, capsys):
    from hwgen.cli import main

    cases = ((["sim", "csim", str(tmp_path)], "not a hwgen build folder"),
             (["convert", str(tmp_path / "nope.h5"), "--board", "zybo"], "unknown board 'zybo'; available: "),
             (["convert", str(tmp_path / "nope.h5"), "--out", str(tmp_path / "b")], "nope.h5: no such model file"))
    for args, message in cases:
        with pytest.raises(SystemExit) as stop:
            main(args)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2, err


def test_known_hls4ml_faults_are_refused_up_front(tmp_path):
    from test_graph import graph_for, tiny_model

    from hwgen.boards import get
    from hwgen.errors import ModelError
    from hwgen.hls.convert import hls_settings

    graph, _ = graph_for(tiny_model(), _data((24, 6), n=20)[0])
    with pytest.raises(ModelError, match="layer 'dw' .*io_parallel does not compile"):
        hls_settings(graph, get("pynq-z2"), io_type="io_parallel")


def test_reuse_and_strategy_per_layer_reach_the_project_and_the_estimates(tmp_path):
    from hwgen.boards import get
    from hwgen.errors import HwgenError, ModelError
    from hwgen.graph.precision import infer_precision
    from hwgen.hls.convert import hls_settings, write_project
    from hwgen.models.export import to_graph

    model = models.build("cnn", ZOO_SHAPE, N_CLASSES, width=0.25)
    graph = to_graph(model, ["a", "b", "c"])
    infer_precision(graph, _data(ZOO_SHAPE, n=40)[0])
    board = get("pynq-z2")
    base = write_project(graph, model, board, tmp_path / "base", hls_settings(graph, board, reuse=1))
    shared = write_project(graph, model, board, tmp_path / "shared", hls_settings(
        graph, board, reuse=1, layer_settings={"b2": {"ReuseFactor": 4, "Strategy": "Resource"}}))
    params = (tmp_path / "shared" / "hls4ml_prj" / "firmware" / "parameters.h").read_text()
    assert "reuse_factor = 4" in params
    rows = {r["layer"]: r for r in shared["layers"]}
    base_rows = {r["layer"]: r for r in base["layers"]}
    assert rows["b2"]["reuse"] == 4 and rows["b2"]["strategy"] == "Resource"
    assert rows["b2"]["est_dsp"] < base_rows["b2"]["est_dsp"]
    assert rows["b2"]["est_interval_cycles"] == 4 * base_rows["b2"]["est_interval_cycles"]
    with pytest.raises(ModelError, match="unknown layer 'nope'"):
        write_project(graph, model, board, tmp_path / "bad",
                      hls_settings(graph, board, layer_settings={"nope": {"ReuseFactor": 2}}))
    with pytest.raises(HwgenError, match=r"reuse factor 100000: must be 1\.\."):
        hls_settings(graph, board, reuse=100000)


def test_auto_reuse_shares_multipliers_until_the_estimate_fits_a_small_board():
    from hwgen.boards import get
    from hwgen.graph.precision import infer_precision
    from hwgen.hls.report import fitting_reuse
    from hwgen.models.export import to_graph

    graph = to_graph(models.build("cnn", ZOO_SHAPE, N_CLASSES, width=0.25), ["a", "b", "c"])
    infer_precision(graph, _data(ZOO_SHAPE, n=20)[0])
    board = get("pynq-z2").resources
    full = fitting_reuse(graph, board)
    small = board | {"dsp": board["dsp"] // 8, "lut": board["lut"] // 8}
    assert full is not None and fitting_reuse(graph, small) > full
    assert fitting_reuse(graph, small | {"dsp": 1, "lut": 10}) is None
