"""Training and prediction for the hwgen zoo.

``train_model(TrainConfig(...))`` loads or synthesises a task's data set, preprocesses it, splits it
by patient, trains a zoo model (optionally float first, then quantization-aware fine-tuning) and
writes a run directory:

    model.h5         the QKeras model (hwgen.models.load)
    metrics.json     test accuracy, per-class sensitivity/specificity, macro F1, confusion matrix,
                     95 % bootstrap intervals (ci95), calibration (ECE), the class-imbalance
                     handling and augmentation used, params, MACs, weight memory bits, training time
    config.json      the TrainConfig, model settings, input shape and class names
    preprocess.json  the exact hwgen.data.preprocess settings and the line rate (predict reuses them)
    split.json       data source and train/val/test indices into it
    test.npz         the preprocessed test examples (x, y, classes) for C-sim / RTL comparisons
    confusion.png, history.png, reliability.png

``predict(run_dir, x)`` cuts inputs into the model's windows (hwgen.data.recording), applies the run's
preprocessing and returns class probabilities per window; ``predict_file`` does the same for a data file
(resampled from its own line rate to the run's), reports each window's time span and scores it when it
has labels.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from hwgen.data.dataset import example_setting
from hwgen.data.preprocess import NORMALISATIONS
from hwgen.data.tasks import TASKS
from hwgen.errors import DataError, ModelError
from hwgen.models.catalog import BITS_RANGE
from hwgen.run import Run
from hwgen.settings import setting

# Default synthetic set size without --data: trains in about a minute on 2 cores.
DEFAULT_SYNTH_N = 300
BALANCE_METHODS = ("weights", "resample", "none")
# Tasks whose windows get CLAHE by default: the contrast of the lung's sub-pleural sand varies ~10x
# with depth setting, frequency, bandwidth and dynamic range (a 64-bin window averages more or fewer
# speckle cells per bin); equalising local contrast lets one model see faint and strong sand alike.
CLAHE_TASKS = ("lung",)
INIT_BATCH = 64  # training examples used to scale the initial weights to the data


@dataclass
class TrainConfig:
    """Everything a training run depends on (JSON-serialisable; written to config.json).

    Defaults and valid ranges are declared here once; `hwgen train` takes its defaults from them."""

    task: str = setting("lung", choices=tuple(TASKS), option="--task")
    model: str = "dscnn"
    out: str = "runs/run"
    data: str | None = None  # .npz/.h5 in the data layer's layout; None = synthesise the task
    n: int = setting(DEFAULT_SYNTH_N, min=1, option="--n")  # examples to synthesise when data is None
    bits: int | None = setting(8, min=BITS_RANGE[0], max=BITS_RANGE[1], optional=True, option="--bits",
                               none_as=0, none_means="float")  # None = float model only
    qat_from_float: bool = False  # float pre-training, then QAT fine-tuning from its weights
    epochs: int = setting(30, min=1, option="--epochs")  # (QAT) epochs; early stopping usually ends sooner
    float_epochs: int = setting(20, min=1, option="--float-epochs")
    batch_size: int = setting(32, min=1, option="--batch-size")
    learning_rate: float = setting(2e-3, above=0, option="--lr")
    patience: int = setting(5, min=0, option="--patience")
    seed: int = setting(0, min=0, option="--seed")
    time: int | None = setting(None, min=1, optional=True, option="--time")  # model input; None = the data's
    depth: int | None = setting(None, min=2, optional=True, option="--depth")
    clahe: bool | None = None  # CLAHE in preprocessing; None = on for the lung task (see preprocess_config)
    normalise: str = setting("minmax", choices=NORMALISATIONS, option="--normalise")
    model_cfg: dict = field(default_factory=dict)  # width, depth, kernel, pools, po2_bits, dims, ...
    # po2 layers: "q" (quantize linear weights) or "ps" (train sign/shift, models.shift)
    shift_training: str = setting("q", choices=("q", "ps"), option="--shift-training")
    augment: bool = True  # training-time augmentation (hwgen.data.augment), a fresh seeded draw per epoch
    # class imbalance: "weights" (balanced class weights), "resample" or "none"
    balance: str = setting("weights", choices=("weights", "resample", "none"), option="--balance")
    progress: bool = True


# ---------------------------------------------------------------- data


def _task_classes(task: str) -> list[str]:
    from hwgen.data import TASKS

    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; available: {', '.join(TASKS)}")
    spec = TASKS[task]
    classes = spec["classes"] if isinstance(spec, dict) else getattr(spec, "classes", spec)
    return list(classes)


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
    from hwgen.data.recording import check_classes

    check_classes(dataset.classes, _task_classes(cfg.task), source)
    return dataset


def preprocess_config(cfg: TrainConfig, x_shape, line_rates=None) -> dict:
    """The preprocessing settings a run applies to every input, training and prediction alike, and the
    line rates of its training data: `line_rate_range_hz` [lo, hi] (predict leaves a recording inside it
    as it is and resamples one outside it to the nearer bound) and `line_rate_hz`, the one rate when all
    examples share it (else None); both None when the data did not say."""
    rates = sorted(float(r) for r in (line_rates or []) if r)
    if line_rates is not None and len(rates) != len(line_rates):
        rates = []  # some examples state no rate: the run cannot say what it was trained on
    return {
        "time": int(cfg.time or x_shape[1]),
        "depth": int(cfg.depth or x_shape[2]),
        "clahe": bool(cfg.task in CLAHE_TASKS if cfg.clahe is None else cfg.clahe),
        "normalise": cfg.normalise,
        "line_rate_hz": rates[0] if rates and rates[0] == rates[-1] else None,
        "line_rate_range_hz": [rates[0], rates[-1]] if rates else None,
    }


def apply_preprocess(x: np.ndarray, settings: dict) -> np.ndarray:
    from hwgen.data.preprocess import apply_settings

    return np.asarray(apply_settings(x, settings), dtype=np.float32)


def prepared_from_run(run_dir) -> Prepared:
    """A run's data set, preprocessed and split exactly as the run was (its split.json indices)."""
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
    classes = list(dataset.classes)
    return Prepared(dataset, settings, x, y, classes, parts, _class_weight(cfg, y[parts[0]], classes))


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


def imbalance_record(cfg: TrainConfig, data: "Prepared") -> dict:
    """How class imbalance was handled, with the training counts that motivated it (metrics.json)."""
    counts = np.bincount(data.train[1], minlength=len(data.classes))
    return {"method": {"weights": "balanced class weights", "resample": "class-balanced resampling per epoch",
                       "none": "none"}[cfg.balance],
            "train_counts": {c: int(n) for c, n in zip(data.classes, counts, strict=True)},
            "class_weight": {data.classes[k]: round(v, 4) for k, v in (data.class_weight or {}).items()}}


def augmentation_record(cfg: TrainConfig, data: "Prepared") -> dict:
    if not cfg.augment:
        return {"enabled": False}
    from hwgen.data.augment import AugmentConfig, policy

    return {"enabled": True, "policy": policy(data.classes), **AugmentConfig().to_dict()}


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
    """Compile and fit; x is an array (with labels y) or a tf.data.Dataset serving both (y None)."""
    import tensorflow as tf

    model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    monitor = "val_loss" if val is not None else "loss"
    callbacks = [
        tf.keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg.patience, restore_best_weights=True),
        _progress_callback(label, epochs, cfg.progress),
    ]
    batching = {"batch_size": cfg.batch_size, "shuffle": True} if y is not None else {"shuffle": False}
    history = model.fit(x, y, validation_data=val, epochs=epochs, class_weight=weights, callbacks=callbacks,
                        verbose=0, **batching)
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
    class_weight: dict[int, float] | None

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
    dataset = dataset if dataset is not None else load_dataset(cfg)
    if cfg.data and cfg.time and cfg.time != dataset.x.shape[1]:
        raise DataError(f"{cfg.data}: examples have {dataset.x.shape[1]} lines; time={cfg.time} (--time) would "
                        "crop or stretch them: omit it to train on the file's own length")
    split = _split(dataset, cfg.seed)
    settings = preprocess_config(cfg, dataset.x.shape, [example_setting(dataset, int(i), "line_rate_hz")
                                                        for i in split[0]])
    x = apply_preprocess(dataset.x, settings)
    y = np.asarray(dataset.y, dtype=np.int64)
    classes = list(dataset.classes)
    if cfg.balance not in BALANCE_METHODS:
        raise DataError(f"balance must be one of {', '.join(BALANCE_METHODS)}, got {cfg.balance!r}")
    return Prepared(dataset, settings, x, y, classes, split, _class_weight(cfg, y[split[0]], classes))


def _class_weight(cfg: TrainConfig, y_train: np.ndarray, classes) -> dict[int, float] | None:
    """Balanced class weights from the training labels when cfg.balance is "weights", else None."""
    from hwgen.data import class_weights

    if cfg.balance != "weights":
        return None
    return {int(k): float(v) for k, v in class_weights(y_train, len(classes)).items()}


def fit(model, data: Prepared, cfg: TrainConfig, *, epochs: int, lr: float, label: str, init: bool,
        phase: int = 0) -> dict:
    """Fit one phase; ``init`` first scales the weights to the data (models.scale_to_data).

    With cfg.augment or balance="resample" the training windows come from a tf.data pipeline that
    draws each epoch afresh from (cfg.seed, phase, epoch) (hwgen.data.augment.epoch_dataset)."""
    from hwgen import models

    x_train, y_train = data.train
    if init:
        models.scale_to_data(model, x_train[:INIT_BATCH])
    if cfg.augment or cfg.balance == "resample":
        from hwgen.data.augment import AugmentConfig, epoch_dataset

        train = epoch_dataset(x_train, y_train, data.classes, seed=cfg.seed, phase=phase,
                              batch_size=cfg.batch_size, augment=AugmentConfig() if cfg.augment else None,
                              resample_classes=cfg.balance == "resample", normalise=data.settings["normalise"])
        return _fit(model, train, None, data.val, data.class_weight, cfg, epochs, lr, label)
    return _fit(model, x_train, y_train, data.val, data.class_weight, cfg, epochs, lr, label)


def evaluate(model, data: Prepared) -> dict:
    """Test-set metrics with 95 % patient-bootstrap intervals and calibration, plus the model's costs."""
    from hwgen import evidence, models

    x_test, y_test = data.test
    probs = model.predict(x_test, verbose=0, batch_size=256)
    metrics = classification_metrics(y_test, probs.argmax(1), data.classes)
    groups = np.asarray(data.dataset.group)[data.split[2]]
    metrics["ci95"] = evidence.bootstrap_intervals(y_test, probs.argmax(1), data.classes, groups=groups)
    metrics["calibration"] = evidence.calibration(probs, y_test)
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
                                    label=f"{cfg.model} float", init=True, phase=0)))
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
        return model, fit(model, data, cfg, epochs=cfg.epochs, lr=lr, label=label, init=init, phase=1)
    if init:  # scale the linear weights first: PS stores their log2
        models.scale_to_data(model, data.train[0][:INIT_BATCH])
    ps_model = shift.to_ps(model)
    history = fit(ps_model, data, cfg, epochs=cfg.epochs, lr=lr, label=f"{label} (PS)", init=False, phase=1)
    return shift.to_q(ps_model), history


def train_model(cfg: TrainConfig) -> Path:
    """Train as configured and write the run directory; returns its path."""
    from hwgen import models
    from hwgen.settings import check

    check(cfg)  # fail before spending time on data
    if cfg.model not in models.MODELS:
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
                    "epochs_run": {p: len(h.get("loss", [])) for p, h in phases},
                    "imbalance": imbalance_record(cfg, data), "augmentation": augmentation_record(cfg, data)})
    _write_run(out, cfg, model, metrics, data, phases)
    return out


def _write_run(out: Path, cfg: TrainConfig, model, metrics: dict, data: Prepared, phases) -> None:
    from hwgen.run import MODEL_FILE, Run

    settings, classes, input_shape, dataset = data.settings, data.classes, data.x.shape[1:], data.dataset
    run = Run.create(out)
    model.save(out / MODEL_FILE, include_optimizer=False)
    run.write_json("metrics.json", metrics)
    run.write_json("preprocess.json", settings)
    run.write_json("config.json", asdict(cfg) | {"input_shape": [int(s) for s in input_shape], "classes": classes,
                                                 "line_rate_hz": settings["line_rate_hz"],
                                                 "line_rate_range_hz": settings["line_rate_range_hz"]})
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
    from hwgen.evidence import plot_reliability

    plot_reliability(metrics["calibration"], out / "reliability.png", f"{cfg.model} {cfg.bits or 'float'}-bit, {cfg.task}")


def print_metrics(metrics: dict, console=None) -> None:
    """A per-class table (with 95 % bootstrap intervals) plus the headline figures of a run's metrics.json."""
    from rich.console import Console
    from rich.table import Table

    from hwgen.evidence import format_interval

    console = console or Console()
    ci = metrics.get("ci95") or {}
    ci_class = ci.get("per_class", {})
    table = Table(title=f"{metrics['model']} on {metrics['task']} ({metrics['bits'] or 'float'}-bit): test set"
                        + (f", 95 % intervals ({ci['method']})" if ci else ""))
    for column in ("class", "sensitivity", "specificity", "F1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for name, row in metrics["per_class"].items():
        c = ci_class.get(name, {})
        table.add_row(name, format_interval(row["sensitivity"], c.get("sensitivity")),
                      format_interval(row["specificity"], c.get("specificity")), f"{row['f1']:.3f}",
                      str(row["support"]))
    console.print(table)
    extra = ""
    if "calibration" in metrics:
        extra += f"  ECE {metrics['calibration']['ece']:.3f}"
    if "imbalance" in metrics:
        extra += f"  imbalance: {metrics['imbalance']['method']}"
    if "augmentation" in metrics:
        extra += f"  augmentation {'on' if metrics['augmentation']['enabled'] else 'off'}"
    console.print(
        f"accuracy {format_interval(metrics['accuracy'], ci.get('accuracy'))}  macro F1 {metrics['macro_f1']:.3f}  "
        f"params {metrics['params']}  MACs {metrics['macs']}  weight memory {metrics['weight_bits']} bits  "
        f"train {metrics['train_seconds']} s" + extra
    )


# ---------------------------------------------------------------- prediction


def run_line_rate(run: Path, settings: dict) -> tuple[dict, list[str]]:
    """A run's preprocess settings with its training line rate, and a note when it had to be derived.

    Runs from before hwgen recorded the rate: one trained on a synthetic task gets the task's rate for
    its window length; others keep none (recordings are then windowed without resampling)."""
    if "line_rate_hz" in settings:
        return settings, []
    split = run / "split.json"
    synth = json.loads(split.read_text()).get("synthesize") if split.is_file() else None
    if not synth:
        return settings, []   # model_inputs says that nothing is resampled
    from hwgen.data.dataset import task_spec

    rate = task_spec(synth["task"], str(split)).line_rate_hz(settings["time"])
    note = (f"{run}: the run records no line rate (trained before hwgen stored it); using {rate:g} lines/s, "
            f"its synthetic task's rate for {settings['time']} lines")
    return settings | {"line_rate_hz": rate}, [note]


def predict_windows(run_dir, dataset, *, hop: int | None = None, recording_rate_hz: float | None = None,
                    model=None, source: str | None = None):
    """(probabilities (W, classes), labels per window or None, Windows) for a Dataset: resampled to the
    run's line rate, cut into its windows and preprocessed like training (hwgen.data.recording)."""
    from hwgen import models
    from hwgen.data.recording import model_inputs

    run_folder = Run(run_dir)
    run, settings = run_folder.path, run_folder.preprocess
    settings, notes = run_line_rate(run, settings)
    x, y, wins = model_inputs(dataset, settings, hop=hop, recording_rate_hz=recording_rate_hz, source=source)
    wins.notes[:0] = notes
    model = model or models.load(run / "model.h5")
    return model.predict(x, verbose=0, batch_size=256), y, wins


def predict(run_dir, x: np.ndarray, *, line_rate_hz: float | None = None, hop: int | None = None,
            model=None) -> np.ndarray:
    """Class probabilities (W, classes) for raw inputs x (N, time, depth), one row per window.

    x is taken at `line_rate_hz` (default: the run's own line rate, so no resampling). Inputs exactly
    one window long give one row per example (W = N); longer ones give several, in example order
    (use predict_windows for their spans)."""
    from hwgen.data import Dataset

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise DataError(f"inputs have shape {x.shape}, expected (N, time, depth)")
    run_folder = Run(run_dir)
    run, settings = run_folder.path, run_folder.preprocess
    rate = line_rate_hz or run_line_rate(run, settings)[0].get("line_rate_hz")
    meta = {"source": "inputs"} | ({"line_rate_hz": rate} if rate else {})
    dataset = Dataset(x, None, [], np.arange(len(x), dtype=np.int64), meta)
    return predict_windows(run, dataset, hop=hop, model=model)[0]


def predict_file(run_dir, data_path, out_path=None, *, hop: int | None = None, line=None,
                 recording_rate_hz: float | None = None) -> dict:
    """Classify every window of every recording in a data file; score it when it is labelled.

    The file is checked against the run's task and classes, resampled from its line rate to the run's
    and cut into windows (hop in the model's lines, default half a window). Writes out_path (JSON):
    per window its example, span (lines and seconds) and probabilities; per example the mean."""
    from hwgen.data import load
    from hwgen.data.recording import check_task

    run_folder = Run(run_dir)
    run, config = run_folder.path, run_folder.config
    classes = config["classes"]
    dataset = load(data_path, line=line)
    check_task(dataset, task=config["task"], classes=classes, source=str(data_path))
    probs, y, wins = predict_windows(run, dataset, hop=hop, recording_rate_hz=recording_rate_hz,
                                     source=str(data_path))
    pred = probs.argmax(1)
    rows = []
    for i, (p, row) in enumerate(zip(pred, probs, strict=True)):
        entry = {"index": i, "example": int(wins.source[i]), "start_line": round(float(wins.lines[i, 0]), 3),
                 "end_line": round(float(wins.lines[i, 1]), 3)}
        if wins.spans is not None:
            entry.update(start_s=round(float(wins.spans[i, 0]), 6), end_s=round(float(wins.spans[i, 1]), 6))
        rows.append(entry | {"class": classes[p], "probabilities": [round(float(v), 6) for v in row]})
    examples = []
    for e in range(len(dataset.x)):
        mean = probs[wins.source == e].mean(axis=0)
        examples.append({"index": e, "windows": int(np.sum(wins.source == e)), "class": classes[int(mean.argmax())],
                         "mean_probabilities": [round(float(v), 6) for v in mean]})
    result = {
        "run": str(run), "data": str(data_path), "classes": classes, "line_rate_hz": wins.line_rate_hz,
        "recording_line_rate_hz": wins.recording_rate_hz, "window_lines": int(wins.x.shape[1]),
        "notes": wins.notes, "predictions": rows, "examples": examples,
    }
    if y is not None:
        from hwgen.evidence import bootstrap_intervals

        scored = classification_metrics(y, pred, classes)
        groups = None if dataset.group is None else np.asarray(dataset.group)[wins.source]
        result.update(accuracy=scored["accuracy"], confusion=scored["confusion"], macro_f1=scored["macro_f1"],
                      per_class=scored["per_class"], ci95=bootstrap_intervals(y, pred, classes, groups=groups))
    if out_path:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        Path(out_path).write_text(json.dumps(result, indent=1))
    return result
