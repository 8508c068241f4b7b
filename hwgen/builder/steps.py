"""The model-side steps: synthesise data, train, and export the model to the saved integer graph.

`step_export` is where a model becomes the hub every later step reads:

    graph/graph.json, graph/weights.npz   the typed integer graph (hwgen.graph.io)
    graph/stream.json                     the accelerator's stream format for this graph (runtime.protocol)
    model_hls4ml.h5                       the Keras model hls4ml converts: the user's model with its
                                          BatchNormalization folded and alpha scales absorbed, exactly the
                                          graph's weights (hwgen.models.export.for_hls4ml)
    verify/input.npy                      verification inputs (the run's test split, or --verify-data)
    verify/expected.npy                   the graph's exact logits on them (int64, on the logits' grid)
    verify/labels.npy, verify/keras.npy   their labels and the user's Keras model's float logits

It then verifies its own view: the graph reloaded from disk reproduces expected.npy bit for bit, and
its logits agree with the user's Keras model (a float model, so agreement is measured and held to a
tolerance, not bit-exact): every graph logit must lie within `keras_tolerance` (default 10 %) of the
Keras logits' range (max - min over the verification set) of the Keras logit. Rounding (float32 sums
near a tie, 16-bit intermediates, re-quantized folded BatchNormalization weights) stays far inside it
(measured: at most 3 % on the zoo, 0.5 % on a model with two folded BatchNormalizations); a type that
saturates on the verification data does not. Beyond the tolerance the step fails, naming the layer that
saturated most and its count, unless `allow_saturation` (`--allow-saturation`) accepts it. Saturation the
model's own quantizers define (a quantized_relu clipping at its maximum, the input type clipping 1.0) is
arithmetic, not an overflow: it is recorded apart (`clipped`).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np

from hwgen.builder.config import BuildConfig
from hwgen.builder.core import Build
from hwgen.errors import DataError, HwgenError


def step_data(build: Build, cfg: BuildConfig) -> dict:
    """Synthesise the task's data set and draw its gallery."""
    from hwgen.data import save, synthesize
    from hwgen.data.plot import gallery

    spec = dict(cfg.data)
    task, n, seed = spec.pop("task"), spec.pop("n"), spec.pop("seed", 0)
    ds = synthesize(task, n, seed=seed, progress=True, **{k: v for k, v in spec.items() if v is not None})
    save(ds, build.data_file)
    png = gallery(ds, build.out / "gallery.png")
    build.console.print(f"data: {len(ds.x)} {task} examples {ds.x.shape[1:]} -> {build.data_file}; gallery {png}")
    return {"data": str(build.data_file), "gallery": str(png), "shape": list(ds.x.shape), "classes": list(ds.classes)}


def step_train(build: Build, cfg: BuildConfig) -> dict:
    """Train the QAT model on the data set (patient-grouped split)."""
    from hwgen.run import Run
    from hwgen.train import TrainConfig, print_metrics, train_model

    settings = dict(cfg.train)
    if build.data_file.is_file():
        settings["data"] = str(build.data_file)
    run = train_model(TrainConfig(**settings | {"out": str(build.run_dir), "progress": True}))
    metrics = Run(run).metrics
    print_metrics(metrics, build.console)
    return {"run": str(run), "accuracy": metrics.get("accuracy"), "macro_f1": metrics.get("macro_f1")}


def step_export(build: Build, cfg: BuildConfig) -> dict:
    """Export the model to the integer graph: precision inference, graph.json, verification vectors."""
    from hwgen import models
    from hwgen.graph import cost, execute, load, save
    from hwgen.graph.precision import PrecisionPolicy, infer_precision
    from hwgen.models.export import for_hls4ml, logits_model, to_graph
    from hwgen.run import Run

    run = Run(build.run_dir) if build.run_dir is not None else None
    model_file = run.model_file if run else Path(cfg.source)
    build.status("reading the model")
    keras = models.load(model_file)
    if model_file.resolve() != build.model_file.resolve():
        shutil.copyfile(model_file, build.model_file)
    meta = {"source": str(model_file), "task": run.task if run else None,
            "preprocess": run.preprocess if run else None, "data": run.data_source if run else None}
    graph = to_graph(keras, classes=_classes(run, keras), meta=meta, fold_bits=cfg.fold_bits)
    calib = _calibration(cfg, run, graph.input_shape)
    build.status(f"inferring precisions on {len(calib)} calibration examples")
    policy = PrecisionPolicy(intermediate_width=cfg.intermediate_width, overrides=cfg.precision)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notes are returned and printed below
        notes = infer_precision(graph, calib, policy)
    for note in notes:
        build.console.print(f"[yellow]note:[/] {note}")
    save(graph, build.graph_dir)
    stream = _write_stream_format(build, graph, cfg.data_width)
    build.status("writing the model hls4ml converts")
    for_hls4ml(keras, graph).save(build.hls_model_file, include_optimizer=False)

    x, y = _verify_inputs(cfg, run, graph.input_shape)
    build.status(f"verifying the saved graph on {len(x)} examples")
    expected = execute(graph, x).logits.reshape(len(x), -1)
    keras_logits = np.asarray(logits_model(keras).predict(x, verbose=0, batch_size=256)).reshape(len(x), -1)
    build.verify_dir.mkdir(parents=True, exist_ok=True)
    np.save(build.verify_dir / "input.npy", x)
    np.save(build.verify_dir / "expected.npy", expected)
    np.save(build.verify_dir / "keras.npy", keras_logits)
    if y is not None:
        np.save(build.verify_dir / "labels.npy", y)
    reloaded = execute(load(build.graph_dir), x)
    if not np.array_equal(reloaded.logits.reshape(len(x), -1), expected):
        raise HwgenError(f"{build.graph_dir}: the saved graph does not reproduce its own outputs (a serialisation "
                         "bug: please report it)")
    out_type = graph.output.out
    agreement = keras_agreement(keras_logits, out_type.to_float(expected), reloaded, graph, cfg.keras_tolerance)
    record = {
        "graph": str(build.graph_dir / "graph.json"), "nodes": len(graph.nodes), "identity": f"{graph.identity():016x}",
        "classes": graph.classes, "input_shape": list(graph.input_shape), "output_type": out_type.hls(),
        "cost": cost.summary(graph), "notes": notes, "calibration_examples": int(len(calib)),
        "verify_examples": int(len(x)), "saved_graph_reproduces_outputs": True, **agreement,
        "overflows": {k: v for k, v in reloaded.overflows.items() if v},
        "clipped": {k: v for k, v in reloaded.clipped.items() if v}, "stream": stream,
        "folded": {n.attrs["folded"]: n.name for n in graph.nodes if "folded" in n.attrs},
        "rescaled": {n.name: n.attrs["rescaled"] for n in graph.nodes if "rescaled" in n.attrs},
        "hls_model": str(build.hls_model_file), "allow_saturation": cfg.allow_saturation,
    }
    if y is not None:
        record["graph_accuracy"] = float(np.mean(np.argmax(expected, 1) == y))
    build.console.print(f"graph: {len(graph.nodes)} nodes, identity {record['identity']}, "
                        f"{record['cost']['macs']:,} MACs; Keras vs graph argmax agreement "
                        f"{record['keras_vs_graph_argmax_agreement']:.1%} on {len(x)} examples, largest logit "
                        f"difference {agreement['keras_vs_graph_max_abs_logit_diff']:.4g} (tolerance "
                        f"{agreement['keras_logit_tolerance']:.4g})")
    if not agreement["keras_vs_graph_within_tolerance"]:
        problem = keras_mismatch_message(agreement, reloaded, graph, cfg)
        if not (cfg.allow_saturation and reloaded.total_overflows):
            raise HwgenError(problem)
        build.console.print(f"[yellow]warning:[/] {problem} (accepted: --allow-saturation)")
    return record


def keras_agreement(keras_logits, graph_logits, run, graph, tolerance: float) -> dict:
    """How the graph's logits agree with the user's Keras model on the verification set (see the module docstring)."""
    keras_logits = np.asarray(keras_logits, np.float64).reshape(len(keras_logits), -1)
    diff = np.abs(np.asarray(graph_logits, np.float64) - keras_logits)
    limit = float(tolerance) * float(keras_logits.max() - keras_logits.min())
    beyond = np.any(diff > limit, axis=1)
    return {
        "keras_vs_graph_argmax_agreement": float(np.mean(np.argmax(keras_logits, 1) == np.argmax(graph_logits, 1))),
        "keras_vs_graph_max_abs_logit_diff": float(diff.max()),
        "keras_logit_tolerance": limit, "keras_tolerance_fraction": float(tolerance),
        "keras_vs_graph_beyond_tolerance": int(beyond.sum()),
        "keras_vs_graph_within_tolerance": bool(not beyond.any()),
    }


def keras_mismatch_message(agreement: dict, run, graph, cfg: BuildConfig) -> str:
    """One line: how far the graph is from Keras, and why (the layer that saturated most, or the folds)."""
    head = (f"the integer graph's logits differ from Keras beyond the tolerance on "
            f"{agreement['keras_vs_graph_beyond_tolerance']} verification examples (largest difference "
            f"{agreement['keras_vs_graph_max_abs_logit_diff']:.4g}, tolerance {agreement['keras_logit_tolerance']:.4g}"
            f" = {agreement['keras_tolerance_fraction']:g} of the Keras logits' range; class decisions agree on "
            f"{agreement['keras_vs_graph_argmax_agreement']:.1%})")
    if run.total_overflows:
        name = max(run.overflows, key=run.overflows.get)
        node = graph.by_name[name]
        lo, hi = node.attrs.get("range", (float("nan"), float("nan")))
        return (f"{head}: layer {name!r} saturated {run.overflows[name]} values (result {node.out.hls()}, sized on "
                f"the calibration range [{lo:.4g}, {hi:.4g}]; {run.total_overflows} in all layers); calibrate on "
                f"data like the verification set (--calib), widen it (--precision {name}:result=ap_fixed<W,I>), or "
                "accept it with --allow-saturation")
    folded = [n.name for n in graph.nodes if "folded" in n.attrs]
    if folded:
        return (f"{head}: no type saturated; the folded BatchNormalization weights of {folded} are re-quantized "
                f"to {cfg.fold_bits or 'the kernel bits + 4'} significant bits: raise --fold-bits")
    return f"{head}: no type saturated (please report this model: hwgen's rounding should stay within it)"


def _classes(run, keras) -> list[str]:
    classes = run.classes if run else []
    n_out = int(keras.output_shape[-1])
    if classes and len(classes) != n_out:
        raise HwgenError(f"{run.path}: {len(classes)} class names for a model with {n_out} outputs")
    return classes or [f"class{i}" for i in range(n_out)]


def _write_stream_format(build: Build, graph, data_width: int) -> dict | None:
    """graph/stream.json: the accelerator's ports for this graph (None when its logits do not fit 32 bits)."""
    from hwgen.runtime.protocol import StreamFormat

    t, d = (tuple(graph.input_shape) + (1,))[:2]
    inp, out = graph.input.out, graph.output.out
    try:
        fmt = StreamFormat(time=int(t), depth=int(d), n_classes=len(graph.classes), in_bits=inp.width,
                           in_frac=inp.frac, logit_bits=out.width, logit_frac=out.frac, data_width=data_width,
                           graph_id=graph.identity())
    except ValueError as err:
        build.console.print(f"[yellow]note:[/] no accelerator stream format for this graph: {err}")
        return None
    (build.graph_dir / "stream.json").write_text(json.dumps(fmt.to_json(), indent=1))
    return fmt.to_json()


def _calibration(cfg: BuildConfig, run, shape) -> np.ndarray:
    """Calibration inputs: the given file, else the run's training examples, else uniform noise (warned)."""
    if cfg.calib:
        x, _ = load_inputs(cfg.calib, run)
    elif run is not None:
        x = run.calibration()
    else:
        warnings.warn("no calibration data: measuring ranges on uniform noise in [0, 1); give --calib FILE",
                      stacklevel=2)
        x = np.random.default_rng(0).random((256,) + tuple(shape)).astype(np.float32)
    return _check_shape(x, shape, "calibration data")


def _verify_inputs(cfg: BuildConfig, run, shape):
    if cfg.verify_data:
        x, y = load_inputs(cfg.verify_data, run)
    elif run is not None and (run.path / "test.npz").is_file():
        x, y = run.test()
    else:
        x, y = np.random.default_rng(1).random((32,) + tuple(shape)).astype(np.float32), None
    x = _check_shape(x, shape, "verification data")[:cfg.verify_max]
    return x, (None if y is None else np.asarray(y)[:cfg.verify_max])


def _check_shape(x, shape, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.shape[1:] != tuple(shape):
        raise DataError(f"{what} has shape {x.shape}, expected (N, {', '.join(map(str, shape))})")
    return x


def load_inputs(path, run=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Model inputs x and labels y from a data file: a run's test.npz is taken as it is; a recording is
    checked against the run's task, resampled to its line rate and cut into windows as `hwgen predict` does."""
    path = Path(path)
    if path.suffix == ".npz" and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            if "index" in data.files and "x" in data.files:  # a run's test.npz: preprocessed already
                return np.asarray(data["x"], np.float32), (np.asarray(data["y"]) if "y" in data.files else None)
    from hwgen.data import load

    dataset = load(path)
    if run is None:
        x = np.asarray(dataset.x, dtype=np.float32)
        y = None if dataset.y is None or len(dataset.y) != len(x) else np.asarray(dataset.y)
        return x, y
    from hwgen.data.recording import check_task, model_inputs
    from hwgen.train import run_line_rate

    check_task(dataset, task=run.task, classes=run.classes, source=str(path))
    settings, notes = run_line_rate(run.path, run.preprocess)
    x, y, windows = model_inputs(dataset, settings, source=str(path))
    for note in notes + list(windows.notes):
        warnings.warn(note, stacklevel=2)
    return np.asarray(x, np.float32), y
