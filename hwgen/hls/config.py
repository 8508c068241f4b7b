"""The hls4ml configuration written from the typed integer graph.

Every precision hls4ml uses (input, accumulators, results, the depthwise half of separable convs)
is set explicitly from the graph: nothing is left at hls4ml's `auto` or default fixed<16,6>. Weight
types come from the QKeras quantizers, as hls4ml reads them (po2 weights become exponent types, so
the C++ shifts). Every layer is traced so C-sim can be compared with the golden model layer by layer.
"""

from __future__ import annotations

import copy

from hwgen.errors import ModelError
from hwgen.graph.graph import Node

STRATEGIES = ("Latency", "Resource")
IO_TYPES = ("io_stream", "io_parallel")
SETTING_KEYS = ("ReuseFactor", "Strategy", "ConvImplementation")
# hls4ml splits a separable conv <layer> into <layer>_depthwise and <layer>_pointwise; a setting for one half
# travels in <layer>'s entry as Depthwise<Key> / Pointwise<Key> (see hwgen.hls.workarounds, fault 4)
PARTS = {"_depthwise": "Depthwise", "_pointwise": "Pointwise"}


def hls_config(keras_logits, nodes: list[Node], backend: str, *, strategy: str = "Latency", reuse: int = 1,
               layer_settings: dict | None = None) -> dict:
    """The hls4ml config dict (granularity 'name') for `keras_logits` with the graph's types."""
    import hls4ml

    if strategy not in STRATEGIES:
        raise ModelError(f"strategy {strategy!r} is not one of {STRATEGIES}")
    if int(reuse) < 1:
        raise ModelError(f"reuse factor must be >= 1, got {reuse}")
    cfg = hls4ml.utils.config_from_keras_model(keras_logits, granularity="name", backend=backend,
                                               default_reuse_factor=int(reuse))
    cfg["Model"]["Strategy"] = strategy
    layers = cfg["LayerName"]
    for node in nodes:
        entry = layers.get(node.keras)
        if entry is None:
            raise ModelError(f"layer {node.keras!r} is missing from hls4ml's configuration")
        if part_of(node):  # hls4ml writes Depthwise/PointwiseReuseFactor = 1 whatever the reuse asked for;
            for part in PARTS.values():  # dropped, each half takes the layer's (or the model's) setting
                for key in SETTING_KEYS:
                    entry.pop(part + key, None)
        _set_precisions(entry.setdefault("Precision", {}), node)
        linear = layers.get(f"{node.keras}_linear")  # hls4ml keeps a linear activation after some layers
        if linear is not None and node.name in (node.keras, f"{node.keras}_pointwise"):
            linear.setdefault("Precision", {})["result"] = node.out.hls()
    for entry in layers.values():
        entry["Trace"] = True
    for name, values in resolve_layer_settings(nodes, layer_settings or {}).items():
        if name not in layers:
            raise ModelError(f"layer {name!r} is missing from hls4ml's configuration")
        layers[name].update(copy.deepcopy(values))
    return cfg


def _set_precisions(precision: dict, node: Node) -> None:
    if node.name.endswith("_depthwise") and node.keras != node.name:  # separable conv, first half
        precision["depthwise_accum"] = node.acc.hls()
        precision["depthwise_result"] = node.out.hls()
        return
    if node.name.endswith("_pointwise") and node.keras != node.name:  # separable conv, second half
        precision["pointwise_accum"] = node.acc.hls()
        precision["accum"] = node.acc.hls()
        precision["result"] = node.out.hls()
        return
    if node.op == "maxpool":
        precision["accum"] = node.out.hls()
    elif node.acc is not None:
        precision["accum"] = node.acc.hls()
    precision["result"] = node.out.hls()


def part_of(node: Node) -> str | None:
    """'Depthwise' / 'Pointwise' for the halves of a separable conv, None for any other node."""
    if node.keras != node.name:
        for suffix, part in PARTS.items():
            if node.name == node.keras + suffix:
                return part
    return None


def resolve_layer_settings(nodes: list[Node], settings: dict) -> dict:
    """Per-layer settings named as the layer report names them -> hls4ml's LayerName entries.

    {"b2": {"ReuseFactor": 4}} sets hls4ml's layer b2; {"b1_depthwise": {"ReuseFactor": 4}} the depthwise half
    of the separable conv b1 only ({"b1": {"DepthwiseReuseFactor": 4}}); {"b1": ...} sets both halves.
    """
    by_name = {n.name: n for n in nodes}
    keras_names = {n.keras for n in nodes}
    resolved: dict = {}
    for name, values in settings.items():
        node = by_name.get(name)
        if node is None and name not in keras_names:
            names = ", ".join(n.name for n in nodes if n.op != "input")
            raise ModelError(f"layer settings name unknown layer {name!r}; layers: {names}")
        bad = set(values) - set(SETTING_KEYS)
        if bad:
            raise ModelError(f"layer {name!r}: settings {sorted(bad)} are not supported; use {list(SETTING_KEYS)} "
                             "(name a separable conv's half as the layer report does, e.g. b1_depthwise)")
        if "Strategy" in values and values["Strategy"] not in STRATEGIES:
            raise ModelError(f"layer {name!r}: strategy {values['Strategy']!r} is not one of {STRATEGIES}")
        part = part_of(node) if node is not None else None
        entry = resolved.setdefault(node.keras if node is not None else name, {})
        entry.update({f"{part or ''}{key}": value for key, value in values.items()})
    return resolved


def _setting(cfg: dict, node: Node, key: str, default):
    entry = cfg["LayerName"].get(node.keras, {})
    part = part_of(node)
    if part and f"{part}{key}" in entry:
        return entry[f"{part}{key}"]
    return entry.get(key, cfg["Model"].get(key, default))


def reuse_of(cfg: dict, node: Node) -> int:
    return int(_setting(cfg, node, "ReuseFactor", 1))


def strategy_of(cfg: dict, node: Node) -> str:
    return _setting(cfg, node, "Strategy", "Latency")


def check_types(hls_model, nodes: list[Node]) -> list[str]:
    """Differences between the graph's result types and those hls4ml actually generated.

    Layers hls4ml adds (zero padding, clones, linear activations, reshapes) must pass their input
    type through unchanged: a silent re-quantisation there is exactly the kind of trap hwgen exists for.
    """
    golden = {n.name: n for n in nodes}
    problems = []
    for layer in hls_model.get_layers():
        got = _normalise(str(layer.get_output_variable().type.precision))
        node = golden.get(layer.name)
        if node is not None and node.op != "reshape":
            want, what = _normalise(node.out.hls()), "golden"
        elif layer.class_name == "Input" or not layer.inputs:
            continue
        else:
            want, what = _normalise(str(layer.get_input_variable().type.precision)), "its input"
        if got != want:
            problems.append(f"layer {layer.name!r} ({layer.class_name}): hls4ml result type {got}, {what} {want}")
    return problems


def _normalise(text: str) -> str:
    """'ap_ufixed<8,0,AP_RND_CONV,AP_SAT>' and 'ufixed<8,0,RND_CONV,SAT,0>' -> 'ufixed<8,0,RND_CONV,SAT>'."""
    text = text.replace("ap_", "").replace("AP_", "").replace(" ", "")
    head, _, body = text.partition("<")
    fields = body.rstrip(">").split(",")
    if head.endswith("int"):
        return f"{head.replace('int', 'fixed')}<{fields[0]},{fields[0]},TRN,WRAP>"
    fields = fields[:4] + ["TRN", "WRAP"][len(fields) - 2:] if len(fields) < 4 else fields[:4]
    return f"{head}<{','.join(fields)}>"
