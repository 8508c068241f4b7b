"""Confidence intervals and calibration (hwgen.evidence)."""

import numpy as np
import pytest

from hwgen.evidence import bootstrap_intervals, calibration, plot_reliability
from hwgen.train import classification_metrics

CLASSES = ["a", "b", "c"]


def _predictions(n, accuracy, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    wrong = rng.uniform(size=n) > accuracy
    pred = np.where(wrong, (y + rng.integers(1, 3, n)) % 3, y)
    return y, pred


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_intervals_contain_the_point_estimate(seed):
    y, pred = _predictions(90, 0.8, seed)
    point = classification_metrics(y, pred, CLASSES)
    ci = bootstrap_intervals(y, pred, CLASSES, groups=np.arange(90) // 3)
    assert ci["accuracy"][0] <= point["accuracy"] <= ci["accuracy"][1]
    for c in CLASSES:
        for key in ("sensitivity", "specificity"):
            lo, hi = ci["per_class"][c][key]
            assert lo <= point["per_class"][c][key] <= hi
            assert 0 <= lo <= hi <= 1


def test_intervals_shrink_with_more_samples():
    widths = []
    for n in (60, 600, 6000):
        y, pred = _predictions(n, 0.85, 0)
        lo, hi = bootstrap_intervals(y, pred, CLASSES)["accuracy"]
        widths.append(hi - lo)
    assert widths[0] > 2 * widths[1] > 4 * widths[2] > 0


def test_patient_bootstrap_is_wider_when_a_patients_windows_agree():
    """Windows of one patient share their outcome: resampling patients, not windows, must widen the interval."""
    rng = np.random.default_rng(5)
    y = np.repeat(rng.integers(0, 3, 40), 4)
    right = np.repeat(rng.uniform(size=40) < 0.8, 4)
    pred = np.where(right, y, (y + 1) % 3)
    groups = np.repeat(np.arange(40), 4)
    windows = bootstrap_intervals(y, pred, CLASSES)["accuracy"]
    patients = bootstrap_intervals(y, pred, CLASSES, groups=groups)["accuracy"]
    assert patients[1] - patients[0] > 1.5 * (windows[1] - windows[0])


def test_same_inputs_same_interval_and_undefined_figures_are_none():
    y, pred = _predictions(50, 0.7, 3)
    assert bootstrap_intervals(y, pred, CLASSES) == bootstrap_intervals(y, pred, CLASSES)
    only_a = bootstrap_intervals(np.zeros(10, int), np.zeros(10, int), CLASSES)
    assert only_a["per_class"]["b"]["sensitivity"] is None          # no positives of class b
    assert only_a["accuracy"] == [1.0, 1.0]


def test_calibration_error_on_hand_checked_cases(tmp_path):
    y = np.array([0, 0, 1, 1])
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.05, 0.95], [0.95, 0.05]])   # 3 of 4 right at 0.95
    cal = calibration(probs, y, bins=10)
    assert cal["ece"] == pytest.approx(0.2, abs=1e-6)              # |0.95 - 0.75|
    assert sum(b["count"] for b in cal["bins"]) == 4
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, 20000)                            # right with probability = confidence
    y = (rng.uniform(size=20000) > conf).astype(int)
    calibrated = calibration(np.stack([conf, 1 - conf], 1), y)
    assert calibrated["ece"] < 0.02
    png = plot_reliability(cal, tmp_path / "rel.png", "test")
    assert png.stat().st_size > 1000
