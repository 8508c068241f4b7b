"""Parameters, data and golden outputs of the averaging kernels' benches (avg_pool1d, global_avg_pool).

A grid entry is made from golden types (input, accumulator, output) by
hwgen.rtl.divide.average_parameters, the function the RTL generator uses; the bench then rebuilds
the types from the HDL parameters alone (input fraction X_FRAC) and compares every output with
hwgen.graph.layers: a parameter the kernel misreads cannot cancel out.
"""

from __future__ import annotations

import harness
import numpy as np

from hwgen.graph import layers
from hwgen.graph.ops import Fixed
from hwgen.rtl import divide

X_FRAC = 5  # ap_(u)fixed<8,3>, the zoo's activations


def average_entry(n: int, x_bits: int, signed: bool, acc_shift: int, out: Fixed, **shape) -> dict:
    """HDL parameters for averages of n values of ap_(u)fixed<x_bits, x_bits - X_FRAC>, accumulated
    `acc_shift` bits finer than the input (precision inference: clog2(n)), cast to `out` (whose frac
    counts from the input's: out.frac = X_FRAC + its own frac argument)."""
    x_type = Fixed(x_bits, X_FRAC, signed)
    sum_bits = x_bits + (int(n - 1).bit_length() if n > 1 else 0)
    acc_type = Fixed(sum_bits + acc_shift, X_FRAC + acc_shift, signed)
    out = Fixed(out.width, X_FRAC + out.frac, out.signed, out.rounding, "SAT")
    return {**shape, **divide.average_parameters(n, x_type, acc_type, out)}


def types(p: dict) -> tuple[Fixed, Fixed, Fixed]:
    """(input, accumulator, output) types of an entry, from its HDL parameters only."""
    x_type = Fixed(p["DATA_W"], X_FRAC, bool(p["DATA_SIGNED"]))
    acc_type = Fixed(p["ACC_W"], X_FRAC + p["ACC_SHIFT"], bool(p["DATA_SIGNED"]))
    out = Fixed(p["OUT_W"], acc_type.frac - p["OUT_SHIFT"], bool(p["OUT_SIGNED"]), p["ROUNDING"], "SAT")
    return x_type, acc_type, out


def activations(rng: np.random.Generator, n_frames: int, p: dict, steps: int) -> np.ndarray:
    """Random frames with the extremes planted; frame 1 all at the lowest value, 2 all at the
    highest, 3 zeros, 4 alternating lowest/highest (sums near zero of either sign)."""
    x_type = types(p)[0]
    x = harness.edge_ints(rng, (n_frames, steps, p["CH"]), x_type.min_int, x_type.max_int)
    x[1], x[2], x[3] = x_type.min_int, x_type.max_int, 0
    x[4, 0::2], x[4, 1::2] = x_type.min_int, x_type.max_int
    return x


def average_pool(x: np.ndarray, p: dict, pool: int) -> tuple[np.ndarray, int]:
    """(outputs of every frame, number of outputs clipped) by hwgen.graph.layers.average_pool."""
    x_type, acc_type, out = types(p)
    results = [layers.average_pool(f, x_type, pool, pool, acc_type, out) for f in x]
    return np.stack([q for q, _ in results]), sum(n for _, n in results)


def global_average_pool(x: np.ndarray, p: dict) -> tuple[np.ndarray, int]:
    x_type, acc_type, out = types(p)
    results = [layers.global_average_pool(f, x_type, acc_type, out) for f in x]
    return np.stack([q[None, :] for q, _ in results]), sum(n for _, n in results)


def stream(p: dict) -> dict:
    return dict(in_par=p["PAR"], in_w=p["DATA_W"], out_par=p["PAR"], out_w=p["OUT_W"],
                out_signed=bool(p["OUT_SIGNED"]))
