"""The per-layer report of a conversion: types, MACs, shifts, weight memory, and ESTIMATES.

Counted exactly (the integer graph's cost model, `hwgen.graph.cost`, the same count `hwgen train`
reports): shapes, weight/accumulator/result types, MACs, multiplications replaced by shifts (MACs of
power-of-two layers), weight memory in bits at the quantizers' declared widths.

ESTIMATED (a first-order model, not a synthesis result; Vivado/Vitis reports are the truth):
- multipliers per layer = ceil(non-zero weights / reuse factor) (hls4ml unrolls a layer's weights
  over one output position, divided by the reuse factor); a multiplier is a DSP48 when both operands
  are wider than 4 bits, else LUTs (~ a*b/2); a shift by a constant exponent costs no DSP and no LUT
  (wiring), only its add;
- LUTs: the multipliers' LUTs plus one accumulator-wide adder per multiplier (acc width LUTs);
- BRAM18: weights move to BRAM under the Resource strategy or when reuse > 1 (ceil(bits / 18 Kib)),
  plus the line buffer of a convolution ((k - 1) * channels * input bits) when it exceeds 1 Kib;
- latency cycles (io_stream): a convolution accepts one time step per `reuse` cycles after a
  pipeline depth of ~log2(taps) + 3; layers run as a dataflow pipeline, so the interval between
  inputs is the slowest layer's and the latency is the sum of the layers' depths plus that interval
  times the time steps. io_parallel: every layer once, sum of reuse + depth.
"""

from __future__ import annotations

import math

import numpy as np

from hwgen.graph.cost import node_cost, output_positions
from hwgen.graph.graph import WEIGHTED_OPS, Graph, Node, exact_type
from hwgen.hls.config import reuse_of, strategy_of

BRAM18_BITS = 18 * 1024
DSP_MIN_OPERAND_BITS = 5


def layer_report(graph: Graph, hls_config: dict, settings: dict, board) -> dict:
    """Report dict: {"layers": [...], "totals": {...}, "board": ..., "estimate_note": ...}."""
    rows = [_row(node, graph, hls_config) for node in graph.nodes]
    io_type = settings["io_type"]
    totals = {k: sum(r[k] for r in rows) for k in ("macs", "shift_macs", "weight_bits", "est_dsp", "est_lut",
                                                     "est_bram18")}
    totals.update(_latency(rows, io_type))
    totals["est_latency_us"] = round(totals["est_latency_cycles"] / board.clock_mhz, 3)
    res = board.resources
    totals["est_fitting_reuse"] = fitting_reuse(graph, res)
    totals["est_utilisation"] = {
        "dsp": round(totals["est_dsp"] / res["dsp"], 4), "lut": round(totals["est_lut"] / res["lut"], 4),
        "bram18": round(totals["est_bram18"] / res["bram18"], 4),
    }
    return {
        "board": board.name, "part": board.part, "clock_mhz": board.clock_mhz, "io_type": io_type,
        "strategy": settings["strategy"], "reuse": settings["reuse"],
        "estimate_note": "est_* fields are ANALYTIC ESTIMATES (see hwgen.hls.report), not synthesis results",
        "layers": rows, "totals": totals,
    }


def _row(node: Node, graph: Graph, hls_config: dict) -> dict:
    in_shape = list(graph.by_name[node.inputs[0]].shape) if node.inputs else []
    cost = node_cost(node)
    row = {
        "layer": node.name, "keras_layer": node.keras, "op": node.op, "in_shape": in_shape,
        "out_shape": list(node.shape), "weight": _weight_type(node), "accum": node.acc.hls() if node.acc else "",
        "result": node.out.hls(), "measured_range": _range(node.attrs.get("range")),
        "macs": cost.macs, "shift_macs": cost.shift_macs, "weight_bits": cost.weight_bits,
        "reuse": reuse_of(hls_config, node), "strategy": strategy_of(hls_config, node),
        "est_dsp": 0, "est_lut": 0, "est_bram18": 0, "est_depth_cycles": 1, "est_interval_cycles": 1,
    }
    if node.op in WEIGHTED_OPS:
        row.update(_weighted(node, graph, row["reuse"], row["strategy"]))
    else:
        row["est_interval_cycles"] = max(int(in_shape[0]) if in_shape and node.op != "dense" else 1, 1)
        row["est_lut"] = int(node.out.width * (node.shape[-1] if node.shape else 1)) if node.op != "reshape" else 0
        row["est_depth_cycles"] = 2 if node.op != "reshape" else 0
    return row


def _weighted(node: Node, graph: Graph, reuse: int, strategy: str) -> dict:
    """The estimates of one weighted layer (hls4ml's storage widths: po2 as sign + exponent field)."""
    x_type = graph.by_name[node.inputs[0]].out
    w = node.kernel.values
    positions = output_positions(node)
    nonzero = int(np.count_nonzero(w))
    mults = math.ceil(nonzero / reuse)
    w_bits = (1 + node.kernel.po2_width) if node.kernel.is_po2 else node.kernel.storage_bits
    stored_bits = int(w.size) * w_bits + (int(node.bias.values.size) * node.bias.storage_bits if node.bias else 0)
    if node.kernel.is_po2:
        dsp, lut_mult = 0, 0  # a shift by a constant is wiring; the sign folds into the adder
    elif min(x_type.width, w_bits) >= DSP_MIN_OPERAND_BITS:
        dsp, lut_mult = mults, 0
    else:
        dsp, lut_mult = 0, mults * (x_type.width * w_bits) // 2
    lut = lut_mult + mults * node.acc.width
    bram = 0
    if strategy == "Resource" or reuse > 1:
        bram += math.ceil(stored_bits / BRAM18_BITS)
    if node.op != "dense":
        kernel = int(w.shape[0])
        line_bits = (kernel - 1) * int(x_type.width) * int(w.shape[1] if w.ndim > 1 else 1)
        bram += math.ceil(line_bits / BRAM18_BITS) if line_bits > 1024 else 0
    per_position = int(w.size)
    taps = per_position // (int(w.shape[-1]) if node.op != "depthwise" else 1)
    depth = math.ceil(math.log2(max(taps, 2))) + 3
    return {
        "est_dsp": dsp, "est_lut": int(lut), "est_bram18": bram,
        "est_depth_cycles": depth + reuse, "est_interval_cycles": reuse * (positions if node.op != "dense" else 1),
    }


def fitting_reuse(graph: Graph, resources: dict, candidates=(1, 2, 4, 8, 16, 32, 64, 128, 256)) -> int | None:
    """The smallest uniform reuse factor whose estimated DSP and LUT fit the board (None: none does).

    It needs only the typed integer graph, so conversion can choose before writing the project."""
    weighted = [n for n in graph.nodes if n.op in WEIGHTED_OPS]
    fixed_lut = sum(int(n.out.width * (n.shape[-1] if n.shape else 1)) for n in graph.nodes
                    if n.op not in WEIGHTED_OPS and n.op != "reshape")
    for reuse in candidates:
        rows = [_weighted(n, graph, reuse, "Latency") for n in weighted]
        if (sum(r["est_dsp"] for r in rows) <= resources["dsp"]
                and sum(r["est_lut"] for r in rows) + fixed_lut <= resources["lut"]):
            return reuse
    return None


def _latency(rows: list[dict], io_type: str) -> dict:
    if io_type == "io_parallel":
        cycles = sum(r["est_depth_cycles"] + (r["reuse"] if r["macs"] else 0) for r in rows)
        return {"est_latency_cycles": int(cycles), "est_interval_cycles": int(max(r["reuse"] for r in rows))}
    interval = max(r["est_interval_cycles"] for r in rows)
    depth = sum(r["est_depth_cycles"] for r in rows)
    return {"est_latency_cycles": int(depth + interval), "est_interval_cycles": int(interval)}


def _weight_type(node: Node) -> str:
    if node.kernel is None:
        return ""
    if node.kernel.is_po2:
        sign, exps = node.kernel.exponents()
        return f"exponent<1+{node.kernel.po2_width}> (2^{int(exps.min())}..2^{int(exps.max())})"
    lo, hi = node.kernel.bounds()
    return exact_type(lo, hi, node.kernel.frac, signed=True).hls()


def _range(r) -> list | None:
    if not r or r[0] is None:
        return None
    return [round(float(r[0]), 6), round(float(r[1]), 6)]


def print_table(report: dict, console=None) -> None:
    """The per-layer table (rich), with the estimate columns marked."""
    from rich.table import Table

    console = console or wide_console()
    t = report["totals"]
    table = Table(title=f"hwgen layer report: {report['board']} ({report['part']}, {report['clock_mhz']:g} MHz, "
                        f"{report['io_type']}, {report['strategy']})", show_lines=False)
    for col in ("layer", "op", "out shape", "weight", "accum", "result", "MACs", "shifts", "weight bits",
                "reuse", "DSP*", "LUT*", "BRAM18*", "cycles*"):
        table.add_column(col, justify="right" if col[0].isupper() or col in ("reuse", "shifts", "cycles*",
                                                                               "weight bits") else "left")
    for r in report["layers"]:
        table.add_row(r["layer"], r["op"], "x".join(map(str, r["out_shape"])), _short(r["weight"]), _short(r["accum"]),
                      _short(r["result"]), f"{r['macs']:,}", f"{r['shift_macs']:,}", f"{r['weight_bits']:,}",
                      str(r["reuse"]), str(r["est_dsp"]), f"{r['est_lut']:,}", str(r["est_bram18"]),
                      str(r["est_interval_cycles"]))
    table.add_row("TOTAL", "", "", "", "", "", f"{t['macs']:,}", f"{t['shift_macs']:,}", f"{t['weight_bits']:,}", "",
                  str(t["est_dsp"]), f"{t['est_lut']:,}", str(t["est_bram18"]), str(t["est_latency_cycles"]),
                  style="bold")
    console.print(table)
    u = t["est_utilisation"]
    over = [k for k, v in u.items() if v > 1]
    if over:
        fit = t.get("est_fitting_reuse")
        hint = f" (estimated to fit from --reuse {fit})" if fit else ""
        console.print(f"[yellow]the estimate exceeds the board's {', '.join(over)}: raise the reuse factor{hint} "
                      "(--reuse N, or per layer --layer NAME:ReuseFactor=N) or use --strategy Resource[/]")
    console.print(f"* ESTIMATES, not synthesis: latency ~{t['est_latency_cycles']:,} cycles "
                  f"({t['est_latency_us']} us), one input every ~{t['est_interval_cycles']:,} cycles; "
                  f"DSP {u['dsp']:.1%}, LUT {u['lut']:.1%}, BRAM18 {u['bram18']:.1%} of {report['board']}.")


def wide_console():
    """A rich console; 170 columns when writing to a file or a CI log so the layer table is not cut."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=170)


def _short(text: str) -> str:
    return (text.replace("ap_fixed", "fixed").replace("ap_ufixed", "ufixed").replace("AP_", "")
            .replace(",RND_CONV,SAT", ",RC,S"))
