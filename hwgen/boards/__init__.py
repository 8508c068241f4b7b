"""The board registry: one small TOML file per board in `boards/` (part, PS, ports, clock, resources).

    >>> from hwgen.boards import get
    >>> get("pynq-z2").part
    'xc7z020clg400-1'

Add a board by dropping `boards/<name>.toml` with the keys of `Board` (see `boards/pynq-z2.toml`);
nothing else changes. The overlay build (`hwgen.boards.steps`) configures the processing system from the
file's `[ps]` and `[ps.config]` tables, so board files of the vendor (`board_part`) are optional.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from hwgen.boards.ps import PS_TYPES, SLAVE_WIDTHS, PSType
from hwgen.errors import HwgenError
from hwgen.paths import BOARDS_DIR

RESOURCE_KEYS = ("lut", "ff", "bram18", "dsp")
MIN_REGISTER_RANGE = 0x1000  # Vivado maps AXI-Lite slaves in windows of at least 4 KiB


@dataclass(frozen=True)
class PS:
    """The processing system of a board and the two AXI ports the overlay uses."""

    type: str                 # "ps7" (Zynq-7000) or "ps8" (Zynq UltraScale+)
    ctrl_port: str            # PS master port: the DMA's and the accelerator's registers
    data_port: str            # PS slave port: the DMA's memory traffic
    data_width: int           # that port's width = the DMA's memory-mapped width
    pl_pll_mhz: float         # the PLL the fabric clock divides (for the clock divisors in a modelled .hwh)
    config: dict = field(default_factory=dict)   # explicit PS settings (no board files needed)

    @property
    def kind(self) -> PSType:
        return PS_TYPES[self.type]


@dataclass(frozen=True)
class Address:
    """Where the DMA's and the accelerator's register windows sit in the control port's window."""

    dma: int
    accel: int
    range: int = 0x10000


@dataclass(frozen=True)
class Board:
    """A target board: part, PS and its ports, fabric clock and the resources estimates compare against."""

    name: str
    part: str
    clock_mhz: float
    ps: PS
    address: Address
    hls_backend: str = "Vitis"
    board_part: str = ""
    pynq_version: str = ""
    description: str = ""
    resources: dict = field(default_factory=dict)

    @property
    def clock_period_ns(self) -> float:
        return 1000.0 / self.clock_mhz


def available() -> list[str]:
    """Names of the boards in the registry."""
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def get(name: str) -> Board:
    """The board called `name`, or the board file `name` (a path ending in .toml: a board of your own, named
    after the file); an unknown name lists the known ones."""
    if str(name).endswith(".toml"):
        path = Path(name)
        if not path.is_file():
            raise HwgenError(f"board file {name}: not found")
        name = path.stem
    else:
        path = BOARDS_DIR / f"{name}.toml"
    if not path.is_file():
        raise HwgenError(f"unknown board {name!r}; available: {', '.join(available()) or 'none'} (files in {BOARDS_DIR})")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise HwgenError(f"{path}: not valid TOML ({err})") from err
    return _board(path, name, data)


def _board(path: Path, name: str, data: dict) -> Board:
    missing = [k for k in ("name", "part", "clock_mhz", "ps", "address") if k not in data]
    missing += [f"resources.{k}" for k in RESOURCE_KEYS if k not in data.get("resources", {})]
    if missing:
        raise HwgenError(f"{path}: missing keys {missing}")
    if data["name"] != name:
        raise HwgenError(f"{path}: name {data['name']!r} does not match the file name {name!r}")
    _known(path, "", data, Board)
    _known(path, "ps.", data["ps"], PS)
    _known(path, "address.", data["address"], Address)
    try:
        board = Board(**{**data, "ps": PS(**data["ps"]), "address": Address(**data["address"])})
    except TypeError as err:  # a missing key inside [ps] or [address]
        raise HwgenError(f"{path}: {err}") from err
    _check(path, board)
    return board


def _known(path: Path, prefix: str, data: dict, cls) -> None:
    extra = set(data) - set(cls.__dataclass_fields__)
    if extra:
        raise HwgenError(f"{path}: unknown keys {sorted(prefix + k for k in extra)}; "
                         f"known: {sorted(prefix + k for k in cls.__dataclass_fields__)}")


def _check(path: Path, board: Board) -> None:
    """Refuse a board file whose PS ports or register windows cannot make a valid block design."""
    ps = board.ps
    if ps.type not in PS_TYPES:
        raise HwgenError(f"{path}: ps.type {ps.type!r} is not one of {sorted(PS_TYPES)}")
    kind = ps.kind
    if ps.ctrl_port not in kind.masters:
        raise HwgenError(f"{path}: ps.ctrl_port {ps.ctrl_port!r} is not a {ps.type} master port; "
                         f"known: {sorted(kind.masters)}")
    if ps.data_port not in kind.slaves:
        raise HwgenError(f"{path}: ps.data_port {ps.data_port!r} is not a {ps.type} slave port; "
                         f"known: {sorted(kind.slaves)}")
    if ps.data_width not in SLAVE_WIDTHS[ps.type]:
        raise HwgenError(f"{path}: ps.data_width {ps.data_width} is not one of {SLAVE_WIDTHS[ps.type]} "
                         f"for {ps.data_port}")
    if not 10.0 <= board.clock_mhz <= 500.0:
        raise HwgenError(f"{path}: clock_mhz {board.clock_mhz} outside 10..500 MHz")
    span = board.address.range
    if span < MIN_REGISTER_RANGE or span & (span - 1):
        raise HwgenError(f"{path}: address.range {span:#x} must be a power of two of at least 4 KiB")
    base, size = kind.masters[ps.ctrl_port].window
    for key in ("dma", "accel"):
        offset = getattr(board.address, key)
        if offset % span or not base <= offset < offset + span <= base + size:
            raise HwgenError(f"{path}: address.{key} {offset:#x} must be aligned to {span:#x} and lie in "
                             f"{ps.ctrl_port}'s window {base:#x}..{base + size - 1:#x}")
    if board.address.dma == board.address.accel:
        raise HwgenError(f"{path}: address.dma and address.accel overlap ({board.address.dma:#x})")


def table_rows() -> list[dict]:
    """One row per board for `hwgen boards`."""
    rows = []
    for name in available():
        b = get(name)
        rows.append({"board": name, "part": b.part, "ps": b.ps.type, "clock_mhz": b.clock_mhz,
                     "ports": f"{b.ps.ctrl_port} / {b.ps.data_port} ({b.ps.data_width} b)",
                     "pynq": b.pynq_version, "lut": b.resources["lut"], "ff": b.resources["ff"],
                     "bram18": b.resources["bram18"], "dsp": b.resources["dsp"],
                     "ps_settings": len(b.ps.config), "board_part": b.board_part})
    return rows
