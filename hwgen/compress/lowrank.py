"""Low-rank decomposition: a weighted layer as two thinner ordinary layers, by truncated SVD.

A convolution's kernel (k, C, F) is the matrix M (k*C, F) (a pointwise convolution: k = 1; a dense layer:
(C, F)). Its rank-r SVD M ~ A B gives two layers the backends already convert:

    QConv1D k taps, C -> r (no bias, the original stride and padding)  ->  QConv1D 1 tap, r -> F (+ bias)
    QDense C -> r (no bias)                                            ->  QDense r -> F (+ bias)

A QSeparableConv1D is split first into its depthwise half (QDepthwiseConv2D on the zoo's (time, 1, ch)
reshape, no bias) and its pointwise half, which is factorised. The second layer keeps the original name;
the first is `<name>_lr`. Both keep the original kernel quantizer (QAT stays on at the same bits); the
intermediate has no activation (the integer graph types it like a separable convolution's middle).

Parameters go from k*C*F to r*(k*C + F), so a layer is factorised only when that is smaller. The logits
layer is factorised only when named (its rank bounds how many classes it can tell apart). The rank is
chosen per layer by one of: an energy fraction (the smallest r whose singular values keep that share of
sum(sigma^2)), a budget (the largest r within that share of the layer's weights), or a fixed rank.
The factors are balanced per component (A's column and B's row get equal largest magnitudes) so neither
is crushed by the fixed-point grid; the SVD is taken of the layer's quantized (effective) weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.compress import surgery
from hwgen.errors import HwgenError, ModelError

FACTORISABLE = ("QConv1D", "QSeparableConv1D", "QDense")


@dataclass(frozen=True)
class RankRule:
    """Exactly one of: energy in (0, 1], rank >= 1, budget in (0, 1)."""

    energy: float | None = None
    rank: int | None = None
    budget: float | None = None

    def __post_init__(self):
        given = [k for k in ("energy", "rank", "budget") if getattr(self, k) is not None]
        if len(given) != 1:
            raise HwgenError("low-rank needs exactly one of --low-rank ENERGY, --rank N, --rank-budget FRACTION"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.energy is not None and not 0 < self.energy <= 1:
            raise HwgenError(f"--low-rank {self.energy:g}: expected an energy fraction in (0, 1]")
        if self.rank is not None and not (isinstance(self.rank, int) and self.rank >= 1):
            raise HwgenError(f"--rank {self.rank}: expected a whole number >= 1")
        if self.budget is not None and not 0 < self.budget < 1:
            raise HwgenError(f"--rank-budget {self.budget:g}: expected a fraction of a layer's weights in (0, 1)")

    def choose(self, sigma: np.ndarray, rows: int, cols: int) -> int:
        full = len(sigma)
        if self.rank is not None:
            return min(self.rank, full)
        if self.budget is not None:
            return max(1, min(full, int(self.budget * rows * cols // (rows + cols))))
        energy = np.cumsum(sigma ** 2) / max(float(np.sum(sigma ** 2)), 1e-30)
        return int(min(full, np.searchsorted(energy, self.energy - 1e-12) + 1))

    def describe(self) -> str:
        if self.rank is not None:
            return f"rank {self.rank}"
        return f"energy {self.energy:g}" if self.energy is not None else f"budget {self.budget:g}"


def factor(matrix: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """(A (rows, rank), B (rank, cols)) with A @ B the best rank-`rank` approximation of `matrix`,
    balanced per component: max |A[:, i]| == max |B[i, :]|."""
    u, s, vt = np.linalg.svd(np.asarray(matrix, np.float64), full_matrices=False)
    a = u[:, :rank] * np.sqrt(s[:rank])
    b = np.sqrt(s[:rank])[:, None] * vt[:rank]
    top_a = np.maximum(np.abs(a).max(0), 1e-30)
    top_b = np.maximum(np.abs(b).max(1), 1e-30)
    c = np.sqrt(top_b / top_a)
    return a * c, b / c[:, None]


def relative_error(matrix: np.ndarray, rank: int) -> float:
    """||M - A B||_F / ||M||_F of the rank-`rank` factorisation."""
    a, b = factor(matrix, rank)
    return float(np.linalg.norm(matrix - a @ b) / max(np.linalg.norm(matrix), 1e-30))


def layer_matrix(layer) -> np.ndarray:
    """The matrix a layer's (quantized) kernel multiplies: (k*C, F), or (C, F) for a separable's pointwise."""
    kind = type(layer).__name__
    name, attr = (("pointwise_kernel", "pointwise_quantizer_internal") if kind == "QSeparableConv1D"
                  else ("kernel", "kernel_quantizer_internal"))
    weight = getattr(layer, name)
    quantizer = getattr(layer, attr, None)
    value = np.asarray(quantizer(weight) if quantizer is not None else weight, np.float64)
    return value.reshape(-1, value.shape[-1])


def factorise(model, rule: RankRule, layers: list[str] | None = None):
    """`model` with the chosen layers factorised; returns (model, {layer: record}) where a record says the
    rank, the energy kept, the relative error and the parameters before and after (or why it was kept)."""
    candidates = [layer.name for layer in model.layers if type(layer).__name__ in FACTORISABLE]
    if not layers:  # a rank-r logits layer can only place the classes in an r-dimensional subspace
        candidates = [n for n in candidates if n != surgery.output_layer(model)]
    if layers:
        unknown = [n for n in layers if n not in candidates]
        if unknown:
            raise ModelError(f"--rank-layers {', '.join(unknown)}: not a factorisable layer of model "
                             f"{model.name!r} (QConv1D, QSeparableConv1D, QDense); candidates: {', '.join(candidates)}")
        candidates = [n for n in candidates if n in layers]
    plan, records = {}, {}
    for name in candidates:
        matrix = layer_matrix(model.get_layer(name))
        rows, cols = matrix.shape
        sigma = np.linalg.svd(matrix, compute_uv=False)
        rank = rule.choose(sigma, rows, cols)
        energy = float(np.sum(sigma[:rank] ** 2) / max(np.sum(sigma ** 2), 1e-30))
        before, after = rows * cols, rank * (rows + cols)
        record = {"rank": rank, "max_rank": len(sigma), "energy": round(energy, 6), "weights_before": before,
                  "weights_after": after if after < before else before}
        if after >= before:
            record["kept"] = f"rank {rank} would not save weights ({after} >= {before})"
        else:
            record["relative_error"] = round(relative_error(matrix, rank), 6)
            plan[name] = factor(matrix, rank)
        records[name] = record
    if not plan:
        reasons = "; ".join(f"{n}: {r.get('kept')}" for n, r in records.items())
        raise ModelError(f"model {model.name!r}: low-rank ({rule.describe()}) saves weights in no layer ({reasons})")

    def edit(layer, args, sources):
        if layer.name not in plan:
            return None
        a, b = plan[layer.name]
        return _split(layer, args[0], a, b)

    import tensorflow as tf

    from hwgen.models import custom_objects

    with tf.keras.utils.custom_object_scope(custom_objects()):
        return surgery.rewrite(model, edit), records


def _split(layer, x, a: np.ndarray, b: np.ndarray):
    """Output tensor of `layer` replaced by its two factors (and, for a separable conv, its depthwise half)."""
    from qkeras import QConv1D, QDense, QDepthwiseConv2D
    from tensorflow.keras import layers as klayers

    kind = type(layer).__name__
    config = layer.get_config()
    rank = a.shape[1]
    bias = layer.get_weights()[-1] if config.get("use_bias", True) else None
    if kind == "QDense":
        first = QDense.from_config(config | {"name": f"{layer.name}_lr", "units": rank, "use_bias": False})
        second = QDense.from_config(config | {"units": int(b.shape[1])})
        h = first(x)
        first.set_weights([a.astype(np.float32)])
        out = second(h)
        second.set_weights([b.astype(np.float32)] + ([bias] if bias is not None else []))
        return out
    if kind == "QSeparableConv1D":
        steps, channels = int(x.shape[1]), int(x.shape[2])
        k = int(layer.kernel_size[0])
        h = klayers.Reshape((steps, 1, channels), name=f"{layer.name}_to2d")(x)
        dw = QDepthwiseConv2D.from_config({
            "name": f"{layer.name}_dw", "kernel_size": (k, 1), "strides": (int(layer.strides[0]), 1),
            "padding": config["padding"], "depth_multiplier": 1, "use_bias": False,
            "depthwise_quantizer": config["depthwise_quantizer"], "bias_quantizer": config["bias_quantizer"]})
        h = dw(h)
        dw.set_weights([layer.depthwise_kernel.numpy()[:, None]])  # (k, C, 1) -> (k, 1, C, 1)
        x = klayers.Reshape((int(h.shape[1]), channels), name=f"{layer.name}_to1d")(h)
        kernel, stride, padding = 1, 1, "valid"
        quantizer = config["pointwise_quantizer"]
    else:
        kernel, stride, padding = int(layer.kernel_size[0]), int(layer.strides[0]), config["padding"]
        quantizer = config["kernel_quantizer"]
    base = {"activation": None, "kernel_quantizer": quantizer, "bias_quantizer": config["bias_quantizer"],
            "dilation_rate": (1,)}
    first = QConv1D.from_config(base | {"name": f"{layer.name}_lr", "filters": rank, "kernel_size": (kernel,),
                                        "strides": (stride,), "padding": padding, "use_bias": False})
    second = QConv1D.from_config(base | {"name": layer.name, "filters": int(b.shape[1]), "kernel_size": (1,),
                                         "strides": (1,), "padding": "valid", "use_bias": bias is not None})
    h = first(x)
    first.set_weights([a.reshape(kernel, -1, rank).astype(np.float32)])
    out = second(h)
    second.set_weights([b[None].astype(np.float32)] + ([bias] if bias is not None else []))
    return out
