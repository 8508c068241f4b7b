"""Build folders for the board-step tests: hand-written inputs registered as a build, run by the builder."""

from __future__ import annotations

from pathlib import Path

from hwgen.builder import BuildConfig, run_build
from hwgen.builder.config import default_steps
from hwgen.builder.core import CONFIG_FILE, STEPS_DIR, canonical, open_build


def register(folder: Path, board: str, backend: str, before: str = "ip_sources") -> Path:
    """Make a hand-written folder a build whose steps before `before` have run (records written)."""
    import json

    cfg = BuildConfig(out=str(folder), source=str(folder / "model.h5"), board=board, backend=backend)
    (folder / STEPS_DIR).mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(json.dumps(cfg.to_json()))
    sequence = default_steps(cfg)
    for name in sequence[:sequence.index(canonical(before))]:
        (folder / STEPS_DIR / f"{name}.json").write_text("{}")
    return folder


def run_board(folder: Path, start: str = "ip_sources", stop: str | None = None) -> dict:
    """The board steps of the build in `folder`, through `hwgen build`'s runner."""
    return run_build(open_build(folder).cfg, start=start, stop=stop)
