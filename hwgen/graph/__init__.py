"""The integer graph, the hub of hwgen: every view of a network is generated from it and checked against it.

numpy only, never TensorFlow (a test imports it in a fresh interpreter and checks). Modules:

    ops        integer primitives (rounding, saturation, exact convolution sums): the arithmetic, once
    layers     one layer of one sample, as the hardware computes it (QWeights, conv, dense, pools, add, ...)
    graph      Node, Graph, exact_type; the graph's identity hash
    check      shape / weight / type consistency (run on every load and export)
    precision  precision inference: every accumulator and result type (backend-independent)
    execute    the executor: outputs plus overflow and clipping counts
    cost       the one cost model: MACs, shifts, weights, zero weights, weight bits
    io         graph.json + weights.npz

    >>> from hwgen.graph import load, execute
    >>> graph = load("build/lung/graph")
    >>> run = execute(graph, x)          # run.logits, run.overflows
"""

from hwgen.graph.execute import Execution, execute
from hwgen.graph.graph import OPS, WEIGHTED_OPS, Graph, Node, exact_type
from hwgen.graph.io import load, save
from hwgen.graph.layers import QWeights
from hwgen.graph.ops import Fixed

__all__ = ["Execution", "Fixed", "Graph", "Node", "OPS", "QWeights", "WEIGHTED_OPS", "exact_type", "execute",
           "load", "save"]
