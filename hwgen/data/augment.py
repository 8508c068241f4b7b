"""Training-time augmentation of preprocessed M-mode windows (N, time, depth) in [0, 1].

On by default in `hwgen train` (`--no-augment` turns it off). Every epoch sees a fresh draw, made
from (seed, phase, epoch) only, so a run is reproducible. Each transform keeps the label:

- intensity: a display offset (gain) and scale (dynamic range) with clipping, a gamma, additive
  noise; the run's normalisation is applied again afterwards, as at prediction time;
- depth rescaling: the window as a deeper or shallower depth setting would show it (structures move
  up or down and change size; new deep rows continue the deepest ones mirrored);
- time shift and crop (lung only: a rhythm's rate must not change): a sub-window resampled back to
  the window's lines. A lung point keeps >= `LUNG_POINT_MIN_FRACTION` of each pattern: its crop is
  limited to `lung_point_crop`;
- frame resampling (lung only): keep `frames` evenly spaced lines and interpolate back, as a window
  taken from a 10-30 frames/s B-mode clip looks (blocky, ramped slow time);
- splicing (lung only): a `sliding` and an `absent` window, aligned in depth and brightness, joined
  with one to three abrupt transitions in either order (drawn like the generator's `segments` lung
  point), sliding over `splice_share` of the window: a synthetic `lung_point`. A share `splice` of
  the lung-point windows of each epoch is replaced so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from hwgen.data.lung import LUNG_CLASSES, segment_contact


@dataclass(frozen=True)
class AugmentConfig:
    p: float = 0.8                         # chance that a window is transformed at all
    gain: float = 0.12                     # display offset, +- this share of the display range
    contrast: tuple = (0.75, 1.35)         # display scale about the mean (another dynamic range)
    gamma: tuple = (0.7, 1.45)
    noise: tuple = (0.0, 0.05)             # additive Gaussian noise std (display units)
    depth_scale: tuple = (0.75, 1.35)      # >1: a shallower depth setting (structures larger, deeper)
    time_crop: float = 0.3                 # up to this share of the lines cropped (then resampled back)
    frame_resample: float = 0.3            # chance of keeping only `frames` lines, interpolated back
    frames: tuple = (20, 160)
    lung_point_crop: float = 0.05          # keeps >= 20 % of each pattern of a 25/75 lung point
    splice: float = 0.6                    # share of lung-point windows replaced by splices per epoch
    splice_share: tuple = (0.3, 0.7)       # share of a splice that slides
    splice_candidates: int = 4             # absent windows tried per splice (best depth match wins)

    def to_dict(self) -> dict:
        return asdict(self)


def policy(classes) -> str:
    """'lung' (time crop and splicing allowed), 'rhythm' (no time change) or 'static' (single lines)."""
    classes = [str(c) for c in classes]
    if classes == LUNG_CLASSES:
        return "lung"
    if "brady" in classes or "tachy" in classes:
        return "rhythm"
    return "generic"


def augment_epoch(x: np.ndarray, y: np.ndarray, classes, rng: np.random.Generator,
                  cfg: AugmentConfig = AugmentConfig(), normalise: str = "minmax") -> tuple[np.ndarray, np.ndarray]:
    """One epoch's augmented copy of (x, y); labels only change where a window is replaced by a splice."""
    from hwgen.data.preprocess import rescale

    x = np.asarray(x, dtype=np.float32)
    out, labels = x.copy(), np.asarray(y, dtype=np.int64).copy()
    kind = policy(classes)
    time_ops = kind == "lung" and x.shape[1] > 8
    if kind == "lung":
        slide, still, point = (np.flatnonzero(labels == k) for k in range(3))
        if len(slide) and len(still):
            for i in point[rng.uniform(size=len(point)) < cfg.splice]:
                out[i] = splice(x[rng.choice(slide)], x[rng.choice(still, min(cfg.splice_candidates, len(still)),
                                                                    replace=False)], rng, cfg)[0]
    for i in np.flatnonzero(rng.uniform(size=len(x)) < cfg.p):
        img = out[i]
        if time_ops:
            limit = cfg.lung_point_crop if labels[i] == 2 else cfg.time_crop
            img = time_crop(img, rng, limit)
            if rng.uniform() < cfg.frame_resample:
                img = frame_resample(img, int(rng.integers(cfg.frames[0], cfg.frames[1] + 1)))
        if x.shape[2] > 4:
            img = depth_rescale(img, rng.uniform(*cfg.depth_scale))
        out[i] = intensity(img, rng, cfg)
    if normalise != "none":
        out = rescale(out, normalise)
    return np.clip(out, 0, 1).astype(np.float32), labels


def intensity(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """Gain (offset), dynamic range (scale about the mean) with clipping, gamma, additive noise."""
    m = float(img.mean())
    img = np.clip((img - m) * rng.uniform(*cfg.contrast) + m + rng.uniform(-cfg.gain, cfg.gain), 0, 1)
    img = img ** rng.uniform(*cfg.gamma)
    sigma = rng.uniform(*cfg.noise)
    if sigma > 0:
        img = img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(img, 0, 1).astype(np.float32)


def time_crop(img: np.ndarray, rng: np.random.Generator, limit: float) -> np.ndarray:
    """A sub-window of at least (1 - limit) of the lines at a random offset, resampled to the window."""
    t = img.shape[0]
    keep = int(round(t * (1 - rng.uniform(0, limit))))
    if keep >= t or keep < 2:
        return img
    start = int(rng.integers(0, t - keep + 1))
    return resample(img[start:start + keep], t, axis=0)


def frame_resample(img: np.ndarray, frames: int) -> np.ndarray:
    """Keep `frames` evenly spaced lines (as frames of a cine), then interpolate back to the window."""
    t = img.shape[0]
    if frames >= t or frames < 2:
        return img
    keep = np.rint(np.linspace(0, t - 1, frames)).astype(np.int64)
    pos = np.linspace(0, frames - 1, t)
    i0 = np.minimum(np.floor(pos).astype(np.int64), frames - 2)
    w = (pos - i0)[:, None].astype(np.float32)
    sub = img[keep]
    return (sub[i0] * (1 - w) + sub[i0 + 1] * w).astype(np.float32)


def depth_rescale(img: np.ndarray, scale: float) -> np.ndarray:
    """The window as a depth setting `1/scale` times the original would show it (same bins).

    scale > 1 (shallower setting): the top 1/scale of the depth, stretched. scale < 1 (deeper
    setting): the whole depth shrunk to the top `scale` of the bins; the rows below continue the
    deepest ones mirrored (their texture and motion, not a constant)."""
    d = img.shape[1]
    if abs(scale - 1) < 1e-3:
        return img
    if scale > 1:
        top = max(2, int(round(d / scale)))
        return resample(img[:, :top], d, axis=1)
    shrunk = resample(img, max(2, int(round(d * scale))), axis=1)
    missing = d - shrunk.shape[1]
    mirror = shrunk[:, ::-1]
    reps = int(np.ceil(missing / shrunk.shape[1])) + 1
    fill = np.concatenate([mirror, shrunk] * reps, axis=1)[:, :missing]
    return np.concatenate([shrunk, fill], axis=1)


def resample(a: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Linear resampling of one axis to n samples (pixel centres aligned, edges held)."""
    m = a.shape[axis]
    if m == n:
        return a
    pos = np.clip((np.arange(n) + 0.5) * m / n - 0.5, 0, m - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), max(m - 2, 0))
    w = (pos - i0).astype(np.float32)
    lo, hi = np.take(a, i0, axis=axis), np.take(a, np.minimum(i0 + 1, m - 1), axis=axis)
    shape = [1] * a.ndim
    shape[axis] = n
    w = w.reshape(shape)
    return (lo * (1 - w) + hi * w).astype(np.float32)


def splice(sliding: np.ndarray, absent: np.ndarray, rng: np.random.Generator,
           cfg: AugmentConfig = AugmentConfig()) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic lung point from a sliding window and one of the absent windows `absent` (k, t, d)
    or (t, d): the best depth match is aligned in depth and brightness; 1-3 transitions in either order.

    Returns (window, sliding_mask) where sliding_mask[t] is 1 for lines taken from the sliding window.
    """
    absent = absent[None] if absent.ndim == 2 else absent
    best = max((align(sliding, a) for a in absent), key=lambda r: r[1])[0]
    t = sliding.shape[0]
    # The transitions as the generator's `segments` lung point draws them: 1-3, in either order.
    mask = (segment_contact(rng, t, rng.uniform(*cfg.splice_share)) > 0.5).astype(np.float32)
    width = int(rng.integers(1, 6))          # crossfade lines at a transition
    padded = np.pad(mask, (width, width), mode="edge")
    soft = np.convolve(padded, np.ones(width) / width, mode="same")[width:width + t].astype(np.float32)[:, None]
    return (soft * sliding + (1 - soft) * best).astype(np.float32), mask


def align(reference: np.ndarray, other: np.ndarray, max_lag_share: float = 0.15) -> tuple[np.ndarray, float]:
    """`other` shifted in depth to match `reference`'s mean depth profile, brightness matched; and the match."""
    d = reference.shape[1]
    pr = _standard(reference.mean(0))
    po = _standard(other.mean(0))
    max_lag = max(1, int(max_lag_share * d))
    scores = [(float(np.dot(pr[max(0, k):d + min(0, k)], po[max(0, -k):d - max(0, k)])) / (d - abs(k)), k)
              for k in range(-max_lag, max_lag + 1)]
    score, lag = max(scores)
    shifted = np.roll(other, lag, axis=1)
    if lag > 0:
        shifted[:, :lag] = other[:, :1]
    elif lag < 0:
        shifted[:, lag:] = other[:, -1:]
    matched = (shifted - shifted.mean()) / (shifted.std() + 1e-6) * reference.std() + reference.mean()
    return np.clip(matched, 0, 1).astype(np.float32), score


def _standard(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() + 1e-9)


def epoch_dataset(x: np.ndarray, y: np.ndarray, classes, *, seed: int, phase: int, batch_size: int,
                  augment: AugmentConfig | None, resample_classes: bool, normalise: str):
    """A tf.data.Dataset that serves a fresh, seeded draw every time Keras starts an epoch.

    Epoch k (counted from 0 per dataset) is drawn from (seed, phase, k) only: the windows in a new
    order (or, with resample_classes, a class-balanced draw with replacement), then `augment_epoch`.
    A Python generator feeds tf.data (a keras.utils.Sequence costs ~3x the wall time through its
    enqueuer thread on these small models).
    """
    import tensorflow as tf

    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    epoch = [0]

    def draw():
        rng = np.random.default_rng([seed, phase, epoch[0]])
        epoch[0] += 1
        idx = rng.permutation(len(x))
        if resample_classes:
            counts = np.bincount(y, minlength=len(classes)).astype(float)
            p = 1.0 / np.maximum(counts[y], 1)
            idx = rng.choice(len(x), len(x), p=p / p.sum())
        xe, ye = x[idx], y[idx]
        if augment is not None:
            xe, ye = augment_epoch(xe, ye, classes, rng, augment, normalise)
        for start in range(0, len(xe), batch_size):
            yield xe[start:start + batch_size], ye[start:start + batch_size]

    spec = (tf.TensorSpec((None, *x.shape[1:]), tf.float32), tf.TensorSpec((None,), tf.int64))
    return tf.data.Dataset.from_generator(draw, output_signature=spec).prefetch(2)
