"""The one cost model of a network, counted on the integer graph: MACs, shifts, weights, zero weights, bits.

Every report reads it: `hwgen train`'s metrics.json, the hls4ml layer report, the benchmarks and the RTL
folding. Nothing here estimates hardware; it counts what the network asks for.

Per node (one input example):
- `macs`: multiply-accumulates the layer's arithmetic defines (positions x weights per position);
- `shift_macs`: of those, products of power-of-two weights (a shift, no multiplier);
- `nonzero_macs`: products whose weight is not zero (what a design that skips zeros performs);
- `weights`, `zero_weights`, `biases`: counts; `weight_bits`: storage at each weight's declared width
  (the quantizer's bits), biases included.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from hwgen.graph.graph import WEIGHTED_OPS, Graph, Node


@dataclass(frozen=True)
class NodeCost:
    name: str
    op: str
    macs: int = 0
    shift_macs: int = 0
    nonzero_macs: int = 0
    weights: int = 0
    zero_weights: int = 0
    biases: int = 0
    weight_bits: int = 0

    @property
    def params(self) -> int:
        return self.weights + self.biases


TOTAL_KEYS = ("macs", "shift_macs", "nonzero_macs", "weights", "zero_weights", "biases", "weight_bits")


def output_positions(node: Node) -> int:
    """Output positions a weighted node evaluates its weights at: time steps (1 for dense)."""
    if node.op == "dense":
        return 1
    return int(node.shape[0])


def node_cost(node: Node) -> NodeCost:
    if node.op not in WEIGHTED_OPS:
        return NodeCost(node.name, node.op)
    w = np.asarray(node.kernel.values)
    positions = output_positions(node)
    nonzero = int(np.count_nonzero(w))
    macs = positions * int(w.size)
    bias = node.bias
    weight_bits = int(w.size) * node.kernel.storage_bits
    if bias is not None:
        weight_bits += int(bias.values.size) * bias.storage_bits
    return NodeCost(node.name, node.op, macs=macs, shift_macs=macs if node.kernel.is_po2 else 0,
                    nonzero_macs=positions * nonzero, weights=int(w.size), zero_weights=int(w.size) - nonzero,
                    biases=int(bias.values.size) if bias is not None else 0, weight_bits=weight_bits)


def graph_cost(graph: Graph) -> dict:
    """{"layers": [per-node dicts], "totals": {...}} for a graph (typed or not)."""
    rows = [node_cost(n) for n in graph.nodes]
    totals = {k: int(sum(getattr(r, k) for r in rows)) for k in TOTAL_KEYS}
    totals["params"] = totals["weights"] + totals["biases"]
    totals["sparsity"] = round(totals["zero_weights"] / totals["weights"], 6) if totals["weights"] else 0.0
    return {"layers": [asdict(r) | {"params": r.params} for r in rows], "totals": totals}


def summary(graph: Graph) -> dict:
    """The headline figures runs and benchmarks report: params, MACs, shift MACs, weight bits, zero weights."""
    t = graph_cost(graph)["totals"]
    return {k: t[k] for k in ("params", "macs", "shift_macs", "nonzero_macs", "weight_bits", "zero_weights")}
