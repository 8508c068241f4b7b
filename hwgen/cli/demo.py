"""`hwgen demo`: the default chain on a built-in default, as `make demo` runs it."""

from pathlib import Path
from typing import Optional

import typer

from hwgen.cli.options import option
from hwgen.flow import FlowConfig, step_names
from hwgen.models.catalog import MODELS


def demo(
    out: Path = option(FlowConfig, "out", "Folder for everything the demo writes."),
    task: str = option(FlowConfig, "task", "Data task."),
    n: int = option(FlowConfig, "n", "Synthetic examples to generate."),
    model: str = option(FlowConfig, "model", f"Zoo model to train: {', '.join(MODELS)}."),
    board: str = option(FlowConfig, "board", "Board from boards/."),
    start: Optional[str] = typer.Option(None, help=f"First step to run (default: the first): {', '.join(step_names())}."),
    stop: Optional[str] = typer.Option(None, help="Last step to run (default: the last)."),
):
    """Synthetic data -> gallery -> QAT model -> hls4ml project -> C-sim bit-exactness report."""
    from hwgen import flow
    from hwgen.outputs import check_folder
    from hwgen.settings import check

    cfg = FlowConfig(out=str(out), task=task, n=n, model=model, board=board)
    check(cfg)
    check_folder(out, what="demo folder")
    flow.run(cfg, start=start, stop=stop)
