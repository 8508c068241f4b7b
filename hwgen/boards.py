"""The board registry: one small TOML file per board in `boards/` (part, clock, resources).

    >>> from hwgen.boards import get
    >>> get("pynq-z2").part
    'xc7z020clg400-1'

Add a board by dropping `boards/<name>.toml` with the keys of `Board`; nothing else changes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from hwgen.errors import HwgenError
from hwgen.paths import BOARDS_DIR

RESOURCE_KEYS = ("lut", "ff", "bram18", "dsp")


@dataclass(frozen=True)
class Board:
    """A target board: the FPGA part, fabric clock and the resources the estimates compare against."""

    name: str
    part: str
    clock_mhz: float
    hls_backend: str = "Vitis"
    ps: str = ""
    description: str = ""
    resources: dict = field(default_factory=dict)

    @property
    def clock_period_ns(self) -> float:
        return 1000.0 / self.clock_mhz


def available() -> list[str]:
    """Names of the boards in the registry."""
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def get(name: str) -> Board:
    """The board called `name`; an unknown name lists the known ones."""
    path = BOARDS_DIR / f"{name}.toml"
    if not path.is_file():
        raise HwgenError(f"unknown board {name!r}; available: {', '.join(available()) or 'none'} (files in {BOARDS_DIR})")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise HwgenError(f"{path}: not valid TOML ({err})") from err
    missing = [k for k in ("name", "part", "clock_mhz") if k not in data]
    missing += [f"resources.{k}" for k in RESOURCE_KEYS if k not in data.get("resources", {})]
    if missing:
        raise HwgenError(f"{path}: missing keys {missing}")
    if data["name"] != name:
        raise HwgenError(f"{path}: name {data['name']!r} does not match the file name {name!r}")
    known = set(Board.__dataclass_fields__)
    extra = set(data) - known
    if extra:
        raise HwgenError(f"{path}: unknown keys {sorted(extra)}; known: {sorted(known)}")
    return Board(**data)
