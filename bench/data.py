"""Benchmark of the ultrasound data generator: speed per task and the physics figures it must meet.

Prints a table and writes bench/results/data.json. Speed is given as wall time and as this process's
CPU time (the machine may be shared: CPU time is what one core spends). The physics figures are
measured on the randomised default settings (and on generator 1.0's narrow `v1` family, for
comparison): slow-time correlation below the pleura (motion-compensated) per class and regime, the
lung-point definition on every example, heart rate by autocorrelation, and the deep end of the image
under a bone shadow (no bright band). Run:

    .venv/bin/python bench/data.py            # 600 lung examples (the issue's target: < 30 s on one core)
    .venv/bin/python bench/data.py --n 120    # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from hwgen.data import physics as ph  # noqa: E402
from hwgen.data import synthesize  # noqa: E402
from hwgen.data.lung import LUNG_POINT_MIN_FRACTION  # noqa: E402
from hwgen.data.measure import (  # noqa: E402
    RAYLEIGH_MEAN_OVER_STD,
    heart_rate_bpm,
    speckle_ratio,
    temporal_correlation,
)

RESULTS = Path(__file__).parent / "results" / "data.json"


def speed(task: str, n: int, seed: int = 7) -> dict:
    """Wall and CPU time to synthesise n examples of a task at its default size."""
    wall, cpu = time.perf_counter(), time.process_time()
    ds = synthesize(task, n, seed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    lines = ds.x.shape[0] * ds.x.shape[1]
    return {"task": task, "n": n, "shape": list(ds.x.shape), "wall_s": wall, "cpu_s": cpu,
            "examples_per_s_cpu": n / cpu, "lines_per_s_cpu": lines / cpu,
            "examples_per_s_wall": n / wall, "lines_per_s_wall": lines / wall}


def speckle() -> dict:
    """Envelope mean/std of fully developed speckle (10 scatterers per resolution cell) at three probes."""
    out = {}
    for fc, ratio in ((2.5e6, 4), (3.5e6, 5), (7.5e6, 6)):
        fs = ratio * fc
        env = ph.envelope(ph.echo_rf(ph.scatterers(np.random.default_rng(1), (200, 4000), fc, fs), fc, fs))
        out[f"{fc / 1e6:g}MHz fs={ratio}fc"] = speckle_ratio(env[:, 50:-50])
    return out


def decorrelation(n: int = 150, seed: int = 3, family=None) -> dict:
    """Slow-time correlation below the pleura at lag 0.25 s (native) or two frames (anatomical), per
    regime and lung class (1 = frozen; motion-compensated; windows with a rib shadow left out), and
    the AUC of sliding vs absent on it."""
    ds = synthesize("lung", n, seed, family=family)
    bins = ds.x.shape[2]
    per: dict[str, dict[str, list[float]]] = {}
    for i, p in enumerate(ds.params):
        if p["rib_shadow"]:
            continue
        top = int(np.ceil((p["pleura_depth_cm"] + p.get("pleura_mm", 0) / 10) / p["depth_cm"] * bins)) + 1
        lag = int(0.25 * p["line_rate_hz"]) if p["regime"] == "native" else max(1, round(2 * ds.x.shape[1] / p["frames"]))
        corr = temporal_correlation(ds.x[i], top, top + bins // 6, lag)
        per.setdefault(p["regime"], {c: [] for c in ds.classes})[ds.classes[ds.y[i]]].append(corr)
    out = {}
    for regime, classes in per.items():
        out[regime] = {c: {"median": float(np.median(v)), "min": float(np.min(v)), "max": float(np.max(v)), "n": len(v)}
                       for c, v in classes.items() if v}
        s, a = np.array(classes["sliding"]), np.array(classes["absent"])
        out[regime]["auc_sliding_vs_absent"] = float(np.mean(s[:, None] < a[None, :])) if len(s) and len(a) else None
    return out


def lung_point_definition(n: int = 300, seed: int = 5) -> dict:
    """Every lung point shows both patterns, each over >= LUNG_POINT_MIN_FRACTION of the window."""
    fractions = []
    for family in (None, "held_lung_point_segments"):
        ds = synthesize("lung", n, seed, time=64, depth=32, family=family)
        fractions += [p["sliding_fraction"] for p, y in zip(ds.params, ds.y, strict=True) if ds.classes[y] == "lung_point"]
    ok = [LUNG_POINT_MIN_FRACTION <= f <= 1 - LUNG_POINT_MIN_FRACTION for f in fractions]
    return {"examples": len(fractions), "holding": int(sum(ok)), "min_sliding_fraction": float(min(fractions)),
            "max_sliding_fraction": float(max(fractions))}


def deep_end(n: int = 200, seed: int = 2) -> dict:
    """Display level in the deepest 4 bins minus 8-12 bins up, under a bone shadow (aline) and in lung."""
    ds = synthesize("aline", n, seed)
    bone = ds.x[ds.y == ds.classes.index("bone"), 0]
    lung = synthesize("lung", 30, seed, family={"anatomical_fraction": 0.0}).x.mean(axis=(0, 1))
    return {"aline_bone_shadow_rise": float(bone[:, -4:].mean() - bone[:, -12:-8].mean()),
            "lung_rise": float(lung[-4:].mean() - lung[-12:-8].mean())}


def heart_rate(n: int = 80, seed: int = 3) -> dict:
    """Heart rate from autocorrelation vs the generator's value, regular rhythms."""
    ds = synthesize("cardiac", n, seed)
    err = np.array([heart_rate_bpm(ds.x[i], ds.meta["line_rate_hz"]) / ds.params[i]["heart_rate_bpm"] - 1
                    for i in range(n) if ds.classes[ds.y[i]] != "irregular"])
    return {"examples": int(len(err)), "max_abs_error_pct": float(np.abs(err).max() * 100),
            "mean_abs_error_pct": float(np.abs(err).mean() * 100)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="lung examples for the speed run")
    args = parser.parse_args()
    runs = [speed("lung", args.n), speed("cardiac", max(args.n // 5, 12)), speed("aline", args.n * 5)]
    print(f"{'task':8} {'n':>6} {'shape':>16} {'wall s':>8} {'cpu s':>8} {'ex/s(cpu)':>10} {'lines/s(cpu)':>13}")
    for r in runs:
        print(f"{r['task']:8} {r['n']:6d} {str(tuple(r['shape'][1:])):>16} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} "
              f"{r['examples_per_s_cpu']:10.1f} {r['lines_per_s_cpu']:13,.0f}")
    lung = runs[0]
    per600 = lung["cpu_s"] / lung["n"] * 600
    print(f"\n600 lung examples: {per600:.1f} s CPU (target < 30 s on one core)")
    sp = speckle()
    print("speckle envelope mean/std (Rayleigh 1.913): " + ", ".join(f"{k} {v:.3f}" for k, v in sp.items()))
    dec = {"default": decorrelation(), "v1": decorrelation(90, family="v1")}
    print("slow-time correlation below the pleura (motion-compensated; median [min, max]):")
    for family, regimes in dec.items():
        for regime, classes in regimes.items():
            print(f"  {family:7} {regime:10} AUC sliding<absent {classes['auc_sliding_vs_absent']:.3f}: " + "  ".join(
                f"{c} {v['median']:.3f} [{v['min']:.3f}, {v['max']:.3f}]" for c, v in classes.items() if isinstance(v, dict)))
    lpd = lung_point_definition()
    print(f"lung-point definition (each pattern >= {LUNG_POINT_MIN_FRACTION:.0%}): {lpd['holding']}/{lpd['examples']} "
          f"examples hold (sliding fraction {lpd['min_sliding_fraction']:.2f}-{lpd['max_sliding_fraction']:.2f})")
    deep = deep_end()
    print(f"deepest 4 bins minus 8-12 bins up: under a bone shadow {deep['aline_bone_shadow_rise']:+.3f}, "
          f"lung mean {deep['lung_rise']:+.3f} (display units)")
    hr = heart_rate()
    print(f"heart rate by autocorrelation: max |error| {hr['max_abs_error_pct']:.2f} %, "
          f"mean {hr['mean_abs_error_pct']:.2f} % over {hr['examples']} regular examples")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "speed": runs, "lung_600_cpu_s": per600, "speckle_mean_over_std": sp,
        "rayleigh_mean_over_std": RAYLEIGH_MEAN_OVER_STD, "lung_correlation": dec,
        "lung_point_definition": lpd, "deep_end": deep, "heart_rate": hr,
    }, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
