"""Consistency of an integer graph: shapes between nodes, weights that fit their widths, exact accumulators.

Run on every graph that is loaded or exported, so a graph.json edited by hand into an inconsistent
state is refused with the node named instead of producing wrong hardware.
"""

from __future__ import annotations

import math

import numpy as np

from hwgen.errors import ModelError
from hwgen.graph import ops
from hwgen.graph.graph import WEIGHTED_OPS, Graph, Node
from hwgen.graph.layers import product_frac


def check(graph: Graph) -> None:
    """Raise ModelError naming the first node whose shape, weights or types do not add up."""
    for node in graph.nodes[1:]:
        in_shapes = [graph.by_name[i].shape for i in node.inputs]
        want = expected_shape(node, in_shapes)
        if tuple(want) != tuple(node.shape):
            raise ModelError(f"layer {node.name!r} ({node.op}): output shape {node.shape} does not follow from its "
                             f"input shape(s) {in_shapes}: expected {tuple(want)}")
        _check_weights(node)
        if node.typed and graph.by_name[node.inputs[0]].typed:
            _check_types(node, graph)


def conv_steps(n: int, kernel: int, stride: int, padding: str) -> int:
    """Output time steps of a 1-D convolution, as TensorFlow defines them."""
    if padding == "same":
        return -(-n // stride)
    return (n - kernel) // stride + 1


def expected_shape(node: Node, in_shapes: list[tuple]) -> tuple:
    op, a = node.op, node.attrs
    arity = {"add": 2}.get(op, None if op == "concat" else 1)
    if arity is not None and len(in_shapes) != arity:
        raise ModelError(f"layer {node.name!r} ({op}): {len(in_shapes)} inputs, expected {arity}")
    x = in_shapes[0]
    if op in ("relu", "quant"):
        return x
    if op == "reshape":
        if math.prod(x) != math.prod(node.shape):
            raise ModelError(f"layer {node.name!r} (reshape): {x} cannot become {node.shape}")
        return node.shape
    if op == "add":
        if in_shapes[0] != in_shapes[1]:
            raise ModelError(f"layer {node.name!r} (add): input shapes {in_shapes} differ")
        return x
    if op == "concat":
        if len({s[:-1] for s in in_shapes}) != 1:
            raise ModelError(f"layer {node.name!r} (concat): inputs {in_shapes} differ before the channel axis")
        return x[:-1] + (sum(s[-1] for s in in_shapes),)
    if op == "dense":
        _need_kernel(node, 2)
        if len(x) != 1 or node.kernel.values.shape[0] != x[0]:
            raise ModelError(f"layer {node.name!r} (dense): kernel {node.kernel.values.shape} does not take input {x}")
        return (node.kernel.values.shape[1],)
    if op == "gap":
        return (x[-1],)
    steps, channels = x[0], x[-1]
    if op in ("maxpool", "avgpool"):
        return (conv_steps(steps, a["pool"], a["stride"], "valid"),) + x[1:]
    if op == "conv":
        _need_kernel(node, 3)
        k, cin, cout = node.kernel.values.shape
        if cin != channels:
            raise ModelError(f"layer {node.name!r} (conv): kernel takes {cin} channels, the input has {channels}")
        return (conv_steps(steps, k, a.get("stride", 1), a.get("padding", "valid")), cout)
    if op == "depthwise":
        _need_kernel(node, 2)
        k, ch = node.kernel.values.shape
        if ch != channels:
            raise ModelError(f"layer {node.name!r} (depthwise): kernel has {ch} channels, the input has {channels}")
        return (conv_steps(steps, k, a.get("stride", 1), a.get("padding", "valid")),) + x[1:]
    raise ModelError(f"layer {node.name!r}: no shape rule for op {op!r}")


def _need_kernel(node: Node, ndim: int) -> None:
    if node.kernel is None or np.asarray(node.kernel.values).ndim != ndim:
        shape = None if node.kernel is None else np.asarray(node.kernel.values).shape
        raise ModelError(f"layer {node.name!r} ({node.op}): needs a {ndim}-D kernel, has {shape}")


def _check_weights(node: Node) -> None:
    if node.op not in WEIGHTED_OPS:
        if node.kernel is not None or node.bias is not None:
            raise ModelError(f"layer {node.name!r} ({node.op}) cannot carry weights")
        return
    for what, w in (("kernel", node.kernel), ("bias", node.bias)):
        if w is None or w.is_float:
            continue
        if w.is_po2:
            try:
                ops.int_to_po2(w.values)
            except ValueError:
                raise ModelError(f"layer {node.name!r}: {what} is marked power-of-two but holds other values") from None
            continue
        if w.bits is not None:
            lo, hi = w.bounds()
            need = ops.bits_needed(min(lo, 0), max(hi, 0))
            if need > w.bits:
                raise ModelError(f"layer {node.name!r}: {what} values {lo}..{hi} need {need} bits, "
                                 f"more than its declared {w.bits}")
    if node.bias is not None and node.op != "dense" and node.bias.values.shape != (node.shape[-1],):
        raise ModelError(f"layer {node.name!r}: bias shape {node.bias.values.shape}, expected ({node.shape[-1]},)")


def _check_types(node: Node, graph: Graph) -> None:
    """A weighted node's accumulator must be exact: on the products' grid and wide enough for the worst case
    (unless the user forced a narrower one, which the executor then counts)."""
    if node.op not in WEIGHTED_OPS or node.kernel.is_float:
        return
    from hwgen.graph.precision import exact_accumulator

    x_type = graph.by_name[node.inputs[0]].out
    if node.acc.frac < product_frac(x_type, node.kernel):
        raise ModelError(f"layer {node.name!r}: accumulator {node.acc.hls()} has fewer fractional bits than its "
                         f"products ({product_frac(x_type, node.kernel)})")
    if "accum" in node.attrs.get("overrides", {}):
        return
    exact, _ = exact_accumulator(node, x_type)
    if node.acc.integer < exact.integer:
        raise ModelError(f"layer {node.name!r}: accumulator {node.acc.hls()} is too narrow for its weights "
                         f"(the worst case needs {exact.hls()}); force it with a precision override if intended")
