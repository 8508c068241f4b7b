"""QKeras quantization-aware models for hwgen: blocks, zoo, build(), load() and cost counts.

The names and default settings (`MODELS`, `DEFAULTS`, from `hwgen.models.catalog`) import without
TensorFlow, so the CLI can list them in its help; everything else imports TensorFlow and QKeras on
first use (`models.build`, `models.load`, ...).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from hwgen.errors import ModelError
from hwgen.models.catalog import DEFAULTS, MODELS

_LAZY = {
    "scale_to_data": "hwgen.models.init", "available": "hwgen.models.zoo", "build": "hwgen.models.zoo",
    **{name: "hwgen.models.stats" for name in ("count_macs", "count_params", "describe", "summary", "weight_bits")},
}


SUBMODULES = ("blocks", "init", "shift", "stats", "zoo")


def __getattr__(name: str):
    """The TensorFlow-backed functions and submodules, imported when first asked for."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in SUBMODULES:
        return importlib.import_module(f"hwgen.models.{name}")
    raise AttributeError(f"module 'hwgen.models' has no attribute {name!r}")

__all__ = [
    "DEFAULTS", "MODELS", "available", "build", "load", "custom_objects",
    "count_macs", "count_params", "describe", "summary", "weight_bits", "scale_to_data",
]


def custom_objects() -> dict:
    """The QKeras layers and quantizers Keras needs to deserialise a hwgen model."""
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict = {}
    _add_supported_quantized_objects(objects)
    return objects


def load(path: str | os.PathLike):
    """Load a model saved by hwgen (``model.h5``, or a run directory holding one)."""
    import tensorflow as tf

    path = Path(path)
    if path.is_dir():
        path = path / "model.h5"
    if not path.is_file():
        raise ModelError(f"{path}: no such model file (expected a run directory holding model.h5, or a .h5 file)")
    try:
        return tf.keras.models.load_model(path, custom_objects=custom_objects(), compile=False)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"{path}: not a readable Keras/QKeras model ({err.__class__.__name__}: {err})") from err
