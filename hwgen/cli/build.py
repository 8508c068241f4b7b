"""`hwgen build ...`: the step-by-step build from a trained model to a board overlay."""

import typer

app = typer.Typer(help="Build a board overlay step by step (vendor tools needed for the last steps).",
                  no_args_is_help=True)
