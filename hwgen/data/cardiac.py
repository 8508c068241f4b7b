"""The cardiac rhythm task: a parasternal M-mode through both ventricles at the mitral leaflet tips.

From the top: chest wall, pericardium, right-ventricular (RV) free wall, RV cavity, interventricular
septum (IVS), left-ventricular (LV) cavity with the anterior and posterior mitral leaflets, LV
posterior wall, pericardium, tissue behind the heart.

Each beat follows the phases a clinician reads on the trace: ejection (the walls move together over
~0.33 s * sqrt(RR)), isovolumic relaxation (a short plateau), rapid filling (the E wave: the walls
part quickly and the anterior mitral leaflet swings towards the septum), diastasis (slow filling,
the leaflet half closes) and the atrial kick (the A wave: a second, smaller opening). In atrial
fibrillation (most `irregular` windows) there is no A wave. When the next beat comes early the
filling is cut short: the ventricle starts smaller and contracts less (Frank-Starling).

Classes: `normal` 60-100 bpm, `brady` < 60, `tachy` > 100 (regular rhythms, beat-to-beat RR
variation < 6 %), `irregular` (mean beat-to-beat RR difference > 15 % of the mean RR).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from hwgen.data.scene import CM, MM, Scene, layered_tissue, moving_slab, smooth_noise

CARDIAC_CLASSES = ["normal", "brady", "tachy", "irregular"]
HR_RANGES = {"normal": (62, 98), "brady": (38, 57), "tachy": (104, 160), "irregular": (60, 140)}
IRREGULAR_VARIATION = 0.15


def beat_onsets(rng: np.random.Generator, rr_mean: float, span: float, cv: float) -> np.ndarray:
    """Beat onset times covering [-2 s, span]: RR intervals log-normal around rr_mean with variation cv."""
    n = int(np.ceil((span + 2.0) / rr_mean * 1.5)) + 4
    rr = rr_mean * np.exp(cv * rng.standard_normal(n) - 0.5 * cv**2) if cv > 0 else np.full(n, rr_mean)
    rr = np.clip(rr, 0.3, 2.0)            # 30..200 bpm beat to beat: no physiologically impossible beats
    return np.cumsum(rr) - 2.0 - rng.uniform(0, rr_mean)


def _ease(x: np.ndarray) -> np.ndarray:
    """Smooth 0 -> 1 over x in [0, 1] (zero slope at both ends)."""
    return 0.5 * (1 - np.cos(np.pi * np.clip(x, 0, 1)))


def cardiac_cycle(t: np.ndarray, onsets: np.ndarray, atrial_kick: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Contraction state d (0 = filled, end-diastole; ~1 = end-systole) and mitral opening m (0..1).

    Phases per beat (RR = time to the next onset): ejection ts = 0.33 s sqrt(RR), isovolumic
    relaxation 0.06 s sqrt(RR), rapid filling te = 0.16 s sqrt(RR) (70 % of the refill), diastasis,
    atrial kick ta = 0.12 s (the rest; none without atrial_kick). A short diastole squeezes the E and
    A waves together and, below what a full refill needs, leaves the ventricle partly empty.
    """
    d = np.zeros_like(t, dtype=np.float64)
    m = np.zeros_like(t, dtype=np.float64)
    rr_all = np.diff(onsets)
    median = float(np.median(rr_all))
    start = 0.0                                         # state at this beat's onset
    for k in range(len(onsets) - 1):
        rr = rr_all[k]
        prev = rr_all[k - 1] if k else rr
        peak = max(float(np.clip(np.sqrt(prev / median), 0.5, 1.2)), start + 0.1)   # Frank-Starling
        ts = min(0.33 * np.sqrt(rr), 0.45 * rr)
        ivr = min(0.06 * np.sqrt(rr), 0.08 * rr)
        te, ta = 0.16 * np.sqrt(rr), (0.12 if atrial_kick else 0.0)
        diastole = rr - ts - ivr
        need = te + ta + 0.05
        squeeze = min(1.0, diastole / need)
        te, ta = te * squeeze, ta * squeeze
        end = peak * max(0.0, 1 - diastole / need) * 0.6      # left partly empty by an early beat
        e_end = end + 0.3 * (peak - end)
        a_start = end + (0.2 if atrial_kick else 0.0) * (peak - end)
        sel = (t >= onsets[k]) & (t < onsets[k + 1])
        s = t[sel] - onsets[k]
        td = ts + ivr                                   # mitral valve opens (D point)
        val = np.where(s < ts, start + (peak - start) * _ease(s / ts), peak)
        fill = s >= td
        val = np.where(fill, peak - (peak - e_end) * _ease((s - td) / max(te, 1e-3)), val)
        slow = s >= td + te
        dia_len = max(rr - ta - td - te, 1e-3)
        val = np.where(slow, e_end - (e_end - a_start) * np.clip((s - td - te) / dia_len, 0, 1), val)
        if atrial_kick:
            kick = s >= rr - ta
            val = np.where(kick, a_start - (a_start - end) * _ease((s - rr + ta) / max(ta, 1e-3)), val)
        d[sel] = val
        # Mitral opening: keypoints D (opens), E (wide), F (half closes), A (reopens), C (closes).
        keys_t = [0.0, td, td + 0.35 * te, td + te, rr - ta, rr - 0.45 * ta, rr]
        keys_m = [0.0, 0.0, 1.0, 0.35, 0.3, 0.65 if atrial_kick else 0.2, 0.0]
        keys_t = np.maximum.accumulate(np.array(keys_t))
        m[sel] = np.interp(s, keys_t, keys_m)
        start = end
    return d, m


def cardiac_patient(rng: np.random.Generator, spec, profile) -> dict:
    """Traits of one simulated patient for the cardiac task (anatomy and breathing)."""
    return profile.draw_level(rng, "patient")


def cardiac_example(rng: np.random.Generator, label: int, patient: dict, spec, time: int, depth: int,
                    profile) -> tuple[np.ndarray, dict]:
    """One parasternal M-mode (time, depth) over the task's span, rhythm class `label`."""
    kind = CARDIAC_CLASSES[label]
    s = profile.draw_level(rng, "example")
    s["fc_mhz"] = profile.capped_fc(rng, s["depth_cm"])
    sc = Scene(s["fc_mhz"] * 1e6, s["depth_cm"], time, spec.line_rate_hz(time), s["bandwidth"])
    t = sc.t
    lo, hi = HR_RANGES[kind]
    hr = rng.uniform(lo, hi)
    cv = rng.uniform(0.2, 0.35) if kind == "irregular" else rng.uniform(0.0, 0.025)
    for _ in range(50):   # irregular: redraw until the shown beats vary by > 15 % beat to beat
        onsets = beat_onsets(rng, 60.0 / hr, spec.span_s, cv)
        rr = np.diff(onsets[(onsets >= -1.0) & (onsets <= spec.span_s + 1.0)])
        variation = float(np.mean(np.abs(np.diff(rr))) / rr.mean()) if len(rr) > 1 else 0.0
        if kind != "irregular" or variation > IRREGULAR_VARIATION:
            break
    inside = onsets[(onsets >= 0) & (onsets <= spec.span_s)]
    atrial_fibrillation = kind == "irregular" and rng.uniform() < s["af_prob"]
    # A fine time grid (5 ms) for the cycle, then sampled at the lines: no aliasing of fast phases.
    fine = np.arange(-0.2, spec.span_s + 0.2, 0.005)
    d_fine, m_fine = cardiac_cycle(fine, onsets, atrial_kick=not atrial_fibrillation)
    d = np.interp(t, fine, gaussian_filter1d(d_fine, 2.0))
    mitral = np.interp(t, fine, gaussian_filter1d(m_fine, 2.0))

    breath = np.sin(2 * np.pi * patient["breath_rate_per_min"] / 60 * t + rng.uniform(0, 2 * np.pi))
    move = (rng.uniform(0.2, 1.2) * breath + rng.uniform(0.02, 0.1) * smooth_noise(rng, t, 4.0)) * MM

    chest = min(patient["chest_cm"] * rng.uniform(0.95, 1.05), 0.2 * s["depth_cm"]) * CM
    scale = min(1.0, (0.8 * s["depth_cm"] * CM - chest) / (9.5 * CM))   # the heart fits a shallow preset
    rvw_th, ivs_th, lvpw_th = (rng.uniform(0.3, 0.5) * CM * scale, rng.uniform(0.7, 1.1) * CM * scale,
                               rng.uniform(0.7, 1.1) * CM * scale)
    rv_cav = rng.uniform(1.5, 2.5) * CM * scale
    edd = patient["edd_cm"] * CM * rng.uniform(0.95, 1.05) * scale
    short = edd * patient["fs_frac"] * rng.uniform(0.9, 1.1) * d          # LV diameter shortening
    rv_short = rv_cav * rng.uniform(0.2, 0.35) * d                        # RV free wall moves in
    peri_top = chest + rng.uniform(1, 3) * MM + move                      # epicardial fat, then the heart
    rvw_top = peri_top + 0.6 * rv_short
    rvw_bot = peri_top + rvw_th + 0.8 * rv_short                          # the free wall thickens
    ivs_top = peri_top + rvw_th + rv_cav + 0.15 * short
    ivs_bot = ivs_top + ivs_th + 0.25 * short
    lv_back = peri_top + rvw_th + rv_cav + ivs_th + edd                   # end-diastolic posterior endocardium
    lvpw_top = lv_back - 0.6 * short                                      # endocardium moves up 0.6 of the shortening
    lvpw_bot = lv_back + lvpw_th - 0.25 * short                           # epicardium less: the wall thickens

    # Mitral leaflets: closed near the posterior third of the cavity; the anterior leaflet swings
    # towards the septum (E point ~0.3-1 cm from it), the posterior one a third as far the other way.
    closed = lvpw_top - rng.uniform(0.3, 0.4) * (lvpw_top - ivs_bot)
    epss = rng.uniform(0.3, 1.0) * CM * scale
    aml = closed - mitral * np.maximum(closed - ivs_bot - epss, 2 * MM)
    pml = np.minimum(closed + mitral * rng.uniform(0.25, 0.4) * (closed - ivs_bot - epss), lvpw_top - 2 * MM)

    # Chest wall and the tissue behind the heart: static speckle moving with the probe/breathing.
    wall = layered_tissue(rng, sc, [(0.0, 0.2 * CM, 1.5), (0.2 * CM, chest - 0.5 * MM, rng.uniform(0.6, 1.1))])
    sc.scene += sc.shift(wall, sc.samples(move * 0.2))
    behind_top = float(np.max(lvpw_bot)) + 2 * MM
    back = layered_tissue(rng, sc, [(behind_top, 1.0, rng.uniform(0.3, 0.7))])
    sc.scene += sc.shift(back, sc.samples(move))

    # Myocardium: scatterers attached to the moving walls; bright pericardium on both sides of the heart.
    myo = rng.uniform(0.8, 1.2)
    moving_slab(rng, sc, rvw_top, rvw_bot, myo, rvw_th)
    moving_slab(rng, sc, ivs_top, ivs_bot, myo, ivs_th)
    moving_slab(rng, sc, lvpw_top, lvpw_bot, myo, lvpw_th)
    leaflet = rng.uniform(1.5, 3.0) * MM * scale
    moving_slab(rng, sc, aml, aml + leaflet, 2.0, leaflet)
    moving_slab(rng, sc, pml, pml + 0.7 * leaflet, 2.0, 0.7 * leaflet)
    sc.add_reflectors(np.stack([peri_top, lvpw_bot + 0.5 * MM, ivs_top, ivs_bot, aml, pml], 1),
                      np.array([rng.uniform(10, 18), rng.uniform(18, 26), rng.uniform(0, 8), rng.uniform(0, 8),
                                s["mitral_db"], s["mitral_db"] - rng.uniform(0, 6)]))

    # Blood: nearly anechoic, a faint fresh speckle every line (it flows).
    first, last = (int(v) for v in sc.samples(np.array([rvw_bot.min(), lvpw_top.max()])).clip(0, sc.n))
    blood = (sc.mask(rvw_bot, ivs_top) + sc.mask(ivs_bot, lvpw_top))[:, first:last]
    blood *= np.float32(10 ** (rng.uniform(-38, -28) / 20))
    sc.scene[:, first:last] += sc.speckle(rng, blood.shape) * blood

    alpha = np.full(sc.n, 0.52, dtype=np.float32)
    alpha[sc.z < chest] = 0.7
    img = sc.render(rng, bins=depth, gain_db=s["gain_db"], dynamic_range_db=s["dynamic_range_db"],
                    noise_db=s["noise_db"], attenuation=alpha, tgc_db_cm_mhz=s["tgc_db_cm_mhz"])
    rr_shown = rr if len(rr) else np.array([60.0 / hr])
    params = {
        "heart_rate_bpm": round(float(60.0 / rr_shown.mean()), 3), "rr_cv": round(float(rr_shown.std() / rr_shown.mean()), 4),
        "rr_variation": round(variation, 4), "atrial_fibrillation": bool(atrial_fibrillation),
        "beats_shown": int(len(inside)), "depth_cm": round(s["depth_cm"], 3), "fc_hz": round(sc.fc, 1),
        "bandwidth": round(s["bandwidth"], 4), "dynamic_range_db": round(s["dynamic_range_db"], 3),
        "tgc_db_cm_mhz": round(s["tgc_db_cm_mhz"], 4), "gain_db": round(s["gain_db"], 3),
        "noise_db": round(s["noise_db"], 3), "edd_cm": round(edd / CM, 3),
        "fractional_shortening": round(float(patient["fs_frac"]), 4),
    }
    return img, params
