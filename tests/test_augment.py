"""Training-time augmentation: deterministic per seed, label-preserving, spliced lung points show both patterns."""

import numpy as np
import pytest

from hwgen.data import preprocess, synthesize
from hwgen.data.augment import (
    AugmentConfig,
    augment_epoch,
    depth_rescale,
    frame_resample,
    policy,
    splice,
    time_crop,
)
from hwgen.data.lung import LUNG_POINT_MIN_FRACTION
from hwgen.data.measure import temporal_correlation

LUNG = ["sliding", "absent", "lung_point"]


@pytest.fixture(scope="module")
def lung():
    """Native v1 windows: the sand pattern is easy to measure, so a splice can be checked line by line."""
    ds = synthesize("lung", 24, seed=6, time=128, depth=48, family="v1")
    return ds, preprocess(ds.x, time=128, depth=48)


def test_same_seed_same_epoch_other_seed_differs(lung):
    ds, x = lung
    a = augment_epoch(x, ds.y, LUNG, np.random.default_rng([1, 0, 0]))
    b = augment_epoch(x, ds.y, LUNG, np.random.default_rng([1, 0, 0]))
    c = augment_epoch(x, ds.y, LUNG, np.random.default_rng([2, 0, 0]))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert a[0].shape == x.shape and a[0].dtype == np.float32 and 0 <= a[0].min() and a[0].max() <= 1


def test_labels_are_preserved_and_windows_change(lung):
    ds, x = lung
    out, y = augment_epoch(x, ds.y, LUNG, np.random.default_rng(3))
    assert np.array_equal(y, ds.y)
    changed = [not np.allclose(o, i) for o, i in zip(out, x, strict=True)]
    assert np.mean(changed) > 0.6
    assert policy(LUNG) == "lung" and policy(["normal", "brady", "tachy", "irregular"]) == "rhythm"


LAG = 16


def _sand_moves(img, row, lines):
    return temporal_correlation(img[lines], row, row + 8, LAG)


def test_a_spliced_lung_point_contains_both_patterns(lung):
    ds, x = lung
    slide = [i for i in np.flatnonzero(ds.y == 0) if not ds.params[i]["rib_shadow"]]
    still = [i for i in np.flatnonzero(ds.y == 1) if not ds.params[i]["rib_shadow"]]
    rng = np.random.default_rng(0)
    for _ in range(6):
        i, j = rng.choice(slide), rng.choice(still, 3, replace=False)
        window, mask = splice(x[i], x[j], rng)
        share = mask.mean()
        assert LUNG_POINT_MIN_FRACTION <= share <= 1 - LUNG_POINT_MIN_FRACTION
        row = int(np.ceil(ds.params[i]["pleura_depth_cm"] / ds.params[i]["depth_cm"] * 48)) + 2
        edge = np.convolve(np.abs(np.diff(mask, prepend=mask[0])), np.ones(9), mode="same") > 0
        moving = np.flatnonzero((mask > 0.5) & ~edge)           # lines away from a transition
        frozen = np.flatnonzero((mask < 0.5) & ~edge)
        # The sliding lines are the seashore window's own; the others a barcode aligned to it.
        np.testing.assert_allclose(window[moving], x[i][moving], atol=1e-5)
        assert _sand_moves(window, row, frozen) > 0.8
        assert _sand_moves(window, row, moving) < _sand_moves(window, row, frozen) - 0.15


def test_lung_points_keep_both_patterns_under_the_time_crop():
    cfg = AugmentConfig()
    rng = np.random.default_rng(0)
    mask = np.zeros((128, 4), np.float32)
    mask[:32] = 1                                                   # 25 % slides, at the start
    for _ in range(50):
        share = np.mean(time_crop(mask, rng, cfg.lung_point_crop)[:, 0] > 0.5)
        assert LUNG_POINT_MIN_FRACTION <= share <= 1 - LUNG_POINT_MIN_FRACTION


def test_depth_rescaling_moves_structures_like_another_depth_setting():
    img = np.zeros((8, 64), np.float32)
    img[:, 20] = 1.0                                                # a bright line at bin 20
    deeper_setting = depth_rescale(img, 0.5)                        # twice the depth: the line at bin ~10
    shallower = depth_rescale(img, 1.25)                            # the line at bin ~25
    assert deeper_setting.shape == img.shape == shallower.shape
    assert abs(int(np.argmax(deeper_setting[0])) - 10) <= 1
    assert abs(int(np.argmax(shallower[0])) - 25) <= 1


def test_frame_resampling_keeps_the_lines_it_samples():
    img = np.random.default_rng(1).random((128, 8)).astype(np.float32)
    out = frame_resample(img, 17)
    assert out.shape == img.shape
    np.testing.assert_allclose(out[[0, -1]], img[[0, -1]])           # the first and last frame are kept
    assert np.abs(np.diff(out, 2, axis=0)).mean() < 0.3 * np.abs(np.diff(img, 2, axis=0)).mean()   # ramps
