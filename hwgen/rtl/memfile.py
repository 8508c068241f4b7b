"""$readmemh weight and bias files for kernels/*.v, so one RTL serves every model.

File format: one memory word per line, lower-case hex, no address markers. A word packs `lanes`
values of `width` bits each, lane 0 in the low bits; each value is written as `width`-bit two's
complement (or unsigned). A value that does not fit its declared width is REFUSED (HwgenError
naming the file, the value, its index and the width): nothing wraps silently.

Word order per kernel (G_IN = CH_IN/IN_PAR, G_OUT = CH_OUT/OUT_PAR, G = CH/PAR):

conv1d_mac / shift_conv1d (weights w[k, c_in, c_out] as in hwgen.graph.ops.conv1d)
    weights: G_OUT*G_IN words; word og*G_IN + ig, lane (j*K + k)*IN_PAR + i
             = w[k, ig*IN_PAR + i, og*OUT_PAR + j]
    biases:  G_OUT words; word og, lane j = b[og*OUT_PAR + j]                     (BIAS_W bits)
depthwise_conv1d (weights w[k, c] as in hwgen.graph.ops.depthwise_conv1d)
    weights: G words; word g, lane k*PAR + i = w[k, g*PAR + i]
    biases:  G words; word g, lane i = b[g*PAR + i]                                 (BIAS_W bits)
dense (weights w[i, o] as in hwgen.graph.ops.dense; B = N_IN/IN_PAR input beats, G_OUT = N_OUT/OUT_PAR)
    weights: B*G_OUT words; word b*G_OUT + og, lane j*IN_PAR + i = w[b*IN_PAR + i, og*OUT_PAR + j]
    biases:  G_OUT words; word og, lane j = b[og*OUT_PAR + j]                     (ACC_W bits)

Weight values (`stored_weights`): PRODUCT "mul" (conv1d_mac, depthwise_conv1d and dense by
default; "lut" alike) stores the integers, WEIGHT_W-bit two's complement. Power-of-two weights (shift_conv1d,
and depthwise_conv1d / dense with PRODUCT="shift") store ONE code format everywhere: 2 + SHIFT_W
unsigned bits {sign[1:0], shift[SHIFT_W-1:0]}, sign 01 = +1, 11 = -1, 00 = 0, SHIFT_W =
clog2(MAX_SHIFT + 1) (`po2_codes`); the writers take the integer weights (0 or +-2**shift, as in
hwgen.graph) and refuse any other value. The kernels compute +-(x << shift) exactly
(hwgen.graph.ops.shift_product), i.e. x * w on the accumulator grid x.frac + w.frac.
Biases are already aligned to the accumulator's binary point (hwgen.graph.ops.align). The
activations' signedness (DATA_SIGNED) does not change any file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError
from hwgen.graph import ops


def value_range(width: int, signed: bool = True) -> tuple[int, int]:
    if width < 1:
        raise HwgenError(f"a memory value needs at least 1 bit, got width {width}")
    return ops.int_range(width, signed)


def check_fits(values, width: int, signed: bool = True, what: str = "value") -> np.ndarray:
    """Integers as int64, or HwgenError naming the first value outside `width` bits and its index."""
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise HwgenError(f"{what}: values must be integers (quantise them first), got {arr.dtype}")
    elif arr.dtype.kind not in "iub":
        raise HwgenError(f"{what}: values must be integers, got {arr.dtype}")
    arr = arr.astype(np.int64)
    lo, hi = value_range(width, signed)
    bad = np.argwhere((arr < lo) | (arr > hi))
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        kind = "signed" if signed else "unsigned"
        raise HwgenError(f"{what}: value {int(arr[idx])} at index {idx} does not fit {width}-bit {kind} "
                         f"(range {lo}..{hi}); {len(bad)} value(s) out of range")
    return arr


def pack_lanes(values, width: int) -> int:
    """Integers -> one word, value i at bits [i*width +: width] (two's complement): THE lane packing of
    the stream convention (kernels/README.md), for memory words and stream beats alike."""
    mask = (1 << width) - 1
    word = 0
    for lane, v in enumerate(values):
        word |= (int(v) & mask) << (lane * width)
    return word


def hex_words(words, width: int, signed: bool = True, what: str = "value") -> list[str]:
    """(n_words, lanes) integers -> one hex string per word, lane 0 in the low bits."""
    arr = check_fits(words, width, signed, what)
    if arr.ndim == 1:
        arr = arr[:, None]
    digits = math.ceil(width * arr.shape[1] / 4)
    return [f"{pack_lanes(row, width):0{digits}x}" for row in arr.tolist()]


def write_memh(path: str | Path, words, width: int, signed: bool = True) -> Path:
    """Write a $readmemh file; refuses values outside `width` bits (the error names the file)."""
    path = Path(path)
    lines = hex_words(words, width, signed, what=path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_memh(path: str | Path, width: int, lanes: int = 1, signed: bool = True) -> np.ndarray:
    """Inverse of `write_memh`: (n_words, lanes) integers. Raises DataError-style HwgenError on junk."""
    path = Path(path)
    mask = (1 << width) - 1
    rows = []
    for n, line in enumerate(path.read_text().split(), start=1):
        try:
            word = int(line, 16)
        except ValueError:
            raise HwgenError(f"{path}: line {n} is not hex: {line!r}") from None
        row = [(word >> (lane * width)) & mask for lane in range(lanes)]
        rows.append([v - (1 << width) if signed and v >> (width - 1) else v for v in row])
    return np.asarray(rows, dtype=np.int64).reshape(-1, lanes)


def _groups(n: int, par: int, name: str) -> int:
    if par < 1 or n % par:
        raise HwgenError(f"{name}={n} is not a positive multiple of its parallelism {par}")
    return n // par


def conv1d_weight_words(w, in_par: int, out_par: int) -> np.ndarray:
    """w (K, CH_IN, CH_OUT) -> (G_OUT*G_IN, OUT_PAR*K*IN_PAR) in conv1d_engine's order."""
    w = np.asarray(w)
    if w.ndim != 3:
        raise HwgenError(f"conv weights have shape {w.shape}, expected (kernel, in_channels, out_channels)")
    k, cin, cout = w.shape
    g_in, g_out = _groups(cin, in_par, "CH_IN"), _groups(cout, out_par, "CH_OUT")
    blocks = w.reshape(k, g_in, in_par, g_out, out_par)           # [k, ig, i, og, j]
    return blocks.transpose(3, 1, 4, 0, 2).reshape(g_out * g_in, out_par * k * in_par)


def depthwise_weight_words(w, par: int) -> np.ndarray:
    """w (K, CH) -> (G, K*PAR) in depthwise_conv1d's order."""
    w = np.asarray(w)
    if w.ndim != 2:
        raise HwgenError(f"depthwise weights have shape {w.shape}, expected (kernel, channels)")
    k, ch = w.shape
    g = _groups(ch, par, "CH")
    return w.reshape(k, g, par).transpose(1, 0, 2).reshape(g, k * par)


def bias_words(b, par: int, name: str = "CH_OUT") -> np.ndarray:
    """b (CH,) -> (CH/PAR, PAR)."""
    b = np.asarray(b)
    if b.ndim != 1:
        raise HwgenError(f"biases have shape {b.shape}, expected (channels,)")
    return b.reshape(_groups(b.shape[0], par, name), par)


def shift_width(max_shift: int) -> int:
    """Bits of the shift field: clog2(MAX_SHIFT + 1), at least 1 (as kernels/conv1d_engine.v)."""
    return max(1, math.ceil(math.log2(max_shift + 1))) if max_shift > 0 else 1


def po2_codes(sign, shift, max_shift: int) -> np.ndarray:
    """Power-of-two weights (sign in {-1,0,1}, shift 0..max_shift) -> unsigned codes {sign[1:0], shift}."""
    sign = np.asarray(sign, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    if np.any(~np.isin(sign, (-1, 0, 1))):
        idx = tuple(int(i) for i in np.argwhere(~np.isin(sign, (-1, 0, 1)))[0])
        raise HwgenError(f"po2 sign {int(sign[idx])} at index {idx} is not -1, 0 or +1")
    shift = np.where(sign == 0, 0, shift)
    bad = np.argwhere((shift < 0) | (shift > max_shift))
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        raise HwgenError(f"po2 shift {int(shift[idx])} at index {idx} is outside 0..MAX_SHIFT={max_shift}")
    return ((sign & 3) << shift_width(max_shift)) | shift


def _file(folder: Path, params: Mapping, key: str, default: str) -> Path:
    return Path(folder) / str(params.get(key, default))


def stored_weights(w, params: Mapping, product: str, kernel: str) -> tuple[np.ndarray, int, bool]:
    """Integer weights -> (values as stored, bits per value, signed) for a kernel's PRODUCT.

    "mul" / "lut": the integers themselves, WEIGHT_W-bit two's complement. "shift": weights that are 0 or
    +-2**k (hwgen.graph.ops.int_to_po2) as `po2_codes`, 2 + shift_width(MAX_SHIFT) unsigned bits
    (a WEIGHT_W in `params` must equal that width). Anything else is refused, naming `kernel`.
    """
    if product in ("mul", "lut"):  # a multiplier in DSP48s or in LUTs: the same integers
        return np.asarray(w), int(params["WEIGHT_W"]), True
    if product != "shift":
        raise HwgenError(f"{kernel}: PRODUCT {product!r} is not 'mul', 'lut' or 'shift'")
    try:
        sign, shift = ops.int_to_po2(w)
    except ValueError as err:
        raise HwgenError(f"{kernel} weights: {err}") from None
    max_shift = int(params["MAX_SHIFT"])
    width = 2 + shift_width(max_shift)
    if "WEIGHT_W" in params and int(params["WEIGHT_W"]) != width:
        raise HwgenError(f"{kernel}: WEIGHT_W={params['WEIGHT_W']} but shift codes for MAX_SHIFT={max_shift} "
                         f"are {width} bits (2 + clog2(MAX_SHIFT+1))")
    return po2_codes(sign, shift, max_shift), width, False


def _write_weights(folder, params: Mapping, words, width: int, signed: bool) -> Path:
    return write_memh(_file(folder, params, "WEIGHT_FILE", "weights.mem"), words, width, signed)


def write_conv1d(folder: str | Path, w, b, params: Mapping) -> dict[str, Path]:
    """WEIGHT_FILE and BIAS_FILE for conv1d_mac with kernel parameters `params` (the HDL dict)."""
    values, width, signed = stored_weights(w, params, "mul", "conv1d_mac")
    return {
        "WEIGHT_FILE": _write_weights(folder, params, conv1d_weight_words(values, params["IN_PAR"], params["OUT_PAR"]),
                                      width, signed),
        "BIAS_FILE": write_memh(_file(folder, params, "BIAS_FILE", "bias.mem"),
                                bias_words(b, params["OUT_PAR"]), params["BIAS_W"]),
    }


def write_shift_conv1d(folder: str | Path, w, b, params: Mapping) -> dict[str, Path]:
    """Files for shift_conv1d: `w` (K, CH_IN, CH_OUT) integers that are 0 or +-2**shift."""
    values, width, signed = stored_weights(w, params, "shift", "shift_conv1d")
    return {
        "WEIGHT_FILE": _write_weights(folder, params, conv1d_weight_words(values, params["IN_PAR"], params["OUT_PAR"]),
                                      width, signed),
        "BIAS_FILE": write_memh(_file(folder, params, "BIAS_FILE", "bias.mem"),
                                bias_words(b, params["OUT_PAR"]), params["BIAS_W"]),
    }


def write_depthwise_conv1d(folder: str | Path, w, b, params: Mapping) -> dict[str, Path]:
    """WEIGHT_FILE and BIAS_FILE for depthwise_conv1d (integers, or po2 codes with PRODUCT="shift")."""
    values, width, signed = stored_weights(w, params, params.get("PRODUCT", "mul"), "depthwise_conv1d")
    return {
        "WEIGHT_FILE": _write_weights(folder, params, depthwise_weight_words(values, params["PAR"]), width, signed),
        "BIAS_FILE": write_memh(_file(folder, params, "BIAS_FILE", "bias.mem"),
                                bias_words(b, params["PAR"], "CH"), params["BIAS_W"]),
    }


def dense_weight_words(w, in_par: int, out_par: int) -> np.ndarray:
    """w (N_IN, N_OUT) -> (B*G_OUT, OUT_PAR*IN_PAR) in kernels/dense.v's order (one word per cycle)."""
    w = np.asarray(w)
    if w.ndim != 2:
        raise HwgenError(f"dense weights have shape {w.shape}, expected (inputs, outputs)")
    n_in, n_out = w.shape
    beats, g_out = _groups(n_in, in_par, "N_IN"), _groups(n_out, out_par, "N_OUT")
    blocks = w.reshape(beats, in_par, g_out, out_par)             # [b, i, og, j]
    return blocks.transpose(0, 2, 3, 1).reshape(beats * g_out, out_par * in_par)


def write_dense(folder: str | Path, w, b, params: Mapping) -> dict[str, Path]:
    """WEIGHT_FILE and BIAS_FILE for kernels/dense.v (integers, or po2 codes with PRODUCT="shift";
    biases are ACC_W wide, aligned to the accumulator)."""
    values, width, signed = stored_weights(w, params, params.get("PRODUCT", "mul"), "dense")
    return {
        "WEIGHT_FILE": _write_weights(folder, params, dense_weight_words(values, params["IN_PAR"], params["OUT_PAR"]),
                                      width, signed),
        "BIAS_FILE": write_memh(_file(folder, params, "BIAS_FILE", "bias.mem"),
                                bias_words(b, params["OUT_PAR"], "N_OUT"), params["ACC_W"]),
    }
