"""`hwgen sim csim`: the hls4ml C++ (g++-compiled) against the golden integer model and Keras.

Outputs are compared as integers on the logits' grid: a sample mismatches when any output bit
differs. When any sample mismatches, hls4ml's per-layer traces are compared with the golden
model's per-layer values to name the first layer that differs (e.g. hls4ml's depthwise faults,
issues #1471/#1472), and the configuration is refused.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from hwgen.errors import DataError, HwgenError
from hwgen.golden import ops
from hwgen.golden.ops import Fixed

MAX_TRACE_SAMPLES = 16


class CsimMismatch(HwgenError):
    """hls4ml's C-sim differs from the golden model: this configuration is refused."""


def run_csim(conv, x, y=None, status=None) -> dict:
    """Compile (once) and compare C-sim, golden and Keras on inputs x; returns the csim.json dict."""
    status = status or (lambda text: None)
    x = np.asarray(x, dtype=np.float32)
    shape = tuple(conv.settings["input_shape"])
    if x.ndim != len(shape) + 1 or x.shape[1:] != shape:
        raise DataError(f"C-sim data has shape {x.shape}, expected (N, {', '.join(map(str, shape))})")
    started = time.perf_counter()
    status("compiling the HLS C++ with g++ (cached per build)")
    conv.compile()
    compile_s = time.perf_counter() - started
    status(f"running {len(x)} examples through the golden model")
    golden_values, overflows = conv.golden.run(x)
    out_type = conv.golden.nodes[-1].out
    golden = golden_values[conv.golden.output].reshape(len(x), -1)
    status(f"running {len(x)} examples through C-sim")
    started = time.perf_counter()
    csim = to_grid(_predict(conv.hls_model, x), out_type, "C-sim output").reshape(len(x), -1)
    csim_s = time.perf_counter() - started
    keras = np.asarray(conv.logits.predict(x, verbose=0, batch_size=256)).reshape(len(x), -1)
    differs = np.any(csim != golden, axis=1)
    result = {
        "n_samples": int(len(x)),
        "golden_vs_csim_mismatches": int(differs.sum()),
        "golden_vs_csim_max_abs_diff": float(np.abs(out_type.to_float(csim) - out_type.to_float(golden)).max()),
        "keras_vs_golden_argmax_agreement": float(np.mean(ops.argmax(golden) == np.argmax(keras, axis=1))),
        "keras_vs_golden_max_abs_logit_diff": float(np.abs(out_type.to_float(golden) - keras).max()),
        "golden_overflows": {k: v for k, v in overflows.items() if v},
        "input_values_clipped": int(conv.golden.input_clipped),
        "output_type": out_type.hls(),
        "compile_seconds": round(compile_s, 2), "csim_seconds": round(csim_s, 3),
    }
    if y is not None:
        y = np.asarray(y).reshape(-1)
        result["csim_accuracy"] = float(np.mean(ops.argmax(csim) == y))
        result["golden_accuracy"] = float(np.mean(ops.argmax(golden) == y))
        result["keras_accuracy"] = float(np.mean(np.argmax(keras, axis=1) == y))
    if differs.any():
        status("outputs differ: tracing layer by layer")
        result["layers"] = compare_layers(conv, x[np.flatnonzero(differs)[:MAX_TRACE_SAMPLES]])
        first = next((r for r in result["layers"] if r["mismatched_samples"]), None)
        result["first_mismatch_layer"] = first["layer"] if first else None
    return result


def _predict(hls_model, x) -> np.ndarray:
    """C-sim outputs for float inputs; double precision so wide logits come back exactly."""
    out = hls_model.predict(np.ascontiguousarray(x, dtype=np.float64))
    return np.asarray(out, dtype=np.float64)


def to_grid(values, t: Fixed, what: str) -> np.ndarray:
    """Real values that must lie on `t`'s grid -> its integers (refuses anything off the grid)."""
    scaled = np.asarray(values, dtype=np.float64) * 2.0**t.frac
    ints = np.rint(scaled)
    if not np.all(ints == scaled):
        raise HwgenError(f"{what}: values are not on the {t.hls()} grid (a float path in the HLS model?)")
    return ints.astype(np.int64)


def compare_layers(conv, x) -> list[dict]:
    """Per golden node that hls4ml traces: how many of the samples x differ, in golden order."""
    golden_values, _ = conv.golden.run(x)
    _, trace = conv.hls_model.trace(np.ascontiguousarray(x, dtype=np.float64))
    rows = []
    for node in conv.golden.nodes:
        if node.name not in trace:
            continue
        traced = np.asarray(trace[node.name], dtype=np.float64).reshape(len(x), -1)
        gold = golden_values[node.name].reshape(len(x), -1)
        if traced.shape != gold.shape:
            rows.append({"layer": node.name, "op": node.op, "mismatched_samples": None,
                         "note": f"trace shape {traced.shape} vs golden {gold.shape}"})
            continue
        diff = np.rint(traced * 2.0**node.out.frac) != gold
        rows.append({"layer": node.name, "op": node.op, "type": node.out.hls(),
                     "mismatched_samples": int(diff.any(axis=1).sum()), "mismatched_values": int(diff.sum())})
    return rows


def csim_build(build, data=None, *, status=None, refuse: bool = True) -> dict:
    """C-sim of a build folder (or a `Conversion` from `convert`) on `data` (a data file; default: the
    run's test split); writes csim.json into the build folder and returns its contents.

    With `refuse`, any golden/C-sim mismatch raises CsimMismatch naming the first differing layer.
    """
    from hwgen.hls.convert import Conversion, load_build

    conv = build if isinstance(build, Conversion) else load_build(build, status=status)
    x, y = _data(conv, data)
    result = run_csim(conv, x, y, status=status)
    result["data"] = str(data) if data else "test.npz (the run's test split)"
    Path(conv.out, "csim.json").write_text(json.dumps(result, indent=1))
    if refuse and result["golden_vs_csim_mismatches"]:
        raise CsimMismatch(mismatch_message(result))
    return result


def mismatch_message(result: dict) -> str:
    layer = result.get("first_mismatch_layer")
    where = f"first differing layer: {layer!r}" if layer else "no traced layer differs (output stage?)"
    return (f"hls4ml C-sim differs from the golden model on {result['golden_vs_csim_mismatches']} of "
            f"{result['n_samples']} samples ({where}); hwgen refuses this configuration")


def _data(conv, data):
    from hwgen.hls.convert import load_xy

    build = conv.out
    if data is None:
        if not (build / "test.npz").is_file():
            raise HwgenError(f"{build}: no test.npz in the build folder; pass --data FILE")
        return load_xy(build / "test.npz")
    x, y = load_xy(data, conv.settings.get("preprocess"))
    source = conv.settings.get("data")
    split = _test_indices(conv)
    if source and split is not None and Path(source).resolve() == Path(data).resolve():
        x, y = x[split], (y[split] if y is not None else None)  # the run's own data file: its test split
    return x, y


def _test_indices(conv):
    src = conv.settings.get("source")
    if not src or not Path(src).is_dir() or not (Path(src) / "split.json").is_file():
        return None
    return np.asarray(json.loads((Path(src) / "split.json").read_text())["test"], dtype=np.int64)
