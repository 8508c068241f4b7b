"""The labelled tasks: lung sliding (eFAST), cardiac rhythm (ventricle M-mode), A-line tissue class.

Each generator builds one example's phasor scene line by line (vectorised over lines), then runs the
shared receive chain in `physics.display`. Patient-level traits (body habitus, breathing and heart
rates) are shared by the examples of one simulated patient; imaging settings and the look of the
scene are drawn per example from `hwgen.data.randomise` (documented ranges). The lung task lives in
`hwgen.data.lung` (with `hwgen.data.anatomical`), the cardiac one in `hwgen.data.cardiac`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hwgen.data.cardiac import CARDIAC_CLASSES, cardiac_example, cardiac_patient
from hwgen.data.lung import LUNG_CLASSES, lung_example, lung_patient
from hwgen.data.scene import CM, MM, Scene

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


# -- aline ------------------------------------------------------------------------------------------

ALINE_CLASSES = ["soft_tissue", "fluid", "bone"]
ALINE_RATIONALE = (
    "soft_tissue: layered speckle (fat, muscle, organ) with weak fascia echoes - the normal background; "
    "fluid: an anechoic pocket with posterior enhancement - free fluid / effusion (the eFAST/FAST question); "
    "bone: a bright cortical echo with an acoustic shadow below - rib/fracture/needle-guidance landmark."
)


def aline_patient(rng: np.random.Generator, spec: TaskSpec, profile) -> dict:
    """Traits of one simulated patient for the A-line task."""
    return profile.draw_level(rng, "patient")


def aline_example(rng: np.random.Generator, label: int, patient: dict, spec: TaskSpec, time: int,
                  depth: int, profile) -> tuple[np.ndarray, dict]:
    """Single A-lines (time lines, usually 1) of a tissue echo class."""
    kind = ALINE_CLASSES[label]
    s = profile.draw_level(rng, "example")
    s["fc_mhz"] = profile.capped_fc(rng, s["depth_cm"])
    sc = Scene(s["fc_mhz"] * 1e6, s["depth_cm"], time, 0.0, s["bandwidth"])
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
    params = {"fc_hz": round(sc.fc, 1), "depth_cm": round(s["depth_cm"], 3), "bandwidth": round(s["bandwidth"], 4),
              "dynamic_range_db": round(s["dynamic_range_db"], 3), "tgc_db_cm_mhz": round(s["tgc_db_cm_mhz"], 4)}
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
    sc.scene += sc.scatterers(rng, (time, sc.n)) * gain
    depths, dbs = zip(*reflect, strict=True)
    sc.add_reflectors(np.array(depths)[None, :], np.array(dbs))
    img = sc.render(rng, bins=depth, gain_db=s["gain_db"], dynamic_range_db=s["dynamic_range_db"],
                    noise_db=s["noise_db"], attenuation=alpha, tgc_db_cm_mhz=s["tgc_db_cm_mhz"])
    params.update(gain_db=round(s["gain_db"], 3), noise_db=round(s["noise_db"], 3))
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
