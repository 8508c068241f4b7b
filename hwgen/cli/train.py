"""`hwgen train` and `hwgen predict` (TensorFlow is imported inside the commands, not here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hwgen.cli.options import option
from hwgen.models.catalog import BITS_RANGE, DEFAULTS, MODELS, TESTED_BITS
from hwgen.settings import default
from hwgen.train import TrainConfig

MODEL_NAMES = ", ".join(MODELS)


def train(
    task: str = option(TrainConfig, "task", "Task (its classes and line rate)."),
    data: Optional[Path] = typer.Option(None, help="Data file (.npz/.h5); default: synthesise the task."),
    model: str = option(TrainConfig, "model", f"Zoo model: {MODEL_NAMES}."),
    bits: int = typer.Option(default(TrainConfig, "bits") or 0, help=f"Weight/activation bits: {', '.join(map(str, TESTED_BITS))} "
                             f"(tested), any of {BITS_RANGE[0]}..{BITS_RANGE[1]}; 0 = float model."),
    out: Path = option(TrainConfig, "out", "Run directory to write."),
    qat_from_float: bool = option(TrainConfig, "qat_from_float", "Float pre-training, then QAT fine-tune.",
                                  "--qat-from-float"),
    epochs: int = option(TrainConfig, "epochs", "(QAT) training epochs; early stopping may end sooner."),
    float_epochs: int = option(TrainConfig, "float_epochs", "Float pre-training epochs (with --qat-from-float)."),
    n: int = option(TrainConfig, "n", "Examples to synthesise without --data."),
    time: Optional[int] = option(TrainConfig, "time", "Model input time steps (default: the data's)."),
    depth: Optional[int] = option(TrainConfig, "depth", "Model input depth bins (default: the data's)."),
    width: float = typer.Option(DEFAULTS["width"], help="Width multiplier of the stage filters."),
    blocks: int = typer.Option(DEFAULTS["depth"], help="Blocks per stage (depth multiplier)."),
    kernel: int = typer.Option(DEFAULTS["kernel"], help="Kernel taps along slow time."),
    po2_bits: int = typer.Option(DEFAULTS["po2_bits"], help="Bits of power-of-two (shift) weights."),
    dims: int = typer.Option(DEFAULTS["dims"], help="1: convolve along time, depth bins as channels (hardware "
                             "path); 2: time x depth image (hls4ml only; hwgen convert/golden/RTL are 1-D)."),
    depth_kernel: Optional[int] = typer.Option(None, help="With --dims 2: taps along depth (default: --kernel)."),
    factorise: bool = typer.Option(DEFAULTS["factorise"], "--factorise",
                                   help="With --dims 2: k x k kernels as k x 1 then 1 x k."),
    shift_training: str = option(TrainConfig, "shift_training", "Shift (po2) layers: q = quantize weights "
                                 "(DeepShift-Q), ps = train sign and shift (DeepShift-PS), saved as stock po2 layers."),
    batch_size: int = option(TrainConfig, "batch_size", "Batch size."),
    lr: float = option(TrainConfig, "learning_rate", "Learning rate."),
    patience: int = option(TrainConfig, "patience", "Early-stopping patience (epochs)."),
    clahe: Optional[bool] = option(TrainConfig, "clahe", "CLAHE contrast equalisation in preprocessing "
                                   "(default: on for lung, off for the other tasks).", "--clahe/--no-clahe"),
    augment: bool = option(TrainConfig, "augment", "Training-time augmentation (gain, gamma, noise, time crop, "
                           "depth rescaling, lung-point splicing), a fresh seeded draw every epoch.",
                           "--augment/--no-augment"),
    balance: str = option(TrainConfig, "balance", "Class imbalance: weights (balanced class weights), resample "
                          "(class-balanced draw per epoch) or none."),
    seed: int = option(TrainConfig, "seed", "Seed for data, split and weights."),
):
    """Train a zoo model on an ultrasound task and write model.h5, metrics.json and plots."""
    from hwgen.outputs import check_folder
    from hwgen.settings import check

    cfg = TrainConfig(
        task=task, data=str(data) if data else None, model=model, bits=bits or None, out=str(out),
        qat_from_float=qat_from_float, epochs=epochs, float_epochs=float_epochs, n=n, time=time, depth=depth,
        batch_size=batch_size, learning_rate=lr, patience=patience, clahe=clahe, seed=seed, shift_training=shift_training,
        augment=augment, balance=balance,
        model_cfg={"width": width, "depth": blocks, "po2_bits": po2_bits, "dims": dims,
                   "kernel": kernel if depth_kernel is None else (kernel, depth_kernel),
                   "factorise": factorise},
    )
    check(cfg)
    check_folder(out, what="run directory")
    from hwgen import train as training  # looked up at call time: tests stand in for train_model

    run = training.train_model(cfg)
    training.print_metrics(json.loads((run / "metrics.json").read_text()))
    Console().print(f"wrote {run}/ (model.h5, metrics.json, confusion.png, history.png, reliability.png, "
                    "split.json, preprocess.json)")


def predict(
    run: Path = typer.Argument(..., help="Run directory written by `hwgen train`."),
    data: Path = typer.Option(..., help="Recording(s): .npz/.h5/.npy in the data layout, or a DICOM."),
    out: Path = typer.Option(Path("preds.json"), help="JSON file for the predictions."),
    hop: Optional[int] = typer.Option(None, min=1, help="Step between windows, in the model's lines "
                                      "(default: half a window)."),
    line_rate: Optional[float] = typer.Option(None, min=0, help="The recording's line rate in lines/s, when "
                                              "the file does not say it (default: the file's meta)."),
    line: Optional[str] = typer.Option(None, help="B-mode cine DICOM only: scan line x0,y0,x1,y1 in pixels."),
):
    """Classify recordings with a trained run: resampled to the run's line rate, one prediction per window."""
    from hwgen.cli.data import parse_line
    from hwgen.outputs import check_file

    check_file(out, suffixes=(".json",), what="predictions file")
    from hwgen import train as training

    result = training.predict_file(run, data, out, hop=hop, line=parse_line(line, str(data)),
                                   recording_rate_hz=line_rate or None)
    console = Console()
    for note in result["notes"]:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    table = Table(title=f"{data}: {len(result['predictions'])} windows of {result['window_lines']} lines")
    for column in ("example", "windows", "class (mean)", *result["classes"]):
        table.add_column(column, justify="left" if column == "class (mean)" else "right")
    for ex in result["examples"]:
        table.add_row(str(ex["index"]), str(ex["windows"]), ex["class"], *(f"{p:.3f}" for p in ex["mean_probabilities"]))
    console.print(table)
    if "accuracy" in result:
        from hwgen.evidence import format_interval

        acc = format_interval(result["accuracy"], result["ci95"]["accuracy"])
        console.print(f"accuracy per window {acc}  confusion (rows true) {result['confusion']}", soft_wrap=True)
    console.print(f"wrote {out} (per window: example, start_s/end_s, class, probabilities)", soft_wrap=True)
