"""A recording of any length and line rate -> the windows a model sees, on the model's own time scale.

A model is trained on windows of `time` lines at a known line rate (the synthetic tasks: 256 lines over
2 s or 6 s). A recording is resampled along slow time from its own line rate (`meta["line_rate_hz"]`,
from the file, the DICOM or the caller) to the model's, then a window slides across it: one prediction
per window, each with its time span in seconds. Nothing is cropped or stretched silently: a recording
shorter than one window, or one whose axes look swapped, is refused with the shapes named, and every
resampling or assumption is returned as a note for the caller to show.

`predict` and `hwgen sim csim --data` both go through `model_inputs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter1d

from hwgen.data.dataset import Dataset
from hwgen.errors import DataError

UPSAMPLING_NOTE = 1.5   # say what is missing when the recording is this much slower than the model


@dataclass
class Windows:
    """Windows cut from a recording; unpacks as (x, spans, source).

    x: (W, time, depth) float32 at the model's line rate (depth and intensity not yet preprocessed).
    spans: (W, 2) start and end of each window in seconds of the recording, or None when the model
        has no line rate (then only `lines` is known).
    source: (W,) index of the example (recording) each window comes from.
    lines: (W, 2) start and end of each window in the recording's own lines.
    """
    x: np.ndarray
    spans: np.ndarray | None
    source: np.ndarray
    lines: np.ndarray
    line_rate_hz: float | None = None          # the model's
    recording_rate_hz: float | None = None     # the recording's (stated or assumed)
    notes: list[str] = field(default_factory=list)

    def __iter__(self):
        return iter((self.x, self.spans, self.source))

    def __len__(self) -> int:
        return len(self.x)


def windows(data, *, time: int, line_rate_hz: float | None, hop: int | None = None, depth: int | None = None,
            recording_rate_hz: float | None = None, source: str | None = None,
            line_rate_range_hz: tuple[float, float] | None = None) -> Windows:
    """Cut windows of `time` lines at the model's `line_rate_hz` from a Dataset (or an (N, T, D) array).

    The recording's line rate is `recording_rate_hz`, else its `meta["line_rate_hz"]`; without either it
    is assumed to be the model's (said in a note). `hop` is the step between windows in the model's lines
    (default: half a window); a last window aligned to the end covers the tail. `depth`: the model's depth
    bins, used to catch arrays whose time and depth axes are swapped. `line_rate_hz` None (a run that did
    not record it) or 0 (single A-lines) means no resampling. `line_rate_range_hz` (lo, hi): the model was
    trained on every rate in it (randomised line rates), so a recording inside it is not resampled and one
    outside it is resampled to the nearer bound.
    """
    x, meta = (data.x, data.meta) if isinstance(data, Dataset) else (np.asarray(data, np.float32), {})
    src = source or str(meta.get("source", "recording"))
    if x.ndim != 3:
        raise DataError(f"{src}: x has shape {x.shape}, expected (N, time, depth)")
    time = int(time)
    hop = max(1, time // 2) if hop is None else hop
    if not (isinstance(hop, (int, np.integer)) and hop >= 1):
        raise DataError(f"{src}: hop {hop!r} must be a whole number of lines >= 1")
    stated = recording_rate_hz or meta.get("line_rate_hz") or None
    if stated is not None and not (isinstance(stated, (int, float)) and stated > 0):
        raise DataError(f"{src}: line rate {stated!r} must be a positive number of lines per second")
    _check_axes(x, time, depth, stated, src)
    notes: list[str] = []
    model_rate = float(line_rate_hz) if line_rate_hz else None
    rate = float(stated) if stated else None
    if line_rate_range_hz:
        lo, hi = (float(v) for v in line_rate_range_hz)
        if rate is None:
            notes.append(f"{src}: has no line rate; taken as it is (the model was trained on {lo:g}-{hi:g} lines/s; "
                         "state it with meta line_rate_hz or --line-rate)")
        else:
            model_rate = min(max(rate, lo), hi)
            if model_rate == rate:
                notes.append(f"{src}: {rate:g} lines/s is inside the model's trained range {lo:g}-{hi:g}: "
                             "not resampled")
    if model_rate is None:
        resampled = x
    else:
        if rate is None:
            rate = model_rate
            notes.append(f"{src}: has no line rate; assumed the model's {model_rate:g} lines/s "
                         "(state it with meta line_rate_hz or --line-rate)")
        resampled = _resample(x, rate, model_rate, notes, src)
    n_lines = resampled.shape[1]
    if n_lines < time:
        at_model_rate = f", {n_lines} lines at the model's {model_rate:g} lines/s" if model_rate else ""
        raise DataError(f"{src}: x has shape {x.shape}{_duration(x.shape[1], rate)}{at_model_rate}, shorter "
                        f"than one window of {time} lines{_duration(time, model_rate)}")
    starts = list(range(0, n_lines - time + 1, hop))
    if starts[-1] + time < n_lines:
        starts.append(n_lines - time)
    starts = np.asarray(starts)
    count = len(x)
    xs = np.stack([resampled[:, s:s + time] for s in starts], axis=1).reshape(count * len(starts), time, -1)
    scale = x.shape[1] / n_lines                     # recording lines per model line
    lines = np.stack([starts, starts + time], axis=1).astype(np.float64) * scale
    spans = lines / rate if (model_rate and rate) else None
    return Windows(
        x=np.ascontiguousarray(xs, dtype=np.float32),
        spans=None if spans is None else np.tile(spans, (count, 1)),
        source=np.repeat(np.arange(count), len(starts)),
        lines=np.tile(lines, (count, 1)),
        line_rate_hz=model_rate, recording_rate_hz=rate, notes=notes,
    )


def _duration(n_lines: int, rate: float | None) -> str:
    return f" ({n_lines / rate:.3g} s)" if rate else ""


def _check_axes(x: np.ndarray, time: int, depth: int | None, stated_rate, src: str) -> None:
    """Refuse an array that looks transposed: time shorter than depth where the model's time is longer.

    A recording whose loader states its line rate (a DICOM, an hwgen file) knows its time axis."""
    if depth is None or stated_rate or time <= depth or x.shape[1] >= x.shape[2]:
        return
    raise DataError(f"{src}: time and depth look swapped: x has shape {x.shape} (time {x.shape[1]} < depth "
                    f"{x.shape[2]}) but the model was trained on ({time}, {depth}) (time, depth); the layout is "
                    "(N, time, depth). If it is right, state the line rate (meta line_rate_hz or --line-rate)")


def _resample(x: np.ndarray, rate: float, model_rate: float, notes: list[str], src: str) -> np.ndarray:
    """Linear interpolation along slow time from `rate` to `model_rate` lines/s (Gaussian anti-aliasing
    first when downsampling, sigma = (1/factor - 1) / 2 lines as in skimage.transform.rescale)."""
    factor = model_rate / rate
    if abs(factor - 1) < 1e-9:
        return x
    n_in = x.shape[1]
    n_out = max(1, int(round(n_in * factor)))
    if factor < 1:
        x = gaussian_filter1d(x, sigma=(1 / factor - 1) / 2, axis=1, mode="nearest")
    # sample centres: model line k covers recording lines [k, k + 1) * n_in / n_out
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = (pos - lo).astype(np.float32)[None, :, None]
    out = x[:, lo] * (1 - frac) + x[:, hi] * frac
    notes.append(f"{src}: resampled from {rate:.4g} to {model_rate:.4g} lines/s ({n_in} -> {n_out} lines)")
    if factor > UPSAMPLING_NOTE:
        notes.append(f"{src}: upsampled x{factor:.3g}: motion faster than {rate / 2:g} Hz (half the "
                     "recording's line rate) is not in the recording")
    return out.astype(np.float32)


# -- the file against the model ---------------------------------------------------------------------------

def check_task(dataset: Dataset, *, task: str, classes, source: str) -> None:
    """Refuse a data set made for another task, or whose classes or labels do not fit the model's."""
    classes = [str(c) for c in classes]
    file_task = dataset.meta.get("task")
    if file_task not in (None, task):
        raise DataError(f"{source}: holds task {file_task!r}, but the model was trained for {task!r}")
    if dataset.y is not None and dataset.classes:
        check_classes(dataset.classes, classes, source)
    if dataset.y is not None and len(dataset.y):
        lo, hi = int(np.min(dataset.y)), int(np.max(dataset.y))
        if lo < 0 or hi >= len(classes):
            raise DataError(f"{source}: labels span [{lo}, {hi}], expected 0..{len(classes) - 1} for classes {classes}")


def check_classes(classes, expected, source: str) -> None:
    """Raise DataError naming the file and the classes that differ from the expected list."""
    classes, expected = [str(c) for c in classes], [str(c) for c in expected]
    if classes == expected:
        return
    extra = [c for c in classes if c not in expected]
    missing = [c for c in expected if c not in classes]
    detail = f"unexpected {extra}" if extra else ""
    detail += ("; " if detail and missing else "") + (f"missing {missing}" if missing else "")
    detail = detail or "same names in a different order"
    raise DataError(f"{source}: classes {classes} do not match {expected} ({detail})")


def model_inputs(dataset: Dataset, settings: dict, *, hop: int | None = None, recording_rate_hz: float | None = None,
                 source: str | None = None) -> tuple[np.ndarray, np.ndarray | None, Windows]:
    """A recording as a model's inputs: (x (W, time, depth) preprocessed like training, y per window or
    None, the Windows). `settings` is a run's preprocess.json; without `line_rate_hz` (runs from before
    hwgen recorded it) the windows are not resampled and a note says so."""
    from hwgen.data.preprocess import apply_settings

    src = source or str(dataset.meta.get("source", "recording"))
    notes = []
    rate_range = settings.get("line_rate_range_hz")
    if "line_rate_hz" not in settings and not rate_range:
        notes.append("the run records no line rate (trained before hwgen stored it): windows are cut at the "
                     "recording's own line spacing, not resampled")
    elif settings.get("line_rate_hz") is None and not rate_range:
        notes.append("the run's training data stated no line rate: windows are cut at the recording's own "
                     "line spacing, not resampled")
    w = windows(dataset, time=settings["time"], line_rate_hz=settings.get("line_rate_hz"), hop=hop,
                depth=settings.get("depth"), recording_rate_hz=recording_rate_hz, source=src,
                line_rate_range_hz=rate_range)
    w.notes[:0] = notes
    if w.x.shape[2] != settings["depth"]:
        w.notes.append(f"{src}: depth resampled from {w.x.shape[2]} to {settings['depth']} bins")
    y = None if dataset.y is None else np.asarray(dataset.y)[w.source]
    return apply_settings(w.x, settings), y, w
