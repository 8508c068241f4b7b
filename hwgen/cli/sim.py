"""`hwgen sim ...`: run a build's hardware views against the integer graph."""

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Simulate a build's hardware against the integer graph, bit for bit.", no_args_is_help=True)


@app.command("csim")
def csim(
    build: Path = typer.Argument(..., help="Build folder written by `hwgen convert` / `hwgen build`."),
    data: Optional[Path] = typer.Option(None, help="Data file (default: the build's verification set, "
                                                   "the run's test split)."),
):
    """Compile the hls4ml project with g++ and compare it, bit for bit, with the integer graph."""
    from hwgen.builder.core import open_build, run_step
    from hwgen.hls.steps import step_csim
    from hwgen.outputs import check_folder

    check_folder(build, option="BUILD", what="build folder", must_exist=True)
    b = open_build(build)
    run_step(b, "step_csim", lambda b_, cfg: step_csim(b_, cfg, data=data))


@app.command("rtl")
def rtl(
    build: Path = typer.Argument(..., help="Build folder with an rtl/ design (`hwgen build --backend rtl`)."),
    data: Optional[Path] = typer.Option(None, help="Data file (default: the build's verification set, "
                                                   "the run's test split)."),
    idle: float = typer.Option(0.0, min=0.0, max=0.9, help="Probability of an idle input cycle (random gaps)."),
    stall: float = typer.Option(0.0, min=0.0, max=0.9, help="Probability of output backpressure in a cycle."),
):
    """Simulate the whole RTL design with Verilator and compare every logit, bit for bit, with the integer graph."""
    from hwgen.builder.core import open_build, run_step
    from hwgen.outputs import check_folder
    from hwgen.rtl.steps import step_rtlsim

    check_folder(build, option="BUILD", what="build folder", must_exist=True)
    b = open_build(build)
    run_step(b, "step_rtlsim", lambda b_, cfg: step_rtlsim(b_, cfg, data=data, idle=idle, stall=stall))
