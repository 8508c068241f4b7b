"""Domain randomisation: the documented ranges every synthetic example draws its settings from.

A model trained on one simulator's look fails on another's (issue 14: 0.35-0.55 accuracy on an
independent simulator, sliding lungs called `absent` on real clips). So every example draws its
imaging settings (depth setting, line rate, centre frequency and bandwidth, dynamic range, TGC, gain,
receiver noise) and the look of the scene (pleura brightness and thickness, A-line reverberations,
the sub-pleural sand's brightness, grain and decorrelation rate, rib shadows, probe motion) from wide
ranges, written down once here (`SETTINGS`) and printed in the README.

A **profile** is a resolved set of ranges: the task's defaults with a family's overrides applied.
Named families (`FAMILIES`) are what `hwgen data synth --family` and bench/shift.py use: `default`
(the documented ranges), `v1` (the narrow ranges of generator 1.0, before randomisation: the "before"
of the shift benchmark) and held-out slices (deeper or shallower depth settings, another dynamic
range, another centre frequency, deep pleurae, another lung-point construction, anatomical M-mode).
Overrides may leave the documented ranges on purpose (a held-out family); `draw` never leaves the
profile's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.errors import DataError


@dataclass(frozen=True)
class Setting:
    """A randomised setting: uniform in [lo, hi] (log-uniform if log), or one of `choices`."""
    lo: float | None
    hi: float | None
    unit: str
    what: str
    level: str = "example"        # "patient": shared by the examples of one simulated patient
    log: bool = False
    integer: bool = False
    choices: tuple = ()


# -- lung (eFAST) -------------------------------------------------------------------------------------

LUNG = {
    # acquisition (the scanner)
    "depth_cm": Setting(3.0, 8.0, "cm", "depth setting (displayed depth, 64 bins)"),
    "line_rate_hz": Setting(100, 250, "lines/s", "M-mode line rate (a 256-line window spans 1.0-2.6 s)", log=True),
    "fc_mhz": Setting(2.5, 8.0, "MHz", "centre frequency (convex 2.5-5, linear 5-8); capped at "
                      "fc_depth_max / depth", log=True),
    "fc_depth_max": Setting(36.0, 36.0, "MHz cm", "cap on fc x depth (deep presets use low frequencies)"),
    "bandwidth": Setting(0.5, 1.0, "fraction of fc", "-6 dB pulse bandwidth (speckle grain along depth)"),
    "dynamic_range_db": Setting(40, 70, "dB", "display dynamic range"),
    "tgc_db_cm_mhz": Setting(0.3, 0.7, "dB/cm/MHz", "TGC slope (0.5 undoes average soft tissue)"),
    "gain_db": Setting(-8, 10, "dB", "receive gain"),
    "noise_db": Setting(-80, -50, "dB re speckle", "receiver noise RMS before TGC"),
    # anatomy and physiology (per patient; each example varies the depths by +-10 %)
    "pleura_depth_cm": Setting(0.5, 3.0, "cm", "skin to pleural line", level="patient"),
    "fat_fraction": Setting(0.15, 0.6, "", "subcutaneous fat share of the chest wall", level="patient"),
    "breath_rate_per_min": Setting(10, 26, "/min", "breathing rate", level="patient"),
    "heart_rate_bpm": Setting(55, 115, "bpm", "heart rate (lung pulse)", level="patient"),
    # what the scene looks like
    "fascia_db": Setting(2, 12, "dB re speckle", "chest-wall fascia echoes"),
    "pleura_db": Setting(12, 34, "dB re speckle", "pleural line brightness"),
    "pleura_mm": Setting(0.0, 1.5, "mm", "pleural line thickness (0 = one specular echo)"),
    "aline_count": Setting(0, 5, "", "A-line reverberations drawn", integer=True),
    "aline_step_db": Setting(-14, -3, "dB/bounce", "A-line loss per reverberation"),
    "aline_absent_boost_db": Setting(0, 6, "dB/bounce", "stronger A-lines where the lung does not slide"),
    "sand_db": Setting(-5, 8, "dB re speckle", "sub-pleural sand brightness"),
    "sand_decay_cm": Setting(2, 6, "cm", "depth over which the sand fades (1/e)"),
    "sand_grain": Setting(1.0, 3.0, "resolution cells", "axial grain of the sand"),
    "sand_rate_per_s": Setting(10, 50, "/s", "sand decorrelations per second while sliding", log=True),
    "lung_pulse_mm": Setting(0.03, 0.12, "mm", "heart-beat shake of the sliding lung"),
    "rib_shadow_prob": Setting(0.2, 0.2, "", "chance of a rib shadow in a window"),
    "rib_shadow_db": Setting(10, 25, "dB", "loss under a rib shadow"),
    "jitter_mm": Setting(0.02, 0.2, "mm", "hand-held probe jitter (RMS)"),
    "breath_motion_mm": Setting(0.0, 0.6, "mm", "axial chest-wall motion with breathing"),
    # labels
    "lung_point_sliding": Setting(0.25, 0.75, "fraction", "share of a lung-point window that slides"),
    "lung_point_kind": Setting(None, None, "", "lung-point construction: breath (the lung slides in "
                               "on inspiration) or segments (1-3 abrupt transitions, either order)",
                               choices=("breath", "segments")),
    # regime
    "anatomical_fraction": Setting(0.35, 0.35, "", "share of windows rendered as anatomical M-mode "
                                   "from a B-mode cine (hwgen.data.anatomical)"),
}

# The anatomical M-mode regime: what a user gets from a B-mode clip (hwgen.data.anatomical).
ANATOMICAL = {
    "frame_rate_hz": Setting(10, 30, "frames/s", "B-mode frame rate", log=True),
    "clip_s": Setting(2, 10, "s", "clip length (resampled to the window's lines)"),
    "px_per_cm": Setting(20, 60, "px/cm", "B-mode pixels per cm along the scan line"),
    "scan_angle_deg": Setting(0, 25, "deg", "scan line tilt from the beam axis"),
    "bmode_blur_px": Setting(0.3, 1.5, "px", "scan conversion / speckle-reduction blur (sigma)"),
    "persistence": Setting(0.0, 0.4, "", "B-mode frame averaging (recursive weight of the past)"),
    "grey_gamma": Setting(0.7, 1.4, "", "grey map gamma"),
    "codec_step": Setting(2, 12, "grey levels", "video codec DCT quantiser step (8-px blocks)"),
    "codec_skip": Setting(0.5, 2.5, "grey levels", "P-frame blocks that change less than this are not updated"),
    "codec_gop": Setting(8, 30, "frames", "I-frame interval", integer=True),
    "pleura_db": Setting(4, 26, "dB re speckle", "pleural line (may be dimmer than the fascia)"),
    "fascia_db": Setting(6, 18, "dB re speckle", "chest-wall fascia echoes"),
    "jitter_mm": Setting(0.05, 0.3, "mm", "hand-held probe jitter (RMS)"),
    "breath_motion_mm": Setting(0.0, 1.5, "mm", "axial chest-wall motion with breathing"),
}

# -- cardiac (parasternal M-mode through the ventricles and the mitral valve) ---------------------------

CARDIAC = {
    "depth_cm": Setting(11, 18, "cm", "depth setting"),
    "fc_mhz": Setting(1.8, 4.0, "MHz", "centre frequency (phased array); capped at fc_depth_max / depth"),
    "fc_depth_max": Setting(45.0, 45.0, "MHz cm", "cap on fc x depth"),
    "bandwidth": Setting(0.5, 1.0, "fraction of fc", "-6 dB pulse bandwidth"),
    "dynamic_range_db": Setting(40, 70, "dB", "display dynamic range"),
    "tgc_db_cm_mhz": Setting(0.3, 0.7, "dB/cm/MHz", "TGC slope"),
    "gain_db": Setting(-8, 10, "dB", "receive gain"),
    "noise_db": Setting(-75, -48, "dB re speckle", "receiver noise RMS before TGC"),
    "chest_cm": Setting(1.5, 3.0, "cm", "chest wall to the right-ventricular free wall", level="patient"),
    "edd_cm": Setting(3.8, 5.6, "cm", "LV end-diastolic diameter", level="patient"),
    "fs_frac": Setting(0.25, 0.42, "", "LV fractional shortening", level="patient"),
    "breath_rate_per_min": Setting(10, 22, "/min", "breathing rate", level="patient"),
    "mitral_db": Setting(6, 18, "dB re speckle", "mitral leaflet echoes"),
    "af_prob": Setting(0.7, 0.7, "", "share of irregular rhythms that are atrial fibrillation (no A wave)"),
}

# -- aline (single A-lines) --------------------------------------------------------------------------------

ALINE = {
    "depth_cm": Setting(3.0, 8.0, "cm", "depth setting"),
    "fc_mhz": Setting(3.0, 8.0, "MHz", "centre frequency; capped at fc_depth_max / depth", log=True),
    "fc_depth_max": Setting(36.0, 36.0, "MHz cm", "cap on fc x depth"),
    "bandwidth": Setting(0.5, 1.0, "fraction of fc", "-6 dB pulse bandwidth"),
    "dynamic_range_db": Setting(40, 70, "dB", "display dynamic range"),
    "tgc_db_cm_mhz": Setting(0.3, 0.7, "dB/cm/MHz", "TGC slope"),
    "gain_db": Setting(-8, 10, "dB", "receive gain"),
    "noise_db": Setting(-75, -48, "dB re speckle", "receiver noise RMS before TGC"),
    "fat_cm": Setting(0.3, 1.5, "cm", "subcutaneous fat", level="patient"),
}

SETTINGS: dict[str, dict[str, Setting]] = {"lung": LUNG, "cardiac": CARDIAC, "aline": ALINE}

# Generator 1.0's ranges (fixed depth, 128 lines/s, one probe family, 50 dB, a point-like bright
# pleura, the lung point only on inspiration, no anatomical M-mode): the "before" of issue 14.
V1 = {
    "lung": {
        "depth_cm": 6.0, "line_rate_hz": 128.0, "fc_mhz": (2.89, 4.51), "bandwidth": 0.75,
        "dynamic_range_db": 50.0, "tgc_db_cm_mhz": 0.5, "gain_db": (-4, 6), "noise_db": (-75, -58),
        "pleura_depth_cm": (0.7, 2.0), "fat_fraction": (0.2, 0.5), "fascia_db": (4, 12),
        "pleura_db": (22, 32), "pleura_mm": 0.0, "aline_count": 4, "aline_step_db": (-14, -6),
        "aline_absent_boost_db": (3, 6), "sand_db": (0, 6), "sand_decay_cm": (3, 6), "sand_grain": 1.0,
        "sand_rate_per_s": (12, 50), "rib_shadow_prob": 0.15, "jitter_mm": (0.02, 0.12),
        "breath_motion_mm": (0.0, 0.25), "lung_point_sliding": (0.3, 0.7), "lung_point_kind": ("breath",),
        "anatomical_fraction": 0.0,
    },
    "cardiac": {"depth_cm": 14.0, "fc_mhz": (2.1, 3.0), "bandwidth": 0.75, "dynamic_range_db": 50.0,
                "tgc_db_cm_mhz": 0.5, "gain_db": (-4, 6), "noise_db": (-66, -48)},
    "aline": {"depth_cm": 6.0, "fc_mhz": (3.5, 7.0), "bandwidth": 0.75, "dynamic_range_db": 50.0,
              "tgc_db_cm_mhz": 0.5, "gain_db": (-4, 6), "noise_db": (-66, -48)},
}

# Lung families for the shift benchmark. `shift_train` is the default with every held-out slice
# removed; each `held_*` family is one slice it never saw.
LUNG_FAMILIES = {
    "shift_train": {"depth_cm": (3.5, 7.0), "dynamic_range_db": (45, 70), "fc_mhz": (2.5, 6.0),
                    "pleura_depth_cm": (0.6, 2.2), "lung_point_kind": ("breath",)},
    "held_depth_shallow": {"depth_cm": (3.0, 3.5)},
    "held_depth_deep": {"depth_cm": (7.0, 8.0)},
    "held_dynamic_range": {"dynamic_range_db": (35, 45)},
    "held_fc_high": {"fc_mhz": (6.5, 8.0), "depth_cm": (3.0, 5.0), "fc_depth_max": 40.0},
    "held_pleura_deep": {"pleura_depth_cm": (2.4, 3.0), "depth_cm": (5.0, 8.0)},
    "held_lung_point_segments": {"lung_point_kind": ("segments",)},
    "anatomical": {"anatomical_fraction": 1.0},
}
# Held-out families start from shift_train's ranges (only their slice differs), and render native
# M-mode unless they say otherwise.
HELD_BASE = {**LUNG_FAMILIES["shift_train"], "anatomical_fraction": 0.0}


def family_names(task: str) -> list[str]:
    """Named families of a task: default, v1 and (lung) the shift benchmark's."""
    return ["default", "v1"] + (list(LUNG_FAMILIES) if task == "lung" else [])


def family_overrides(task: str, family) -> tuple[str, dict]:
    """(name, overrides) for a family name or an overrides dict."""
    if family is None or family == "default":
        return "default", {}
    if isinstance(family, dict):
        return "custom", dict(family)
    if family == "v1":
        return "v1", dict(V1[task])
    if task == "lung" and family in LUNG_FAMILIES:
        base = {} if family == "shift_train" else dict(HELD_BASE)
        return family, base | LUNG_FAMILIES[family]
    raise DataError(f"unknown family {family!r} for task {task!r}; known: {', '.join(family_names(task))}")


class Profile:
    """Resolved ranges of one task: name -> (lo, hi) or a tuple of choices."""

    def __init__(self, task: str, family=None):
        if task not in SETTINGS:
            raise DataError(f"no settings for task {task!r}")
        self.task = task
        self.name, overrides = family_overrides(task, family)
        table = SETTINGS[task]
        anat = ANATOMICAL if task == "lung" else {}
        self.ranges: dict[str, tuple] = {}
        for key, s in table.items():
            self.ranges[key] = s.choices if s.choices else (float(s.lo), float(s.hi))
        for key, s in anat.items():
            self.ranges["bmode_" + key] = (float(s.lo), float(s.hi))
        for key, value in overrides.items():
            target = key if key in self.ranges else None
            if target is None:
                raise DataError(f"family {self.name!r}: unknown setting {key!r} for task {task!r}; "
                                f"known: {', '.join(sorted(self.ranges))}")
            self.ranges[target] = _as_range(key, value, table.get(key) or anat.get(key[6:]))

    def setting(self, key: str) -> Setting:
        if key.startswith("bmode_"):
            return ANATOMICAL[key[6:]]
        return SETTINGS[self.task][key]

    def draw(self, rng: np.random.Generator, key: str):
        """One value of a setting within the profile's range (a choice for categorical settings)."""
        r, s = self.ranges[key], self.setting(key)
        if s.choices:
            return r[int(rng.integers(len(r)))]
        lo, hi = r
        if s.integer:
            return int(rng.integers(int(round(lo)), int(round(hi)) + 1))
        if s.log and lo > 0:
            return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        return float(rng.uniform(lo, hi))

    def draw_level(self, rng: np.random.Generator, level: str, prefix: str = "") -> dict:
        """Every setting of a level ("patient" or "example") in table order."""
        keys = [k for k in self.ranges if k.startswith(prefix) and (prefix or not k.startswith("bmode_"))]
        return {k[len(prefix):]: self.draw(rng, k) for k in keys if self.setting(k).level == level}

    def capped_fc(self, rng: np.random.Generator, depth_cm: float) -> float:
        """Centre frequency (MHz), log-uniform up to fc_depth_max / depth: deep presets use low frequencies."""
        lo, hi = self.ranges["fc_mhz"]
        hi = max(lo, min(hi, self.ranges["fc_depth_max"][0] / depth_cm))
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if hi > lo else float(lo)

    def summary(self) -> dict:
        """JSON-able ranges (for a data set's meta)."""
        return {"family": self.name, "ranges": {k: list(v) for k, v in self.ranges.items()}}


def _as_range(key: str, value, setting: Setting | None) -> tuple:
    if setting is not None and setting.choices:
        values = (value,) if isinstance(value, str) else tuple(value)
        bad = [v for v in values if v not in setting.choices]
        if bad or not values:
            raise DataError(f"setting {key!r}: {list(values)} not in {list(setting.choices)}")
        return values
    if np.isscalar(value):
        return float(value), float(value)
    lo, hi = (float(v) for v in value)
    if lo > hi:
        raise DataError(f"setting {key!r}: range ({lo}, {hi}) has lo > hi")
    return lo, hi


def range_text(s: Setting) -> str:
    """A setting's range as the README prints it: '3-8', '100-400 (log)', '36', 'breath, segments'."""
    if s.choices:
        return ", ".join(s.choices)
    text = f"{s.lo:g}" if s.lo == s.hi else f"{s.lo:g}–{s.hi:g}"
    return text + (" (log)" if s.log and s.lo != s.hi else "")


def markdown_table() -> str:
    """The README's table of every randomised setting (task, name, range, unit, what)."""
    rows = ["| task | setting | range | unit | what |", "|---|---|---|---|---|"]
    for task, table in [*SETTINGS.items(), ("anatomical", ANATOMICAL)]:
        for name, s in table.items():
            what = s.what + (" (per patient)" if s.level == "patient" else "")
            rows.append(f"| {task} | `{name}` | {range_text(s)} | {s.unit} | {what} |")
    return "\n".join(rows)
