"""The board-side code from the main environment's side: it never imports pynq here, it stays Python
3.10-clean (the PYNQ images run 3.10) and imports only what a board has. The driver itself is tested
on the simulated board in the pynq environment (pynq_tests/, `make test-pynq`)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BOARD_SIDE = sorted((REPO / "hwgen" / "runtime").glob("*.py")) + [REPO / "hwgen" / "errors.py"]
# numpy, pynq and the standard library of Python 3.10: what a PYNQ image has
ALLOWED = {"numpy", "pynq", "hwgen", "__future__", "json", "time", "dataclasses", "pathlib", "typing",
           "xml", "hashlib", "struct", "math"}
NEWER_THAN_310 = {"tomllib", "ExceptionGroup", "Self", "StrEnum", "UTC", "TaskGroup", "reveal_type", "assert_never",
                  "LiteralString", "Never", "Required", "NotRequired"}


def test_the_main_environment_never_imports_pynq():
    code = ("import sys, hwgen.runtime, hwgen.runtime.protocol, hwgen.boards.deploy, hwgen.pynqsim, "
            "hwgen.pynqsim.folder, hwgen.pynqsim.prepare, hwgen.rtl.sim\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pynq'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("path", BOARD_SIDE, ids=lambda p: p.name)
def test_board_side_code_is_python_310_and_imports_what_a_board_has(path):
    tree = ast.parse(path.read_text(), feature_version=(3, 10))   # 3.11 syntax (except*, ...) fails here
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
            names |= {a.name.split(".")[-1] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
            names |= {a.name for a in node.names}
            if node.module and node.module.startswith("hwgen") and not node.module.startswith(("hwgen.runtime", "hwgen.errors")):
                pytest.fail(f"{path.name} imports {node.module}, which the deployment folder does not ship")
    assert imported <= ALLOWED, f"{path.name} imports {sorted(imported - ALLOWED)}"
    assert not names & NEWER_THAN_310, f"{path.name} uses {sorted(names & NEWER_THAN_310)} (newer than Python 3.10)"


def _python310():
    """A working Python 3.10 (PATH, or pyenv's versions folder), if the machine has one."""
    candidates = [shutil.which("python3.10")] + sorted(map(str, (Path.home() / ".pyenv" / "versions").glob("3.10*/bin/python3.10")))
    for exe in filter(None, candidates):
        if subprocess.run([exe, "-c", "pass"], capture_output=True).returncode == 0:
            return exe
    return None


@pytest.mark.skipif(_python310() is None, reason="no python3.10 on this machine (ast feature checks above still run)")
def test_board_side_code_compiles_under_a_real_python_310(tmp_path):
    done = subprocess.run([_python310(), "-m", "py_compile", *map(str, BOARD_SIDE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
