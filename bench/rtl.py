"""Benchmark: the RTL backend on the demo's lung model shape (256 x 64 window, 8-bit) for the PYNQ-Z2.

Per model (shiftcnn, dscnn): the builder's export, convert_hls (hls4ml's ESTIMATES), rtl (default
folding), rtlsim (Verilator, bit-exact on every frame: latency and back-to-back interval measured)
and synth (yosys synth_xilinx: LUT/FF/DSP/BRAM and the share of the xc7z020), side by side with the
hls4ml estimates. Then the folding sweep: the same model at 3-4 target IIs, cycles measured in
simulation against LUTs (yosys, or the calibrated estimate with --sweep-estimate), drawn as a plot.

Untrained (seeded) weights: hardware cost and bit-exactness do not depend on training.

    .venv/bin/python bench/rtl.py [--models shiftcnn dscnn] [--targets 1 2 4 8] [--frames 16] [--sweep-estimate]
Writes bench/results/rtl.json, bench/results/rtl_sweep.png and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
RESULTS = Path(__file__).resolve().parent / "results" / "rtl.json"
PLOT = RESULTS.with_name("rtl_sweep.png")
SHAPE = (256, 64)
TARGETS = {"latency_cycles": 5000, "interval_cycles": 2560, "lut_fraction": 0.40}


def bench_model(name: str, out: Path, frames: int, board: str) -> dict:
    from hwgen import models
    from hwgen.builder import BuildConfig, run_build

    model = models.build(name, SHAPE, 3, bits=8)
    folder = out / name
    folder.mkdir(parents=True)
    model.save(folder / "model.h5", include_optimizer=False)
    rng = np.random.default_rng(0)
    for part, size in (("calib", 64), ("verify", frames)):
        np.savez(folder / f"{part}.npz", x=rng.random((size,) + SHAPE).astype(np.float32),
                 y=rng.integers(0, 3, size), index=np.arange(size))
    cfg = BuildConfig(out=str(folder / "build"), source=str(folder / "model.h5"), board=board, backend="rtl",
                      calib=str(folder / "calib.npz"), verify_data=str(folder / "verify.npz"),
                      steps=["step_export", "step_convert_hls", "step_rtl", "step_rtlsim", "step_synth"])
    started = time.perf_counter()
    records = run_build(cfg)
    hls = json.loads((folder / "build" / "hls" / "report.json").read_text())["totals"]
    manifest = json.loads((folder / "build" / "rtl" / "rtl.json").read_text())
    sim, synth = records["step_rtlsim"], records["step_synth"]
    return {
        "model": name, "input_shape": list(SHAPE), "bits": 8, "board": board, "seconds": round(time.perf_counter()
                                                                                              - started, 1),
        "graph": folder / "build" / "graph",
        "rtl": {
            "frames": sim["frames"], "bit_exact": sim["bit_exact"], "latency_cycles": sim["latency_cycles"]["first"],
            "interval_cycles": sim["interval_cycles"]["median"], "predicted_ii": manifest["cycles"]["ii"],
            "predicted_latency": manifest["cycles"]["latency"], "bottleneck": manifest["cycles"]["bottleneck"],
            "target_ii": manifest["target_ii"], "chosen_target_ii": manifest["chosen_target_ii"],
            "folding": {layer["layer"]: layer["fold"] for layer in manifest["layers"] if layer["fold"]},
            "counts": synth["counts"], "used": synth["used"], "fraction": synth["fraction"],
            "estimate": manifest["resources_estimate"], "synth_seconds": synth["seconds"],
            "sim_build_seconds": sim["build_seconds"], "cycles_per_second": sim["cycles_per_second"],
        },
        "hls4ml_estimate": {k: hls[k] for k in ("est_lut", "est_dsp", "est_bram18", "est_latency_cycles",
                                                "est_interval_cycles", "est_fitting_reuse")},
    }


def sweep(graph_dir: Path, out: Path, factors, frames: int, board, estimate_only: bool) -> list[dict]:
    """The model at target IIs factor x the stream's beats: measured cycles vs LUTs."""
    from hwgen.graph import load
    from hwgen.rtl import flow

    graph = load(graph_dir)
    stream = flow.plan(graph, 64, board=board)[1]["stream_ii"]
    rows = []
    x = np.random.default_rng(1).random((frames,) + tuple(graph.input_shape))
    for factor in factors:
        folder = out / f"ii{factor}"
        manifest = flow.generate(graph, folder / "rtl", 64, int(stream * factor * flow.DEFAULT_SLACK), None, board)
        record = flow.simulate(graph, folder / "rtl", x, out_dir=folder / "sim")
        flow.check_simulation(record, str(folder))
        row = {"target_ii": manifest["target_ii"], "predicted_ii": manifest["cycles"]["ii"],
               "interval_cycles": record["interval_cycles"]["median"] if record["interval_cycles"] else None,
               "latency_cycles": record["latency_cycles"]["first"], "estimate_lut": manifest["resources_estimate"]["LUT"],
               "products_per_cycle": sum(k["products_per_cycle"] for layer in manifest["layers"]
                                         for k in layer["kernels"])}
        if not estimate_only:
            synth = flow.synthesize(folder / "rtl", board)
            row.update(lut=synth["used"]["lut"], ff=synth["used"]["ff"], dsp=synth["used"]["dsp"],
                       lut_fraction=synth["fraction"]["lut"])
        rows.append(row)
        print(f"  target II {row['target_ii']}: interval {row['interval_cycles']}, LUT "
              f"{row.get('lut', '~' + str(row['estimate_lut']))}", flush=True)
    return rows


def plot(sweeps: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, rows in sweeps.items():
        luts = [r.get("lut", r["estimate_lut"]) for r in rows]
        ax.plot([r["interval_cycles"] for r in rows], luts, "o-", label=name)
        for r, lut in zip(rows, luts, strict=True):
            ax.annotate(f"II {r['target_ii']}", (r["interval_cycles"], lut), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    ax.axhline(0.4 * 53200, color="grey", ls="--", lw=0.8, label="40 % of xc7z020 LUTs")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("measured interval (cycles per 256 x 64 window, Verilator)")
    ax.set_ylabel("LUTs (yosys synth_xilinx)" if all("lut" in r for rows in sweeps.values() for r in rows)
                  else "LUTs (yosys, or ~ calibrated estimate)")
    ax.set_title("hwgen RTL folding sweep (pynq-z2, 100 MHz)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="RTL backend vs hls4ml estimates: demo lung shape 256 x 64, 8-bit, pynq-z2 @ 100 MHz")
    for col in ("model", "view", "latency cyc", "II cyc", "LUT", "FF", "DSP", "BRAM18", "LUT %", "bit-exact"):
        table.add_column(col, justify="right")
    for r in rows:
        t, h = r["rtl"], r["hls4ml_estimate"]
        table.add_row(r["model"], "hwgen RTL (measured)", str(t["latency_cycles"]), str(t["interval_cycles"]),
                      f"{t['used']['lut']:,}", f"{t['used']['ff']:,}", str(t["used"]["dsp"]), str(t["used"]["bram18"]),
                      f"{t['fraction']['lut']:.1%}", f"{t['frames']} frames" if t["bit_exact"] else "NO")
        table.add_row("", f"hls4ml (estimate, reuse {h['est_fitting_reuse']})", str(h["est_latency_cycles"]),
                      str(h["est_interval_cycles"]), f"{h['est_lut']:,}", "-", str(h["est_dsp"]), str(h["est_bram18"]),
                      f"{h['est_lut'] / 53200:.1%}", "C-sim")
    Console(width=160).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["shiftcnn", "dscnn"])
    parser.add_argument("--targets", nargs="+", type=float, default=[1, 2, 4, 8],
                        help="folding sweep: target II as multiples of the input stream's beats per frame")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--board", default="pynq-z2")
    parser.add_argument("--sweep-estimate", action="store_true", help="sweep LUTs from the calibrated estimate "
                                                                      "instead of yosys (faster)")
    parser.add_argument("--sweep-models", nargs="*", default=["shiftcnn"])
    args = parser.parse_args()
    from hwgen.boards import get

    board = get(args.board)
    rows, sweeps = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-rtl-") as tmp:
        for name in args.models:
            print(f"== {name}", flush=True)
            row = bench_model(name, Path(tmp), args.frames, args.board)
            if name in args.sweep_models:
                sweeps[name] = sweep(row["graph"], Path(tmp) / f"{name}-sweep", args.targets, 8, board,
                                     args.sweep_estimate)
            row["graph"] = str(row["graph"].relative_to(tmp))
            rows.append(row)
    if sweeps:
        plot(sweeps, PLOT)
    met = {r["model"]: {"latency": r["rtl"]["latency_cycles"] <= TARGETS["latency_cycles"],
                        "interval": r["rtl"]["interval_cycles"] <= TARGETS["interval_cycles"],
                        "lut": r["rtl"]["fraction"]["lut"] <= TARGETS["lut_fraction"],
                        "zero_dsp": r["rtl"]["used"]["dsp"] == 0} for r in rows}
    RESULTS.write_text(json.dumps({"targets": TARGETS, "models": rows, "sweeps": sweeps, "met": met,
                                   "plot": PLOT.name if sweeps else None}, indent=1))
    print_table(rows)
    print(json.dumps(met))


if __name__ == "__main__":
    main()
