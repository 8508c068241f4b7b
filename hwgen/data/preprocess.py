"""Preprocessing user or synthetic M-modes to a model's input: log compression, depth resize, CLAHE, scaling.

Slow time is never cropped or stretched here: recordings of another length or line rate are cut into the
model's windows first by `hwgen.data.recording.windows`.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import zoom

from hwgen.errors import DataError

NORMALISATIONS = ("minmax", "percentile", "none")


def preprocess(x, *, time: int, depth: int, clahe: bool = False, normalise: str = "minmax",
               log_db: float | None = None) -> np.ndarray:
    """Bring M-modes (N, time, depth) or one (time, depth) to (N, time, depth) float32 in [0, 1].

    - log_db: treat x as a linear envelope and log-compress it to this dynamic range first.
    - time: the model's window length; x must have exactly this many lines (see hwgen.data.recording).
    - depth: resampled (linear) to `depth` bins.
    - clahe: contrast-limited adaptive histogram equalisation (scikit-image) per example.
    - normalise: "minmax" per example, "percentile" (1st..99th percentile -> 0..1), "none" (clip).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise DataError(f"preprocess: x has shape {x.shape}, expected (N, time, depth) or (time, depth)")
    if not np.all(np.isfinite(x)):
        raise DataError("preprocess: x contains NaN or infinite values")
    if normalise not in NORMALISATIONS:
        raise DataError(f"preprocess: unknown normalise={normalise!r}; use one of {', '.join(NORMALISATIONS)}")
    if log_db is not None:
        ref = np.maximum(x.max(axis=(1, 2), keepdims=True), 1e-12)
        db = 20 * np.log10(np.maximum(x, 1e-12) / ref)
        x = ((np.clip(db, -log_db, 0) + log_db) / log_db).astype(np.float32)
    if x.shape[1] != time:
        raise DataError(f"preprocess: x has {x.shape[1]} lines per example, the model takes {time}; cut the "
                        "recording into the model's windows first (hwgen.data.recording.windows), which "
                        "resamples by line rate instead of cropping or stretching")
    if x.shape[2] != depth:
        x = zoom(x, (1, 1, depth / x.shape[2]), order=1, grid_mode=True, mode="nearest").astype(np.float32)
    x = rescale(x, normalise)
    if clahe:
        from skimage.exposure import equalize_adapthist

        x = np.stack([equalize_adapthist(img, clip_limit=0.01) for img in x]).astype(np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def apply_settings(x, settings: dict) -> np.ndarray:
    """`preprocess` with a run's preprocess.json (its other keys, such as line_rate_hz, are not for it)."""
    keys = ("time", "depth", "clahe", "normalise", "log_db")
    return preprocess(x, **{k: settings[k] for k in keys if k in settings})


def rescale(x: np.ndarray, how: str) -> np.ndarray:
    """Per-example intensity normalisation of (N, time, depth): "minmax", "percentile" or "none"."""
    if how == "none":
        return x
    if how == "minmax":
        lo, hi = x.min(axis=(1, 2), keepdims=True), x.max(axis=(1, 2), keepdims=True)
    else:
        lo = np.percentile(x, 1, axis=(1, 2), keepdims=True)
        hi = np.percentile(x, 99, axis=(1, 2), keepdims=True)
    return (x - lo) / np.maximum(hi - lo, 1e-6)
