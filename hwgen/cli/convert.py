"""`hwgen convert`: a trained model (run directory or model file) -> hls4ml project + layer report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from hwgen.errors import HwgenError


def convert(
    source: Path = typer.Argument(..., help="Run directory from `hwgen train` (or a model .h5 file)."),
    board: str = typer.Option("pynq-z2", help="Board from the registry in boards/."),
    out: Path = typer.Option(Path("build/model"), help="Build folder to write."),
    io: str = typer.Option("stream", help="hls4ml IO type: stream (default) or parallel."),
    strategy: str = typer.Option("Latency", help="hls4ml strategy for every layer: Latency or Resource."),
    reuse: str = typer.Option("auto", help="Reuse factor for every layer (multipliers are shared this many "
                                           "times), or 'auto': the smallest estimated to fit the board."),
    layer: list[str] = typer.Option([], help="Per-layer setting LAYER:KEY=VALUE, e.g. b1:ReuseFactor=4 "
                                             "or b2:Strategy=Resource (repeatable)."),
    precision: list[str] = typer.Option([], help="Force a type: LAYER:accum=ap_fixed<W,I> or "
                                                 "LAYER:result=... (repeatable; warns when narrower)."),
    calib: Optional[Path] = typer.Option(None, help="Calibration data file (default: the run's training split)."),
    compile: bool = typer.Option(False, "--compile", help="Also g++-compile the project (as C-sim does)."),
):
    """Convert a trained QKeras model for a board: precision inference, hls4ml project, layer report."""
    from hwgen.outputs import check_folder

    layer_settings = _layer_settings(layer)
    if reuse != "auto" and not (reuse.isdigit() and int(reuse) >= 1):
        raise HwgenError(f"--reuse {reuse!r}: expected a positive whole number or 'auto'")
    check_folder(out, what="build folder")
    from hwgen.hls import convert as conversion  # looked up at call time
    from hwgen.hls.precision import PrecisionPolicy
    from hwgen.hls.report import print_table, wide_console

    run_convert = conversion.convert
    console = wide_console()
    reuse = reuse if reuse == "auto" else int(reuse)
    policy = PrecisionPolicy(overrides=_precisions(precision))
    with console.status("converting") as spinner:
        conv = run_convert(str(source), board, out, io_type=f"io_{io}", strategy=strategy, reuse=reuse,
                           layer_settings=layer_settings, calib=calib, policy=policy, compile=compile,
                           status=lambda text: spinner.update(f"[bold]{text}"))
    print_table(conv.report, console)
    for note in conv.notes:
        console.print(f"[yellow]warning:[/] {note}")
    console.print(f"wrote {out}/ (hls4ml_prj/, report.json, hwgen.json)"
                  + ("; compiled with g++" if conv.compiled else ""))


def _layer_settings(items: list[str]) -> dict:
    settings: dict = {}
    for item in items:
        name, key, value = _split(item, "--layer", "LAYER:KEY=VALUE")
        settings.setdefault(name, {})[key] = int(value) if value.isdigit() else value
    return settings


def _precisions(items: list[str]) -> dict:
    overrides: dict = {}
    for item in items:
        name, key, value = _split(item, "--precision", "LAYER:accum=ap_fixed<W,I>")
        overrides.setdefault(name, {})[key] = value
    return overrides


def _split(item: str, option: str, form: str) -> tuple[str, str, str]:
    name, sep, rest = item.partition(":")
    key, eq, value = rest.partition("=")
    if not (sep and eq and name and key and value):
        raise HwgenError(f"{option} {item!r}: expected {form}")
    return name, key, value


def show_report(build: Path) -> None:
    """Print the layer table of a build folder (used by the demo)."""
    from hwgen.hls.report import print_table

    path = Path(build) / "report.json"
    if not path.is_file():
        raise HwgenError(f"{path}: no report (run `hwgen convert` first)")
    print_table(json.loads(path.read_text()))
