"""Depth of a residual block's skip FIFO, so that a stream fork never deadlocks.

A residual block in the dataflow is

    x ─► axis_fork ─┬─► main path (conv / depthwise / requant ...) ─► axis_add ─►
                    └─► axis_fifo (the skip path) ───────────────────┘

axis_fork hands a beat on only when both branches take it, and axis_add takes a beat only when both
of its inputs have one. Before the main path can emit its output beat j it must read some input
beats beyond beat j (a 'same' convolution needs the next time steps; a full convolution needs every
channel group of a step). All of those beats also went into the skip path, and the adder has not
yet consumed beat j there, so the skip FIFO must hold them:

    lead = max over j of (input beats the main path needs before output beat j) - j

The skip path holds `lead` beats: axis_fifo's DEPTH plus the one beat axis_fork keeps for the
FIFO once the main path has taken it (the fork is eager: each output takes a beat when it can). With
less, the FIFO fills up, the fork stops, and the main path never gets the beat it waits for: a
deadlock. So DEPTH = lead - 1 is the smallest safe depth (sim/test_skip_fifo.py runs a fork ->
(main path, FIFO) -> add with DEPTH = lead - 2, which hangs, and lead - 1, which finishes
bit-exactly, for a per-channel and a whole-step main path).

To also keep the block at full rate, the FIFO covers the beats that arrive while the deciding beat
travels through the main path's pipeline: the main path's latency plus the FIFO's own two cycles
on top. The latency only costs throughput when underestimated; the lead alone decides deadlock
freedom.

The generator describes the main path as a list of `PathStage`s (`stage(kernel, params)` knows the
kernels in kernels/) and asks `skip_fifo_depth(stages, beats_per_step)` for axis_fifo's DEPTH.
Example, a MobileNet inverted residual at 16 channels, 4 a beat (4 beats per time step):

    >>> expand = stage("conv1d_mac", dict(K=1, PADDING="same", STRIDE=1))
    >>> dw = stage("depthwise_conv1d", dict(K=3, PADDING="same", STRIDE=1))
    >>> project = stage("conv1d_mac", dict(K=1, PADDING="same", STRIDE=1))
    >>> cast = stage("requant_relu", {})
    >>> path = [expand, cast, dw, cast, project, cast]
    >>> main_path_lead(path, 4)        # one step of look-ahead (dw), whole steps (the 1x1 convs): 2 x 4
    8
    >>> skip_fifo_depth(path, 4, full_rate=False)
    7
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hwgen.errors import HwgenError
from hwgen.graph import ops

FIFO_LATENCY = 2  # axis_fifo: a beat written at edge n can leave at edge n + 2


@dataclass(frozen=True)
class PathStage:
    """One kernel on a residual block's main path, as far as the skip FIFO is concerned.

    lookahead   input time steps beyond t the kernel must read before it emits output step t
                ('same' convolution at stride 1: the zero rows after, ops.same_padding(...)[1])
    whole_step  output step t waits for every channel group of its last input step (a convolution
                mixing channels); False for per-channel kernels (depthwise, requant), whose output
                group g needs input group g only
    latency     clock cycles from the input beat that completes an output to that output beat
    """

    lookahead: int = 0
    whole_step: bool = False
    latency: int = 1

    def __post_init__(self):
        if self.lookahead < 0 or self.latency < 0:
            raise HwgenError(f"path stage {self}: lookahead and latency must be >= 0")


def _same_lookahead(params: Mapping) -> int:
    kernel, padding, stride = int(params["K"]), params.get("PADDING", "same"), int(params.get("STRIDE", 1))
    if stride != 1:
        raise HwgenError(f"a residual main path keeps the frame length: STRIDE must be 1, got {stride}")
    if padding == "valid":
        raise HwgenError("a residual main path keeps the frame length: PADDING must be 'same', got 'valid'")
    # zero rows after the frame = rows a window reads ahead (at stride 1 the split does not depend on n)
    return ops.same_padding(n=kernel, kernel=kernel, stride=1)[1]


# Cycles from the deciding input beat to the output beat (line buffer register, pipeline stages).
_LATENCY = {"conv1d_mac": 6, "shift_conv1d": 6, "depthwise_conv1d": 3, "requant_relu": 1,
            "axis_fifo": FIFO_LATENCY, "axis_lanes": 1}


def stage(kernel: str, params: Mapping) -> PathStage:
    """The PathStage of one kernels/*.v instance with HDL parameters `params`."""
    if kernel in ("conv1d_mac", "shift_conv1d"):
        return PathStage(_same_lookahead(params), whole_step=True, latency=_LATENCY[kernel])
    if kernel == "depthwise_conv1d":
        return PathStage(_same_lookahead(params), whole_step=False, latency=_LATENCY[kernel])
    if kernel in ("requant_relu", "axis_fifo"):
        return PathStage(0, whole_step=False, latency=_LATENCY[kernel])
    if kernel == "axis_lanes":  # a gather waits for a whole word: bounded by a whole step
        # HOLD = 1: a registered scatter, one more cycle
        return PathStage(0, whole_step=True, latency=_LATENCY[kernel] + int(params.get("HOLD", 0)))
    raise HwgenError(f"no skip-FIFO model for kernel {kernel!r} on a residual main path "
                     f"(known: {', '.join(sorted(_LATENCY))})")


def main_path_lead(stages: Sequence[PathStage], beats_per_step: int) -> int:
    """Beats of the forked stream the main path reads ahead of the beat it emits (see the module doc).

    Per-channel stages only: output beat (t, g) needs input beat (t + L, g), L the summed
    look-ahead, so the skip path holds L * beats_per_step + 1 beats. Any whole-step stage: output
    (t, 0) needs the end of input step t + L, so it holds (L + 1) * beats_per_step beats.
    """
    if beats_per_step < 1:
        raise HwgenError(f"beats_per_step must be >= 1, got {beats_per_step}")
    steps = sum(s.lookahead for s in stages)
    if any(s.whole_step for s in stages):
        return (steps + 1) * beats_per_step
    return steps * beats_per_step + 1


def skip_fifo_depth(stages: Sequence[PathStage], beats_per_step: int, full_rate: bool = True) -> int:
    """axis_fifo DEPTH for the skip path around `stages` (the fork in front is axis_fork).

    full_rate=False: the smallest depth that cannot deadlock, lead - 1 (the fork holds one beat).
    full_rate=True: also absorbs the main path's pipeline latency and the FIFO's own, so the block
    streams at the main path's rate (one beat per cycle for per-channel paths).
    """
    lead = main_path_lead(stages, beats_per_step)
    if not full_rate:
        return max(1, lead - 1)
    return max(1, lead - 1) + sum(s.latency for s in stages) + FIFO_LATENCY
