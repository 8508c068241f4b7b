"""Benchmark model compression (pruning, knowledge distillation, low-rank) where a device builder feels it.

For each task and seed: one synthetic data set (saved once, so every run reads the same file), three
baseline runs trained like `hwgen train --qat-from-float` (cnn: the teacher; dscnn and shiftcnn: the
distillation students), then every compression point exactly as `hwgen compress` makes it (same
function, same run layout), then each run's hardware figures from `hardware_figures`. Prints a table
per task, writes bench/results/compress.json and draws bench/results/compress_pareto.png.

Accuracy is the mean over seeds with its spread (max - min; the table shows +- half of it). Parameters,
MACs, non-zero MACs and weight bits are the integer graph's cost model (`hwgen.graph.cost`), averaged
over seeds (slimming keeps a different number of channels per seed). Hardware figures come from one
function, `hardware_figures`: today the hls4ml project's ANALYTIC ESTIMATES (`hwgen/hls/report.py`,
marked `*`), at one reuse factor per task (the smallest the cnn teacher fits the board with), so LUTs
compare at equal folding; see that function for the switch to the RTL backend's measured figures.

Goals checked (issue 12): a compressed model within 1 point of the cnn teacher's accuracy with at most
50 % of its LUTs; distillation lifting cardiac shiftcnn/dscnn to within 3 points of cnn.

    nice .venv/bin/python bench/compress.py                 # lung + cardiac, seeds 0,1,2 (~1-1.5 h, 2 cores)
    nice .venv/bin/python bench/compress.py --quick         # seed 0, 300 examples, short training (smoke)
    nice .venv/bin/python bench/compress.py --n 1200 --seeds 0,1,2,3,4 --hw-seeds all --csim   # larger
    .venv/bin/python bench/compress.py --plot-only          # redraw tables and plot from compress.json
    --resume reuses finished runs and builds under --work (an interrupted benchmark picks up where it was).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = Path(__file__).resolve().parent / "results" / "compress.json"
PLOT = RESULTS.with_name("compress_pareto.png")
WORK = Path(__file__).resolve().parent.parent / "build" / "bench" / "compress"
BASELINES = ("cnn", "dscnn", "shiftcnn")
TEACHER = "cnn"
COSTS = ("params", "macs", "nonzero_macs", "shift_macs", "weight_bits", "zero_weights")
HARDWARE = ("est_lut", "est_dsp", "est_bram18", "est_latency_cycles", "est_interval_cycles")


@dataclass
class Point:
    """One compression point: `hwgen compress <source> [--distill-from <teacher>] <options>`."""

    name: str
    family: str
    source: str                      # a baseline model name or an earlier point's name
    teacher: str | None = None
    options: dict = field(default_factory=dict)


# Distillation fine-tunes at the students' own training rate (hwgen train's default), longer than the
# compression fine-tunes: measured on cardiac seed 0, KD at a third of it barely moved shiftcnn. The
# controls run the same schedule with alpha = 0 (plain cross-entropy, see hwgen.compress.distill), so the
# table separates what the teacher adds from what more training adds.
STUDENT = {"learning_rate": 2e-3, "epochs": 30, "patience": 8}

POINTS = [
    Point("cnn prune 50%", "prune", "cnn", options={"prune": 0.5}),
    Point("cnn prune 75%", "prune", "cnn", options={"prune": 0.75}),
    Point("cnn slim 50%", "slim", "cnn", options={"prune_channels": 0.5}),
    Point("cnn slim 65%", "slim", "cnn", options={"prune_channels": 0.65}),
    Point("cnn low-rank 50%", "low-rank", "cnn", options={"rank_budget": 0.5}),
    Point("cnn slim 50% + prune 50%", "combined", "cnn", options={"prune_channels": 0.5, "prune": 0.5}),
    Point("cnn low-rank 50% + prune 50%", "combined", "cnn", options={"rank_budget": 0.5, "prune": 0.5}),
    Point("cnn prune 75% + KD", "combined", "cnn", "cnn", {"prune": 0.75}),
    Point("cnn slim 65% + KD", "combined", "cnn", "cnn", {"prune_channels": 0.65}),
    Point("shiftcnn CE fine-tune (control)", "control", "shiftcnn", "cnn", {"alpha": 0.0, **STUDENT}),
    Point("shiftcnn <- cnn KD", "distill", "shiftcnn", "cnn", {"distill": "kd", **STUDENT}),
    Point("shiftcnn <- cnn DKD", "distill", "shiftcnn", "cnn", {"distill": "dkd", **STUDENT}),
    Point("shiftcnn <- cnn KD+AT", "distill", "shiftcnn", "cnn", {"distill": "kd,at", **STUDENT}),
    Point("dscnn CE fine-tune (control)", "control", "dscnn", "cnn", {"alpha": 0.0, **STUDENT}),
    Point("dscnn <- cnn KD", "distill", "dscnn", "cnn", {"distill": "kd", **STUDENT}),
    Point("dscnn <- cnn DKD", "distill", "dscnn", "cnn", {"distill": "dkd", **STUDENT}),
    Point("shiftcnn <- pruned cnn KD", "prune-then-distill", "shiftcnn", "cnn prune 50%", {"distill": "kd", **STUDENT}),
    Point("dscnn <- cnn KD + prune 50%", "combined", "dscnn", "cnn", {"distill": "kd", "prune": 0.5, **STUDENT}),
]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# ---------------------------------------------------------------- hardware figures: THE switch point


def hardware_figures(run_dir: Path, build_dir: Path, *, board: str, reuse, csim: bool, resume: bool) -> dict:
    """The hardware figures of one run. Every point's LUTs, DSPs and cycles come from here.

    Today (the RTL backend is not on main yet): `hwgen build RUN --stop convert_hls` (or `--stop csim`
    with `csim`), and the hls4ml layer report's ANALYTIC ESTIMATES (hwgen/hls/report.py: multipliers =
    non-zero weights / reuse, so pruned zeros lower them; not synthesis), labelled
    hw_source = "hls4ml-estimate". To switch to the RTL backend's measured figures, replace the body
    below the docstring with:

        run_build(BuildConfig(out=str(build_dir), source=str(run_dir), board=board, backend="rtl"),
                  stop="synth", force=True)
        synth = json.loads((build_dir / "rtl" / "synth.json").read_text())    # yosys LUT/FF/DSP
        sim = json.loads((build_dir / "rtl" / "rtlsim.json").read_text())     # Verilator cycles
        return {"hw_source": "rtl-measured", "lut": ..., "ff": ..., "dsp": ..., "cycles": ...}

    and rename HARDWARE's keys (est_lut -> lut, ...) in this file; the table, goals and plot read them
    through HARDWARE and `lut_key` only.
    """
    from hwgen.builder import BuildConfig, run_build

    report_file, csim_file = build_dir / "hls" / "report.json", build_dir / "hls" / "csim.json"
    fresh = report_file.is_file() and report_file.stat().st_mtime > (run_dir / "model.h5").stat().st_mtime
    if not (resume and fresh and (csim_file.is_file() or not csim)):
        cfg = BuildConfig(out=str(build_dir), source=str(run_dir), board=board, reuse=reuse)
        run_build(cfg, stop="csim" if csim else "convert_hls", force=True)
    report = json.loads(report_file.read_text())
    totals = report["totals"]
    figures = {"hw_source": "hls4ml-estimate", "reuse": report["reuse"], **{k: totals[k] for k in HARDWARE}}
    if csim:
        figures["csim_mismatches"] = json.loads(csim_file.read_text())["golden_vs_csim_mismatches"]
    return figures


lut_key = "est_lut"


# ---------------------------------------------------------------- one task and seed


def run_seed(task: str, seed: int, args, console) -> list[dict]:
    from hwgen.compress import CompressConfig, compress_run
    from hwgen.data import save, synthesize
    from hwgen.train import TrainConfig, train_model

    work = args.work / task / f"seed{seed}"
    work.mkdir(parents=True, exist_ok=True)
    data_file = work / "data.npz"
    if not (args.resume and data_file.is_file()):
        save(synthesize(task, args.n, seed=seed, progress=True), data_file)
    runs: dict[str, Path] = {}
    rows = []

    def finished(path: Path) -> bool:
        return args.resume and (path / "metrics.json").is_file() and (path / "model.h5").is_file()

    for model in BASELINES:
        out = work / model
        started = time.perf_counter()
        if not finished(out):
            train_model(TrainConfig(task=task, model=model, data=str(data_file), out=str(out), seed=seed,
                                    qat_from_float=True, float_epochs=args.float_epochs, epochs=args.qat_epochs,
                                    progress=True))
        runs[model] = out
        rows.append(_row(task, seed, model, "baseline", out, None, time.perf_counter() - started))
    for point in args.points:
        out = work / slug(point.name)
        started = time.perf_counter()
        if not finished(out):
            console.rule(f"{task} seed {seed}: {point.name}")
            options = {"epochs": args.ft_epochs, "slim_epochs": args.slim_epochs} | point.options
            if args.quick:
                options["epochs"] = min(options["epochs"], args.ft_epochs)
            compress_run(CompressConfig(run=str(runs[point.source]), out=str(out),
                                        teacher=str(runs[point.teacher]) if point.teacher else None,
                                        force=True, **options), console)
        runs[point.name] = out
        rows.append(_row(task, seed, point.name, point.family, out, point, time.perf_counter() - started))
    if seed in args.hw_seeds:
        reuse = args.reuse
        for row in rows:  # the teacher first: its fitting reuse is every point's
            build = work / "build" / slug(row["point"])
            row.update(hardware_figures(Path(row["run"]), build, board=args.board, csim=args.csim,
                                        reuse="auto" if reuse == "teacher" else reuse,
                                        resume=args.resume))
            if reuse == "teacher":
                reuse = row["reuse"]
    return rows


def _row(task, seed, name, family, run_dir: Path, point: Point | None, seconds: float) -> dict:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    row = {"task": task, "seed": seed, "point": name, "family": family, "run": str(run_dir),
           "model": metrics["model"], "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
           **{k: metrics[k] for k in COSTS}, "seconds": round(seconds, 1)}
    if point is not None:
        record = metrics["compression"]
        row.update(source=point.source, teacher=point.teacher, options=point.options,
                   train_seconds=metrics["train_seconds"])
        if "prune" in record:
            row["sparsity"] = record["prune"]["achieved"]
        if "slim" in record:
            row["channels"] = [record["slim"]["channels_before"], record["slim"]["channels_after"]]
        if "low_rank" in record:
            row["ranks"] = {n: r["rank"] for n, r in record["low_rank"].items() if "kept" not in r}
        if "teacher" in record:
            row["teacher_accuracy"] = record["teacher"]["accuracy"]
    return row


# ---------------------------------------------------------------- aggregation, goals, table, plot


def aggregate(rows: list[dict]) -> list[dict]:
    import numpy as np

    groups: dict = {}
    for r in rows:
        groups.setdefault((r["task"], r["point"]), []).append(r)
    merged = []
    for (task, point), runs in groups.items():
        acc = np.array([r["accuracy"] for r in runs])
        row = {"task": task, "point": point, "family": runs[0]["family"], "model": runs[0]["model"],
               "seeds": [r["seed"] for r in runs], "accuracy": float(acc.mean()),
               "accuracy_spread": float(acc.max() - acc.min()), "accuracy_per_seed": [round(float(a), 4) for a in acc],
               "macro_f1": float(np.mean([r["macro_f1"] for r in runs]))}
        for key in COSTS + ("sparsity",):
            values = [r[key] for r in runs if key in r]
            if values:
                row[key] = float(np.mean(values)) if key == "sparsity" else int(round(float(np.mean(values))))
        hw = [r for r in runs if HARDWARE[0] in r]
        if hw:
            row["hw_seeds"] = [r["seed"] for r in hw]
            row["hw_source"] = hw[0]["hw_source"]
            row["reuse"] = hw[0]["reuse"]
            for key in HARDWARE:
                row[key] = int(round(float(np.mean([r[key] for r in hw]))))
            if "csim_mismatches" in hw[0]:
                row["csim_mismatches"] = int(sum(r["csim_mismatches"] for r in hw))
        for key in ("channels", "ranks", "options", "source", "teacher"):
            if key in runs[0]:
                row[key] = runs[0][key]
        row["seconds"] = round(sum(r["seconds"] for r in runs), 1)
        merged.append(row)
    return merged


def goals(merged: list[dict]) -> dict:
    """The issue's two goals, on the seed means."""
    out = {}
    for task in sorted({r["task"] for r in merged}):
        rows = {r["point"]: r for r in merged if r["task"] == task}
        teacher = rows.get(TEACHER)
        if teacher is None:
            continue
        entry: dict = {"teacher_accuracy": round(teacher["accuracy"], 4)}
        if lut_key in teacher:
            keep = [r for r in rows.values() if r["point"] != TEACHER and lut_key in r
                    and r["accuracy"] >= teacher["accuracy"] - 0.01 and r[lut_key] <= 0.5 * teacher[lut_key]]
            keep.sort(key=lambda r: r[lut_key])
            entry["lut_goal"] = {
                "rule": "accuracy >= teacher - 1 point and LUT <= 50 % of the teacher's",
                "teacher_lut": teacher[lut_key], "met": bool(keep),
                "points": [{"point": r["point"], "accuracy": round(r["accuracy"], 4),
                            "lut_ratio": round(r[lut_key] / teacher[lut_key], 3)} for r in keep],
            }
        for student in ("shiftcnn", "dscnn"):
            distilled = [r for r in rows.values() if r["model"] == student and r["family"] in
                         ("distill", "prune-then-distill") and r["point"] != student]
            if not distilled:
                continue
            best = max(distilled, key=lambda r: r["accuracy"])
            control = next((r for r in rows.values() if r["model"] == student and r["family"] == "control"), None)
            entry[f"{student}_distill_goal"] = {
                "rule": "distilled student within 3 points of the cnn teacher",
                "baseline_accuracy": round(rows[student]["accuracy"], 4) if student in rows else None,
                "control_accuracy": round(control["accuracy"], 4) if control else None,
                "best_point": best["point"], "best_accuracy": round(best["accuracy"], 4),
                "points_below_teacher": round(100 * (teacher["accuracy"] - best["accuracy"]), 1),
                "met": bool(best["accuracy"] >= teacher["accuracy"] - 0.03),
            }
        out[task] = entry
    return out


def print_tables(merged, goal, settings, console) -> None:
    from rich.table import Table

    for task in dict.fromkeys(r["task"] for r in merged):
        rows = [r for r in merged if r["task"] == task]
        teacher = next((r for r in rows if r["point"] == TEACHER), None)
        hw = next((r for r in rows if lut_key in r), None)
        title = (f"compression on {task}: accuracy over seeds {rows[0]['seeds']} (mean +-half spread); * = "
                 f"{hw['hw_source']} at reuse {hw['reuse']}, seed(s) {hw['hw_seeds']}" if hw else
                 f"compression on {task}: accuracy over seeds {rows[0]['seeds']}")
        table = Table(title=title)
        for col in ("point", "accuracy", "vs cnn", "params", "MACs", "nonzero MACs", "weight bits", "LUT*",
                    "LUT ratio", "DSP*", "cycles*", "C-sim diffs", "s"):
            table.add_column(col, justify="left" if col == "point" else "right")
        for r in rows:
            delta = 100 * (r["accuracy"] - teacher["accuracy"]) if teacher else 0.0
            lut_ratio = f"{r[lut_key] / teacher[lut_key]:.2f}" if teacher and lut_key in r and lut_key in teacher else ""
            table.add_row(
                r["point"], f"{r['accuracy']:.3f} +-{r['accuracy_spread'] / 2:.3f}", f"{delta:+.1f}",
                f"{r['params']:,}", f"{r['macs']:,}", f"{r['nonzero_macs']:,}", f"{r['weight_bits']:,}",
                f"{r[lut_key]:,}" if lut_key in r else "", lut_ratio, str(r.get("est_dsp", "")),
                f"{r['est_latency_cycles']:,}" if "est_latency_cycles" in r else "", str(r.get("csim_mismatches", "")),
                str(r["seconds"]))
        console.print(table)
        g = goal.get(task, {})
        if "lut_goal" in g:
            lg = g["lut_goal"]
            met = ", ".join(f"{p['point']} ({p['accuracy']:.3f}, {p['lut_ratio']:.0%} LUT)" for p in lg["points"])
            console.print(f"{task} LUT goal (within 1 point of cnn {g['teacher_accuracy']:.3f} at <= 50 % of its "
                          f"{lg['teacher_lut']:,} LUT*): {'met by ' + met if lg['met'] else 'NOT met'}")
        for student in ("shiftcnn", "dscnn"):
            d = g.get(f"{student}_distill_goal")
            if d:
                console.print(f"{task} distillation goal {student}: baseline {d['baseline_accuracy']}, same "
                              f"fine-tune without teacher {d.get('control_accuracy')}, best "
                              f"{d['best_point']} {d['best_accuracy']:.3f}, {d['points_below_teacher']} points below "
                              f"cnn -> {'met' if d['met'] else 'NOT met'}")
    console.print(f"settings: {settings}")


FAMILY_STYLE = {"baseline": ("black", "s"), "prune": ("tab:blue", "o"), "slim": ("tab:orange", "D"),
                "low-rank": ("tab:green", "^"), "combined": ("tab:purple", "P"), "distill": ("tab:red", "v"),
                "control": ("grey", "x"),
                "prune-then-distill": ("tab:brown", "X")}


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both cost (lower) and accuracy (higher), by cost."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -1.0
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def plot(merged, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in merged))
    axes_keys = [(lut_key, "LUTs (hls4ml estimate*)"), ("nonzero_macs", "non-zero MACs per inference")]
    fig, axes = plt.subplots(len(tasks), len(axes_keys), figsize=(13, 4.6 * len(tasks)), squeeze=False)
    for row_axes, task in zip(axes, tasks, strict=True):
        rows = [r for r in merged if r["task"] == task]
        teacher = next((r for r in rows if r["point"] == TEACHER), None)
        for ax, (key, label) in zip(row_axes, axes_keys, strict=True):
            have = [r for r in rows if key in r]
            for r in have:
                colour, marker = FAMILY_STYLE.get(r["family"], ("grey", "o"))
                ax.errorbar(r[key], 100 * r["accuracy"], yerr=50 * r["accuracy_spread"], fmt=marker, color=colour,
                            ms=7, capsize=3, label=r["family"])
                ax.annotate(r["point"], (r[key], 100 * r["accuracy"]), fontsize=6.5, xytext=(4, 3),
                            textcoords="offset points")
            front = pareto_front([(r[key], r["accuracy"]) for r in have])
            ax.step([have[i][key] for i in front], [100 * have[i]["accuracy"] for i in front], where="post",
                    color="grey", lw=1, ls="--", label="Pareto front")
            if teacher and key in teacher:
                ax.axhspan(100 * teacher["accuracy"] - 1, 100 * teacher["accuracy"], color="green", alpha=0.08,
                           label="within 1 point of cnn")
                if key == lut_key:
                    ax.axvline(0.5 * teacher[key], color="green", lw=0.8, ls=":", label="50 % of cnn LUTs")
            ax.set_xscale("log")
            ax.set_xlabel(label)
            ax.set_ylabel("test accuracy % (mean, bar = seed spread)")
            ax.set_title(f"{task}")
            ax.grid(True, which="both", lw=0.3, alpha=0.5)
    legend = {}
    for ax in axes.flat:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(text, handle)
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=len(legend), fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seed 0, 300 examples, short training")
    parser.add_argument("--tasks", default="lung,cardiac")
    parser.add_argument("--seeds", default=None, help="comma-separated (default 0,1,2; --quick 0)")
    parser.add_argument("--hw-seeds", default="0", help="seeds whose runs get hardware figures ('all', 'none' or a list)")
    parser.add_argument("--n", type=int, default=None, help="examples per task (default 600, --quick 300)")
    parser.add_argument("--float-epochs", type=int, default=None, help="baseline float epochs (default 30)")
    parser.add_argument("--qat-epochs", type=int, default=None, help="baseline QAT epochs (default 15)")
    parser.add_argument("--ft-epochs", type=int, default=None, help="compression fine-tune epochs (default 20)")
    parser.add_argument("--slim-epochs", type=int, default=None, help="slimming sparsity epochs (default 10)")
    parser.add_argument("--points", default=None, help="comma-separated point names (default: all)")
    parser.add_argument("--board", default="pynq-z2")
    parser.add_argument("--reuse", default="teacher", help="hls4ml reuse for every point: 'teacher' (the cnn's "
                        "fitting reuse), 'auto' (each its own) or a number")
    parser.add_argument("--csim", action="store_true", help="also run C-sim (bit-exact check) for hardware seeds")
    parser.add_argument("--resume", action="store_true", help="reuse finished runs and builds under --work")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args()

    from rich.console import Console

    console = Console(width=170)
    if args.plot_only:
        saved = json.loads(args.out.read_text())
        print_tables(saved["results"], saved["goals"], saved["settings"], console)
        plot(saved["results"], args.out.with_name(PLOT.name))
        return
    args.seeds = [int(s) for s in (args.seeds or ("0" if args.quick else "0,1,2")).split(",")]
    args.hw_seeds = (args.seeds if args.hw_seeds == "all" else [] if args.hw_seeds == "none"
                     else [int(s) for s in args.hw_seeds.split(",")])
    args.n = args.n or (300 if args.quick else 600)
    args.float_epochs = args.float_epochs or (10 if args.quick else 30)
    args.qat_epochs = args.qat_epochs or (5 if args.quick else 15)
    args.ft_epochs = args.ft_epochs or (6 if args.quick else 20)
    args.slim_epochs = args.slim_epochs or (4 if args.quick else 10)
    if args.reuse not in ("teacher", "auto"):
        args.reuse = int(args.reuse)
    wanted = [p.strip() for p in args.points.split(",")] if args.points else None
    by_name = {p.name: p for p in POINTS}
    if wanted:
        unknown = [w for w in wanted if w not in by_name]
        if unknown:
            parser.error(f"unknown points {unknown}; known: {list(by_name)}")
        needed = set(wanted) | {by_name[w].teacher for w in wanted if by_name[w].teacher in by_name}
        args.points = [p for p in POINTS if p.name in needed]
    else:
        args.points = POINTS

    started = time.perf_counter()
    rows = []
    for seed in args.seeds:
        for task in args.tasks.split(","):
            rows.extend(run_seed(task, seed, args, console))
            _save(args, rows, started)  # partial results survive an interrupted benchmark
    merged, goal = _save(args, rows, started)
    print_tables(merged, goal, _settings(args), console)
    plot(merged, args.out.with_name(PLOT.name))
    console.print(f"wrote {args.out} and {args.out.with_name(PLOT.name)} in {time.perf_counter() - started:.0f} s")


def _settings(args) -> dict:
    keep = ("tasks", "seeds", "hw_seeds", "n", "float_epochs", "qat_epochs", "ft_epochs", "slim_epochs", "board",
            "reuse", "csim", "quick")
    return {k: getattr(args, k) for k in keep} | {"points": [p.name for p in args.points]}


def _save(args, rows, started):
    merged = aggregate(rows)
    goal = goals(merged)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"settings": _settings(args), "seconds": round(time.perf_counter() - started),
                                    "results": merged, "goals": goal, "runs": rows}, indent=1))
    return merged, goal


if __name__ == "__main__":
    main()
