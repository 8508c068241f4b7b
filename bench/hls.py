"""Benchmark: every zoo model through the builder (export, convert_hls, csim) for the PYNQ-Z2.

Per model: conversion time (precision inference + hls4ml project), g++ compile time, C-sim
mismatches against the integer graph on random inputs, and the report's totals (MACs, shifts,
weight bits, and the ANALYTIC ESTIMATES of DSP/LUT/BRAM and latency). Untrained weights: the
figures here are about hardware cost and bit-exactness, not accuracy (see bench/zoo.py).

    .venv/bin/python bench/hls.py [--shape 64 32] [--width 0.5] [--models cnn shiftcnn]
Writes bench/results/hls.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
RESULTS = Path(__file__).resolve().parent / "results" / "hls.json"


def bench_model(name: str, shape, width: float, board: str, out: Path, n: int = 100) -> dict:
    """One zoo model through the builder (export, convert_hls, csim) on random inputs."""
    from hwgen import models
    from hwgen.builder import BuildConfig, run_build

    model = models.build(name, tuple(shape), 3, width=width)
    folder = out / name
    folder.mkdir(parents=True)
    model.save(folder / "model.h5", include_optimizer=False)
    rng = np.random.default_rng(0)
    for part, size in (("calib", 64), ("verify", n)):
        np.savez(folder / f"{part}.npz", x=rng.random((size,) + tuple(shape)).astype(np.float32),
                 y=rng.integers(0, 3, size), index=np.arange(size))
    cfg = BuildConfig(out=str(folder / "build"), source=str(folder / "model.h5"), board=board,
                      calib=str(folder / "calib.npz"), verify_data=str(folder / "verify.npz"))
    records = run_build(cfg, stop="csim")
    t = json.loads((folder / "build" / "hls" / "report.json").read_text())["totals"]
    csim = records["step_csim"]
    return {
        "model": name, "input_shape": list(shape), "width": width, "board": board,
        "convert_seconds": round(records["step_export"]["seconds"] + records["step_convert_hls"]["seconds"], 2),
        "compile_seconds": csim["compile_seconds"],
        "csim_samples": csim["n_samples"], "golden_vs_csim_mismatches": csim["golden_vs_csim_mismatches"],
        "keras_vs_golden_argmax_agreement": csim["keras_vs_golden_argmax_agreement"],
        "macs": t["macs"], "shift_macs": t["shift_macs"], "weight_bits": t["weight_bits"],
        "est_dsp": t["est_dsp"], "est_lut": t["est_lut"], "est_bram18": t["est_bram18"],
        "est_latency_cycles": t["est_latency_cycles"], "est_interval_cycles": t["est_interval_cycles"],
        "est_latency_us": t["est_latency_us"],
    }


def print_table(rows: list[dict]) -> None:
    from rich.table import Table

    from hwgen.hls.report import wide_console

    table = Table(title="hwgen convert + C-sim, PYNQ-Z2 (est_* = analytic estimates, not synthesis)")
    cols = ["model", "convert_seconds", "compile_seconds", "golden_vs_csim_mismatches", "macs", "shift_macs",
            "weight_bits", "est_dsp", "est_lut", "est_bram18", "est_latency_cycles"]
    heads = ["model", "convert s", "g++ s", "mismatches", "MACs", "shifts", "weight bits", "DSP*", "LUT*",
             "BRAM18*", "cycles*"]
    for head in heads:
        table.add_column(head, justify="left" if head == "model" else "right")
    for r in rows:
        table.add_row(*[f"{r[c]:,}" if isinstance(r[c], int) else str(r[c]) for c in cols])
    wide_console().print(table)


def main() -> None:
    import tensorflow as tf

    from hwgen import models

    tf.get_logger().setLevel("ERROR")  # retracing notes from predict() on each new model say nothing here

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=2, default=(64, 32), help="input (time, depth)")
    parser.add_argument("--width", type=float, default=0.5)
    parser.add_argument("--board", default="pynq-z2")
    parser.add_argument("--models", nargs="*", default=None)
    args = parser.parse_args()
    names = args.models or models.available()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-hls-") as tmp:
        for name in names:
            print(f"== {name}", flush=True)
            rows.append(bench_model(name, args.shape, args.width, args.board, Path(tmp)))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "hls", "results": rows}, indent=1))
    print_table(rows)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
