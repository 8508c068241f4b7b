"""One sweep point, run inside a Ray worker: train -> (compress) -> hwgen build --backend rtl.

The point's folder holds `run/` (hwgen train), `compressed/` (hwgen compress, when asked), `build/` (the
builder's export, rtl, rtlsim and synth steps), `log.txt` (everything the tools printed) and, written
last and atomically, `result.json`: its row of the sweep's table. A folder without `result.json` is
incomplete and is emptied before the point runs again, so a folder never mixes two attempts.

TensorFlow, hls4ml, Verilator and yosys are only touched here, in the worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

from hwgen.errors import HwgenError

RESULT_FILE = "result.json"
BUILD_STEPS = ["step_export", "step_rtl", "step_rtlsim", "step_synth"]
METRIC_KEYS = ("params", "macs", "shift_macs", "weight_bits", "zero_weights")


def run_point(point: dict, settings: dict, folder: str, threads: int = 1) -> dict:
    """Run one point in `folder` (emptied first) and return its row; a failure is a row, never a raise."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    row = {**point, "status": "running", "reason": "", "stage": None}
    with (folder / "log.txt").open("w") as log, _redirected(log):
        try:
            _limit_threads(threads)
            _run(point, settings, folder, row, log)
            row["status"] = "ok"
        except HwgenError as err:
            row.update(status="failed", reason=_one_line(str(err)))
        except Exception as err:  # a bug in a tool: the point fails, the sweep goes on; the log keeps the traceback
            traceback.print_exc(file=log)
            row.update(status="failed", reason=_one_line(f"{type(err).__name__}: {err} (traceback in log.txt)"))
        finally:
            _hardware_figures(folder / "build", row)
    row["seconds"] = round(time.perf_counter() - started, 1)
    if row["status"] == "ok":
        row["stage"] = "done"
    write_result(folder, row)
    return row


def write_result(folder: Path, row: dict) -> None:
    tmp = folder / (RESULT_FILE + ".tmp")
    tmp.write_text(json.dumps(row, indent=1))
    tmp.replace(folder / RESULT_FILE)


def read_result(folder: Path) -> dict | None:
    """The finished point's row, or None when the folder holds no finished point."""
    path = Path(folder) / RESULT_FILE
    if not path.is_file():
        return None
    try:
        row = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return row if row.get("status") in ("ok", "failed") else None


def _run(point: dict, settings: dict, folder: Path, row: dict, log) -> None:
    from rich.console import Console

    from hwgen.builder import BuildConfig, run_build
    from hwgen.sweep.grid import compress_settings, fold_target
    from hwgen.train import TrainConfig, train_model

    console = Console(file=log, width=120, force_terminal=False)
    row["stage"] = "train"
    cfg = TrainConfig(task=settings["task"], model=point["model"], out=str(folder / "run"), n=settings["n"],
                      bits=point["bits"], epochs=settings["epochs"], batch_size=settings["batch_size"],
                      seed=settings["seed"], time=settings["time"], depth=settings["depth"],
                      model_cfg={"width": point["width"]}, progress=False)
    run = train_model(cfg)
    metrics = json.loads((run / "metrics.json").read_text())
    row["keras_accuracy"] = metrics["accuracy"]
    row.update({k: metrics[k] for k in METRIC_KEYS if k in metrics})
    row["train_seconds"] = metrics.get("train_seconds")
    options = compress_settings(point["compress"], settings["epochs"])
    if options is not None:
        from hwgen.compress import CompressConfig, compress_run

        row["stage"] = "compress"
        run = compress_run(CompressConfig(run=str(run), out=str(folder / "compressed"), progress=False, **options),
                           console)
        metrics = json.loads((run / "metrics.json").read_text())
        row["keras_accuracy"] = metrics["accuracy"]
        row.update({k: metrics[k] for k in METRIC_KEYS if k in metrics})
    preprocess = json.loads((run / "preprocess.json").read_text())
    target = fold_target(point["fold"], preprocess["time"], preprocess["depth"])
    row["stage"] = "build"
    build = BuildConfig(out=str(folder / "build"), source=str(run), board=settings["board"], backend="rtl",
                        steps=BUILD_STEPS, target_ii=target, verify_max=settings["verify_max"])
    for step in BUILD_STEPS:  # one at a time, so a failure names its stage
        row["stage"] = step[5:]
        run_build(build, start=step, stop=step, console=console)


def _hardware_figures(build: Path, row: dict) -> None:
    """The figures the build's steps measured, read from their files (also after a failed step: a design
    refused as too big keeps its synthesis counts)."""
    def load(path: Path) -> dict:
        try:
            return json.loads(path.read_text()) if path.is_file() else {}
        except (OSError, json.JSONDecodeError):
            return {}

    manifest, sim = load(build / "rtl" / "rtl.json"), load(build / "steps" / "step_rtlsim.json")
    synth = load(build / "rtl" / "synth.json")
    if manifest:
        row.update(target_ii=manifest.get("chosen_target_ii"), stream_ii=manifest.get("stream_ii"),
                   predicted_ii=manifest["cycles"]["ii"], predicted_latency=manifest["cycles"]["latency"],
                   relaxed=manifest.get("relaxed"))
    if sim:
        row.update(accuracy=sim.get("accuracy"), frames=sim.get("frames"), bit_exact=sim.get("bit_exact"),
                   latency_cycles=sim["latency_cycles"]["first"],
                   ii_cycles=(sim.get("interval_cycles") or {}).get("median"))
    if synth.get("used"):
        used = synth["used"]
        row.update(lut=used["lut"], ff=used["ff"], dsp=used["dsp"], bram18=used["bram18"],
                   lut_fraction=synth["fraction"]["lut"], fits=synth["fits"], synth_seconds=synth.get("seconds"))


def _limit_threads(threads: int) -> None:
    """TensorFlow gets the CPUs Ray gave this task, not the whole machine's."""
    import tensorflow as tf

    with contextlib.suppress(RuntimeError):  # already set in this worker process by an earlier point
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


@contextlib.contextmanager
def _redirected(log):
    """Send everything the tools print (Python and the C libraries under it) to the point's log."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    py_saved = sys.stdout, sys.stderr
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    try:
        yield
    finally:
        log.flush()
        sys.stdout, sys.stderr = py_saved
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "failed") + (" ..." if len(lines) > 1 else "")
