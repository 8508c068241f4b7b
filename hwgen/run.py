"""A run folder (what `hwgen train` writes), read and written in one place. numpy and json only.

    model.h5         the QKeras model
    config.json      the TrainConfig, model settings, input shape and class names
    preprocess.json  the preprocessing every input gets (training and prediction alike)
    split.json       data source and train/val/test indices into it
    metrics.json     test-set metrics and the cost figures
    test.npz         the preprocessed test split (x, y, classes, index)
    calib.npz        up to CALIB_EXAMPLES preprocessed training examples, on a 16-bit grid: what
                     conversion calibrates its intermediate types on (never the test split)
"""

from __future__ import annotations

import json
import warnings
from functools import cached_property
from pathlib import Path

import numpy as np

from hwgen.errors import DataError, HwgenError

MODEL_FILE = "model.h5"
CALIB_EXAMPLES = 256
CALIB_SCALE = 1 << 16  # calibration inputs in [0, 1] are stored as uint16 q / 2**16


class Run:
    """A run folder written by `hwgen train` (or `hwgen compress`)."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise HwgenError(f"{self.path}: no such run directory")
        for name in ("config.json", "preprocess.json"):
            if not (self.path / name).is_file():
                raise HwgenError(f"{self.path}: not a hwgen run directory (missing {name})")

    def _json(self, name: str) -> dict:
        path = self.path / name
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            raise HwgenError(f"{path}: missing from the run") from None
        except json.JSONDecodeError as err:
            raise HwgenError(f"{path}: corrupt ({err})") from None

    @cached_property
    def config(self) -> dict:
        return self._json("config.json")

    @cached_property
    def preprocess(self) -> dict:
        return self._json("preprocess.json")

    @cached_property
    def split(self) -> dict:
        return self._json("split.json")

    @property
    def metrics(self) -> dict:
        return self._json("metrics.json")

    @property
    def model_file(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def classes(self) -> list[str]:
        return list(self.config.get("classes") or [])

    @property
    def task(self) -> str | None:
        return self.config.get("task")

    @property
    def data_source(self) -> str | None:
        """The data file the run was trained on (None when it synthesised its data)."""
        return self.split.get("data") if (self.path / "split.json").is_file() else None

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        """The preprocessed test split (x float32 (N, time, depth), y)."""
        path = self.path / "test.npz"
        if not path.is_file():
            raise HwgenError(f"{self.path}: no test.npz in the run")
        with np.load(path, allow_pickle=False) as data:
            return np.asarray(data["x"], np.float32), np.asarray(data["y"])

    def calibration(self) -> np.ndarray:
        """Preprocessed training examples for calibrating a conversion (never the test split)."""
        path = self.path / "calib.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                return np.asarray(data["q"], np.float32) / CALIB_SCALE
        warnings.warn(f"{self.path} predates calib.npz: rebuilding its training split from the data source",
                      stacklevel=2)
        return self.examples("train")[0][:CALIB_EXAMPLES]

    def examples(self, part: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """A `part` ("train", "val" or "test") of the run's data, preprocessed, rebuilt from its source.

        split.json records the data file (re-read) or the synthetic set (re-synthesised: deterministic);
        a source that no longer has the run's number of examples is refused."""
        from hwgen.data import load, synthesize
        from hwgen.data.preprocess import apply_settings

        split = self.split
        if split.get("data"):
            dataset, source = load(split["data"], task=self.task), split["data"]
        else:
            spec = dict(split["synthesize"])
            shape = {k: spec.pop(k) for k in ("time", "depth") if spec.get(k) is not None}
            dataset = synthesize(spec["task"], spec["n"], seed=spec["seed"], **shape)
            source = f"the synthetic set of {self.path}"
        if len(dataset.y) != split["n_examples"]:
            raise DataError(f"{source}: has {len(dataset.y)} examples but the run in {self.path} was trained on "
                            f"{split['n_examples']}: the data changed since training")
        idx = np.asarray(split[part], dtype=np.int64)
        return np.asarray(apply_settings(dataset.x[idx], self.preprocess), np.float32), np.asarray(dataset.y[idx])

    # ------------------------------------------------------------------ writing (hwgen train)
    def write_json(self, name: str, value: dict, indent: int | None = 2) -> None:
        (self.path / name).write_text(json.dumps(value, indent=indent))
        self.__dict__.pop(name.removesuffix(".json"), None)  # drop a cached copy

    def write_test(self, x, y, classes, index) -> None:
        np.savez_compressed(self.path / "test.npz", x=np.asarray(x, np.float32), y=np.asarray(y),
                            classes=np.array(classes), index=np.asarray(index))

    def write_calibration(self, x) -> None:
        x = np.asarray(x, np.float64)[:CALIB_EXAMPLES]
        if x.size and (x.min() < 0 or x.max() > 1):
            raise DataError("calibration inputs must be preprocessed into [0, 1]")
        q = np.minimum(np.rint(x * CALIB_SCALE), CALIB_SCALE - 1).astype(np.uint16)
        np.savez_compressed(self.path / "calib.npz", q=q)

    @classmethod
    def create(cls, path) -> Run:
        """An empty run folder for writing (config.json and preprocess.json are written first)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        run = cls.__new__(cls)
        run.path = path
        return run
