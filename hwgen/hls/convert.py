"""`hwgen convert`: a trained QKeras model -> typed integer graph -> hls4ml project for a board.

A build folder holds everything C-sim needs to rebuild the same project:

    model.h5        copy of the trained model
    hwgen.json      board, io type, strategy/reuse, precision plan (every node's types), data info
    test.npz        the run's preprocessed test split (when converting a run directory)
    hls4ml_prj/     the generated hls4ml project (never edited by hand)
    report.json     the per-layer report (see hwgen.hls.report)
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from hwgen.boards import Board, get
from hwgen.errors import DataError, HwgenError, ModelError
from hwgen.golden.model import GoldenModel, Node
from hwgen.hls import config as hcfg
from hwgen.hls.precision import PrecisionPolicy, infer_precision, types_from_json, types_to_json
from hwgen.hls.workarounds import (
    check_padding_wiring,
    patched_zero_padding,
    refuse_known_faults,
    set_exponent_widths,
)

PROJECT = "hls4ml_prj"
PROJECT_NAME = "hwgen_net"
MAX_CALIB = 512


@dataclass
class Conversion:
    """A converted model: its Keras views, the typed golden graph and the hls4ml model."""

    out: Path
    keras: object
    logits: object
    nodes: list[Node]
    golden: GoldenModel
    hls_model: object
    hls_config: dict
    settings: dict
    report: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    compiled: bool = False

    def compile(self) -> None:
        """g++-compile the hls4ml project (once) so `hls_model.predict` / `trace` run the C++."""
        if not self.compiled:
            try:
                self.hls_model.compile()
            except Exception as err:  # hls4ml raises a bare Exception when g++ fails
                raise HwgenError(f"g++ could not compile the hls4ml project in {self.out / PROJECT} ({err}); "
                                 "the compiler output above says where") from err
            self.compiled = True


def convert(source, board: str | Board = "pynq-z2", out="build/model", *, io_type: str = "io_stream",
            strategy: str = "Latency", reuse: int | str = 1, layer_settings: dict | None = None, calib=None,
            policy: PrecisionPolicy | None = None, compile: bool = False, status=None) -> Conversion:
    """Convert `source` (a run directory, a model file, or a Keras model) for `board` into `out`.

    `reuse="auto"` takes the smallest uniform reuse factor whose estimated DSPs and LUTs fit the
    board (reuse 1 when nothing fits: the report then says so).
    """
    from hwgen.golden.keras import from_keras, logits_model
    from hwgen.hls.report import fitting_reuse, layer_report

    status = status or (lambda text: None)
    board = get(board) if isinstance(board, str) else board
    auto_reuse = reuse == "auto"
    if io_type not in hcfg.IO_TYPES:
        raise HwgenError(f"io type {io_type!r} is not one of {hcfg.IO_TYPES}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    status("reading the model")
    keras, run_info = _read_source(source, out)
    x_calib = _calibration(calib, run_info, keras)
    status(f"inferring precisions on {len(x_calib)} calibration examples")
    nodes = from_keras(keras)
    refuse_known_faults(nodes, io_type)
    policy = policy or PrecisionPolicy()
    notes = infer_precision(nodes, x_calib, policy)
    settings = {
        "board": board.name, "io_type": io_type, "strategy": strategy, "reuse": None if auto_reuse else int(reuse),
        "layer_settings": layer_settings or {}, "source": run_info.get("source", ""),
        "classes": run_info.get("classes"), "preprocess": run_info.get("preprocess"),
        "data": run_info.get("data"), "input_shape": [int(s) for s in keras.input_shape[1:]],
        "calibration_examples": int(len(x_calib)), "policy": _policy_json(policy), "types": types_to_json(nodes),
    }
    if auto_reuse:
        settings["reuse"] = fitting_reuse(nodes, GoldenModel(nodes), board.resources) or 1
        status(f"reuse factor {settings['reuse']}: the smallest estimated to fit {board.name}")
    conv = _build(out, keras, logits_model(keras), nodes, board, settings, status)
    conv.report = layer_report(conv, board)
    conv.notes = notes
    (out / "report.json").write_text(json.dumps(conv.report, indent=1))
    (out / "hwgen.json").write_text(json.dumps(settings, indent=1))
    if compile:
        status("compiling the HLS C++ with g++")
        conv.compile()
    return conv


def load_build(build_dir, status=None) -> Conversion:
    """Rebuild the Conversion of a build folder written by `convert` (same types, same project)."""
    from hwgen import models
    from hwgen.golden.keras import from_keras, logits_model

    status = status or (lambda text: None)
    out = Path(build_dir)
    try:
        settings = json.loads((out / "hwgen.json").read_text())
    except FileNotFoundError as err:
        raise HwgenError(f"{out}: not a hwgen build folder (no hwgen.json; run `hwgen convert` first)") from err
    except json.JSONDecodeError as err:
        raise HwgenError(f"{out / 'hwgen.json'}: corrupt ({err})") from err
    status("reading the model")
    keras = models.load(out / "model.h5")
    nodes = from_keras(keras)
    types_from_json(nodes, settings["types"])
    conv = _build(out, keras, logits_model(keras), nodes, get(settings["board"]), settings, status)
    report_path = out / "report.json"
    conv.report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    return conv


def _build(out: Path, keras, logits, nodes, board: Board, settings: dict, status) -> Conversion:
    import hls4ml

    cfg = hcfg.hls_config(logits, nodes, board.hls_backend, strategy=settings["strategy"],
                          reuse=settings["reuse"], layer_settings=settings["layer_settings"])
    status(f"writing the hls4ml project ({settings['io_type']}, {board.part})")
    with patched_zero_padding():
        hls_model = hls4ml.converters.convert_from_keras_model(
            logits, hls_config=cfg, output_dir=str(out / PROJECT), project_name=PROJECT_NAME,
            io_type=settings["io_type"], backend=board.hls_backend, part=board.part,
            clock_period=board.clock_period_ns,
        )
    check_padding_wiring(hls_model)
    set_exponent_widths(hls_model, nodes)
    problems = hcfg.check_types(hls_model, nodes)
    if problems:
        raise ModelError("hls4ml did not take hwgen's precisions: " + "; ".join(problems))
    hls_model.write()
    return Conversion(out, keras, logits, nodes, GoldenModel(nodes), hls_model, cfg, settings)


def _read_source(source, out: Path) -> tuple[object, dict]:
    """(Keras model, run info) from a run directory, a model file or a model object; copies into `out`."""
    from hwgen import models

    if not isinstance(source, (str, Path)):
        source.save(out / "model.h5", include_optimizer=False)
        return source, {"source": f"in-memory model {source.name}"}
    path = Path(source)
    info: dict = {"source": str(path)}
    if path.is_dir():
        model_file = path / "model.h5"
        for name, key in (("config.json", "config"), ("preprocess.json", "preprocess"), ("split.json", "split")):
            if (path / name).is_file():
                info[key] = json.loads((path / name).read_text())
        info["classes"] = info.get("config", {}).get("classes")
        info["data"] = info.get("split", {}).get("data")
        info["run_dir"] = str(path)
        if (path / "test.npz").is_file():
            shutil.copyfile(path / "test.npz", out / "test.npz")
            info["test"] = str(out / "test.npz")
        info.pop("config", None)
        info.pop("split", None)
    else:
        model_file = path
    keras = models.load(model_file)
    if model_file.resolve() != (out / "model.h5").resolve():
        shutil.copyfile(model_file, out / "model.h5")
    return keras, info


def _calibration(calib, run_info: dict, keras) -> np.ndarray:
    """Calibration inputs: given array/file, else the run's training split (so ranges are not
    measured on the examples C-sim is judged on), else its test split, else uniform noise in [0, 1)."""
    shape = tuple(int(s) for s in keras.input_shape[1:])
    if calib is None and run_info.get("run_dir"):
        calib = _training_split(Path(run_info["run_dir"]))
    if calib is None and run_info.get("test"):
        import warnings

        warnings.warn("the run's training data could not be rebuilt: calibrating on its test split", stacklevel=3)
        calib = run_info["test"]
    if calib is None:
        import warnings

        warnings.warn("no calibration data: measuring ranges on uniform noise in [0, 1); pass calib=", stacklevel=3)
        calib = np.random.default_rng(0).random((256,) + shape).astype(np.float32)
    if isinstance(calib, (str, Path)):
        calib = load_x(calib, run_info.get("preprocess"))
    calib = np.asarray(calib, dtype=np.float32)
    if calib.shape[1:] != shape:
        raise DataError(f"calibration data has shape {calib.shape}, expected (N, {', '.join(map(str, shape))})")
    return calib[:MAX_CALIB]


def _training_split(run_dir: Path) -> np.ndarray | None:
    from hwgen.train import load_split

    try:
        return load_split(run_dir, "train")[0]
    except (HwgenError, FileNotFoundError, KeyError):
        return None


def load_x(path, preprocess: dict | None = None) -> np.ndarray:
    """x of a data file; preprocessed like training unless the file is a run's (already processed) test.npz."""
    x, _ = load_xy(path, preprocess)
    return x


def load_xy(path, preprocess: dict | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    path = Path(path)
    if path.suffix == ".npz" and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            if "index" in data.files and "x" in data.files:  # a run's test.npz: preprocessed already
                return np.asarray(data["x"], np.float32), (np.asarray(data["y"]) if "y" in data.files else None)
    from hwgen.data import load

    dataset = load(path)
    x = np.asarray(dataset.x, dtype=np.float32)
    if preprocess:
        from hwgen.train import apply_preprocess

        x = apply_preprocess(x, preprocess)
    y = None if dataset.y is None or len(dataset.y) != len(x) else np.asarray(dataset.y)
    return x, y


def _policy_json(policy: PrecisionPolicy) -> dict:
    return {"input": asdict(policy.input), "intermediate_width": policy.intermediate_width,
            "headroom_bits": policy.headroom_bits, "overrides": policy.overrides}
