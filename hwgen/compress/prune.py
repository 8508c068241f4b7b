"""Pruning: unstructured magnitude pruning (tensorflow-model-optimization) and structured channel pruning
by network slimming.

Unstructured (Han et al., 2015; Zhu & Gupta's polynomial schedule): every prunable layer's kernels are
wrapped in tfmot's `PruneLowMagnitude`; during fine-tuning the smallest-magnitude weights are masked to
zero, from 0 to the target sparsity along a cubic schedule, then held. The wrappers are stripped before
the model is saved, so the run holds a plain QKeras model whose quantized kernels are exactly zero there
(quantized_bits maps 0 to 0). Power-of-two layers are skipped: quantized_po2 has no zero (it maps 0 to
its smallest magnitude), so masking them would change nothing in the exported weights.

Structured (network slimming, Liu et al., 2017): the zoo has no batch norm, so a BatchNormalization is
inserted after every prunable convolution, initialised to the identity on training examples (gamma =
the channel's standard deviation, beta = its mean), and trained with an L1 penalty on gamma. A channel's
importance is |gamma| over its layer's mean initial gamma (so layers are comparable, as with slimming's
unit-initialised scales); the globally least important fraction of channels is removed (each layer keeps
at least `MIN_CHANNELS`), the batch norms are folded into their convolutions' kernels and biases, and a
smaller, batch-norm-free model is rebuilt with the kept channels (consumers' input channels sliced to
match). Convolutions whose channels meet a residual Add (mobilenet's stem and projections of equal width)
or make the logits are not pruned. A removed channel's constant output (relu(beta) when gamma ~ 0) is not
compensated in the next layer's bias; fine-tuning follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwgen.compress import surgery
from hwgen.errors import HwgenError, ModelError

PRUNABLE = ("QConv1D", "QSeparableConv1D", "QDepthwiseConv2D", "QDense")
SLIMMABLE = ("QConv1D", "QSeparableConv1D")
MIN_CHANNELS = 2
BN_SUFFIX = "_bn"


# ---------------------------------------------------------------- unstructured


def prunable_layers(model) -> list[str]:
    """Layers whose kernels magnitude pruning can zero (fixed-point weights, not power-of-two)."""
    return [layer.name for layer in model.layers if type(layer).__name__ in PRUNABLE and not surgery.is_po2(layer)]


def check_prunable(model) -> list[str]:
    names = prunable_layers(model)
    if not names:
        raise ModelError(f"model {model.name!r}: no layer can be magnitude-pruned (power-of-two weights have no "
                         "zero: quantized_po2 maps 0 to its smallest shift); use --prune-channels instead")
    return names


def wrap_for_pruning(model, sparsity: float, end_step: int):
    """The model with PruneLowMagnitude around each prunable layer (sharing its weights): sparsity rises from 0
    at step 0 to `sparsity` at `end_step` (cubic), then holds."""
    import tensorflow as tf
    from tensorflow_model_optimization.sparsity import keras as sparsity_api

    names = set(check_prunable(model))
    schedule = sparsity_api.PolynomialDecay(initial_sparsity=0.0, final_sparsity=float(sparsity), begin_step=0,
                                            end_step=max(1, int(end_step)), power=3, frequency=1)

    def wrap(layer):
        return sparsity_api.prune_low_magnitude(layer, pruning_schedule=schedule) if layer.name in names else layer

    return tf.keras.models.clone_model(model, clone_function=wrap)


def pruning_callbacks() -> list:
    from tensorflow_model_optimization.sparsity import keras as sparsity_api

    return [sparsity_api.UpdatePruningStep()]


def strip(model):
    """The plain QKeras model inside a pruning-wrapped one, with every mask applied to its kernels."""
    from tensorflow_model_optimization.python.core.sparsity.keras import pruning_wrapper
    from tensorflow_model_optimization.sparsity import keras as sparsity_api

    for layer in model.layers:
        if isinstance(layer, pruning_wrapper.PruneLowMagnitude):
            layer.pruning_obj.weight_mask_op()
    stripped = sparsity_api.strip_pruning(model)
    return surgery.rewrite(stripped)  # fresh layers: no state shared with the training graph


def layer_sparsity(model) -> dict[str, float]:
    """Fraction of exactly-zero kernel weights per weighted layer, after the layers' own quantizers."""
    out = {}
    for layer in model.layers:
        kinds = surgery.weight_kinds(layer)
        if not kinds:
            continue
        zeros = total = 0
        for name in kinds:
            value = _quantized(layer, name)
            zeros += int(np.sum(value == 0))
            total += value.size
        out[layer.name] = round(zeros / total, 6)
    return out


def _quantized(layer, name: str) -> np.ndarray:
    attr = {"kernel": "kernel_quantizer_internal", "depthwise_kernel": "depthwise_quantizer_internal",
            "pointwise_kernel": "pointwise_quantizer_internal"}[name]
    weight = getattr(layer, name)
    quantizer = getattr(layer, attr, None)
    return np.asarray(quantizer(weight) if quantizer is not None else weight)


# ---------------------------------------------------------------- structured (network slimming)


def slimmable_layers(model) -> list[str]:
    """Convolutions whose output channels can be removed: not the logits, not reaching a residual Add."""
    logits = surgery.output_layer(model)
    return [layer.name for layer in model.layers
            if type(layer).__name__ in SLIMMABLE and layer.name != logits
            and not surgery.reaches(model, layer.name, ("Add", "Flatten"))]


@dataclass
class Slimming:
    """A model with batch norms inserted for sparsity training, and what selection needs to know."""

    model: object
    layers: list[str]
    scale: dict[str, float] = field(default_factory=dict)  # mean initial gamma per layer


def insert_batch_norm(model, x_calib: np.ndarray, l1: float) -> Slimming:
    """`model` with a BatchNormalization after each slimmable convolution, starting as the identity on
    `x_calib`, with an L1 penalty of `l1` on gamma (relative to the layer's mean initial gamma)."""
    import tensorflow as tf

    names = slimmable_layers(model)
    if not names:
        raise ModelError(f"model {model.name!r} has no convolution whose channels can be removed "
                         "(every one feeds a residual Add or the logits)")
    probe = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outputs = probe.predict(x_calib, verbose=0, batch_size=256)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    stats = {}
    for name, out in zip(names, outputs, strict=True):
        flat = out.reshape(-1, out.shape[-1]).astype(np.float64)
        stats[name] = (flat.mean(0), flat.var(0))
    scale = {}

    def edit(layer, args, sources):
        if layer.name not in stats:
            return None
        new = surgery.copy_layer(layer)
        out = surgery.call(new, args)
        new.set_weights(layer.get_weights())
        mean, var = stats[layer.name]
        bn = tf.keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.9, name=f"{layer.name}{BN_SUFFIX}")
        std = np.sqrt(var + bn.epsilon)
        scale[layer.name] = float(std.mean())
        bn.gamma_regularizer = tf.keras.regularizers.L1(float(l1) / scale[layer.name])
        out = bn(out)
        bn.set_weights([std.astype(np.float32), mean.astype(np.float32), mean.astype(np.float32),
                        var.astype(np.float32)])
        return out

    with_bn = surgery.rewrite(model, edit)
    return Slimming(with_bn, names, scale)


def channel_importance(slim: Slimming) -> dict[str, np.ndarray]:
    return {n: np.abs(slim.model.get_layer(n + BN_SUFFIX).get_weights()[0]) / slim.scale[n] for n in slim.layers}


def select_channels(importance: dict[str, np.ndarray], fraction: float, min_keep: int = MIN_CHANNELS):
    """Kept channel indices per layer: the globally least important `fraction` of channels is removed, each
    layer keeping at least `min_keep` (its most important). Returns (keep, threshold)."""
    values = np.concatenate(list(importance.values()))
    n_remove = int(round(fraction * len(values)))
    threshold = float(np.sort(values)[n_remove - 1]) if n_remove else -np.inf
    keep = {}
    for name, imp in importance.items():
        kept = np.flatnonzero(imp > threshold)
        if len(kept) < min(min_keep, len(imp)):
            kept = np.sort(np.argsort(-imp, kind="stable")[:min(min_keep, len(imp))])
        keep[name] = kept
    return keep, threshold


def fold_and_remove(slim: Slimming, keep: dict[str, np.ndarray]):
    """The batch-norm-free model: each batch norm folded into its convolution, the channels not in `keep`
    removed, and every consumer's input channels sliced to match."""
    model = slim.model
    masks: dict[str, np.ndarray | None] = {}  # layer -> kept channels of its output (original indices)

    def channels(name: str) -> int:
        shape = model.get_layer(name).output_shape
        return int(shape[-1])

    def edit(layer, args, sources):
        kind = type(layer).__name__
        in_mask = masks.get(sources[0]) if sources else None
        if kind == "BatchNormalization":
            if not layer.name.endswith(BN_SUFFIX) or layer.name[:-len(BN_SUFFIX)] not in keep:
                raise ModelError(f"layer {layer.name!r}: only the batch norms slimming inserted can be folded")
            masks[layer.name] = masks[sources[0]]
            return args[0]
        if kind == "Concatenate":
            parts = [masks.get(s) if masks.get(s) is not None else np.arange(channels(s)) for s in sources]
            offsets = np.cumsum([0] + [channels(s) for s in sources[:-1]])
            full = all(masks.get(s) is None for s in sources)
            masks[layer.name] = None if full else np.concatenate([p + o for p, o in zip(parts, offsets, strict=True)])
            return None
        if kind == "Add":
            if any(masks.get(s) is not None for s in sources):
                raise ModelError(f"layer {layer.name!r}: an Add whose inputs lost channels (a bug in slimming)")
            masks[layer.name] = None
            return None
        if kind in surgery.CHANNEL_MIXING:
            return _rebuild_mixing(layer, args, in_mask, keep.get(layer.name), _folded_bn(model, layer.name), masks)
        masks[layer.name] = in_mask
        if in_mask is None:
            return None
        if kind == "QDepthwiseConv2D":
            new = surgery.copy_layer(layer)
            out = surgery.call(new, args)
            new.set_weights(surgery.slice_channels(layer, layer.get_weights(), in_mask, None))
            return out
        if kind == "Reshape":
            config = layer.get_config()
            config["target_shape"] = tuple(config["target_shape"][:-1]) + (len(in_mask),)
            return surgery.call(surgery.copy_layer(layer, config), args)
        if kind == "Flatten":
            raise ModelError(f"layer {layer.name!r}: channels cannot be removed before a Flatten")
        return None

    return surgery.rewrite(model, edit)


def _folded_bn(model, name: str):
    try:
        return model.get_layer(name + BN_SUFFIX)
    except ValueError:
        return None


def _rebuild_mixing(layer, args, in_mask, keep_out, bn, masks):
    weights = layer.get_weights()
    if bn is not None:
        weights = fold_batch_norm(layer, weights, bn)
    weights = surgery.slice_channels(layer, weights, in_mask, keep_out)
    config = layer.get_config()
    if keep_out is not None:
        config["units" if type(layer).__name__ == "QDense" else "filters"] = int(len(keep_out))
    new = surgery.copy_layer(layer, config)
    out = surgery.call(new, args)
    new.set_weights(weights)
    masks[layer.name] = keep_out
    return out


def fold_batch_norm(layer, weights: list[np.ndarray], bn) -> list[np.ndarray]:
    """Kernel and bias of `layer` with the (inference-mode) batch norm that follows it folded in."""
    gamma, beta, mean, var = bn.get_weights()
    scale = gamma / np.sqrt(var + bn.epsilon)
    names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    if "bias" not in names:
        raise ModelError(f"layer {layer.name!r} has no bias to fold its batch norm into")
    out = []
    for short, value in zip(names, weights, strict=True):
        if short in ("kernel", "pointwise_kernel"):
            value = value * scale  # output channels are the last axis
        elif short == "bias":
            value = (value - mean) * scale + beta
        out.append(value.astype(np.float32))
    return out


def check_fraction(value: float | None, option: str, *, allow_zero: bool) -> None:
    if value is None:
        return
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value < 1):
        raise HwgenError(f"{option} {value:g}: expected a fraction in {'[0' if allow_zero else '(0'}, 1) "
                         f"({'share of the weights set to zero' if option == '--prune' else 'share of the channels removed'})")
