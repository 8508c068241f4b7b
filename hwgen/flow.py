"""The hwgen flow as a list of named steps over one JSON-serialisable config (FINN's builder shape).

Each `step_*(cfg, console)` reads what earlier steps wrote into `cfg.out`, writes its own artifacts
there, and returns a small JSON-able record that `run` saves as `steps/<step>.json`. A flow can
start or stop at any step, so a rerun does not redo what is already there.
`hwgen demo` (and `make demo`) runs these steps on the built-in default.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console

from hwgen.errors import HwgenError


@dataclass
class FlowConfig:
    out: str = "demo"
    task: str = "lung"
    n: int = 600            # synthetic examples (randomised settings, a third anatomical M-mode)
    time: int | None = None  # None: the task's default M-mode length
    depth: int = 64
    seed: int = 7
    model: str = "shiftcnn"
    bits: int = 8
    float_epochs: int = 30  # float pre-training, then QAT fine-tuning (early stopping ends sooner)
    epochs: int = 10
    batch_size: int = 64     # with augmentation on, larger batches keep the demo's time
    learning_rate: float = 3e-3
    board: str = "pynq-z2"
    io_type: str = "io_stream"

    @property
    def data_path(self) -> Path:
        return Path(self.out) / f"{self.task}.npz"

    @property
    def run_dir(self) -> Path:
        return Path(self.out) / "run"

    @property
    def build_dir(self) -> Path:
        return Path(self.out) / "hls"


def step_data(cfg: FlowConfig, console: Console) -> dict:
    """Synthesise the task's data set and draw its gallery."""
    from hwgen.data import save, synthesize
    from hwgen.data.plot import gallery

    ds = synthesize(cfg.task, cfg.n, seed=cfg.seed, time=cfg.time, depth=cfg.depth, progress=True)
    save(ds, cfg.data_path)
    png = gallery(ds, Path(cfg.out) / "gallery.png")
    console.print(f"data: {len(ds.x)} {cfg.task} examples {ds.x.shape[1:]} -> {cfg.data_path}; gallery {png}")
    return {"data": str(cfg.data_path), "gallery": str(png), "shape": list(ds.x.shape),
            "classes": list(ds.classes)}


def step_train(cfg: FlowConfig, console: Console) -> dict:
    """Train the QAT model on the data set (patient-grouped split)."""
    from hwgen.cli.train import print_metrics
    from hwgen.train import TrainConfig, train_model

    run = train_model(TrainConfig(task=cfg.task, model=cfg.model, bits=cfg.bits, data=str(cfg.data_path),
                                  out=str(cfg.run_dir), qat_from_float=True, float_epochs=cfg.float_epochs,
                                  epochs=cfg.epochs, seed=cfg.seed, batch_size=cfg.batch_size,
                                  learning_rate=cfg.learning_rate))
    metrics = json.loads((Path(run) / "metrics.json").read_text())
    print_metrics(metrics, console)
    return {"run": str(run), "accuracy": metrics.get("accuracy"), "macro_f1": metrics.get("macro_f1")}


def step_convert(cfg: FlowConfig, console: Console) -> dict:
    """Convert the trained model with hls4ml for the board, with inferred precisions."""
    from hwgen.hls.convert import convert
    from hwgen.hls.report import print_table

    with console.status("converting with hls4ml") as status:
        conv = convert(cfg.run_dir, board=cfg.board, out=cfg.build_dir, io_type=cfg.io_type, reuse="auto",
                       status=lambda text: status.update(f"convert: {text}"))
    print_table(conv.report)  # its own wide console: the table has 14 columns
    for note in conv.notes:
        console.print(f"[yellow]note:[/] {note}")
    totals = conv.report["totals"]
    return {"build": str(cfg.build_dir), "report": str(cfg.build_dir / "report.json"),
            "reuse": conv.settings["reuse"], "est_utilisation": totals["est_utilisation"],
            "est_latency_cycles": totals["est_latency_cycles"]}


def step_csim(cfg: FlowConfig, console: Console) -> dict:
    """Compile the HLS C++ and compare it with the golden integer model and Keras on the test split."""
    from hwgen.hls.csim import csim_build

    with console.status("C simulation") as status:
        result = csim_build(cfg.build_dir, status=lambda text: status.update(f"csim: {text}"))
    console.print(
        f"C-sim on {result['n_samples']} test examples: "
        f"golden vs C-sim mismatches [bold]{result['golden_vs_csim_mismatches']}[/], "
        f"Keras vs golden argmax agreement {result['keras_vs_golden_argmax_agreement']:.1%}, "
        f"C-sim accuracy {result['csim_accuracy']:.1%} (Keras {result['keras_accuracy']:.1%})")
    keep = ("n_samples", "golden_vs_csim_mismatches", "keras_vs_golden_argmax_agreement",
            "csim_accuracy", "keras_accuracy")
    return {k: result[k] for k in keep}


STEPS = [step_data, step_train, step_convert, step_csim]


def step_names() -> list[str]:
    return [s.__name__ for s in STEPS]


def run(cfg: FlowConfig, *, start: str | None = None, stop: str | None = None,
        console: Console | None = None) -> dict:
    """Run the steps from `start` to `stop` (inclusive); returns {step: record}."""
    console = console or Console()
    names = step_names()
    for name in (start, stop):
        if name is not None and name not in names:
            raise HwgenError(f"unknown step {name!r}; the steps are {', '.join(names)}")
    first = names.index(start) if start else 0
    last = names.index(stop) if stop else len(names) - 1
    out = Path(cfg.out)
    (out / "steps").mkdir(parents=True, exist_ok=True)
    (out / "flow.json").write_text(json.dumps(asdict(cfg), indent=1))
    records = {}
    for step in STEPS[first:last + 1]:
        console.rule(f"[bold]{step.__name__}[/]: {step.__doc__.splitlines()[0]}")
        t0 = time.perf_counter()
        record = step(cfg, console)
        record["seconds"] = round(time.perf_counter() - t0, 2)
        (out / "steps" / f"{step.__name__}.json").write_text(json.dumps(record, indent=1))
        records[step.__name__] = record
    return records
