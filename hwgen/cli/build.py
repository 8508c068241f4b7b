"""`hwgen build`: a trained model to hardware, step by step (the builder in hwgen/builder)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hwgen.builder.config import BuildConfig
from hwgen.errors import HwgenError
from hwgen.settings import default


def _steps_help() -> str:
    from hwgen.builder.core import REGISTRY

    return ", ".join(s[5:] for s in REGISTRY)


def build(
    source: Path = typer.Argument(..., help="Run directory from `hwgen train` (or a model .h5 file)."),
    out: Path = typer.Option(Path(default(BuildConfig, "out")), help="Build folder (one build per folder)."),
    board: str = typer.Option(default(BuildConfig, "board"), help="Board from boards/ (`hwgen boards` lists them)."),
    backend: str = typer.Option(default(BuildConfig, "backend"), help="Accelerator for the overlay: hls (hls4ml) or rtl (hwgen's Verilog)."),
    start: Optional[str] = typer.Option(None, help=f"First step to run. Steps: {_steps_help()}."),
    stop: Optional[str] = typer.Option(None, help="Last step to run (default: the last of the backend's steps)."),
    force: bool = typer.Option(False, "--force", help="Empty a build folder holding other settings and rebuild."),
    reuse: str = typer.Option(str(default(BuildConfig, "reuse")), help="hls4ml reuse factor, or 'auto': the smallest estimated to fit."),
    io: str = typer.Option(default(BuildConfig, "io_type").removeprefix("io_"), help="hls4ml IO type: stream or parallel (its g++ compile takes minutes)."),
    strategy: str = typer.Option(default(BuildConfig, "strategy"), help="hls4ml strategy for every layer: Latency or Resource."),
    layer: list[str] = typer.Option([], help="Per-layer hls4ml setting LAYER:KEY=VALUE, LAYER as the layer table names it, e.g. "
                                             "b1_depthwise:ReuseFactor=4."),
    precision: list[str] = typer.Option([], help="Force a type: LAYER:accum=ap_fixed<W,I> or LAYER:result=..."),
    calib: Optional[Path] = typer.Option(None, help="Calibration data file (default: the run's training examples)."),
    verify_data: Optional[Path] = typer.Option(None, help="Data for verify/ (default: the run's test split)."),
    fold_bits: Optional[int] = typer.Option(default(BuildConfig, "fold_bits"), help="Significant bits of weights a BatchNormalization is folded "
                                                       "into (default: the kernel's bits + 4)."),
    allow_saturation: bool = typer.Option(default(BuildConfig, "allow_saturation"), "--allow-saturation", help="Accept graph logits beyond the Keras "
                                          "tolerance when calibrated types saturate (default: fail, naming the layer)."),
    target_ii: Optional[int] = typer.Option(None, help="RTL: cycles per frame the folding aims for (default: the "
                                                       "input stream's beats per frame)."),
    target_fps: Optional[float] = typer.Option(None, help="RTL: frames per second at the board's clock (sets the "
                                                          "target II)."),
    fold: list[str] = typer.Option([], help="RTL: lanes of a layer by hand, LAYER=PE,SIMD (conv, dense) or "
                                            "LAYER=PAR (the others), e.g. b1_pointwise=16,8."),
):
    """Build a trained model into hardware views: integer graph, hls4ml project, C-sim, ... (see --start/--stop)."""
    from hwgen.builder import BuildConfig, run_build
    from hwgen.outputs import check_folder

    options = hls_options(reuse, io, strategy, layer)
    check_folder(out, what="build folder")
    cfg = BuildConfig(out=str(out), source=str(source), board=board, backend=backend, **options,
                      precision=precisions(precision), calib=str(calib) if calib else None,
                      verify_data=str(verify_data) if verify_data else None, fold_bits=fold_bits,
                      allow_saturation=allow_saturation, target_ii=target_ii, target_fps=target_fps,
                      fold=folds(fold))
    run_build(cfg, start=start, stop=stop, force=force)


def hls_options(reuse: str, io: str, strategy: str, layer: list[str]) -> dict:
    if reuse != "auto" and not (reuse.isdigit() and int(reuse) >= 1):
        raise HwgenError(f"--reuse {reuse!r}: expected a positive whole number or 'auto'")
    if io not in ("stream", "parallel"):
        raise HwgenError(f"--io {io!r}: expected stream or parallel")
    if io == "parallel":
        from rich.console import Console

        Console(stderr=True).print("[yellow]note:[/] --io parallel: hls4ml's io_parallel C++ takes minutes to compile")
    return {"reuse": reuse if reuse == "auto" else int(reuse), "io_type": f"io_{io}", "strategy": strategy,
            "layer_settings": layer_settings(layer)}


def layer_settings(items: list[str]) -> dict:
    settings: dict = {}
    for item in items:
        name, key, value = _split(item, "--layer", "LAYER:KEY=VALUE")
        settings.setdefault(name, {})[key] = int(value) if value.isdigit() else value
    return settings


def precisions(items: list[str]) -> dict:
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


def folds(items: list[str]) -> dict:
    """LAYER=PE,SIMD (or LAYER=PAR) -> {layer: [PE, SIMD]}."""
    out: dict = {}
    for item in items:
        name, eq, value = item.partition("=")
        parts = value.split(",")
        if not (eq and name and value and all(p.strip().isdigit() and int(p) >= 1 for p in parts) and len(parts) <= 2):
            raise HwgenError(f"--fold {item!r}: expected LAYER=PE,SIMD or LAYER=PAR with positive whole numbers")
        out[name] = [int(p) for p in parts]
    return out
