"""`hwgen demo`: the builder on its built-in demo config, as `make demo` runs it."""

from pathlib import Path
from typing import Optional

import typer


def demo(
    out: Path = typer.Option(Path("demo"), help="Build folder for everything the demo writes."),
    task: str = typer.Option("lung", help="Data task: lung, cardiac or aline."),
    n: int = typer.Option(300, help="Synthetic examples to generate."),
    model: str = typer.Option("shiftcnn", help="Zoo model to train."),
    board: str = typer.Option("pynq-z2", help="Board from boards/."),
    start: Optional[str] = typer.Option(None, help="First step to run (default: the first)."),
    stop: Optional[str] = typer.Option(None, help="Last step to run (default: the last)."),
    force: bool = typer.Option(False, "--force", help="Empty a demo folder built with other settings."),
):
    """Synthetic data -> gallery -> QAT model -> integer graph -> hls4ml project -> C-sim bit-exactness report."""
    from hwgen.builder import demo_config, run_build

    run_build(demo_config(out=str(out), task=task, n=n, model=model, board=board), start=start, stop=stop,
              force=force)
