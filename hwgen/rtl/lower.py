"""Lowering: a typed integer graph -> a dataflow of kernels/*.v instances with their HDL parameters.

numpy only. The result (`Design`) is what `hwgen.rtl.emit` writes as Verilog and what
`hwgen.rtl.fold` prices; nothing here decides the folding (the lane counts come in as `Folding`).

Every graph node becomes one or more kernel instances, in graph order:

    conv        conv1d_mac (integer weights) or shift_conv1d (power-of-two weights), exact accumulators;
                + requant_relu to the node's result type when it is not the accumulator itself
    depthwise   depthwise_conv1d (PRODUCT "mul" or "shift"), + requant_relu as conv
    dense       dense (PRODUCT "mul" or "shift"), + requant_relu as conv
    relu/quant  requant_relu: ReLU (relu) and the cast to the quantizer's type; none when the cast
                changes nothing (a quantized_relu on the unsigned input of the same type)
    maxpool     max_pool1d;  avgpool: avg_pool1d;  gap: global_avg_pool (exact averages,
                hwgen.rtl.divide.average_parameters)
    add         axis_add (exact sum on the finer grid) + requant_relu to the result type
    concat      requant_relu on each part whose type differs from the result's, then axis_concat
    reshape     nothing: the stream order (time-major, channel-minor) is Keras' Flatten order

A node read by several others gets an axis_fork; each branch that another branch of the same fork
reads ahead of gets an axis_fifo deep enough never to deadlock (hwgen.rtl.skip_fifo). A window
with trailing 'same' rows (which it generates without taking input) gets an axis_fifo in front
holding the beats that arrive meanwhile, so the kernels before it keep their pace. Where a
producer's lanes per beat differ from its consumer's, an axis_lanes converts them.

Streams carry exactly the graph's integers. A stream's lane width may be wider than the node's type
(a kernel's exact accumulator, or one bit more for an unsigned value in a signed lane), never
narrower. Each requantiser that casts to a type hwgen chose counts its clipped values into the
SATURATIONS register; a quantizer clipping at its own range (relu/quant with the model's quantizer)
does not, exactly as `hwgen.graph.execute` separates `overflows` from `clipped`.

A node or setting the kernels cannot implement is refused (ModelError) naming the layer and what is
supported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from hwgen.errors import ModelError
from hwgen.graph import ops
from hwgen.graph.execute import QUANTIZER_OPS
from hwgen.graph.graph import Graph, Node
from hwgen.graph.layers import po2_is_exact, product_frac
from hwgen.graph.ops import Fixed
from hwgen.graph.precision import exact_accumulator
from hwgen.rtl import skip_fifo
from hwgen.rtl.divide import average_parameters

SUPPORTED = ("conv (valid/same, any stride)", "depthwise (valid/same, any stride)", "dense",
             "relu", "quant", "maxpool (stride = pool)", "avgpool (stride = pool)", "gap", "add",
             "concat (2..4 parts)", "reshape/flatten")
MAX_FORK = 4
MAX_SHIFT_LIMIT = 30


@dataclass
class Stream:
    """One AXI-Stream edge: `steps` x `channels` values a frame, `par` a beat, `width`-bit lanes."""

    name: str
    steps: int
    channels: int
    par: int
    width: int
    signed: bool
    frac: int = 0

    @property
    def beats(self) -> int:
        return self.steps * self.channels // self.par

    @property
    def beats_per_step(self) -> int:
        return self.channels // self.par

    @property
    def tdata_width(self) -> int:
        return self.par * self.width

    def range(self) -> tuple[int, int]:
        return ops.int_range(self.width, self.signed)


@dataclass
class Instance:
    """One kernel instance: module, HDL parameters, its streams and memory files."""

    name: str                  # instance name without the u_ prefix (a layer name, or layer_suffix)
    kernel: str                # module in kernels/
    params: dict
    layer: str                 # the graph node it implements
    inputs: list[Stream]
    outputs: list[Stream]
    memories: dict = field(default_factory=dict)   # file name -> (words (n, lanes) ints, width, signed)
    saturations: bool = False  # its sat_lanes pulse goes to the SATURATIONS register
    sat_width: int = 0
    role: str = ""             # "compute", "cast", "lanes", "fork", "fifo", "pool", "join"

    @property
    def products(self) -> int:
        """Products formed per cycle (weighted kernels)."""
        p = self.params
        if self.kernel in ("conv1d_mac", "shift_conv1d"):
            return p["K"] * p["IN_PAR"] * p["OUT_PAR"]
        if self.kernel == "depthwise_conv1d":
            return p["K"] * p["PAR"]
        if self.kernel == "dense":
            return p["IN_PAR"] * p["OUT_PAR"]
        return 0

    @property
    def product(self) -> str:
        if self.kernel == "shift_conv1d":
            return "shift"
        return str(self.params.get("PRODUCT", "mul")) if self.products else ""


@dataclass
class Design:
    """The lowered graph: the core's instances between the shell's core_in and core_out."""

    graph: Graph
    instances: list[Instance]
    core_in: Stream
    core_out: Stream
    sat_width: int

    def instance(self, name: str) -> Instance:
        for inst in self.instances:
            if inst.name == name:
                return inst
        raise KeyError(name)

    def by_layer(self, layer: str) -> list[Instance]:
        return [i for i in self.instances if i.layer == layer]


# ------------------------------------------------------------------------------------------------ folding
@dataclass(frozen=True)
class Fold:
    """Lanes of one layer: values per input beat (SIMD) and per output beat (PE). Kernels that keep
    the channels per beat (casts, pools, add, concat) have in_par == out_par."""

    in_par: int
    out_par: int
    lut_mul: bool = False   # multipliers in LUTs (PRODUCT "lut"), where the part's DSP48s run out


Folding = dict  # layer name -> Fold


def foldable(node: Node) -> bool:
    return node.op != "reshape"


def stream_shape(shape: tuple) -> tuple[int, int]:
    """(steps, channels) of a node's output: (T, C) for (T, ..., C); (1, N) for a vector."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 1:
        return 1, shape[0]
    return shape[0], math.prod(shape[1:])


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def hw_format(t: Fixed) -> tuple[int, bool]:
    """(lane width, signed) that hold every value of a type."""
    return t.width, t.signed


def signed_width(lo: int, hi: int) -> int:
    return ops.bits_needed(min(lo, 0), max(hi, 0), signed=True)


def type_range(t: Fixed) -> tuple[int, int]:
    return t.min_int, t.max_int


# ------------------------------------------------------------------------------------------------ checks
def check_graph(graph: Graph) -> None:
    """Refuse what the kernels cannot implement, naming the layer (before any folding)."""
    graph.require_typed()
    inp = graph.input
    if inp.out.signed:
        raise ModelError(f"layer {inp.name!r}: the accelerator's input is unsigned (frame_in); the graph's input "
                         f"type is {inp.out.hls()}")
    if not 1 <= inp.out.width <= 16:
        raise ModelError(f"layer {inp.name!r}: input values of {inp.out.width} bits; the stream carries 1..16 bits")
    if len(inp.shape) != 2:
        raise ModelError(f"layer {inp.name!r}: input shape {inp.shape}; the accelerator streams (time, depth) windows")
    out = graph.output
    if len(out.shape) != 1:
        raise ModelError(f"layer {out.name!r}: the logits must be a vector (the last layer dense or gap), "
                         f"got shape {out.shape}")
    logit_bits = out.out.width + (0 if out.out.signed else 1)
    if logit_bits > 32:
        raise ModelError(f"layer {out.name!r}: logits of {out.out.hls()} do not fit the 32-bit output beat")
    for node in graph.nodes[1:]:
        _check_node(graph, node)


def _check_node(graph: Graph, node: Node) -> None:
    a, name = node.attrs, node.name
    if node.op in ("maxpool", "avgpool") and a["stride"] != a["pool"]:
        raise ModelError(f"layer {name!r} ({node.op}): stride {a['stride']} with pool {a['pool']}; the RTL pools "
                         f"support stride = pool (Keras' default); supported: {', '.join(SUPPORTED)}")
    if node.op == "concat" and not 2 <= len(node.inputs) <= 4:
        raise ModelError(f"layer {name!r} (concat): {len(node.inputs)} parts; axis_concat joins 2..4")
    if node.op in ("conv", "depthwise", "dense"):
        if node.kernel.is_float or (node.bias is not None and node.bias.is_float):
            raise ModelError(f"layer {name!r} has float weights; only a quantized model becomes RTL")
        x_type = graph.by_name[node.inputs[0]].out
        if node.kernel.is_po2 and not po2_is_exact(x_type, node.kernel):
            raise ModelError(f"layer {name!r}: its power-of-two products are truncated (hls4ml's narrow exponent "
                             "field); the RTL shifts exactly. Export with exact shifts (PrecisionPolicy.exact_shifts)")
        exact, _ = exact_accumulator(node, x_type)
        if node.acc.integer < exact.integer or node.acc.frac < exact.frac:
            raise ModelError(f"layer {name!r}: accumulator {node.acc.hls()} is narrower than exact ({exact.hls()}); "
                             "the RTL kernels accumulate exactly: remove the precision override")
    if node.op in ("avgpool", "gap") and node.out.saturation != "SAT" and node.out != node.acc:
        raise ModelError(f"layer {name!r} ({node.op}): result {node.out.hls()} wraps; the RTL averages saturate")
    if node.op not in ("input", "reshape", "maxpool") and node.out is not None and node.out.saturation != "SAT":
        # a WRAP result is only implementable when it can never wrap (the cast is exact)
        if node.op in ("conv", "depthwise", "dense", "avgpool", "gap") and node.out == node.acc:
            return  # the exact accumulator: an average of it cannot leave it either
        raise ModelError(f"layer {name!r} ({node.op}): result type {node.out.hls()} wraps; the RTL requantisers "
                         "saturate (use AP_SAT)")


# ------------------------------------------------------------------------------------------------ lowering
class _Lowering:
    def __init__(self, graph: Graph, folding: Folding, data_width: int):
        self.graph = graph
        self.folding = folding
        self.data_width = data_width
        self.instances: list[Instance] = []
        self.names: set[str] = set()
        self.node_out: dict[str, Stream] = {}          # node -> its output stream (before any fork)
        self.edges: dict[tuple[str, int], Stream] = {}  # (consumer, input index) -> stream it reads
        self.forks: list[dict] = []                    # {"node", "branches": [(consumer, index, fifo)]}

    # -------------------------------------------------------------- helpers
    def unique(self, base: str) -> str:
        base = "".join(c if c.isalnum() or c == "_" else "_" for c in base)
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def stream(self, base: str, steps, channels, par, width, signed, frac=0) -> Stream:
        if channels % par:
            raise ModelError(f"{base}: {channels} channels are not a multiple of {par} lanes a beat")
        return Stream(self.unique(f"s_{base}"), int(steps), int(channels), int(par), int(width), bool(signed), int(frac))

    def add(self, inst: Instance) -> Instance:
        inst.name = self.unique(inst.name)
        self.instances.append(inst)
        return inst

    def fold(self, node: Node) -> Fold:
        try:
            return self.folding[node.name]
        except KeyError:
            raise ModelError(f"no folding for layer {node.name!r}") from None

    def lanes(self, s: Stream, par: int, layer: str) -> Stream:
        """s with `par` values a beat (an axis_lanes when it has another count)."""
        if s.par == par:
            return s
        if s.channels % par:
            raise ModelError(f"layer {layer!r}: {par} lanes do not divide its {s.channels} channels")
        out = self.stream(f"{layer}_lanes", s.steps, s.channels, par, s.width, s.signed, s.frac)
        self.add(Instance(f"{layer}_lanes", "axis_lanes",
                          # a scatter registers its beat: the kernel before it never waits on the slices
                          dict(W=s.width, IN_PAR=s.par, OUT_PAR=par, KEEP_ENABLE=0,
                               HOLD=int(s.par > par and s.par % par == 0)),
                          layer, [s], [out], role="lanes"))
        return out

    def pad_buffer(self, s: Stream, k: int, stride: int, padding: str, layer: str) -> Stream:
        """A FIFO in front of a window whose trailing 'same' rows it generates without taking input: it
        holds the next frame's beats meanwhile, so the kernels upstream keep their pace."""
        after = ops.same_padding(s.steps, k, stride)[1] if padding == "same" else 0
        if after == 0:
            return s
        depth = after * (s.channels // s.par) + 2
        out = self.stream(f"{layer}_padq", s.steps, s.channels, s.par, s.width, s.signed, s.frac)
        self.add(Instance(f"{layer}_padq", "axis_fifo", dict(DEPTH=max(3, depth), WIDTH=s.tdata_width,
                                                              RAM_STYLE="auto"), layer, [s], [out], role="buffer"))
        return out

    def cast(self, s: Stream, src: Fixed, dst: Fixed, layer: str, relu: bool = False, counted: bool = True,
             suffix: str = "cast") -> Stream:
        """requant_relu from the stream (values on src's grid) to dst, unless it changes nothing."""
        lo, hi = s.range()
        if relu:
            lo = max(lo, 0)
        same_grid = src.frac == dst.frac
        fits = dst.min_int <= lo and hi <= dst.max_int
        if same_grid and fits and (s.width, s.signed) == hw_format(dst):
            return s
        if same_grid and fits and not relu:
            counted = False  # only a width change: nothing can clip
        if dst.width > 32 or dst.width < 2:
            raise ModelError(f"layer {layer!r}: a result of {dst.hls()}: requant_relu makes 2..32-bit values")
        shift = src.frac - dst.frac
        if not -16 <= shift < s.width:
            raise ModelError(f"layer {layer!r}: a cast from {src.hls()} to {dst.hls()} shifts by {shift}; "
                             f"requant_relu shifts by -16..{s.width - 1}")
        width = s.width
        if width < 2:  # requant_relu's inputs are at least 2 bits
            width = 2
        sat_w = max(1, math.ceil(math.log2(s.par + 1)))
        out = self.stream(f"{layer}_{suffix}", s.steps, s.channels, s.par, dst.width, dst.signed, dst.frac)
        params = dict(PAR=s.par, ACC_W=s.width, IN_SIGNED=int(s.signed), DATA_W=dst.width, SHIFT=shift,
                      ROUNDING=dst.rounding, RELU=int(relu), OUT_SIGNED=int(dst.signed))
        self.add(Instance(f"{layer}_{suffix}" if suffix else layer, "requant_relu", params, layer, [s], [out],
                          saturations=counted, sat_width=sat_w, role="cast"))
        return out

    def narrow(self, s: Stream, t: Fixed, layer: str) -> Stream:
        """The stream in t's lane width when it is wider: the values fit t (the graph says so), so each
        lane's low bits are the value (wires, no logic)."""
        width, signed = hw_format(t)
        if s.width <= width or signed != s.signed:
            return s
        out = self.stream(f"{layer}_narrow", s.steps, s.channels, s.par, width, signed, s.frac)
        self.add(Instance(f"{layer}_narrow", "wires", dict(PAR=s.par, IN_W=s.width, OUT_W=width), layer, [s], [out],
                          role="narrow"))
        return out

    def as_type(self, s: Stream, t: Fixed, layer: str) -> Stream:
        """The stream in exactly t's lane format (values already on t's grid and in its range)."""
        if (s.width, s.signed) == hw_format(t):
            return s
        return self.cast(s, Fixed(s.width, t.frac, s.signed), t, layer, counted=False, suffix="fit")

    # -------------------------------------------------------------- the graph
    def run(self) -> Design:
        graph = self.graph
        consumers = {n.name: [] for n in graph.nodes}
        for n in graph.nodes:
            for index, i in enumerate(n.inputs):
                consumers[i].append((n.name, index))
        inp = graph.input
        steps, channels = stream_shape(inp.shape)
        par = self.fold(inp).out_par if inp.name in self.folding else 1
        core_in = self.stream("core_in", steps, channels, par, inp.out.width, False, inp.out.frac)
        self.node_out[inp.name] = core_in
        self.distribute(inp, core_in, consumers[inp.name])
        for node in graph.nodes[1:]:
            ins = [self.edges[(node.name, k)] for k in range(len(node.inputs))]
            out = self.lower(node, ins)
            self.node_out[node.name] = out
            if node is not graph.output:
                self.distribute(node, out, consumers[node.name])
        core_out = self.node_out[graph.output.name]
        out_node = graph.output
        if not core_out.signed:  # result_out takes signed logits
            core_out = self.cast(core_out, Fixed(core_out.width, out_node.out.frac, False),
                                 Fixed(core_out.width + 1, out_node.out.frac, True), out_node.name, counted=False,
                                 suffix="signed")
        if core_out.width > 32:
            raise ModelError(f"layer {out_node.name!r}: {core_out.width}-bit logits do not fit the 32-bit output beat")
        self.size_fifos()
        sat_width = _sat_width(self.instances)
        return Design(graph, self.instances, core_in, core_out, sat_width)

    def distribute(self, node: Node, s: Stream, readers: list[tuple[str, int]]) -> None:
        """Give each reader of `node` its stream: the stream itself, or a fork's branch (+ FIFO)."""
        if not readers:
            raise ModelError(f"layer {node.name!r}: its result is read by no layer (a dead branch); the "
                             "accelerator has one output, the last layer")
        if len(readers) == 1:
            self.edges[readers[0]] = s
            return
        if len(readers) > MAX_FORK:
            raise ModelError(f"layer {node.name!r}: read by {len(readers)} layers; axis_fork makes 2..{MAX_FORK} copies")
        branches = []
        outs = []
        for consumer, index in readers:
            b = self.stream(f"{node.name}_to_{consumer}", s.steps, s.channels, s.par, s.width, s.signed, s.frac)
            outs.append(b)
            fifo_out = self.stream(f"{node.name}_to_{consumer}_q", s.steps, s.channels, s.par, s.width, s.signed,
                                   s.frac)
            fifo = Instance(f"{node.name}_to_{consumer}_fifo", "axis_fifo",
                            dict(DEPTH=0, WIDTH=s.tdata_width, RAM_STYLE="auto"), node.name, [b], [fifo_out],
                            role="fifo")
            self.add(fifo)
            branches.append((consumer, index, fifo))
            self.edges[(consumer, index)] = fifo_out
        fork = Instance(f"{node.name}_fork", "axis_fork", dict(N=len(readers), WIDTH=s.tdata_width), node.name,
                        [s], outs, role="fork")
        # the fork goes in front of its FIFOs in the instance list (readability of the top)
        self.add(fork)
        self.instances.remove(fork)
        first = min(self.instances.index(f) for _, _, f in branches)
        self.instances.insert(first, fork)
        self.forks.append({"node": node.name, "stream": s, "branches": branches})

    def lower(self, node: Node, ins: list[Stream]) -> Stream:
        op = node.op
        if op in ("conv", "depthwise", "dense"):
            return self.weighted(node, ins[0])
        if op in QUANTIZER_OPS:
            x_type = self.graph.input_types(node)[0]
            s = self.lanes(ins[0], self.fold(node).in_par, node.name)
            counted = "quantizer" not in node.attrs
            return self.cast(s, x_type, node.out, node.name, relu=op == "relu", counted=counted, suffix="")
        if op == "reshape":
            return self.reshape(node, ins[0])
        if op == "maxpool":
            return self.maxpool(node, ins[0])
        if op in ("avgpool", "gap"):
            return self.average(node, ins[0])
        if op == "add":
            return self.add_node(node, ins)
        if op == "concat":
            return self.concat(node, ins)
        raise ModelError(f"layer {node.name!r}: op {op!r} has no RTL kernel; supported: {', '.join(SUPPORTED)}")

    # -------------------------------------------------------------- weighted layers
    def weighted(self, node: Node, s: Stream) -> Stream:
        fold = self.fold(node)
        x_type = self.graph.input_types(node)[0]
        s = self.narrow(s, x_type, node.name)
        acc = node.acc
        kernel = node.kernel
        w = np.asarray(kernel.values, dtype=np.int64)
        shift_up = acc.frac - product_frac(x_type, kernel)  # products sit on the accumulator's grid
        po2 = kernel.is_po2
        max_shift = 0
        if po2:
            sign, shift = ops.int_to_po2(w)
            # value = x * sign * 2**(shift - w.frac); on the acc grid: x << (shift - w.frac + acc.frac - x.frac)
            amount = shift - kernel.frac + acc.frac - x_type.frac
            amount = np.where(sign == 0, 0, amount)
            if np.any(amount < 0):
                raise ModelError(f"layer {node.name!r}: a power-of-two product below the accumulator's grid")
            max_shift = int(amount.max()) if amount.size else 0
            if max_shift > MAX_SHIFT_LIMIT:
                raise ModelError(f"layer {node.name!r}: shifts up to {max_shift}; the kernels shift by at most "
                                 f"{MAX_SHIFT_LIMIT}")
            stored = ops.po2_to_int(sign, amount)
            weight_bits = max(1, math.ceil(math.log2(max_shift + 1))) + 2 if max_shift > 0 else 3
            w_mag = max_shift
        else:
            if shift_up < 0:
                raise ModelError(f"layer {node.name!r}: accumulator {acc.hls()} is coarser than its products")
            stored = w << shift_up
            lo, hi = (int(stored.min()), int(stored.max())) if stored.size else (0, 0)
            weight_bits = max(2, signed_width(lo, hi))
            w_mag = weight_bits - 1
        bias = np.zeros(node.shape[-1] if node.op != "dense" else w.shape[1], dtype=np.int64)
        if node.bias is not None:
            bias = ops.align(node.bias.values, node.bias.frac, acc.frac)
        bias_bits = max(1, signed_width(int(bias.min()), int(bias.max())))
        x_w = s.width if s.signed else s.width + 1
        acc_lo, acc_hi = type_range(acc)
        acc_bits = signed_width(acc_lo, acc_hi)
        product = "shift" if po2 else ("lut" if fold.lut_mul else "mul")
        out_steps, out_channels = stream_shape(node.shape)
        name = node.name
        if node.op == "dense":
            n_in, n_out = w.shape
            s = self.lanes(s, fold.in_par, name)
            if s.steps * s.channels != n_in:
                raise ModelError(f"layer {name!r} (dense): {n_in} inputs, its input stream has "
                                 f"{s.steps * s.channels} values a frame")
            acc_w = max(acc_bits, x_w + w_mag + 1 + (math.ceil(math.log2(n_in)) if n_in > 1 else 0), bias_bits + 1)
            if acc_w > 62:
                raise ModelError(f"layer {name!r}: a {acc_w}-bit accumulator; dense holds at most 62 bits")
            params = dict(N_IN=n_in, N_OUT=n_out, IN_PAR=fold.in_par, OUT_PAR=fold.out_par, DATA_W=s.width,
                          DATA_SIGNED=int(s.signed), WEIGHT_W=weight_bits, PRODUCT=product,
                          MAX_SHIFT=max_shift if po2 else 7, ACC_W=acc_w,
                          WEIGHT_FILE=f"{name}_w.mem", BIAS_FILE=f"{name}_b.mem")
            from hwgen.rtl.memfile import bias_words, dense_weight_words
            words = dense_weight_words(self._stored(stored, po2, max_shift), fold.in_par, fold.out_par)
            memories = {params["WEIGHT_FILE"]: (words, weight_bits, not po2),
                        params["BIAS_FILE"]: (bias_words(bias, fold.out_par, "N_OUT"), acc_w, True)}
            kernel_name = "dense"
            out = self.stream(name, 1, n_out, fold.out_par, acc_w, True, acc.frac)
        else:
            k = w.shape[0]
            stride, padding = int(node.attrs.get("stride", 1)), node.attrs.get("padding", "valid")
            steps = s.steps
            mag = (x_w - 1 + max_shift) if po2 else (x_w + weight_bits - 2)
            if node.op == "depthwise":
                s = self.lanes(s, fold.in_par, name)
                s = self.pad_buffer(s, k, stride, padding, name)
                sum_bits = mag + math.ceil(math.log2(k + 1)) + 1
                acc_w = max(acc_bits, max(sum_bits, bias_bits) + 1)
                params = dict(DATA_W=s.width, DATA_SIGNED=int(s.signed), WEIGHT_W=weight_bits, PRODUCT=product,
                              MAX_SHIFT=max_shift if po2 else 7, BIAS_W=bias_bits, ACC_W=acc_w, CH=s.channels, K=k,
                              STRIDE=stride, PADDING=padding, T=steps, PAR=fold.in_par,
                              WEIGHT_FILE=f"{name}_w.mem", BIAS_FILE=f"{name}_b.mem")
                from hwgen.rtl.memfile import bias_words, depthwise_weight_words
                words = depthwise_weight_words(self._stored(stored, po2, max_shift), fold.in_par)
                memories = {params["WEIGHT_FILE"]: (words, weight_bits, not po2),
                            params["BIAS_FILE"]: (bias_words(bias, fold.in_par, "CH"), bias_bits, True)}
                kernel_name = "depthwise_conv1d"
                out = self.stream(name, out_steps, out_channels, fold.in_par, acc_w, True, acc.frac)
            else:
                s = self.lanes(s, fold.in_par, name)
                s = self.pad_buffer(s, k, stride, padding, name)
                cin, cout = w.shape[1], w.shape[2]
                sum_bits = mag + math.ceil(math.log2(k * cin + 1)) + 1
                acc_w = max(acc_bits, max(sum_bits, bias_bits) + 1)
                params = dict(DATA_W=s.width, DATA_SIGNED=int(s.signed), WEIGHT_W=weight_bits, BIAS_W=bias_bits,
                              ACC_W=acc_w, CH_IN=cin, CH_OUT=cout, K=k, STRIDE=stride, PADDING=padding, T=steps,
                              IN_PAR=fold.in_par, OUT_PAR=fold.out_par,
                              WEIGHT_FILE=f"{name}_w.mem", BIAS_FILE=f"{name}_b.mem")
                if po2:
                    params["MAX_SHIFT"] = max_shift
                    del params["WEIGHT_W"]
                else:
                    params["PRODUCT"] = product
                from hwgen.rtl.memfile import bias_words, conv1d_weight_words
                words = conv1d_weight_words(self._stored(stored, po2, max_shift), fold.in_par, fold.out_par)
                memories = {params["WEIGHT_FILE"]: (words, weight_bits, not po2),
                            params["BIAS_FILE"]: (bias_words(bias, fold.out_par), bias_bits, True)}
                kernel_name = "shift_conv1d" if po2 else "conv1d_mac"
                out = self.stream(name, out_steps, out_channels, fold.out_par, acc_w, True, acc.frac)
            if acc_w > 62:
                raise ModelError(f"layer {name!r}: a {acc_w}-bit accumulator; the kernels hold at most 62 bits")
        self.add(Instance(name, kernel_name, params, name, [s], [out], memories=memories, role="compute"))
        if node.out == acc or (node.out.frac == acc.frac and node.out.min_int <= acc.min_int
                               and acc.max_int <= node.out.max_int):
            return out  # the exact accumulator is the result (a quantizer or the logits follow)
        return self.cast(out, acc, node.out, name, counted=True, suffix="cast")

    @staticmethod
    def _stored(stored: np.ndarray, po2: bool, max_shift: int) -> np.ndarray:
        """Weights as the memory stores them: integers, or po2 codes."""
        if not po2:
            return stored
        from hwgen.rtl.memfile import po2_codes
        sign, shift = ops.int_to_po2(stored)
        return po2_codes(sign, shift, max_shift)

    # -------------------------------------------------------------- the rest
    def reshape(self, node: Node, s: Stream) -> Stream:
        steps, channels = stream_shape(node.shape)
        par = s.par
        if channels % par:
            par = math.gcd(par, channels)
            s = self.lanes(s, par, node.name)
        return Stream(s.name, steps, channels, par, s.width, s.signed, s.frac)  # the same wires

    def maxpool(self, node: Node, s: Stream) -> Stream:
        fold = self.fold(node)
        s = self.lanes(s, fold.in_par, node.name)
        steps, channels = stream_shape(node.shape)
        out = self.stream(node.name, steps, channels, s.par, s.width, s.signed, s.frac)
        self.add(Instance(node.name, "max_pool1d",
                          dict(T=s.steps, CH=s.channels, PAR=s.par, DATA_W=s.width, DATA_SIGNED=int(s.signed),
                               POOL=int(node.attrs["pool"]), STRIDE=int(node.attrs["stride"])),
                          node.name, [s], [out], role="pool"))
        return out

    def average(self, node: Node, s: Stream) -> Stream:
        fold = self.fold(node)
        x_type = self.graph.input_types(node)[0]
        s = self.as_type(self.lanes(s, fold.in_par, node.name), x_type, node.name)
        n = int(node.attrs["pool"]) if node.op == "avgpool" else s.steps
        result = node.out
        if result == node.acc and result.saturation != "SAT":  # exact: nothing to clip, SAT changes nothing
            result = replace(result, saturation="SAT")
        try:
            avg = average_parameters(n, x_type, node.acc, result)
        except Exception as err:  # HwgenError naming the types
            raise ModelError(f"layer {node.name!r} ({node.op}): {err}") from None
        steps, channels = stream_shape(node.shape)
        out = self.stream(node.name, steps, channels, s.par, node.out.width, node.out.signed, node.out.frac)
        sat_w = max(1, math.ceil(math.log2(s.par + 1)))
        if node.op == "avgpool":
            params = dict(T=s.steps, CH=s.channels, PAR=s.par, POOL=n, STRIDE=int(node.attrs["stride"]), **avg)
            kernel = "avg_pool1d"
        else:
            params = dict(T=s.steps, CH=s.channels, PAR=s.par, **avg)
            kernel = "global_avg_pool"
        self.add(Instance(node.name, kernel, params, node.name, [s], [out], saturations=True, sat_width=sat_w,
                          role="pool"))
        if node.op == "gap":
            # the averages come out in a burst at the frame's end: a FIFO holding them lets the pooling
            # take the next frame while a slower consumer (the dense logits) works through them
            q = self.stream(f"{node.name}_q", steps, channels, s.par, out.width, out.signed, out.frac)
            self.add(Instance(f"{node.name}_buffer", "axis_fifo",
                              dict(DEPTH=max(3, out.beats + 1), WIDTH=out.tdata_width, RAM_STYLE="auto"),
                              node.name, [out], [q], role="buffer"))
            return q
        return out

    def add_node(self, node: Node, ins: list[Stream]) -> Stream:
        fold = self.fold(node)
        a_type, b_type = self.graph.input_types(node)
        a, b = (self.lanes(x, fold.in_par, node.name) for x in ins)
        frac = max(a_type.frac, b_type.frac)
        sa, sb = frac - a_type.frac, frac - b_type.frac
        (alo, ahi), (blo, bhi) = a.range(), b.range()
        lo, hi = (alo << sa) + (blo << sb), (ahi << sa) + (bhi << sb)
        out_w = signed_width(lo, hi)
        total = self.stream(f"{node.name}_sum", a.steps, a.channels, a.par, out_w, True, frac)
        self.add(Instance(f"{node.name}", "axis_add",
                          dict(PAR=a.par, A_W=a.width, A_SIGNED=int(a.signed), SHIFT_A=sa, B_W=b.width,
                               B_SIGNED=int(b.signed), SHIFT_B=sb, OUT_W=out_w),
                          node.name, [a, b], [total], role="join"))
        exact = Fixed(out_w, frac, True)
        return self.cast(total, exact, node.out, node.name, counted=True, suffix="cast")

    def concat(self, node: Node, ins: list[Stream]) -> Stream:
        fold = self.fold(node)
        parts = []
        for k, (x, t) in enumerate(zip(ins, self.graph.input_types(node), strict=True)):
            x = self.lanes(x, fold.in_par, f"{node.name}_part{k}")
            x = self.cast(x, t, node.out, node.name, counted=True, suffix=f"part{k}")
            parts.append(self.as_type(x, node.out, f"{node.name}_part{k}"))
        steps, channels = stream_shape(node.shape)
        out = self.stream(node.name, steps, channels, fold.in_par, node.out.width, node.out.signed, node.out.frac)
        params = dict(N=len(parts), PAR=fold.in_par, W=node.out.width)
        for k in range(4):
            params[f"CH{k}"] = parts[k].channels if k < len(parts) else 0
        self.add(Instance(node.name, "axis_concat", params, node.name, parts, [out], role="join"))
        return out

    # -------------------------------------------------------------- deadlock-free branches
    def size_fifos(self) -> None:
        """Depth of every fork branch's FIFO: the branches that others read ahead of hold that lead."""
        for fork in self.forks:
            s = fork["stream"]
            leads = []
            for _consumer, _, fifo in fork["branches"]:
                stages = self.branch_stages(fifo.outputs[0], fork["node"])
                leads.append((skip_fifo.main_path_lead(stages, s.beats_per_step) if stages else 0, stages, fifo))
            slowest = max(leads, key=lambda item: item[0])
            for _lead, _stages, fifo in leads:
                if fifo is slowest[2]:
                    fifo.params["DEPTH"] = 0  # no FIFO: the branch that reads furthest ahead
                else:
                    fifo.params["DEPTH"] = skip_fifo.skip_fifo_depth(slowest[1], s.beats_per_step) \
                        if slowest[1] else 2

    def branch_stages(self, start: Stream, fork_node: str) -> list:
        """PathStages of the kernels from a fork branch to the join it ends in (add or concat)."""
        stages = []
        current = start
        for _ in range(len(self.instances) + 1):
            readers = [i for i in self.instances if any(x is current or x.name == current.name for x in i.inputs)]
            if len(readers) != 1:
                return stages
            inst = readers[0]
            if inst.role in ("join", "fork"):
                return stages
            if inst.kernel == "wires":  # no register, no look-ahead
                current = inst.outputs[0]
                continue
            if inst.kernel in ("max_pool1d", "avg_pool1d", "global_avg_pool", "dense"):
                raise ModelError(f"layer {inst.layer!r} ({inst.kernel}) sits on a branch of layer {fork_node!r}'s "
                                 "fork; branches that meet again may hold convolutions, casts and lane "
                                 "conversions only (the skip FIFO sizing covers those)")
            try:
                stages.append(skip_fifo.stage(inst.kernel, inst.params))
            except Exception as err:
                raise ModelError(f"layer {inst.layer!r} on a branch of layer {fork_node!r}: {err}") from None
            current = inst.outputs[0]
        return stages


def _sat_width(instances: list[Instance]) -> int:
    total = sum((1 << i.sat_width) - 1 for i in instances if i.saturations)
    return max(1, total.bit_length())


def lower(graph: Graph, folding: Folding, data_width: int = 64) -> Design:
    """The graph as kernel instances, with the lanes of `folding` ({layer: Fold})."""
    check_graph(graph)
    return _Lowering(graph, folding, data_width).run()
