"""Precision inference: every accumulator and result type of the integer graph, chosen so that no
layer can overflow on in-range inputs.

Rounding, QKeras versus hardware. QKeras' quantized_relu(b, i) and quantized_bits(b, i) compute
clip(round(x * 2^f) / 2^f) with tf.round, which rounds half to even; hls4ml maps them to
ap_(u)fixed<b, i(+1), AP_RND_CONV, AP_SAT>, the same rounding (AP_RND_CONV = half to even) and the
same clipping, and hwgen keeps those types. hwgen's own intermediate types use RND_CONV and SAT too.
Where Keras and the hardware can still differ (measured: argmax agreement >= 99 % on the zoo):
- Keras sums products in float32 (24-bit mantissa); the hardware sums exactly. A pre-activation
  within float32 error of a rounding tie can land one LSB apart after the quantizer.
- Values Keras keeps in float (the depthwise half of a separable conv, a linear projection before an
  Add, a pooled vector feeding the logits) are rounded to `intermediate_width` bits in hardware.
- hls4ml's power-of-two product casts the input to ap_fixed<2(We+Wx), We+Wx> before shifting, so a
  shift right past its fractional bits drops bits (a floor); Keras multiplies exactly. The golden
  model computes the hardware's floor, and conversion warns for each layer where it can happen.
- Inputs: the zoo's quantized_relu(8, 0) input quantizer equals the hardware input type
  ap_ufixed<8,0,AP_RND_CONV,AP_SAT> (1.0 saturates to 255/256 in both).

Rules (hwgen's defaults):
- input: ap_ufixed<8,0,AP_RND_CONV,AP_SAT> (inputs are in [0, 1]; 1.0 saturates to 255/256, as the
  zoo's quantized_relu(8, 0) input quantizer does);
- accumulators (conv, depthwise, dense, pools): EXACT. Width from the worst-case bound over every
  input the input type can hold and the actual integer weights; fractional bits = those of the
  products (po2 layers included: this is the accumulator hls4ml leaves at its default fixed<16,6>).
  Average pools (and global average pooling) get log2(n) extra fractional bits so a power-of-two
  average is exact: the "GAP accumulator too narrow" trap cannot happen;
- a weighted layer followed only by QActivations keeps its exact accumulator as result, so the one
  rounding is the activation's quantizer (AP_RND_CONV, AP_SAT = QKeras' round-half-to-even and clip);
- the last layer (logits) keeps its exact accumulator: no softmax and no rounding before the argmax;
- other intermediate results (the depthwise half of a separable conv, a linear projection, an average
  pool feeding a dense layer) get `intermediate_width` bits, integer bits from the range measured on
  calibration data plus `headroom_bits`, never more than the worst case, RND_CONV and SAT; exact
  when the exact type is no wider;
- max pooling, reshapes, Add and Concatenate are exact.

Users can force any type per node (`overrides`): a type narrower than the inferred one is applied
with a warning naming the layer and its measured range, and the golden model then counts every
wrapped or saturated value.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from hwgen.errors import ModelError
from hwgen.graph.execute import accumulate, evaluate_node
from hwgen.graph.graph import WEIGHTED_OPS, Graph, Node, exact_type
from hwgen.graph.layers import QWeights, po2_is_exact, product_frac
from hwgen.graph.ops import Fixed

DEFAULT_INPUT = Fixed(8, 8, signed=False, rounding="RND_CONV", saturation="SAT")
QUANTIZING_OPS = ("relu", "quant")


@dataclass
class PrecisionPolicy:
    """Knobs of precision inference. `overrides`: {node name: {"accum"|"result": "ap_fixed<W,I,...>"}}."""

    input: Fixed = DEFAULT_INPUT
    intermediate_width: int = 16
    headroom_bits: int = 1
    exact_shifts: bool = True  # widen po2 exponent fields so hls4ml's shift products drop no bits
    overrides: dict = field(default_factory=dict)


def infer_precision(graph: Graph, calib_x, policy: PrecisionPolicy | None = None) -> list[str]:
    """Fill `acc` and `out` of every node in place, running the calibration data through as it goes.

    Returns the warnings (also issued with `warnings.warn`). Each node's `attrs["range"]` gets the
    measured real range of its pre-rounding values, and `attrs["bound"]` the worst-case range; the
    policy is recorded in `graph.meta["precision_policy"]`.
    """
    policy = policy or PrecisionPolicy()
    nodes = graph.nodes
    apply_overrides(nodes, policy.overrides)
    consumers = _consumers(nodes)
    values: dict[str, np.ndarray] = {}
    notes: list[str] = []
    for index, node in enumerate(nodes):
        ins = [graph.by_name[i] for i in node.inputs]
        _choose_types(node, ins, values, consumers[node.name], index == len(nodes) - 1, policy, notes)
        values[node.name], _, _ = evaluate_node(node, [i.out for i in ins], [values[i.name] for i in ins], calib_x)
    graph.meta["precision_policy"] = policy_to_json(policy)
    graph.meta["calibration_examples"] = int(len(calib_x))
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return notes


def _consumers(nodes) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {n.name: [] for n in nodes}
    for n in nodes:
        for i in n.inputs:
            out[i].append(n.op)
    return out


def _choose_types(node: Node, ins: list[Node], values, consumer_ops, last, policy, notes):
    if node.op == "input":
        node.out = policy.input
        node.attrs["range"] = node.attrs["bound"] = (0.0, 1.0)
        return
    x_type = ins[0].out
    if node.kernel is not None and node.kernel.is_po2 and policy.exact_shifts:
        node.kernel = _exact_exponent_width(node.kernel, x_type)
    if node.kernel is not None and node.kernel.is_po2 and not po2_is_exact(x_type, node.kernel):
        notes.append(f"layer {node.name!r}: hls4ml's shift product ap_fixed<{2 * (node.kernel.po2_width + x_type.width)},"
                     f"{node.kernel.po2_width + x_type.width}> drops input bits for its smallest exponent "
                     f"(2^{int(node.kernel.exponents()[1].min())}); the golden model truncates the same way")
    if node.op in WEIGHTED_OPS or node.op in ("avgpool", "gap"):
        acc, lo_hi = exact_accumulator(node, x_type)
        node.attrs["bound"] = (acc.to_float(lo_hi[0]), acc.to_float(lo_hi[1]))
        node.attrs["range"] = _measured(node, ins, values, acc)
        node.acc = _override(node, "accum", acc, notes)
        if node.acc.frac < acc.frac and node.op in WEIGHTED_OPS:
            raise ModelError(f"layer {node.name!r}: a forced accumulator needs >= {acc.frac} fractional bits "
                             f"(the products'), got {node.acc.hls()}")
        exact_only = last or (consumer_ops and all(op in QUANTIZING_OPS for op in consumer_ops))
        out = node.acc if exact_only else _intermediate(node.acc, node.attrs["range"], node.attrs["bound"], policy)
    elif node.op in QUANTIZING_OPS:
        quantizer = node.attrs.get("quantizer")
        lo, hi = x_type.to_float(values[ins[0].name].min()), x_type.to_float(values[ins[0].name].max())
        node.attrs["range"] = (max(lo, 0.0), max(hi, 0.0)) if node.op == "relu" else (lo, hi)
        node.attrs["bound"] = node.attrs["range"]
        if quantizer is None:  # a float ReLU: an unsigned intermediate
            base = Fixed(x_type.width, x_type.frac, False, "RND_CONV", "SAT")
            quantizer = _intermediate(base, node.attrs["range"], node.attrs["range"], policy)
        out = quantizer
    elif node.op in ("maxpool", "reshape"):
        out = x_type
        node.attrs["range"], node.attrs["bound"] = ins[0].attrs.get("range"), ins[0].attrs.get("bound")
    elif node.op == "add":
        frac = max(t.out.frac for t in ins)
        lo = sum(_align_int(t.out.min_int, t.out.frac, frac) for t in ins)
        hi = sum(_align_int(t.out.max_int, t.out.frac, frac) for t in ins)
        out = exact_type(lo, hi, frac, rounding="RND_CONV", saturation="SAT")
        node.attrs["bound"] = (out.to_float(lo), out.to_float(hi))
        node.attrs["range"] = node.attrs["bound"]
    elif node.op == "concat":
        frac = max(t.out.frac for t in ins)
        lo = min(_align_int(t.out.min_int, t.out.frac, frac) for t in ins)
        hi = max(_align_int(t.out.max_int, t.out.frac, frac) for t in ins)
        out = exact_type(lo, hi, frac, rounding="RND_CONV", saturation="SAT")
        node.attrs["bound"] = node.attrs["range"] = (out.to_float(lo), out.to_float(hi))
    else:
        raise ModelError(f"layer {node.name!r}: no precision rule for op {node.op!r}")
    node.out = _override(node, "result", out, notes)


def _exact_exponent_width(kernel: QWeights, x_type: Fixed) -> QWeights:
    """The exponent field width that makes ap_fixed<2(We+Wx), We+Wx> hold every shifted input exactly."""
    _, exps = kernel.exponents()
    need = x_type.frac + max(0, -int(exps.min())) - x_type.width
    return replace(kernel, po2_width=max(kernel.po2_width, need))


def _align_int(q: int, frac: int, to_frac: int) -> int:
    return int(q) << (to_frac - frac)


def exact_accumulator(node: Node, x_type: Fixed) -> tuple[Fixed, tuple[int, int]]:
    """Exact accumulator type and its worst-case integer range for inputs anywhere in `x_type`."""
    x_lo, x_hi = x_type.to_float(x_type.min_int), x_type.to_float(x_type.max_int)
    if node.op in ("avgpool", "gap"):
        n = node.attrs["pool"] if node.op == "avgpool" else _steps(node)
        frac = x_type.frac + math.ceil(math.log2(n)) if n > 1 else x_type.frac
        lo, hi = x_type.min_int * n << (frac - x_type.frac), x_type.max_int * n << (frac - x_type.frac)
        return exact_type(lo, hi, frac, signed=x_type.signed), (lo, hi)
    w = node.kernel.values * 2.0 ** -node.kernel.frac
    axes = tuple(range(w.ndim - 1))  # every axis but the output channel
    hi_real = np.maximum(w * x_hi, w * x_lo).sum(axis=axes)
    lo_real = np.minimum(w * x_hi, w * x_lo).sum(axis=axes)
    taps = int(np.prod([w.shape[a] for a in axes]))
    frac = product_frac(x_type, node.kernel)
    if node.bias is not None:
        b = node.bias.values * 2.0 ** -node.bias.frac
        hi_real, lo_real = hi_real + b, lo_real + b
        frac = max(frac, node.bias.frac)
    margin = taps if node.kernel.is_po2 else 0  # truncated shift products: at most one LSB each
    lo = math.floor(float(lo_real.min()) * 2.0**frac) - margin
    hi = math.ceil(float(hi_real.max()) * 2.0**frac) + margin
    return exact_type(lo, hi, frac), (lo, hi)


def _steps(node: Node) -> int:
    return int(node.attrs["steps"])


def _measured(node: Node, ins, values, acc: Fixed) -> tuple[float, float]:
    """Real range of the node's exact pre-rounding values on the calibration data."""
    x, x_type = values[ins[0].name], ins[0].out
    if node.op in ("avgpool", "gap"):
        return x_type.to_float(x.min()), x_type.to_float(x.max())  # an average stays within its inputs
    lo, hi = np.inf, -np.inf
    for sample in x:
        a, _ = accumulate(node, sample, x_type, acc)
        lo, hi = min(lo, int(a.min())), max(hi, int(a.max()))
    return acc.to_float(lo), acc.to_float(hi)


def _intermediate(exact: Fixed, measured, bound, policy: PrecisionPolicy) -> Fixed:
    """A `policy.intermediate_width`-bit result covering the measured range (+ headroom), RND_CONV, SAT."""
    signed = exact.signed
    mag = max(abs(measured[0]), abs(measured[1]), 2.0**-exact.frac)
    integer = max(math.floor(math.log2(mag)) + 1 + policy.headroom_bits, 1 - exact.frac)
    bound_mag = max(abs(bound[0]), abs(bound[1]), 2.0**-exact.frac)
    integer = min(integer, math.floor(math.log2(bound_mag)) + 1)
    integer += 1 if signed else 0
    width = policy.intermediate_width
    frac = width - integer
    if frac >= exact.frac:  # the exact type is no wider
        return Fixed(exact.width, exact.frac, signed, "RND_CONV", "SAT")
    return Fixed(width, frac, signed, "RND_CONV", "SAT")


def _override(node: Node, key: str, inferred: Fixed, notes: list[str]) -> Fixed:
    forced = node_override(node, key)
    if forced is None:
        return inferred
    lo, hi = node.attrs.get("range", (None, None))
    narrower = forced.integer < inferred.integer or forced.frac < inferred.frac
    if narrower:
        notes.append(f"layer {node.name!r}: forced {key} {forced.hls()} is narrower than the inferred "
                     f"{inferred.hls()} (measured range [{lo:.6g}, {hi:.6g}]); overflows will be counted")
    return forced


def node_override(node: Node, key: str) -> Fixed | None:
    spec = node.attrs.get("overrides", {}).get(key)
    return parse_type(spec) if spec else None


def apply_overrides(nodes: list[Node], overrides: dict) -> None:
    """Attach user overrides ({layer: {"accum"|"result": type}}) to nodes, named as the layer report names them.

    A separable conv is two nodes (`<layer>_depthwise`, `<layer>_pointwise`): its Keras name is refused, listing
    them; so is a BatchNormalization folded into the layer before it.
    """
    by_name = {n.name: n for n in nodes}
    for name in overrides:
        if name in by_name:
            continue
        parts = [n.name for n in nodes if n.keras == name]
        folded_into = [n.name for n in nodes if n.attrs.get("folded") == name]
        if len(parts) > 1:
            raise ModelError(f"precision override: layer {name!r} is two nodes ({', '.join(parts)}) with a type "
                             "each; name one of them")
        if folded_into:
            raise ModelError(f"precision override: {name!r} is a BatchNormalization folded into {folded_into[0]!r}; "
                             f"set {folded_into[0]!r}'s types")
        raise ModelError(f"precision overrides name unknown layer {name!r}; layers: "
                         f"{', '.join(n.name for n in nodes if n.op != 'input')}")
    for node in nodes:
        spec = overrides.get(node.name)
        if spec:
            bad = set(spec) - {"accum", "result"}
            if bad:
                raise ModelError(f"layer {node.name!r}: override keys {sorted(bad)}; use 'accum' and/or 'result'")
            node.attrs["overrides"] = dict(spec)


_TYPE = re.compile(r"^(?:ap_)?(u?)fixed<\s*(\d+)\s*,\s*(-?\d+)\s*(?:,\s*(?:AP_)?(\w+)\s*)?(?:,\s*(?:AP_)?(\w+)\s*)?>$")


def parse_type(spec: str | Fixed) -> Fixed:
    """'ap_fixed<16,6,AP_RND_CONV,AP_SAT>' / 'fixed<16,6>' / 'ufixed<8,0,RND,SAT>' -> Fixed."""
    if isinstance(spec, Fixed):
        return spec
    match = _TYPE.match(str(spec).strip())
    if not match:
        raise ModelError(f"precision {spec!r} is not a type like ap_fixed<16,6> or ap_ufixed<8,0,AP_RND_CONV,AP_SAT>")
    unsigned, width, integer, rounding, saturation = match.groups()
    try:
        return Fixed(int(width), int(width) - int(integer), not unsigned, rounding or "TRN", saturation or "WRAP")
    except ValueError as err:
        raise ModelError(f"precision {spec!r}: {err}") from err


def policy_to_json(policy: PrecisionPolicy) -> dict:
    return {"input": asdict(policy.input), "intermediate_width": policy.intermediate_width,
            "headroom_bits": policy.headroom_bits, "exact_shifts": policy.exact_shifts,
            "overrides": policy.overrides}
