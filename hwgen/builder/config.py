"""`BuildConfig`: everything a build depends on, one JSON-serialisable dataclass (FINN's DataflowBuildConfig shape)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from hwgen.errors import HwgenError

BACKENDS = ("hls", "rtl")


@dataclass
class BuildConfig:
    """A build: which model, which board and backend, which steps, and every knob the steps read.

    Written to `<out>/build.json`; a rerun in the same folder with a different config is refused
    (naming the keys that differ) unless forced.
    """

    out: str = "build/model"
    source: str | None = None          # run directory or model .h5; None with `train`: the build trains its own
    board: str = "pynq-z2"
    backend: str = "hls"               # the overlay's accelerator: "hls" (hls4ml IP) or "rtl" (hwgen's Verilog)
    steps: list[str] | None = None     # None: the default steps (see hwgen.builder.steps.default_steps)
    # the demo builds its own data set and model
    data: dict | None = None           # {"task", "n", "seed", "time", "depth"}: synthesise a data set
    train: dict | None = None          # TrainConfig fields: train the model the build converts
    # export: precision inference and verification vectors
    calib: str | None = None           # calibration data file (default: the run's training examples)
    precision: dict = field(default_factory=dict)  # {layer: {"accum"|"result": "ap_fixed<W,I>"}}
    intermediate_width: int = 16
    fold_bits: int | None = None       # significant bits of folded BatchNormalization weights (None: kernel + 4)
    verify_data: str | None = None     # data file for verify/ (default: the run's test split)
    verify_max: int = 256              # at most this many verification examples
    keras_tolerance: float = 0.1       # graph logits within this fraction of Keras' logit range (verify set)
    allow_saturation: bool = False     # accept graph logits beyond the tolerance when types saturated
    # hls4ml
    io_type: str = "io_stream"
    strategy: str = "Latency"
    reuse: int | str = "auto"
    layer_settings: dict = field(default_factory=dict)
    # rtl
    fold: dict = field(default_factory=dict)   # {layer: [PE, SIMD]} by hand
    target_ii: int | None = None               # cycles per frame the folding aims for
    target_fps: float | None = None
    # overlay
    name: str = "hwgen"                # base name of the overlay (.bit/.hwh)
    data_width: int = 64               # input AXI-Stream width (the HP port)

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise HwgenError(f"backend {self.backend!r} is not one of {', '.join(BACKENDS)}")
        if self.source is None and self.train is None:
            raise HwgenError("a build needs a model: a run directory or .h5 file (source), or a train section")
        from hwgen.boards import get

        get(self.board)  # an unknown board is refused before any work, listing the known ones
        if self.verify_max < 1:
            raise HwgenError(f"verify_max must be >= 1, got {self.verify_max}")
        if self.fold_bits is not None and not 2 <= int(self.fold_bits) <= 24:
            raise HwgenError(f"fold_bits must be 2..24 (float32 holds the folded weights exactly), got {self.fold_bits}")
        if not 0 <= float(self.keras_tolerance) < 1:
            raise HwgenError(f"keras_tolerance must be in [0, 1) (a fraction of the Keras logits' range), "
                             f"got {self.keras_tolerance}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict, where: str = "build.json") -> BuildConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise HwgenError(f"{where}: unknown build settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


# Settings that do not change what a step produces: a rerun may differ in them.
NON_ARTIFACT_KEYS = ("steps", "out", "allow_saturation", "keras_tolerance")


def differing_keys(old: dict, new: dict) -> list[str]:
    keys = (set(old) | set(new)) - set(NON_ARTIFACT_KEYS)
    return sorted(k for k in keys if old.get(k) != new.get(k))


# The steps each build runs unless its config lists its own: the model's, the backend's, the board's.
BACKEND_STEPS = {"hls": ["step_convert_hls", "step_csim"], "rtl": ["step_rtl", "step_rtlsim", "step_synth"]}
BOARD_STEPS = ["step_ip_sources", "step_block_design", "step_ip", "step_bitstream", "step_package"]


def default_steps(cfg: BuildConfig) -> list[str]:
    model = (["step_data"] if cfg.data else []) + (["step_train"] if cfg.train else [])
    return model + ["step_export"] + BACKEND_STEPS[cfg.backend] + BOARD_STEPS
