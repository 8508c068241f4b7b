"""`hwgen data ...`: synthesise, load, inspect ultrasound data sets."""

import typer

app = typer.Typer(help="Synthesise, load and inspect ultrasound data sets.", no_args_is_help=True)
