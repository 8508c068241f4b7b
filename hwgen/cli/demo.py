"""`hwgen demo`: the default chain on a built-in default, as `make demo` runs it."""

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("demo"), help="Folder for everything the demo writes."),
    task: str = typer.Option("lung", help="Data task: lung, cardiac or aline."),
    n: int = typer.Option(600, help="Synthetic examples to generate."),
    model: str = typer.Option("shiftcnn", help="Zoo model to train."),
    board: str = typer.Option("pynq-z2", help="Board from boards/."),
    start: str = typer.Option(None, help="First step to run (default: the first)."),
    stop: str = typer.Option(None, help="Last step to run (default: the last)."),
):
    """Synthetic data -> gallery -> QAT model -> hls4ml project -> C-sim bit-exactness report."""
    from hwgen.flow import FlowConfig, run

    run(FlowConfig(out=str(out), task=task, n=n, model=model, board=board), start=start, stop=stop)
