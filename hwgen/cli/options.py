"""Typer options derived from the settings dataclasses: their defaults, and their valid ranges in the help.

    epochs: int = option(TrainConfig, "epochs", "(QAT) training epochs.")

The range itself is enforced by `hwgen.settings.check` on the dataclass the command builds (one line,
before any work), so the CLI and the Python API refuse the same values.
"""

from __future__ import annotations

import typer

from hwgen.settings import default, describe


def option(cls, name: str, help: str, *flags: str, **kwargs):
    """typer.Option with the dataclass field's default and, when it has one, its range in the help."""
    limited = "limits" in cls.__dataclass_fields__[name].metadata
    text = f"{help} ({describe(cls, name)})" if limited else help
    return typer.Option(default(cls, name), *flags, help=text, **kwargs)
