"""Training and prediction end to end on a tiny synthetic set: artifacts, metrics, determinism,
prediction round trip and the bad-input errors."""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow")
from hwgen import models  # noqa: E402
from hwgen.data import save, synthesize  # noqa: E402
from hwgen.errors import DataError, HwgenError  # noqa: E402
from hwgen.train import TrainConfig, classification_metrics, predict, predict_file, train_model  # noqa: E402

TINY = dict(task="lung", model="shiftcnn", n=24, time=32, depth=16, epochs=2, float_epochs=1, batch_size=8,
            qat_from_float=True, progress=False, model_cfg={"kernel": 3})
ARTIFACTS = ("model.h5", "metrics.json", "config.json", "preprocess.json", "split.json", "test.npz",
             "confusion.png", "history.png", "reliability.png")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_model(TrainConfig(out=str(tmp_path_factory.mktemp("run") / "lung"), **TINY))


def test_training_writes_every_artifact(run):
    for name in ARTIFACTS:
        assert (run / name).is_file() and (run / name).stat().st_size > 0, name
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["per_class"]) == {"sliding", "absent", "lung_point"}
    assert np.sum(metrics["confusion"]) == metrics["n"] > 0
    assert metrics["epochs_run"] == {"float": 1, "qat": 2}
    lo, hi = metrics["ci95"]["accuracy"]
    assert lo <= metrics["accuracy"] <= hi and "patients" in metrics["ci95"]["method"]
    assert set(metrics["ci95"]["per_class"]) == set(metrics["per_class"])
    assert 0 <= metrics["calibration"]["ece"] <= 1 and len(metrics["calibration"]["bins"]) == 10
    assert metrics["imbalance"]["method"] == "balanced class weights"
    assert sum(metrics["imbalance"]["train_counts"].values()) == len(json.loads((run / "split.json").read_text())["train"])
    assert metrics["augmentation"]["enabled"] and metrics["augmentation"]["policy"] == "lung"
    model = models.load(run)
    assert metrics["macs"] == models.count_macs(model) and metrics["weight_bits"] == models.weight_bits(model)
    split = json.loads((run / "split.json").read_text())
    parts = [set(split[k]) for k in ("train", "val", "test")]
    assert sum(map(len, parts)) == split["n_examples"] == 24 and not (parts[0] & parts[2])
    test = np.load(run / "test.npz")
    assert test["x"].shape == (len(split["test"]), 32, 16) and list(test["index"]) == split["test"]


def test_patients_never_cross_the_split(run):
    split = json.loads((run / "split.json").read_text())
    group = synthesize("lung", 24, seed=0, time=32, depth=16).group
    assert not set(group[split["train"]]) & set(group[split["test"]])


def test_same_seed_gives_the_same_weights(run, tmp_path):
    again = train_model(TrainConfig(out=str(tmp_path / "again"), **TINY))
    for a, b in zip(models.load(run).get_weights(), models.load(again).get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_predict_reuses_the_training_preprocessing(run, tmp_path):
    test = np.load(run / "test.npz")
    raw = synthesize("lung", 24, seed=0, time=32, depth=16)
    probs = predict(run, raw.x[test["index"]])
    expected = models.load(run).predict(test["x"], verbose=0)
    np.testing.assert_allclose(probs, expected, atol=1e-6)

    path = tmp_path / "rec.npz"
    rec = synthesize("lung", 6, seed=3, time=64, depth=24)   # longer and deeper: windowed, depth resampled
    save(rec, path)
    result = predict_file(run, path, tmp_path / "preds.json")
    written = json.loads((tmp_path / "preds.json").read_text())
    # randomised line rates: the file states none, so each 64-line example gives 32-line windows at 0, 16, 32
    assert len(written["predictions"]) == 18 and np.sum(written["confusion"]) == 18
    assert all(abs(sum(p["probabilities"]) - 1) < 1e-4 for p in written["predictions"])
    hits = [p["class"] == result["classes"][rec.y[p["example"]]] for p in written["predictions"]]
    assert result["accuracy"] == pytest.approx(np.mean(hits)) and result["accuracy"] == written["accuracy"]


def test_predict_classifies_an_unlabelled_user_array(run, tmp_path):
    path = tmp_path / "user.npy"
    np.save(path, np.random.default_rng(0).random((3, 40, 20), dtype=np.float32))  # not made by hwgen
    result = predict_file(run, path)
    # 40 lines, no line rate: taken as they are (said in a note); 32-line windows at lines 0 and 8
    assert len(result["examples"]) == 3 and len(result["predictions"]) == 6 and "accuracy" not in result
    assert [(p["example"], p["start_line"]) for p in result["predictions"][:2]] == [(0, 0.0), (0, 8.0)]
    assert any("no line rate" in n for n in result["notes"])
    assert {p["class"] for p in result["predictions"]} <= {"sliding", "absent", "lung_point"}


def test_an_old_synthetic_run_gets_its_task_line_rate(run, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(run, old)
    settings = json.loads((old / "preprocess.json").read_text())
    del settings["line_rate_hz"], settings["line_rate_range_hz"]   # as written before hwgen recorded them
    (old / "preprocess.json").write_text(json.dumps(settings))
    rec = synthesize("lung", 2, seed=4, time=64, depth=16)
    rec.meta["line_rate_hz"] = 32.0                  # a recording stating its rate: 2 s of 64 lines
    path = save(rec, tmp_path / "rec.npz")
    result = predict_file(old, path)
    assert len(result["predictions"]) == 2 and result["line_rate_hz"] == 16.0   # resampled to 32 lines: 1 window
    [note] = [n for n in result["notes"] if "records no line rate" in n]
    assert "using 16 lines/s, its synthetic task's rate" in note


def test_the_run_records_its_training_line_rates(run):
    """Randomised line rates: the run records the range of its training examples' rates (no single rate)."""
    split = json.loads((run / "split.json").read_text())
    params = synthesize("lung", 24, seed=0, time=32, depth=16).params
    rates = [params[i]["line_rate_hz"] for i in split["train"]]
    for name in ("preprocess.json", "config.json"):
        saved = json.loads((run / name).read_text())
        assert saved["line_rate_range_hz"] == [min(rates), max(rates)] and saved["line_rate_hz"] is None
    assert min(rates) < max(rates)


def test_a_recording_inside_the_trained_range_is_not_resampled_and_one_outside_is(run, tmp_path):
    lo, hi = json.loads((run / "preprocess.json").read_text())["line_rate_range_hz"]
    rec = synthesize("lung", 1, seed=5, time=96, depth=16)
    inside = save(type(rec)(rec.x, rec.y, rec.classes, rec.group, {**rec.meta, "line_rate_hz": (lo + hi) / 2}),
                  tmp_path / "inside.npz")
    fast = save(type(rec)(rec.x, rec.y, rec.classes, rec.group, {**rec.meta, "line_rate_hz": 2 * hi}),
                tmp_path / "fast.npz")
    kept, resampled = predict_file(run, inside), predict_file(run, fast)
    assert kept["line_rate_hz"] == (lo + hi) / 2 and any("not resampled" in n for n in kept["notes"])
    assert resampled["line_rate_hz"] == hi and len(resampled["predictions"]) < len(kept["predictions"])


def test_predict_rejects_a_file_of_another_task(run, tmp_path):
    path = tmp_path / "heart.npz"
    save(synthesize("cardiac", 4, seed=0, time=32, depth=16), path)
    with pytest.raises(DataError, match="heart.npz"):
        predict_file(run, path)
    with pytest.raises(HwgenError, match="not a hwgen run"):
        predict(tmp_path, np.zeros((1, 32, 16), np.float32))


def test_training_rejects_data_whose_classes_do_not_match_the_task(tmp_path):
    path = tmp_path / "heart.npz"
    save(synthesize("cardiac", 8, seed=0, time=32, depth=16), path)
    with pytest.raises(DataError, match="heart.npz"):
        train_model(TrainConfig(out=str(tmp_path / "r"), **{**TINY, "data": str(path)}))


def test_augmentation_off_and_class_resampling_are_recorded(tmp_path):
    run = train_model(TrainConfig(out=str(tmp_path / "plain"), **{**TINY, "augment": False, "balance": "resample"}))
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["augmentation"] == {"enabled": False}
    assert metrics["imbalance"]["method"] == "class-balanced resampling per epoch"
    assert metrics["imbalance"]["class_weight"] == {}
    with pytest.raises(HwgenError, match="--balance 'smote': expected one of weights, resample, none"):
        train_model(TrainConfig(out=str(tmp_path / "bad"), **{**TINY, "balance": "smote"}))


def test_metrics_on_a_hand_checked_example():
    m = classification_metrics([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ["a", "b", "c"])
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["per_class"]["a"]["sensitivity"] == pytest.approx(0.5)
    assert m["per_class"]["a"]["specificity"] == pytest.approx(3 / 4)  # one false positive among 4 negatives
    assert m["per_class"]["b"]["f1"] == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))


def test_cli_train_reports_a_bad_model_name_in_one_line(capsys, tmp_path):
    from hwgen.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--model", "resnet", "--n", "8", "--time", "32", "--depth", "16", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "available: cnn, dscnn" in capsys.readouterr().err


def test_an_old_run_without_calib_npz_rebuilds_its_split_from_the_source(run, tmp_path):
    """Runs from before calib.npz: the training examples are re-synthesised from split.json, exactly."""
    import shutil

    from hwgen.run import Run

    old = tmp_path / "old"
    shutil.copytree(run, old)
    (old / "calib.npz").unlink()
    x_test, y_test = Run(old).examples("test")
    saved = np.load(run / "test.npz")
    np.testing.assert_array_equal(x_test, saved["x"])
    np.testing.assert_array_equal(y_test, saved["y"])
    with pytest.warns(UserWarning, match="predates calib.npz"):
        calib = Run(old).calibration()
    assert np.abs(calib - Run(run).calibration()).max() <= 2.0**-16  # calib.npz holds them on a 16-bit grid
