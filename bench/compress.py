"""Benchmark model compression (pruning, knowledge distillation, low-rank) where a device builder feels it.

For each task and seed: one synthetic data set (saved once, so every run reads the same file), three
baseline runs trained like `hwgen train --qat-from-float` (cnn: the teacher; dscnn and shiftcnn: the
distillation students), then every compression point exactly as `hwgen compress` makes it (same
function, same run layout), then the hardware figures (below). Prints a table
per task, writes bench/results/compress.json and draws bench/results/compress_pareto.png.

Accuracy is the mean over seeds with its spread (max - min; the table shows +- half of it). Parameters,
MACs, non-zero MACs and weight bits are the integer graph's cost model (`hwgen.graph.cost`), averaged
over seeds (slimming keeps a different number of channels per seed). Hardware figures come in two
labelled views:
  rtl_*  MEASURED with the RTL backend through the builder (`rtl_figures`: export, rtl, rtlsim, synth):
         yosys synth_xilinx LUT/FF/DSP48E1/BRAM18 and the Verilator latency and interval in cycles, bit-exact
         against the integer graph on every test example; for the chosen points (`rtl_points`) of seed 0,
         every point of a task folded for the same target II (the cnn teacher's), within a wall-time budget.
  est_*  hls4ml's ANALYTIC ESTIMATES (`hls_estimates`, `hwgen/hls/report.py`, marked `*`) for every point
         of seed 0, at one reuse factor per task (the smallest the cnn teacher fits the board with).

Goals checked (issue 12): a compressed model within 1 point of the cnn teacher's accuracy with at most
50 % of its LUTs; distillation lifting cardiac shiftcnn/dscnn to within 3 points of cnn.

    nice .venv/bin/python bench/compress.py                 # lung + cardiac, seeds 0,1,2 (~1.5-2.5 h, 2 cores)
    nice .venv/bin/python bench/compress.py --resume --csim # reuse the runs: hls4ml, C-sim and RTL figures only
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

from hwgen.sweep.pareto import pareto_front

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


# ---------------------------------------------------------------- hardware figures


def hls_estimates(run_dir: Path, build_dir: Path, *, board: str, reuse, csim: bool, resume: bool) -> dict:
    """hls4ml's view of one run: `hwgen build RUN --stop convert_hls` (or `--stop csim` with `csim`) and the
    layer report's ANALYTIC ESTIMATES (hwgen/hls/report.py: multipliers = non-zero weights / reuse, so pruned
    zeros lower them; not synthesis), keys est_*, labelled hw_source = "hls4ml-estimate"."""
    from hwgen.builder import BuildConfig, run_build

    report_file, csim_file = build_dir / "hls" / "report.json", build_dir / "hls" / "csim.json"
    if not (resume and _newer(report_file, run_dir) and (csim_file.is_file() or not csim)):
        cfg = BuildConfig(out=str(build_dir), source=str(run_dir), board=board, reuse=reuse)
        run_build(cfg, stop="csim" if csim else "convert_hls", force=True)
    report = json.loads(report_file.read_text())
    totals = report["totals"]
    figures = {"hw_source": "hls4ml-estimate", "reuse": report["reuse"], **{k: totals[k] for k in HARDWARE}}
    if csim:
        figures["csim_mismatches"] = json.loads(csim_file.read_text())["golden_vs_csim_mismatches"]
    return figures


RTL_STEPS = ["step_export", "step_rtl", "step_rtlsim", "step_synth"]


def rtl_figures(run_dir: Path, build_dir: Path, *, board: str, target_ii: int | None, resume: bool) -> dict:
    """The RTL backend's MEASURED view of one run: `hwgen build RUN --backend rtl` through export, rtl,
    rtlsim (Verilator, every logit of the run's test split against the integer graph: latency and
    back-to-back interval in cycles) and synth (yosys synth_xilinx: LUT/FF/DSP48E1/BRAM18), keys rtl_*.

    A design the builder refuses (it does not fit the part, or a layer the kernels cannot implement) is a
    figure too: rtl_refused holds the builder's one-line reason (and the counts, when yosys got that far).
    Resumes a finished build only when its records are newer than the run's model and its target matches.
    """
    from hwgen.builder import BuildConfig, run_build
    from hwgen.errors import HwgenError

    rtl = build_dir / "rtl"
    refused = None
    if not (resume and rtl_done(run_dir, build_dir, target_ii)):
        cfg = BuildConfig(out=str(build_dir), source=str(run_dir), board=board, backend="rtl",
                          target_ii=target_ii, steps=RTL_STEPS)
        try:
            run_build(cfg, force=True)
        except HwgenError as err:
            refused = str(err)
    figures: dict = {"rtl_target_ii": target_ii}
    if (rtl / "rtl.json").is_file():
        manifest = json.loads((rtl / "rtl.json").read_text())
        figures.update(rtl_chosen_target_ii=manifest["chosen_target_ii"], rtl_predicted_ii=manifest["cycles"]["ii"])
    if _newer(rtl / "sim.json", run_dir):
        sim = json.loads((rtl / "sim.json").read_text())
        figures.update(rtl_frames=sim["frames"], rtl_bit_exact=bool(sim["bit_exact"]),
                       rtl_latency_cycles=sim["latency_cycles"]["first"],
                       rtl_interval_cycles=int(sim["interval_cycles"]["median"]))
        step = build_dir / "steps" / "step_rtlsim.json"  # the record adds the accuracy of the RTL's argmax
        if _newer(step, run_dir) and "accuracy" in json.loads(step.read_text()):
            figures["rtl_accuracy"] = json.loads(step.read_text())["accuracy"]
    if _newer(rtl / "synth.json", run_dir):
        synth = json.loads((rtl / "synth.json").read_text())
        used = synth["used"]
        figures.update(rtl_lut=used["lut"], rtl_ff=used["ff"], rtl_dsp=used["dsp"], rtl_bram18=used["bram18"],
                       rtl_lut_fraction=synth["fraction"]["lut"], rtl_fits=synth["fits"],
                       rtl_synth_seconds=synth["seconds"])
    if refused:
        figures["rtl_refused"] = refused
    return figures


def rtl_done(run_dir: Path, build_dir: Path, target_ii: int | None) -> bool:
    """A finished RTL build of this run for this target, newer than the run's model."""
    cfg_file = build_dir / "build.json"
    same_target = cfg_file.is_file() and json.loads(cfg_file.read_text()).get("target_ii") == target_ii
    return (same_target and _newer(build_dir / "steps" / "step_synth.json", run_dir)
            and _newer(build_dir / "rtl" / "sim.json", run_dir))


def _newer(record: Path, run_dir: Path) -> bool:
    """A build record exists and was written after the run's model (a re-trained run invalidates it)."""
    return record.is_file() and record.stat().st_mtime > (run_dir / "model.h5").stat().st_mtime


RTL = ("rtl_lut", "rtl_ff", "rtl_dsp", "rtl_bram18", "rtl_latency_cycles", "rtl_interval_cycles")
RTL_DEFAULT_POINTS = ("cnn", "shiftcnn", "dscnn", "cnn slim 50% + prune 50%", "cnn prune 50%", "cnn slim 65%")


def rtl_pass(rows: list[dict], merged: list[dict], args, console) -> None:
    """RTL figures for the chosen points of the RTL seeds, in order of importance, one synthesis at a time,
    within the wall-time budget (points left over are listed in the results, not silently dropped).

    Every point of a task is folded for the SAME target II: the cnn teacher's at the builder's default
    folding (the default target relaxed until the estimate fits the part), or --rtl-target-ii."""
    started = time.perf_counter()
    skipped = []
    for task in dict.fromkeys(r["task"] for r in rows):
        wanted = rtl_points(task, merged, args.rtl_points)
        target = None if args.rtl_target_ii == "teacher" else int(args.rtl_target_ii)
        for seed in args.rtl_seeds:
            by_point = {r["point"]: r for r in rows if r["task"] == task and r["seed"] == seed}
            for name in wanted:
                row = by_point.get(name)
                if row is None:
                    continue
                build = args.work / task / f"seed{seed}" / "build-rtl" / slug(name)
                reuse = args.resume and rtl_done(Path(row["run"]), build, target)
                if not reuse and time.perf_counter() - started > 60 * args.rtl_budget_min:
                    skipped.append(f"{task} seed {seed}: {name}")
                    continue
                console.rule(f"RTL {task} seed {seed}: {name} (target II {target or 'default'})")
                row.update(rtl_figures(Path(row["run"]), build, board=args.board, target_ii=target,
                                       resume=args.resume))
                if name == TEACHER and target is None:
                    target = row.get("rtl_chosen_target_ii")
                    if target is None:
                        raise SystemExit(f"the teacher's RTL build gave no folding: {row.get('rtl_refused')}")
                args.rtl_skipped = skipped
                _save(args, rows, started)


def rtl_points(task: str, merged: list[dict], spec: str) -> list[str]:
    """The points that get RTL figures: the teacher first (it sets the folding target), then the named
    points; 'default' = baselines, the slimmed-and-pruned, the 50 %-pruned and the 65 %-slimmed cnn, and
    per student the distilled point with the best seed-mean accuracy on this task."""
    if spec != "default":
        names = [TEACHER] + [p.strip() for p in spec.split(",") if p.strip() != TEACHER]
        return list(dict.fromkeys(names))
    names = list(RTL_DEFAULT_POINTS)
    for student in ("shiftcnn", "dscnn"):
        distilled = [r for r in merged if r["task"] == task and r["model"] == student
                     and r["family"] in ("distill", "prune-then-distill")]
        if distilled:
            names.append(max(distilled, key=lambda r: r["accuracy"])["point"])
    return names


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
            row.update(hls_estimates(Path(row["run"]), build, board=args.board, csim=args.csim,
                                     reuse="auto" if reuse == "teacher" else reuse, resume=args.resume))
            if reuse == "teacher":
                reuse = row["reuse"]
    return rows


def _row(task, seed, name, family, run_dir: Path, point: Point | None, seconds: float) -> dict:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    row = {"task": task, "seed": seed, "point": name, "family": family, "run": str(run_dir),
           "model": metrics["model"], "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
           **{k: metrics[k] for k in COSTS}, "seconds": round(seconds, 1),  # 0 when resumed
           "train_seconds": metrics.get("train_seconds")}
    if point is not None:
        record = metrics["compression"]
        row.update(source=point.source, teacher=point.teacher, options=point.options)
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
        rtl = [r for r in runs if "rtl_target_ii" in r]
        if rtl:  # measured on the RTL seeds (seed 0 by default): one run, no mean taken over other builds
            row["rtl_seeds"] = [r["seed"] for r in rtl]
            for key in RTL + ("rtl_target_ii", "rtl_chosen_target_ii", "rtl_predicted_ii", "rtl_frames",
                              "rtl_lut_fraction", "rtl_fits", "rtl_accuracy"):
                values = [r[key] for r in rtl if key in r]
                if len(values) == len(rtl):
                    if len(values) == 1 or key == "rtl_fits":
                        row[key] = values[0] if len(values) == 1 else all(values)
                    else:
                        mean = float(np.mean(values))
                        row[key] = mean if key in ("rtl_lut_fraction", "rtl_accuracy") else int(round(mean))
            if all("rtl_bit_exact" in r for r in rtl):
                row["rtl_bit_exact"] = all(r["rtl_bit_exact"] for r in rtl)
            refused = [r["rtl_refused"] for r in rtl if "rtl_refused" in r]
            if refused:
                row["rtl_refused"] = refused[0]
        for key in ("channels", "ranks", "options", "source", "teacher"):
            if key in runs[0]:
                row[key] = runs[0][key]
        row["seconds"] = round(sum(r["seconds"] for r in runs), 1)
        merged.append(row)
    return merged


def lut_goal(rows: dict, teacher: dict, key: str, source: str) -> dict:
    """Which points keep accuracy within 1 point of the teacher at <= 50 % of its LUTs (by `key`)."""
    measured = [r for r in rows.values() if r["family"] != "baseline" and key in r]  # compressed models only
    keep = [r for r in measured if r["accuracy"] >= teacher["accuracy"] - 0.01 and r[key] <= 0.5 * teacher[key]]
    keep.sort(key=lambda r: r[key])
    near = [r for r in measured if r["accuracy"] >= teacher["accuracy"] - 0.01]
    best = min(near, key=lambda r: r[key]) if near else None
    return {
        "rule": "accuracy >= teacher - 1 point and LUT <= 50 % of the teacher's", "source": source,
        "teacher_lut": teacher[key], "met": bool(keep), "points_measured": len(measured),
        "points": [{"point": r["point"], "accuracy": round(r["accuracy"], 4),
                    "lut_ratio": round(r[key] / teacher[key], 3)} for r in keep],
        "fewest_luts_within_1_point": None if best is None else {
            "point": best["point"], "accuracy": round(best["accuracy"], 4), "lut": best[key],
            "lut_ratio": round(best[key] / teacher[key], 3)},
    }


def goals(merged: list[dict]) -> dict:
    """The issue's two goals, on the seed means."""
    out = {}
    for task in sorted({r["task"] for r in merged}):
        rows = {r["point"]: r for r in merged if r["task"] == task}
        teacher = rows.get(TEACHER)
        if teacher is None:
            continue
        entry: dict = {"teacher_accuracy": round(teacher["accuracy"], 4)}
        for goal_name, key, source in (("lut_goal", "rtl_lut", "RTL backend, yosys synth_xilinx (measured)"),
                                       ("lut_goal_hls4ml_estimate", "est_lut", "hls4ml layer report (estimate)")):
            if key in teacher:
                entry[goal_name] = lut_goal(rows, teacher, key, source)
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
        hw = next((r for r in rows if "est_lut" in r), None)
        rtl = next((r for r in rows if "rtl_target_ii" in r), None)
        title = f"compression on {task}: accuracy over seeds {rows[0]['seeds']} (mean +-half spread)"
        if rtl:
            title += (f"; RTL = hwgen RTL backend measured (yosys, Verilator) on seed(s) {rtl['rtl_seeds']}, every "
                      f"point folded for target II {rtl.get('rtl_chosen_target_ii', rtl['rtl_target_ii'])}")
        if hw:
            title += f"; * = {hw['hw_source']} at reuse {hw['reuse']}, seed(s) {hw['hw_seeds']}"
        table = Table(title=title)
        for col in ("point", "accuracy", "vs cnn", "params", "nonzero MACs", "weight bits", "RTL LUT", "ratio",
                    "RTL FF", "RTL DSP", "RTL latency/II", "bit-exact", "LUT*", "ratio*", "DSP*", "cycles*"):
            table.add_column(col, justify="left" if col == "point" else "right")
        for r in rows:
            delta = 100 * (r["accuracy"] - teacher["accuracy"]) if teacher else 0.0

            def ratio(key, r=r, teacher=teacher):
                return f"{r[key] / teacher[key]:.2f}" if teacher and key in r and key in teacher else ""

            rtl_lut = f"{r['rtl_lut']:,}" if "rtl_lut" in r else ("refused" if "rtl_refused" in r else "")
            cycles = (f"{r['rtl_latency_cycles']:,}/{r['rtl_interval_cycles']:,}" if "rtl_latency_cycles" in r
                      else "")
            exact = "" if "rtl_bit_exact" not in r else f"{'yes' if r['rtl_bit_exact'] else 'NO'} ({r['rtl_frames']})"
            table.add_row(
                r["point"], f"{r['accuracy']:.3f} +-{r['accuracy_spread'] / 2:.3f}", f"{delta:+.1f}",
                f"{r['params']:,}", f"{r['nonzero_macs']:,}", f"{r['weight_bits']:,}", rtl_lut, ratio("rtl_lut"),
                f"{r['rtl_ff']:,}" if "rtl_ff" in r else "", str(r.get("rtl_dsp", "")), cycles, exact,
                f"{r['est_lut']:,}" if "est_lut" in r else "", ratio("est_lut"), str(r.get("est_dsp", "")),
                f"{r['est_latency_cycles']:,}" if "est_latency_cycles" in r else "")
        console.print(table)
        for r in rows:
            if "rtl_refused" in r:
                console.print(f"{task} {r['point']}: the RTL build refused: {r['rtl_refused']}")
        g = goal.get(task, {})
        for name, mark in (("lut_goal", " (RTL, measured)"), ("lut_goal_hls4ml_estimate", "* (hls4ml estimate)")):
            if name in g:
                lg = g[name]
                met = ", ".join(f"{p['point']} ({p['accuracy']:.3f}, {p['lut_ratio']:.0%} LUT)" for p in lg["points"])
                best = lg["fewest_luts_within_1_point"]
                closest = "" if best is None else (f"; fewest LUTs within 1 point: {best['point']} "
                                                   f"({best['lut_ratio']:.0%})")
                console.print(f"{task} LUT goal{mark}: within 1 point of cnn {g['teacher_accuracy']:.3f} at <= 50 % "
                              f"of its {lg['teacher_lut']:,} LUT, {lg['points_measured']} points measured: "
                              f"{'met by ' + met if lg['met'] else 'NOT met' + closest}")
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


def plot(merged, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in merged))
    axes_keys = [("rtl_lut", "LUTs, hwgen RTL backend (yosys, measured; seed 0, same folding target)"),
                 ("est_lut", "LUTs (hls4ml estimate*)"), ("nonzero_macs", "non-zero MACs per inference")]
    axes_keys = [(k, label) for k, label in axes_keys if any(k in r for r in merged)]
    fig, axes = plt.subplots(len(tasks), len(axes_keys), figsize=(6.5 * len(axes_keys), 4.8 * len(tasks)),
                             squeeze=False)
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
            front = pareto_front(have, key)  # hwgen sweep's frontier: one definition
            ax.step([have[i][key] for i in front], [100 * have[i]["accuracy"] for i in front], where="post",
                    color="grey", lw=1, ls="--", label="Pareto front")
            if teacher and key in teacher:
                ax.axhspan(100 * teacher["accuracy"] - 1, 100 * teacher["accuracy"], color="green", alpha=0.08,
                           label="within 1 point of cnn")
                if key in ("rtl_lut", "est_lut"):
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
    parser.add_argument("--rtl-seeds", default="0", help="seeds whose chosen points get RTL backend figures "
                        "(builder: export, rtl, rtlsim, synth); 'none' skips them")
    parser.add_argument("--rtl-points", default="default", help="comma-separated points for the RTL figures "
                        "(default: baselines, cnn slim 50%% + prune 50%%, cnn prune 50%%, cnn slim 65%%, "
                        "the best distilled students)")
    parser.add_argument("--rtl-target-ii", default="teacher", help="folding target (cycles per frame) for every "
                        "point: 'teacher' (the cnn's at the builder's default folding) or a number")
    parser.add_argument("--rtl-budget-min", type=float, default=60.0, help="start no RTL build after this many "
                        "minutes (the points left are listed in the results)")
    parser.add_argument("--resume", action="store_true", help="reuse finished runs and builds under --work")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--plot-only", action="store_true")
    args = parser.parse_args()

    from rich.console import Console

    console = Console(width=230)
    if args.plot_only:
        saved = json.loads(args.out.read_text())
        print_tables(saved["results"], saved["goals"], saved["settings"], console)
        plot(saved["results"], args.out.with_name(PLOT.name))
        return
    args.seeds = [int(s) for s in (args.seeds or ("0" if args.quick else "0,1,2")).split(",")]
    args.hw_seeds = (args.seeds if args.hw_seeds == "all" else [] if args.hw_seeds == "none"
                     else [int(s) for s in args.hw_seeds.split(",")])
    args.rtl_seeds = [] if args.rtl_seeds == "none" else [int(s) for s in args.rtl_seeds.split(",")]
    args.rtl_skipped = []
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
    rtl_pass(rows, aggregate(rows), args, console)
    merged, goal = _save(args, rows, started)
    print_tables(merged, goal, _settings(args), console)
    plot(merged, args.out.with_name(PLOT.name))
    console.print(f"wrote {args.out} and {args.out.with_name(PLOT.name)} in {time.perf_counter() - started:.0f} s")


def _settings(args) -> dict:
    keep = ("tasks", "seeds", "hw_seeds", "n", "float_epochs", "qat_epochs", "ft_epochs", "slim_epochs", "board",
            "reuse", "csim", "quick", "rtl_seeds", "rtl_points", "rtl_target_ii", "rtl_budget_min", "rtl_skipped")
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
