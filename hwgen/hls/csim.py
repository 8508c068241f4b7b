"""C simulation: the g++-compiled hls4ml project against the integer graph's executor, bit for bit.

Outputs are compared as integers on the logits' grid: a sample mismatches when any output bit
differs. When any sample mismatches, the project's per-layer traces are compared with the graph's
per-layer values to name the first layer that differs (e.g. hls4ml's depthwise faults, issues
#1471/#1472), and the configuration is refused. Runs without TensorFlow or hls4ml: the project's
library is called through its C bridge (`hwgen.hls.bridge`) and recompiled only when it changed.
"""

from __future__ import annotations

import time

import numpy as np

from hwgen.errors import DataError, HwgenError
from hwgen.graph import execute, ops
from hwgen.graph.graph import Graph
from hwgen.graph.ops import Fixed
from hwgen.hls.bridge import Bridge, compile_library
from hwgen.hls.convert import PROJECT_NAME, project_dir

MAX_TRACE_SAMPLES = 16


class CsimMismatch(HwgenError):
    """hls4ml's C-sim differs from the integer graph: this configuration is refused."""


def load_bridge(folder, graph: Graph, status=None) -> tuple[Bridge, float, bool]:
    """(bridge, compile seconds, whether g++ ran) for the project in `folder`."""
    started = time.perf_counter()
    library, compiled = compile_library(project_dir(folder), status)
    n_in = int(np.prod(graph.input_shape))
    return Bridge(library, PROJECT_NAME, n_in, len(graph.classes) or int(np.prod(graph.output.shape))), \
        time.perf_counter() - started, compiled


def run_csim(folder, graph: Graph, x, y=None, status=None) -> dict:
    """Compile (when changed) and compare C-sim with the graph on inputs x; returns the csim.json dict."""
    status = status or (lambda text: None)
    x = np.asarray(x, dtype=np.float32)
    shape = tuple(graph.input_shape)
    if x.ndim != len(shape) + 1 or x.shape[1:] != shape:
        raise DataError(f"C-sim data has shape {x.shape}, expected (N, {', '.join(map(str, shape))})")
    bridge, compile_s, compiled = load_bridge(folder, graph, status)
    status(f"running {len(x)} examples through the integer graph")
    golden_run = execute(graph, x)
    out_type = graph.output.out
    golden = golden_run.logits.reshape(len(x), -1)
    status(f"running {len(x)} examples through C-sim")
    started = time.perf_counter()
    csim = to_grid(bridge.run(x), out_type, "C-sim output").reshape(len(x), -1)
    csim_s = time.perf_counter() - started
    differs = np.any(csim != golden, axis=1)
    result = {
        "n_samples": int(len(x)),
        "golden_vs_csim_mismatches": int(differs.sum()),
        "golden_vs_csim_max_abs_diff": float(np.abs(out_type.to_float(csim) - out_type.to_float(golden)).max()),
        "golden_overflows": {k: v for k, v in golden_run.overflows.items() if v},
        "quantizer_clipped": {k: v for k, v in golden_run.clipped.items() if v},
        "output_type": out_type.hls(),
        "compiled": compiled, "compile_seconds": round(compile_s, 2), "csim_seconds": round(csim_s, 3),
    }
    if y is not None:
        y = np.asarray(y).reshape(-1)
        result["csim_accuracy"] = float(np.mean(ops.argmax(csim) == y))
        result["golden_accuracy"] = float(np.mean(ops.argmax(golden) == y))
    if differs.any():
        status("outputs differ: tracing layer by layer")
        result["layers"] = compare_layers(bridge, graph, x[np.flatnonzero(differs)[:MAX_TRACE_SAMPLES]])
        first = next((r for r in result["layers"] if r["mismatched_samples"]), None)
        result["first_mismatch_layer"] = first["layer"] if first else None
    return result


def to_grid(values, t: Fixed, what: str) -> np.ndarray:
    """Real values that must lie on `t`'s grid -> its integers (refuses anything off the grid)."""
    scaled = np.asarray(values, dtype=np.float64) * 2.0**t.frac
    ints = np.rint(scaled)
    if not np.all(ints == scaled):
        raise HwgenError(f"{what}: values are not on the {t.hls()} grid (a float path in the HLS model?)")
    return ints.astype(np.int64)


def compare_layers(bridge: Bridge, graph: Graph, x) -> list[dict]:
    """Per graph node that hls4ml traces: how many of the samples x differ, in graph order."""
    values = execute(graph, x).values
    sizes = {n.name: int(np.prod(n.shape)) for n in graph.nodes if n.op != "input"}
    trace = bridge.trace(x, sizes)
    rows = []
    for node in graph.nodes:
        if node.name not in trace:
            continue
        traced = trace[node.name].reshape(len(x), -1)
        gold = values[node.name].reshape(len(x), -1)
        diff = np.rint(traced * 2.0**node.out.frac) != gold
        rows.append({"layer": node.name, "op": node.op, "type": node.out.hls(),
                     "mismatched_samples": int(diff.any(axis=1).sum()), "mismatched_values": int(diff.sum())})
    return rows


def mismatch_message(result: dict) -> str:
    layer = result.get("first_mismatch_layer")
    where = f"first differing layer: {layer!r}" if layer else "no traced layer differs (output stage?)"
    return (f"hls4ml C-sim differs from the integer graph on {result['golden_vs_csim_mismatches']} of "
            f"{result['n_samples']} samples ({where}); hwgen refuses this configuration")
