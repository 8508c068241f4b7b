"""hwgen.data: the A-line physics, the tasks' clinical signs, determinism, splits and preprocessing."""

import numpy as np
import pytest

from hwgen.data import TASKS, class_weights, grouped_split, preprocess, synthesize
from hwgen.data import physics as ph
from hwgen.data.dataset import example_setting
from hwgen.data.lung import LUNG_POINT_MIN_FRACTION
from hwgen.data.measure import RAYLEIGH_MEAN_OVER_STD, heart_rate_bpm, speckle_ratio, temporal_correlation
from hwgen.errors import DataError


@pytest.fixture(scope="module")
def lung():
    """Randomised native M-modes (the anatomical regime has its own checks in test_randomise.py)."""
    return synthesize("lung", 36, seed=11, family={"anatomical_fraction": 0.0})


@pytest.fixture(scope="module")
def cardiac():
    return synthesize("cardiac", 32, seed=5, time=160)


# -- physics ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fc, ratio", [(3.5e6, 4), (7.5e6, 5)])
def test_fully_developed_speckle_is_rayleigh(fc, ratio):
    fs = ratio * fc
    rng = np.random.default_rng(0)
    scene = ph.scatterers(rng, (200, 3000), fc, fs)          # 10 scatterers per resolution cell
    env = ph.envelope(ph.echo_rf(scene, fc, fs))[:, 50:-50]
    assert abs(speckle_ratio(env) / RAYLEIGH_MEAN_OVER_STD - 1) < 0.10


def test_too_few_scatterers_is_not_rayleigh():
    fc, fs = 3.5e6, 14e6
    scene = ph.scatterers(np.random.default_rng(0), (200, 3000), fc, fs, per_cell=0.3)
    env = ph.envelope(ph.echo_rf(scene, fc, fs))[:, 50:-50]
    assert speckle_ratio(env) < 0.85 * RAYLEIGH_MEAN_OVER_STD   # the check above can fail


def test_hilbert_envelope_recovers_the_pulse_envelope():
    fc, fs = 5e6, 40e6
    t = (np.arange(2048) - 1024) / fs
    sigma = ph.envelope_sigma_s(fc)
    gauss = np.exp(-0.5 * (t / sigma) ** 2)
    env = ph.envelope((gauss * np.cos(2 * np.pi * fc * t))[None])[0]
    assert np.max(np.abs(env - gauss)) < 0.01


def test_pulse_has_the_requested_bandwidth():
    fc, fs = 3.5e6, 4 * 3.5e6
    pulse = ph.gaussian_pulse(fc, fs)
    spec = np.abs(np.fft.rfft(pulse, 1 << 16))
    freqs = np.fft.rfftfreq(1 << 16, 1 / fs)
    band = freqs[spec >= spec.max() / 2]
    assert abs((band.max() - band.min()) / fc - ph.FRACTIONAL_BANDWIDTH) < 0.02
    assert abs(freqs[np.argmax(spec)] / fc - 1) < 0.05


def test_point_echo_lands_at_its_depth():
    fc, fs = 3.5e6, 14e6
    scene = ph.point_reflectors(1, 1000, np.array([[400.3]]), np.array([[1.0]]), fc, fs)
    env = ph.envelope(ph.echo_rf(scene, fc, fs))[0]
    assert abs(int(np.argmax(env)) - 400) <= 1


def test_tgc_undoes_soft_tissue_attenuation():
    fc, fs = 3.5e6, 14e6
    alpha = np.full(1000, ph.TGC_DB_CM_MHZ)
    total = ph.attenuation_gain(alpha, fc, fs) * ph.tgc_gain(1000, fc, fs)
    assert np.allclose(total, 1.0, atol=0.05)
    assert ph.attenuation_gain(np.full(1000, 1.0), fc, fs)[-1] < 0.05    # 1 dB/cm/MHz over 5.5 cm: > 26 dB


def test_log_compression_maps_dynamic_range_to_unit_interval():
    env = np.array([1.0, 0.1, 1e-3, 1e-9, 2.0])
    out = ph.log_compress(env, 1.0, 40.0)
    assert np.allclose(out, [1.0, 0.5, 0.0, 0.0, 1.0])


# -- data sets ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("task, time", [("lung", 48), ("cardiac", 48), ("aline", None)])
def test_layout_meta_and_params(task, time):
    ds = synthesize(task, 9, seed=1, time=time, depth=32)
    spec = TASKS[task]
    t = time or spec.time
    assert ds.x.shape == (9, t, 32) and ds.x.dtype == np.float32
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    assert ds.y.dtype == np.int64 and ds.group.dtype == np.int64
    assert ds.classes == spec.classes
    assert np.bincount(ds.y, minlength=len(spec.classes)).min() >= 9 // len(spec.classes)  # balanced
    for key in ("generator_version", "seed", "task", "line_rate_hz", "depth_cm", "fc_hz", "fs_hz", "dynamic_range_db",
                "family", "settings"):
        assert key in ds.meta
    for key in ("depth_cm", "fc_hz", "dynamic_range_db"):   # per example, from params or meta
        assert all(example_setting(ds, i, key) for i in range(len(ds)))
    assert len(ds.params) == 9 and all("gain_db" in p for p in ds.params)
    assert np.ptp([p["gain_db"] for p in ds.params]) > 1.0                 # nuisance really varies


def test_required_params_per_task(lung, cardiac):
    assert all(0.4 < p["pleura_depth_cm"] < 0.75 * p["depth_cm"] for p in lung.params)
    assert all(30 < p["heart_rate_bpm"] < 200 for p in cardiac.params)


def test_same_seed_same_arrays_other_seed_differs():
    a = synthesize("lung", 6, seed=3, time=32)
    b = synthesize("lung", 6, seed=3, time=32)
    c = synthesize("lung", 6, seed=4, time=32)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y) and a.params == b.params
    assert not np.array_equal(a.x, c.x)


def test_unknown_task_and_bad_sizes():
    with pytest.raises(DataError, match="unknown task 'kidney'"):
        synthesize("kidney", 4)
    with pytest.raises(DataError, match="time >= 16"):
        synthesize("lung", 4, time=4)


def _pleura_row(ds, i):
    return ds.params[i]["pleura_depth_cm"] / example_setting(ds, i, "depth_cm") * ds.x.shape[2]


def _below_pleura_correlation(ds, i, lag_s=0.25):
    """Slow-time correlation of the sand just below the pleural line (and below a thick pleura)."""
    bins = ds.x.shape[2]
    p = ds.params[i]
    top = int(np.ceil(_pleura_row(ds, i) + p.get("pleura_mm", 0) / 10 / p["depth_cm"] * bins)) + 1
    return temporal_correlation(ds.x[i], top, top + bins // 6, int(lag_s * example_setting(ds, i, "line_rate_hz")))


def _by_class(ds):
    return {c: np.array([_below_pleura_correlation(ds, i) for i in np.flatnonzero(ds.y == k)
                         if not ds.params[i]["rib_shadow"]]) for k, c in enumerate(ds.classes)}


def test_seashore_decorrelates_barcode_does_not(lung):
    """Across the randomised settings: the sand below a sliding pleura changes over slow time, a
    barcode's does not (motion-compensated correlation at 0.25 s; rib shadows left out)."""
    corr = _by_class(lung)
    auc = np.mean(corr["sliding"][:, None] < corr["absent"][None, :])
    assert auc > 0.95
    assert np.median(corr["absent"]) - np.median(corr["sliding"]) > 0.3
    assert np.median(corr["sliding"]) < np.median(corr["lung_point"]) < np.median(corr["absent"])


def test_seashore_and_barcode_separate_on_every_v1_example():
    """Generator 1.0's narrow settings: every example on the right side (the check before randomisation)."""
    corr = _by_class(synthesize("lung", 36, seed=11, family="v1"))
    assert max(corr["sliding"]) < min(corr["absent"])
    assert np.median(corr["sliding"]) < np.median(corr["lung_point"]) < np.median(corr["absent"])


def test_chest_wall_is_static_in_every_class(lung):
    # Above the pleura the pattern is stratified and still, whatever the lung does.
    vals = []
    for i in range(len(lung)):
        if lung.params[i]["rib_shadow"]:
            continue
        top = int(_pleura_row(lung, i))
        vals.append(temporal_correlation(lung.x[i], 1, max(top - 1, 3), int(0.25 * lung.params[i]["line_rate_hz"])))
    assert np.median(vals) > 0.9


@pytest.mark.parametrize("family", [None, "held_lung_point_segments", "anatomical", "v1"])
def test_lung_point_definition_holds_on_every_example(family):
    """A lung point shows both patterns, each over >= LUNG_POINT_MIN_FRACTION of the window; sliding and
    absent windows show one pattern throughout."""
    ds = synthesize("lung", 30, seed=21, time=64, depth=32, family=family)
    for p, k in zip(ds.params, ds.y, strict=True):
        name = ds.classes[k]
        if name == "lung_point":
            assert LUNG_POINT_MIN_FRACTION <= p["sliding_fraction"] <= 1 - LUNG_POINT_MIN_FRACTION
            assert p["transitions"] >= 1 and p["lung_point_kind"] in ("breath", "segments")
        else:
            assert p["sliding_fraction"] == (1.0 if name == "sliding" else 0.0) and p["transitions"] == 0


def test_heart_rate_recoverable_by_autocorrelation(cardiac):
    regular = [i for i in range(len(cardiac)) if cardiac.classes[cardiac.y[i]] != "irregular"]
    assert len(regular) >= 20
    errors = [heart_rate_bpm(cardiac.x[i], cardiac.meta["line_rate_hz"]) / cardiac.params[i]["heart_rate_bpm"] - 1
              for i in regular]
    assert np.max(np.abs(errors)) < 0.05


def test_rhythm_classes_match_their_definitions(cardiac):
    for p, k in zip(cardiac.params, cardiac.y, strict=True):
        name = cardiac.classes[k]
        hr = p["heart_rate_bpm"]
        if name == "brady":
            assert hr < 60
        elif name == "tachy":
            assert hr > 100
        elif name == "normal":
            assert 60 <= hr <= 100
        if name == "irregular":
            assert p["rr_variation"] > 0.15           # mean beat-to-beat difference > 15 % of the period
        else:
            assert p["rr_variation"] < 0.06
        assert p["beats_shown"] >= 3                  # at least three beats of the slowest rhythm


def test_aline_classes_show_their_signs():
    """Across the randomised settings (gain, dynamic range, TGC, depth, fc)."""
    ds = synthesize("aline", 60, seed=2)
    bins = ds.x.shape[2]
    tail = {}
    for k, name in enumerate(ds.classes):
        vals = []
        for i in np.flatnonzero(ds.y == k):
            p = ds.params[i]
            if name == "bone":   # acoustic shadow: dark below the bright cortex
                b = int(p["bone_depth_cm"] / p["depth_cm"] * bins)
                vals.append(ds.x[i, 0, b + 2:b + 8].mean() < ds.x[i, 0, max(b - 6, 0):b - 1].mean() - 0.1)
            elif name == "fluid":  # anechoic pocket
                top = int(np.ceil(p["fluid_top_cm"] / p["depth_cm"] * bins)) + 1
                bot = int(np.floor((p["fluid_top_cm"] + p["fluid_cm"]) / p["depth_cm"] * bins)) - 1
                above = ds.x[i, 0, max(top - 8, 0):max(top - 2, 1)]
                if bot > top and bot < bins:      # anechoic: darker than the tissue above it
                    vals.append(np.median(ds.x[i, 0, top:bot]) < np.median(above) - 0.15)
        tail[name] = vals
    assert np.mean(tail["bone"]) > 0.9 and np.mean(tail["fluid"]) > 0.9


# -- splits, weights, preprocessing ---------------------------------------------------------------------

def test_grouped_split_keeps_patients_together():
    group = np.repeat(np.arange(50), 4)
    parts = grouped_split(group, (0.7, 0.15, 0.15), seed=3)
    assert sum(len(p) for p in parts) == len(group)
    assert len(np.unique(np.concatenate(parts))) == len(group)
    sets = [set(group[p]) for p in parts]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert abs(len(parts[0]) / len(group) - 0.7) < 0.05 and len(parts[2]) > 0
    again = grouped_split(group, (0.7, 0.15, 0.15), seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))


def test_class_weights_balance_the_loss():
    y = np.array([0] * 70 + [1] * 20 + [2] * 10)
    w = class_weights(y, 4)
    per_class = [w[c] * np.sum(y == c) for c in range(3)]
    assert np.allclose(per_class, per_class[0]) and w[3] == 0.0


def test_preprocess_resizes_depth_and_scales():
    x = np.random.default_rng(0).random((3, 300, 100)).astype(np.float32) * 0.5 + 0.2
    out = preprocess(x, time=300, depth=64)
    assert out.shape == (3, 300, 64) and out.dtype == np.float32
    assert out.min() == 0.0 and out.max() == 1.0
    assert preprocess(x[0], time=300, depth=32, clahe=True).shape == (1, 300, 32)
    env = np.random.default_rng(1).rayleigh(1.0, (2, 64, 64))
    logged = preprocess(env, time=64, depth=64, log_db=40.0, normalise="none")
    assert logged.max() == 1.0 and 0.0 <= logged.min()
    with pytest.raises(DataError, match="300 lines"):               # never cropped: see hwgen.data.recording
        preprocess(x, time=100, depth=64)
    with pytest.raises(DataError, match="expected"):
        preprocess(np.zeros(5), time=4, depth=4)
    with pytest.raises(DataError, match="NaN"):
        preprocess(np.full((2, 4, 4), np.nan), time=4, depth=4)
