"""Benchmark the model zoo: cost and accuracy of every model on the lung and cardiac tasks.

For each task one synthetic data set is made and split by patient; each model is trained in float
(from a data-scaled start), then fine-tuned quantization-aware at 8 bits and at 4 bits from the float
weights (shiftcnn: power-of-two weights of --po2-bits in both). Prints a table and writes
bench/results/zoo.json. The goal checked at the end: dscnn and shiftcnn within 1 point of cnn's 8-bit
accuracy on lung with at least 5x fewer MACs. A test split of ~90 examples moves 1.1 points per
example, so `--seeds 0,1,2` repeats everything (data set, split, initial weights) per seed and the
table and goal use the mean over seeds (with the spread shown).

    .venv/bin/python bench/zoo.py --quick        # ~300 examples per task, short training
    .venv/bin/python bench/zoo.py                # 600 examples per task
    .venv/bin/python bench/zoo.py --tasks lung --models cnn,dscnn,shiftcnn --seeds 0,1,2
    .venv/bin/python bench/zoo.py --quick --dims 2 --kernel 9x3 --tasks lung --models cnn,dscnn
                                                 # the 2-D (time x depth image) forms -> zoo_2d.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = Path(__file__).resolve().parent / "results" / "zoo.json"
RESULTS_2D = RESULTS.with_name("zoo_2d.json")
MODELS = ("cnn", "dscnn", "shiftcnn", "mobilenet", "ghostnet")


def bench_model(name, data, cfg, args):
    """Float, 8-bit QAT and 4-bit QAT accuracies and the costs of one model."""
    import tensorflow as tf

    from hwgen import models
    from hwgen.train import evaluate, fit

    shape, n_classes = data.x.shape[1:], len(data.classes)
    started = time.perf_counter()
    tf.keras.utils.set_random_seed(cfg.seed)
    shape_cfg = {"po2_bits": args.po2_bits, "dims": args.dims, "kernel": args.kernel}
    float_model = models.build(name, shape, n_classes, bits=None, **shape_cfg)
    fit(float_model, data, cfg, epochs=args.epochs, lr=cfg.learning_rate, label=f"{name} float", init=True)
    row = {"model": name, "float_acc": evaluate(float_model, data)["accuracy"]}
    for bits in (8, 4):
        tf.keras.utils.set_random_seed(cfg.seed)
        model = models.build(name, shape, n_classes, bits=bits, **shape_cfg)
        model.set_weights(float_model.get_weights())
        fit(model, data, cfg, epochs=args.qat_epochs, lr=cfg.learning_rate / 3, label=f"{name} {bits}-bit", init=False)
        metrics = evaluate(model, data)
        row[f"q{bits}_acc"] = metrics["accuracy"]
        row[f"q{bits}_macro_f1"] = metrics["macro_f1"]
        row[f"weight_bits_{bits}"] = metrics["weight_bits"]
        if bits == 8:
            row.update(params=metrics["params"], macs=metrics["macs"], shift_macs=metrics["shift_macs"])
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


ACCURACIES = ("float_acc", "q8_acc", "q4_acc")


def aggregate(rows):
    """One row per (task, model): mean accuracies over seeds, their spread (max - min), the costs."""
    import numpy as np

    out = {}
    for r in rows:
        out.setdefault((r["task"], r["model"]), []).append(r)
    merged = []
    for runs in out.values():
        row = dict(runs[0])
        row.pop("seed", None)
        row["seeds"] = [r["seed"] for r in runs]
        for key in ACCURACIES:
            values = np.array([r[key] for r in runs])
            row[key] = float(values.mean())
            row[f"{key}_spread"] = float(values.max() - values.min())
        row["seconds"] = round(sum(r["seconds"] for r in runs), 1)
        merged.append(row)
    return merged


def goal(rows, merged):
    """The lung goal on the seed means: dscnn/shiftcnn within 1 point of cnn (8-bit), >= 5x fewer MACs."""
    lung = {r["model"]: r for r in merged if r["task"] == "lung"}
    if "cnn" not in lung:
        return {}
    per_seed = {(r["model"], r["seed"]): r["q8_acc"] for r in rows if r["task"] == "lung"}
    out = {}
    for name in ("dscnn", "shiftcnn"):
        if name in lung:
            gap = 100 * (lung["cnn"]["q8_acc"] - lung[name]["q8_acc"])
            ratio = lung["cnn"]["macs"] / lung[name]["macs"]
            seed_gaps = [round(100 * (per_seed[("cnn", s)] - per_seed[(name, s)]), 1) for s in lung[name]["seeds"]]
            out[name] = {"points_below_cnn": round(gap, 1), "points_below_cnn_per_seed": seed_gaps,
                         "mac_reduction": round(ratio, 2), "met": bool(gap <= 1.0 and ratio >= 5.0)}
    return out


def print_table(rows, goals, n_test):
    from rich.console import Console
    from rich.table import Table

    dims = rows[0].get("dims", 1) if rows else 1
    table = Table(title=f"hwgen zoo ({dims}-D): test accuracy (patient-grouped split) and cost")
    for col in ("task", "model", "params", "MACs", "weight bits 8b", "weight bits 4b", "float", "8-bit QAT",
                "4-bit/po2 QAT", "s"):
        table.add_column(col, justify="left" if col in ("task", "model") else "right")
    def acc(r, key):
        return f"{r[key]:.3f}" + (f" ±{r[key + '_spread'] / 2:.3f}" if len(r["seeds"]) > 1 else "")

    for r in rows:
        table.add_row(r["task"], r["model"], str(r["params"]), f"{r['macs']:,}", f"{r['weight_bits_8']:,}",
                      f"{r['weight_bits_4']:,}", *(acc(r, k) for k in ACCURACIES), str(r["seconds"]))
    console = Console(width=150)
    console.print(table)
    seeds = rows[0]["seeds"] if rows else []
    console.print(f"test examples per task and seed: {n_test}; seeds {seeds} (accuracy: mean ±half the spread)")
    for name, g in goals.items():
        console.print(f"lung goal {name}: {g['points_below_cnn']} points below cnn (per seed "
                      f"{g['points_below_cnn_per_seed']}), {g['mac_reduction']}x fewer MACs "
                      f"-> {'met' if g['met'] else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data sets and short training")
    parser.add_argument("--tasks", default="lung,cardiac")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--n", type=int, default=None, help="examples per task (default 600, --quick 300)")
    parser.add_argument("--epochs", type=int, default=None, help="float epochs (default 30, --quick 15)")
    parser.add_argument("--qat-epochs", type=int, default=None, help="QAT fine-tune epochs (default 15, --quick 8)")
    parser.add_argument("--po2-bits", type=int, default=4)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds; results are averaged over them")
    parser.add_argument("--dims", type=int, default=1, choices=(1, 2), help="2: the time x depth image models")
    parser.add_argument("--kernel", default="9", help="taps along time, or TxD for a 2-D kernel (e.g. 9x3)")
    parser.add_argument("--out", type=Path, default=None, help="default results/zoo.json (zoo_2d.json for --dims 2)")
    args = parser.parse_args()
    taps = tuple(int(k) for k in args.kernel.lower().split("x"))
    args.kernel = taps[0] if len(taps) == 1 else taps
    args.out = args.out or (RESULTS_2D if args.dims == 2 else RESULTS)
    args.n = args.n or (300 if args.quick else 600)
    args.epochs = args.epochs or (15 if args.quick else 30)
    args.qat_epochs = args.qat_epochs or (8 if args.quick else 15)

    from hwgen.data import synthesize
    from hwgen.train import TrainConfig, prepare, set_determinism

    rows, n_test = [], {}
    for seed in (int(v) for v in args.seeds.split(",")):
        set_determinism(seed)
        for task in args.tasks.split(","):
            cfg = TrainConfig(task=task, n=args.n, seed=seed, progress=True)
            data = prepare(cfg, synthesize(task, args.n, seed=seed, progress=True))
            n_test.setdefault(task, []).append(int(len(data.split[2])))
            for name in args.models.split(","):
                rows.append({"task": task, "dims": args.dims, "seed": seed, **bench_model(name, data, cfg, args)})
    merged = aggregate(rows)
    goals = goal(rows, merged)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    args.out.write_text(json.dumps({"settings": settings, "n_test": n_test, "results": merged, "runs": rows,
                                    "lung_goal": goals}, indent=2))
    print_table(merged, goals, n_test)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
