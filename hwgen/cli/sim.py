"""`hwgen sim ...`: C simulation of hls4ml projects and RTL simulation against the golden model."""

import typer

app = typer.Typer(help="Simulate generated hardware against the golden integer model.", no_args_is_help=True)
