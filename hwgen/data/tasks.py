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
from scipy.ndimage import gaussian_filter1d

from hwgen.data import physics as ph

CM = 1e-2
MM = 1e-3


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

def smooth_noise(rng: np.random.Generator, t: np.ndarray, fmax: float, n: int = 6) -> np.ndarray:
    """A smooth random wiggle with unit RMS: a sum of n random sinusoids below fmax (probe jitter)."""
    freqs = rng.uniform(0.2, fmax, n)
    phases = rng.uniform(0, 2 * np.pi, n)
    w = np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phases[:, None]).sum(0)
    return w / np.sqrt(n / 2.0)


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


def lung_pulse(t: np.ndarray, hr_bpm: float, phase: float) -> np.ndarray:
    """A short systolic impulse at the heart rate (the lung pulse), values in [0, 1]."""
    cyc = (t * hr_bpm / 60.0 + phase) % 1.0
    return np.exp(-0.5 * ((cyc - 0.2) / 0.06) ** 2)


# -- scene helpers ----------------------------------------------------------------------------------

class Scene:
    """One example's acquisition: probe settings, depth grid, and the phasor scene being built."""

    def __init__(self, fc: float, depth_cm: float, n_lines: int, line_rate: float):
        self.fc = fc
        self.fs = 4.0 * fc
        self.depth_m = depth_cm * CM
        self.n = ph.n_samples(self.depth_m, self.fs)
        self.z = ph.sample_depths(self.n, self.fs)
        self.t = np.arange(n_lines) / line_rate if line_rate > 0 else np.zeros(n_lines)
        self.n_lines = n_lines
        self.scene = np.zeros((n_lines, self.n), dtype=np.complex64)

    def samples(self, depth_m) -> np.ndarray:
        """Sample position (float) of a depth (m)."""
        return np.asarray(depth_m) * 2.0 * self.fs / ph.SPEED_OF_SOUND

    def mask(self, top_m, bottom_m, edge_m: float = 0.3 * MM) -> np.ndarray:
        """Soft 0..1 window over depth between top and bottom, with linear edges edge_m wide.

        top/bottom are scalars or per-line arrays (then the mask is (lines, samples))."""
        top = np.asarray(top_m, dtype=np.float32)[..., None] if np.ndim(top_m) else np.float32(top_m)
        bot = np.asarray(bottom_m, dtype=np.float32)[..., None] if np.ndim(bottom_m) else np.float32(bottom_m)
        z = self.z.astype(np.float32)
        inv = np.float32(1.0 / edge_m)
        up = np.clip((z - top) * inv + 0.5, 0, 1)
        up *= np.clip((bot - z) * inv + 0.5, 0, 1)
        return up

    def add_reflectors(self, depth_m: np.ndarray, db: np.ndarray) -> None:
        """Specular echoes at per-line depths (lines, k) with levels in dB over speckle."""
        depth_m = np.atleast_2d(np.asarray(depth_m, dtype=np.float64))
        if depth_m.shape[0] != self.n_lines:
            depth_m = np.broadcast_to(depth_m.reshape(1, -1), (self.n_lines, depth_m.size))
        amp = np.broadcast_to(ph.specular_amplitude(db, self.fc, self.fs), depth_m.shape)
        ph.add_point_reflectors(self.scene, self.samples(depth_m), amp, self.fc, self.fs)

    def render(self, rng: np.random.Generator, *, bins: int, gain_db: float, dynamic_range_db: float,
               noise_db: float, attenuation: np.ndarray) -> np.ndarray:
        """Attenuate, add receiver noise (noise_db relative to tissue speckle), run the receive chain."""
        self.scene *= ph.attenuation_gain(attenuation, self.fc, self.fs)
        noise_std = ph.speckle_rms(self.fc, self.fs) * 10 ** (noise_db / 20) / np.sqrt(2.0)
        noise = rng.standard_normal(self.scene.shape, dtype=np.float32) * np.float32(noise_std)
        return ph.display(self.scene, fc=self.fc, fs=self.fs, depth_m=self.depth_m, bins=bins,
                          gain_db=gain_db, dynamic_range_db=dynamic_range_db, noise=noise)


def layered_tissue(rng: np.random.Generator, sc: Scene, layers: list[tuple[float, float, float]]) -> np.ndarray:
    """Static 1-D scatterer field with an echogenicity per layer: [(top_m, bottom_m, amplitude), ...]."""
    field = ph.scatterers(rng, (sc.n,), sc.fc, sc.fs)
    gain = np.zeros(sc.n, dtype=np.float32)
    for top, bottom, amp in layers:
        gain += amp * sc.mask(top, bottom)
    return field * gain


def moving_pattern(rng: np.random.Generator, sc: Scene, cols: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Lines through a diffuse field that moves past the beam.

    cols is the distance travelled at each line in half correlation lengths (the beam width). The
    field's columns are smoothed over one column, so linear interpolation between them stays smooth.
    Only depths where profile > 0 are simulated.
    """
    first = int(np.argmax(profile > 1e-4))
    n_cols = int(np.ceil(cols[-1])) + 6
    field = ph.gaussian_speckle(rng, (n_cols, sc.n - first), sc.fc, sc.fs) * profile[first:]
    field = gaussian_filter1d(field.real, 1.0, axis=0) + 1j * gaussian_filter1d(field.imag, 1.0, axis=0)
    field = (field * np.sqrt(2 * np.sqrt(np.pi) * 1.0)).astype(np.complex64)   # restore unit power
    i0 = np.floor(cols).astype(int) + 3
    w = (cols - np.floor(cols)).astype(np.float32)[:, None]
    out = np.zeros((len(cols), sc.n), dtype=np.complex64)
    out[:, first:] = field[i0] * (1 - w)
    out[:, first:] += field[i0 + 1] * w
    return out


# -- lung -------------------------------------------------------------------------------------------

LUNG_CLASSES = ["sliding", "absent", "lung_point"]


def lung_patient(rng: np.random.Generator, spec: TaskSpec) -> dict:
    """Traits of one simulated patient for the lung task."""
    return {
        "fc_hz": spec.fc_hz * rng.uniform(0.85, 1.25),
        "skin_cm": rng.uniform(0.1, 0.2),
        "fat_cm": rng.uniform(0.2, 0.8),
        "muscle_cm": rng.uniform(0.4, 1.0),
        "breath_rate_per_min": rng.uniform(10, 26),
        "heart_rate_bpm": rng.uniform(55, 115),
        "noise_db": rng.uniform(-75, -58),
    }


def lung_example(rng: np.random.Generator, label: int, patient: dict, spec: TaskSpec, time: int,
                 depth: int) -> tuple[np.ndarray, dict]:
    """One lung M-mode (time, depth): seashore (sliding), barcode (absent) or both (lung point)."""
    kind = LUNG_CLASSES[label]
    sc = Scene(patient["fc_hz"] * rng.uniform(0.97, 1.03), spec.depth_cm, time, spec.line_rate_hz(time))
    t = sc.t
    skin = patient["skin_cm"] * CM
    fat = skin + patient["fat_cm"] * CM * rng.uniform(0.9, 1.1)
    pleura = fat + patient["muscle_cm"] * CM * rng.uniform(0.9, 1.1)

    # Breathing (0 = end-expiration, 1 = end-inspiration) and the contact between the two pleurae.
    f_breath = patient["breath_rate_per_min"] * rng.uniform(0.9, 1.1) / 60.0
    breath = 0.5 * (1 - np.cos(2 * np.pi * f_breath * t + rng.uniform(0, 2 * np.pi)))
    if kind == "sliding":
        contact = np.ones_like(t)
    elif kind == "absent":
        contact = np.zeros_like(t)
    else:   # lung point: the lung slides into view on inspiration; both patterns in the window
        thr = np.quantile(breath, rng.uniform(0.3, 0.7))
        contact = 1 / (1 + np.exp(-(breath - thr) / 0.03))

    # Probe and chest-wall axial motion: jitter plus breathing; a few tenths of a millimetre.
    jitter_mm = rng.uniform(0.02, 0.12)
    chest = (jitter_mm * smooth_noise(rng, t, 4.0) + rng.uniform(0.0, 0.25) * breath) * MM
    shift = sc.samples(chest)

    # Chest wall: skin (bright), fat (dark), muscle (mid, striated), then the pleural line.
    wall = layered_tissue(rng, sc, [(0.0, skin, 1.6), (skin, fat, rng.uniform(0.3, 0.6)),
                                    (fat, pleura - 0.3 * MM, rng.uniform(0.8, 1.3))])
    sc.scene += ph.shift_lines(wall, shift, sc.fc, sc.fs)
    fascia = np.array([skin, fat, fat + rng.uniform(0.3, 0.7) * (pleura - fat)])
    sc.add_reflectors(fascia[None, :] + chest[:, None], rng.uniform(4, 12, 3))

    # Lung pulse: the heart shakes the lung a little, only where the lung touches the chest wall.
    hr = patient["heart_rate_bpm"] * rng.uniform(0.95, 1.05)
    beat = lung_pulse(t, hr, rng.uniform())
    pulse = contact * beat * rng.uniform(0.03, 0.12) * MM
    pleura_db = rng.uniform(22, 32)
    pleura_line = pleura + chest + pulse
    sc.add_reflectors(pleura_line[:, None], np.array([pleura_db]))

    # A-lines: reverberations between probe and pleura at multiples of its depth; stronger without lung.
    k = np.arange(2, 6)
    ratio_db = np.where(contact > 0.5, rng.uniform(-14, -6), rng.uniform(-9, -3))  # per line, dB per bounce
    aline_db = pleura_db + (k[None, :] - 1) * ratio_db[:, None]
    sc.add_reflectors(k[None, :] * (pleura + chest)[:, None], aline_db)

    # Below the pleura: reverberation "sand". Sliding: the pattern moves through the beam with the
    # visceral pleura (lateral sliding plus out-of-plane change), so it decorrelates over slow time.
    # No sliding: the same pattern stays put (barcode).
    below = sc.mask(pleura + 0.4 * MM, 1.0, 0.5 * MM) * np.exp(-(sc.z - pleura).clip(0) / (rng.uniform(3, 6) * CM))
    below *= np.float32(10 ** (rng.uniform(0, 6) / 20))
    static = ph.gaussian_speckle(rng, (sc.n,), sc.fc, sc.fs) * below
    # The sand's pattern changes as the visceral pleura slides (plus out-of-plane change of the
    # reverberations): rate in beam-width correlation lengths per second, fastest mid-breath. A floor
    # keeps it moving in end-expiratory pauses (lung pulse, cardiac and vascular shimmer).
    speed = np.abs(np.gradient(breath))
    speed = np.maximum(speed / (speed.mean() + 1e-12), rng.uniform(0.7, 1.0))
    speed += rng.uniform(0.5, 2.0) * beat          # lung pulse: each heartbeat stirs the sand a little more
    rate = rng.uniform(12, 50)                                   # decorrelations per second (20-80 ms)
    dt = 1.0 / spec.line_rate_hz(time)
    path = np.cumsum(speed * rate * dt * contact)                 # in correlation lengths
    c = contact.astype(np.float32)[:, None]
    if contact.min() < 1:
        sc.scene += ph.shift_lines(static, shift, sc.fc, sc.fs) * (1 - c)
    if contact.max() > 0:
        sc.scene += ph.shift_lines(moving_pattern(rng, sc, 2.0 * path, below),
                                   shift + sc.samples(pulse), sc.fc, sc.fs) * c

    # Rib shadow (nuisance): the probe rocks onto a rib edge for a moment; everything below goes dark.
    rib = rng.uniform() < 0.15
    if rib:
        start, length = rng.uniform(0, t[-1] + 1e-9), rng.uniform(0.05, 0.25) * max(spec.span_s, 1e-9)
        on = (1 / (1 + np.exp(-(t - start) / 0.03))) * (1 / (1 + np.exp((t - start - length) / 0.03)))
        rib_depth = pleura - rng.uniform(0.1, 0.4) * CM
        loss = 1 - on[:, None] * (1 - 10 ** (-rng.uniform(10, 25) / 20)) * sc.mask(rib_depth + 0.5 * MM, 1.0)
        sc.scene *= loss.astype(np.float32)
        sc.add_reflectors((rib_depth + chest)[:, None], 20 * np.log10(np.maximum(on, 1e-6))[:, None] + 18)

    alpha = np.where(sc.z < fat, 0.63, 0.9).astype(np.float32)
    alpha[sc.z < skin] = 0.35
    gain_db = rng.uniform(-4, 6)
    img = sc.render(rng, bins=depth, gain_db=gain_db, dynamic_range_db=spec.dynamic_range_db,
                    noise_db=patient["noise_db"], attenuation=alpha)
    params = {
        "pleura_depth_cm": round(pleura / CM, 4), "fc_hz": round(sc.fc, 1), "gain_db": round(gain_db, 3),
        "heart_rate_bpm": round(hr, 3), "breath_rate_per_min": round(f_breath * 60, 3),
        "sliding_fraction": round(float(contact.mean()), 4), "rib_shadow": bool(rib),
        "sand_rate_per_s": round(rate * float(contact.mean()), 3),
        "jitter_mm": round(jitter_mm, 4), "noise_db": round(patient["noise_db"], 3),
    }
    return img, params


# -- cardiac ----------------------------------------------------------------------------------------

CARDIAC_CLASSES = ["normal", "brady", "tachy", "irregular"]
HR_RANGES = {"normal": (62, 98), "brady": (38, 57), "tachy": (104, 160), "irregular": (60, 140)}


def cardiac_patient(rng: np.random.Generator, spec: TaskSpec) -> dict:
    """Traits of one simulated patient for the cardiac task."""
    return {
        "fc_hz": spec.fc_hz * rng.uniform(0.85, 1.2),
        "chest_cm": rng.uniform(1.5, 3.0),
        "edd_cm": rng.uniform(3.8, 5.6),
        "fs_frac": rng.uniform(0.25, 0.42),       # fractional shortening
        "noise_db": rng.uniform(-66, -48),
        "breath_rate_per_min": rng.uniform(10, 22),
    }


def moving_slab(rng: np.random.Generator, sc: Scene, top: np.ndarray, bottom: np.ndarray, amp: float,
                thickness_ed: float) -> None:
    """Add a tissue slab whose scatterers follow its moving top/bottom boundaries (per line, m)."""
    count = rng.poisson(ph.SCATTERERS_PER_CELL * sc.samples(thickness_ed) / ph.resolution_cell_samples(sc.fc, sc.fs))
    u = rng.random(count)                       # material coordinate in the slab
    a = rng.rayleigh(1.0, count) * amp
    depth = top[:, None] + u[None, :] * (bottom - top)[:, None]
    ph.add_point_reflectors(sc.scene, sc.samples(depth), np.broadcast_to(a, depth.shape), sc.fc, sc.fs)


def cardiac_example(rng: np.random.Generator, label: int, patient: dict, spec: TaskSpec, time: int,
                    depth: int) -> tuple[np.ndarray, dict]:
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


def aline_patient(rng: np.random.Generator, spec: TaskSpec) -> dict:
    """Traits of one simulated patient for the A-line task."""
    return {"fc_hz": spec.fc_hz * rng.uniform(0.7, 1.4), "fat_cm": rng.uniform(0.3, 1.5),
            "noise_db": rng.uniform(-66, -48)}


def aline_example(rng: np.random.Generator, label: int, patient: dict, spec: TaskSpec, time: int,
                  depth: int) -> tuple[np.ndarray, dict]:
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
