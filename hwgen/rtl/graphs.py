"""Small integer graphs built with numpy alone (no Keras), typed by precision inference: the RTL
backend's tests and benchmarks generate them to cover layer types, widths and topologies quickly.

`random_graph(rng, ...)` draws a chain of blocks (conv, depthwise, po2 layers, pools, a residual
add, a concatenation) on a (steps, channels) input with quantized ReLUs between them, global
average pooling and dense logits, every weight an exact integer of the drawn width.
"""

from __future__ import annotations

import numpy as np

from hwgen.graph.check import check, conv_steps
from hwgen.graph.graph import Graph, Node
from hwgen.graph.layers import QWeights
from hwgen.graph.ops import Fixed
from hwgen.graph.precision import PrecisionPolicy, infer_precision

BLOCKS = ("conv", "depthwise", "separable", "pool", "avgpool", "residual", "concat")


class _Builder:
    def __init__(self, rng: np.random.Generator, bits: int, po2: bool):
        self.rng, self.bits, self.po2 = rng, bits, po2
        self.nodes: list[Node] = []
        self.count = 0

    def name(self, base: str) -> str:
        self.count += 1
        return f"{base}{self.count}"

    def shape(self, name: str) -> tuple:
        return next(n.shape for n in self.nodes if n.name == name)

    def weights(self, shape, po2: bool | None = None) -> QWeights:
        po2 = self.po2 if po2 is None else po2
        if po2:
            sign = self.rng.integers(-1, 2, size=shape)
            sign[sign == 0] = 1
            shift = self.rng.integers(0, 4, size=shape)
            return QWeights(sign * (np.int64(1) << shift), 4, po2_width=4, bits=4)
        top = (1 << (self.bits - 1)) - 1
        return QWeights(self.rng.integers(-top - 1, top + 1, size=shape).astype(np.int64), self.bits - 1,
                        bits=self.bits)

    def bias(self, n: int) -> QWeights:
        return QWeights(self.rng.integers(-60, 61, size=n).astype(np.int64), 5, bits=8)

    def add(self, node: Node) -> str:
        self.nodes.append(node)
        return node.name

    def relu(self, x: str) -> str:
        q = Fixed(self.bits, self.bits - 3 if self.bits >= 6 else self.bits - 2, False, "RND_CONV", "SAT")
        return self.add(Node(self.name("relu"), "relu", [x], self.shape(x), attrs={"quantizer": q}))

    def conv(self, x: str, filters: int, k: int, stride: int = 1, padding: str = "same", po2=None) -> str:
        t, c = self.shape(x)
        steps = conv_steps(t, k, stride, padding)
        return self.add(Node(self.name("conv"), "conv", [x], (steps, filters), self.weights((k, c, filters), po2),
                             self.bias(filters), {"stride": stride, "padding": padding}))

    def depthwise(self, x: str, k: int, stride: int = 1, padding: str = "same", bias=True) -> str:
        t, c = self.shape(x)
        steps = conv_steps(t, k, stride, padding)
        return self.add(Node(self.name("dw"), "depthwise", [x], (steps, c), self.weights((k, c)),
                             self.bias(c) if bias else None, {"stride": stride, "padding": padding}))


def random_graph(rng: np.random.Generator, *, steps: int = 12, channels: int = 4, n_classes: int = 3,
                 bits: int = 8, po2: bool = False, blocks=None, n_blocks: int = 2) -> Graph:
    """A typed graph of random blocks (see the module doc); `blocks` picks them by name."""
    b = _Builder(rng, bits, po2)
    x = b.add(Node("x_in", "input", [], (steps, channels)))
    x = b.relu(x) if rng.random() < 0.5 else x
    chosen = list(blocks) if blocks is not None else [str(rng.choice(BLOCKS)) for _ in range(n_blocks)]
    for kind in chosen:
        t, c = b.shape(x)
        k = int(rng.choice([1, 2, 3, 5]))
        if kind == "conv":
            stride = int(rng.choice([1, 1, 2])) if t >= 6 else 1
            padding = str(rng.choice(["same", "valid"])) if t >= k + 2 else "same"
            x = b.relu(b.conv(x, int(rng.choice([2, 4, 6])), k, stride, padding))
        elif kind == "depthwise":
            stride = int(rng.choice([1, 2])) if t >= 6 else 1
            x = b.relu(b.depthwise(x, k, stride))
        elif kind == "separable":
            d = b.depthwise(x, k, bias=False)
            x = b.relu(b.conv(d, int(rng.choice([2, 4])), 1, padding="valid"))
        elif kind in ("pool", "avgpool") and t >= 4:
            pool = int(rng.choice([2, 3]))
            op = "maxpool" if kind == "pool" else "avgpool"
            x = b.add(Node(b.name(op), op, [x], (t // pool, c), attrs={"pool": pool, "stride": pool}))
            if op == "avgpool":
                x = b.relu(x)
        elif kind == "residual":
            h = b.relu(b.conv(x, 2 * c, 1))
            h = b.relu(b.depthwise(h, 3))
            h = b.conv(h, c, 1)
            s = b.add(Node(b.name("add"), "add", [x, h], (t, c)))
            x = b.relu(s)
        elif kind == "concat":
            p = b.relu(b.conv(x, c, 1))
            q = b.relu(b.depthwise(p, 3))
            x = b.add(Node(b.name("cat"), "concat", [p, q], (t, 2 * c)))
    t, c = b.shape(x)
    x = b.add(Node("gap", "gap", [x], (c,), attrs={"steps": t}))
    b.add(Node("logits", "dense", [x], (n_classes,), b.weights((c, n_classes), po2=po2), b.bias(n_classes)))
    graph = Graph(b.nodes, classes=[f"c{i}" for i in range(n_classes)], name="random")
    check(graph)
    calib = rng.random((16, steps, channels))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        infer_precision(graph, calib, PrecisionPolicy(intermediate_width=12))
    return graph
