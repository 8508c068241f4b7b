"""Model compression from the review this project grew from: pruning, knowledge distillation, low-rank.

    surgery   rebuilding a functional QKeras model with layers changed, inserted, split or removed
    prune     unstructured magnitude pruning (tfmot, stripped before export) and network slimming
    distill   logit (KD, DKD) and feature (attention transfer) distillation losses, the training loop
    lowrank   truncated-SVD factorisation of conv, pointwise and dense layers into two thinner layers
    pipeline  `hwgen compress`: a run in, a compressed run (same layout as `hwgen train`) out

TensorFlow is imported inside the functions, so importing this package stays light.
"""

from hwgen.compress.pipeline import CompressConfig, compress_run, print_comparison

__all__ = ["CompressConfig", "compress_run", "print_comparison"]
