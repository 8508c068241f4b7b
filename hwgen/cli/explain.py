"""`hwgen explain`: occlusion saliency maps of a run's calls on a data file."""

from pathlib import Path

import typer


def explain(
    run: Path = typer.Argument(..., help="Run directory written by `hwgen train`."),
    data: Path = typer.Option(..., help="Data file (.npz/.h5/.npy/.dcm) in the data layer's layout."),
    out: Path = typer.Option(Path("explain"), help="Folder for the maps, PNGs and explain.json."),
    max_windows: int = typer.Option(16, "--max", help="Windows to explain (a class-balanced pick when labelled)."),
    patch: str = typer.Option("32,8", help="Occluded patch: lines,depth-bins (stride is half of it)."),
    seed: int = typer.Option(0, help="Seed of the pick."),
):
    """Draw where the model looks: saliency over each M-mode, depth down, time across, pleural line dashed."""
    from rich.console import Console

    from hwgen.errors import DataError
    from hwgen.explain import explain_file

    try:
        size = tuple(int(v) for v in patch.split(","))
    except ValueError:
        size = ()
    if len(size) != 2 or min(size) < 1:
        raise DataError(f"--patch must be two positive integers lines,bins (e.g. 32,8), got {patch!r}")
    summary = explain_file(run, data, out, max_windows=max_windows, patch=size, seed=seed)
    console = Console()
    for w in summary["windows"]:
        where = f", {w['share_below']:.0%} at/below the pleural line" if w.get("share_below") is not None else ""
        truth = f"true {w['true']}, " if w.get("true") else ""
        console.print(f"window {w['index']}: {truth}called {w['predicted']} ({w['probability']:.2f}){where}")
    if summary["mean_share_below_pleura"] is not None:
        console.print(f"mean share of saliency at or below the pleural line: {summary['mean_share_below_pleura']:.0%}")
    console.print(f"wrote {out}/ (saliency.png, window_*.png, saliency.npz, explain.json)")
