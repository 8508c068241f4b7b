"""Training and prediction for the hwgen zoo.

``train_model(TrainConfig(...))`` loads or synthesises a task's data set, preprocesses it, splits it
by patient, trains a zoo model (optionally float first, then quantization-aware fine-tuning) and
writes a run directory:

    model.h5         the QKeras model (hwgen.models.load)
    metrics.json     test accuracy, per-class sensitivity/specificity, macro F1, confusion matrix,
                     params, MACs, weight memory bits, training time
    config.json      the TrainConfig, model settings, input shape and class names
    preprocess.json  the exact hwgen.data.preprocess settings (predict reuses them)
    split.json       data source and train/val/test indices into it
    test.npz         the preprocessed test examples (x, y, classes) for C-sim / RTL comparisons
    confusion.png, history.png

``predict(run_dir, x)`` applies the run's preprocessing and returns class probabilities;
``predict_file`` does the same for a data file and scores it when it has labels.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from hwgen.errors import DataError, ModelError

# Default synthetic set size without --data: trains in about a minute on 2 cores.
DEFAULT_SYNTH_N = 300
INIT_BATCH = 64  # training examples used to scale the initial weights to the data


@dataclass
class TrainConfig:
    """Everything a training run depends on (JSON-serialisable; written to config.json)."""

    task: str = "lung"
    model: str = "dscnn"
    out: str = "runs/run"
    data: str | None = None  # .npz/.h5 in the data layer's layout; None = synthesise the task
    n: int = DEFAULT_SYNTH_N  # examples to synthesise when data is None
    bits: int | None = 8  # None = float model only
    qat_from_float: bool = False  # float pre-training, then QAT fine-tuning from its weights
    epochs: int = 30  # (QAT) epochs; early stopping usually ends sooner
    float_epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 2e-3
    patience: int = 5
    seed: int = 0
    time: int | None = None  # model input (time, depth); None = the data's own shape
    depth: int | None = None
    clahe: bool = False
    normalise: str = "minmax"
    model_cfg: dict = field(default_factory=dict)  # width, depth, kernel, pools, po2_bits, dims, ...
    shift_training: str = "q"  # po2 layers: "q" (quantize linear weights) or "ps" (train sign/shift, models.shift)
    progress: bool = True


# ---------------------------------------------------------------- data


def _task_classes(task: str) -> list[str]:
    from hwgen.data import TASKS

    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; available: {', '.join(TASKS)}")
    spec = TASKS[task]
    classes = spec["classes"] if isinstance(spec, dict) else getattr(spec, "classes", spec)
    return list(classes)


def check_classes(classes, expected, source: str) -> None:
    """Raise DataError naming the file and the classes that differ from the expected list."""
    classes, expected = [str(c) for c in classes], [str(c) for c in expected]
    if classes == expected:
        return
    extra = [c for c in classes if c not in expected]
    missing = [c for c in expected if c not in classes]
    detail = f"unexpected {extra}" if extra else ""
    detail += ("; " if detail and missing else "") + (f"missing {missing}" if missing else "")
    detail = detail or "same names in a different order"
    raise DataError(f"{source}: classes {classes} do not match {expected} ({detail})")


def load_dataset(cfg: TrainConfig):
    """The task's data set: the given file, or a synthetic one (deterministic in cfg.seed)."""
    from hwgen.data import load, synthesize

    if cfg.data:
        dataset = load(cfg.data, task=cfg.task)
        source = cfg.data
    else:
        shape = {k: v for k, v in (("time", cfg.time), ("depth", cfg.depth)) if v is not None}
        dataset = synthesize(cfg.task, cfg.n, seed=cfg.seed, **shape)
        source = f"synthesised {cfg.task} (n={cfg.n}, seed={cfg.seed})"
    if dataset.y is None or len(dataset.y) == 0:
        raise DataError(f"{source}: training needs labels (y)")
    check_classes(dataset.classes, _task_classes(cfg.task), source)
    return dataset


def preprocess_config(cfg: TrainConfig, x_shape) -> dict:
    """The preprocessing settings a run applies to every input, training and prediction alike."""
    return {
        "time": int(cfg.time or x_shape[1]),
        "depth": int(cfg.depth or x_shape[2]),
        "clahe": bool(cfg.clahe),
        "normalise": cfg.normalise,
    }


def apply_preprocess(x: np.ndarray, settings: dict) -> np.ndarray:
    from hwgen.data import preprocess

    return np.asarray(preprocess(x, **settings), dtype=np.float32)


def load_split(run_dir, part: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """A run's preprocessed `part` ("train", "val" or "test") examples, rebuilt from its data source.

    The run keeps only its test split on disk; the others are reloaded (or re-synthesised, which is
    deterministic) from what split.json records, and refused if the source no longer matches.
    """
    data = prepared_from_run(run_dir)
    return {"train": data.train, "val": data.val or (data.x[:0], data.y[:0]), "test": data.test}[part]


def prepared_from_run(run_dir) -> Prepared:
    """A run's data set, preprocessed and split exactly as the run was (its split.json indices)."""
    from hwgen.data import class_weights

    run_dir = Path(run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    split = json.loads((run_dir / "split.json").read_text())
    cfg = TrainConfig(**{f.name: config[f.name] for f in fields(TrainConfig) if f.name in config})
    cfg.data = split.get("data", cfg.data)
    dataset = load_dataset(cfg)
    if len(dataset.y) != split["n_examples"]:
        raise DataError(f"{cfg.data or 'the synthetic set'}: has {len(dataset.y)} examples but the run in "
                        f"{run_dir} was trained on {split['n_examples']}: the data changed since training")
    settings = json.loads((run_dir / "preprocess.json").read_text())
    x = apply_preprocess(dataset.x, settings)
    y = np.asarray(dataset.y, dtype=np.int64)
    parts = tuple(np.asarray(split[k], dtype=np.int64) for k in ("train", "val", "test"))
    weights = {int(k): float(v) for k, v in class_weights(y[parts[0]], len(dataset.classes)).items()}
    return Prepared(dataset, settings, x, y, list(dataset.classes), parts, weights)


# ---------------------------------------------------------------- metrics


def classification_metrics(y_true, y_pred, classes) -> dict:
    """Accuracy, confusion matrix (rows true, columns predicted), per-class sensitivity,
    specificity, precision and F1, and macro F1."""
    k = len(classes)
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    tp = np.diag(confusion).astype(float)
    fn = confusion.sum(1) - tp
    fp = confusion.sum(0) - tp
    tn = confusion.sum() - tp - fn - fp
    sensitivity = np.divide(tp, tp + fn, out=np.zeros(k), where=(tp + fn) > 0)
    specificity = np.divide(tn, tn + fp, out=np.zeros(k), where=(tn + fp) > 0)
    precision = np.divide(tp, tp + fp, out=np.zeros(k), where=(tp + fp) > 0)
    f1 = np.divide(2 * precision * sensitivity, precision + sensitivity, out=np.zeros(k),
                   where=(precision + sensitivity) > 0)
    return {
        "n": int(len(y_true)),
        "accuracy": float(tp.sum() / max(1, len(y_true))),
        "macro_f1": float(f1.mean()),
        "per_class": {
            c: {"sensitivity": float(sensitivity[i]), "specificity": float(specificity[i]),
                "precision": float(precision[i]), "f1": float(f1[i]), "support": int(tp[i] + fn[i])}
            for i, c in enumerate(classes)
        },
        "confusion": confusion.tolist(),
        "classes": list(classes),
    }


# ---------------------------------------------------------------- plots


def plot_confusion(confusion, classes, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    confusion = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(1.4 * len(classes) + 2, 1.2 * len(classes) + 1.5))
    ax.imshow(confusion, cmap="Blues")
    for (i, j), count in np.ndenumerate(confusion):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > confusion.max() / 2 else "black")
    ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_history(phases: list[tuple[str, dict]], path: Path) -> None:
    """Loss and accuracy per epoch; phases (float, QAT) follow each other on one axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    start = 0
    for phase, hist in phases:
        epochs = np.arange(start + 1, start + 1 + len(hist.get("loss", [])))
        for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
            for prefix, style in (("", "-"), ("val_", "--")):
                if prefix + key in hist:
                    ax.plot(epochs, hist[prefix + key], style, label=f"{phase} {prefix or 'train_'}{key}".replace("_", " "))
        if start:
            for ax in axes:
                ax.axvline(start + 0.5, color="grey", lw=0.8)
        start += len(epochs)
    for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------- training


def set_determinism(seed: int) -> None:
    """Same seed, same data, same machine -> same weights."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def _progress_callback(label: str, epochs: int, enabled: bool):
    """A Keras callback driving a rich progress bar (one step per epoch)."""
    import tensorflow as tf
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    class RichProgress(tf.keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("{task.fields[status]}"), disable=not enabled)
            self.bar.start()
            self.task = self.bar.add_task(label, total=epochs, status="")

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            status = " ".join(f"{k}={v:.3f}" for k, v in logs.items() if k in ("loss", "accuracy", "val_accuracy"))
            self.bar.update(self.task, advance=1, status=status)

        def on_train_end(self, logs=None):
            self.bar.stop()

    return RichProgress()


def _fit(model, x, y, val, weights, cfg: TrainConfig, epochs: int, lr: float, label: str) -> dict:
    import tensorflow as tf

    model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    monitor = "val_loss" if val is not None else "loss"
    callbacks = [
        tf.keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg.patience, restore_best_weights=True),
        _progress_callback(label, epochs, cfg.progress),
    ]
    history = model.fit(x, y, validation_data=val, epochs=epochs, batch_size=cfg.batch_size,
                        class_weight=weights, callbacks=callbacks, verbose=0, shuffle=True)
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def _split(dataset, seed: int):
    from hwgen.data import grouped_split

    train_idx, val_idx, test_idx = (np.asarray(i, dtype=np.int64) for i in grouped_split(dataset.group, seed=seed))
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise DataError(f"too few patients ({len(np.unique(dataset.group))}) for a train/val/test split")
    return train_idx, val_idx, test_idx


@dataclass
class Prepared:
    """A preprocessed, split data set ready for fitting (shared by train_model and bench/zoo.py)."""

    dataset: object
    settings: dict
    x: np.ndarray
    y: np.ndarray
    classes: list[str]
    split: tuple[np.ndarray, np.ndarray, np.ndarray]
    class_weight: dict[int, float]

    @property
    def train(self):
        return self.x[self.split[0]], self.y[self.split[0]]

    @property
    def val(self):
        return (self.x[self.split[1]], self.y[self.split[1]]) if len(self.split[1]) else None

    @property
    def test(self):
        return self.x[self.split[2]], self.y[self.split[2]]


def prepare(cfg: TrainConfig, dataset=None) -> Prepared:
    """Load (or take) the data set, preprocess it and split it by patient."""
    from hwgen.data import class_weights

    dataset = dataset if dataset is not None else load_dataset(cfg)
    settings = preprocess_config(cfg, dataset.x.shape)
    x = apply_preprocess(dataset.x, settings)
    y = np.asarray(dataset.y, dtype=np.int64)
    classes = list(dataset.classes)
    split = _split(dataset, cfg.seed)
    weights = {int(k): float(v) for k, v in class_weights(y[split[0]], len(classes)).items()}
    return Prepared(dataset, settings, x, y, classes, split, weights)


def fit(model, data: Prepared, cfg: TrainConfig, *, epochs: int, lr: float, label: str, init: bool) -> dict:
    """Fit one phase; ``init`` first scales the weights to the data (models.scale_to_data)."""
    from hwgen import models

    x_train, y_train = data.train
    if init:
        models.scale_to_data(model, x_train[:INIT_BATCH])
    return _fit(model, x_train, y_train, data.val, data.class_weight, cfg, epochs, lr, label)


def evaluate(model, data: Prepared) -> dict:
    """Test-set metrics plus the model's cost figures."""
    from hwgen import models

    x_test, y_test = data.test
    probs = model.predict(x_test, verbose=0, batch_size=256)
    metrics = classification_metrics(y_test, probs.argmax(1), data.classes)
    metrics.update(models.summary(model))
    if data.val is not None:
        metrics["val_accuracy"] = float((model.predict(data.val[0], verbose=0).argmax(1) == data.val[1]).mean())
    return metrics


def train_phases(cfg: TrainConfig, data: Prepared):
    """Build and train as configured: QAT (or float) from a data-scaled start, or float pre-training
    followed by QAT fine-tuning from its weights. Returns (model, [(phase, history), ...])."""
    from hwgen import models

    shape, n_classes = data.x.shape[1:], len(data.classes)
    if cfg.shift_training not in ("q", "ps") or (cfg.shift_training == "ps" and cfg.bits is None):
        raise ModelError(f"shift_training must be 'q' or 'ps' (ps needs a quantized model), got {cfg.shift_training!r}")
    model = models.build(cfg.model, shape, n_classes, bits=cfg.bits, **cfg.model_cfg)
    phases = []
    if cfg.qat_from_float and cfg.bits is not None:
        float_model = models.build(cfg.model, shape, n_classes, bits=None, **cfg.model_cfg)
        phases.append(("float", fit(float_model, data, cfg, epochs=cfg.float_epochs, lr=cfg.learning_rate,
                                    label=f"{cfg.model} float", init=True)))
        model.set_weights(float_model.get_weights())
        model, history = _fit_qat(model, data, cfg, lr=cfg.learning_rate / 3, init=False)
        phases.append(("qat", history))
    elif cfg.bits is not None:
        model, history = _fit_qat(model, data, cfg, lr=cfg.learning_rate, init=True)
        phases.append(("qat", history))
    else:
        phases.append(("float", fit(model, data, cfg, epochs=cfg.epochs, lr=cfg.learning_rate,
                                    label=f"{cfg.model} float", init=True)))
    return model, phases


def _fit_qat(model, data: Prepared, cfg: TrainConfig, *, lr: float, init: bool):
    """The QAT phase. With shift_training='ps' the po2 layers train in DeepShift-PS form and the
    result is exported back to stock quantized_po2 layers with the same forward values."""
    from hwgen import models
    from hwgen.models import shift

    label = f"{cfg.model} {cfg.bits}-bit QAT"
    if cfg.shift_training == "q":
        return model, fit(model, data, cfg, epochs=cfg.epochs, lr=lr, label=label, init=init)
    if init:  # scale the linear weights first: PS stores their log2
        models.scale_to_data(model, data.train[0][:INIT_BATCH])
    ps_model = shift.to_ps(model)
    history = fit(ps_model, data, cfg, epochs=cfg.epochs, lr=lr, label=f"{label} (PS)", init=False)
    return shift.to_q(ps_model), history


def train_model(cfg: TrainConfig) -> Path:
    """Train as configured and write the run directory; returns its path."""
    from hwgen import models

    if cfg.model not in models.MODELS:  # fail before spending time on data
        raise ModelError(f"unknown model {cfg.model!r}; available: {', '.join(models.MODELS)}")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    set_determinism(cfg.seed)
    data = prepare(cfg)
    started = time.perf_counter()
    model, phases = train_phases(cfg, data)
    metrics = evaluate(model, data)
    metrics.update({"model": cfg.model, "task": cfg.task, "bits": cfg.bits,
                    "train_seconds": round(time.perf_counter() - started, 2),
                    "epochs_run": {p: len(h.get("loss", [])) for p, h in phases}})
    _write_run(out, cfg, model, metrics, data, phases)
    return out


def _write_run(out: Path, cfg: TrainConfig, model, metrics: dict, data: Prepared, phases) -> None:
    from hwgen.run import MODEL_FILE, Run

    settings, classes, input_shape, dataset = data.settings, data.classes, data.x.shape[1:], data.dataset
    run = Run.create(out)
    model.save(out / MODEL_FILE, include_optimizer=False)
    run.write_json("metrics.json", metrics)
    run.write_json("preprocess.json", settings)
    run.write_json("config.json", asdict(cfg) | {"input_shape": [int(s) for s in input_shape], "classes": classes})
    train_idx, val_idx, test_idx = data.split
    source = {"data": str(Path(cfg.data).resolve())} if cfg.data else {
        "synthesize": {"task": cfg.task, "n": cfg.n, "seed": cfg.seed, "time": cfg.time, "depth": cfg.depth}}
    run.write_json("split.json", source | {
        "n_examples": int(len(dataset.y)), "seed": cfg.seed, "train": train_idx.tolist(),
        "val": val_idx.tolist(), "test": test_idx.tolist(),
    }, indent=None)
    run.write_test(*data.test, classes, test_idx)
    run.write_calibration(data.train[0])
    title = f"{cfg.model} {cfg.bits or 'float'}-bit, {cfg.task}: accuracy {metrics['accuracy']:.3f}"
    plot_confusion(metrics["confusion"], classes, out / "confusion.png", title)
    plot_history(phases, out / "history.png")


def print_metrics(metrics: dict, console=None) -> None:
    """A per-class table plus the headline figures of a run's metrics.json."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"{metrics['model']} on {metrics['task']} ({metrics['bits'] or 'float'}-bit): test set")
    for column in ("class", "sensitivity", "specificity", "F1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for name, row in metrics["per_class"].items():
        table.add_row(name, f"{row['sensitivity']:.3f}", f"{row['specificity']:.3f}", f"{row['f1']:.3f}",
                      str(row["support"]))
    console.print(table)
    console.print(
        f"accuracy {metrics['accuracy']:.3f}  macro F1 {metrics['macro_f1']:.3f}  params {metrics['params']}  "
        f"MACs {metrics['macs']}  weight memory {metrics['weight_bits']} bits  train {metrics['train_seconds']} s"
    )


# ---------------------------------------------------------------- prediction


def _read_run(run_dir) -> tuple[Path, dict, dict]:
    from hwgen.run import Run

    run = Run(run_dir)
    return run.path, run.config, run.preprocess


def predict(run_dir, x: np.ndarray, *, model=None) -> np.ndarray:
    """Class probabilities (N, classes) for raw inputs x (N, time, depth), preprocessed like training."""
    from hwgen import models

    run, _, settings = _read_run(run_dir)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise DataError(f"inputs have shape {x.shape}, expected (N, time, depth)")
    model = model or models.load(run / "model.h5")
    return model.predict(apply_preprocess(x, settings), verbose=0, batch_size=256)


def predict_file(run_dir, data_path, out_path=None) -> dict:
    """Classify every example of a data file; score it when it is labelled. Writes out_path (JSON)."""
    from hwgen.data import load

    run, config, _ = _read_run(run_dir)
    classes = config["classes"]
    dataset = load(data_path, task=config["task"])
    labelled = dataset.y is not None and len(dataset.y) == len(dataset.x)
    if labelled and dataset.classes is not None and len(dataset.classes):
        check_classes(dataset.classes, classes, str(data_path))
    probs = predict(run, dataset.x)
    pred = probs.argmax(1)
    result = {
        "run": str(run), "data": str(data_path), "classes": classes,
        "predictions": [{"index": i, "class": classes[p], "probabilities": [round(float(v), 6) for v in row]}
                        for i, (p, row) in enumerate(zip(pred, probs, strict=True))],
    }
    if labelled:
        scored = classification_metrics(dataset.y, pred, classes)
        result.update(accuracy=scored["accuracy"], confusion=scored["confusion"], macro_f1=scored["macro_f1"])
    if out_path:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        Path(out_path).write_text(json.dumps(result, indent=1))
    return result
