"""Clinical evidence for a classifier's test figures: bootstrap confidence intervals and calibration.

A test split of ~45 windows moves a sensitivity by several points per window, so every figure hwgen
reports comes with a 95 % interval. Windows of one simulated (or real) patient are correlated, so
the bootstrap resamples patients, not windows, whenever patient ids are known (a cluster bootstrap;
with one window per patient it is the ordinary bootstrap). Intervals are percentile intervals over
2000 resamples with a fixed seed: the same predictions give the same interval.

Calibration: does a reported 90 % mean right 9 times in 10? The expected calibration error (ECE) is
the mean gap between confidence (the top class probability) and accuracy over equal-width
confidence bins, weighted by the windows in each bin; `plot_reliability` draws the reliability diagram.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_BOOT = 2000
LEVEL = 0.95
CALIBRATION_BINS = 10


def bootstrap_intervals(y_true, y_pred, classes, *, groups=None, n_boot: int = N_BOOT, level: float = LEVEL,
                        seed: int = 0) -> dict:
    """Percentile bootstrap intervals of accuracy and of each class's sensitivity and specificity.

    Returns {"method", "n_boot", "level", "units", "accuracy": [lo, hi],
    "per_class": {class: {"sensitivity": [lo, hi], "specificity": [lo, hi]}}}; an interval is None
    when the figure is undefined in most resamples (no positives or no negatives of that class).
    """
    k = len(classes)
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    units = np.arange(len(y_true)) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    n_units = int(units.max()) + 1 if len(units) else 0
    # One confusion matrix per unit (patient); a resample is a weighted sum of them.
    per_unit = np.zeros((n_units, k * k))
    np.add.at(per_unit, (units, y_true * k + y_pred), 1)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot) if n_units else np.zeros((0, 0))
    conf = (weights @ per_unit).reshape(n_boot, k, k)
    tp = np.diagonal(conf, axis1=1, axis2=2)
    total = conf.sum(axis=(1, 2))
    rows, cols = conf.sum(2), conf.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = tp.sum(1) / total
        sensitivity = tp / rows
        specificity = (total[:, None] - rows - cols + tp) / (total[:, None] - rows)
    alpha = (1 - level) / 2

    def interval(values: np.ndarray):
        ok = values[np.isfinite(values)]
        if len(ok) < n_boot / 2:
            return None
        lo, hi = np.quantile(ok, [alpha, 1 - alpha])
        return [round(float(lo), 4), round(float(hi), 4)]

    return {
        "method": "percentile bootstrap" + (" over patients (cluster)" if groups is not None else " over windows"),
        "n_boot": n_boot, "level": level, "units": n_units, "accuracy": interval(accuracy),
        "per_class": {c: {"sensitivity": interval(sensitivity[:, i]), "specificity": interval(specificity[:, i])}
                      for i, c in enumerate(classes)},
    }


def calibration(probs, y_true, bins: int = CALIBRATION_BINS) -> dict:
    """Expected and maximum calibration error of the top-class confidence, and the per-bin table."""
    probs = np.asarray(probs, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.int64)
    confidence = probs.max(1)
    correct = (probs.argmax(1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    table, ece, mce = [], 0.0, 0.0
    for b in range(bins):
        sel = which == b
        count = int(sel.sum())
        row = {"lo": float(edges[b]), "hi": float(edges[b + 1]), "count": count, "confidence": None, "accuracy": None}
        if count:
            conf, acc = float(confidence[sel].mean()), float(correct[sel].mean())
            row.update(confidence=round(conf, 4), accuracy=round(acc, 4))
            ece += count / len(y_true) * abs(conf - acc)
            mce = max(mce, abs(conf - acc))
        table.append(row)
    return {"ece": round(float(ece), 4), "mce": round(float(mce), 4), "bins": table,
            "mean_confidence": round(float(confidence.mean()), 4) if len(confidence) else None,
            "accuracy": round(float(correct.mean()), 4) if len(correct) else None}


def plot_reliability(cal: dict, path, title: str) -> Path:
    """Reliability diagram: accuracy against confidence per bin (bars), with the window count per bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(4.6, 5.2), height_ratios=(3, 1), sharex=True)
    width = cal["bins"][0]["hi"] - cal["bins"][0]["lo"]
    for b in cal["bins"]:
        if b["count"]:
            ax.bar(b["lo"], b["accuracy"], width=width, align="edge", color="#4a7ab5", edgecolor="white")
            ax.bar(b["lo"], b["confidence"] - b["accuracy"], bottom=b["accuracy"], width=width, align="edge",
                   color="#e07b5a", alpha=0.5, edgecolor="none")
        hist.bar(b["lo"], b["count"], width=width, align="edge", color="grey", edgecolor="white")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect calibration")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(f"{title}\nECE {cal['ece']:.3f} (gap in orange)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    hist.set_xlabel("confidence (top-class probability)")
    hist.set_ylabel("windows")
    hist.set_xlim(0, 1)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def format_interval(value: float, ci) -> str:
    """'0.933 [0.867, 0.978]' (or just the value when there is no interval)."""
    if ci is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]"
