"""Workarounds for hls4ml 1.3.0 faults that hwgen's C-sim comparison found, each scoped and checked.

1. io_stream zero padding wired to the wrong consumer. `InsertZeroPaddingBeforeConv1D` calls
   `model.insert_node(padding)` without `before=`, so when the tensor feeding a 'same'-padded Conv1D
   has several consumers (a fire module: a 1x1 and a k-wide conv read the same squeeze output), the
   padding is spliced in front of the FIRST consumer instead of the convolution: the 1x1 conv gets
   the padded stream and the k-wide conv an unpadded one. C-sim differs from golden from that layer
   on (hwgen names it). `patched_zero_padding()` makes the pass insert before the convolution it
   belongs to, and `check_padding_wiring` refuses any project where a `zp1d_<X>` layer does not feed X.
2. Power-of-two products that drop bits. hls4ml's `weight_exponential` product casts the input to
   r_T = ap_fixed<2(We+Wx), We+Wx>, We = the exponent field width (the quantizer's bits), then shifts.
   With an 8-bit all-fractional input and exponents down to 2^-8 (quantized_po2(4, 1)), r_T keeps 12
   fractional bits where 16 are needed: every such product is floored. On a trained shiftcnn this cut
   Keras-vs-hardware argmax agreement to 93 %. `set_exponent_widths` widens the exponent field (an
   ap_int<We'> of constants: no cost after synthesis) so r_T holds every product exactly; precision
   inference chooses We' and the golden model uses the same width.
3. io_parallel QDepthwiseConv2D does not compile: nnet_sepconv2d.h calls
   depthwise_conv_2d_latency_cl, which hls4ml 1.3.0 never declares (Latency and Resource alike).
   `refuse_known_faults` stops such a conversion up front, naming the layer; io_stream works.
4. Per-half settings of a separable conv are dropped. hls4ml 1.3.0 declares DepthwiseReuseFactor and
   PointwiseReuseFactor for SeparableConv1D, but its `separable_to_depthwise_and_conv` pass gives both halves
   (<layer>_depthwise, <layer>_pointwise) a copy of the layer's config, whose ReuseFactor/Strategy apply to
   both: the per-half keys do nothing. `separable_part_settings()` makes each half take its Depthwise<Key> /
   Pointwise<Key> (ReuseFactor, Strategy, ConvImplementation) when the split happens, so the names the
   layer report shows work in `--layer` (`b1_depthwise:ReuseFactor=4`).
"""

from __future__ import annotations

from contextlib import contextmanager

from hwgen.errors import ModelError


@contextmanager
def patched_zero_padding():
    """Within the block, hls4ml inserts each Conv1D's zero padding directly before that Conv1D."""
    from hls4ml.backends.vivado.passes import conv_same_pad

    cls = conv_same_pad.InsertZeroPaddingBeforeConv1D
    original = cls.transform

    def transform(self, model, node):
        insert = model.insert_node

        def insert_before_node(new_node, before=None, input_idx=0):
            return insert(new_node, before=before or node, input_idx=input_idx)

        model.insert_node = insert_before_node
        try:
            return original(self, model, node)
        finally:
            model.insert_node = insert

    cls.transform = transform
    try:
        yield
    finally:
        cls.transform = original


@contextmanager
def separable_part_settings():
    """Within the block, each half of a split separable conv takes its own Depthwise/Pointwise settings."""
    from hls4ml.model.optimizer.passes.seperable_to_dw_conv import SeparableToDepthwiseAndConv

    from hwgen.hls.config import PARTS, SETTING_KEYS

    cls = SeparableToDepthwiseAndConv
    original = cls.transform

    def transform(self, model, node):
        config = model.config
        parse = config.parse_name_config

        def parse_half(name, layer_cfg):
            for suffix, part in PARTS.items():
                if name == node.name + suffix and isinstance(layer_cfg, dict):
                    layer_cfg.update({key: layer_cfg[part + key] for key in SETTING_KEYS if part + key in layer_cfg})
            return parse(name, layer_cfg)

        config.parse_name_config = parse_half
        try:
            return original(self, model, node)
        finally:
            del config.parse_name_config  # the class's method again

    cls.transform = transform
    try:
        yield
    finally:
        cls.transform = original


def check_padding_wiring(hls_model) -> None:
    """Every zp1d_<X> padding layer must feed X and only X; anything else is refused."""
    layers = list(hls_model.get_layers())
    for pad in layers:
        if pad.class_name != "ZeroPadding1D" or not pad.name.startswith("zp1d_"):
            continue
        target = pad.name[len("zp1d_"):]
        readers = [lay.name for lay in layers if set(lay.inputs) & set(pad.outputs)]
        if readers != [target]:
            raise ModelError(f"hls4ml wired the zero padding of {target!r} into {readers} (hls4ml 1.3.0 io_stream "
                             "padding fault); hwgen refuses this project: try --io parallel")


def set_exponent_widths(hls_model, nodes) -> None:
    """Give each po2 layer's exponent field the width its golden node uses (see fault 2 above)."""
    by_name = {layer.name: layer for layer in hls_model.get_layers()}
    for node in nodes:
        if node.kernel is None or not node.kernel.is_po2:
            continue
        layer = by_name.get(node.name)
        variables = [v for v in (layer.weights.values() if layer else []) if "exponent" in str(v.type.name)]
        if not variables:
            raise ModelError(f"layer {node.name!r}: hls4ml has no exponent-typed weights for this po2 layer")
        for var in variables:
            var.type.precision.width = max(int(var.type.precision.width), node.kernel.po2_width)
            if var.type.precision.width != node.kernel.po2_width:
                raise ModelError(f"layer {node.name!r}: hls4ml exponent width {var.type.precision.width} "
                                 f"differs from the golden model's {node.kernel.po2_width}")


def refuse_known_faults(nodes, io_type: str) -> None:
    """Refuse configurations hls4ml 1.3.0 is known to get wrong, before any time is spent on them."""
    for node in nodes:
        if io_type == "io_parallel" and node.attrs.get("as2d"):
            raise ModelError(f"layer {node.name!r} (QDepthwiseConv2D, the 1-D depthwise): hls4ml 1.3.0 io_parallel "
                             "does not compile it (depthwise_conv_2d_latency_cl is never declared); use io_stream")
