"""The lung task (eFAST): seashore (sliding), barcode (absent) and the lung point, in M-mode.

Clinical definitions of the classes (what a window must show; README "Lung classes"):

- `sliding`: normal lung sliding over the whole window. Above the pleural line the chest wall is
  stratified and still; below it the reverberation "sand" changes over slow time (seashore sign),
  with a faint lung pulse at the heart rate. Pneumothorax is ruled out at this point of the chest.
- `absent`: no sliding anywhere in the window: horizontal lines from top to bottom (barcode or
  stratosphere sign), no lung pulse. Suspected pneumothorax (or pleural adhesion, apnoea).
- `lung_point`: both patterns in one window, each over at least `LUNG_POINT_MIN_FRACTION` of its
  lines, in either order and with one or more transitions: the edge of a pneumothorax, where the
  lung slides into view and out again. It confirms pneumothorax (specificity ~100 %).

Each example draws its settings from a `randomise.Profile` (documented ranges); a share of the
windows (`anatomical_fraction`) is rendered as anatomical M-mode from a B-mode cine
(`hwgen.data.anatomical`).
"""

from __future__ import annotations

import numpy as np

from hwgen.data.anatomical import bmode_chain, to_window
from hwgen.data.scene import CM, MM, Scene, coarsen, layered_tissue, moving_pattern, smooth_noise, window

LUNG_CLASSES = ["sliding", "absent", "lung_point"]
LUNG_POINT_MIN_FRACTION = 0.2   # each pattern covers at least this share of a lung-point window
SEGMENT_EDGE_LINES = (1.0, 4.0)  # abrupt transitions of the `segments` lung point (lines)


def lung_patient(rng: np.random.Generator, spec, profile) -> dict:
    """Traits of one simulated patient for the lung task (anatomy and physiology)."""
    patient = profile.draw_level(rng, "patient")
    patient["skin_cm"] = float(rng.uniform(0.1, 0.2))
    return patient


def lung_example(rng: np.random.Generator, label: int, patient: dict, spec, time: int, depth: int,
                 profile) -> tuple[np.ndarray, dict]:
    """One lung window (time, depth): native M-mode, or anatomical M-mode from a B-mode cine."""
    s = profile.draw_level(rng, "example")
    s["fc_mhz"] = profile.capped_fc(rng, s["depth_cm"])
    if rng.uniform() < s["anatomical_fraction"]:
        return anatomical_window(rng, LUNG_CLASSES[label], patient, s, profile, time, depth)
    img, params = render_lung(rng, LUNG_CLASSES[label], patient, s, n_lines=time, line_rate=s["line_rate_hz"],
                              bins=depth, depth_cm=s["depth_cm"])
    params["regime"] = "native"
    return img, params


def anatomical_window(rng: np.random.Generator, kind: str, patient: dict, s: dict, profile, time: int,
                    depth: int) -> tuple[np.ndarray, dict]:
    """One lung window as anatomical M-mode: the scene along a tilted scan line rendered once per frame of a
    B-mode cine, then B-mode processing and video compression (hwgen.data.anatomical), resampled to (time, depth)."""
    b = profile.draw_level(rng, "example", prefix="bmode_")
    s = dict(s)
    for key in ("pleura_db", "fascia_db", "jitter_mm", "breath_motion_mm"):
        s[key] = b[key]
    fps, clip = b["frame_rate_hz"], b["clip_s"]
    frames = max(16, int(round(fps * clip)))
    tilt = np.radians(b["scan_angle_deg"])
    pixels = max(depth, int(round(s["depth_cm"] * b["px_per_cm"])))
    img, params = render_lung(rng, kind, patient, s, n_lines=frames, line_rate=fps, bins=pixels,
                              depth_cm=s["depth_cm"] * np.cos(tilt), slant=float(np.tan(tilt)),
                              along_line=float(1 / np.cos(tilt)))
    cine = bmode_chain(img, b)
    out = to_window(cine, time, depth)
    params.update({
        "regime": "anatomical", "frames": frames, "frame_rate_hz": round(fps, 3), "clip_s": round(clip, 3),
        "line_rate_hz": round(time / clip, 3), "span_s": round(clip, 4), "px_per_cm": round(b["px_per_cm"], 2),
        "scan_angle_deg": round(b["scan_angle_deg"], 2), "bmode_blur_px": round(b["bmode_blur_px"], 3),
        "persistence": round(b["persistence"], 3), "grey_gamma": round(b["grey_gamma"], 3),
        "codec_step": round(b["codec_step"], 3), "codec_skip": round(b["codec_skip"], 3),
        "codec_gop": int(b["codec_gop"]),
    })
    return out, params


def contact_pattern(rng: np.random.Generator, kind: str, breath: np.ndarray, s: dict) -> tuple[np.ndarray, str]:
    """Contact of the two pleurae over the window (1 = the lung slides under the probe) and how it was made."""
    n = len(breath)
    if kind == "sliding":
        return np.ones(n), ""
    if kind == "absent":
        return np.zeros(n), ""
    share = float(np.clip(s["lung_point_sliding"], LUNG_POINT_MIN_FRACTION, 1 - LUNG_POINT_MIN_FRACTION))
    how = s["lung_point_kind"]
    if how == "breath":
        # The lung slides into view on inspiration: contact where breathing is above a threshold that
        # leaves `share` of the window sliding. Edges are sharp relative to this window's breath swing.
        span = float(breath.max() - breath.min())
        threshold = np.quantile(breath, 1 - share)
        return 1 / (1 + np.exp(-np.clip((breath - threshold) / (0.05 * span + 1e-9), -60, 60))), how
    return segment_contact(rng, n, share), how


def segment_contact(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """1-3 abrupt transitions in either order; sliding segments add up to `share` of the window."""
    transitions = int(rng.integers(1, 4))
    segments = transitions + 1
    start_sliding = bool(rng.uniform() < 0.5)
    slides = np.array([(i % 2 == 0) == start_sliding for i in range(segments)])

    def split(total: float, parts: int) -> np.ndarray:   # no segment below 60 % of an even share
        return total * (0.6 / parts + 0.4 * rng.dirichlet(np.ones(parts)))

    lengths = np.empty(segments)
    lengths[slides] = split(share * n, int(slides.sum()))
    lengths[~slides] = split((1 - share) * n, int((~slides).sum()))
    edges = np.cumsum(lengths)[:-1]
    width = rng.uniform(*SEGMENT_EDGE_LINES)
    line = np.arange(n) + 0.5
    state = np.full(n, float(start_sliding))
    for i, edge in enumerate(edges):
        step = 1 / (1 + np.exp(-np.clip((line - edge) / (0.25 * width), -60, 60)))
        state += (1.0 if slides[i + 1] else -1.0) * step
    return np.clip(state, 0.0, 1.0)


def transitions(contact: np.ndarray) -> int:
    """Number of changes between sliding and not sliding (contact crossing 0.5)."""
    on = contact > 0.5
    return int(np.count_nonzero(on[1:] != on[:-1]))


def render_lung(rng: np.random.Generator, kind: str, patient: dict, s: dict, *, n_lines: int, line_rate: float,
                bins: int, depth_cm: float, slant: float = 0.0, along_line: float = 1.0) -> tuple[np.ndarray, dict]:
    """Render a lung M-mode of n_lines at line_rate over depth_cm (physical) into `bins` depth bins.

    slant (tan of the scan line's tilt) samples the sliding sand along a tilted line; along_line
    (1 / cos of the tilt) converts physical depths to positions along the displayed line.
    """
    sc = Scene(s["fc_mhz"] * 1e6, depth_cm, n_lines, line_rate, s["bandwidth"])
    t = sc.t
    pleura = min(patient["pleura_depth_cm"] * rng.uniform(0.9, 1.1), 0.7 * depth_cm) * CM
    skin = min(patient["skin_cm"], 0.3 * pleura / CM) * CM
    fat = skin + patient["fat_fraction"] * (pleura - skin) * rng.uniform(0.9, 1.1)

    # Breathing (0 = end-expiration, 1 = end-inspiration) and the contact between the two pleurae.
    f_breath = patient["breath_rate_per_min"] * rng.uniform(0.9, 1.1) / 60.0
    breath = 0.5 * (1 - np.cos(2 * np.pi * f_breath * t + rng.uniform(0, 2 * np.pi)))
    contact, how = contact_pattern(rng, kind, breath, s)

    # Probe and chest-wall axial motion: hand jitter plus breathing.
    chest = (s["jitter_mm"] * smooth_noise(rng, t, 4.0) + s["breath_motion_mm"] * breath) * MM
    shift = sc.samples(chest)

    # Chest wall: skin (bright), fat (dark), muscle (mid, striated), then the pleural line.
    wall = layered_tissue(rng, sc, [(0.0, skin, 1.6), (skin, fat, rng.uniform(0.3, 0.6)),
                                    (fat, pleura - 0.3 * MM, rng.uniform(0.8, 1.3))])
    sc.scene += sc.shift(wall, shift)
    fascia = np.array([skin, fat, fat + rng.uniform(0.3, 0.7) * (pleura - fat)])
    fascia_db = s["fascia_db"] + rng.uniform(-3, 3, 3)
    sc.add_reflectors(fascia[None, :] + chest[:, None], fascia_db)

    # Lung pulse: the heart shakes the lung a little, only where the lung touches the chest wall.
    hr = patient["heart_rate_bpm"] * rng.uniform(0.95, 1.05)
    beat = lung_pulse(t, hr, rng.uniform())
    pulse = contact * beat * s["lung_pulse_mm"] * MM
    pleura_line = pleura + chest + pulse
    sc.add_reflectors(pleura_line[:, None], np.array([s["pleura_db"]]))
    if s["pleura_mm"] > 0.05:   # a thick pleural line: a bright slab below the specular echo
        slab = sc.speckle(rng, (sc.n,)) * sc.mask(pleura, pleura + s["pleura_mm"] * MM, 0.2 * MM)
        sc.scene += sc.shift(slab * np.float32(10 ** ((s["pleura_db"] - 8) / 20)), sc.samples(chest + pulse))

    # A-lines: reverberations between probe and pleura at multiples of its depth; stronger without lung.
    k = np.arange(2, 2 + int(s["aline_count"]))
    if len(k):
        step_db = s["aline_step_db"] + s["aline_absent_boost_db"] * (1 - contact)    # per line, dB per bounce
        sc.add_reflectors(k[None, :] * (pleura + chest)[:, None], s["pleura_db"] + (k[None, :] - 1) * step_db[:, None])

    # Below the pleura: reverberation "sand". Sliding: the pattern moves through the beam with the
    # visceral pleura (lateral sliding plus out-of-plane change), so it decorrelates over slow time.
    # No sliding: the same pattern stays put (barcode).
    below = sc.mask(pleura + 0.4 * MM, 1.0, 0.5 * MM) * np.exp(-(sc.z - pleura).clip(0) / (s["sand_decay_cm"] * CM))
    below *= np.float32(10 ** (s["sand_db"] / 20))
    grain = (s["sand_grain"] - 1.0) * sc.cell / 2.355            # extra grain, as a Gaussian sigma in samples
    static = coarsen(sc.speckle(rng, (sc.n,)), grain) * below
    # The sand's pattern changes as the visceral pleura slides (plus out-of-plane change of the
    # reverberations): rate in beam-width correlation lengths per second, fastest mid-breath. A floor
    # keeps it moving in end-expiratory pauses (lung pulse, cardiac and vascular shimmer).
    speed = np.abs(np.gradient(breath))
    speed = np.maximum(speed / (speed.mean() + 1e-12), rng.uniform(0.7, 1.0))
    speed += rng.uniform(0.5, 2.0) * beat          # lung pulse: each heartbeat stirs the sand a little more
    rate = s["sand_rate_per_s"]
    path = np.cumsum(speed * rate / line_rate * contact)     # in correlation lengths
    c = contact.astype(np.float32)[:, None]
    if contact.min() < 1:
        sc.scene += sc.shift(static, shift) * (1 - c)
    if contact.max() > 0:
        # A tilted scan line crosses the sliding pattern: beam half-width ~ one wavelength (F-number 2).
        cols_per_sample = slant * (1540.0 / (2 * sc.fs)) / (1540.0 / sc.fc) if slant else 0.0
        moving = moving_pattern(rng, sc, 2.0 * path, below, grain=grain, slant=cols_per_sample)
        sc.scene += sc.shift(moving, shift + sc.samples(pulse)) * c

    # Rib shadow (nuisance): the probe rocks onto a rib edge for a moment; everything below goes dark.
    rib = bool(rng.uniform() < s["rib_shadow_prob"])
    if rib:
        span_s = n_lines / line_rate
        start, length = rng.uniform(0, t[-1] + 1e-9), rng.uniform(0.04, 0.15) * span_s
        on = window(t, start, length, 0.03 * span_s / 2)
        rib_depth = pleura - rng.uniform(0.1, 0.4) * (pleura - skin)
        loss = 1 - on[:, None] * (1 - 10 ** (-s["rib_shadow_db"] / 20)) * sc.mask(rib_depth + 0.5 * MM, 1.0)
        sc.scene *= loss.astype(np.float32)
        sc.add_reflectors((rib_depth + chest)[:, None], 20 * np.log10(np.maximum(on, 1e-6))[:, None] + 18)

    alpha = np.where(sc.z < fat, 0.63, 0.9).astype(np.float32)
    alpha[sc.z < skin] = 0.35
    img = sc.render(rng, bins=bins, gain_db=s["gain_db"], dynamic_range_db=s["dynamic_range_db"],
                    noise_db=s["noise_db"], attenuation=alpha, tgc_db_cm_mhz=s["tgc_db_cm_mhz"])
    params = {
        "depth_cm": round(depth_cm * along_line, 4), "line_rate_hz": round(line_rate, 3),
        "span_s": round(n_lines / line_rate, 4),
        "pleura_depth_cm": round(pleura / CM * along_line, 4), "fc_hz": round(sc.fc, 1),
        "bandwidth": round(s["bandwidth"], 4), "dynamic_range_db": round(s["dynamic_range_db"], 3),
        "tgc_db_cm_mhz": round(s["tgc_db_cm_mhz"], 4), "gain_db": round(s["gain_db"], 3),
        "noise_db": round(s["noise_db"], 3), "pleura_db": round(s["pleura_db"], 3),
        "pleura_mm": round(s["pleura_mm"], 3), "fascia_db": round(s["fascia_db"], 3),
        "aline_count": int(s["aline_count"]), "sand_db": round(s["sand_db"], 3),
        "sand_grain": round(s["sand_grain"], 3), "sand_rate_per_s": round(rate * float(contact.mean()), 3),
        "heart_rate_bpm": round(hr, 3), "breath_rate_per_min": round(f_breath * 60, 3),
        "sliding_fraction": round(float(np.mean(contact > 0.5)), 4), "transitions": transitions(contact),
        "lung_point_kind": how, "rib_shadow": rib, "jitter_mm": round(s["jitter_mm"], 4),
        "breath_motion_mm": round(s["breath_motion_mm"], 4),
    }
    return img, params


def lung_pulse(t: np.ndarray, hr_bpm: float, phase: float) -> np.ndarray:
    """A short systolic impulse at the heart rate (the lung pulse), values in [0, 1]."""
    cyc = (t * hr_bpm / 60.0 + phase) % 1.0
    return np.exp(-0.5 * ((cyc - 0.2) / 0.06) ** 2)
