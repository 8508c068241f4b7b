"""`hwgen compress`: pruning, knowledge distillation and low-rank decomposition of a trained run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console


def compress(
    run: Path = typer.Argument(..., help="Run directory from `hwgen train` (or `hwgen compress`)."),
    out: Path = typer.Option(..., help="New run directory (same layout as `hwgen train`)."),
    prune: Optional[float] = typer.Option(None, help="Unstructured magnitude pruning to this share of zero "
                                          "weights, e.g. 0.5 (power-of-two layers have no zero: skipped)."),
    prune_channels: Optional[float] = typer.Option(None, help="Structured pruning by network slimming: remove "
                                                   "this share of the prunable channels, e.g. 0.5."),
    slim_l1: float = typer.Option(1e-2, help="Slimming: L1 weight on the channel gates (batch-norm scales)."),
    slim_epochs: int = typer.Option(10, help="Slimming: epochs of sparsity training before channels go."),
    slim_min_keep: float = typer.Option(0.25, help="Slimming: every layer keeps at least this share of its channels."),
    low_rank: Optional[float] = typer.Option(None, help="Low-rank (SVD): keep this energy fraction per layer, "
                                             "e.g. 0.9."),
    rank: Optional[int] = typer.Option(None, help="Low-rank with this rank for every factorised layer."),
    rank_budget: Optional[float] = typer.Option(None, help="Low-rank within this share of each layer's weights."),
    rank_layers: Optional[str] = typer.Option(None, help="Comma-separated layers to factorise (default: every "
                                              "conv, pointwise and dense layer where it saves weights)."),
    distill_from: Optional[Path] = typer.Option(None, help="Teacher run: distil it into this run's model."),
    reinit: bool = typer.Option(False, "--reinit", help="Distillation: train the student afresh (float, then "
                                "QAT, both under distillation) instead of fine-tuning its trained weights."),
    float_epochs: int = typer.Option(20, help="With --reinit: float training epochs."),
    distill: Optional[str] = typer.Option(None, help="Distillation terms, comma-separated: kd (Hinton), dkd "
                                          "(decoupled), at (attention transfer); default kd."),
    temperature: float = typer.Option(4.0, help="Distillation temperature."),
    alpha: float = typer.Option(0.9, help="Weight of the logit distillation term (1 - alpha on cross-entropy)."),
    dkd_alpha: float = typer.Option(1.0, help="DKD: weight of the target-class term (TCKD)."),
    dkd_beta: float = typer.Option(8.0, help="DKD: weight of the non-target term (NCKD)."),
    at_beta: float = typer.Option(1000.0, help="Attention transfer: beta (the term is beta/2 x the mean squared map difference)."),
    epochs: int = typer.Option(20, help="Fine-tuning epochs (early stopping on the validation loss)."),
    lr: Optional[float] = typer.Option(None, help="Learning rate (default: the run's / 3)."),
    batch_size: Optional[int] = typer.Option(None, help="Batch size (default: the run's)."),
    patience: int = typer.Option(5, help="Early-stopping patience (epochs)."),
    seed: Optional[int] = typer.Option(None, help="Seed (default: the run's)."),
    force: bool = typer.Option(False, "--force", help="Replace an earlier run in --out."),
):
    """Compress a trained run: prune, slim channels, factorise, distil; writes a new run with before/after metrics."""
    from hwgen.compress import CompressConfig, compress_run, print_comparison

    cfg = CompressConfig(
        run=str(run), out=str(out), prune=prune, prune_channels=prune_channels, slim_l1=slim_l1,
        slim_epochs=slim_epochs, slim_min_keep=slim_min_keep, low_rank=low_rank, rank=rank, rank_budget=rank_budget,
        rank_layers=[n.strip() for n in rank_layers.split(",") if n.strip()] if rank_layers else None,
        teacher=str(distill_from) if distill_from else None, reinit=reinit, float_epochs=float_epochs,
        distill=distill, temperature=temperature, alpha=alpha,
        dkd_alpha=dkd_alpha, dkd_beta=dkd_beta, at_beta=at_beta, epochs=epochs, learning_rate=lr,
        batch_size=batch_size, patience=patience, seed=seed, force=force,
    )
    cfg.check()  # every bad option in one line before TensorFlow loads
    console = Console()
    result = compress_run(cfg, console)
    print_comparison(json.loads((result / "metrics.json").read_text()), console)
    console.print(f"wrote {result}/ (model.h5, metrics.json with before/after, confusion.png, history.png); "
                  f"next: hwgen build {result} --out build/{result.name}")
