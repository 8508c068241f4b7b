"""Measurements on M-modes: speckle statistics, slow-time decorrelation, heart rate by autocorrelation.

Used by the tests and the benchmark to check the generator's physics, and useful on user data.
"""

from __future__ import annotations

import numpy as np

RAYLEIGH_MEAN_OVER_STD = float(np.sqrt(np.pi / 2) / np.sqrt(2 - np.pi / 2))   # 1.913


def speckle_ratio(envelope: np.ndarray) -> float:
    """Mean / standard deviation of an envelope (1.91 for fully developed speckle)."""
    envelope = np.asarray(envelope, dtype=np.float64)
    return float(envelope.mean() / envelope.std())


def temporal_correlation(mmode: np.ndarray, top_bin: int, bottom_bin: int, lag: int,
                         compensate_motion: bool = True) -> float:
    """Mean Pearson correlation between lines t and t + lag over depth bins [top_bin, bottom_bin).

    Near 1 for a frozen pattern (barcode), low for a pattern that changes over slow time (seashore).
    With compensate_motion the lines are first re-aligned in depth (`align_lines`): breathing and a
    hand-held probe move a frozen pattern up and down, which is still a barcode.
    """
    mmode = align_lines(mmode) if compensate_motion else mmode
    region = np.asarray(mmode, dtype=np.float64)[:, top_bin:bottom_bin]
    a, b = region[:-lag], region[lag:]
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(1) * (b * b).sum(1))
    ok = den > 1e-12
    return float(((a * b).sum(1)[ok] / den[ok]).mean()) if ok.any() else 1.0


def align_lines(mmode: np.ndarray, max_shift: int = 4) -> np.ndarray:
    """Undo rigid axial motion: shift every line (sub-bin, linear) onto the window's median line.

    Each line's offset is the peak of its cross-correlation with the median line over +-max_shift
    bins, refined by a parabola through the peak and its neighbours.
    """
    x = np.asarray(mmode, dtype=np.float64)
    n, d = x.shape
    if n < 2 or d < 2 * max_shift + 4:
        return x
    ref = np.median(x, axis=0)
    ref = ref - ref.mean()
    xc = x - x.mean(axis=1, keepdims=True)
    lags = np.arange(-max_shift, max_shift + 1)
    core = slice(max_shift, d - max_shift)
    score = np.stack([(xc[:, core] * np.roll(ref, k)[None, core]).sum(1) for k in lags], axis=1)
    best = np.clip(np.argmax(score, axis=1), 1, len(lags) - 2)
    y0, y1, y2 = (score[np.arange(n), best + j] for j in (-1, 0, 1))
    curv = y0 - 2 * y1 + y2
    frac = np.where(curv < 0, 0.5 * (y0 - y2) / np.where(curv < 0, curv, -1), 0.0)
    shift = lags[best] + np.clip(frac, -0.5, 0.5)      # the line is the median moved down by `shift`
    grid = np.arange(d, dtype=np.float64)
    return np.stack([np.interp(grid + s, grid, row) for s, row in zip(shift, x, strict=True)])


def heart_rate_bpm(mmode: np.ndarray, line_rate_hz: float, lo_bpm: float = 30.0, hi_bpm: float = 220.0) -> float:
    """Heart rate from the slow-time autocorrelation of an M-mode (time, depth).

    Each depth bin's time series is high-passed (below lo_bpm); their autocorrelations are summed. The period is the
    first autocorrelation peak (within lo..hi bpm) that reaches 70 % of the highest one, refined by a
    parabola through the peak and its neighbours.
    """
    from scipy.signal import butter, sosfiltfilt

    # High-pass below the slowest heart rate: breathing moves the heart too, and a slow drift adds a
    # decaying term to the autocorrelation that pulls its peak towards shorter lags.
    x = np.asarray(mmode, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    cutoff = 0.8 * lo_bpm / 60.0
    if line_rate_hz > 4 * cutoff and len(x) > 30:
        x = sosfiltfilt(butter(4, cutoff, "highpass", fs=line_rate_hz, output="sos"), x, axis=0)
    n = len(x)
    spec = np.fft.rfft(x, n=2 * n, axis=0)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=0)[:n].sum(axis=1)
    ac = ac / np.maximum(n - np.arange(n), 1)          # unbiased: long lags are not penalised
    ac /= ac[0] if ac[0] > 0 else 1.0
    lag_lo = max(1, int(np.floor(line_rate_hz * 60.0 / hi_bpm)))
    lag_hi = min(n - 2, int(np.ceil(line_rate_hz * 60.0 / lo_bpm)), int(n * 2 / 3))
    lags = np.arange(max(lag_lo, 1), lag_hi)
    peaks = lags[(ac[lags] > ac[lags - 1]) & (ac[lags] >= ac[lags + 1])]
    if len(peaks) == 0:
        return float("nan")
    best = ac[peaks].max()
    k = int(peaks[np.argmax(ac[peaks] >= 0.7 * best)])
    y0, y1, y2 = ac[k - 1], ac[k], ac[k + 1]
    curv = y0 - 2 * y1 + y2
    frac = 0.5 * (y0 - y2) / curv if curv < 0 else 0.0
    return float(60.0 * line_rate_hz / (k + frac))
