"""The labelled tasks: lung sliding (eFAST), cardiac rhythm (ventricle M-mode), A-line tissue class.

Each generator builds one example's phasor scene line by line (vectorised over lines), then runs the
shared receive chain in `physics.display`. Patient-level traits (body habitus, probe preset, breathing
and heart rates) are shared by the examples of one simulated patient; everything else is drawn per
example. Amplitudes of specular echoes are given in dB over the tissue speckle RMS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hwgen.data import physics as ph
from hwgen.data.lung import LUNG_CLASSES, lung_example, lung_patient
from hwgen.data.scene import CM, MM, Scene, layered_tissue, moving_slab, smooth_noise

__all__ = ["TASKS", "TaskSpec", "LUNG_CLASSES", "CARDIAC_CLASSES", "ALINE_CLASSES", "Scene", "CM", "MM"]


@dataclass(frozen=True)
class TaskSpec:
    """A classification task and its display settings."""
    name: str
    classes: list[str]
    time: int              # default lines per example
    depth: int             # default depth bins
    span_s: float          # slow-time span of one example (0 for single A-lines)
    depth_cm: float        # displayed depth
    fc_hz: float           # nominal centre frequency (per-example values vary around it)
    dynamic_range_db: float = 50.0
    rationale: str = ""
    generator: Callable = field(default=None, repr=False, compare=False)

    def line_rate_hz(self, time: int) -> float:
        """Pulse repetition rate of the M-mode line for `time` lines over span_s (0 for A-lines)."""
        return time / self.span_s if self.span_s > 0 else 0.0


# -- slow-time helpers ----------------------------------------------------------------------------

def beat_onsets(rng: np.random.Generator, rr_mean: float, span: float, cv: float) -> np.ndarray:
    """Beat onset times covering [-2 s, span]: RR intervals log-normal around rr_mean with variation cv."""
    n = int(np.ceil((span + 2.0) / rr_mean * 1.5)) + 4
    rr = rr_mean * np.exp(cv * rng.standard_normal(n) - 0.5 * cv**2) if cv > 0 else np.full(n, rr_mean)
    rr = np.clip(rr, 0.3, 2.0)            # 30..200 bpm beat to beat: no physiologically impossible beats
    return np.cumsum(rr) - 2.0 - rng.uniform(0, rr_mean)


def contraction(t: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """Ventricular contraction state (0 end-diastole, ~1 end-systole) for beat onsets.

    Systole lasts ~0.33 s * sqrt(RR) (a Bazett-like scaling), then a fast relaxation (~0.12 s). A beat
    that comes early (irregular rhythm) starts from wherever the previous relaxation had got to, and
    contracts less after a short filling time (Frank-Starling: stroke volume follows the preceding RR).
    """
    rr = np.diff(onsets)
    strength = np.clip(np.sqrt(np.concatenate([[rr[0]], rr]) / np.median(rr)), 0.5, 1.2)
    idx = np.clip(np.searchsorted(onsets, t, side="right") - 1, 1, len(onsets) - 2)

    def state(k):
        since = t - onsets[k]
        ts = 0.33 * np.sqrt(onsets[k + 1] - onsets[k])
        rise = 0.5 * (1 - np.cos(np.pi * np.clip(since / ts, 0, 1)))
        relax = np.exp(-(np.maximum(since - ts, 0) / 0.12) ** 2)
        return np.where(since < ts, rise, relax) * strength[k]

    return np.maximum(state(idx), state(idx - 1) * (t >= onsets[idx]))


# -- cardiac ----------------------------------------------------------------------------------------

CARDIAC_CLASSES = ["normal", "brady", "tachy", "irregular"]
HR_RANGES = {"normal": (62, 98), "brady": (38, 57), "tachy": (104, 160), "irregular": (60, 140)}


def cardiac_patient(rng: np.random.Generator, spec: TaskSpec, profile) -> dict:
    """Traits of one simulated patient for the cardiac task."""
    return {
        "fc_hz": spec.fc_hz * rng.uniform(0.85, 1.2),
        "chest_cm": rng.uniform(1.5, 3.0),
        "edd_cm": rng.uniform(3.8, 5.6),
        "fs_frac": rng.uniform(0.25, 0.42),       # fractional shortening
        "noise_db": rng.uniform(-66, -48),
        "breath_rate_per_min": rng.uniform(10, 22),
    }


def cardiac_example(rng: np.random.Generator, label: int, patient: dict, spec: TaskSpec, time: int,
                    depth: int, profile) -> tuple[np.ndarray, dict]:
    """One parasternal M-mode through the left ventricle (time, depth), rhythm class `label`."""
    kind = CARDIAC_CLASSES[label]
    sc = Scene(patient["fc_hz"] * rng.uniform(0.97, 1.03), spec.depth_cm, time, spec.line_rate_hz(time))
    t = sc.t
    lo, hi = HR_RANGES[kind]
    hr = rng.uniform(lo, hi)
    cv = rng.uniform(0.2, 0.35) if kind == "irregular" else rng.uniform(0.0, 0.025)
    for _ in range(50):   # irregular: redraw until the shown beats vary by > 15 % beat to beat
        onsets = beat_onsets(rng, 60.0 / hr, spec.span_s, cv)
        rr = np.diff(onsets[(onsets >= -1.0) & (onsets <= spec.span_s + 1.0)])
        variation = float(np.mean(np.abs(np.diff(rr))) / rr.mean()) if len(rr) > 1 else 0.0
        if kind != "irregular" or variation > 0.15:
            break
    inside = onsets[(onsets >= 0) & (onsets <= spec.span_s)]
    d = contraction(t, onsets)

    breath = np.sin(2 * np.pi * patient["breath_rate_per_min"] / 60 * t + rng.uniform(0, 2 * np.pi))
    move = (rng.uniform(0.2, 1.2) * breath + rng.uniform(0.02, 0.1) * smooth_noise(rng, t, 4.0)) * MM

    chest = patient["chest_cm"] * CM
    rvw_th, ivs_th, lvpw_th = (rng.uniform(0.3, 0.5) * CM, rng.uniform(0.7, 1.1) * CM, rng.uniform(0.7, 1.1) * CM)
    rv_cav = rng.uniform(1.5, 2.5) * CM
    edd = patient["edd_cm"] * CM * rng.uniform(0.95, 1.05)
    short = edd * patient["fs_frac"] * rng.uniform(0.9, 1.1) * d          # LV diameter shortening
    rvw_top = chest + move
    rvw_bot = rvw_top + rvw_th
    ivs_top = rvw_bot + rv_cav + 0.15 * short
    ivs_bot = rvw_bot + rv_cav + ivs_th + 0.4 * short
    lv_back = rvw_bot + rv_cav + ivs_th + edd                    # end-diastolic posterior endocardium
    lvpw_top = lv_back - 0.6 * short                             # endocardium moves up 0.6 of the shortening
    lvpw_bot = lv_back + lvpw_th - 0.25 * short                  # epicardium less: the wall thickens

    # Chest wall and the tissue behind the heart: static speckle moving with the probe/breathing.
    wall = layered_tissue(rng, sc, [(0.0, 0.2 * CM, 1.5), (0.2 * CM, chest - 0.5 * MM, rng.uniform(0.6, 1.1))])
    sc.scene += ph.shift_lines(wall, sc.samples(move * 0.2), sc.fc, sc.fs)
    behind_top = float(np.max(lvpw_bot)) + 2 * MM
    back = layered_tissue(rng, sc, [(behind_top, 1.0, rng.uniform(0.3, 0.7))])
    sc.scene += ph.shift_lines(back, sc.samples(move), sc.fc, sc.fs)

    # Myocardium: scatterers attached to the moving walls; bright pericardium behind the posterior wall.
    myo = rng.uniform(0.8, 1.2)
    moving_slab(rng, sc, rvw_top, rvw_bot, myo, rvw_th)
    moving_slab(rng, sc, ivs_top, ivs_bot, myo, ivs_th)
    moving_slab(rng, sc, lvpw_top, lvpw_bot, myo, lvpw_th)
    sc.add_reflectors(np.stack([lvpw_bot + 0.5 * MM, ivs_top, ivs_bot], 1),
                      np.array([rng.uniform(18, 26), rng.uniform(0, 8), rng.uniform(0, 8)]))

    # Blood: nearly anechoic, a faint fresh speckle every line (it flows).
    first, last = (int(v) for v in sc.samples(np.array([rvw_bot.min(), lvpw_top.max()])).clip(0, sc.n))
    blood = (sc.mask(rvw_bot, ivs_top) + sc.mask(ivs_bot, lvpw_top))[:, first:last]
    blood *= np.float32(10 ** (rng.uniform(-38, -28) / 20))
    sc.scene[:, first:last] += ph.gaussian_speckle(rng, blood.shape, sc.fc, sc.fs) * blood

    alpha = np.full(sc.n, 0.52, dtype=np.float32)
    alpha[sc.z < chest] = 0.7
    gain_db = rng.uniform(-4, 6)
    img = sc.render(rng, bins=depth, gain_db=gain_db, dynamic_range_db=spec.dynamic_range_db,
                    noise_db=patient["noise_db"], attenuation=alpha)
    rr_shown = rr if len(rr) else np.array([60.0 / hr])
    params = {
        "heart_rate_bpm": round(float(60.0 / rr_shown.mean()), 3), "rr_cv": round(float(rr_shown.std() / rr_shown.mean()), 4),
        "rr_variation": round(variation, 4),
        "beats_shown": int(len(inside)), "fc_hz": round(sc.fc, 1), "gain_db": round(gain_db, 3),
        "edd_cm": round(edd / CM, 3), "fractional_shortening": round(float(patient["fs_frac"]), 4),
        "noise_db": round(patient["noise_db"], 3),
    }
    return img, params


# -- aline ------------------------------------------------------------------------------------------

ALINE_CLASSES = ["soft_tissue", "fluid", "bone"]
ALINE_RATIONALE = (
    "soft_tissue: layered speckle (fat, muscle, organ) with weak fascia echoes - the normal background; "
    "fluid: an anechoic pocket with posterior enhancement - free fluid / effusion (the eFAST/FAST question); "
    "bone: a bright cortical echo with an acoustic shadow below - rib/fracture/needle-guidance landmark."
)


def aline_patient(rng: np.random.Generator, spec: TaskSpec, profile) -> dict:
    """Traits of one simulated patient for the A-line task."""
    return {"fc_hz": spec.fc_hz * rng.uniform(0.7, 1.4), "fat_cm": rng.uniform(0.3, 1.5),
            "noise_db": rng.uniform(-66, -48)}


def aline_example(rng: np.random.Generator, label: int, patient: dict, spec: TaskSpec, time: int,
                  depth: int, profile) -> tuple[np.ndarray, dict]:
    """Single A-lines (time lines, usually 1) of a tissue echo class."""
    kind = ALINE_CLASSES[label]
    sc = Scene(patient["fc_hz"] * rng.uniform(0.95, 1.05), spec.depth_cm, time, 0.0)
    fat = (0.15 + patient["fat_cm"] * rng.uniform(0.8, 1.2)) * CM
    layers = [(0.0, 0.15 * CM, 1.5), (0.15 * CM, fat, rng.uniform(0.3, 0.6))]
    # Deeper tissue: a few layers of random echogenicity (muscle, organ parenchyma).
    edges = np.sort(rng.uniform(fat, sc.depth_m, rng.integers(1, 4)))
    tops = np.concatenate([[fat], edges])
    bottoms = np.concatenate([edges, [1.0]])
    for top, bot in zip(tops, bottoms, strict=True):
        layers.append((top, bot, rng.uniform(0.5, 1.5)))
    gain = np.zeros(sc.n, dtype=np.float32)
    for top, bot, amp in layers:
        gain += amp * sc.mask(top, bot)
    alpha = np.full(sc.n, rng.uniform(0.5, 0.9), dtype=np.float32)
    alpha[sc.z < fat] = 0.63
    reflect = list(zip(tops, rng.uniform(-2, 8, len(tops)), strict=True))
    params = {"fc_hz": round(sc.fc, 1)}
    if kind == "fluid":
        top = rng.uniform(fat + 2 * MM, 0.8 * sc.depth_m)
        thick = min(rng.uniform(0.3, 3.0) * CM, sc.depth_m - top + 1 * CM)
        inside = sc.mask(top, top + thick)
        gain = gain * (1 - inside) + inside * 10 ** (rng.uniform(-40, -30) / 20)
        alpha = alpha * (1 - inside) + inside * 0.0022                     # fluid barely attenuates
        reflect += [(top, rng.uniform(0, 10)), (top + thick, rng.uniform(0, 10))]
        params.update(fluid_top_cm=round(top / CM, 3), fluid_cm=round(thick / CM, 3))
    elif kind == "bone":
        top = rng.uniform(fat + 2 * MM, 0.85 * sc.depth_m)
        below = sc.mask(top + 0.5 * MM, 1.0)
        gain = gain * (1 - below)
        alpha = alpha * (1 - below) + below * 15.0                         # cortical bone: the shadow
        reflect += [(top, rng.uniform(22, 32))]
        params.update(bone_depth_cm=round(top / CM, 3))
    field = ph.scatterers(rng, (time, sc.n), sc.fc, sc.fs) * gain
    sc.scene += field
    depths, dbs = zip(*reflect, strict=True)
    sc.add_reflectors(np.array(depths)[None, :], np.array(dbs))
    gain_db = rng.uniform(-4, 6)
    img = sc.render(rng, bins=depth, gain_db=gain_db, dynamic_range_db=spec.dynamic_range_db,
                    noise_db=patient["noise_db"], attenuation=alpha)
    params.update(gain_db=round(gain_db, 3), noise_db=round(patient["noise_db"], 3))
    return img, params


TASKS: dict[str, TaskSpec] = {
    "lung": TaskSpec("lung", LUNG_CLASSES, time=256, depth=64, span_s=2.0, depth_cm=6.0, fc_hz=3.5e6,
                     rationale="eFAST lung sliding: seashore vs barcode vs lung point (pneumothorax)",
                     generator=(lung_patient, lung_example)),
    "cardiac": TaskSpec("cardiac", CARDIAC_CLASSES, time=256, depth=64, span_s=6.0, depth_cm=14.0, fc_hz=2.5e6,
                        rationale="ventricular M-mode rhythm: normal 60-100 bpm, brady <60, tachy >100, "
                                  "irregular (beat-to-beat RR variation > 15 %)",
                        generator=(cardiac_patient, cardiac_example)),
    "aline": TaskSpec("aline", ALINE_CLASSES, time=1, depth=64, span_s=0.0, depth_cm=6.0, fc_hz=5.0e6,
                      rationale=ALINE_RATIONALE, generator=(aline_patient, aline_example)),
}
