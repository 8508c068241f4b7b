"""bench/shift.py's target check: which families count as held out, and what is checked on each."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "shift.py"


@pytest.fixture(scope="module")
def shift():
    spec = importlib.util.spec_from_file_location("bench_shift", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _summary(families, accuracy=0.95, lung_point=0.9, sliding=0.95):
    row = {"accuracy": accuracy, "sensitivity": {"sliding": sliding, "absent": 0.9, "lung_point": lung_point}}
    return {"shiftcnn": {f: row for f in ["iid", *families]}}


def test_anatomical_is_held_out_only_for_a_recipe_that_does_not_train_on_it(shift):
    families = list(shift.FAMILIES)
    assert "anatomical" in shift.held_out("v1", families)
    assert "anatomical" not in shift.held_out("default", families)
    assert all(f in shift.held_out("default", families) for f in families if f.startswith("held_"))


def test_every_held_out_family_is_checked_and_one_miss_fails_the_target(shift):
    families = list(shift.FAMILIES)
    summary = _summary(families)
    assert shift.goal(summary, families, "default")["met"]
    summary["shiftcnn"]["held_fc_high"] = {**summary["shiftcnn"]["held_fc_high"], "accuracy": 0.899}
    result = shift.goal(summary, families, "default")
    assert not result["met"]
    assert [c for c, ok in result["checks"].items() if not ok] == ["held_fc_high accuracy >= 0.9"]


def test_healthy_anatomical_windows_are_checked_even_when_anatomical_is_trained_on(shift):
    families = list(shift.FAMILIES)
    result = shift.goal(_summary(families, sliding=0.85), families, "default")
    assert not result["met"]
    assert result["checks"]["anatomical sliding called sliding >= 0.9"] is False
    assert "anatomical accuracy >= 0.9" not in result["checks"]


def test_a_widened_training_range_stops_the_families_it_touches_being_held_out(shift):
    families = list(shift.FAMILIES)
    ranges = shift.parse_train_ranges(["dynamic_range_db=35,70"])
    assert ranges == {"dynamic_range_db": (35.0, 70.0)}
    held = shift.held_out("default", families, ranges)
    assert "held_dynamic_range" not in held and "held_depth_deep" in held
    family = shift.training_family("default", ranges)
    assert family["dynamic_range_db"] == (35.0, 70.0) and family["depth_cm"] == (3.5, 7.0)


@pytest.mark.parametrize("item", ["dynamic_range_db=35", "no_such_setting=1,2", "dynamic_range_db=70,35"])
def test_a_bad_training_range_is_one_line_naming_it(shift, item):
    with pytest.raises(SystemExit, match="--train-range"):
        shift.parse_train_ranges([item])


def _saved(tmp_path, name, seed, accuracy, **settings):
    classes = ["sliding", "absent", "lung_point"]
    metrics = {"accuracy": accuracy, "classes": classes, "n": 3, "confusion": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
               "per_class": {c: {"sensitivity": 0.9, "specificity": 0.9} for c in classes}}
    run = {"model": "shiftcnn", "seed": seed, "families": {"iid": metrics, "held_fc_high": metrics}}
    base = {"recipe": "default", "families": "held_fc_high", "n_train": 1800, "n_test": 200, "float_epochs": 60,
            "epochs": 20, "width": 1.0, "train_range": [], "bits": 8, "seeds": str(seed)}
    path = tmp_path / name
    path.write_text(json.dumps({"settings": base | settings, "summary": {}, "runs": [run]}))
    return path


def test_results_of_other_seeds_are_pooled_and_other_settings_refused(shift, tmp_path, capsys):
    a, b = _saved(tmp_path, "a.json", 0, 0.88), _saved(tmp_path, "b.json", 1, 0.94)
    shift.show_saved([a, b])
    assert "0.910" in capsys.readouterr().out   # the mean of both seeds' runs
    c = _saved(tmp_path, "c.json", 2, 0.9, width=1.5)
    with pytest.raises(SystemExit, match="settings differ .* width"):
        shift.show_saved([a, c])


def test_a_mean_of_seeds_exactly_at_the_target_meets_it(shift):
    per_seed = [175 / 200, 183 / 200, 168 / 200, 188 / 200, 188 / 200, 178 / 200]   # 1,080 of 1,200
    mean = sum(per_seed) / len(per_seed)
    assert mean < 0.9                                  # the float mean falls a hair short
    families = list(shift.FAMILIES)
    summary = _summary(families)
    summary["shiftcnn"]["held_dynamic_range"] = {**summary["shiftcnn"]["held_dynamic_range"], "accuracy": mean}
    assert shift.goal(summary, families, "default")["met"]
    summary["shiftcnn"]["held_dynamic_range"]["accuracy"] = 1079 / 1200
    assert not shift.goal(summary, families, "default")["met"]
