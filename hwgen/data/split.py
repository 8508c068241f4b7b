"""Patient-grouped splits and class weights."""

from __future__ import annotations

import numpy as np

from hwgen.errors import DataError


def grouped_split(group, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train/validation/test index arrays; every patient (group id) lands in exactly one part.

    Patients are shuffled with `seed` and dealt out until each part holds about its fraction of the
    examples. Each part gets at least one patient when there are enough patients.
    """
    group = np.asarray(group)
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.shape != (3,) or np.any(fractions < 0) or fractions.sum() <= 0:
        raise DataError(f"grouped_split: fractions must be three non-negative numbers, got {tuple(fractions)}")
    fractions = fractions / fractions.sum()
    patients, counts = np.unique(group, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(patients))
    patients, counts = patients[order], counts[order]
    # Cut the shuffled patient list where the cumulative example count crosses each fraction.
    cum = np.cumsum(counts) / counts.sum()
    cuts = np.searchsorted(cum, np.cumsum(fractions)[:2] - 1e-9, side="left") + 1
    cuts = np.minimum(cuts, len(patients))
    if len(patients) >= 3:   # keep every non-empty fraction non-empty
        cuts[0] = np.clip(cuts[0], 1 if fractions[0] > 0 else 0, len(patients) - 2)
        cuts[1] = np.clip(cuts[1], cuts[0] + (1 if fractions[1] > 0 else 0), len(patients) - (1 if fractions[2] > 0 else 0))
    parts = np.split(patients, cuts)
    return tuple(np.flatnonzero(np.isin(group, p)) for p in parts)  # type: ignore[return-value]


def class_weights(y, n_classes: int) -> dict[int, float]:
    """Balanced class weights n / (n_classes * count_c) for Keras `class_weight` (0 for absent classes)."""
    y = np.asarray(y, dtype=np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise DataError(f"class_weights: labels must be in [0, {n_classes}), got range [{y.min()}, {y.max()}]")
    counts = np.bincount(y, minlength=n_classes)
    return {c: (float(len(y) / (n_classes * counts[c])) if counts[c] else 0.0) for c in range(n_classes)}
