"""`hwgen sweep`: a design-space sweep on Ray (hwgen/sweep). Imports nothing heavy until it runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from hwgen.models.catalog import MODELS
from hwgen.sweep.grid import SweepConfig

_D = SweepConfig()


def sweep(
    out: Optional[Path] = typer.Option(None, help="Sweep folder (one sweep per folder; rerun to resume it)."),
    task: str = typer.Option(_D.task, help="Task every point is trained on: lung, cardiac or aline."),
    models: str = typer.Option(",".join(_D.models), help=f"Comma-separated zoo models ({', '.join(MODELS)})."),
    widths: str = typer.Option(",".join(f"{w:g}" for w in _D.widths), help="Comma-separated width multipliers "
                               "of the stage filters (16, 32, 64 at 1.0)."),
    bits: str = typer.Option(",".join(map(str, _D.bits)), help="Comma-separated weight/activation bits."),
    compress: str = typer.Option(",".join(_D.compress), help="Comma-separated compression settings: none, "
                                 "pruneF, slimF, lowrankF, rankN, or several joined with + (e.g. prune0.5+lowrank0.9); "
                                 "see hwgen compress."),
    fold: str = typer.Option(",".join(_D.fold), help="Comma-separated RTL folding targets: auto (keep up with the "
                             "input stream), xF (F times the stream's interval: fewer lanes, fewer LUTs) or a target "
                             "II in cycles."),
    workers: int = typer.Option(os.cpu_count() or 1, help="Local Ray: points run at once (one CPU each)."),
    address: Optional[str] = typer.Option(None, help="Join this Ray cluster (e.g. ray://head:10001 or auto) "
                                          "instead of starting a local one; its nodes need hwgen installed."),
    n: int = typer.Option(_D.n, help="Synthetic examples per point (the same set for every point)."),
    epochs: int = typer.Option(_D.epochs, help="QAT epochs per point (and compression fine-tuning epochs)."),
    batch_size: int = typer.Option(_D.batch_size, help="Training batch size (small sets: smaller batches, more steps)."),
    seed: int = typer.Option(_D.seed, help="Seed for data, split and training."),
    time: Optional[int] = typer.Option(_D.time, help="Window length in lines (default: the task's, 256)."),
    depth: Optional[int] = typer.Option(_D.depth, help="Depth bins (default: the task's, 64)."),
    board: str = typer.Option(_D.board, help="Board whose part each design must fit (`hwgen boards`)."),
    verify_max: int = typer.Option(_D.verify_max, help="Test windows simulated bit for bit on the RTL (and scored)."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Run failed points again (default: a finished "
                                      "point, failed or not, is not redone)."),
    report: Optional[Path] = typer.Option(None, help="Print the table and Pareto frontiers of this sweep folder "
                                          "and exit (no Ray needed)."),
):
    """Sweep model x width x bits x compression x folding on Ray: each point trained, compressed, built to RTL,
    simulated (latency, II) and synthesised (LUT, FF, DSP, BRAM); one table, Pareto frontiers, a plot."""
    from rich.console import Console

    from hwgen.sweep.grid import SweepError, parse_list

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a log file or a pipe gets the whole table
    if report is not None:
        from hwgen.sweep import report as reporting

        reporting.print_results(reporting.load(report), console)
        return
    if out is None:
        raise SweepError("--out: missing; give the sweep folder (e.g. --out sweeps/lung)")
    from hwgen.outputs import check_folder
    from hwgen.sweep.runner import run_sweep

    cfg = SweepConfig(task=task, models=parse_list(models, "--models"), widths=parse_list(widths, "--widths", float),
                      bits=parse_list(bits, "--bits", int), compress=parse_list(compress, "--compress"),
                      fold=parse_list(fold, "--fold"), n=n, epochs=epochs, batch_size=batch_size, seed=seed, time=time,
                      depth=depth, board=board, verify_max=verify_max)
    check_folder(out, what="sweep folder")
    results = run_sweep(cfg, out, workers=workers, address=address, retry_failed=retry_failed, console=console)
    console.print(f"wrote {out}/results.json, results.csv, pareto.png ({results['ok']} ok, {results['failed']} failed)")
