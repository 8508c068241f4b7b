"""Resource counts of kernels/*.v with yosys (`synth_xilinx -family xc7`, `stat -tech xilinx`).

No vendor tool: yosys maps onto 7-series primitives (LUT1..6, FDRE, CARRY4, DSP48E1, RAMB18E1, ...),
which is close enough to compare kernels and parameter choices; Vivado's numbers will differ
somewhat. Kernels that read weight files ($readmemh) get random weights of their declared widths
written next to the run, so ROMs are neither empty nor constant-folded away.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError
from hwgen.graph import ops
from hwgen.paths import KERNELS_DIR
from hwgen.rtl import filelist, memfile

# primitive name -> column of the resource table
CELL_CLASSES = {
    "LUT": re.compile(r"^LUT[1-6]$"),
    "LUTRAM": re.compile(r"^RAM(32|64|128|256)(M|X\d+[SD])$"),
    "SRL": re.compile(r"^SRLC?(16|32)E?$"),
    "FF": re.compile(r"^FD[RSCP]E(_1)?$|^LD[CP]E$"),
    "CARRY4": re.compile(r"^CARRY4$"),
    "DSP48E1": re.compile(r"^DSP48E1$"),
    "RAMB18E1": re.compile(r"^RAMB18E1$"),
    "RAMB36E1": re.compile(r"^RAMB36E1$"),
}
COLUMNS = tuple(CELL_CLASSES)


def list_kernels() -> list[str]:
    return sorted(p.stem for p in KERNELS_DIR.glob("*.v"))


def kernel_defaults(kernel: str) -> dict[str, object]:
    """The module's parameters with their default values: ints and strings, None for a default that
    is an expression of other parameters (the parameter can still be set)."""
    start, end = _header(kernel)
    text = _source(kernel)[start:end]  # not the "parameter X=%0d" of $fatal messages
    params: dict[str, object] = {}
    for name, value in re.findall(r"\bparameter\s+(?:integer\s+|\[[^\]]*\]\s*)?(\w+)\s*=\s*([^,\n]+)", text):
        value = value.split("//")[0].strip()
        if re.fullmatch(r"-?\d+", value):
            params[name] = int(value)
        elif re.fullmatch(r'"[^"]*"', value):
            params[name] = value[1:-1]
        else:
            params[name] = None
    return params


def _header(kernel: str) -> tuple[int, int]:
    """Where the module's parameter and port header sits in its source: `module <kernel>` to `);`."""
    text = _source(kernel)
    match = re.search(rf"^module\s+{kernel}\b", text, re.M)
    if match is None:
        raise HwgenError(f"{kernel}.v does not define module {kernel}")
    return match.start(), text.index(");", match.start())


def _source(kernel: str) -> str:
    path = KERNELS_DIR / f"{kernel}.v"
    if not path.is_file():
        raise HwgenError(f"no kernel {kernel!r}: {path} does not exist (kernels: {', '.join(list_kernels())})")
    return path.read_text()


# ---------------------------------------------------------------------------------------------
# Weight files at a kernel's parameters (random values of the declared widths)
# ---------------------------------------------------------------------------------------------

def _signed(rng, width: int, shape) -> np.ndarray:
    lo, hi = ops.int_range(width)
    return rng.integers(lo, hi + 1, size=shape)


def _product(p: Mapping) -> str:
    """shift_conv1d has MAX_SHIFT and no WEIGHT_W; the others say PRODUCT (default "mul")."""
    return "shift" if p.get("PRODUCT") == "shift" or ("MAX_SHIFT" in p and "WEIGHT_W" not in p) else "mul"


def _weights(rng, shape, p: Mapping) -> np.ndarray:
    """Random integer weights as a kernel with parameters `p` takes them (po2 for shift kernels)."""
    if _product(p) == "shift":
        return ops.po2_to_int(rng.integers(-1, 2, size=shape), rng.integers(0, p["MAX_SHIFT"] + 1, size=shape))
    return _signed(rng, p["WEIGHT_W"], shape)


def _conv_files(p: Mapping, rng, folder: Path) -> dict:
    w = _weights(rng, (p["K"], p["CH_IN"], p["CH_OUT"]), p)
    b = _signed(rng, p["BIAS_W"], (p["CH_OUT"],))
    write = memfile.write_shift_conv1d if _product(p) == "shift" else memfile.write_conv1d
    return write(folder, w, b, p)


def _depthwise_files(p: Mapping, rng, folder: Path) -> dict:
    w = _weights(rng, (p["K"], p["CH"]), p)
    return memfile.write_depthwise_conv1d(folder, w, _signed(rng, p["BIAS_W"], (p["CH"],)), p)


def _dense_files(p: Mapping, rng, folder: Path) -> dict:
    """Biases of ACC_W - 8 bits: dense.v needs them to fit ACC_W - 1 bits."""
    w = _weights(rng, (p["N_IN"], p["N_OUT"]), p)
    return memfile.write_dense(folder, w, _signed(rng, p["ACC_W"] - 8, (p["N_OUT"],)), p)


MEMORY_FILES: dict[str, Callable[[Mapping, np.random.Generator, Path], dict]] = {
    "conv1d_engine": _conv_files,
    "conv1d_mac": _conv_files,
    "shift_conv1d": _conv_files,
    "depthwise_conv1d": _depthwise_files,
    "dense": _dense_files,
}


def write_memory_files(kernel: str, params: Mapping, folder: Path, seed: int = 0) -> list[Path]:
    spec = MEMORY_FILES.get(kernel)
    if spec is None:
        if "$readmemh" in _source(kernel):
            raise HwgenError(f"{kernel}: reads memory files but hwgen.rtl.synth.MEMORY_FILES has no writer for it")
        return []
    return list(spec(params, np.random.default_rng(seed), Path(folder)).values())


# ---------------------------------------------------------------------------------------------
# yosys
# ---------------------------------------------------------------------------------------------

def yosys_available() -> bool:
    return shutil.which("yosys") is not None


def parse_stat(text: str) -> dict[str, int]:
    """Cell counts of the last module in `stat` output, grouped into COLUMNS."""
    block = text.split("=== ")[-1]
    counts = dict.fromkeys(COLUMNS, 0)
    for cell, n in re.findall(r"^\s+([A-Za-z_$][\w$]*)\s+(\d+)\s*$", block, re.M):
        for column, pattern in CELL_CLASSES.items():
            if pattern.match(cell):
                counts[column] += int(n)
    return counts


def _literal(value) -> str:
    return f'"{value}"' if isinstance(value, str) else str(int(value))


def with_defaults(kernel: str, params: Mapping) -> str:
    """The kernel's source with `params` written in as its parameter defaults.

    yosys' chparam passes numbers as unsigned constants (a negative SHIFT, or a check like
    `SHIFT < -16`, then goes wrong) and re-elaborates once per parameter; a top module whose
    defaults are the wanted values elaborates once, with Verilog's own signed integers and strings.
    """
    text = _source(kernel)
    start, end = _header(kernel)
    header, body = text[:end], text[end:]
    for name, value in params.items():
        if value is None:
            continue
        pattern = rf"(\bparameter\s+(?:integer\s+|\[[^\]]*\]\s*)?{name}\s*=\s*)[^,\n]+?(?=\s*(?:,|//|\n))"
        header, n = re.subn(pattern, lambda m, v=value: m.group(1) + _literal(v), header, count=1)
        if n != 1:
            raise HwgenError(f"{kernel}: cannot set parameter {name} (no default found in its header)")
    return header + body


def synthesize(kernel: str, params: Mapping | None = None, workdir: Path | None = None,
               timeout: int = 1800, dsp: bool = True) -> dict:
    """Synthesize `kernel` (defaults overridden by `params`) for xc7; returns the resource counts.

    The result holds COLUMNS, 'params' (all parameters used) and 'seconds'. `dsp=False` maps
    multipliers to LUTs (synth_xilinx -nodsp), to price a multiplier in fabric.
    """
    if not yosys_available():
        raise HwgenError("yosys is not on PATH (apt-get install yosys): cannot count kernel resources")
    defaults = kernel_defaults(kernel)
    unknown = set(params or {}) - set(defaults)
    if unknown:
        raise HwgenError(f"{kernel}: unknown parameter(s) {sorted(unknown)}; it has {sorted(defaults)}")
    full = {**defaults, **(params or {})}
    with tempfile.TemporaryDirectory(prefix=f"synth-{kernel}-") as tmp:
        run_dir = Path(workdir or tmp)
        run_dir.mkdir(parents=True, exist_ok=True)
        write_memory_files(kernel, full, run_dir)
        top = run_dir / f"{kernel}.v"
        top.write_text(with_defaults(kernel, {k: v for k, v in (params or {}).items() if v != defaults.get(k)}))
        sources = [str(p) for p in filelist.sources(kernel) if p.stem != kernel] + [str(top)]
        script = (f"read_verilog -sv {' '.join(sources)}; "
                  f"synth_xilinx -family xc7 -flatten{'' if dsp else ' -nodsp'} -top {kernel}; tee -o stat.txt stat -tech xilinx")
        start = time.perf_counter()
        proc = subprocess.run(["yosys", "-q", "-p", script], cwd=run_dir, capture_output=True, text=True,
                              timeout=timeout)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln or "rror" in ln]
            raise HwgenError(f"yosys failed on {kernel}: {' | '.join(errors[-3:]) or proc.stderr[-400:]}")
        counts = parse_stat((run_dir / "stat.txt").read_text())
    return {**counts, "params": full, "seconds": round(seconds, 1)}


# ---------------------------------------------------------------------------------------------
# Calibration: resources as a fixed overhead plus a cost per product computed each cycle
# ---------------------------------------------------------------------------------------------

def fit_per_product(products, counts) -> dict:
    """Least-squares `count = fixed + per_product * products` over sweep points, with residuals.

    Returns fixed, per_product, residuals (measured - fitted, per point), max_abs_residual and
    max_rel_residual (relative to the measured count, over points with a nonzero count).
    """
    p = np.asarray(products, dtype=np.float64)
    y = np.asarray(counts, dtype=np.float64)
    if p.size < 2 or np.ptp(p) == 0:
        raise HwgenError("a per-product fit needs at least two different product counts")
    (fixed, per_product), *_ = np.linalg.lstsq(np.stack([np.ones_like(p), p], axis=1), y, rcond=None)
    residuals = y - (fixed + per_product * p)
    nonzero = y != 0
    return {
        "fixed": round(float(fixed), 2),
        "per_product": round(float(per_product), 3),
        "residuals": [round(float(r), 1) for r in residuals],
        "max_abs_residual": round(float(np.abs(residuals).max()), 1),
        "max_rel_residual": round(float((np.abs(residuals[nonzero]) / y[nonzero]).max()), 3) if nonzero.any() else 0.0,
    }
