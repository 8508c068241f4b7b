"""The Dataset container and `synthesize`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwgen.data.tasks import TASKS, TaskSpec
from hwgen.errors import DataError

GENERATOR_VERSION = "2.0"
EXAMPLES_PER_PATIENT = 4


@dataclass
class Dataset:
    """M-mode examples and their labels.

    x: float32 (N, time, depth) log-compressed display in [0, 1] (0 = -dynamic range dB, 1 = 0 dB);
       each row is one A-line in depth order, rows in acquisition order.
    y: int64 (N,) class indices, or None for unlabelled user data.
    group: int64 (N,) simulated patient id (splits keep a patient in one part).
    meta: generator version, seed, task and the physical settings (line_rate_hz, depth_cm, fc_hz, ...).
    params: one dict per example with its sampled physiological and nuisance values.
    """
    x: np.ndarray
    y: np.ndarray | None
    classes: list[str]
    group: np.ndarray
    meta: dict = field(default_factory=dict)
    params: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, idx: np.ndarray) -> "Dataset":
        """The examples at indices idx (same classes and meta)."""
        idx = np.asarray(idx)
        return Dataset(self.x[idx], None if self.y is None else self.y[idx], list(self.classes),
                       self.group[idx], dict(self.meta), [self.params[i] for i in idx] if self.params else [])


def task_spec(task: str, source: str = "task") -> TaskSpec:
    """The TaskSpec for a name, or a DataError listing the known tasks."""
    if task not in TASKS:
        raise DataError(f"{source}: unknown task {task!r}; known tasks: {', '.join(TASKS)}")
    return TASKS[task]


def _labels(rng: np.random.Generator, n: int, n_classes: int) -> np.ndarray:
    """Balanced labels in random order."""
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    return y.astype(np.int64)


def synthesize(task: str, n: int, seed: int = 0, *, time: int | None = None, depth: int | None = None,
               family=None, progress: bool = False) -> Dataset:
    """Simulate n labelled examples of a task (balanced classes, EXAMPLES_PER_PATIENT per patient).

    Same (task, n, seed, time, depth, family) gives identical arrays. `time` and `depth` default to the
    task's (256 lines and 64 bins for the M-mode tasks, 1 line for `aline`); the slow-time span stays the
    task's, so the line rate is time / span_s. Every example draws its imaging and scene
    settings from the documented ranges of `hwgen.data.randomise` (per-example values in `params`);
    `family` names a set of overrides ("default", "v1", a shift-benchmark family, see
    `randomise.family_names`) or is a dict {setting: (lo, hi) | value | choices}.
    """
    from hwgen.data.randomise import Profile

    spec = task_spec(task)
    time = spec.time if time is None else int(time)
    depth = spec.depth if depth is None else int(depth)
    if n < 1 or time < 1 or depth < 2 or seed < 0:
        raise DataError(f"synthesize: need n >= 1, time >= 1, depth >= 2 and seed >= 0 (got n={n}, time={time}, "
                        f"depth={depth}, seed={seed})")
    if spec.span_s > 0 and time < 16:
        raise DataError(f"synthesize: task {task!r} needs time >= 16 lines for its {spec.span_s} s span (got {time})")
    make_patient, make_example = spec.generator
    profile = Profile(task, family)
    task_id = list(TASKS).index(task)
    master = np.random.default_rng(np.random.SeedSequence([seed, task_id]))
    y = _labels(master, n, len(spec.classes))
    group = (np.arange(n) // EXAMPLES_PER_PATIENT).astype(np.int64)
    patients = [make_patient(master, spec, profile) for _ in range(int(group[-1]) + 1)]
    x = np.empty((n, time, depth), dtype=np.float32)
    params: list[dict] = []
    for i in _progress(range(n), progress, f"synthesising {task}"):
        rng = np.random.default_rng(np.random.SeedSequence([seed, task_id, i]))
        x[i], p = make_example(rng, int(y[i]), patients[group[i]], spec, time, depth, profile)
        params.append(p)
    meta = {
        "generator": "hwgen.data", "generator_version": GENERATOR_VERSION, "seed": int(seed), "task": task,
        "time": time, "depth": depth, "examples_per_patient": EXAMPLES_PER_PATIENT,
        **_shared_settings(params, spec, time),
        "family": profile.name, "settings": profile.summary()["ranges"],
        "note": "settings vary per example (params); meta holds a value only where every example shares it",
    }
    return Dataset(x, y, list(spec.classes), group, meta, params)


PER_EXAMPLE_KEYS = ("span_s", "line_rate_hz", "depth_cm", "fc_hz", "dynamic_range_db")


def _shared_settings(params: list[dict], spec: TaskSpec, time: int) -> dict:
    """The acquisition settings every example shares (a number), or None where they vary (see params)."""
    defaults = {"span_s": spec.span_s, "line_rate_hz": spec.line_rate_hz(time), "depth_cm": spec.depth_cm,
                "fc_hz": spec.fc_hz, "dynamic_range_db": spec.dynamic_range_db}
    out = {}
    for key in PER_EXAMPLE_KEYS:
        values = {p.get(key, defaults[key]) for p in params}
        out[key] = values.pop() if len(values) == 1 else None
    out["fs_hz"] = 4.0 * out["fc_hz"] if out["fc_hz"] else None
    return out


def example_setting(ds: "Dataset", i: int, key: str):
    """An example's acquisition setting (params first, then the data set's meta), or None."""
    if i < len(ds.params) and key in ds.params[i]:
        return ds.params[i][key]
    return ds.meta.get(key)


def _progress(items, enabled: bool, label: str):
    """Iterate with a rich progress bar when enabled."""
    if not enabled:
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    cols = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*cols, transient=False) as bar:
        job = bar.add_task(label, total=len(items))
        for item in items:
            yield item
            bar.advance(job)
