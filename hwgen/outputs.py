"""Where commands write: checked before any work, and reported when a command is interrupted.

Every command that writes calls `check_file`, `check_image` or `check_folder` on its outputs first, so an
unwritable folder, an output path that is an existing file (or folder), or an unsupported extension stops
it with one line before it spends minutes on work it cannot save. The checks also register the outputs:
when the user presses Ctrl-C, `hwgen.cli.main` prints `interrupted_report()`, saying for each output
whether nothing was written, it is unchanged, or it is incomplete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hwgen.errors import HwgenError

_PENDING: list[tuple[Path, str, object]] = []   # (output, what it holds, its state before the command)


class OutputError(HwgenError):
    """An output path a command cannot write."""


def image_suffixes() -> tuple[str, ...]:
    """Extensions matplotlib can write (.png, .pdf, .svg, ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple(f".{ext}" for ext in sorted(FigureCanvasBase.get_supported_filetypes()))


def check_file(path, *, option: str = "--out", suffixes=None, what: str = "output") -> Path:
    """Refuse a file output that cannot be written; returns it as a Path and registers it."""
    path = Path(path)
    label = f"{option} {path}"
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise OutputError(f"{label}: unsupported extension {path.suffix or '(none)'}; use {', '.join(suffixes)}")
    if path.is_dir():
        raise OutputError(f"{label}: is a folder, expected a file name")
    folder = _existing_folder(path.parent, label)
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{label}: the file exists and is read-only")
    if not _writable(folder):
        raise OutputError(f"{label}: cannot write in {folder} (permission denied or read-only)")
    register(path, what)
    return path


def check_image(path, *, option: str = "--out", what: str = "image") -> Path:
    """check_file for a figure: the extension must be one matplotlib writes."""
    return check_file(path, option=option, suffixes=image_suffixes(), what=what)


def check_folder(path, *, option: str = "--out", what: str = "folder", must_exist: bool = False) -> Path:
    """Refuse a folder output that is a file or cannot be written in; returns it as a Path and registers it."""
    path = Path(path)
    label = f"{option} {path}"
    if path.exists() and not path.is_dir():
        raise OutputError(f"{label}: is a file, expected a folder")
    if must_exist and not path.is_dir():
        raise OutputError(f"{label}: no such folder")
    folder = path if path.is_dir() else _existing_folder(path.parent, label)
    if not _writable(folder):
        raise OutputError(f"{label}: cannot write in {folder} (permission denied or read-only)")
    register(path, what)
    return path


def _existing_folder(folder: Path, label: str) -> Path:
    """The nearest existing ancestor (where the missing folders will be made); refuses a file in the way."""
    folder = folder if str(folder) else Path(".")
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{label}: {folder} is a file, not a folder")
    return folder


def _writable(folder: Path) -> bool:
    """Can a file be created here? Tried for real: permission bits do not tell root about read-only mounts."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


# -- interrupted commands -----------------------------------------------------------------------------------

def register(path, what: str) -> None:
    """Note an output a command is about to write, with its current state, for `interrupted_report`."""
    path = Path(path)
    _PENDING.append((path, what, _state(path)))


def reset() -> None:
    _PENDING.clear()


def interrupted_report() -> str:
    """One clause per registered output: nothing written, unchanged, or incomplete (and what to do)."""
    parts = []
    for path, what, before in _PENDING:
        now = _state(path)
        if now is None:
            parts.append(f"nothing written to {path}")
        elif now == before:
            parts.append(f"{path} unchanged")
        else:
            parts.append(f"{path} is an incomplete {what} (delete it or run the command again)")
    return "; ".join(parts) if parts else "it had not started writing"


def _state(path: Path):
    """None if absent; otherwise sizes and modification times of the file or of everything in the folder."""
    if not path.exists():
        return None
    if path.is_file():
        stat = path.stat()
        return stat.st_size, stat.st_mtime_ns
    entries = []
    for root, _, files in os.walk(path):
        for name in files:
            try:
                stat = os.stat(os.path.join(root, name))
            except OSError:
                continue
            entries.append((os.path.join(root, name), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))
