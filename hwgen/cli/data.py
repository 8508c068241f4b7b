"""`hwgen data ...`: synthesise, load, inspect ultrasound data sets; anatomical M-mode from a DICOM cine."""

from pathlib import Path
from typing import Optional

import typer

from hwgen.data.tasks import TASKS

app = typer.Typer(help="Synthesise, load and inspect ultrasound data sets.", no_args_is_help=True)

DATA_SUFFIXES = (".npz", ".h5", ".hdf5")
LINE_HELP = "B-mode cine DICOM: scan line x0,y0,x1,y1 in pixels; depth runs from the first point to the second."


def parse_line(text: str | None, source: str):
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
    task: str = typer.Option(next(iter(TASKS)), help=f"Task: {', '.join(TASKS)}."),
    n: int = typer.Option(600, min=1, help="Number of examples (classes balanced)."),
    seed: int = typer.Option(0, min=0, help="Random seed: same seed, same arrays."),
    out: Path = typer.Option(..., help=f"Output file: {', '.join(DATA_SUFFIXES)} (.h5 for large sets)."),
    time: Optional[int] = typer.Option(None, min=1, help="Lines per example (default: the task's)."),
    depth: Optional[int] = typer.Option(None, min=2, help="Depth bins per line (default: the task's)."),
    family: str = typer.Option("default", help="Settings family: default (the documented randomisation "
                               "ranges), v1 (generator 1.0's narrow ranges), or a shift-benchmark family "
                               "(lung: shift_train, held_depth_deep, anatomical, ...)."),
):
    """Simulate a labelled data set with the physics-based generator and write it."""
    import time as clock

    from rich.console import Console

    from hwgen import data
    from hwgen.data.dataset import task_spec
    from hwgen.outputs import check_file

    task_spec(task, "hwgen data synth --task")
    from hwgen.data.randomise import Profile

    Profile(task, family)          # an unknown family stops here, before any work
    check_file(out, suffixes=DATA_SUFFIXES, what="data set")
    console = Console()
    console.print(f"synthesising {n} {task} examples -> {out}", highlight=False, soft_wrap=True)
    start = clock.perf_counter()
    ds = data.synthesize(task, n, seed, time=time, depth=depth, family=family, progress=True)
    elapsed = clock.perf_counter() - start
    data.save(ds, out)
    lines = ds.x.shape[0] * ds.x.shape[1]
    console.print(f"wrote {out}: x {ds.x.shape}, classes {ds.classes}, {len(set(ds.group.tolist()))} patients "
                    f"({elapsed:.1f} s, {n / elapsed:.1f} examples/s, {lines / elapsed:,.0f} lines/s)")


@app.command()
def show(
    file: Path = typer.Argument(..., help="Data set (.npz/.h5/.npy/.dcm)."),
    out: Path = typer.Option(Path("gallery.png"), help="Image to write (.png, .pdf, .svg, ...)."),
    per_class: int = typer.Option(4, min=1, help="Examples per class (one column per class)."),
    line: Optional[str] = typer.Option(None, help=LINE_HELP),
):
    """Draw a labelled gallery in the clinical orientation (depth down, time across, grey scale).

    Axes are in seconds and cm where the file says them (line rate, pixel spacing), else lines and bins."""
    from hwgen import data
    from hwgen.data.plot import gallery
    from hwgen.outputs import check_image

    check_image(out, what="gallery")
    ds = data.load(file, line=parse_line(line, str(file)))
    gallery(ds, out, per_class=per_class)
    typer.echo(f"wrote {out}")


@app.command()
def mmode(
    file: Path = typer.Argument(..., help="DICOM: a B-mode cine (give --line) or an M-mode image."),
    out: Path = typer.Option(..., help=f"Data file to write: {', '.join(DATA_SUFFIXES)}."),
    line: Optional[str] = typer.Option(None, help=LINE_HELP),
):
    """Take the anatomical M-mode along a scan line of a B-mode cine (or an M-mode DICOM) into the data layout.

    The line rate comes from the cine's frame time and the depth from its pixel spacing when the file
    gives them; `hwgen predict`, `data show` and `data info` read the file it writes."""
    from rich.console import Console

    from hwgen import data
    from hwgen.data.io import is_dicom
    from hwgen.errors import DataError
    from hwgen.outputs import check_file

    check_file(out, suffixes=DATA_SUFFIXES, what="M-mode file")
    if file.is_file() and not is_dicom(file):
        raise DataError(f"{file}: not a DICOM file (hwgen data mmode reads DICOM cines and M-mode images)")
    ds = data.load(file, line=parse_line(line, str(file)))
    data.save(ds, out)
    meta, (_, t, d) = ds.meta, ds.x.shape
    rate = (f"{meta['line_rate_hz']:.4g} lines/s (from {meta.get('line_rate_from', 'the M-mode region')})"
            if meta.get("line_rate_hz") else "no line rate in the file (predict will assume the model's)")
    depth = f"{meta['depth_cm']:.3g} cm" if meta.get("depth_cm") else "depth in pixels (no spacing in the file)"
    Console().print(f"wrote {out}: {meta.get('kind', 'M-mode')}, {t} lines x {d} depth points, {rate}, {depth}",
                    highlight=False, soft_wrap=True, markup=False)


@app.command()
def info(
    file: Path = typer.Argument(..., help="Data set (.npz/.h5/.npy/.dcm)."),
    line: Optional[str] = typer.Option(None, help=LINE_HELP),
):
    """Print a summary: shape, classes and counts, patients, value range and scaling, settings."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from hwgen import data

    ds = data.load(file, line=parse_line(line, str(file)))
    con = Console(highlight=False, soft_wrap=True)
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
    elif ds.y is not None:
        con.print(f"labelled 0..{int(ds.y.max())} without class names")
    else:
        con.print("unlabelled")
    keys = ("task", "generator_version", "family", "seed", "line_rate_hz", "line_rate_from", "span_s", "depth_cm",
            "depth_from", "fc_hz", "fs_hz", "dynamic_range_db", "kind", "modality", "source", "scan_line", "x_scaling")
    for key in keys:
        if key in ds.meta:
            value = ds.meta[key]
            if value is None:
                value = "varies per example (params)"
            con.print(f"  {key}: {value:.6g}" if isinstance(value, float) else f"  {key}: {value}", markup=False)
    if ds.params:
        con.print(f"  params per example: {', '.join(sorted(ds.params[0]))}")
