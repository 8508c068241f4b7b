"""Domain randomisation: settings stay in their documented ranges, families override them, the physics
checks hold across them, the anatomical M-mode regime, and the physics faults issue 14 found."""

import re
from pathlib import Path

import numpy as np
import pytest

from hwgen.data import physics as ph
from hwgen.data import synthesize
from hwgen.data.anatomical import to_window, video_codec
from hwgen.data.cardiac import cardiac_cycle
from hwgen.data.measure import heart_rate_bpm, temporal_correlation
from hwgen.data.randomise import ANATOMICAL, SETTINGS, Profile, family_names
from hwgen.errors import DataError

README = Path(__file__).resolve().parents[1] / "README.md"
# params key -> setting name, scale (params unit per setting unit)
LUNG_PARAMS = {"fc_hz": ("fc_mhz", 1e6), "bandwidth": ("bandwidth", 1), "dynamic_range_db": ("dynamic_range_db", 1),
               "tgc_db_cm_mhz": ("tgc_db_cm_mhz", 1), "gain_db": ("gain_db", 1), "noise_db": ("noise_db", 1),
               "pleura_mm": ("pleura_mm", 1), "aline_count": ("aline_count", 1), "sand_db": ("sand_db", 1),
               "sand_grain": ("sand_grain", 1), "jitter_mm": ("jitter_mm", 1),
               "breath_motion_mm": ("breath_motion_mm", 1)}
BMODE_PARAMS = ("frame_rate_hz", "clip_s", "px_per_cm", "scan_angle_deg", "bmode_blur_px", "persistence",
                "grey_gamma", "codec_step", "codec_skip", "codec_gop")


@pytest.fixture(scope="module")
def lung():
    return synthesize("lung", 45, seed=4, time=96, depth=48)


def _inside(value, lo, hi):
    return lo - 1e-3 * max(1, abs(lo)) <= value <= hi + 1e-3 * max(1, abs(hi))


def test_lung_settings_stay_inside_their_documented_ranges(lung):
    ranges = Profile("lung").ranges
    regimes = {p["regime"] for p in lung.params}
    assert regimes == {"native", "anatomical"}                      # the default mixes both
    for p in lung.params:
        anatomical = p["regime"] == "anatomical"
        for key, (name, scale) in LUNG_PARAMS.items():
            lo, hi = ranges[("bmode_" if anatomical and "bmode_" + name in ranges else "") + name]
            assert _inside(p[key] / scale, lo, hi), (key, p[key])
        assert p["fc_hz"] / 1e6 * p["depth_cm"] * (1 if not anatomical else np.cos(np.radians(p["scan_angle_deg"]))) \
            <= ranges["fc_depth_max"][0] * 1.001 or p["fc_hz"] / 1e6 <= ranges["fc_mhz"][0] * 1.001
        if anatomical:
            for key in BMODE_PARAMS:
                assert _inside(p[key], *ranges["bmode_" + key]), (key, p[key])
        else:
            assert _inside(p["depth_cm"], *ranges["depth_cm"]) and _inside(p["line_rate_hz"], *ranges["line_rate_hz"])


@pytest.mark.parametrize("task", ["cardiac", "aline"])
def test_other_tasks_draw_their_imaging_settings_inside_the_ranges(task):
    ds = synthesize(task, 12, seed=2, time=64 if task == "cardiac" else None, depth=32)
    ranges = Profile(task).ranges
    for p in ds.params:
        assert _inside(p["depth_cm"], *ranges["depth_cm"]) and _inside(p["fc_hz"] / 1e6, *ranges["fc_mhz"])
        for key in ("bandwidth", "dynamic_range_db", "tgc_db_cm_mhz", "gain_db", "noise_db"):
            assert _inside(p[key], *ranges[key]), (key, p[key])
    assert np.ptp([p["depth_cm"] for p in ds.params]) > 1.0      # really randomised


def test_families_override_ranges_and_bad_names_are_refused():
    ds = synthesize("lung", 9, seed=1, time=64, depth=32, family="held_depth_deep")
    assert all(7.0 <= p["depth_cm"] <= 8.0 and p["regime"] == "native" for p in ds.params)
    v1 = synthesize("lung", 6, seed=1, time=64, depth=32, family="v1")
    assert v1.meta["depth_cm"] == 6.0 and v1.meta["family"] == "v1"
    assert all(p["line_rate_hz"] == 128.0 for p in v1.params)
    custom = synthesize("lung", 6, seed=1, time=64, depth=32, family={"dynamic_range_db": 45.0, "anatomical_fraction": 1})
    assert all(p["dynamic_range_db"] == 45.0 and p["regime"] == "anatomical" for p in custom.params)
    assert "held_lung_point_segments" in family_names("lung")
    with pytest.raises(DataError, match="unknown setting 'depth'"):
        Profile("lung", {"depth": 5})
    with pytest.raises(DataError, match="unknown family"):
        Profile("cardiac", "held_depth_deep")
    with pytest.raises(DataError, match="not in"):
        Profile("lung", {"lung_point_kind": "sideways"})


def test_readme_documents_every_setting_with_its_range():
    """The README's randomisation tables are the ranges in hwgen.data.randomise (one place to change)."""
    text = README.read_text()
    for task, table in SETTINGS.items():
        for name, s in table.items():
            if s.choices:
                continue
            row = re.search(rf"^\| {task} \| `{name}` \| ([^|]+) \|", text, re.M)
            assert row, f"README: no row for {task} {name}"
            assert row.group(1).strip() == _range_text(s), (task, name, row.group(1))
    for name, s in ANATOMICAL.items():
        row = re.search(rf"^\| anatomical \| `{name}` \| ([^|]+) \|", text, re.M)
        assert row and row.group(1).strip() == _range_text(s), name


def _range_text(s):
    from hwgen.data.randomise import range_text

    return range_text(s)


def test_physics_checks_hold_across_randomised_lung_settings():
    """Barcode frozen, seashore moving, chest wall still: on native windows across the randomisation."""
    ds = synthesize("lung", 45, seed=8, family={"anatomical_fraction": 0.0})
    bins = ds.x.shape[2]
    below, wall = {c: [] for c in ds.classes}, []
    for i, p in enumerate(ds.params):
        if p["rib_shadow"]:
            continue
        row = (p["pleura_depth_cm"] + p["pleura_mm"] / 10) / p["depth_cm"] * bins
        lag = int(0.25 * p["line_rate_hz"])
        below[ds.classes[ds.y[i]]].append(temporal_correlation(ds.x[i], int(np.ceil(row)) + 1,
                                                               int(np.ceil(row)) + 1 + bins // 6, lag))
        top = int(p["pleura_depth_cm"] / p["depth_cm"] * bins)
        if top > 5:
            wall.append(temporal_correlation(ds.x[i], 1, top - 1, lag))
    assert np.median(below["absent"]) > 0.8 > 0.4 > np.median(below["sliding"])
    assert np.median(wall) > 0.85


def test_anatomical_windows_show_their_signs():
    """From a simulated B-mode cine: healthy sand still changes between frames, a barcode does not."""
    ds = synthesize("lung", 30, seed=3, family="anatomical")
    bins = ds.x.shape[2]
    corr = {c: [] for c in ds.classes}
    for i, p in enumerate(ds.params):
        assert p["regime"] == "anatomical" and p["frames"] == max(16, round(p["frame_rate_hz"] * p["clip_s"]))
        row = int(np.ceil((p["pleura_depth_cm"] + p["pleura_mm"] / 10) / p["depth_cm"] * bins)) + 1
        lag = max(1, int(round(ds.x.shape[1] / p["frames"] * 2)))          # two frames apart
        if not p["rib_shadow"]:
            corr[ds.classes[ds.y[i]]].append(temporal_correlation(ds.x[i], row, row + bins // 6, lag))
    assert np.median(corr["absent"]) - np.median(corr["sliding"]) > 0.3


def test_video_codec_blocks_and_skips():
    frames = np.full((6, 32), 128.0)
    frames[3:] += 1.0                                           # a change below the skip threshold
    frames[5, 8:16] += 60.0                                     # and one block that changes a lot
    out = video_codec(frames, step=8, skip=2, gop=10)
    assert np.array_equal(out[3], out[2]) and np.array_equal(out[4], out[0])   # P-frame blocks not updated
    assert np.abs(out[5, 8:16] - frames[5, 8:16]).max() < 8 and np.array_equal(out[5, :8], out[4, :8])
    ramp = np.tile(np.linspace(0, 255, 32), (2, 1))
    assert np.abs(video_codec(ramp, 8, 2, 10)[0] - ramp[0]).max() < 8 * 3    # I-frame within the steps
    assert np.array_equal(video_codec(frames, 8, 2, 10), out)  # deterministic
    window = to_window(np.random.default_rng(0).random((20, 150)), 64, 32)
    assert window.shape == (64, 32) and 0 <= window.min() and window.max() <= 1


# -- the physics faults of issue 14 -------------------------------------------------------------------

def test_no_bright_band_at_the_bottom_of_the_image():
    """The FFT Hilbert transform no longer wraps the bright near field into the deepest samples."""
    fc, fs, n = 5e6, 20e6, 1559
    scene = np.zeros((1, n), np.complex64)
    scene[0, 5] = 100.0                                        # a strong echo at the skin
    env = ph.envelope(ph.echo_rf(scene, fc, fs))[0]
    assert 20 * np.log10(env[-200:].max() / env.max()) < -100
    ds = synthesize("aline", 60, seed=2)
    bone = ds.x[ds.y == ds.classes.index("bone"), 0]           # under the shadow: only noise x TGC
    assert bone[:, -4:].mean() - bone[:, -12:-8].mean() < 0.05
    lung = synthesize("lung", 12, seed=2, time=64, depth=64, family={"anatomical_fraction": 0.0})
    profile = lung.x.mean(axis=(0, 1))
    assert profile[-4:].mean() <= profile[-16:-8].mean() + 0.03


def test_tgc_stops_at_the_receivers_depth_gain_range():
    gain = 20 * np.log10(ph.tgc_gain(8000, 8e6, 32e6, 0.7))
    assert gain[-1] == pytest.approx(ph.TGC_MAX_DB, abs=0.01) and np.all(np.diff(gain) >= 0)


def _peaks(x):
    return np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:]) & (x[1:-1] > 0.1)) + 1


def test_cardiac_cycle_has_filling_waves_and_smooth_walls():
    t = np.arange(0, 6, 0.005)
    onsets = np.arange(-2, 8, 1.0)                              # 60 bpm sinus rhythm
    d, m = cardiac_cycle(t, onsets)
    beat = (t >= 1) & (t < 2)
    assert len(_peaks(m[beat])) == 2                           # mitral E and A waves
    e, a = m[beat][_peaks(m[beat])]
    assert e > a > 0.3
    assert len(_peaks(cardiac_cycle(t, onsets, atrial_kick=False)[1][beat])) == 1   # AF: no A wave
    # Not a triangle wave: a plateau near end-systole and a slow diastasis, no corners.
    assert np.mean(d[beat] > 0.9 * d[beat].max()) > 0.1
    slope = np.diff(d) / 0.005
    assert np.abs(np.diff(slope)).max() * 0.005 < 0.5 * np.abs(slope).max() * 0.005 + 1e-9


def test_cardiac_mmode_keeps_its_rhythm_checks():
    ds = synthesize("cardiac", 16, seed=9, time=128, depth=48)
    for p, k in zip(ds.params, ds.y, strict=True):
        if ds.classes[k] != "irregular":
            err = heart_rate_bpm(ds.x[list(ds.params).index(p)], ds.meta["line_rate_hz"]) / p["heart_rate_bpm"] - 1
            assert abs(err) < 0.05
        else:
            assert p["rr_variation"] > 0.15


def test_cli_synth_takes_a_family_and_refuses_an_unknown_one(tmp_path, capsys):
    from hwgen.cli import main
    from hwgen.data import load

    with pytest.raises(SystemExit) as done:
        main(["data", "synth", "--task", "lung", "--n", "3", "--time", "32", "--depth", "16", "--family", "v1",
              "--out", str(tmp_path / "v1.npz")])
    assert done.value.code == 0
    assert load(tmp_path / "v1.npz").meta["family"] == "v1"
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "synth", "--family", "held_nothing", "--out", str(tmp_path / "x.npz")])
    assert exit_info.value.code == 2 and "unknown family 'held_nothing'" in capsys.readouterr().err
