"""Anatomical M-mode: the window a user gets by taking a scan line through a B-mode cine.

Point-of-care scanners and public data sets often hold B-mode clips, not M-mode. Taking one scan line
through every frame (`hwgen data ... --line`, VanBerlo et al. 2022) gives an "anatomical" M-mode that
looks unlike a native one (hundreds of lines per second): few frames per second, so the sliding sand
is coarse and blocky in time; scan conversion, speckle reduction and video compression blur it and
lower its contrast; the scan line is rarely exactly along the beam; the pleural line may be dimmer
than the chest-wall fascia. hwgen renders such windows so that one model serves both kinds:

1. the scene along the scan line, one line per frame (`frame_rate_hz` over `clip_s`), at the B-mode's
   pixel density along the line (`px_per_cm`); a line tilted by `scan_angle_deg` stretches depths by
   1/cos and crosses the sliding pattern obliquely;
2. B-mode processing: blur along the line (`bmode_blur_px`), persistence (frame averaging), grey-map
   gamma, 8-bit grey levels;
3. video compression: 8-pixel DCT blocks quantised with `codec_step` (blocking, lost fine speckle);
   between I-frames (every `codec_gop` frames) blocks that changed by less than `codec_skip` grey
   levels are not updated (conditional replenishment: a low-contrast sand can freeze for a while);
4. resampled to the model's window: linear interpolation from frames to lines, area averaging in depth.

Every range is in `randomise.ANATOMICAL` (README "Domain randomisation").
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dct, idct
from scipy.ndimage import gaussian_filter1d

CODEC_BLOCK = 8
CODEC_FREQUENCY_WEIGHT = 0.35   # quantiser step grows by this much per DCT coefficient index


def bmode_chain(lines: np.ndarray, b: dict) -> np.ndarray:
    """B-mode processing and video compression of the per-frame scan line (frames, pixels) in [0, 1]."""
    img = gaussian_filter1d(lines.astype(np.float32), b["bmode_blur_px"], axis=1, mode="nearest")
    a = float(b["persistence"])
    if a > 0:
        for f in range(1, len(img)):
            img[f] = a * img[f - 1] + (1 - a) * img[f]
    img = np.clip(img, 0, 1) ** b["grey_gamma"]
    grey = np.round(img * 255.0)
    return video_codec(grey, b["codec_step"], b["codec_skip"], int(b["codec_gop"])) / 255.0


def video_codec(frames: np.ndarray, step: float, skip: float, gop: int) -> np.ndarray:
    """Block-DCT codec along the line: I-frames every gop frames, P-frames with skipped blocks.

    frames (F, P) in grey levels 0..255. Returns the decoded frames (F, P), clipped to 0..255.
    """
    n_frames, pixels = frames.shape
    pad = (-pixels) % CODEC_BLOCK
    x = np.pad(frames, ((0, 0), (0, pad)), mode="edge").reshape(n_frames, -1, CODEC_BLOCK)
    q = step * (1 + CODEC_FREQUENCY_WEIGHT * np.arange(CODEC_BLOCK))

    def code(block):
        c = dct(block, norm="ortho", axis=-1)
        return idct(np.round(c / q) * q, norm="ortho", axis=-1)

    out = np.empty_like(x)
    for f in range(n_frames):
        if f % max(gop, 1) == 0:
            out[f] = code(x[f])
            continue
        residual = x[f] - out[f - 1]
        update = code(residual)
        update[np.sqrt(np.mean(residual ** 2, axis=-1)) < skip] = 0.0
        out[f] = np.clip(out[f - 1] + update, 0, 255)
    return np.clip(out.reshape(n_frames, -1)[:, :pixels], 0, 255)


def to_window(img: np.ndarray, time: int, depth: int) -> np.ndarray:
    """(frames, pixels) -> (time, depth): linear interpolation over frames, area averaging over pixels."""
    n_frames, pixels = img.shape
    if pixels >= depth:
        edges = np.rint(np.linspace(0, pixels, depth + 1)).astype(np.int64)
        img = np.add.reduceat(img, edges[:-1], axis=1) / np.diff(edges)[None, :]
    else:
        img = _linear(img.T, depth).T
    return np.clip(_linear(img, time), 0, 1).astype(np.float32)


def _linear(a: np.ndarray, n: int) -> np.ndarray:
    """Resample axis 0 of a to n samples by linear interpolation (pixel centres aligned)."""
    m = a.shape[0]
    if m == n:
        return a
    pos = np.clip((np.arange(n) + 0.5) * m / n - 0.5, 0, m - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), m - 2) if m > 1 else np.zeros(n, dtype=np.int64)
    w = (pos - i0)[:, None] if m > 1 else np.zeros((n, 1))
    return a[i0] * (1 - w) + a[np.minimum(i0 + 1, m - 1)] * w
