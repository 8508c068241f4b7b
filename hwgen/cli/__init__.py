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
from rich.markup import escape

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
    "explain": ("hwgen.cli.explain", "explain"),
    "sweep": ("hwgen.cli.sweep", "sweep"),
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


INTERRUPTED = 130  # the shell's code for a command stopped by SIGINT


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors (and usage errors) print one line and exit 2; Ctrl-C prints one line
    saying what was interrupted and what it left where, and exits 130; bugs keep their traceback."""
    from hwgen import outputs

    _quiet_libraries()
    args = list(sys.argv[1:] if argv is None else argv)
    outputs.reset()
    console = Console(stderr=True)
    try:
        code = app(args=args, prog_name="hwgen", standalone_mode=False)
    except HwgenError as err:
        console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        code = INTERRUPTED
    except Exception as err:
        if not _is_usage_error(err):
            raise
        if type(err).__name__ != "NoArgsIsHelpError":   # that one has printed the help already
            where = f"{err.ctx.command_path}: " if getattr(err, "ctx", None) else ""
            console.print(f"[bold red]error:[/] {escape(where + err.format_message())} (see --help)",
                          highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)
    if code == INTERRUPTED:   # typer turns KeyboardInterrupt into exit code 130
        console.print(f"interrupted: hwgen {_command(args)}; {outputs.interrupted_report()}", highlight=False,
                      soft_wrap=True, markup=False)
    sys.exit(code if isinstance(code, int) else 0)


def _is_usage_error(err: Exception) -> bool:
    """A click usage error (bad option value, missing argument...), recognised by its interface: typer
    vendors click, so its exception classes are not importable as a public name."""
    return hasattr(err, "format_message") and isinstance(getattr(err, "exit_code", None), int)


def _command(args: list[str]) -> str:
    """'data synth' or 'train': the command words of an argument list."""
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return ""
    return " ".join(words[:2]) if words[0] in GROUPS and len(words) > 1 else words[0]
