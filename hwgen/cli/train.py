"""`hwgen train` and `hwgen predict` (TensorFlow is imported inside the commands, not here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

MODEL_OPTIONS = "cnn, dscnn, shiftcnn, mobilenet, ghostnet, firenet"


def train(
    task: str = typer.Option("lung", help="Task: lung, cardiac or aline."),
    data: Optional[Path] = typer.Option(None, help="Data file (.npz/.h5); default: synthesise the task."),
    model: str = typer.Option("dscnn", help=f"Zoo model: {MODEL_OPTIONS}."),
    bits: int = typer.Option(8, help="Weight/activation bits (8, 6, 4); 0 = float model."),
    out: Path = typer.Option(Path("runs/run"), help="Run directory to write."),
    qat_from_float: bool = typer.Option(False, "--qat-from-float", help="Float pre-training, then QAT fine-tune."),
    epochs: int = typer.Option(30, help="(QAT) training epochs; early stopping may end sooner."),
    float_epochs: int = typer.Option(20, help="Float pre-training epochs (with --qat-from-float)."),
    n: int = typer.Option(300, help="Examples to synthesise without --data."),
    time: Optional[int] = typer.Option(None, help="Model input time steps (default: the data's)."),
    depth: Optional[int] = typer.Option(None, help="Model input depth bins (default: the data's)."),
    width: float = typer.Option(1.0, help="Width multiplier of the stage filters."),
    blocks: int = typer.Option(1, help="Blocks per stage (depth multiplier)."),
    kernel: int = typer.Option(9, help="Kernel taps along slow time."),
    po2_bits: int = typer.Option(4, help="Bits of power-of-two (shift) weights."),
    dims: int = typer.Option(1, help="1: convolve along time, depth bins as channels (hardware path); "
                             "2: time x depth image (hls4ml only; hwgen convert/golden/RTL are 1-D)."),
    depth_kernel: Optional[int] = typer.Option(None, help="With --dims 2: taps along depth (default: --kernel)."),
    factorise: bool = typer.Option(False, "--factorise", help="With --dims 2: k x k kernels as k x 1 then 1 x k."),
    shift_training: str = typer.Option("q", help="Shift (po2) layers: q = quantize weights (DeepShift-Q), "
                                       "ps = train sign and shift (DeepShift-PS), saved as stock po2 layers."),
    batch_size: int = typer.Option(32, help="Batch size."),
    lr: float = typer.Option(2e-3, help="Learning rate."),
    patience: int = typer.Option(5, help="Early-stopping patience (epochs)."),
    clahe: Optional[bool] = typer.Option(None, "--clahe/--no-clahe", help="CLAHE contrast equalisation in "
                                         "preprocessing (default: on for lung, off for the other tasks)."),
    augment: bool = typer.Option(True, "--augment/--no-augment",
                                 help="Training-time augmentation (gain, gamma, noise, time crop, depth rescaling, "
                                      "lung-point splicing), a fresh seeded draw every epoch."),
    balance: str = typer.Option("weights", help="Class imbalance: weights (balanced class weights), resample "
                                "(class-balanced draw per epoch) or none."),
    seed: int = typer.Option(0, help="Seed for data, split and weights."),
):
    """Train a zoo model on an ultrasound task and write model.h5, metrics.json and plots."""
    from hwgen.train import TrainConfig, train_model

    cfg = TrainConfig(
        task=task, data=str(data) if data else None, model=model, bits=bits or None, out=str(out),
        qat_from_float=qat_from_float, epochs=epochs, float_epochs=float_epochs, n=n, time=time, depth=depth,
        batch_size=batch_size, learning_rate=lr, patience=patience, clahe=clahe, seed=seed, shift_training=shift_training,
        augment=augment, balance=balance,
        model_cfg={"width": width, "depth": blocks, "po2_bits": po2_bits, "dims": dims,
                   "kernel": kernel if depth_kernel is None else (kernel, depth_kernel),
                   "factorise": factorise},
    )
    run = train_model(cfg)
    print_metrics(json.loads((run / "metrics.json").read_text()))
    Console().print(f"wrote {run}/ (model.h5, metrics.json, confusion.png, history.png, reliability.png, "
                    "split.json, preprocess.json)")


def print_metrics(metrics: dict, console: Console | None = None) -> None:
    """A per-class table (with 95 % bootstrap intervals) plus the headline figures of a run's metrics.json."""
    from hwgen.evidence import format_interval

    console = console or Console()
    ci = metrics.get("ci95") or {}
    ci_class = ci.get("per_class", {})
    table = Table(title=f"{metrics['model']} on {metrics['task']} ({metrics['bits'] or 'float'}-bit): test set"
                        + (f", 95 % intervals ({ci['method']})" if ci else ""))
    for column in ("class", "sensitivity", "specificity", "F1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for name, row in metrics["per_class"].items():
        c = ci_class.get(name, {})
        table.add_row(name, format_interval(row["sensitivity"], c.get("sensitivity")),
                      format_interval(row["specificity"], c.get("specificity")), f"{row['f1']:.3f}",
                      str(row["support"]))
    console.print(table)
    extra = ""
    if "calibration" in metrics:
        extra += f"  ECE {metrics['calibration']['ece']:.3f}"
    if "imbalance" in metrics:
        extra += f"  imbalance: {metrics['imbalance']['method']}"
    if "augmentation" in metrics:
        extra += f"  augmentation {'on' if metrics['augmentation']['enabled'] else 'off'}"
    console.print(
        f"accuracy {format_interval(metrics['accuracy'], ci.get('accuracy'))}  macro F1 {metrics['macro_f1']:.3f}  "
        f"params {metrics['params']}  MACs {metrics['macs']}  weight memory {metrics['weight_bits']} bits  "
        f"train {metrics['train_seconds']} s" + extra
    )


def predict(
    run: Path = typer.Argument(..., help="Run directory written by `hwgen train`."),
    data: Path = typer.Option(..., help="Data file (.npz/.h5) in the data layer's layout."),
    out: Path = typer.Option(Path("preds.json"), help="JSON file for the predictions."),
):
    """Classify a data file with a trained run, using exactly the run's preprocessing."""
    from hwgen.train import predict_file

    result = predict_file(run, data, out)
    console = Console()
    counts = {}
    for p in result["predictions"]:
        counts[p["class"]] = counts.get(p["class"], 0) + 1
    console.print(f"{len(result['predictions'])} examples: " + ", ".join(f"{c} {k}" for c, k in counts.items()))
    if "accuracy" in result:
        from hwgen.evidence import format_interval

        acc = format_interval(result["accuracy"], result["ci95"]["accuracy"])
        console.print(f"accuracy {acc}  confusion (rows true) {result['confusion']}")
    console.print(f"wrote {out}")
