"""A build folder from an integer graph alone (no Keras model, no TensorFlow): what the simulated-board
tests and the runtime benchmark start from when they do not train a model.

    build = graph_build(graph, "build/sim", x=frames, labels=labels)   # graph/, verify/, rtl/, vivado/model/
    folder = hwgen.pynqsim.folder.write(build)                         # deploy-sim/

The folder is registered as an RTL-backend build whose export step is done (graph/graph.json,
graph/stream.json, verify/), then `hwgen build`'s own steps run: step_rtl, step_rtlsim (Verilator, bit for
bit against the graph, cycles in rtl/sim.json), step_ip_sources and step_block_design (modelled .hwh).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError

STEPS = ["step_export", "step_rtl", "step_rtlsim", "step_ip_sources", "step_block_design"]


def graph_build(graph, out, x, labels=None, *, board: str = "pynq-z2", name: str = "hwgen", task: str | None = None,
                line_rate_hz: float | None = None, data_width: int = 64) -> Path:
    """Write graph/ and verify/ for `graph` (verification inputs `x`, floats in [0, 1], with their `labels`
    when known) into `out`, then run the RTL and block-design steps; returns the build folder."""
    from hwgen.builder import BuildConfig, run_build
    from hwgen.builder.core import CONFIG_FILE, STEPS_DIR
    from hwgen.graph import execute, save
    from hwgen.rtl.flow import stream_format

    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise HwgenError(f"{out}: not empty; graph_build writes a new build folder")
    x = np.asarray(x, dtype=np.float32)
    save(graph, out / "graph")
    fmt = stream_format(graph, data_width)
    (out / "graph" / "stream.json").write_text(json.dumps(fmt.to_json(), indent=1))
    (out / "graph" / "meta.json").write_text(json.dumps({"classes": list(graph.classes), "task": task,
                                                          "source": f"integer graph {graph.name}",
                                                          "preprocess": {"line_rate_hz": line_rate_hz}}))
    (out / "verify").mkdir()
    np.save(out / "verify" / "input.npy", x)
    np.save(out / "verify" / "expected.npy", execute(graph, x).logits.reshape(len(x), -1).astype(np.int64))
    if labels is not None:
        np.save(out / "verify" / "labels.npy", np.asarray(labels, dtype=np.int64))
    cfg = BuildConfig(out=str(out), source=str(out / "graph"), board=board, backend="rtl", name=name,
                      data_width=data_width, steps=list(STEPS))
    (out / STEPS_DIR).mkdir()
    (out / CONFIG_FILE).write_text(json.dumps(cfg.to_json()))
    (out / STEPS_DIR / "step_export.json").write_text(json.dumps({"source": "hwgen.pynqsim.prepare.graph_build"}))
    run_build(cfg, start="rtl")
    return out
