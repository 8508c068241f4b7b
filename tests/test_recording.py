"""Recordings of any length and line rate -> the model's windows (hwgen.data.recording), the task check
shared by predict and C-sim, and predict/predict_file sliding over a recording on a tiny run-like folder."""

import json

import numpy as np
import pytest

from hwgen.data import Dataset, save, synthesize
from hwgen.data.preprocess import preprocess
from hwgen.data.recording import check_task, model_inputs, windows
from hwgen.errors import DataError


def _recording(x, rate=None, y=None, classes=(), task=None):
    x = np.asarray(x, dtype=np.float32)
    meta = {k: v for k, v in (("line_rate_hz", rate), ("task", task)) if v is not None}
    return Dataset(x, y, list(classes), np.zeros(len(x), dtype=np.int64), meta)


def _ramp(n_lines, depth=8):
    """Brightness equal to the line index / 1000 at every depth: resampling is easy to check."""
    return (np.arange(n_lines, dtype=np.float32)[None, :, None] / 1000).repeat(depth, 2)


# -- windows --------------------------------------------------------------------------------------------

def test_windows_slide_across_a_longer_recording():
    x = _ramp(100)
    w = windows(_recording(x, rate=16.0), time=32, line_rate_hz=16.0, hop=16)
    starts = [0, 16, 32, 48, 64, 68]                       # the last window is aligned to the end
    assert w.x.shape == (6, 32, 8) and list(w.source) == [0] * 6
    for k, s in enumerate(starts):
        np.testing.assert_array_equal(w.x[k], x[0, s:s + 32])
    np.testing.assert_allclose(w.spans, [[s / 16, (s + 32) / 16] for s in starts])
    xs, spans, source = w                                    # unpacks as (x_windows, spans, source_index)
    assert xs is w.x and spans is w.spans and source is w.source
    assert w.notes == []


def test_windows_default_hop_is_half_a_window_and_every_example_is_covered():
    x = np.concatenate([_ramp(64), _ramp(64) + 0.5])
    w = windows(_recording(x, rate=32.0), time=32, line_rate_hz=32.0)
    assert list(w.source) == [0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(w.spans[:3], [[0, 1], [0.5, 1.5], [1, 2]])


def test_windows_resample_to_the_model_line_rate():
    x = _ramp(256)                                            # 4 s at 64 lines/s
    w = windows(_recording(x, rate=64.0), time=32, line_rate_hz=32.0, hop=32)
    assert w.x.shape == (4, 32, 8)                            # 128 lines at 32 lines/s: four 1 s windows
    np.testing.assert_allclose(w.spans, [[k, k + 1] for k in range(4)])
    # each model line k sits at recording time (k + 0.5) / 32 s, i.e. recording line 2k + 0.5
    expected = (2 * np.arange(128) + 0.5) / 1000
    np.testing.assert_allclose(w.x[:, :, 0].reshape(-1)[1:-1], expected[1:-1], atol=1e-6)
    assert any("resampled from 64 to 32 lines/s" in n for n in w.notes)


def test_windows_upsampling_is_stated():
    w = windows(_recording(_ramp(40), rate=10.0), time=32, line_rate_hz=20.0)
    assert w.x.shape[1:] == (32, 8) and w.spans[-1, 1] == pytest.approx(4.0)
    assert any("upsampled" in n and "5 Hz" in n for n in w.notes)


def test_a_recording_shorter_than_one_window_is_refused_with_shapes():
    with pytest.raises(DataError, match=r"\(1, 40, 8\).*shorter than one window of 32 lines \(2 s\)"):
        windows(_recording(_ramp(40), rate=32.0), time=32, line_rate_hz=16.0, source="short.npz")


def test_swapped_axes_are_refused():
    x = np.random.default_rng(0).random((1, 64, 300)).astype(np.float32)
    with pytest.raises(DataError, match=r"swapped.*\(1, 64, 300\).*\(256, 64\)"):
        windows(_recording(x), time=256, line_rate_hz=128.0, depth=64)
    # a recording whose loader states its line rate knows its time axis: taken as is
    w = windows(_recording(x, rate=128.0), time=32, line_rate_hz=128.0, depth=64)
    assert w.x.shape[1:] == (32, 300)


def test_unknown_recording_rate_is_assumed_and_said():
    w = windows(_recording(_ramp(64)), time=32, line_rate_hz=16.0)
    assert any("no line rate" in n and "16 lines/s" in n for n in w.notes)
    w = windows(_recording(_ramp(64)), time=32, line_rate_hz=16.0, recording_rate_hz=32.0)
    assert w.x.shape[0] == 1                                  # 64 lines at 32/s = one 2 s window at 16/s


def test_a_model_without_line_rate_windows_without_resampling():
    w = windows(_recording(_ramp(64), rate=50.0), time=32, line_rate_hz=None, hop=32)
    assert w.x.shape == (2, 32, 8) and w.spans is None
    np.testing.assert_array_equal(w.lines, [[0, 32], [32, 64]])


def test_bad_hop_or_line_rate_is_refused():
    with pytest.raises(DataError, match="hop"):
        windows(_recording(_ramp(64), rate=16.0), time=32, line_rate_hz=16.0, hop=0)
    with pytest.raises(DataError, match="line rate -5"):
        windows(_recording(_ramp(64), rate=-5.0), time=32, line_rate_hz=16.0)


def test_preprocess_refuses_to_crop_or_stretch_time():
    with pytest.raises(DataError, match=r"300 lines.*256.*windows"):
        preprocess(np.zeros((1, 300, 8), np.float32), time=256, depth=8)


# -- the task check -------------------------------------------------------------------------------------

def test_check_task_names_the_file_and_both_tasks(tmp_path):
    heart = synthesize("cardiac", 4, seed=0, time=32, depth=16)
    lung_classes = ["sliding", "absent", "lung_point"]
    with pytest.raises(DataError, match=r"heart.npz: .*'cardiac'.*'lung'"):
        check_task(heart, task="lung", classes=lung_classes, source="heart.npz")
    relabelled = Dataset(heart.x, heart.y, ["a", "b", "c", "d"], heart.group, {})
    with pytest.raises(DataError, match="heart.npz: classes"):
        check_task(relabelled, task="lung", classes=lung_classes, source="heart.npz")
    check_task(_recording(_ramp(8)), task="lung", classes=lung_classes, source="user.npy")  # unlabelled, no task
    wide = Dataset(heart.x, np.array([0, 1, 2, 5]), [], heart.group, {})
    with pytest.raises(DataError, match=r"labels span \[0, 5\]"):
        check_task(wide, task="lung", classes=lung_classes, source="wide.npz")


def test_model_inputs_labels_every_window_with_its_example():
    x = np.concatenate([_ramp(64), _ramp(64)])
    ds = _recording(x, rate=32.0, y=np.array([0, 2]), classes=["a", "b", "c"])
    settings = {"time": 32, "depth": 4, "clahe": False, "normalise": "none", "line_rate_hz": 32.0}
    xs, y, w = model_inputs(ds, settings)
    assert xs.shape == (6, 32, 4) and list(y) == [0, 0, 0, 2, 2, 2] and list(w.source) == [0, 0, 0, 1, 1, 1]


# -- predict on a run-like folder -----------------------------------------------------------------------

tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny untrained model saved like a run: 64 lines x 16 bins at 32 lines/s (2 s windows)."""
    from hwgen import models

    run = tmp_path_factory.mktemp("run")
    model = models.build("dscnn", (64, 16), 3, width=0.25, pools=(2, 2, 2), kernel=3)
    model.save(run / "model.h5", include_optimizer=False)
    settings = {"time": 64, "depth": 16, "clahe": False, "normalise": "minmax", "line_rate_hz": 32.0}
    (run / "preprocess.json").write_text(json.dumps(settings))
    (run / "config.json").write_text(json.dumps({"task": "lung", "classes": ["sliding", "absent", "lung_point"],
                                                 "input_shape": [64, 16], "line_rate_hz": 32.0}))
    return run


def test_predict_file_slides_over_a_long_recording(run, tmp_path):
    from hwgen import models
    from hwgen.data.preprocess import preprocess as prep
    from hwgen.train import predict_file

    ds = synthesize("lung", 1, seed=1, time=128, depth=16)             # 2 s at 64 lines/s
    long = Dataset(np.concatenate([ds.x, ds.x[:, ::-1]], axis=1), ds.y, ds.classes, ds.group,
                   {**ds.meta, "span_s": 4.0, "line_rate_hz": 64.0})     # 4 s, 256 lines at 64 lines/s
    path = save(long, tmp_path / "long.npz")
    result = predict_file(run, path, tmp_path / "preds.json", hop=32)
    spans = [(p["start_s"], p["end_s"]) for p in result["predictions"]]
    assert spans == [(0.0, 2.0), (1.0, 3.0), (2.0, 4.0)]
    assert {p["example"] for p in result["predictions"]} == {0} and result["examples"][0]["windows"] == 3
    assert any("resampled from 64 to 32 lines/s" in n for n in result["notes"])
    # the middle window is the model applied to lines 64..191 of the recording, resampled to 64 lines
    windows_x = windows(long, time=64, line_rate_hz=32.0, hop=32).x
    expected = models.load(run).predict(prep(windows_x, time=64, depth=16), verbose=0)
    np.testing.assert_allclose([p["probabilities"] for p in result["predictions"]], expected, atol=1e-5)
    assert json.loads((tmp_path / "preds.json").read_text())["predictions"][1]["start_s"] == 1.0


def test_predict_file_refuses_a_short_recording(run, tmp_path):
    from hwgen.train import predict_file

    path = save(synthesize("lung", 2, seed=1, time=64, depth=16), tmp_path / "short.npz")  # 2 s at 32/s: fits
    assert len(predict_file(run, path)["predictions"]) == 2
    short = synthesize("lung", 2, seed=1, time=32, depth=16)
    short.meta["span_s"], short.meta["line_rate_hz"] = 1.0, 32.0
    with pytest.raises(DataError, match=r"short.npz: .*\(2, 32, 16\).*shorter than one window"):
        predict_file(run, save(short, tmp_path / "short.npz"))


def test_an_old_run_without_line_rate_warns_once(run, tmp_path):
    import shutil

    from hwgen.train import predict_file

    old = tmp_path / "old"
    shutil.copytree(run, old)
    settings = json.loads((old / "preprocess.json").read_text())
    del settings["line_rate_hz"]
    (old / "preprocess.json").write_text(json.dumps(settings))
    config = json.loads((old / "config.json").read_text())
    del config["line_rate_hz"]
    (old / "config.json").write_text(json.dumps(config))
    path = save(synthesize("lung", 1, seed=1, time=128, depth=16), tmp_path / "rec.npz")
    result = predict_file(old, path, hop=64)
    assert len(result["predictions"]) == 2                    # 128 lines, not resampled: two 64-line windows
    notes = [n for n in result["notes"] if "line rate" in n]
    assert len(notes) == 1 and "\n" not in notes[0] and "not resampled" in notes[0]


def test_a_dicom_cine_goes_all_the_way_to_predict(run, tmp_path, capsys):
    """pydicom's 30-frame ultrasound cine (33.333 ms per frame) -> `hwgen data mmode` -> `hwgen predict`."""
    import shutil

    from pydicom.data import get_testdata_file

    from hwgen.cli import main

    fast = tmp_path / "run64"                               # the same model, trained at 64 lines/s (1 s windows)
    shutil.copytree(run, fast)
    settings = json.loads((fast / "preprocess.json").read_text()) | {"line_rate_hz": 64.0}
    (fast / "preprocess.json").write_text(json.dumps(settings))
    mm = tmp_path / "mm.npz"
    for args in (["data", "mmode", get_testdata_file("examples_ybr_color.dcm"), "--line", "160,20,160,220",
                  "--out", str(mm)],
                 ["predict", str(fast), "--data", str(mm), "--out", str(tmp_path / "p.json")]):
        with pytest.raises(SystemExit) as done:
            main(args)
        assert done.value.code == 0, capsys.readouterr()
    printed = capsys.readouterr().out
    assert "resampled from 30 to 64 lines/s" in printed and "depth resampled from 201 to 16" in printed
    result = json.loads((tmp_path / "p.json").read_text())
    [window] = result["predictions"]                        # 30 frames at 30/s = 1 s = exactly one window
    assert window["start_s"] == 0.0 and window["end_s"] == pytest.approx(1.0, abs=0.02)
    assert result["recording_line_rate_hz"] == pytest.approx(30.0, rel=1e-3)
