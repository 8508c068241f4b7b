"""QKeras quantization-aware models for hwgen: blocks, zoo, build(), load() and cost counts.

Importing this package imports TensorFlow and QKeras; CLI modules import it inside their commands.
"""

from __future__ import annotations

import os
from pathlib import Path

from hwgen.errors import ModelError
from hwgen.models.init import scale_to_data
from hwgen.models.stats import count_macs, count_params, describe, summary, weight_bits
from hwgen.models.zoo import DEFAULTS, MODELS, available, build

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
