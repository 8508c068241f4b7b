"""Pruning: unstructured magnitude pruning (tensorflow-model-optimization) and structured channel pruning
by network slimming.

Unstructured (Han et al., 2015; Zhu & Gupta's polynomial schedule): every prunable layer's kernels are
wrapped in tfmot's `PruneLowMagnitude`; during fine-tuning the smallest-magnitude weights are masked to
zero, from 0 to the target sparsity along a cubic schedule, then held. The wrappers are stripped before
the model is saved, so the run holds a plain QKeras model whose quantized kernels are exactly zero there
(quantized_bits maps 0 to 0). Power-of-two layers are skipped: quantized_po2 has no zero (it maps 0 to
its smallest magnitude), so masking them would change nothing in the exported weights.

Structured (network slimming, Liu et al., 2017): the zoo has no batch norm, so one is inserted after every
prunable convolution: a BatchNormalization (normalisation only) and a `ChannelGate` y = g * s0 * z_hat + beta,
s0 the channel's initial standard deviation and beta its mean, so the pair starts as the identity on
training examples and the gate g (network slimming's gamma, in units of s0) starts at 1 in every layer,
which makes gates of different layers comparable. Sparsity training adds an L1 penalty on the gates; the
globally smallest `fraction` of |g| is removed (each layer keeping at least `min_keep` of its channels), the
batch norm and gate are folded into their convolution's kernel and bias, and a smaller, batch-norm-free
model is rebuilt with the kept channels. A removed channel still had a mean (relu(beta) when g ~ 0): its mean input to each
consumer, measured on calibration examples, is folded into that consumer's bias ("mean replacement"), and
the consumer's input channels are sliced to match. Convolutions whose channels meet a residual Add
(mobilenet's stem and equal-width projections) or make the logits are not pruned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hwgen.compress import surgery
from hwgen.errors import HwgenError, ModelError

PRUNABLE = ("QConv1D", "QSeparableConv1D", "QDepthwiseConv2D", "QDense")
SLIMMABLE = ("QConv1D", "QSeparableConv1D")
MIN_CHANNELS = 2
MIN_KEEP_FRACTION = 0.25  # slimming keeps at least this share of each layer's channels
BN_SUFFIX = "_bn"
GATE_SUFFIX = "_gate"
BN_EPSILON = 1e-3
# The gates train GATE_LR_MULTIPLIER times faster than the weights (g = h * multiplier, h trained): with Adam
# every weight moves about one learning rate per step, and a gate must be able to cross from 1 to 0 in the
# few hundred steps of sparsity training.
GATE_LR_MULTIPLIER = 30.0


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


# ---------------------------------------------------------------- structured (network slimming)


def slimmable_layers(model) -> list[str]:
    """Convolutions whose output channels can be removed: not the logits, not reaching a residual Add."""
    logits = surgery.output_layer(model)
    return [layer.name for layer in model.layers
            if type(layer).__name__ in SLIMMABLE and layer.name != logits
            and not surgery.reaches(model, layer.name, ("Add", "Flatten"))]


@dataclass
class Slimming:
    """A model with batch norms and channel gates inserted for sparsity training."""

    model: object
    layers: list[str]
    x_calib: np.ndarray


def _gate_class():
    """The scale-and-shift half of a batch norm, with the scale as a gate g = h * multiplier, g = 1 at the start
    (dimensionless, so gates of different layers compare), times the channel's initial standard deviation."""
    import tensorflow as tf

    class ChannelGate(tf.keras.layers.Layer):
        def __init__(self, std, mean, l1: float, multiplier: float = GATE_LR_MULTIPLIER, **kwargs):
            super().__init__(**kwargs)
            self.std = np.asarray(std, np.float32)
            self.mean = np.asarray(mean, np.float32)
            self.l1, self.multiplier = float(l1), float(multiplier)

        def build(self, input_shape):
            channels = int(input_shape[-1])
            self.h = self.add_weight(name="h", shape=(channels,), initializer=tf.keras.initializers.Constant(
                1.0 / self.multiplier), regularizer=tf.keras.regularizers.L1(self.l1 * self.multiplier))
            self.beta = self.add_weight(name="beta", shape=(channels,),
                                        initializer=tf.keras.initializers.Constant(self.mean))

        def call(self, x):
            return x * (self.h * self.multiplier * self.std) + self.beta

        def gates(self) -> np.ndarray:
            return self.h.numpy() * self.multiplier

        def get_config(self):  # for surgery.rewrite's walk (the gated model is never saved)
            return super().get_config() | {"std": self.std.tolist(), "mean": self.mean.tolist(), "l1": self.l1,
                                           "multiplier": self.multiplier}

    return ChannelGate


def insert_batch_norm(model, x_calib: np.ndarray, l1: float) -> Slimming:
    """`model` with a batch norm (normalisation only) and a `ChannelGate` after each slimmable convolution,
    together the identity on `x_calib` at the start, with an L1 penalty of `l1` on the gates."""
    import tensorflow as tf

    names = slimmable_layers(model)
    if not names:
        raise ModelError(f"model {model.name!r} has no convolution whose channels can be removed "
                         "(every one feeds a residual Add or the logits)")
    stats = {n: (m.mean(0), m.var(0)) for n, m in zip(names, _flat_outputs(model, names, x_calib), strict=True)}
    gate = _gate_class()

    def edit(layer, args, sources):
        if layer.name not in stats:
            return None
        new = surgery.copy_layer(layer)
        out = surgery.call(new, args)
        new.set_weights(layer.get_weights())
        mean, var = stats[layer.name]
        bn = tf.keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.9, center=False, scale=False,
                                                name=f"{layer.name}{BN_SUFFIX}")
        out = bn(out)
        bn.set_weights([mean.astype(np.float32), var.astype(np.float32)])
        return gate(np.sqrt(var + BN_EPSILON), mean, l1, name=f"{layer.name}{GATE_SUFFIX}")(out)

    return Slimming(surgery.rewrite(model, edit), names, x_calib)


def _flat_outputs(model, names, x) -> list[np.ndarray]:
    """Each named layer's output on x as (examples * positions, channels) float64."""
    import tensorflow as tf

    outputs = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in names]).predict(
        x, verbose=0, batch_size=256)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return [o.reshape(-1, o.shape[-1]).astype(np.float64) for o in outputs]


def channel_importance(slim: Slimming) -> dict[str, np.ndarray]:
    """|gate| per channel (1 at the start of sparsity training)."""
    return {n: np.abs(slim.model.get_layer(n + GATE_SUFFIX).gates()) for n in slim.layers}


def select_channels(importance: dict[str, np.ndarray], fraction: float, min_keep: float = MIN_KEEP_FRACTION):
    """Kept channel indices per layer: the globally least important `fraction` of all channels is removed, but
    every layer keeps at least `min_keep` of its channels (and MIN_CHANNELS): network slimming's single global
    threshold otherwise starves a layer whose scales run small (measured: a 2-channel bottleneck the
    fine-tuning cannot recover from). Returns (keep, threshold: the largest importance removed)."""
    floors = {n: min(len(v), max(MIN_CHANNELS, math.ceil(min_keep * len(v)))) for n, v in importance.items()}
    order = sorted(((float(v), n, i) for n, imp in importance.items() for i, v in enumerate(imp)))
    n_remove = int(round(fraction * len(order)))
    left = {n: len(v) for n, v in importance.items()}
    removed: dict[str, set] = {n: set() for n in importance}
    threshold = -np.inf
    for value, name, index in order:
        if n_remove == 0:
            break
        if left[name] > floors[name]:
            removed[name].add(index)
            left[name] -= 1
            n_remove -= 1
            threshold = value
    keep = {n: np.array([i for i in range(len(v)) if i not in removed[n]], dtype=np.int64)
            for n, v in importance.items()}
    return keep, threshold


def fold_and_remove(slim: Slimming, keep: dict[str, np.ndarray]):
    """The batch-norm-free model: each batch norm and gate folded into its convolution, the channels not in
    `keep` removed (their mean input, measured on the calibration examples, folded into each consumer's
    bias), and every consumer's input channels sliced to match."""
    model = slim.model
    mixing = [layer.name for layer in model.layers if type(layer).__name__ in surgery.CHANNEL_MIXING]
    input_means = _input_means(model, mixing, slim.x_calib)
    masks: dict[str, np.ndarray | None] = {}  # layer -> kept channels of its output (original indices)

    def channels(name: str) -> int:
        return int(model.get_layer(name).output_shape[-1])

    def edit(layer, args, sources):
        kind = type(layer).__name__
        in_mask = masks.get(sources[0]) if sources else None
        if layer.name.endswith((BN_SUFFIX, GATE_SUFFIX)) and layer.name.rsplit("_", 1)[0] in keep:
            masks[layer.name] = masks[sources[0]]
            return args[0]  # folded into the convolution before it
        if kind == "BatchNormalization":
            raise ModelError(f"layer {layer.name!r}: only the batch norms slimming inserted can be folded")
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
            weights = layer.get_weights()
            if in_mask is not None:
                weights = compensate_removed_inputs(layer, weights, input_means[layer.name], in_mask)
            if layer.name in keep:
                weights = fold_gate(layer, weights, model.get_layer(layer.name + BN_SUFFIX),
                                    model.get_layer(layer.name + GATE_SUFFIX))
            return _rebuild_mixing(layer, args, weights, in_mask, keep.get(layer.name), masks)
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


def _input_means(model, names, x) -> dict[str, np.ndarray]:
    """Mean input (over examples and positions) per channel of each named layer."""
    import tensorflow as tf

    outputs = tf.keras.Model(model.inputs, [model.get_layer(n).input for n in names]).predict(
        x, verbose=0, batch_size=256)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return {n: o.reshape(-1, o.shape[-1]).astype(np.float64).mean(0) for n, o in zip(names, outputs, strict=True)}


def compensate_removed_inputs(layer, weights: list[np.ndarray], means: np.ndarray, kept: np.ndarray) -> list:
    """`layer`'s weights with the removed input channels replaced by their mean, folded into the bias."""
    kind = type(layer).__name__
    names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
    values = dict(zip(names, weights, strict=True))
    if "bias" not in values:
        raise ModelError(f"layer {layer.name!r} has no bias to take its removed inputs' mean")
    removed = np.setdiff1d(np.arange(len(means)), kept)
    m = means[removed]
    if kind == "QConv1D":  # (k, C, F): a constant input adds sum over taps
        shift = np.einsum("c,kcf->f", m, values["kernel"][:, removed])
    elif kind == "QSeparableConv1D":  # depthwise (k, C, 1) then pointwise (1, C, F)
        through_dw = m * values["depthwise_kernel"][:, removed, 0].sum(0)
        shift = through_dw @ values["pointwise_kernel"][0, removed]
    else:  # QDense (C, F)
        shift = m @ values["kernel"][removed]
    values["bias"] = (values["bias"] + shift).astype(np.float32)
    return [values[n] for n in names]


def _rebuild_mixing(layer, args, weights, in_mask, keep_out, masks):
    weights = surgery.slice_channels(layer, weights, in_mask, keep_out)
    config = layer.get_config()
    if keep_out is not None:
        config["units" if type(layer).__name__ == "QDense" else "filters"] = int(len(keep_out))
    new = surgery.copy_layer(layer, config)
    out = surgery.call(new, args)
    new.set_weights(weights)
    masks[layer.name] = keep_out
    return out


def fold_gate(layer, weights: list[np.ndarray], bn, gate) -> list[np.ndarray]:
    """Kernel and bias of `layer` with the (inference-mode) batch norm and gate after it folded in."""
    mean, var = bn.get_weights()
    scale = gate.gates() * gate.std / np.sqrt(var + bn.epsilon)
    beta = gate.beta.numpy()
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
