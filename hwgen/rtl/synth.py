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
    """The module's parameters with their default values (ints and strings; expressions skipped)."""
    text = _source(kernel)
    params: dict[str, object] = {}
    for name, value in re.findall(r"\bparameter\s+(?:integer\s+)?(\w+)\s*=\s*([^,\n)]+)", text):
        value = value.split("//")[0].strip()
        if re.fullmatch(r"-?\d+", value):
            params[name] = int(value)
        elif re.fullmatch(r'"[^"]*"', value):
            params[name] = value[1:-1]
    return params


def _source(kernel: str) -> str:
    path = KERNELS_DIR / f"{kernel}.v"
    if not path.is_file():
        raise HwgenError(f"no kernel {kernel!r}: {path} does not exist (kernels: {', '.join(list_kernels())})")
    return path.read_text()


# ---------------------------------------------------------------------------------------------
# Weight files at a kernel's parameters (random values of the declared widths)
# ---------------------------------------------------------------------------------------------

def _signed(rng, width: int, shape) -> np.ndarray:
    return rng.integers(-(1 << (width - 1)), 1 << (width - 1), size=shape)


def _conv_files(p: Mapping, rng) -> dict:
    shape = (p["K"], p["CH_IN"], p["CH_OUT"])
    if p.get("PRODUCT", "mul") == "shift" or "MAX_SHIFT" in p and "WEIGHT_W" not in p:
        sign, shift = rng.integers(-1, 2, size=shape), rng.integers(0, p["MAX_SHIFT"] + 1, size=shape)
        words = memfile.conv1d_weight_words(memfile.po2_codes(sign, shift, p["MAX_SHIFT"]), p["IN_PAR"], p["OUT_PAR"])
        weights = (words, 2 + memfile.shift_width(p["MAX_SHIFT"]), False)
    else:
        words = memfile.conv1d_weight_words(_signed(rng, p["WEIGHT_W"], shape), p["IN_PAR"], p["OUT_PAR"])
        weights = (words, p["WEIGHT_W"], True)
    bias = memfile.bias_words(_signed(rng, p["BIAS_W"], (p["CH_OUT"],)), p["OUT_PAR"])
    return {"WEIGHT_FILE": weights, "BIAS_FILE": (bias, p["BIAS_W"], True)}


def _depthwise_files(p: Mapping, rng) -> dict:
    w = memfile.depthwise_weight_words(_signed(rng, p["WEIGHT_W"], (p["K"], p["CH"])), p["PAR"])
    b = memfile.bias_words(_signed(rng, p["BIAS_W"], (p["CH"],)), p["PAR"], "CH")
    return {"WEIGHT_FILE": (w, p["WEIGHT_W"], True), "BIAS_FILE": (b, p["BIAS_W"], True)}


def _dense_files(p: Mapping, rng) -> dict:
    """kernels/dense.v (RTL-2): IN_BEATS*OUT_GROUPS words of PAR_OUT*PAR_IN weights, OUT_GROUPS
    words of PAR_OUT ACC_W-bit biases (see the header of dense.v)."""
    n_words = (p["N_IN"] // p["PAR_IN"]) * (p["N_OUT"] // p["PAR_OUT"])
    w = _signed(rng, p["WEIGHT_W"], (n_words, p["PAR_OUT"] * p["PAR_IN"]))
    b = _signed(rng, p["ACC_W"] - 8, (p["N_OUT"] // p["PAR_OUT"], p["PAR_OUT"]))
    return {"WEIGHT_FILE": (w, p["WEIGHT_W"], True), "BIAS_FILE": (b, p["ACC_W"], True)}


MEMORY_FILES: dict[str, Callable[[Mapping, np.random.Generator], dict]] = {
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
    files = []
    for param, (words, width, signed) in spec(params, np.random.default_rng(seed)).items():
        files.append(memfile.write_memh(folder / str(params[param]), words, width, signed))
    return files


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


def _chparams(params: Mapping, defaults: Mapping) -> list[str]:
    out = []
    for name, value in params.items():
        if defaults.get(name) == value:
            continue
        literal = f'"{value}"' if isinstance(value, str) else str(int(value))  # yosys: "text" is a string
        out.append(f"-set {name} {literal}")
    return out


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
        sources = [str(p) for p in filelist.sources(kernel)]
        chparam = "".join(f"chparam {c} {kernel}; " for c in _chparams(full, defaults))
        script = (f"read_verilog -sv {' '.join(sources)}; {chparam}"
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
