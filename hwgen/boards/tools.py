"""Finding the vendor tools: Vivado, and Vitis HLS as `v++`, `vitis-run` or `vitis_hls`.

Each is looked up on PATH, then under $XILINX_VIVADO/bin, $XILINX_HLS/bin and $XILINX_VITIS/bin. Its
version comes from `<tool> -version` (or the install path when the tool says nothing). A version the
scripts were not written for is named in a warning; a missing tool ends the step with `ToolsMissing`,
which says what was generated and the one command that finishes the build.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from hwgen.errors import HwgenError

ENV_DIRS = {"vivado": ("XILINX_VIVADO",), "v++": ("XILINX_VITIS", "XILINX_HLS"),
            "vitis-run": ("XILINX_VITIS", "XILINX_HLS"), "vitis_hls": ("XILINX_HLS", "XILINX_VITIS")}
VERSION_FLAG = {"vivado": "-version", "v++": "--version", "vitis-run": "--version", "vitis_hls": "-version"}
_VERSION = re.compile(r"(?<![\d.])(20\d\d\.\d)(?![\d])")


class ToolsMissing(HwgenError):
    """A step needs a vendor tool this machine does not have. Nothing generated so far is deleted."""


@dataclass(frozen=True)
class Tool:
    name: str
    path: str
    version: str   # e.g. "2023.2"; "" when unknown

    def to_json(self) -> dict:
        return {"name": self.name, "path": self.path, "version": self.version}


def find(name: str) -> Tool | None:
    """The tool `name` on PATH or under its XILINX_* install folder, with its version."""
    path = shutil.which(name)
    if path is None:
        for var in ENV_DIRS.get(name, ()):
            root = os.environ.get(var)
            if root and (Path(root) / "bin" / name).is_file():
                path = str(Path(root) / "bin" / name)
                break
    if path is None:
        return None
    return Tool(name, path, version_of(name, path))


def version_of(name: str, path: str) -> str:
    try:
        done = subprocess.run([path, VERSION_FLAG.get(name, "-version")], capture_output=True, text=True, timeout=120)
        text = done.stdout + done.stderr
    except (OSError, subprocess.TimeoutExpired):
        text = ""
    found = _VERSION.search(text) or _VERSION.search(str(Path(path).resolve()))
    return found.group(1) if found else ""


def check_version(tool: Tool, tested: tuple[str, ...]) -> str | None:
    """A warning (also emitted) when the tool's version is not one the scripts were written for."""
    if tool.version in tested:
        return None
    message = (f"{tool.name} {tool.version or '(unknown version)'} at {tool.path}: hwgen's scripts were "
               f"written for {', '.join(tested)}; continuing")
    warnings.warn(message, stacklevel=2)
    return message


def find_hls() -> Tool | None:
    """The Vitis HLS front end to use: v++ (unified flow, 2023.2+), else vitis-run, else vitis_hls."""
    for name in ("v++", "vitis-run", "vitis_hls"):
        tool = find(name)
        if tool is not None:
            if name == "v++" and tool.version and tool.version < "2023.2":
                continue  # the unified HLS flow of v++ starts with 2023.2
            return tool
    return None


def run(tool: Tool, args: list[str], log: Path, cwd: Path | None = None, status=None) -> None:
    """Run a vendor tool, its output into `log`; raise naming the log's last error line when it fails."""
    (status or (lambda text: None))(f"running {tool.name} {' '.join(args[:4])} (log: {log})")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        done = subprocess.run([tool.path, *args], stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    if done.returncode:
        raise HwgenError(f"{tool.name} failed (exit {done.returncode}): {last_error(log)}; full log: {log}")


def last_error(log: Path) -> str:
    """The last ERROR line of a Vivado/Vitis log (or its last line)."""
    lines = [line.strip() for line in Path(log).read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("ERROR", "hwgen:")) or "ERROR:" in line]
    return (errors or lines or ["no output"])[-1]
