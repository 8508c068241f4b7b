"""The `hwgen` command.

Each subcommand lives in its own module (`hwgen/cli/<name>.py`) so that `hwgen --help` stays fast:
modules import TensorFlow, hls4ml and friends inside their command functions, never at the top.
"""

import importlib
import os
import sys
import warnings

import typer
from rich.console import Console

from hwgen import __version__
from hwgen.errors import HwgenError

app = typer.Typer(
    name="hwgen",
    help="Lightweight quantized CNNs for ultrasound signal classification, from data to a Zynq SoC.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Subcommand groups: module -> its `app` (a typer.Typer).
GROUPS = {
    "data": "hwgen.cli.data",
    "sim": "hwgen.cli.sim",
}
# Single commands: name -> (module, function).
COMMANDS = {
    "demo": ("hwgen.cli.demo", "demo"),
    "train": ("hwgen.cli.train", "train"),
    "predict": ("hwgen.cli.train", "predict"),
    "compress": ("hwgen.cli.compress", "compress"),
    "convert": ("hwgen.cli.convert", "convert"),
    "build": ("hwgen.cli.build", "build"),
    "boards": ("hwgen.cli.boards", "boards"),
}

for _name, _module in GROUPS.items():
    app.add_typer(importlib.import_module(_module).app, name=_name)
for _name, (_module, _func) in COMMANDS.items():
    app.command(_name)(getattr(importlib.import_module(_module), _func))


def _version(value: bool):
    if value:
        print(f"hwgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
):
    """hwgen: ultrasound data -> QKeras QAT model -> hls4ml / hwgen RTL -> PYNQ overlay."""


def _quiet_libraries() -> None:
    """TensorFlow's start-up log and Keras' HDF5/serialisation warnings say nothing a user can act on."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"keras(\.|$)")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors print one line and exit 2; bugs keep their traceback."""
    _quiet_libraries()
    try:
        app(args=argv, prog_name="hwgen")
    except HwgenError as err:
        Console(stderr=True).print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        sys.exit(2)
