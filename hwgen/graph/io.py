"""Saving and loading an integer graph: `graph.json` (versioned schema) + `weights.npz` (integer weights).

graph.json:
    {"format": "hwgen-graph", "version": 1, "name": ..., "classes": [...], "meta": {...},
     "nodes": [{"name", "op", "inputs", "shape", "keras", "attrs", "acc", "out", "impl",
                "kernel": {"frac", "po2_width", "bits", "shape"} | null, "bias": {...} | null}, ...]}
    A fixed-point type is {"width", "frac", "signed", "rounding", "saturation"}.
weights.npz:
    "<node>/kernel" and "<node>/bias" as int64 arrays (float64 for an unquantized model's weights).

A file from another schema version, a file that is not a graph, or a graph whose nodes do not add
up (see `hwgen.graph.check`) is refused with one line naming the file (and the node).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError, ModelError
from hwgen.graph.check import check
from hwgen.graph.graph import Graph, Node
from hwgen.graph.layers import QWeights
from hwgen.graph.ops import Fixed

FORMAT = "hwgen-graph"
VERSION = 1
GRAPH_FILE = "graph.json"
WEIGHTS_FILE = "weights.npz"


def save(graph: Graph, folder) -> Path:
    """Write graph.json and weights.npz into `folder`; returns the graph.json path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    nodes = []
    for node in graph.nodes:
        entry = {"name": node.name, "op": node.op, "inputs": list(node.inputs), "shape": list(node.shape),
                 "keras": node.keras, "attrs": _encode(node.attrs), "impl": _encode(node.impl),
                 "acc": _type(node.acc), "out": _type(node.out)}
        for what in ("kernel", "bias"):
            w = getattr(node, what)
            entry[what] = None
            if w is not None:
                values = np.asarray(w.values)
                arrays[f"{node.name}/{what}"] = values.astype(np.float64 if w.is_float else np.int64)
                entry[what] = {"frac": w.frac, "po2_width": w.po2_width, "bits": w.bits, "shape": list(values.shape)}
        nodes.append(entry)
    doc = {"format": FORMAT, "version": VERSION, "name": graph.name, "classes": list(graph.classes),
           "meta": _encode(graph.meta), "nodes": nodes}
    np.savez(folder / WEIGHTS_FILE, **arrays)
    path = folder / GRAPH_FILE
    path.write_text(json.dumps(doc, indent=1))
    return path


def load(path) -> Graph:
    """Read a graph from its graph.json (or the folder holding it) and the weights.npz beside it."""
    path = Path(path)
    if path.is_dir():
        path = path / GRAPH_FILE
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise HwgenError(f"{path}: no such graph file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise HwgenError(f"{path}: not an hwgen graph ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HwgenError(f"{path}: not an hwgen graph (no \"format\": \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise HwgenError(f"{path}: graph schema version {doc.get('version')!r}; this hwgen reads version {VERSION} "
                         "(export the model again)")
    weights_path = path.parent / WEIGHTS_FILE
    try:
        with np.load(weights_path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise HwgenError(f"{weights_path}: missing (a graph.json needs its weights.npz beside it)") from None
    except (ValueError, OSError) as err:
        raise HwgenError(f"{weights_path}: not readable ({err})") from None
    try:
        nodes = [_node(entry, arrays) for entry in doc["nodes"]]
        graph = Graph(nodes, classes=list(doc.get("classes", [])), meta=doc.get("meta", {}),
                      name=doc.get("name", "hwgen_net"))
        check(graph)
    except ModelError as err:
        raise ModelError(f"{path}: {err}") from None
    except (KeyError, TypeError, ValueError) as err:
        raise HwgenError(f"{path}: malformed graph ({type(err).__name__}: {err})") from None
    return graph


def _node(entry: dict, arrays: dict) -> Node:
    name = entry["name"]
    weights = {}
    for what in ("kernel", "bias"):
        spec = entry.get(what)
        if spec is None:
            weights[what] = None
            continue
        key = f"{name}/{what}"
        if key not in arrays:
            raise ModelError(f"layer {name!r}: {key} is missing from {WEIGHTS_FILE}")
        values = arrays[key]
        if list(values.shape) != list(spec["shape"]):
            raise ModelError(f"layer {name!r}: {what} has shape {list(values.shape)} in {WEIGHTS_FILE}, "
                             f"graph.json says {spec['shape']}")
        frac = spec["frac"]
        weights[what] = QWeights(values if frac is None else values.astype(np.int64), frac, spec.get("po2_width"),
                                 spec.get("bits"))
    try:
        acc, out = _fixed(entry.get("acc")), _fixed(entry.get("out"))
    except ValueError as err:
        raise ModelError(f"layer {name!r}: {err}") from None
    return Node(name, entry["op"], list(entry["inputs"]), tuple(entry["shape"]), weights["kernel"], weights["bias"],
                _decode(entry.get("attrs", {})), acc, out, entry.get("keras", ""), _decode(entry.get("impl", {})))


def _type(t: Fixed | None) -> dict | None:
    return asdict(t) if t is not None else None


def _fixed(spec: dict | None) -> Fixed | None:
    return Fixed(**spec) if spec is not None else None


def _encode(value):
    """JSON-able form of attrs: tuples become lists, a Fixed becomes {"fixed": {...}}."""
    if isinstance(value, Fixed):
        return {"fixed": asdict(value)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"fixed"}:
            return Fixed(**value["fixed"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
