"""Build the designs the simulated-board tests load (run by conftest.py with the MAIN environment's Python:
RTL generation, Verilator and the block design's Tcl live there; nothing here imports pynq).

    python pynq_tests/designs.py OUT      -> OUT/designs.json naming the deployment folders

lung      a small integer graph (64 lines x 16 depth bins of synthetic lung M-mode, 3 classes, random
          integer weights: no training, so its labels are arbitrary) through step_rtl, step_rtlsim,
          step_ip_sources and step_block_design, then its simulated deployment folders:
            ok          the design as built
            no_tlast    the block design leaves the result stream's TLAST unconnected
            narrow_dma  the DMA's length register is 10 bits (1023 bytes; one frame is 1024)
other     another graph of the same shape and classes (its own weights): an overlay of another model
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from hwgen.data import synthesize
from hwgen.pynqsim import folder
from hwgen.pynqsim.prepare import graph_build
from hwgen.rtl.graphs import random_graph

TIME, DEPTH, FRAMES = 64, 16, 12


def lung_graph(seed: int, classes):
    graph = random_graph(np.random.default_rng(seed), steps=TIME, channels=DEPTH, n_classes=len(classes),
                         blocks=["conv", "depthwise", "pool"])
    graph.classes = list(classes)
    return graph


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = synthesize("lung", FRAMES, seed=3, time=TIME, depth=DEPTH)
    designs = {}
    for name, seed in (("lung", 11), ("other", 12)):
        build = graph_build(lung_graph(seed, data.classes), out / name / "build", data.x, data.y, task="lung",
                            line_rate_hz=data.meta["line_rate_hz"])
        designs[name] = {"build": str(build), "ok": str(folder.write(build, out / name / "ok"))}
    build = Path(designs["lung"]["build"])
    designs["lung"]["no_tlast"] = str(folder.write(build, out / "lung" / "no_tlast", faults={"drop_output_tlast": True}))
    designs["lung"]["narrow_dma"] = str(folder.write(build, out / "lung" / "narrow_dma", dma_length_width=10))
    (out / "designs.json").write_text(json.dumps(designs, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
