"""The integer graph: nodes, their integer weights and fixed-point types. numpy only, never TensorFlow.

A `Node` is one hardware layer (a QSeparableConv1D becomes two: `<name>_depthwise` and
`<name>_pointwise`, as in hls4ml). Its integer weights come from the Keras export
(`hwgen.models.export`); its types (`acc`, `out`) from `hwgen.graph.precision.infer_precision` or by
hand. A `Graph` holds the nodes in topological order (the first is the input, the last the logits),
the class names and a little metadata, and is saved as graph.json + weights.npz (`hwgen.graph.io`).

Arithmetic per op (see `hwgen.graph.layers`, run by `hwgen.graph.execute`):
- input:   x float -> out (ap_ufixed<8,0,AP_RND_CONV,AP_SAT> by default), one rounding;
- conv / depthwise / dense: exact accumulation on the `acc` grid (WRAP, counted), cast to `out`;
- relu / quant (QActivation): cast to the quantizer's type (RND_CONV, SAT: what hls4ml emits);
- avgpool / gap: exact sum in `acc`, integer division (toward zero) by the window, cast to `out`;
- maxpool, reshape: exact; add / concat: exact sum / parts, cast to `out`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from hwgen.errors import ModelError
from hwgen.graph import ops
from hwgen.graph.layers import QWeights
from hwgen.graph.ops import Fixed

WEIGHTED_OPS = ("conv", "depthwise", "dense")
POOL_OPS = ("maxpool", "avgpool", "gap")
OPS = WEIGHTED_OPS + POOL_OPS + ("input", "relu", "quant", "add", "concat", "reshape")


@dataclass
class Node:
    """One hardware layer of the integer graph.

    `attrs` holds op parameters (stride, padding, pool, quantizer) and what precision inference
    measured (range, bound); `impl` holds per-node implementation choices of a backend (e.g. the RTL
    folding). `acc` is the accumulator type (weighted ops and average pools), `out` the result type;
    `keras` names the Keras layer the node came from.
    """

    name: str
    op: str
    inputs: list[str]
    shape: tuple  # output shape without the batch axis
    kernel: QWeights | None = None
    bias: QWeights | None = None
    attrs: dict = field(default_factory=dict)
    acc: Fixed | None = None
    out: Fixed | None = None
    keras: str = ""
    impl: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.op not in OPS:
            raise ModelError(f"node {self.name!r}: op {self.op!r} is not one of {', '.join(OPS)}")
        self.shape = tuple(int(s) for s in self.shape)
        self.keras = self.keras or self.name

    @property
    def typed(self) -> bool:
        return self.out is not None and (self.acc is not None or self.op not in WEIGHTED_OPS)


@dataclass
class Graph:
    """A network as integer nodes in topological order: nodes[0] is the input, nodes[-1] the logits."""

    nodes: list[Node]
    classes: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # task, source, preprocess, precision policy, ...
    name: str = "hwgen_net"

    def __post_init__(self):
        self.nodes = list(self.nodes)
        self.by_name: dict[str, Node] = {}
        for node in self.nodes:
            if node.name in self.by_name:
                raise ModelError(f"node {node.name!r} appears twice in the graph")
            unknown = [i for i in node.inputs if i not in self.by_name]
            if unknown:
                raise ModelError(f"node {node.name!r} reads {unknown}, which no earlier node produces")
            self.by_name[node.name] = node
        if not self.nodes or self.nodes[0].op != "input" or any(n.op == "input" for n in self.nodes[1:]):
            raise ModelError("an integer graph has exactly one input node, first")

    @property
    def input(self) -> Node:
        return self.nodes[0]

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    @property
    def input_shape(self) -> tuple:
        return self.input.shape

    @property
    def typed(self) -> bool:
        return all(n.typed for n in self.nodes)

    def require_typed(self) -> None:
        missing = [n.name for n in self.nodes if not n.typed]
        if missing:
            raise ModelError(f"nodes without fixed-point types (run precision inference first): {missing}")

    def node(self, name: str) -> Node:
        try:
            return self.by_name[name]
        except KeyError:
            raise ModelError(f"no layer {name!r} in the graph; layers: {', '.join(self.by_name)}") from None

    def input_types(self, node: Node) -> list[Fixed]:
        return [self.by_name[i].out for i in node.inputs]

    def consumers(self) -> dict[str, list[Node]]:
        out: dict[str, list[Node]] = {n.name: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                out[i].append(n)
        return out

    def identity(self) -> int:
        """64-bit identification hash of the arithmetic: ops, shapes, types, weights and classes.

        Metadata (source paths, measured ranges) does not enter it, so the same model converted twice
        has the same identity; any change to a weight, a type or a class name changes it.
        """
        h = hashlib.sha256()
        h.update(json.dumps({"classes": list(self.classes), "nodes": [_arith(n) for n in self.nodes]},
                            sort_keys=True).encode())
        for n in self.nodes:
            for w in (n.kernel, n.bias):
                if w is not None:
                    h.update(np.ascontiguousarray(w.values, dtype=np.int64).tobytes())
        return int.from_bytes(h.digest()[:8], "little")


def _arith(node: Node) -> dict:
    """What of a node defines its arithmetic (for `Graph.identity`)."""
    attrs = {k: v for k, v in node.attrs.items() if k not in ("range", "bound", "overrides")}
    if "quantizer" in attrs and isinstance(attrs["quantizer"], Fixed):
        attrs["quantizer"] = attrs["quantizer"].hls()
    weights = {k: (w.frac, w.po2_width, list(w.values.shape)) for k, w in (("kernel", node.kernel),
                                                                           ("bias", node.bias)) if w is not None}
    return {"name": node.name, "op": node.op, "inputs": node.inputs, "shape": list(node.shape), "attrs": attrs,
            "acc": node.acc.hls() if node.acc else None, "out": node.out.hls() if node.out else None,
            "weights": weights}


def exact_type(lo: int, hi: int, frac: int, signed: bool | None = None, rounding="TRN", saturation="WRAP") -> Fixed:
    """The narrowest type holding every integer in [lo, hi] on a grid of `frac` fractional bits.

    At least one integer bit is kept (ap_fixed<W,I> with I >= 1 (signed) or >= 0 (unsigned)) so the
    HLS type is always well-formed.
    """
    signed = lo < 0 if signed is None else signed
    width = ops.bits_needed(min(lo, 0), max(hi, 0), signed=signed)
    width = max(width, frac + (1 if signed else 0), 1)
    return Fixed(width, frac, signed, rounding, saturation)
