"""The golden integer model: a graph of `Node`s run in numpy, exactly as the hardware computes.

A `Node` is one hardware layer (a QSeparableConv1D becomes two: `<name>_depthwise` and
`<name>_pointwise`, as in hls4ml). Its integer weights come from `hwgen.golden.keras.from_keras`;
its types (`acc`, `out`) come from `hwgen.hls.precision.infer_precision` or are set by hand.
`GoldenModel.run` evaluates a batch and returns every node's integer output plus, per node, how
many values left their type's range (wrapped or saturated): an overflow is never silent.

Arithmetic per op (see `hwgen.golden.layers`):
- input:   x float -> out (ap_ufixed<8,0,AP_RND_CONV,AP_SAT> by default), one rounding;
- conv / depthwise / dense: exact accumulation on the `acc` grid (WRAP, counted), cast to `out`;
- relu / quant (QActivation): cast to the quantizer's type (RND_CONV, SAT: what hls4ml emits);
- avgpool / gap: exact sum in `acc`, integer division (toward zero) by the window, cast to `out`;
- maxpool, reshape: exact; add / concat: exact sum / parts, cast to `out`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwgen.errors import OverflowDetected
from hwgen.golden import layers as gl
from hwgen.golden import ops
from hwgen.golden.layers import QWeights
from hwgen.golden.ops import Fixed

WEIGHTED_OPS = ("conv", "depthwise", "dense")
OPS = WEIGHTED_OPS + ("input", "relu", "quant", "maxpool", "avgpool", "gap", "add", "concat", "reshape")


@dataclass
class Node:
    """One hardware layer of the integer graph.

    `attrs` holds op parameters (stride, padding, pool, quantizer). `acc` is the accumulator type
    (weighted ops and average pools), `out` the result type; `keras` names the Keras layer the node
    came from and `hls` the hls4ml layer name.
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

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"node {self.name}: op {self.op!r} is not one of {OPS}")
        self.keras = self.keras or self.name


class GoldenModel:
    """Runs a typed integer graph on batches; the single source of truth for the hardware result."""

    def __init__(self, nodes: list[Node], partial: bool = False):
        """`partial`: allow untyped nodes (precision inference runs the graph while it types it)."""
        self.nodes = list(nodes)
        self.by_name = {n.name: n for n in self.nodes}
        missing = [n.name for n in self.nodes if n.out is None or (n.op in WEIGHTED_OPS and n.acc is None)]
        if missing and not partial:
            raise ValueError(f"nodes without types (run infer_precision first): {missing}")
        self.output = self.nodes[-1].name
        self.input_clipped = 0
        self.acc_overflows: dict[str, int] = {}  # of the last run: accumulator wraps only

    @property
    def input_type(self) -> Fixed:
        return self.nodes[0].out

    def run(self, x, strict: bool = False) -> tuple[dict[str, np.ndarray], dict[str, int]]:
        """x: float (batch, *input_shape). Returns ({node: ints (batch, *shape)}, {node: n_overflow}).

        With `strict`, any overflow raises OverflowDetected naming the first layer that overflowed.
        Input values clipped by the input type are counted in `self.input_clipped` instead.
        """
        values: dict[str, np.ndarray] = {}
        overflows: dict[str, int] = {}
        self.acc_overflows = {}
        for node in self.nodes:
            values[node.name], overflows[node.name] = self.run_node(node, x, values)
            if node.op == "input":  # inputs outside [0, 1) clip by design (1.0 -> 255/256): not an overflow
                self.input_clipped, overflows[node.name] = overflows[node.name], 0
            if strict and overflows[node.name]:
                raise OverflowDetected(_overflow_message(node, overflows[node.name], values[node.name].size))
        return values, overflows

    def logits(self, x) -> np.ndarray:
        """Integer outputs of the last node (batch, n_classes); multiply by out.lsb for real values."""
        values, _ = self.run(x)
        return values[self.output]

    def type_of(self, name: str) -> Fixed:
        return self.by_name[name].out

    def run_node(self, node: Node, x, values: dict) -> tuple[np.ndarray, int]:
        """One node on a batch, given its inputs' values (and x for the input node)."""
        if node.op == "input":
            return node.out.quantize(np.asarray(x, dtype=np.float64).reshape((-1,) + tuple(node.shape)))
        args = [values[i] for i in node.inputs]
        types = [self.by_name[i].out for i in node.inputs]
        if node.op == "reshape":
            return args[0].reshape((-1,) + tuple(node.shape)), 0
        if node.op == "add":
            return gl.add(args[0], types[0], args[1], types[1], node.out)
        if node.op == "concat":
            return gl.concatenate(args, types, node.out)
        if node.op in ("relu", "quant"):
            return gl.cast(args[0], types[0], node.out, relu=node.op == "relu")
        acc_counter = [0]
        result = _per_sample(lambda s: _single(node, s, types[0], acc_counter), args[0])
        self.acc_overflows[node.name] = acc_counter[0]
        return result


def _single(node: Node, x, x_type: Fixed, acc_counter: list | None = None) -> tuple[np.ndarray, int]:
    """One sample through a time-structured node; returns (ints, n_overflow) with the result cast.

    Accumulator overflows are also added to `acc_counter[0]` when given.
    """
    a = node.attrs
    acc_counter = acc_counter if acc_counter is not None else [0]
    if a.get("as2d"):  # a 1-D depthwise carried as QDepthwiseConv2D on (time, 1, ch)
        out, n = _single(_as_1d(node), x[:, 0, :], x_type, acc_counter)
        return out[:, None, :], n
    if node.op == "maxpool":
        return gl.max_pool(x, a["pool"], a["stride"]), 0
    if node.op == "avgpool":
        return gl.average_pool(x, x_type, a["pool"], a["stride"], node.acc, node.out)
    if node.op == "gap":
        return gl.global_average_pool(x, x_type, node.acc, node.out)
    if node.op == "dense":
        acc, n_acc = gl.dense(x, x_type, node.kernel, node.bias, node.acc)
    else:
        acc, n_acc = gl.conv(x, x_type, node.kernel, node.bias, node.acc, a.get("stride", 1),
                             a.get("padding", "valid"), depthwise=node.op == "depthwise")
    out, n_out = gl.cast(acc, node.acc, node.out)
    acc_counter[0] += n_acc
    return out, n_acc + n_out


def _as_1d(node: Node) -> Node:
    attrs = {k: v for k, v in node.attrs.items() if k != "as2d"}
    return Node(node.name, node.op, node.inputs, node.shape, node.kernel, node.bias, attrs, node.acc, node.out)


def _per_sample(fn, batch) -> tuple[np.ndarray, int]:
    """Apply a one-sample golden function over a batch (the ops work on one (time, ch) sample)."""
    results = [fn(sample) for sample in batch]
    return np.stack([r[0] for r in results]), int(sum(r[1] for r in results))


def _overflow_message(node: Node, n: int, size: int) -> str:
    kind = "wrapped" if "WRAP" in (node.acc.saturation if node.acc else node.out.saturation) else "saturated"
    return (f"layer {node.keras!r} ({node.op}): {n} of {size} values left their fixed-point range and {kind} "
            f"(acc {node.acc.hls() if node.acc else '-'}, result {node.out.hls()}); widen its types")


def exact_type(lo: int, hi: int, frac: int, signed: bool | None = None, rounding="TRN", saturation="WRAP") -> Fixed:
    """The narrowest type holding every integer in [lo, hi] on a grid of `frac` fractional bits.

    At least one integer bit is kept (ap_fixed<W,I> with I >= 1 (signed) or >= 0 (unsigned)) so the
    HLS type is always well-formed.
    """
    signed = lo < 0 if signed is None else signed
    width = ops.bits_needed(min(lo, 0), max(hi, 0), signed=signed)
    width = max(width, frac + (1 if signed else 0), 1)
    return Fixed(width, frac, signed, rounding, saturation)
