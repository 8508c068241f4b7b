"""The hls4ml backend's steps: write the project from the saved graph, then verify it in C simulation."""

from __future__ import annotations

import json

from hwgen.builder.config import BuildConfig
from hwgen.builder.core import Build
from hwgen.errors import HwgenError


def step_convert_hls(build: Build, cfg: BuildConfig) -> dict:
    """Write the hls4ml project from the saved graph (its types, checked) and the layer report."""
    from hwgen import models
    from hwgen.boards import get
    from hwgen.hls.convert import hls_settings, write_project
    from hwgen.hls.report import print_table

    board = get(cfg.board)
    graph = build.graph
    settings = hls_settings(graph, board, io_type=cfg.io_type, strategy=cfg.strategy, reuse=cfg.reuse,
                            layer_settings=cfg.layer_settings)
    if settings["auto_reuse"]:
        build.console.print(f"reuse factor {settings['reuse']}: the smallest estimated to fit {board.name}")
    build.status("reading the Keras model (hls4ml converts from Keras)")
    if not build.hls_model_file.is_file():
        raise HwgenError(f"{build.out}: no {build.hls_model_file.name} (run the export step again)")
    keras = models.load(build.hls_model_file)
    report = write_project(graph, keras, board, build.hls_dir, settings, status=build.status)
    print_table(report)
    totals = report["totals"]
    return {"project": str(build.hls_dir / "hls4ml_prj"), "report": str(build.hls_dir / "report.json"),
            "reuse": settings["reuse"], "est_utilisation": totals["est_utilisation"],
            "est_latency_cycles": totals["est_latency_cycles"], "macs": totals["macs"]}


def step_csim(build: Build, cfg: BuildConfig, data=None) -> dict:
    """Verify the hls4ml project: compile it and compare it with the graph, bit for bit, on the verify set."""
    from hwgen.hls.csim import CsimMismatch, mismatch_message, run_csim

    graph = build.graph
    if data is None:
        x, expected, y = build.verify_set()
        source = "verify/input.npy"
    else:
        from hwgen.builder.steps import load_inputs
        from hwgen.run import Run

        x, y = load_inputs(data, Run(build.run_dir) if build.run_dir else None)
        source, expected = str(data), None
    result = run_csim(build.hls_dir, graph, x, y, status=build.status)
    result["data"] = source
    if expected is not None:
        keras = _keras_logits(build, len(x))
        if keras is not None:
            import numpy as np

            result["keras_vs_golden_argmax_agreement"] = float(np.mean(np.argmax(keras, 1) == np.argmax(expected, 1)))
            if y is not None:
                result["keras_accuracy"] = float(np.mean(np.argmax(keras, 1) == y))
    (build.hls_dir / "csim.json").write_text(json.dumps(result, indent=1))
    build.console.print(
        f"C-sim on {result['n_samples']} examples: golden vs C-sim mismatches "
        f"[bold]{result['golden_vs_csim_mismatches']}[/]"
        + (f", C-sim accuracy {result['csim_accuracy']:.1%}" if "csim_accuracy" in result else "")
        + ("" if result["compiled"] else " (library reused: the project had not changed)"))
    if result["golden_vs_csim_mismatches"]:
        raise CsimMismatch(mismatch_message(result))
    keep = ("n_samples", "golden_vs_csim_mismatches", "csim_accuracy", "golden_accuracy", "keras_accuracy",
            "keras_vs_golden_argmax_agreement", "compiled", "compile_seconds", "data")
    return {k: result[k] for k in keep if k in result}


def _keras_logits(build: Build, n: int):
    import numpy as np

    path = build.verify_dir / "keras.npy"
    if not path.is_file():
        return None
    logits = np.load(path)
    return logits if len(logits) == n else None
