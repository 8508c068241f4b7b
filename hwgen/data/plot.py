"""Gallery of examples in the clinical M-mode orientation: depth down, time across, grey scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hwgen.data.dataset import Dataset, example_setting


def gallery(ds: Dataset, out, *, per_class: int = 4, seed: int = 0) -> Path:
    """Write a PNG grid: one column per class, `per_class` examples each, labelled like a scanner screen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    classes = ds.classes or ["unlabelled"]
    labels = ds.y if ds.y is not None else np.zeros(len(ds), dtype=np.int64)
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(len(classes)):
        idx = np.flatnonzero(labels == c)
        picks.append(np.sort(rng.choice(idx, min(per_class, len(idx)), replace=False)) if len(idx) else idx)
    rows = max(1, max(len(p) for p in picks))
    single_line = ds.x.shape[1] == 1
    fig, axes = plt.subplots(rows, len(classes), figsize=(3.2 * len(classes), 2.4 * rows + 0.8),
                             squeeze=False, facecolor="black")
    file_span, file_depth = scales(ds)  # per-example settings win below
    for col, (name, idx) in enumerate(zip(classes, picks, strict=True)):
        for row in range(rows):
            ax = axes[row, col]
            ax.set_facecolor("black")
            if row >= len(idx):
                ax.axis("off")
                continue
            i = int(idx[row])
            span = float(example_setting(ds, i, "span_s") or 0) or file_span
            depth_cm = float(example_setting(ds, i, "depth_cm") or 0) or file_depth
            _draw(ax, ds.x[i], span, depth_cm, single_line)
            ax.set_title(_caption(ds, i, name), color="white", fontsize=8)
    fig.suptitle(_title(ds), color="white", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, facecolor="black")
    plt.close(fig)
    return out


def scales(ds: Dataset) -> tuple[float | None, float | None]:
    """(seconds across one example, cm down it) where the file says them, else None (axes in lines/bins).

    The time span comes from meta span_s, or from the line rate (a DICOM's frame time or M-mode region)."""
    span = float(ds.meta.get("span_s") or 0) or None
    rate = float(ds.meta.get("line_rate_hz") or 0)
    if span is None and rate > 0 and ds.x.shape[1] > 1:
        span = ds.x.shape[1] / rate
    return span, float(ds.meta.get("depth_cm") or 0) or None


def _draw(ax, img: np.ndarray, span, depth_cm, single_line: bool) -> None:
    if single_line:   # an A-line: amplitude against depth, depth down
        depth = np.linspace(0, depth_cm or img.shape[1], img.shape[1])
        ax.plot(img[0], depth, color="white", lw=0.8)
        ax.set_ylim(depth[-1], 0)
        ax.set_xlim(0, 1)
        ax.set_xlabel("display level", color="grey", fontsize=7)
    else:
        extent = (0, span or img.shape[0], depth_cm or img.shape[1], 0)
        ax.imshow(img.T, cmap="gray", vmin=0, vmax=1, aspect="auto", extent=extent, interpolation="bilinear")
        ax.set_xlabel("time (s)" if span else "line", color="grey", fontsize=7)
    ax.set_ylabel("depth (cm)" if depth_cm else "bin", color="grey", fontsize=7)
    ax.tick_params(colors="grey", labelsize=6)


def _caption(ds: Dataset, i: int, name: str) -> str:
    p = ds.params[i] if i < len(ds.params) else {}
    extra = ""
    if "heart_rate_bpm" in p and ds.meta.get("task") == "cardiac":
        extra = f" {p['heart_rate_bpm']:.0f} bpm"
    elif "pleura_depth_cm" in p:
        extra = f" pleura {p['pleura_depth_cm']:.1f} cm"
        if p.get("regime") == "anatomical":
            extra += f", B-mode {p['frame_rate_hz']:.0f} fps"
        elif "line_rate_hz" in p:
            extra += f", {p['line_rate_hz']:.0f} lines/s"
    return f"{name}{extra}"


def _title(ds: Dataset) -> str:
    m = ds.meta
    parts = [f"hwgen data: {m.get('task', 'user data')}", f"N={len(ds)}"]
    if m.get("fc_hz"):
        parts.append(f"fc {m['fc_hz'] / 1e6:.1f} MHz")
    if m.get("depth_cm"):
        parts.append(f"depth {m['depth_cm']:g} cm")
    if m.get("line_rate_hz"):
        parts.append(f"{m['line_rate_hz']:.0f} lines/s")
    if m.get("dynamic_range_db"):
        parts.append(f"DR {m['dynamic_range_db']:g} dB")
    if m.get("family"):
        parts.append(f"family {m['family']}")
    if "seed" in m:
        parts.append(f"seed {m['seed']}")
    return "   ".join(parts)
