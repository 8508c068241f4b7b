"""Knowledge distillation losses and the training loop every compression fine-tune runs through.

The student's loss per example (y the label, s/t the student's/teacher's logits, T the temperature):

    (1 - alpha) * CE(y, softmax(s)) + alpha * (the logit term) + AT

- `kd` (Hinton et al., 2015): T^2 * KL(softmax(t/T) || softmax(s/T));
- `dkd` (decoupled KD, Zhao et al., 2022): T^2 * (dkd_alpha * TCKD + dkd_beta * NCKD), TCKD the KL of the
  binary (target, rest) probabilities, NCKD the KL among the non-target classes only;
- `at` (attention transfer, Zagoruyko & Komodakis, 2017; feature-based): at each matched layer the
  attention map q = mean over channels of f^2, a vector over time, L2-normalised; AT is beta/2 times the
  sum over the matched layers of the mean over time of (q_s - q_t)^2 (the paper's form, beta = 1000). The zoo's stages share their time lengths across architectures
  (same input pooling and stage pools), so the stage outputs `pool1..3` match for any teacher/student
  pair; channels may differ (no regressor is needed, unlike FitNets).

With alpha = 0 and no `at` term the loss is exactly the cross-entropy `hwgen train` minimises. Class
weights enter as per-example weights. The teacher is fixed: its logits and attention maps are computed
once per example before training (no augmentation, so nothing changes between epochs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwgen.errors import HwgenError, ModelError

LOGIT_TERMS = ("kd", "dkd")
FEATURE_TERMS = ("at",)
TERMS = LOGIT_TERMS + FEATURE_TERMS
FEATURE_LAYERS = ("pool1", "pool2", "pool3")


@dataclass
class DistillConfig:
    terms: tuple[str, ...] = ("kd",)
    temperature: float = 4.0
    alpha: float = 0.9
    dkd_alpha: float = 1.0
    dkd_beta: float = 8.0
    at_beta: float = 1000.0
    feature_layers: tuple[str, ...] = field(default=FEATURE_LAYERS)

    def __post_init__(self):
        self.terms = tuple(self.terms)
        bad = [t for t in self.terms if t not in TERMS]
        if bad or not self.terms:
            raise HwgenError(f"--distill {','.join(self.terms)}: expected a comma-separated list of {', '.join(TERMS)}")
        if sum(t in LOGIT_TERMS for t in self.terms) > 1:
            raise HwgenError("--distill: choose one logit term, kd or dkd")
        if not self.temperature > 0:
            raise HwgenError(f"--temperature {self.temperature:g}: expected a positive number")
        if not 0 <= self.alpha <= 1:
            raise HwgenError(f"--alpha {self.alpha:g}: expected the distillation weight in [0, 1]")
        if self.dkd_alpha < 0 or self.dkd_beta < 0 or self.at_beta < 0:
            raise HwgenError("--dkd-alpha, --dkd-beta and --at-beta must be >= 0")

    @property
    def logit_term(self) -> str | None:
        return next((t for t in self.terms if t in LOGIT_TERMS), None)

    @property
    def uses_features(self) -> bool:
        return "at" in self.terms


# ---------------------------------------------------------------- losses (TensorFlow, per example)


def cross_entropy(y, logits):
    import tensorflow as tf

    return tf.keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)


def kd_term(student, teacher, temperature: float):
    """T^2 * KL(softmax(t/T) || softmax(s/T)), per example."""
    import tensorflow as tf

    log_ps = tf.nn.log_softmax(student / temperature, axis=-1)
    log_pt = tf.nn.log_softmax(teacher / temperature, axis=-1)
    return temperature ** 2 * tf.reduce_sum(tf.exp(log_pt) * (log_pt - log_ps), axis=-1)


def dkd_term(student, teacher, y, temperature: float, alpha: float, beta: float):
    """Decoupled KD: T^2 * (alpha * TCKD + beta * NCKD), per example."""
    import tensorflow as tf

    n = tf.shape(student)[-1]
    target = tf.one_hot(tf.cast(tf.reshape(y, [-1]), tf.int32), n, dtype=student.dtype)
    ps = tf.nn.softmax(student / temperature, axis=-1)
    pt = tf.nn.softmax(teacher / temperature, axis=-1)
    eps = 1e-7

    def binary(p):
        on = tf.reduce_sum(p * target, axis=-1)
        return tf.stack([on, 1.0 - on], axis=-1)

    bs, bt = tf.clip_by_value(binary(ps), eps, 1.0), tf.clip_by_value(binary(pt), eps, 1.0)
    tckd = tf.reduce_sum(bt * (tf.math.log(bt) - tf.math.log(bs)), axis=-1)
    masked = 1000.0 * target  # the target class leaves the non-target distribution
    log_qs = tf.nn.log_softmax(student / temperature - masked, axis=-1)
    log_qt = tf.nn.log_softmax(teacher / temperature - masked, axis=-1)
    nckd = tf.reduce_sum(tf.exp(log_qt) * (log_qt - log_qs) * (1.0 - target), axis=-1)
    return temperature ** 2 * (alpha * tckd + beta * nckd)


def attention_map(features):
    """(N, time, channels) -> (N, time): mean of squares over channels, L2-normalised over time."""
    import tensorflow as tf

    q = tf.reduce_mean(tf.square(features), axis=-1)
    return tf.math.l2_normalize(q, axis=-1)


def at_term(student_features, teacher_maps, beta: float):
    """beta/2 * sum over matched layers of mean over time of (q_s - q_t)^2, per example (teacher maps
    precomputed)."""
    import tensorflow as tf

    total = 0.0
    for f, qt in zip(student_features, teacher_maps, strict=True):
        total += tf.reduce_mean(tf.square(attention_map(f) - qt), axis=-1)
    return beta / 2 * total


def distill_loss(cfg: DistillConfig | None, y, student_logits, student_features=(), teacher_logits=None,
                 teacher_maps=()):
    """The per-example loss (see the module docstring); `cfg` None is plain cross-entropy."""
    ce = cross_entropy(y, student_logits)
    if cfg is None:
        return ce
    loss = ce
    term = cfg.logit_term
    if term is not None:
        logit = (kd_term(student_logits, teacher_logits, cfg.temperature) if term == "kd" else
                 dkd_term(student_logits, teacher_logits, y, cfg.temperature, cfg.dkd_alpha, cfg.dkd_beta))
        loss = (1.0 - cfg.alpha) * ce + cfg.alpha * logit
    if cfg.uses_features:
        loss = loss + at_term(student_features, teacher_maps, cfg.at_beta)
    return loss


# ---------------------------------------------------------------- teacher targets


def check_feature_layers(model, names, role: str) -> None:
    missing = [n for n in names if n not in {layer.name for layer in model.layers}]
    if missing:
        raise ModelError(f"{role} model {model.name!r} has no layer {', '.join(missing)} for attention transfer "
                         f"(it matches the stage outputs {', '.join(names)})")


def teacher_targets(teacher, x: np.ndarray, cfg: DistillConfig) -> dict[str, np.ndarray]:
    """The teacher's logits and (for `at`) attention maps on x, computed once."""
    import tensorflow as tf

    from hwgen.compress.surgery import logits_view

    layers = cfg.feature_layers if cfg.uses_features else ()
    if layers:
        check_feature_layers(teacher, layers, "teacher")
    outputs = logits_view(teacher, layers).predict(x, verbose=0, batch_size=256)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    targets = {"t_logits": np.asarray(outputs[0], np.float32)}
    for i, f in enumerate(outputs[1:]):
        targets[f"t_map{i}"] = np.asarray(attention_map(tf.constant(f, tf.float32)))
    return targets


# ---------------------------------------------------------------- training


def make_trainer(view, cfg: DistillConfig | None, n_features: int):
    """A Keras model wrapping `view` (the student's [logits, *features] view) whose fit() minimises the
    distillation loss, so Keras' callbacks (early stopping, progress, pruning steps) drive it."""
    import tensorflow as tf

    class Trainer(tf.keras.Model):
        def __init__(self):
            super().__init__(name="trainer")
            self.view = view
            self.loss_mean = tf.keras.metrics.Mean(name="loss")
            self.acc = tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")

        def call(self, x, training=False):
            return self.view(x, training=training)

        @property
        def metrics(self):
            return [self.loss_mean, self.acc]

        def _loss(self, x, targets, weights, training):
            outputs = self.view(x, training=training)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            logits, features = outputs[0], outputs[1:]
            maps = [targets[f"t_map{i}"] for i in range(n_features)]
            per_example = distill_loss(cfg, targets["y"], logits, features, targets.get("t_logits"), maps)
            if weights is not None:
                per_example = per_example * tf.reshape(tf.cast(weights, per_example.dtype), [-1])
            return tf.reduce_mean(per_example), logits

        def train_step(self, data):
            x, targets, weights = tf.keras.utils.unpack_x_y_sample_weight(data)
            with tf.GradientTape() as tape:
                loss, logits = self._loss(x, targets, weights, True)
                regularisation = tf.add_n(self.view.losses) if self.view.losses else 0.0
                total = loss + regularisation
            variables = self.view.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(total, variables), variables, strict=True))
            self.loss_mean.update_state(loss)
            self.acc.update_state(targets["y"], logits)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, targets, weights = tf.keras.utils.unpack_x_y_sample_weight(data)
            loss, logits = self._loss(x, targets, weights, False)
            self.loss_mean.update_state(loss)
            self.acc.update_state(targets["y"], logits)
            return {m.name: m.result() for m in self.metrics}

    return Trainer()
