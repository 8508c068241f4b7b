"""Folding: how many values each layer handles per cycle, and the cycle and resource model behind it.

numpy only. A layer's folding is its lanes: SIMD values per input beat and PE per output beat (FINN's
names). For a convolution SIMD = IN_PAR input channels and PE = OUT_PAR output channels are formed
per cycle (K x SIMD x PE products); for a dense layer the same with inputs / outputs; a depthwise
convolution, a cast, a pool, an add or a concatenation keeps the channels per beat (PE = SIMD = PAR).

Cycles per frame (kernels/README.md; `sim/cycle_count.py` measures the conv engine's):

    conv1d_mac / shift_conv1d   max(rows x G_IN, steps x G_IN x G_OUT)   rows: input rows incl. trailing pads
    depthwise_conv1d            rows x G                                  (one window beat a cycle)
    dense                       N_IN/IN_PAR x N_OUT/OUT_PAR
    everything else             its input or output beats, whichever is more (one beat a cycle)

A pipeline of streaming kernels takes its slowest kernel's cycles per frame (the initiation interval)
and, once, the latency of filling it. `choose` picks, layer by layer, the cheapest lanes that keep
every kernel within the target II (default: the input DMA's beats per frame, so the accelerator keeps
up with the stream); a layer folded by hand keeps its lanes. A requantiser or pool takes the fewest
lanes (at most its input's) that keep it at most half busy, not the PE lanes of the layer before it.
Where the multipliers outnumber the part's DSP48s, `fit_dsp` moves the fewest of them into LUTs
(PRODUCT "lut") before a slower folding is tried. Resources come from the fitted
per-product costs in bench/results/kernels.json (`calibration`: fixed + per-product LUT/FF/DSP of
each weighted kernel, scaled by the product's width) and the other kernels' measured costs at their
defaults (scaled by their lanes). They steer the choice; step_synth measures the real design.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from dataclasses import dataclass, replace

from hwgen.errors import HwgenError
from hwgen.graph import ops
from hwgen.graph.cost import node_cost
from hwgen.graph.graph import Graph, Node
from hwgen.paths import REPO_ROOT
from hwgen.rtl.lower import Design, Fold, Folding, Instance, divisors, foldable, stream_shape

CALIBRATION_FILE = REPO_ROOT / "bench" / "results" / "kernels.json"
RESOURCES = ("LUT", "FF", "DSP48E1", "LUTRAM", "CARRY4")
# calibration entries per (kernel, product), and the product width (data bits as signed + weight/shift
# bits) each was measured at
_CALIBRATION = {
    ("conv1d_mac", "mul"): "conv1d_mac (DSP48)", ("shift_conv1d", "shift"): "shift_conv1d",
    ("depthwise_conv1d", "mul"): "depthwise_conv1d mul (DSP48)", ("depthwise_conv1d", "shift"): "depthwise_conv1d shift",
    ("dense", "mul"): "dense mul (DSP48)", ("dense", "shift"): "dense shift",
    # multipliers in LUTs: kernels/weight_product.v's "lut" products, estimated (conservatively) with
    # the fits of the same kernels synthesized without DSP48s (yosys -nodsp)
    ("conv1d_mac", "lut"): "conv1d_mac (LUT mult)", ("depthwise_conv1d", "lut"): "depthwise_conv1d mul (LUT mult)",
    ("dense", "lut"): "dense mul (LUT mult)",
}
_DSP_COST = 40  # LUTs a DSP48E1 is worth when choosing (the part has ~240 LUTs per DSP; DSPs run out first)


# ------------------------------------------------------------------------------------------------ cycles
def conv_rows(t: int, k: int, stride: int, padding: str) -> tuple[int, int]:
    """(rows the line buffer steps through, output steps) of a 1-D convolution over t input steps."""
    before, after = ops.same_padding(t, k, stride) if padding == "same" else (0, 0)
    n_out = (t + before + after - k) // stride + 1
    last_out_row = k - 1 + stride * (n_out - 1)
    rows = max(last_out_row, before + t - 1) - before + 1
    return rows, n_out


def conv_engine_frame_cycles(p: dict) -> dict[str, int]:
    """The two bounds on conv1d_engine's cycles per frame at full rate (p: its HDL parameters).

    input: the embedded line buffer steps one beat a cycle through every row of the frame (the real
    rows and the generated trailing zero rows): rows * CH_IN/IN_PAR cycles.
    issue: every output time step issues (CH_IN/IN_PAR) * (CH_OUT/OUT_PAR) product beats, one a cycle.
    The double-buffered engine runs at max(input, issue) per frame.
    """
    rows, n_out = conv_rows(p["T"], p["K"], p["STRIDE"], p["PADDING"])
    g_in, g_out = p["CH_IN"] // p["IN_PAR"], p["CH_OUT"] // p["OUT_PAR"]
    return {"input": rows * g_in, "issue": n_out * g_in * g_out, "load": n_out * g_in, "steps": n_out}


def instance_cycles(inst: Instance) -> int:
    """Cycles per frame of one kernel instance at full rate."""
    p, k = inst.params, inst.kernel
    if k in ("conv1d_mac", "shift_conv1d"):
        bounds = conv_engine_frame_cycles(p)
        return max(bounds["input"], bounds["issue"])
    if k == "depthwise_conv1d":
        rows, _ = conv_rows(p["T"], p["K"], p["STRIDE"], p["PADDING"])
        return rows * p["CH"] // p["PAR"]
    if k == "dense":
        return (p["N_IN"] // p["IN_PAR"]) * (p["N_OUT"] // p["OUT_PAR"])
    beats = [s.beats for s in inst.inputs + inst.outputs]
    if k == "axis_concat":
        return inst.outputs[0].beats
    if k == "wires":
        return 0
    return max(beats) if beats else 0


def frame_in_cycles(t: int, d: int, in_bits: int, data_width: int, par: int) -> int:
    lane_bits = 8 * -(-in_bits // 8)
    dma_beats = -(-t * d // (data_width // lane_bits))
    return max(dma_beats, t * d // par)


def dma_beats(graph: Graph, data_width: int) -> int:
    t, d = stream_shape(graph.input.shape)
    lane_bits = 8 * -(-graph.input.out.width // 8)
    return -(-t * d // (data_width // lane_bits))


# ------------------------------------------------------------------------------------------------ resources
@functools.lru_cache(maxsize=1)
def calibration() -> dict:
    try:
        return json.loads(CALIBRATION_FILE.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise HwgenError(f"{CALIBRATION_FILE}: the kernels' resource calibration is unreadable ({err}); "
                         "run bench/kernels.py") from None


def _product_width(p: dict, product: str) -> int:
    x_w = p["DATA_W"] + (0 if p.get("DATA_SIGNED", 1) else 1)
    return x_w + (p["MAX_SHIFT"] if product == "shift" else p.get("WEIGHT_W", 8))


def _calibration_width(entry: dict, product: str) -> int:
    params = entry["points"][0]["params"]
    return _product_width(params, product)


def instance_resources(inst: Instance) -> dict[str, float]:
    """Estimated LUT/FF/DSP48E1/LUTRAM/CARRY4 of one instance (see the module doc)."""
    cal = calibration()
    if inst.products:
        entry = cal["calibration"][_CALIBRATION[(inst.kernel, inst.product)]]
        scale = _product_width(inst.params, inst.product) / _calibration_width(entry, inst.product)
        out = {}
        for column in RESOURCES:
            fit = entry["fit"].get(column)
            if fit is None:
                out[column] = 0.0
                continue
            per = fit["per_product"] * (scale if column in ("LUT", "CARRY4") else 1.0)
            out[column] = max(0.0, fit["fixed"] + per * inst.products)
        return out
    if inst.kernel == "wires":
        return dict.fromkeys(RESOURCES, 0.0)
    measured = cal["kernels"].get(inst.kernel)
    if not measured:
        return dict.fromkeys(RESOURCES, 0.0)
    lanes = _lanes(inst.params)
    base_lanes = _lanes(measured.get("params", {})) or 1
    width = max(s.tdata_width for s in inst.inputs + inst.outputs)
    base_width = _default_width(inst.kernel, measured.get("params", {}))
    scale = max(lanes / base_lanes, width / base_width if base_width else 1.0)
    if inst.kernel == "axis_fifo":
        depth = inst.params["DEPTH"]
        if depth == 0:
            return dict.fromkeys(RESOURCES, 0.0)
        scale = width * max(depth, 16) / (8 * 16)
    return {c: float(measured.get(c, 0)) * scale for c in RESOURCES}


def _lanes(params: dict) -> int:
    for key in ("PAR", "OUT_PAR", "N"):
        if isinstance(params.get(key), int):
            return int(params[key])
    return 1


def _default_width(kernel: str, params: dict) -> int:
    w = params.get("DATA_W") or params.get("W") or params.get("WIDTH") or params.get("ACC_W") or 8
    return int(w) * _lanes(params) if kernel not in ("axis_fork", "axis_fifo") else int(w)


def design_resources(design: Design) -> dict:
    """Estimated totals and per-instance figures (the shell's measured cost included)."""
    rows = {inst.name: instance_resources(inst) for inst in design.instances}
    shell = calibration()["kernels"].get("accel_shell", {})
    total = {c: sum(r[c] for r in rows.values()) + float(shell.get(c, 0)) for c in RESOURCES}
    return {"total": {c: round(v) for c, v in total.items()},
            "instances": {n: {c: round(v) for c, v in r.items()} for n, r in rows.items()}}


# ------------------------------------------------------------------------------------------------ choosing
@dataclass(frozen=True)
class Candidate:
    fold: Fold
    cycles: int
    cost: float       # LUTs + DSPs priced in LUTs
    products: int


def _weighted_candidates(node: Node, steps_in: int, x_width: int, product: str) -> list[Candidate]:
    """Every legal (SIMD, PE) of a weighted node with its cycles and estimated cost."""
    w = node.kernel.values
    out = []
    if node.op == "dense":
        n_in, n_out = w.shape
        for simd in divisors(n_in):
            for pe in divisors(n_out):
                products = simd * pe
                out.append(Candidate(Fold(simd, pe), (n_in // simd) * (n_out // pe),
                                     _cost("dense", product, products, x_width), products))
        return out
    k = w.shape[0]
    rows, n_out = conv_rows(steps_in, k, int(node.attrs.get("stride", 1)), node.attrs.get("padding", "valid"))
    if node.op == "depthwise":
        ch = w.shape[1]
        for par in divisors(ch):
            out.append(Candidate(Fold(par, par), rows * ch // par, _cost("depthwise_conv1d", product, k * par, x_width),
                                 k * par))
        return out
    cin, cout = w.shape[1], w.shape[2]
    kernel = "shift_conv1d" if product == "shift" else "conv1d_mac"
    for simd in divisors(cin):
        for pe in divisors(cout):
            g_in, g_out = cin // simd, cout // pe
            products = k * simd * pe
            out.append(Candidate(Fold(simd, pe), max(rows * g_in, n_out * g_in * g_out),
                                 _cost(kernel, product, products, x_width), products))
    return out


def _cost(kernel: str, product: str, products: int, x_width: int) -> float:
    entry = calibration()["calibration"][_CALIBRATION[(kernel, product)]]
    lut = entry["fit"]["LUT"]["per_product"] * products * max(x_width, 2) / 9
    dsp = entry["fit"].get("DSP48E1", {}).get("per_product", 0.0) * products
    return lut + _DSP_COST * dsp


def _stream_par(channels: int, beats_steps: int, target: int, prefer: int) -> int:
    """Lanes of a one-beat-a-cycle kernel: `prefer` when it keeps up, else the fewest that do."""
    if channels % prefer == 0 and beats_steps * channels // prefer <= target:
        return prefer
    for par in divisors(channels):
        if beats_steps * channels // par <= target:
            return par
    return channels


# One-beat-a-cycle stages that may take fewer lanes than the layer before them: a requantiser and
# the pools after a convolution handle its PE lanes a beat, but a pointwise layer's PE lanes come
# out once per G_IN cycles; so many lanes idle most of the time (16 x 44 LUTs for an 8-bit ReLU).
NARROWING_OPS = ("relu", "quant", "maxpool", "avgpool", "gap")


def _narrow_par(channels: int, steps: int, target: int, prefer: int) -> int:
    """The fewest lanes (at most the upstream's `prefer`) keeping the stage at most half busy at the
    target II: busy at most half the time it drains its input's beats faster than they come, so it
    never holds up the kernel before it."""
    for par in divisors(channels):
        if par > prefer:
            break
        if prefer % par == 0 and steps * channels // par <= target // 2:
            return par
    return _stream_par(channels, steps, target, prefer)


def parse_fold(spec: dict, graph: Graph) -> Folding:
    """{layer: [PE, SIMD]} (or [PAR]) by hand -> {layer: Fold}, checked against the layer's channels."""
    out = {}
    for name, value in (spec or {}).items():
        node = graph.by_name.get(name)
        if node is None or not foldable(node):
            names = ", ".join(n.name for n in graph.nodes if foldable(n))
            raise HwgenError(f"--fold {name}: no such layer; layers that fold: {names}")
        values = [int(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
        if not values or len(values) > 2 or any(v < 1 for v in values):
            raise HwgenError(f"--fold {name}={value}: expected PE,SIMD (or one number) of positive integers")
        pe, simd = values[0], values[-1]
        in_ch = _in_channels(graph, node)
        out_ch = _out_channels(node)
        if node.op in ("conv", "dense"):
            if out_ch % pe or in_ch % simd:
                raise HwgenError(f"--fold {name}={pe},{simd}: PE must divide its {out_ch} outputs and SIMD its "
                                 f"{in_ch} inputs (PE: {divisors(out_ch)}, SIMD: {divisors(in_ch)})")
            out[name] = Fold(simd, pe)
        else:
            if pe != simd or in_ch % pe:
                raise HwgenError(f"--fold {name}={value}: a {node.op} layer keeps its channels per beat: give one "
                                 f"number dividing its {in_ch} channels ({divisors(in_ch)})")
            out[name] = Fold(pe, pe)
    return out


def _in_channels(graph: Graph, node: Node) -> int:
    if node.op == "dense":
        return int(node.kernel.values.shape[0])
    if node.op == "input":
        return stream_shape(node.shape)[1]
    return stream_shape(graph.by_name[node.inputs[0]].shape)[1]


def _out_channels(node: Node) -> int:
    return stream_shape(node.shape)[1]


def choose(graph: Graph, target_ii: int, manual: Folding | None = None) -> Folding:
    """The cheapest lanes per layer keeping every kernel within `target_ii` cycles a frame."""
    manual = dict(manual or {})
    folding: Folding = {}
    out_par: dict[str, int] = {}
    for node in graph.nodes:
        if node.op == "reshape":
            src = out_par[node.inputs[0]]
            out_par[node.name] = math.gcd(src, _out_channels(node))
            continue
        if node.name in manual:
            folding[node.name] = manual[node.name]
        elif node.op in ("conv", "depthwise", "dense"):
            src = graph.by_name[node.inputs[0]]
            steps_in = stream_shape(src.shape)[0]
            product = "shift" if node.kernel.is_po2 else "mul"
            cands = _weighted_candidates(node, steps_in, src.out.width + (0 if src.out.signed else 1), product)
            upstream = out_par[src.name]
            ok = [c for c in cands if c.cycles <= target_ii]
            if ok:
                best = min(ok, key=lambda c: (round(c.cost), c.fold.in_par != upstream, c.fold.out_par, c.fold.in_par))
            else:  # the target is out of reach: the fastest, then the cheapest
                fastest = min(c.cycles for c in cands)
                best = min((c for c in cands if c.cycles == fastest), key=lambda c: c.cost)
            folding[node.name] = best.fold
        else:
            steps, channels = stream_shape(graph.by_name[node.inputs[0]].shape) if node.inputs else \
                stream_shape(node.shape)
            prefer = out_par[node.inputs[0]] if node.inputs else 1
            if node.op == "input":
                prefer = channels
                par = _input_par(steps, channels, target_ii)
            elif node.op in NARROWING_OPS:
                par = _narrow_par(channels, steps, target_ii, prefer)
            else:
                par = _stream_par(channels, steps, target_ii, prefer)
                out_steps, out_ch = stream_shape(node.shape)
                if node.op == "concat" and out_steps * out_ch // par > target_ii:
                    par = _stream_par(out_ch, out_steps, target_ii, par)
                    par = math.gcd(par, *[_out_channels(graph.by_name[i]) for i in node.inputs])
            folding[node.name] = Fold(par, par)
        out_par[node.name] = folding[node.name].out_par
    return folding


def fit_dsp(graph: Graph, folding: Folding, budget: int | None, data_width: int,
            manual: Folding | None = None) -> Folding:
    """`folding` with multipliers in LUTs (PRODUCT "lut") in the layers that bring its DSP48 estimate
    within `budget` for the fewest LUT-made products (every subset of up to 12 multiplier layers is
    tried; more: the largest first). Layers folded by hand and power-of-two layers keep theirs."""
    if budget is None:
        return folding
    from hwgen.rtl.lower import lower

    design = lower(graph, folding, data_width)
    dsp = {inst.layer: instance_resources(inst)["DSP48E1"] for inst in design.instances
           if inst.products and inst.product == "mul"}
    excess = sum(dsp.values()) - budget
    if excess <= 0:
        return folding
    movable = sorted((name for name in dsp if name not in (manual or {})), key=lambda n: -dsp[n])
    if len(movable) <= 12:
        subsets = (combo for r in range(1, len(movable) + 1) for combo in itertools.combinations(movable, r))
        fits = [c for c in subsets if sum(dsp[n] for n in c) >= excess]
        chosen = min(fits, key=lambda c: (sum(dsp[n] for n in c), len(c))) if fits else movable
    else:
        chosen, saved = [], 0.0
        for name in movable:
            if saved >= excess:
                break
            chosen.append(name)
            saved += dsp[name]
    return {name: replace(f, lut_mul=True) if name in chosen else f for name, f in folding.items()}


def _input_par(steps: int, channels: int, target: int) -> int:
    for par in divisors(channels):
        if steps * channels // par <= target:
            return par
    return channels


# ------------------------------------------------------------------------------------------------ prediction
def predict(design: Design, data_width: int) -> dict:
    """Predicted cycles: per instance, the II (slowest kernel) and a latency estimate.

    Latency = the slowest kernel's frame plus, for every kernel, the cycles it waits before its first
    output (a window's look-ahead rows of input beats, or a dense layer's whole input), plus the
    output port's 1 + N + 1 beats.
    """
    g = design.graph
    t, d = stream_shape(g.input.shape)
    per = {inst.name: instance_cycles(inst) for inst in design.instances}
    frame_in = frame_in_cycles(t, d, g.input.out.width, data_width, design.core_in.par)
    ii = max([frame_in] + list(per.values()))
    fill = 0
    for inst in design.instances:
        fill += _fill(inst)
    n_classes = design.core_out.channels
    result = n_classes // design.core_out.par + 2 + n_classes
    bottleneck = max(per, key=per.get) if per else "frame_in"
    if frame_in >= per.get(bottleneck, 0):
        bottleneck = "frame_in"
    return {"ii": ii, "latency": ii + fill + result, "bottleneck": bottleneck, "frame_in": frame_in,
            "instances": per}


def _fill(inst: Instance) -> int:
    """Cycles from a kernel's first input beat to its first output beat, roughly (full rate)."""
    p, k = inst.params, inst.kernel
    if k in ("conv1d_mac", "shift_conv1d", "depthwise_conv1d"):
        before = ops.same_padding(p["T"], p["K"], p["STRIDE"])[0] if p["PADDING"] == "same" else 0
        ahead = p["K"] - 1 - before  # real rows read before the first window is complete
        per_row = p["CH_IN"] // p["IN_PAR"] if k != "depthwise_conv1d" else p["CH"] // p["PAR"]
        issue = per_row * (p["CH_OUT"] // p["OUT_PAR"]) if k != "depthwise_conv1d" else 0
        return (ahead + 1) * per_row + issue + 4
    if k == "dense":
        return (p["N_IN"] // p["IN_PAR"]) * (p["N_OUT"] // p["OUT_PAR"])
    if k in ("max_pool1d", "avg_pool1d"):
        return (p["POOL"] - 1) * p["CH"] // p["PAR"] + 3
    if k == "global_avg_pool":
        return (p["T"] - 1) * p["CH"] // p["PAR"] + 4
    return 1 if k not in ("axis_fork",) else 0


def weighted_nodes(graph: Graph) -> list[Node]:
    return [n for n in graph.nodes if n.op in ("conv", "depthwise", "dense")]


def macs(graph: Graph) -> dict[str, int]:
    """MACs per weighted node, from the one cost model (hwgen.graph.cost)."""
    return {n.name: node_cost(n).macs for n in weighted_nodes(graph)}
