"""The hls4ml view: a typed integer graph + its Keras model -> an hls4ml project for a board.

hls4ml converts from Keras, so this is one of the three places that import TensorFlow (with model
building and training). Every type hls4ml uses comes from the saved graph (`hwgen.hls.config`), and
what hls4ml generated is checked against it before the project is written.

The project folder (`<build>/hls/`):

    hls4ml_prj/     the generated hls4ml project (never edited by hand); its bridge is written with
                    tracing support, so C-sim can name the first layer that differs from the graph
    hls.json        the settings used (board, io type, strategy, reuse, per-layer settings)
    report.json     the per-layer report (see hwgen.hls.report)
"""

from __future__ import annotations

import json
from pathlib import Path

from hwgen.boards import Board
from hwgen.errors import HwgenError, ModelError
from hwgen.graph.graph import Graph
from hwgen.hls import config as hcfg
from hwgen.hls.workarounds import (
    check_padding_wiring,
    patched_zero_padding,
    refuse_known_faults,
    separable_part_settings,
    set_exponent_widths,
)

PROJECT = "hls4ml_prj"
PROJECT_NAME = "hwgen_net"
SETTINGS_FILE = "hls.json"


def hls_settings(graph: Graph, board: Board, *, io_type: str = "io_stream", strategy: str = "Latency",
                 reuse: int | str = "auto", layer_settings: dict | None = None) -> dict:
    """The project's settings; `reuse="auto"` takes the smallest uniform reuse factor estimated to fit."""
    from hwgen.hls.report import fitting_reuse

    if io_type not in hcfg.IO_TYPES:
        raise HwgenError(f"io type {io_type!r} is not one of {hcfg.IO_TYPES}")
    if reuse != "auto":
        reuse = int(reuse)
        largest = max((n.kernel.values.size for n in graph.nodes if n.kernel is not None), default=1)
        if not 1 <= reuse <= largest:
            raise HwgenError(f"reuse factor {reuse}: must be 1..{largest} (the largest layer's multiplications "
                             "per output); larger values share nothing more")
    refuse_known_faults(graph.nodes, io_type)
    hcfg.resolve_layer_settings(graph.nodes, layer_settings or {})  # unknown names are refused before any work
    return {"board": board.name, "part": board.part, "io_type": io_type, "strategy": strategy,
            "reuse": (fitting_reuse(graph, board.resources) or 1) if reuse == "auto" else reuse,
            "auto_reuse": reuse == "auto", "layer_settings": layer_settings or {}}


def write_project(graph: Graph, keras_model, board: Board, folder, settings: dict, status=None) -> dict:
    """Write the hls4ml project for `graph` into `folder/hls4ml_prj`, plus hls.json and report.json.

    Returns the report. Raises ModelError when hls4ml does not take the graph's types exactly.
    """
    import hls4ml

    from hwgen.hls.report import layer_report
    from hwgen.models.export import logits_model

    status = status or (lambda text: None)
    graph.require_typed()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    logits = logits_model(keras_model)
    cfg = hcfg.hls_config(logits, graph.nodes, board.hls_backend, strategy=settings["strategy"],
                          reuse=settings["reuse"], layer_settings=settings["layer_settings"])
    status(f"writing the hls4ml project ({settings['io_type']}, {board.part}, reuse {settings['reuse']})")
    with patched_zero_padding(), separable_part_settings():
        hls_model = hls4ml.converters.convert_from_keras_model(
            logits, hls_config=cfg, output_dir=str(folder / PROJECT), project_name=PROJECT_NAME,
            io_type=settings["io_type"], backend=board.hls_backend, part=board.part,
            clock_period=board.clock_period_ns,
        )
    check_padding_wiring(hls_model)
    set_exponent_widths(hls_model, graph.nodes)
    problems = hcfg.check_types(hls_model, graph.nodes)
    if problems:
        raise ModelError("hls4ml did not take hwgen's precisions: " + "; ".join(problems))
    hls_model.config.trace_output = True  # the bridge can then trace every layer for C-sim's diagnosis
    hls_model.write()
    report = layer_report(graph, cfg, settings, board)
    (folder / SETTINGS_FILE).write_text(json.dumps(settings | {"hls_config": cfg}, indent=1, default=str))
    (folder / "report.json").write_text(json.dumps(report, indent=1))
    return report


def project_dir(folder) -> Path:
    path = Path(folder) / PROJECT
    if not (path / "build_lib.sh").is_file():
        raise HwgenError(f"{folder}: no hls4ml project (run the convert_hls step first)")
    return path
