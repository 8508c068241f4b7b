"""`hwgen build`: a model to hardware as named steps over one BuildConfig (after FINN's builder).

    from hwgen.builder import BuildConfig, run_build
    run_build(BuildConfig(source="runs/lung-shift", out="build/lung", board="pynq-z2"), stop="csim")

Steps (`hwgen build --help` lists them): data, train (when the config trains its own model), export
(the saved integer graph + verification vectors), convert_hls, csim (verifies the hls4ml view), and
the RTL and board steps of their backends. Each writes its artifacts and `steps/<step>.json`.
"""

from hwgen.builder.config import BuildConfig
from hwgen.builder.core import REGISTRY, Build, run_build

__all__ = ["Build", "BuildConfig", "REGISTRY", "run_build", "demo_config"]


def demo_config(out: str = "demo", task: str = "lung", n: int = 600, model: str = "shiftcnn",
                board: str = "pynq-z2", seed: int = 7) -> BuildConfig:
    """What `make demo` builds: synthetic data -> a float-then-QAT model -> the integer graph -> the hls4ml
    view (C-sim) and the RTL view (generated Verilog, simulated whole on Verilator, yosys resources)."""
    # 600 randomised windows: with augmentation on, larger batches keep the demo's time
    train = {"task": task, "model": model, "bits": 8, "qat_from_float": True, "float_epochs": 30, "epochs": 10,
             "batch_size": 64, "learning_rate": 3e-3, "seed": seed}
    return BuildConfig(out=out, board=board, data={"task": task, "n": n, "seed": seed}, train=train,
                       steps=["step_data", "step_train", "step_export", "step_convert_hls", "step_csim", "step_rtl",
                              "step_rtlsim", "step_synth"])
