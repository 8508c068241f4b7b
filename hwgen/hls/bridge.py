"""The compiled hls4ml project called through its C bridge (ctypes): no TensorFlow, no hls4ml import.

hls4ml writes `<project>_bridge.cpp` with `extern "C"` entry points: `<project>_double(in, out)` runs
one sample, and `allocate_trace_storage` / `collect_trace_output` / `free_trace_storage` expose every
traced layer's output. `build_lib.sh` compiles it with g++. The library is rebuilt only when a source,
weight file or the build script changed (a stamp of their hashes), so a second C-sim costs no g++.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import subprocess
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError

STAMP = ".hwgen_csim_stamp"
MAX_TRACED = 4096


class TraceData(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p)]


def _sources_hash(project: Path) -> str:
    h = hashlib.sha256(str(project.resolve()).encode())  # the weights' directory is compiled in
    files = [project / "build_lib.sh", *sorted(project.glob("*_bridge.cpp"))]
    files += sorted(p for p in (project / "firmware").rglob("*") if p.is_file() and p.suffix != ".so")
    for path in files:
        h.update(path.name.encode())
        data = path.read_bytes()
        if path.name == "build_lib.sh":  # hls4ml writes a random library stamp on every write
            data = re.sub(rb"LIB_STAMP=\w+", b"", data)
        h.update(data)
    return h.hexdigest()


def compile_library(project: Path, status=None) -> tuple[Path, bool]:
    """The project's shared library, compiled now unless an up-to-date one exists. Returns (path, compiled)."""
    status = status or (lambda text: None)
    project = Path(project)
    digest = _sources_hash(project)
    stamp = project / STAMP
    libs = sorted((project / "firmware").glob("*.so"))
    if stamp.is_file() and stamp.read_text() == digest and libs:
        return libs[-1], False
    for old in libs:
        old.unlink()
    status("compiling the HLS C++ with g++")
    proc = subprocess.run(["bash", "build_lib.sh"], cwd=project, capture_output=True, text=True)
    libs = sorted((project / "firmware").glob("*.so"))
    if proc.returncode != 0 or not libs:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise HwgenError(f"g++ could not compile the hls4ml project in {project}:\n{tail}")
    stamp.write_text(_sources_hash(project))
    return libs[-1], True


class Bridge:
    """One loaded library: `run(x)` -> outputs, `trace(x, names)` -> per-layer outputs."""

    def __init__(self, library: Path, project_name: str, n_in: int, n_out: int):
        self.lib = ctypes.CDLL(str(library))
        self.top = getattr(self.lib, f"{project_name}_double")
        pointer = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
        self.top.argtypes = [pointer, pointer]
        self.top.restype = None
        self.n_in, self.n_out = n_in, n_out

    def run(self, x) -> np.ndarray:
        """Outputs (N, n_out) as float64 (exact for types up to 53 bits) for inputs (N, ...)."""
        x = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(len(x), -1))
        if x.shape[1] != self.n_in:
            raise HwgenError(f"the HLS model takes {self.n_in} values per sample, got {x.shape[1]}")
        out = np.zeros((len(x), self.n_out), dtype=np.float64)
        for i in range(len(x)):
            row = np.zeros(self.n_out, dtype=np.float64)
            self.top(np.ascontiguousarray(x[i]), row)
            out[i] = row
        return out

    def trace(self, x, sizes: dict[str, int]) -> dict[str, np.ndarray]:
        """{layer: (N, size) float64} of the traced layers named in `sizes` (their output sizes)."""
        alloc, collect, free = self.lib.allocate_trace_storage, self.lib.collect_trace_output, self.lib.free_trace_storage
        alloc.argtypes, alloc.restype = [ctypes.c_size_t], None
        collect.argtypes, collect.restype = [ctypes.POINTER(TraceData)], None
        free.argtypes, free.restype = None, None
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        traces: dict[str, list] = {name: [] for name in sizes}
        alloc(ctypes.sizeof(ctypes.c_double))
        try:
            for sample in x:
                row = np.zeros(self.n_out, dtype=np.float64)
                self.top(np.ascontiguousarray(sample), row)
                table = (TraceData * MAX_TRACED)()
                collect(table)
                for entry in table:
                    if entry.name is None:
                        break
                    name = entry.name.decode()
                    if name in sizes:
                        data = ctypes.cast(entry.data, ctypes.POINTER(ctypes.c_double))
                        traces[name].append(np.ctypeslib.as_array(data, shape=(sizes[name],)).copy())
        finally:
            free()
        return {name: np.asarray(rows) for name, rows in traces.items() if rows}
