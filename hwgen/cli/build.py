"""`hwgen build ...`: the step-by-step build from a trained model to a board overlay."""

import typer

# The group exists so the command layout is stable; its steps (RTL assembly, Vivado synthesis,
# packaging) land with the board-overlay work and need vendor tools for the last of them.
app = typer.Typer(help="Build a board overlay step by step. No steps yet: the overlay build needs Vivado "
                       "and is not part of this release.", no_args_is_help=True)
