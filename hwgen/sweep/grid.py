"""A sweep's settings and its grid of points: plain data, importable without TensorFlow or Ray.

A point is one (model, width, bits, compression, folding) of the cartesian grid; everything else (task,
data size, epochs, seed, window, board) is shared by every point of a sweep and recorded in its
`sweep.json`, so a rerun that changes it is refused instead of mixing two sweeps in one folder.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from hwgen.errors import HwgenError

# The shared settings a rerun must repeat (the axes may grow or shrink between runs).
SHARED_KEYS = ("task", "n", "epochs", "batch_size", "seed", "time", "depth", "board", "verify_max")
COMPRESS_TOKENS = {  # --compress token prefix -> hwgen.compress.CompressConfig field
    "prune": "prune", "slim": "prune_channels", "lowrank": "low_rank", "rank": "rank",
}
DATA_WIDTH = 64     # the input stream (the Zynq HP port), as hwgen build's default


class SweepError(HwgenError):
    """A bad sweep option or a sweep folder that cannot be used."""


@dataclass
class SweepConfig:
    """The grid's axes and the settings every point shares."""

    task: str = "lung"
    models: list[str] = field(default_factory=lambda: ["cnn", "dscnn", "shiftcnn"])
    widths: list[float] = field(default_factory=lambda: [0.25, 0.5])
    bits: list[int] = field(default_factory=lambda: [8, 4])
    compress: list[str] = field(default_factory=lambda: ["none"])
    fold: list[str] = field(default_factory=lambda: ["auto"])
    n: int = 300               # synthetic examples per point (the same set for every point: same seed)
    epochs: int = 10           # QAT epochs (and compression fine-tuning epochs)
    batch_size: int = 32
    seed: int = 0
    time: int | None = None    # model window (lines); None = the task's (256)
    depth: int | None = None   # depth bins; None = the task's (64)
    board: str = "pynq-z2"
    verify_max: int = 256      # test windows simulated bit for bit on the RTL (and scored)

    def shared(self) -> dict:
        return {k: getattr(self, k) for k in SHARED_KEYS}

    def to_json(self) -> dict:
        return asdict(self)


def parse_list(text: str, option: str, kind=str) -> list:
    """'a,b,c' -> [a, b, c] converted with `kind`; an empty item or a bad value is a one-line error."""
    items = [t.strip() for t in str(text).split(",")]
    if not items or any(not t for t in items):
        raise SweepError(f"{option} {text!r}: expected a comma-separated list without empty items")
    try:
        values = [kind(t) for t in items]
    except ValueError:
        raise SweepError(f"{option} {text!r}: expected a comma-separated list of {kind.__name__} values") from None
    if len(set(values)) != len(values):
        raise SweepError(f"{option} {text!r}: lists a value twice")
    return values


def compress_settings(token: str, epochs: int) -> dict | None:
    """'none' -> None; 'prune0.5+lowrank0.9' -> CompressConfig keyword arguments (checked by hwgen.compress)."""
    if token == "none":
        return None
    kwargs: dict = {}
    for part in token.split("+"):
        match = re.fullmatch(r"([a-z]+)([0-9.]+)", part)
        if not match or match.group(1) not in COMPRESS_TOKENS:
            raise SweepError(f"--compress {token!r}: {part!r} is not a setting; use none or "
                             f"{', '.join(k + ('N' if k == 'rank' else 'F') for k in COMPRESS_TOKENS)} "
                             "joined with + (e.g. prune0.5+lowrank0.9)")
        key = COMPRESS_TOKENS[match.group(1)]
        try:
            kwargs[key] = int(match.group(2)) if key == "rank" else float(match.group(2))
        except ValueError:
            raise SweepError(f"--compress {token!r}: {match.group(2)!r} is not a number") from None
    kwargs["epochs"] = max(epochs, 2) if "prune" in kwargs else epochs
    if "prune_channels" in kwargs:
        kwargs["slim_epochs"] = epochs  # the sweep's one training budget for every phase
    from hwgen.compress import CompressConfig

    try:
        CompressConfig(run="source", out="compressed", **kwargs).check()
    except HwgenError as err:
        raise SweepError(f"--compress {token!r}: {err}") from None
    return kwargs


def fold_target(token: str, time: int, depth: int, input_bits: int = 8) -> int | None:
    """The target II (cycles per frame) of a --fold value: 'auto' (None: the builder's default, keeping up
    with the input stream), 'xF' (F times the stream's beats per frame, with the builder's slack), or a
    whole number of cycles."""
    if token == "auto":
        return None
    from hwgen.rtl.flow import DEFAULT_SLACK

    if token.startswith("x"):
        try:
            factor = float(token[1:])
        except ValueError:
            factor = float("nan")
        if not math.isfinite(factor) or factor < 1:
            raise SweepError(f"--fold {token!r}: expected xF with F >= 1 (F times the input stream's interval)")
        beats = -(-time * depth // (DATA_WIDTH // (8 * -(-input_bits // 8))))
        return int(beats * DEFAULT_SLACK * factor)
    if token.isdigit() and int(token) >= 1:
        return int(token)
    raise SweepError(f"--fold {token!r}: expected auto, xF (a multiple of the input stream's interval, "
                     "e.g. x2) or a target II in cycles")


@dataclass(frozen=True)
class Point:
    model: str
    width: float
    bits: int
    compress: str
    fold: str

    @property
    def name(self) -> str:
        return f"{self.model}-w{self.width:g}-b{self.bits}-{self.compress}-{self.fold}"

    def to_json(self) -> dict:
        return asdict(self)


def check(cfg: SweepConfig) -> None:
    """Every bad option as one line, before Ray or TensorFlow start."""
    from hwgen import boards
    from hwgen.models.catalog import BITS_RANGE, MODELS
    from hwgen.settings import check as check_settings
    from hwgen.train import TrainConfig

    unknown = [m for m in cfg.models if m not in MODELS]
    if unknown:
        raise SweepError(f"--models: unknown model {unknown[0]!r}; available: {', '.join(MODELS)}")
    for w in cfg.widths:
        if not (math.isfinite(w) and 0 < w <= 8):
            raise SweepError(f"--widths {w:g}: expected a multiplier of the stage filters in (0, 8]")
    for b in cfg.bits:
        if not BITS_RANGE[0] <= b <= BITS_RANGE[1]:
            raise SweepError(f"--bits {b}: expected {BITS_RANGE[0]}..{BITS_RANGE[1]}")
    if cfg.verify_max < 1:
        raise SweepError(f"--verify-max {cfg.verify_max}: expected >= 1")
    check_settings(TrainConfig(task=cfg.task, n=cfg.n, epochs=cfg.epochs, batch_size=cfg.batch_size, seed=cfg.seed,
                               time=cfg.time, depth=cfg.depth))
    boards.get(cfg.board)
    for token in cfg.compress:
        compress_settings(token, cfg.epochs)
    time, depth = window(cfg)
    for token in cfg.fold:
        fold_target(token, time, depth)


def window(cfg: SweepConfig) -> tuple[int, int]:
    """The points' input window (lines, depth bins): the options, else the task's."""
    from hwgen.data import TASKS

    spec = TASKS[cfg.task]
    return int(cfg.time or spec.time), int(cfg.depth or spec.depth)


def points(cfg: SweepConfig) -> list[Point]:
    """The cartesian grid, in a stable order (model, width, bits, compression, folding)."""
    return [Point(m, float(w), int(b), c, f) for m in cfg.models for w in cfg.widths for b in cfg.bits
            for c in cfg.compress for f in cfg.fold]
