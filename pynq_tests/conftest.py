"""The simulated-board tests run in the pynq environment (.venv-pynq); the designs they load are built
once per test run by the main environment (HWGEN_MAIN_PYTHON, set by `make test-pynq`)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main_python() -> str:
    python = os.environ.get("HWGEN_MAIN_PYTHON") or str(REPO / ".venv" / "bin" / "python")
    if not Path(python).is_file():
        pytest.exit(f"no main-environment Python at {python}: run `make test-pynq` (it sets HWGEN_MAIN_PYTHON)")
    return python


@pytest.fixture(scope="session")
def designs(tmp_path_factory) -> dict:
    """designs.json of pynq_tests/designs.py, built once per run (shared by xdist workers)."""
    if not (shutil.which("tclsh") or shutil.which("tclsh8.6")):
        pytest.skip("tclsh not installed (Debian package tcl): the block design, and so the .hwh, cannot be modelled")
    root = tmp_path_factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    out = root / "designs"
    with open(root / "designs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "designs.json").is_file():
            shutil.rmtree(out, ignore_errors=True)
            env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
            done = subprocess.run([main_python(), str(HERE / "designs.py"), str(out)], capture_output=True,
                                  text=True, env=env, cwd=REPO)
            if done.returncode:
                pytest.fail(f"building the test designs failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return json.loads((out / "designs.json").read_text())


@pytest.fixture
def board():
    """A fresh simulated PYNQ-Z2, pynq's active device."""
    from hwgen.pynqsim import SimulatedBoard

    board = SimulatedBoard.activate()
    yield board
    board.close_design()


def copy_folder(src: str, dest: Path) -> Path:
    """A private copy of a deployment folder (tests edit or write into theirs)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest
