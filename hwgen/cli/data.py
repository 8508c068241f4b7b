"""`hwgen data ...`: synthesise, load, inspect ultrasound data sets."""

from pathlib import Path

import typer

app = typer.Typer(help="Synthesise, load and inspect ultrasound data sets.", no_args_is_help=True)


def _parse_line(text: str | None, source: str):
    """'x0,y0,x1,y1' -> four floats (a B-mode scan line for anatomical M-mode)."""
    if text is None:
        return None
    from hwgen.errors import DataError

    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise DataError(f"{source}: --line must be x0,y0,x1,y1 (four numbers, pixels), got {text!r}")
    return values


@app.command()
def synth(
    task: str = typer.Option("lung", help="lung | cardiac | aline"),
    n: int = typer.Option(600, help="Number of examples (classes balanced)."),
    seed: int = typer.Option(0, help="Random seed: same seed, same arrays."),
    out: Path = typer.Option(..., help="Output file: .npz, or .h5 for large sets."),
    time: int = typer.Option(None, help="Lines per example (default: the task's, 256; aline: 1)."),
    depth: int = typer.Option(64, help="Depth bins per line."),
    family: str = typer.Option("default", help="Settings family: default (the documented randomisation "
                               "ranges), v1 (generator 1.0's narrow ranges), or a shift-benchmark family "
                               "(lung: shift_train, held_depth_deep, anatomical, ...)."),
):
    """Simulate a labelled data set with the physics-based generator and write it."""
    import time as clock

    from rich.console import Console

    from hwgen.data import save, synthesize
    from hwgen.data.dataset import task_spec
    from hwgen.errors import DataError

    task_spec(task, "hwgen data synth --task")
    from hwgen.data.randomise import Profile

    Profile(task, family)          # an unknown family stops here, before any work
    if out.suffix not in (".npz", ".h5", ".hdf5"):
        raise DataError(f"{out}: output must end in .npz or .h5")
    start = clock.perf_counter()
    ds = synthesize(task, n, seed, time=time, depth=depth, family=family, progress=True)
    elapsed = clock.perf_counter() - start
    save(ds, out)
    lines = ds.x.shape[0] * ds.x.shape[1]
    Console().print(f"wrote {out}: x {ds.x.shape}, classes {ds.classes}, {len(set(ds.group.tolist()))} patients "
                    f"({elapsed:.1f} s, {n / elapsed:.1f} examples/s, {lines / elapsed:,.0f} lines/s)")


@app.command()
def show(
    file: Path = typer.Argument(..., help="Data set (.npz/.h5/.npy/.dcm)."),
    out: Path = typer.Option(Path("gallery.png"), help="PNG to write."),
    per_class: int = typer.Option(4, help="Examples per class (one column per class)."),
    line: str = typer.Option(None, help="B-mode cine DICOM only: scan line x0,y0,x1,y1 in pixels."),
):
    """Draw a labelled gallery in the clinical orientation (depth down, time across, grey scale)."""
    from hwgen.data import load
    from hwgen.data.plot import gallery

    ds = load(file, line=_parse_line(line, str(file)))
    gallery(ds, out, per_class=per_class)
    typer.echo(f"wrote {out}")


@app.command()
def info(
    file: Path = typer.Argument(..., help="Data set (.npz/.h5/.npy/.dcm)."),
    line: str = typer.Option(None, help="B-mode cine DICOM only: scan line x0,y0,x1,y1 in pixels."),
):
    """Print a summary: shape, classes and counts, patients, value range, settings."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from hwgen.data import load

    ds = load(file, line=_parse_line(line, str(file)))
    con = Console()
    n, t, d = ds.x.shape
    con.print(f"[bold]{file}[/]: {n} examples, time {t} lines x depth {d} bins, float32 in "
              f"[{ds.x.min():.3f}, {ds.x.max():.3f}], mean {ds.x.mean():.3f}")
    con.print(f"patients (groups): {len(np.unique(ds.group))}")
    if ds.y is not None and ds.classes:
        table = Table("class", "index", "examples")
        counts = np.bincount(ds.y, minlength=len(ds.classes))
        for i, name in enumerate(ds.classes):
            table.add_row(name, str(i), str(int(counts[i])))
        con.print(table)
    else:
        con.print("unlabelled")
    keys = ("task", "generator_version", "family", "seed", "line_rate_hz", "span_s", "depth_cm", "fc_hz", "fs_hz",
            "dynamic_range_db", "kind", "source", "scan_line")
    for key in keys:
        if key in ds.meta:
            value = ds.meta[key]
            if value is None:
                value = "varies per example (params)"
            con.print(f"  {key}: {value:.6g}" if isinstance(value, float) else f"  {key}: {value}")
    if ds.params:
        con.print(f"  params per example: {', '.join(sorted(ds.params[0]))}")
