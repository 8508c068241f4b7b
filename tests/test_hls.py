"""hls4ml conversion and C-sim against the golden model, bit for bit.

g++ builds of hls4ml projects take 15-40 s each, so every model is converted and compiled once per
test session (`_compiled`, keyed by configuration) and models are tiny (input (32, 16), width 0.25).
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

ZOO_SHAPE = (32, 16)
N_CLASSES = 3


def _data(shape, n=200, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n,) + tuple(shape)).astype(np.float32), rng.integers(0, N_CLASSES, n)


@pytest.fixture(scope="session")
def build_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hls_builds")


@lru_cache(maxsize=None)
def _compiled(key: str, root: str):
    """One converted + g++-compiled project per configuration key, shared by every test."""
    from hwgen import models
    from hwgen.hls.convert import convert
    from hwgen.hls.precision import PrecisionPolicy

    if key == "tiny-narrow":
        from test_golden import tiny_model

        model = tiny_model()
        x, _ = _data((24, 6))
        frac = 13  # the conv accumulator's fractional bits (8-bit input x 6-bit weights... see test)
        policy = PrecisionPolicy(overrides={"conv": {"accum": f"ap_fixed<{frac + 2},2>"}})
        with pytest.warns(UserWarning, match="layer 'conv': forced accum"):
            conv = convert(model, "pynq-z2", Path(root) / key, calib=x[:100], policy=policy)
    else:
        name, _, io = key.partition("@")
        tf.keras.utils.set_random_seed(0)  # the same weights every run
        model = models.build(name, ZOO_SHAPE, N_CLASSES, width=0.25)
        x, _ = _data(ZOO_SHAPE)
        conv = convert(model, "pynq-z2", Path(root) / key, calib=x[:100], io_type=io or "io_stream")
    conv.compile()
    return conv


@pytest.mark.parametrize("name", ["cnn", "dscnn", "shiftcnn", "mobilenet", "ghostnet", "firenet"])
def test_every_zoo_model_matches_golden_bit_for_bit_in_csim(name, build_root):
    from hwgen import models
    from hwgen.hls.csim import run_csim

    assert name in models.available()
    conv = _compiled(name, str(build_root))
    x, y = _data(ZOO_SHAPE, seed=7)
    result = run_csim(conv, x, y)
    assert result["n_samples"] == len(x)
    assert result["golden_vs_csim_mismatches"] == 0, result.get("first_mismatch_layer")
    assert result["keras_vs_golden_argmax_agreement"] >= 0.99
    assert result["csim_accuracy"] == result["golden_accuracy"]
    assert not result["golden_overflows"]


def test_io_parallel_also_matches_golden(build_root):
    from hwgen.hls.csim import run_csim

    conv = _compiled("dscnn@io_parallel", str(build_root))
    assert conv.settings["io_type"] == "io_parallel"
    x, y = _data(ZOO_SHAPE, seed=13)
    assert run_csim(conv, x, y)["golden_vs_csim_mismatches"] == 0


def test_zoo_list_is_covered():
    from hwgen import models

    covered = {"cnn", "dscnn", "shiftcnn", "mobilenet", "ghostnet", "firenet"}
    assert set(models.available()) <= covered, "a new zoo model needs a C-sim test"


def test_all_layer_types_and_a_wrapping_accumulator_match_golden(build_root):
    """Odd channels in the 1-D depthwise, a non-power-of-two average pool, Add, Concatenate, Flatten,
    po2 separable, and a forced too-narrow accumulator: C-sim wraps exactly where golden counts it."""
    from hwgen.hls.csim import run_csim

    conv = _compiled("tiny-narrow", str(build_root))
    assert conv.golden.by_name["conv"].acc.frac == 13  # the override above is 2 integer bits on that grid
    x, y = _data((24, 6), seed=3)
    result = run_csim(conv, x, y)
    assert result["golden_vs_csim_mismatches"] == 0, result.get("layers")
    assert result["golden_overflows"].get("conv", 0) > 0  # the wraps are detected and reported


def test_po2_weights_reach_hls4ml_as_exponent_types(build_root):
    conv = _compiled("shiftcnn", str(build_root))
    firmware = conv.out / "hls4ml_prj" / "firmware"
    defines = (firmware / "defines.h").read_text()
    params = (firmware / "parameters.h").read_text()
    widths = [int(w) for w in re.findall(r"typedef struct exponent_weight\d+_t \{ap_uint<1> sign;ap_int<(\d+)> weight;", defines)]
    golden = sorted(n.kernel.po2_width for n in conv.nodes if n.kernel is not None)
    assert sorted(widths) == golden and min(widths) >= 4  # widened where the shift would drop bits
    assert params.count("weight_exponential") >= 7  # 3 depthwise + 3 pointwise + the dense logits
    assert "weight_default" not in params and "product::mult<" not in params  # no multiplier anywhere
    weights = sorted((firmware / "weights").glob("w*.txt"))
    assert weights and all(t.read_text().lstrip().startswith("{") for t in weights)  # {sign, exponent} pairs


def test_a_wrong_layer_is_named_by_layer_tracing(build_root):
    """Make golden disagree at one layer (TRN instead of RND_CONV): C-sim tracing must name it."""
    from hwgen.golden.model import GoldenModel
    from hwgen.hls.csim import run_csim

    conv = _compiled("cnn", str(build_root))
    nodes = copy.deepcopy(conv.nodes)
    target = next(n for n in nodes if n.name == "b2_relu")
    target.out = replace(target.out, rounding="TRN")
    broken = replace(conv, golden=GoldenModel(nodes))
    x, y = _data(ZOO_SHAPE, seed=11)
    result = run_csim(broken, x, y)
    assert result["golden_vs_csim_mismatches"] > 0
    assert result["first_mismatch_layer"] == "b2_relu"


def test_report_counts_macs_shifts_and_marks_estimates(build_root):
    from hwgen.models import count_macs

    shift = _compiled("shiftcnn", str(build_root))
    plain = _compiled("cnn", str(build_root))
    for conv in (shift, plain):
        report = conv.report
        assert report["part"] == "xc7z020clg400-1" and "ESTIMATES" in report["estimate_note"]
        assert report["totals"]["macs"] == count_macs(conv.keras)
        assert all(r["accum"] for r in report["layers"] if r["macs"])
        assert report["totals"]["est_latency_cycles"] > 0
    assert shift.report["totals"]["shift_macs"] == shift.report["totals"]["macs"]
    assert shift.report["totals"]["est_dsp"] == 0 and plain.report["totals"]["est_dsp"] > 0
    assert plain.report["totals"]["shift_macs"] == 0


def test_cli_convert_then_csim_on_a_run_directory(tmp_path):
    """`hwgen convert RUN --board pynq-z2 --out BUILD` then `hwgen sim csim BUILD` (run's test split)."""
    from typer.testing import CliRunner

    from hwgen import models
    from hwgen.cli import app

    run = tmp_path / "run"
    run.mkdir()
    model = models.build("cnn", ZOO_SHAPE, N_CLASSES, width=0.25)
    model.save(run / "model.h5", include_optimizer=False)
    x, y = _data(ZOO_SHAPE, n=60, seed=5)
    np.savez(run / "test.npz", x=x, y=y, classes=np.array(["a", "b", "c"]), index=np.arange(len(x)))
    (run / "config.json").write_text(json.dumps({"classes": ["a", "b", "c"]}))
    build = tmp_path / "build"
    runner = CliRunner()
    done = runner.invoke(app, ["convert", str(run), "--board", "pynq-z2", "--out", str(build)])
    assert done.exit_code == 0, done.output
    assert "ESTIMATES" in done.output and (build / "report.json").is_file()
    assert (build / "hls4ml_prj" / "firmware" / "hwgen_net.cpp").is_file()
    done = runner.invoke(app, ["sim", "csim", str(build)])
    assert done.exit_code == 0, done.output
    csim = json.loads((build / "csim.json").read_text())
    assert csim["n_samples"] == 60 and csim["golden_vs_csim_mismatches"] == 0
    for key in ("keras_vs_golden_argmax_agreement", "csim_accuracy", "keras_accuracy"):
        assert key in csim


def test_cli_errors_are_one_line(tmp_path):
    from typer.testing import CliRunner

    from hwgen.cli import app

    done = CliRunner().invoke(app, ["sim", "csim", str(tmp_path)])
    assert done.exit_code != 0 and "not a hwgen build folder" in str(done.exception)
    done = CliRunner().invoke(app, ["convert", str(tmp_path / "nope.h5"), "--board", "zybo"])
    assert "unknown board 'zybo'" in str(done.exception)


def test_known_hls4ml_faults_are_refused_up_front(tmp_path):
    from test_golden import tiny_model

    from hwgen.errors import ModelError
    from hwgen.hls.convert import convert

    with pytest.raises(ModelError, match="layer 'dw' .*io_parallel does not compile"):
        convert(tiny_model(), "pynq-z2", tmp_path / "b", io_type="io_parallel", calib=_data((24, 6), n=20)[0])


def test_reuse_and_strategy_per_layer_reach_the_project_and_the_estimates(tmp_path):
    from hwgen import models
    from hwgen.errors import ModelError
    from hwgen.hls.convert import convert

    model = models.build("cnn", ZOO_SHAPE, N_CLASSES, width=0.25)
    x, _ = _data(ZOO_SHAPE, n=40)
    base = convert(model, "pynq-z2", tmp_path / "base", calib=x)
    shared = convert(model, "pynq-z2", tmp_path / "shared", calib=x,
                     layer_settings={"b2": {"ReuseFactor": 4, "Strategy": "Resource"}})
    params = (tmp_path / "shared" / "hls4ml_prj" / "firmware" / "parameters.h").read_text()
    assert "reuse_factor = 4" in params
    rows = {r["layer"]: r for r in shared.report["layers"]}
    base_rows = {r["layer"]: r for r in base.report["layers"]}
    assert rows["b2"]["reuse"] == 4 and rows["b2"]["strategy"] == "Resource"
    assert rows["b2"]["est_dsp"] < base_rows["b2"]["est_dsp"]
    assert rows["b2"]["est_interval_cycles"] == 4 * base_rows["b2"]["est_interval_cycles"]
    with pytest.raises(ModelError, match="unknown layer 'nope'"):
        convert(model, "pynq-z2", tmp_path / "bad", calib=x, layer_settings={"nope": {"ReuseFactor": 2}})
