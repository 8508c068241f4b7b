"""Ultrasound data: physics-based synthetic M-modes, user-data loaders, preprocessing, splits.

    from hwgen.data import synthesize, save, load, grouped_split
    ds = synthesize("lung", 600, seed=7)       # Dataset: x (N, time, depth) in [0, 1], y, group, meta, params
    x, spans, source = windows(load("rec.npz"), time=256, line_rate_hz=128.0)   # a model's windows
"""

from hwgen.data.dataset import Dataset, synthesize
from hwgen.data.io import load, save
from hwgen.data.preprocess import preprocess
from hwgen.data.recording import Windows, check_task, model_inputs, windows
from hwgen.data.split import class_weights, grouped_split
from hwgen.data.tasks import TASKS, TaskSpec

__all__ = ["Dataset", "TASKS", "TaskSpec", "synthesize", "save", "load", "grouped_split", "class_weights",
           "preprocess", "windows", "model_inputs", "check_task", "Windows"]
