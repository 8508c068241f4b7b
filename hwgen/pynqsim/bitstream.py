"""The simulated bitstream: a small JSON file standing where a .bit would, naming the accelerator model
the simulated board programs (and any design faults). No pynq import: the build side writes it."""

from __future__ import annotations

import json
from pathlib import Path

from hwgen.pynqsim.errors import SimulationError

MAGIC = "hwgen_simulated_bitstream"


def read_bitstream(path: Path) -> dict:
    """The JSON of a simulated bitstream; a one-line error for anything else (e.g. a real .bit)."""
    try:
        spec = json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        spec = None
    if not isinstance(spec, dict) or spec.get(MAGIC) != 1:
        raise SimulationError(f"{path}: not a simulated bitstream (the simulated board programs the JSON "
                              "file hwgen.pynqsim.folder writes; a real .bit needs a board)")
    return spec
