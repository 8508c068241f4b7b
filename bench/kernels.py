"""Resources of every kernel in kernels/*.v with yosys (synth_xilinx -family xc7, stat -tech xilinx).

1. Each kernel at its default parameters (random weight files of the declared widths).
2. The shift engine against the MAC engine at equal parallelism: default shapes (8-bit data) and
   16-bit operands.
3. Calibration for the folding cost model: the weighted kernels (conv1d_mac, shift_conv1d,
   depthwise_conv1d and dense, each with multipliers in DSP48s, multipliers in LUTs (-nodsp) and
   power-of-two shifts) over the products they compute per cycle (4..128; depthwise K=9: 9..144),
   at 8-bit unsigned activations (the zoo's, after a quantized_relu) and 8-bit / po2 (2**0..2**7)
   weights, with 16 weight words per product (see FAMILIES); every column is fitted as
   fixed + per_product * products, with the residuals. The LUT-multiplier builds are slow in
   yosys, so they stop at 16 (27) products: a line is still a line.
4. axis_fifo swept over depths: where yosys moves it from distributed RAM (LUTRAM) to block RAM.

Writes bench/results/kernels.json and prints the tables. The default run takes ~10-15 min on two
busy cores (`nice`); --jobs runs yosys in parallel.

    .venv/bin/python bench/kernels.py [--only conv1d_mac shift_conv1d] [--no-calibration] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hwgen.rtl import synth

RESULTS = Path(__file__).resolve().parent / "results" / "kernels.json"
# shift vs MAC at equal parallelism: the same shape, products by shift or by multiply
WIDE = dict(CH_IN=8, CH_OUT=8, K=3, T=32, IN_PAR=2, OUT_PAR=2, DATA_W=16, BIAS_W=16, ACC_W=40)
COMPARISONS = {
    "default (8-bit data, 8-bit / po2 weights <= 2^7)": ({}, {}),
    "wide (16-bit data, 16-bit / po2 weights <= 2^15)": ({**WIDE, "WEIGHT_W": 16}, {**WIDE, "MAX_SHIFT": 15}),
}

# axis_fifo (depth, width): skip FIFOs of 8-bit activations (PAR 1 / 8) from a few beats to a frame
FIFO_SWEEP = [(d, w) for w in (8, 64) for d in (4, 16, 64, 128, 512, 2048)]


# Calibration families: name -> (kernel, product kind, DSP48 allowed, points). Every point keeps 16
# weight words per product lane (a reuse of 16: channels grow with the parallelism), so each
# product carries the same 16-deep weight ROM; with fewer words yosys folds the constant weights
# into the products and the cost stops being per product. 8-bit unsigned activations (the zoo's,
# after a quantized_relu), 8-bit or po2 (2**0..2**7) weights, ACC_W=24 (holds every exact sum here).
ACT = dict(DATA_W=8, DATA_SIGNED=0, ACC_W=24)
MUL = dict(WEIGHT_W=8)
PO2 = dict(MAX_SHIFT=7)
PAIRS = [(2, 2), (4, 2), (4, 4), (8, 4), (8, 8), (16, 8)]        # 4 .. 128 products per cycle
LUT_MULT_PAIRS = PAIRS[:3]                                        # 4 .. 16: LUT multipliers are slow in yosys


def conv_points(pairs) -> list[dict]:
    return [dict(**ACT, K=1, T=16, BIAS_W=16, IN_PAR=a, OUT_PAR=b, CH_IN=4 * a, CH_OUT=4 * b) for a, b in pairs]


def depthwise_points(pars) -> list[dict]:
    return [dict(**ACT, K=9, T=16, BIAS_W=16, PAR=p, CH=16 * p) for p in pars]


def dense_points(pairs) -> list[dict]:
    return [dict(**ACT, IN_PAR=a, OUT_PAR=b, N_IN=4 * a, N_OUT=4 * b) for a, b in pairs]


SHIFT_PO2 = {**PO2, "PRODUCT": "shift", "WEIGHT_W": 5}
FAMILIES = {
    "conv1d_mac (DSP48)": ("conv1d_mac", MUL, True, conv_points(PAIRS)),
    "conv1d_mac (LUT mult)": ("conv1d_mac", MUL, False, conv_points(LUT_MULT_PAIRS)),
    "shift_conv1d": ("shift_conv1d", PO2, True, conv_points(PAIRS)),
    "depthwise_conv1d mul (DSP48)": ("depthwise_conv1d", MUL, True, depthwise_points((1, 2, 4, 8, 16))),
    "depthwise_conv1d mul (LUT mult)": ("depthwise_conv1d", MUL, False, depthwise_points((1, 2, 3))),
    "depthwise_conv1d shift": ("depthwise_conv1d", SHIFT_PO2, True, depthwise_points((1, 2, 4, 8, 16))),
    "dense mul (DSP48)": ("dense", MUL, True, dense_points(PAIRS)),
    "dense mul (LUT mult)": ("dense", MUL, False, dense_points(LUT_MULT_PAIRS)),
    "dense shift": ("dense", SHIFT_PO2, True, dense_points(PAIRS)),
}
FIT_COLUMNS = ("LUT", "FF", "DSP48E1", "CARRY4", "LUTRAM")


def products(params: dict) -> int:
    """Products computed per cycle: K*IN_PAR*OUT_PAR (conv), K*PAR (depthwise), IN_PAR*OUT_PAR (dense)."""
    if "IN_PAR" in params:
        return params["IN_PAR"] * params["OUT_PAR"]
    if "CH_IN" in params:
        return params["K"] * params["IN_PAR"] * params["OUT_PAR"]
    return params["K"] * params["PAR"]


def calibrate(jobs: int) -> dict:
    """Every family's sweep (yosys runs in `jobs` threads) and its per-product fits."""
    runs = [(name, kernel, {**weights, **point}, dsp) for name, (kernel, weights, dsp, points) in FAMILIES.items()
            for point in points]
    print(f"calibration: {len(runs)} yosys runs ({jobs} at a time)", flush=True)

    def one(run):
        name, kernel, params, dsp = run
        result = synth.synthesize(kernel, params, dsp=dsp)
        print(f"    {name:<32} {products(params):>4} products: {result['LUT']:>6} LUT {result['FF']:>5} FF "
              f"{result['DSP48E1']:>4} DSP  ({result['seconds']} s)", flush=True)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(one, runs))
    families: dict[str, dict] = {}
    for (name, kernel, params, dsp), result in zip(runs, results, strict=True):
        family = families.setdefault(name, {"kernel": kernel, "dsp": dsp, "points": []})
        family["points"].append({"products": products(params), **{c: result[c] for c in synth.COLUMNS},
                                 "params": result["params"], "seconds": result["seconds"]})
    for family in families.values():
        n = [pt["products"] for pt in family["points"]]
        family["fit"] = {c: synth.fit_per_product(n, [pt[c] for pt in family["points"]]) for c in FIT_COLUMNS}
    return families


def calibration_table(families: dict) -> str:
    lines = ["Per-product cost fits (count = fixed + per_product * products; 8-bit unsigned data)",
             f"{'family':<34}{'products':>12}" + "".join(f"{c + '/prod':>12}{c + ' fixed':>12}" for c in
                                                         ("LUT", "FF", "DSP48E1")) + f"{'LUT max res':>13}"]
    for name, f in families.items():
        n = [pt["products"] for pt in f["points"]]
        fit = f["fit"]
        lines.append(f"{name:<34}{f'{min(n)}..{max(n)}':>12}" + "".join(
            f"{fit[c]['per_product']:>12}{fit[c]['fixed']:>12}" for c in ("LUT", "FF", "DSP48E1"))
            + f"{fit['LUT']['max_abs_residual']:>8} ({fit['LUT']['max_rel_residual']:.0%})")
    return "\n".join(lines)


def yosys_version() -> str:
    return subprocess.run(["yosys", "-V"], capture_output=True, text=True).stdout.strip()


def table(rows: list[tuple[str, dict]], title: str) -> str:
    cols = synth.COLUMNS
    width = max(len(name) for name, _ in rows) + 2
    lines = [title, f"{'kernel':<{width}}" + "".join(f"{c:>10}" for c in cols) + f"{'yosys s':>10}"]
    for name, r in rows:
        lines.append(f"{name:<{width}}" + "".join(f"{r[c]:>10}" for c in cols) + f"{r['seconds']:>10}")
    return "\n".join(lines)


def products_per_cycle(params: dict) -> int:
    return params["K"] * params["IN_PAR"] * params["OUT_PAR"]


def compare(label: str, mac_params: dict, shift_params: dict) -> dict:
    mac = synth.synthesize("conv1d_mac", mac_params)
    mac_fabric = synth.synthesize("conv1d_mac", mac_params, dsp=False)
    shift = synth.synthesize("shift_conv1d", shift_params)
    assert products_per_cycle(mac["params"]) == products_per_cycle(shift["params"])
    return {
        "label": label,
        "products_per_cycle": products_per_cycle(mac["params"]),
        "conv1d_mac": mac,
        "conv1d_mac_nodsp": mac_fabric,
        "shift_conv1d": shift,
        "lut_ratio_shift_over_mac": round(shift["LUT"] / max(mac["LUT"], 1), 2),
        "lut_ratio_shift_over_mac_nodsp": round(shift["LUT"] / max(mac_fabric["LUT"], 1), 2),
        "dsp_saved": mac["DSP48E1"] - shift["DSP48E1"],
    }


def fifo_sweep() -> list[dict]:
    """axis_fifo at RAM_STYLE "auto" over FIFO_SWEEP: which memory yosys infers at each size."""
    rows = []
    for depth, width in FIFO_SWEEP:
        r = synth.synthesize("axis_fifo", dict(DEPTH=depth, WIDTH=width))
        memory = "BRAM" if r["RAMB18E1"] or r["RAMB36E1"] else "LUTRAM" if r["LUTRAM"] else "FF"
        rows.append({"depth": depth, "width": width, "memory": memory, **{c: r[c] for c in synth.COLUMNS},
                     "seconds": r["seconds"]})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="kernels to synthesize (default: all)")
    parser.add_argument("--no-calibration", action="store_true", help="skip the per-product sweep (~10 min)")
    parser.add_argument("--jobs", type=int, default=1, help="yosys runs in parallel in the sweep (default 1)")
    args = parser.parse_args(argv)
    if not synth.yosys_available():
        print("yosys is not on PATH: nothing measured (apt-get install yosys)")
        return 1
    kernels = args.only or synth.list_kernels()
    started = time.perf_counter()
    results, failures = {}, {}
    for i, kernel in enumerate(kernels, 1):
        print(f"[{i}/{len(kernels)}] yosys synth_xilinx {kernel} ...", flush=True)
        try:
            results[kernel] = synth.synthesize(kernel)
        except Exception as err:  # a broken kernel is reported, the others are still measured
            failures[kernel] = str(err)
            print(f"    FAILED: {err}")
    comparisons = [compare(label, m, s) for label, (m, s) in COMPARISONS.items()]
    sweep = fifo_sweep() if not args.only or "axis_fifo" in args.only else None
    calibration = {} if args.no_calibration or args.only else calibrate(args.jobs)

    print()
    print(table(list(results.items()), f"Kernel resources at default parameters ({yosys_version()}, xc7)"))
    for c in comparisons:
        print()
        rows = [("conv1d_mac", c["conv1d_mac"]), ("conv1d_mac -nodsp", c["conv1d_mac_nodsp"]),
                ("shift_conv1d", c["shift_conv1d"])]
        print(table(rows, f"Shift vs MAC, {c['products_per_cycle']} products/cycle, {c['label']}"))
        print(f"shift engine: {c['dsp_saved']} DSP48E1 saved; LUTs x{c['lut_ratio_shift_over_mac']} of the MAC "
              f"engine's with DSPs, x{c['lut_ratio_shift_over_mac_nodsp']} of its LUT-only (-nodsp) build")
    if sweep:
        print()
        print(table([(f"axis_fifo {r['depth']}x{r['width']} ({r['memory']})", r) for r in sweep],
                    "axis_fifo DEPTH x WIDTH (+ tlast), RAM_STYLE auto: the memory yosys infers"))
    if calibration:
        print()
        print(calibration_table(calibration))
    for kernel, err in failures.items():
        print(f"FAILED {kernel}: {err}")

    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if args.only:  # a partial run updates the kernels it measured
        results = {**previous.get("kernels", {}), **results}
        sweep = sweep or previous.get("axis_fifo_sweep")
        failures = {k: v for k, v in {**previous.get("failures", {}), **failures}.items() if k not in results}
    if not calibration:  # a run without the sweep keeps the last one
        calibration = previous.get("calibration", {})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "tool": yosys_version(),
        "flow": "synth_xilinx -family xc7 -flatten; stat -tech xilinx",
        "kernels": results,
        "failures": failures,
        "shift_vs_mac": comparisons,
        "axis_fifo_sweep": sweep,
        "calibration": calibration,
        "seconds": round(time.perf_counter() - started, 1),
    }, indent=2))
    print(f"\nwrote {RESULTS}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
