"""`hwgen convert`: a trained model -> integer graph -> hls4ml project + layer report (the first build steps)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hwgen.builder.config import BuildConfig
from hwgen.cli.build import hls_options, precisions
from hwgen.settings import default


def convert(
    source: Path = typer.Argument(..., help="Run directory from `hwgen train` (or a model .h5 file)."),
    board: str = typer.Option(default(BuildConfig, "board"), help="Board from the registry in boards/."),
    out: Path = typer.Option(Path(default(BuildConfig, "out")), help="Build folder to write."),
    io: str = typer.Option(default(BuildConfig, "io_type").removeprefix("io_"), help="hls4ml IO type: stream (default) or parallel."),
    strategy: str = typer.Option(default(BuildConfig, "strategy"), help="hls4ml strategy for every layer: Latency or Resource."),
    reuse: str = typer.Option(str(default(BuildConfig, "reuse")), help="Reuse factor for every layer (multipliers are shared this many "
                                           "times), or 'auto': the smallest estimated to fit the board."),
    layer: list[str] = typer.Option([], help="Per-layer setting LAYER:KEY=VALUE, e.g. b1:ReuseFactor=4 "
                                             "or b2:Strategy=Resource (repeatable)."),
    precision: list[str] = typer.Option([], help="Force a type: LAYER:accum=ap_fixed<W,I> or "
                                                 "LAYER:result=... (repeatable; warns when narrower)."),
    calib: Optional[Path] = typer.Option(None, help="Calibration data file (default: the run's training examples)."),
    fold_bits: Optional[int] = typer.Option(default(BuildConfig, "fold_bits"), help="Significant bits of weights a BatchNormalization is folded "
                                                       "into (default: the kernel's bits + 4)."),
    allow_saturation: bool = typer.Option(default(BuildConfig, "allow_saturation"), "--allow-saturation", help="Accept graph logits beyond the Keras "
                                          "tolerance when calibrated types saturate (default: fail, naming the layer)."),
    force: bool = typer.Option(False, "--force", help="Replace a build folder that holds another model."),
):
    """Convert a trained QKeras model for a board: integer graph, precision inference, hls4ml project, report.

    The same as `hwgen build SOURCE --stop convert_hls`; `hwgen sim csim OUT` then verifies it.
    """
    from hwgen.builder import BuildConfig, run_build
    from hwgen.outputs import check_folder

    options = hls_options(reuse, io, strategy, layer)
    check_folder(out, what="build folder")
    cfg = BuildConfig(out=str(out), source=str(source), board=board, **options,
                      precision=precisions(precision), calib=str(calib) if calib else None, fold_bits=fold_bits,
                      allow_saturation=allow_saturation)
    run_build(cfg, stop="convert_hls", force=force)
