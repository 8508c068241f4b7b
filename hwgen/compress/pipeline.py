"""`hwgen compress`: a trained run -> a compressed run (same layout as `hwgen train`) with before/after metrics.

Order of work, each optional:

1. structured channel pruning (network slimming): sparsity training with L1 on inserted batch-norm scales
   (`slim_epochs`), channels removed, batch norms folded away;
2. low-rank: chosen layers factorised by truncated SVD into two thinner layers;
3. fine-tuning (`epochs`, early stopping on the validation loss), with unstructured magnitude pruning on
   a schedule when `prune` is set, and with the distillation loss when a teacher run is given (every
   training phase uses it then; without a teacher, cross-entropy).

The model stays a QKeras QAT model at its run's bit widths throughout, and what is saved is a plain
one (no pruning wrappers, no batch norm) that `hwgen build`, `hwgen convert` and `hwgen predict` take.
Data, split and preprocessing are the source run's (re-read or re-synthesised from split.json), so
before/after accuracies are on the same test examples. A teacher must share the student's classes, input
shape, preprocessing and data source, and must not have trained on the student's test examples.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from hwgen.compress import distill as kd
from hwgen.compress import lowrank
from hwgen.compress import prune as pruning
from hwgen.errors import HwgenError, ModelError

COST_KEYS = ("accuracy", "macro_f1", "params", "macs", "shift_macs", "nonzero_macs", "weight_bits", "zero_weights")
PRUNE_RAMP = 0.5  # share of the fine-tuning epochs over which sparsity rises to its target


@dataclass
class CompressConfig:
    """What `hwgen compress` does to a run (JSON-serialisable; recorded in the new run's config.json)."""

    run: str = ""
    out: str = ""
    prune: float | None = None             # unstructured: target share of zero weights
    prune_channels: float | None = None    # network slimming: share of the prunable channels removed
    slim_l1: float = 1e-2                  # L1 weight on the channel gates (batch-norm scales, initially 1)
    slim_epochs: int = 10
    slim_min_keep: float = 0.25            # every layer keeps at least this share of its channels
    low_rank: float | None = None          # SVD: energy fraction kept per layer ...
    rank: int | None = None                # ... or a fixed rank ...
    rank_budget: float | None = None       # ... or a share of each layer's weights
    rank_layers: list[str] | None = None   # default: every factorisable layer where it saves weights
    teacher: str | None = None             # teacher run directory
    reinit: bool = False                   # the student starts afresh: float, then QAT, both under distillation
    float_epochs: int = 20                 # with reinit: float pre-training epochs
    distill: str | None = None             # comma list of kd, dkd, at (default kd with a teacher)
    temperature: float = 4.0
    alpha: float = 0.9
    dkd_alpha: float = 1.0
    dkd_beta: float = 8.0
    at_beta: float = 1000.0
    epochs: int = 20                       # fine-tuning epochs
    learning_rate: float | None = None     # default: the run's learning rate / 3 (hwgen train's QAT rate)
    batch_size: int | None = None          # default: the run's
    patience: int = 5
    seed: int | None = None                # default: the run's
    force: bool = False
    progress: bool = True
    extra: dict = field(default_factory=dict)  # free-form labels (e.g. the benchmark's point name)

    def rank_rule(self) -> lowrank.RankRule | None:
        if self.low_rank is None and self.rank is None and self.rank_budget is None:
            return None
        return lowrank.RankRule(energy=self.low_rank, rank=self.rank, budget=self.rank_budget)

    def distill_config(self) -> kd.DistillConfig | None:
        if self.teacher is None:
            if self.distill is not None:
                raise HwgenError(f"--distill {self.distill}: distillation needs a teacher (--distill-from RUN)")
            return None
        terms = tuple(t.strip() for t in (self.distill or "kd").split(",") if t.strip())
        return kd.DistillConfig(terms=terms, temperature=self.temperature, alpha=self.alpha,
                                dkd_alpha=self.dkd_alpha, dkd_beta=self.dkd_beta, at_beta=self.at_beta)

    def check(self) -> None:
        """One-line errors for every bad option, before any work."""
        if not self.run or not self.out:
            raise HwgenError("compress needs a source run and --out")
        pruning.check_fraction(self.prune, "--prune", allow_zero=True)
        pruning.check_fraction(self.prune_channels, "--prune-channels", allow_zero=False)
        rule = self.rank_rule()
        self.distill_config()
        if self.reinit and self.teacher is None:
            raise HwgenError("--reinit trains the student afresh under distillation: it needs --distill-from RUN")
        if self.prune is None and self.prune_channels is None and rule is None and self.teacher is None:
            raise HwgenError("nothing to do: give --prune, --prune-channels, --low-rank/--rank/--rank-budget "
                             "and/or --distill-from TEACHER_RUN")
        if self.epochs < 0 or (self.prune is not None and self.epochs < 2):
            raise HwgenError(f"--epochs {self.epochs}: expected >= 0 (>= 2 with --prune: sparsity rises during "
                             "fine-tuning, then holds)")
        if self.reinit and self.float_epochs < 1:
            raise HwgenError(f"--float-epochs {self.float_epochs}: --reinit needs >= 1 epoch of float training")
        if self.prune_channels is not None and self.slim_epochs < 1:
            raise HwgenError(f"--slim-epochs {self.slim_epochs}: channel slimming needs >= 1 epoch of sparsity training")
        if not 0 < self.slim_min_keep <= 1:
            raise HwgenError(f"--slim-min-keep {self.slim_min_keep:g}: expected a share of each layer's channels in (0, 1]")
        if self.slim_l1 < 0:
            raise HwgenError(f"--slim-l1 {self.slim_l1:g}: expected >= 0")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise HwgenError(f"--lr {self.learning_rate:g}: expected a positive learning rate")
        if Path(self.out).resolve() == Path(self.run).resolve():
            raise HwgenError(f"--out {self.out}: is the source run; write the compressed run elsewhere")
        if self.teacher and Path(self.teacher).resolve() == Path(self.out).resolve():
            raise HwgenError(f"--out {self.out}: is the teacher run")

    def techniques(self) -> list[str]:
        names = []
        if self.prune_channels is not None:
            names.append(f"slim{self.prune_channels:g}")
        if self.rank_rule() is not None:
            names.append(f"lowrank({self.rank_rule().describe()})")
        if self.prune is not None:
            names.append(f"prune{self.prune:g}")
        if self.teacher is not None:
            names.append(f"distill({self.distill or 'kd'}{', from scratch' if self.reinit else ''})")
        return names


# ---------------------------------------------------------------- the run folders


def _check_out(out: Path, force: bool) -> bool:
    """The output folder must be new, empty, or (with force) an earlier run; True when it is to be replaced
    (which happens only once the compressed model is ready to be written)."""
    if out.exists() and not out.is_dir():
        raise HwgenError(f"--out {out}: exists and is a file")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise HwgenError(f"--out {out}: not empty; choose another folder or pass --force to replace it")
        if not (out / "config.json").is_file():
            raise HwgenError(f"--out {out}: not empty and not a hwgen run; refusing to replace it even with --force")
        return True
    return False


def check_teacher(student, teacher) -> None:
    """A teacher must see the same inputs and name the same classes, and never have trained on the
    student's test examples."""
    where = f"teacher {teacher.path}"
    if teacher.classes != student.classes:
        raise HwgenError(f"{where}: classes {teacher.classes} differ from the student's {student.classes} "
                         f"({student.path})")
    if teacher.config.get("input_shape") != student.config.get("input_shape"):
        raise HwgenError(f"{where}: input shape {teacher.config.get('input_shape')} differs from the student's "
                         f"{student.config.get('input_shape')}")
    if teacher.preprocess != student.preprocess:
        raise HwgenError(f"{where}: preprocessing {teacher.preprocess} differs from the student's {student.preprocess}")
    source = {k: student.split.get(k) for k in ("data", "synthesize", "n_examples")}
    if {k: teacher.split.get(k) for k in source} != source:
        raise HwgenError(f"{where}: trained on other data ({teacher.split.get('data') or teacher.split.get('synthesize')}) "
                         f"than the student ({student.split.get('data') or student.split.get('synthesize')})")
    leaked = (set(teacher.split["train"]) | set(teacher.split["val"])) & set(student.split["test"])
    if leaked:
        raise HwgenError(f"{where}: trained on {len(leaked)} of the student's test examples; distil from a teacher "
                         "with the same split (the same --seed)")


# ---------------------------------------------------------------- training


def _train(model, data, cfg: CompressConfig, run_cfg: dict, *, epochs: int, label: str, distill_cfg, teacher_t,
           prune: float | None = None, early_stop: bool = True, lr: float | None = None):
    """Fit `model` (in place, or its pruned copy) on the run's training split. Returns (model, history)."""
    import tensorflow as tf

    from hwgen.compress.surgery import logits_view
    from hwgen.train import _progress_callback

    x_train, y_train = data.train
    batch = int(cfg.batch_size or run_cfg.get("batch_size", 32))
    lr = float(lr or cfg.learning_rate or run_cfg.get("learning_rate", 2e-3) / 3)
    steps = math.ceil(len(x_train) / batch)
    ramp = max(1, int(round(PRUNE_RAMP * epochs)))
    trained = pruning.wrap_for_pruning(model, prune, ramp * steps) if prune is not None else model
    features = distill_cfg.feature_layers if distill_cfg is not None and distill_cfg.uses_features else ()
    if features:
        kd.check_feature_layers(model, features, "student")
    trainer = kd.make_trainer(logits_view(trained, features), distill_cfg, len(features))
    trainer.compile(optimizer=tf.keras.optimizers.Adam(lr))
    weights = np.array([(data.class_weight or {}).get(int(c), 1.0) for c in y_train], np.float32)  # None: unweighted
    train_targets = {"y": y_train} | {k: v[data.split[0]] for k, v in teacher_t.items()}
    val = None
    if data.val is not None:
        val = (data.val[0], {"y": data.val[1]} | {k: v[data.split[1]] for k, v in teacher_t.items()})
    callbacks = pruning.pruning_callbacks() if prune is not None else []
    if early_stop:
        callbacks.append(tf.keras.callbacks.EarlyStopping(
            monitor="val_loss" if val is not None else "loss", patience=cfg.patience, restore_best_weights=True,
            start_from_epoch=ramp if prune is not None else 0))
    callbacks.append(_progress_callback(label, epochs, cfg.progress))
    history = trainer.fit(x_train, train_targets, sample_weight=weights, validation_data=val, epochs=epochs,
                          batch_size=batch, callbacks=callbacks, verbose=0, shuffle=True)
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return (pruning.strip(trained) if prune is not None else model), hist


def _teacher_targets(teacher_run, data, distill_cfg) -> tuple[dict, dict]:
    """Teacher outputs on every example of the data set (indexed like data.x), and its test metrics."""
    from hwgen import models
    from hwgen.train import evaluate

    teacher = models.load(teacher_run.model_file)
    targets = kd.teacher_targets(teacher, data.x, distill_cfg)
    metrics = evaluate(teacher, data)
    return targets, {"run": str(teacher_run.path), "model": teacher_run.config.get("model"),
                     **{k: metrics[k] for k in COST_KEYS if k in metrics}}


def _zero_record(model, target: float) -> dict:
    """The sparsity the exported graph holds (the cost model's zero weights), overall and per pruned layer."""
    from hwgen.graph import cost
    from hwgen.models.export import to_graph

    graph = to_graph(model, allow_float=True)
    rows = {r["name"]: r for r in cost.graph_cost(graph)["layers"] if r["weights"]}
    pruned = set(pruning.prunable_layers(model))
    per_node = {n: round(r["zero_weights"] / r["weights"], 4) for n, r in rows.items()
                if (graph.by_name[n].keras in pruned)}
    zeros = sum(rows[n]["zero_weights"] for n in per_node)
    total = sum(rows[n]["weights"] for n in per_node)
    return {"target": target, "achieved": round(zeros / max(total, 1), 6), "layers": per_node}


def compress_run(cfg: CompressConfig, console=None) -> Path:
    """Compress cfg.run as configured and write the new run to cfg.out; returns its path."""
    from rich.console import Console

    from hwgen import models
    from hwgen.run import Run
    from hwgen.train import evaluate, prepared_from_run, set_determinism

    console = console or Console()
    cfg.check()
    source = Run(cfg.run)
    teacher_run = Run(cfg.teacher) if cfg.teacher else None
    if teacher_run is not None:
        check_teacher(source, teacher_run)
    out = Path(cfg.out)
    replace = _check_out(out, cfg.force)
    model = models.load(source.model_file)
    distill_cfg = cfg.distill_config()
    if cfg.prune is not None:
        pruning.check_prunable(model)
    run_cfg = source.config
    seed = int(cfg.seed if cfg.seed is not None else run_cfg.get("seed", 0))
    set_determinism(seed)
    data = prepared_from_run(source.path)
    before = evaluate(model, data)
    started = time.perf_counter()
    record: dict = {"source_run": str(source.path), "techniques": cfg.techniques()}
    teacher_t: dict = {}
    if teacher_run is not None:
        teacher_t, record["teacher"] = _teacher_targets(teacher_run, data, distill_cfg)
        record["distill"] = asdict(distill_cfg)
    phases = []
    if cfg.reinit:
        model, history = _fresh_student(run_cfg, data, cfg, distill_cfg, teacher_t)
        phases.append(("float", history))
    if cfg.prune_channels is not None:
        model, record["slim"], history = _slim(model, data, cfg, run_cfg, distill_cfg, teacher_t)
        phases.append(("slimming", history))
    if cfg.rank_rule() is not None:
        model, record["low_rank"] = lowrank.factorise(model, cfg.rank_rule(), cfg.rank_layers)
        record["low_rank_accuracy_before_finetune"] = evaluate(model, data)["accuracy"]
    if cfg.epochs:
        label = " + ".join(cfg.techniques()) + " fine-tune"
        model, history = _train(model, data, cfg, run_cfg, epochs=cfg.epochs, label=label, distill_cfg=distill_cfg,
                                teacher_t=teacher_t, prune=cfg.prune)
        phases.append(("fine-tune", history))
    if cfg.prune is not None:
        record["prune"] = _zero_record(model, cfg.prune)
    if any(type(layer).__name__ == "BatchNormalization" for layer in model.layers):
        raise ModelError("a batch norm survived compression (a bug: it must be folded before saving)")
    after = evaluate(model, data)
    seconds = round(time.perf_counter() - started, 2)
    metrics = after | {
        "model": run_cfg.get("model"), "task": run_cfg.get("task"), "bits": run_cfg.get("bits"),
        "train_seconds": seconds, "epochs_run": {p: len(h.get("loss", [])) for p, h in phases},
        "compression": record,
        "before": {k: before[k] for k in COST_KEYS if k in before},
        "after": {k: after[k] for k in COST_KEYS if k in after},
    }
    if replace:
        shutil.rmtree(out)
    _write(out, source, cfg, model, metrics, data, phases, seed)
    return out


def _fresh_student(run_cfg: dict, data, cfg: CompressConfig, distill_cfg, teacher_t):
    """The run's architecture from a data-scaled start, trained in float under distillation; returns its
    QAT twin holding the float weights (the fine-tuning phase then trains it, as `hwgen train
    --qat-from-float` does)."""
    from hwgen import models
    from hwgen.train import INIT_BATCH

    if "compress" in run_cfg:
        raise HwgenError("--reinit rebuilds the run's zoo architecture, but this run was itself compressed (its "
                         "layers differ from the zoo's): distil into the uncompressed student run instead")
    if run_cfg.get("shift_training", "q") != "q" or run_cfg.get("bits") is None:
        raise HwgenError("--reinit rebuilds QAT models trained in Q mode (hwgen train's default); this run used "
                         f"shift_training={run_cfg.get('shift_training')!r}, bits={run_cfg.get('bits')!r}")
    name, shape, n = run_cfg["model"], tuple(data.x.shape[1:]), len(data.classes)
    model_cfg = dict(run_cfg.get("model_cfg") or {})
    float_model = models.build(name, shape, n, bits=None, **model_cfg)
    models.scale_to_data(float_model, data.train[0][:INIT_BATCH])
    float_model, history = _train(float_model, data, cfg, run_cfg, epochs=cfg.float_epochs,
                                  label=f"{name} float under distillation", distill_cfg=distill_cfg,
                                  teacher_t=teacher_t, lr=float(run_cfg.get("learning_rate", 2e-3)))
    model = models.build(name, shape, n, bits=run_cfg["bits"], **model_cfg)
    model.set_weights(float_model.get_weights())
    return model, history


def _slim(model, data, cfg: CompressConfig, run_cfg, distill_cfg, teacher_t):
    """Network slimming: sparsity training with batch norms, channel selection, folding."""
    slim = pruning.insert_batch_norm(model, data.train[0][:256], cfg.slim_l1)
    _, history = _train(slim.model, data, cfg, run_cfg, epochs=cfg.slim_epochs,
                        label=f"slimming: L1 {cfg.slim_l1:g} on batch-norm scales", distill_cfg=distill_cfg,
                        teacher_t=teacher_t, early_stop=False)
    importance = pruning.channel_importance(slim)
    keep, threshold = pruning.select_channels(importance, cfg.prune_channels, cfg.slim_min_keep)
    slimmed = pruning.fold_and_remove(slim, keep)
    layers = {n: {"before": int(len(importance[n])), "after": int(len(keep[n])),
                  "importance": [round(float(v), 4) for v in importance[n]]} for n in slim.layers}
    before = sum(v["before"] for v in layers.values())
    after = sum(v["after"] for v in layers.values())
    record = {"fraction": cfg.prune_channels, "threshold": round(threshold, 6), "channels_before": before,
              "channels_after": after, "layers": layers, "l1": cfg.slim_l1, "epochs": cfg.slim_epochs,
              "min_keep": cfg.slim_min_keep}
    return slimmed, record, history


def _write(out: Path, source, cfg: CompressConfig, model, metrics: dict, data, phases, seed: int) -> None:
    from hwgen.run import MODEL_FILE, Run
    from hwgen.train import plot_confusion, plot_history

    run = Run.create(out)
    model.save(out / MODEL_FILE, include_optimizer=False)
    run.write_json("metrics.json", metrics)
    run.write_json("preprocess.json", source.preprocess)
    history = list(source.config.get("compress_history", [])) + [asdict(cfg)]  # a chain of compressions
    run.write_json("config.json", source.config | {"seed": seed, "compress": asdict(cfg), "compress_history": history})
    run.write_json("split.json", source.split, indent=None)
    for name in ("test.npz", "calib.npz"):
        if (source.path / name).is_file():
            shutil.copyfile(source.path / name, out / name)
    if not (out / "calib.npz").is_file():
        run.write_calibration(data.train[0])
    title = (f"{metrics['model']} {' + '.join(cfg.techniques())}, {metrics['task']}: accuracy "
             f"{metrics['accuracy']:.3f}")
    plot_confusion(metrics["confusion"], data.classes, out / "confusion.png", title)
    plot_history(phases, out / "history.png")


def print_comparison(metrics: dict, console=None) -> None:
    """Before/after table of a compressed run's metrics.json."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    before, after = metrics["before"], metrics["after"]
    record = metrics["compression"]
    table = Table(title=f"{metrics['model']} on {metrics['task']}: {' + '.join(record['techniques'])}")
    for col in ("", "before", "after", "ratio"):
        table.add_column(col, justify="left" if not col else "right")
    for key in COST_KEYS:
        if key not in before or key not in after:
            continue
        b, a = before[key], after[key]
        fmt = (lambda v: f"{v:.3f}") if isinstance(b, float) else (lambda v: f"{v:,}")
        ratio = f"{a / b:.2f}" if isinstance(b, int) and b else ""
        table.add_row(key.replace("_", " "), fmt(b), fmt(a), ratio)
    console.print(table)
    if "teacher" in record:
        t = record["teacher"]
        console.print(f"teacher {t['model']} ({t['run']}): accuracy {t['accuracy']:.3f}, params {t['params']:,}")
    if "prune" in record:
        p = record["prune"]
        console.print(f"unstructured sparsity: target {p['target']:g}, exported graph holds {p['achieved']:.1%} zeros "
                      "in the pruned layers")
    if "slim" in record:
        s = record["slim"]
        console.print(f"channels: {s['channels_before']} -> {s['channels_after']} ("
                      + ", ".join(f"{n} {v['before']}->{v['after']}" for n, v in s["layers"].items()) + ")")
    if "low_rank" in record:
        console.print("low-rank: " + ", ".join(
            f"{n} rank {r['rank']}/{r['max_rank']}" + (" kept" if "kept" in r else "")
            for n, r in record["low_rank"].items()))
