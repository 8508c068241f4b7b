"""`hwgen sim ...`: C simulation of hls4ml projects and RTL simulation against the golden model."""

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Simulate generated hardware against the golden integer model.", no_args_is_help=True)


@app.command("csim")
def csim(
    build: Path = typer.Argument(..., help="Build folder written by `hwgen convert`."),
    data: Optional[Path] = typer.Option(None, help="Data file (default: the run's test split in the build)."),
):
    """Compile the hls4ml project with g++ and compare it, bit for bit, with the golden model and Keras."""
    from rich.console import Console
    from rich.table import Table

    from hwgen.hls.csim import csim_build
    from hwgen.outputs import check_folder

    check_folder(build, option="BUILD", what="build folder (csim.json)", must_exist=True)
    console = Console()
    with console.status("C-sim") as spinner:
        result = csim_build(build, data, status=lambda text: spinner.update(f"[bold]{text}"), refuse=False)
    table = Table(title=f"C-sim of {build}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in ("n_samples", "golden_vs_csim_mismatches", "keras_vs_golden_argmax_agreement", "csim_accuracy",
                "golden_accuracy", "keras_accuracy", "input_values_clipped", "compile_seconds"):
        if key in result:
            value = result[key]
            table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    if result.get("golden_overflows"):
        console.print(f"[yellow]golden-model overflows (wrapped/saturated values):[/] {result['golden_overflows']}")
    console.print(f"wrote {build}/csim.json")
    if result["golden_vs_csim_mismatches"]:
        from hwgen.hls.csim import CsimMismatch, mismatch_message

        raise CsimMismatch(mismatch_message(result))
