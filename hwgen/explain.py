"""Where does the model look? Occlusion saliency of M-mode windows, drawn in the clinical orientation.

For each window the model's probability of its predicted class is measured again with one patch
(`patch` lines x depth bins) replaced by the window's mean grey; the drop in probability is the
evidence that patch carried. Patches overlap (stride half a patch) and each pixel gets the mean drop
of the patches covering it, so the map has the window's shape. It works for any model (no gradients
through quantizers) and asks the question a clinician asks: does a `sliding` call rest on the sand
below the pleural line, or on something above it?

`explain_file(run, data, out)` writes, for up to `max_windows` windows of a data file:

    saliency.npz     maps (N, time, depth), the preprocessed windows, predictions, probabilities,
                     pleural-line rows (-1 when unknown) and the windows' indices in the file
    explain.json     per window: true and predicted class, probability, and (when the file's params
                     give the pleural depth) the share of saliency at or below the pleural line
    window_<i>.png   the window with its saliency over it: depth down, time across, pleural line dashed
    saliency.png     a grid of them
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hwgen.errors import DataError

DEFAULT_PATCH = (32, 8)


def occlusion_saliency(model, x: np.ndarray, *, patch=DEFAULT_PATCH, stride=None,
                       batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Saliency maps (N, time, depth) >= 0 and class probabilities (N, classes) for windows x (N, time, depth)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise DataError(f"explain: windows have shape {x.shape}, expected (N, time, depth)")
    n, t, d = x.shape
    pt, pd = min(int(patch[0]), t), min(int(patch[1]), d)
    if pt < 1 or pd < 1:
        raise DataError(f"explain: patch {tuple(patch)} must be at least 1 x 1")
    st, sd = (max(1, pt // 2), max(1, pd // 2)) if stride is None else (int(stride[0]), int(stride[1]))
    starts_t = _starts(t, pt, st)
    starts_d = _starts(d, pd, sd)
    probs = model.predict(x, verbose=0, batch_size=batch_size)
    cls = probs.argmax(1)
    positions = [(a, b) for a in starts_t for b in starts_d]
    per_call = max(1, int(64e6 // (len(positions) * t * d * 4)))      # ~64 MB of occluded copies per call
    drops = np.empty((n, len(positions)), dtype=np.float32)
    for first in range(0, n, per_call):
        chunk = x[first:first + per_call]
        batch = np.repeat(chunk, len(positions), axis=0).reshape(len(chunk), len(positions), t, d)
        for k, (a, b) in enumerate(positions):
            batch[:, k, a:a + pt, b:b + pd] = chunk.mean(axis=(1, 2))[:, None, None]
        occluded = model.predict(batch.reshape(-1, t, d), verbose=0, batch_size=batch_size)
        occluded = occluded.reshape(len(chunk), len(positions), -1)
        rows = np.arange(first, first + len(chunk))
        drops[rows] = np.maximum(probs[rows, cls[rows]][:, None] - occluded[np.arange(len(chunk)), :, cls[rows]], 0.0)
    maps = np.zeros((n, t, d), dtype=np.float32)
    cover = np.zeros((t, d), dtype=np.float32)
    for k, (a, b) in enumerate(positions):
        maps[:, a:a + pt, b:b + pd] += drops[:, k][:, None, None]
        cover[a:a + pt, b:b + pd] += 1
    return maps / np.maximum(cover, 1), probs


def _starts(length: int, size: int, stride: int) -> list[int]:
    starts = list(range(0, max(length - size, 0) + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)     # the last patch ends at the edge: every pixel is covered
    return starts


def share_below(saliency: np.ndarray, pleura_row: float) -> dict:
    """Share of a map's saliency at or below a depth row, and the density ratio (per row) below vs above."""
    rows = saliency.sum(0)
    cut = int(np.floor(pleura_row))
    total = float(rows.sum())
    below, above = float(rows[cut:].sum()), float(rows[:cut].sum())
    dens_below = below / max(len(rows) - cut, 1)
    dens_above = above / max(cut, 1)
    return {"share_below": below / total if total > 0 else None,
            "density_ratio": dens_below / dens_above if dens_above > 0 else None}


def pleura_rows(params: list[dict], n: int, depth_bins: int) -> np.ndarray:
    """Row of the pleural line per window from the data's params (pleura_depth_cm / depth_cm), -1 if unknown."""
    rows = np.full(n, -1.0)
    for i, p in enumerate(params[:n]):
        if "pleura_depth_cm" in p and p.get("depth_cm"):
            rows[i] = p["pleura_depth_cm"] / p["depth_cm"] * depth_bins
    return rows


def explain_file(run_dir, data_path, out_dir, *, max_windows: int = 16, patch=DEFAULT_PATCH, seed: int = 0) -> dict:
    """Saliency maps of up to max_windows windows of a data file (a class-balanced pick when labelled)."""
    from hwgen import models
    from hwgen.data import load
    from hwgen.data.dataset import example_setting
    from hwgen.run import Run
    from hwgen.train import apply_preprocess

    run_folder = Run(run_dir)
    run, config, settings = run_folder.path, run_folder.config, run_folder.preprocess
    classes = config["classes"]
    ds = load(data_path, task=config["task"])
    if max_windows < 1:
        raise DataError(f"explain: --max must be >= 1, got {max_windows}")
    pick = _pick(ds.y, len(ds.x), max_windows, seed)
    x = apply_preprocess(ds.x[pick], settings)
    model = models.load(run / "model.h5")
    maps, probs = occlusion_saliency(model, x, patch=patch)
    params = [dict(ds.params[i]) if i < len(ds.params) else {} for i in pick]
    for p, i in zip(params, pick, strict=True):        # depth and pleura from the window's own settings
        if "pleura_depth_cm" in p and "depth_cm" not in p and example_setting(ds, int(i), "depth_cm"):
            p["depth_cm"] = example_setting(ds, int(i), "depth_cm")
    rows = pleura_rows(params, len(pick), x.shape[2])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("window_*.png"):        # a folder never mixes two explanations
        old.unlink()
    pred = probs.argmax(1)
    windows = []
    for k, i in enumerate(pick):
        entry = {"index": int(i), "predicted": classes[int(pred[k])], "probability": round(float(probs[k].max()), 4),
                 "true": classes[int(ds.y[i])] if ds.y is not None else None}
        if rows[k] >= 0:
            entry["pleura_row"] = round(float(rows[k]), 2)
            entry.update({key: (round(v, 4) if v is not None else None)
                          for key, v in share_below(maps[k], rows[k]).items()})
        windows.append(entry)
        _draw(maps[k], x[k], rows[k], entry, out / f"window_{k:03d}.png", params[k])
    np.savez_compressed(out / "saliency.npz", maps=maps, x=x, predicted=pred, probabilities=probs,
                        pleura_row=rows, index=np.asarray(pick), classes=np.array(classes))
    known = [w["share_below"] for w in windows if w.get("share_below") is not None]
    summary = {"run": str(run), "data": str(data_path), "method": "occlusion", "patch": list(patch),
               "windows": windows,
               "mean_share_below_pleura": round(float(np.mean(known)), 4) if known else None}
    (out / "explain.json").write_text(json.dumps(summary, indent=1))
    _grid(maps, x, rows, windows, out / "saliency.png", params)
    return summary


def _pick(y, n: int, k: int, seed: int) -> np.ndarray:
    """k window indices: all if n <= k, else a seeded pick taking the classes in turn."""
    if n <= k:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    if y is None:
        return np.sort(rng.choice(n, k, replace=False))
    queues = [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
    chosen: list[int] = []
    for j in range(max(len(q) for q in queues)):
        chosen += [int(q[j]) for q in queues if j < len(q)]
    return np.sort(np.array(chosen[:k]))


def _axes(fig_ax, mm, sal, row, entry, params):
    span = float(params.get("span_s") or 0) or None
    depth_cm = float(params.get("depth_cm") or 0) or None
    t, d = mm.shape
    extent = (0, span or t, depth_cm or d, 0)
    ax = fig_ax
    ax.imshow(mm.T, cmap="gray", vmin=0, vmax=1, aspect="auto", extent=extent, interpolation="bilinear")
    top = float(sal.max()) or 1.0
    ax.imshow(np.ma.masked_less(sal.T / top, 0.05), cmap="inferno", vmin=0, vmax=1, alpha=0.55, aspect="auto",
              extent=extent, interpolation="bilinear")
    if row >= 0:
        y = row / d * (depth_cm or d)
        ax.axhline(y, color="cyan", lw=0.8, ls="--")
    title = f"{entry['predicted']} {entry['probability']:.2f}"
    if entry.get("true"):
        title = f"true {entry['true']}, called {title}"
    if entry.get("share_below") is not None:
        title += f"\n{entry['share_below']:.0%} of saliency at/below pleura"
    ax.set_title(title, color="white", fontsize=7)
    ax.set_xlabel("time (s)" if span else "line", color="grey", fontsize=7)
    ax.set_ylabel("depth (cm)" if depth_cm else "bin", color="grey", fontsize=7)
    ax.tick_params(colors="grey", labelsize=6)


def _draw(sal, mm, row, entry, path: Path, params: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 3.2), facecolor="black")
    ax.set_facecolor("black")
    _axes(ax, mm, sal, row, entry, params)
    fig.tight_layout()
    fig.savefig(path, dpi=110, facecolor="black")
    plt.close(fig)


def _grid(maps, x, rows, windows, path: Path, params) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(maps)
    cols = min(4, n)
    nrows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(3.3 * cols, 2.6 * nrows + 0.6), squeeze=False, facecolor="black")
    for k in range(nrows * cols):
        ax = axes[k // cols, k % cols]
        ax.set_facecolor("black")
        if k >= n:
            ax.axis("off")
            continue
        _axes(ax, x[k], maps[k], rows[k], windows[k], params[k])
    fig.suptitle("occlusion saliency (bright = the call depends on it); dashed: pleural line", color="white",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(path, dpi=100, facecolor="black")
    plt.close(fig)
