"""`hwgen demo`: the builder on its built-in demo config, as `make demo` runs it."""

import inspect
from pathlib import Path
from typing import Optional

import typer

from hwgen.builder import demo_config
from hwgen.models.catalog import MODELS

DEMO = {name: p.default for name, p in inspect.signature(demo_config).parameters.items()}  # the defaults, once


def demo(
    out: Path = typer.Option(Path(DEMO["out"]), help="Build folder for everything the demo writes."),
    task: str = typer.Option(DEMO["task"], help="Data task (lung, cardiac, aline, ...: see `hwgen data synth`)."),
    n: int = typer.Option(DEMO["n"], min=1, help="Synthetic examples to generate."),
    model: str = typer.Option(DEMO["model"], help=f"Zoo model to train: {', '.join(MODELS)}."),
    board: str = typer.Option(DEMO["board"], help="Board from boards/."),
    start: Optional[str] = typer.Option(None, help="First step to run (default: the first)."),
    stop: Optional[str] = typer.Option(None, help="Last step to run (default: the last)."),
    force: bool = typer.Option(False, "--force", help="Empty a demo folder built with other settings."),
):
    """Synthetic data -> QAT model -> integer graph -> hls4ml project + C-sim, and RTL + Verilator + yosys, both bit-exact."""
    from hwgen import builder
    from hwgen.data.dataset import task_spec
    from hwgen.errors import ModelError
    from hwgen.outputs import check_folder

    task_spec(task, "--task")
    if model not in MODELS:
        raise ModelError(f"--model {model!r}: unknown; available: {', '.join(MODELS)}")
    check_folder(out, what="demo folder")
    builder.run_build(builder.demo_config(out=str(out), task=task, n=n, model=model, board=board), start=start,
                      stop=stop, force=force)
