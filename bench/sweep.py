"""Benchmark: `hwgen sweep` on lung and cardiac, and its scaling from 1 to 2 local Ray workers.

Per task the grid zoo model (cnn, dscnn, shiftcnn) x width x bits x compression (none, one setting) at one
folding, every point trained, built to RTL, simulated on Verilator (latency, II; bit-exact against the
integer graph on the test split) and synthesised by yosys (LUT, FF, DSP, BRAM): at least 24 points per
task, the Pareto frontiers and plots. Then the same small subset swept twice from scratch, with 1 and with
2 workers (tiny points): the wall times and their ratio, beside the machine's load average (it is shared).

Sized for a 2-core machine shared with other work: a 64 x 32 window (not the task's 256 x 64), 200
examples, 15 epochs (batch 8), and a folding at 16x the input stream's interval (fewer lanes: a smaller design for
yosys); every figure is still measured on its own point's design. Sweep folders go to --work (resumable: rerun to
finish an interrupted benchmark).

    nice .venv/bin/python bench/sweep.py [--tasks lung cardiac] [--work build/bench-sweep] [--skip-scaling]
Writes bench/results/sweep.json, bench/results/sweep_<task>_pareto.png and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
RESULTS = Path(__file__).resolve().parent / "results" / "sweep.json"
ROW_KEYS = ("name", "model", "width", "bits", "compress", "fold", "status", "reason", "accuracy", "keras_accuracy",
            "lut", "ff", "dsp", "bram18", "lut_fraction", "latency_cycles", "ii_cycles", "target_ii", "frames",
            "params", "seconds")


def sweep_config(args, task: str, **axes):
    from hwgen.sweep import SweepConfig

    grid = {"models": args.models, "widths": args.widths, "bits": args.bits, "compress": ["none", args.compress],
            "fold": [args.fold]} | axes
    return SweepConfig(task=task, n=args.n, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                       time=args.time, depth=args.depth, **grid)


def run_task(args, task: str) -> dict:
    from hwgen.sweep import run_sweep

    started = time.perf_counter()
    results = run_sweep(sweep_config(args, task), args.work / task, workers=args.workers)
    if any(r.get("stage") == "ray" for r in results["rows"]):  # a worker Ray lost: those points once more
        results = run_sweep(sweep_config(args, task), args.work / task, workers=args.workers)
    shutil.copy(args.work / task / "pareto.png", RESULTS.with_name(f"sweep_{task}_pareto.png"))
    return {"wall_seconds_this_run": round(time.perf_counter() - started, 1), "points": results["points"],
            "ok": results["ok"], "failed": results["failed"], "frontier": results["frontier"],
            "rows": [{k: r.get(k) for k in ROW_KEYS} for r in results["rows"]],
            "pareto_plot": f"sweep_{task}_pareto.png"}


def run_scaling(args) -> dict:
    """A small subset from scratch with 1 and with 2 workers (Ray start-up included: what a user waits).
    Its points are tiny (a 32 x 8 window, 32 examples, 1 epoch): the ratio, not the figures, is measured."""
    from hwgen.sweep import SweepConfig, points, run_sweep

    cfg = SweepConfig(task=args.scaling_task, models=args.scaling_models, widths=[0.25], bits=[8, 4], fold=["x16"],
                      time=32, depth=8, n=32, epochs=1, verify_max=8, seed=args.seed)
    runs = {}
    for workers in (1, 2):
        folder = args.work / f"scaling-{workers}"
        if folder.exists():
            shutil.rmtree(folder)
        load_before = os.getloadavg()
        started = time.perf_counter()
        results = run_sweep(cfg, folder, workers=workers)
        wall = time.perf_counter() - started
        runs[workers] = {"wall_seconds": round(wall, 1), "ok": results["ok"], "failed": results["failed"],
                         "point_seconds": {r["name"]: r.get("seconds") for r in results["rows"]},
                         "loadavg_before": [round(v, 2) for v in load_before],
                         "loadavg_after": [round(v, 2) for v in os.getloadavg()]}
        print(f"scaling: {workers} worker(s): {wall:.0f} s for {results['points']} points", flush=True)
    return {"task": args.scaling_task, "points": [p.name for p in points(cfg)], "settings": cfg.to_json(),
            "runs": {str(k): v for k, v in runs.items()},
            "speedup_2_vs_1": round(runs[1]["wall_seconds"] / runs[2]["wall_seconds"], 2), "cpus": os.cpu_count()}


def print_summary(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=170)
    for task, res in out["tasks"].items():
        table = Table(title=f"{task}: {res['points']} points ({res['failed']} failed); {out['settings']['window']} "
                            f"window, {out['settings']['n']} examples, {out['settings']['epochs']} epochs, fold "
                            f"{out['settings']['fold']} (L/C: on the LUT / latency Pareto frontier)")
        for col in ("point", "front", "acc", "LUT", "FF", "DSP", "BRAM18", "latency cyc", "II cyc", "s", "status"):
            table.add_column(col, justify="left" if col in ("point", "status") else "right")
        for r in res["rows"]:
            mark = "L" * (r["name"] in res["frontier"]["lut"]) + "C" * (r["name"] in res["frontier"]["latency_cycles"])
            table.add_row(r["name"], mark, *(("-" if r.get(k) is None else f"{r[k]:.3f}" if k == "accuracy" else
                                              f"{r[k]:,.0f}") for k in ("accuracy", "lut", "ff", "dsp", "bram18",
                                                                       "latency_cycles", "ii_cycles", "seconds")),
                          r["status"] if r["status"] == "ok" else f"failed: {r['reason']}")
        console.print(table)
        for cost in ("lut", "latency_cycles"):
            console.print(f"{task} frontier (accuracy vs {cost}): {', '.join(res['frontier'][cost])}")
    if out.get("scaling"):
        s = out["scaling"]
        console.print(f"scaling ({len(s['points'])} points, {s['task']}): 1 worker {s['runs']['1']['wall_seconds']} s, "
                      f"2 workers {s['runs']['2']['wall_seconds']} s: x{s['speedup_2_vs_1']} (load average before: "
                      f"{s['runs']['1']['loadavg_before'][0]} / {s['runs']['2']['loadavg_before'][0]})")
    for s in out.get("scaling_repeats", []):
        console.print(f"scaling, measured again: 1 worker {s['runs']['1']['wall_seconds']} s, 2 workers "
                      f"{s['runs']['2']['wall_seconds']} s: x{s['speedup_2_vs_1']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["lung", "cardiac"])
    parser.add_argument("--models", nargs="+", default=["cnn", "dscnn", "shiftcnn"])
    parser.add_argument("--widths", nargs="+", type=float, default=[0.25, 0.5])
    parser.add_argument("--bits", nargs="+", type=int, default=[8, 4])
    parser.add_argument("--compress", default="slim0.5", help="the one compression setting beside none")
    parser.add_argument("--fold", default="x16")
    parser.add_argument("--time", type=int, default=64)
    parser.add_argument("--depth", type=int, default=32)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=8, help="200 examples: more steps per epoch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("build/bench-sweep"))
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--scaling-only", action="store_true", help="measure the scaling again (kept beside the "
                                                                    "earlier measurements), no task sweeps")
    parser.add_argument("--scaling-task", default="lung")
    parser.add_argument("--scaling-models", nargs="+", default=["dscnn", "shiftcnn"])
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    out = {"settings": {"window": f"{args.time} x {args.depth}", "n": args.n, "epochs": args.epochs, "fold": args.fold,
                        "seed": args.seed, "workers": args.workers, "board": "pynq-z2", "compress": args.compress,
                        "note": "every LUT/FF/DSP/BRAM from yosys synth_xilinx on the point's generated design, every "
                                "cycle count from its Verilator simulation (bit-exact on the test split); accuracy is "
                                "the integer graph's (= the RTL's) on the point's test split"},
           "tasks": {}, "cpus": os.cpu_count()}
    if RESULTS.is_file():  # keep what an earlier (interrupted) run measured
        old = json.loads(RESULTS.read_text())
        if old.get("settings", {}).get("window") == out["settings"]["window"]:
            out["tasks"], out["scaling"] = old.get("tasks", {}), old.get("scaling")
            out["scaling_repeats"] = old.get("scaling_repeats", [])
    if args.scaling_only:
        print("== scaling again: the same subset with 1 and with 2 workers", flush=True)
        out.setdefault("scaling_repeats", []).append(run_scaling(args))
        RESULTS.write_text(json.dumps(out, indent=1))
        print_summary(out)
        return
    for index, task in enumerate(args.tasks):
        print(f"== sweep {task}", flush=True)
        out["tasks"][task] = run_task(args, task)
        RESULTS.write_text(json.dumps(out, indent=1))
        if index == 0 and not args.skip_scaling:  # before the second task: the machine's time is short
            print("== scaling: the same subset with 1 and with 2 workers", flush=True)
            out["scaling"] = run_scaling(args)
            RESULTS.write_text(json.dumps(out, indent=1))
    print_summary(out)


if __name__ == "__main__":
    main()
