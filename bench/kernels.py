"""Resources of every kernel in kernels/*.v with yosys (synth_xilinx -family xc7, stat -tech xilinx).

Each kernel is synthesized at its default parameters (random weight files of the declared widths),
then the shift engine is compared with the MAC engine at equal parallelism: default shapes
(8-bit data) and 16-bit operands, and axis_fifo is swept over depths to show where yosys moves it
from distributed RAM (LUTRAM) to block RAM. Writes bench/results/kernels.json and prints tables.

    .venv/bin/python bench/kernels.py [--only conv1d_mac shift_conv1d]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
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
    for kernel, err in failures.items():
        print(f"FAILED {kernel}: {err}")

    if args.only and RESULTS.is_file():  # a partial run updates the kernels it measured
        previous = json.loads(RESULTS.read_text())
        results = {**previous.get("kernels", {}), **results}
        sweep = sweep or previous.get("axis_fifo_sweep")
        failures = {k: v for k, v in {**previous.get("failures", {}), **failures}.items() if k not in results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "tool": yosys_version(),
        "flow": "synth_xilinx -family xc7 -flatten; stat -tech xilinx",
        "kernels": results,
        "failures": failures,
        "shift_vs_mac": comparisons,
        "axis_fifo_sweep": sweep,
        "seconds": round(time.perf_counter() - started, 1),
    }, indent=2))
    print(f"\nwrote {RESULTS}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
