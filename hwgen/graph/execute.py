"""The executor: runs a typed integer graph on a batch, exactly as the hardware computes (numpy only).

`execute(graph, x)` returns an `Execution`: every node's integer output together with, per node, how
many values left their type's range (wrapped or saturated) — nothing is stored on the graph, so a
graph can be run by several callers at once. With `strict`, the first overflow raises, naming the layer.

Saturation a model's own quantizer defines (a quantized_relu clipping at its maximum, the input type
clipping 1.0 to 255/256) is part of the arithmetic, not an overflow: it is counted apart (`clipped`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.errors import ModelError, OverflowDetected
from hwgen.graph import layers as gl
from hwgen.graph.graph import Graph, Node
from hwgen.graph.ops import Fixed

QUANTIZER_OPS = ("relu", "quant")  # their result type is the model's own quantizer


@dataclass(frozen=True)
class Execution:
    """The result of running a graph on a batch."""

    values: dict[str, np.ndarray]     # node -> integers (batch, *shape) on the node's `out` grid
    overflows: dict[str, int]         # node -> values that left a hwgen-chosen type (acc or result)
    acc_overflows: dict[str, int]     # node -> of those, accumulator wraps
    clipped: dict[str, int]           # node -> values clipped by the model's own quantizers (by design)
    output: str

    @property
    def logits(self) -> np.ndarray:
        return self.values[self.output]

    @property
    def total_overflows(self) -> int:
        return int(sum(self.overflows.values()))

    @property
    def input_clipped(self) -> int:
        return int(next(iter(self.clipped.values()), 0))


def execute(graph: Graph, x, *, strict: bool = False) -> Execution:
    """Run `graph` on float inputs x (batch, *input_shape)."""
    graph.require_typed()
    values: dict[str, np.ndarray] = {}
    overflows: dict[str, int] = {}
    acc_overflows: dict[str, int] = {}
    clipped: dict[str, int] = {}
    for node in graph.nodes:
        args = [values[i] for i in node.inputs]
        q, n_over, n_acc = evaluate_node(node, graph.input_types(node), args, x)
        values[node.name] = q
        by_design = node.op == "input" or (node.op in QUANTIZER_OPS and "quantizer" in node.attrs)
        if by_design:
            clipped[node.name], n_over = n_over, 0
        overflows[node.name], acc_overflows[node.name] = n_over, n_acc
        if strict and n_over:
            raise OverflowDetected(_overflow_message(node, n_over, q.size))
    return Execution(values, overflows, acc_overflows, clipped, graph.output.name)


def evaluate_node(node: Node, in_types: list[Fixed], args: list[np.ndarray], x=None) -> tuple[np.ndarray, int, int]:
    """One node on a batch given its inputs' integer values and types (x: the float input, for the
    input node). Returns (integers, values that left a type's range, of those accumulator wraps)."""
    if node.op == "input":
        q, n = node.out.quantize(np.asarray(x, dtype=np.float64).reshape((-1,) + tuple(node.shape)))
        return q, n, 0
    if node.op == "reshape":
        return args[0].reshape((-1,) + tuple(node.shape)), 0, 0
    if node.op == "add":
        return (*gl.add(args[0], in_types[0], args[1], in_types[1], node.out), 0)
    if node.op == "concat":
        return (*gl.concatenate(args, in_types, node.out), 0)
    if node.op in QUANTIZER_OPS:
        return (*gl.cast(args[0], in_types[0], node.out, relu=node.op == "relu"), 0)
    for w in (node.kernel, node.bias):
        if w is not None and w.is_float:
            raise ModelError(f"layer {node.name!r} has float weights: only a quantized model can be executed")
    results = [_single(node, sample, in_types[0]) for sample in args[0]]
    out = np.stack([r[0] for r in results])
    return out, int(sum(r[1] for r in results)), int(sum(r[2] for r in results))


def _single(node: Node, x, x_type: Fixed) -> tuple[np.ndarray, int, int]:
    """One sample through a time-structured node: (ints, overflows, accumulator overflows)."""
    a = node.attrs
    if a.get("as2d"):  # a 1-D depthwise carried as QDepthwiseConv2D on (time, 1, ch)
        out, n, n_acc = _single(_as_1d(node), x[:, 0, :], x_type)
        return out[:, None, :], n, n_acc
    if node.op == "maxpool":
        return gl.max_pool(x, a["pool"], a["stride"]), 0, 0
    if node.op == "avgpool":
        return (*gl.average_pool(x, x_type, a["pool"], a["stride"], node.acc, node.out), 0)
    if node.op == "gap":
        return (*gl.global_average_pool(x, x_type, node.acc, node.out), 0)
    acc, n_acc = accumulate(node, x, x_type, node.acc)
    out, n_out = gl.cast(acc, node.acc, node.out)
    return out, n_acc + n_out, n_acc


def accumulate(node: Node, x, x_type: Fixed, acc_type: Fixed) -> tuple[np.ndarray, int]:
    """The exact accumulator of a weighted node for one sample, on `acc_type`'s grid."""
    if node.attrs.get("as2d"):
        acc, n = accumulate(_as_1d(node), x[:, 0, :], x_type, acc_type)
        return acc[:, None, :], n
    if node.op == "dense":
        return gl.dense(x, x_type, node.kernel, node.bias, acc_type)
    return gl.conv(x, x_type, node.kernel, node.bias, acc_type, node.attrs.get("stride", 1),
                   node.attrs.get("padding", "valid"), depthwise=node.op == "depthwise")


def _as_1d(node: Node) -> Node:
    attrs = {k: v for k, v in node.attrs.items() if k != "as2d"}
    return Node(node.name, node.op, node.inputs, node.shape, node.kernel, node.bias, attrs, node.acc, node.out)


def _overflow_message(node: Node, n: int, size: int) -> str:
    kind = "wrapped" if "WRAP" in (node.acc.saturation if node.acc else node.out.saturation) else "saturated"
    return (f"layer {node.keras!r} ({node.op}): {n} of {size} values left their fixed-point range and {kind} "
            f"(acc {node.acc.hls() if node.acc else '-'}, result {node.out.hls()}); widen its types")
