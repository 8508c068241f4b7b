"""Preprocessing user or synthetic M-modes to a model's input: log compression, resize, CLAHE, scaling."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import zoom

from hwgen.errors import DataError

NORMALISATIONS = ("minmax", "percentile", "none")


def preprocess(x, *, time: int, depth: int, clahe: bool = False, normalise: str = "minmax",
               log_db: float | None = None) -> np.ndarray:
    """Bring M-modes (N, time, depth) or one (time, depth) to (N, time, depth) float32 in [0, 1].

    - log_db: treat x as a linear envelope and log-compress it to this dynamic range first.
    - time: longer inputs are centre-cropped (keeping the line rate); shorter ones are resampled.
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
    x = _fit_time(x, time)
    if x.shape[2] != depth:
        x = zoom(x, (1, 1, depth / x.shape[2]), order=1, grid_mode=True, mode="nearest").astype(np.float32)
    x = rescale(x, normalise)
    if clahe:
        from skimage.exposure import equalize_adapthist

        x = np.stack([equalize_adapthist(img, clip_limit=0.01) for img in x]).astype(np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def _fit_time(x: np.ndarray, time: int) -> np.ndarray:
    t = x.shape[1]
    if t > time:
        start = (t - time) // 2
        return x[:, start:start + time]
    if t < time:
        return zoom(x, (1, time / t, 1), order=1, grid_mode=True, mode="nearest").astype(np.float32)
    return x


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
