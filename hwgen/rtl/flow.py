"""The RTL backend's work, independent of the builder: generate a design, simulate it, count its resources.

    manifest = generate(graph, "build/x/rtl", data_width=64, target_ii=None, fold={})
    report = simulate(graph, "build/x/rtl", x, expected)          # bit-exact check + cycles
    counts = synthesize("build/x/rtl", board)                      # yosys synth_xilinx

numpy only (the Verilator and yosys runs are subprocesses).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError
from hwgen.graph import Graph, execute
from hwgen.rtl import emit, fold, lower, sim
from hwgen.runtime.protocol import StreamFormat

# The default target II: the input stream's beats per frame, with room for the kernels' trailing
# 'same' padding rows (k//2 zero rows a frame cost their channel groups' cycles: 4 x 8 on the demo)
DEFAULT_SLACK = 1.0625


def stream_format(graph: Graph, data_width: int) -> StreamFormat:
    t, d = lower.stream_shape(graph.input.shape)
    inp, out = graph.input.out, graph.output.out
    return StreamFormat(time=t, depth=d, n_classes=len(graph.classes), in_bits=inp.width, in_frac=inp.frac,
                        logit_bits=out.width, logit_frac=out.frac, data_width=data_width, graph_id=graph.identity())


def plan(graph: Graph, data_width: int = 64, target_ii: int | None = None, fold_spec: dict | None = None,
         board=None, target_fps: float | None = None) -> tuple[lower.Design, dict]:
    """Choose the folding for a target II (default: the input stream's beats per frame), lower the graph,
    and predict cycles and resources. Where the multipliers outnumber the part's DSP48s, the layers that
    cover the excess with the fewest products get multipliers in LUTs (fold.fit_dsp). A folding that
    still does not fit the board's part is relaxed (the
    target doubled, up to 64x) before giving up; the record says so."""
    lower.check_graph(graph)
    manual = fold.parse_fold(fold_spec or {}, graph)
    stream_ii = fold.dma_beats(graph, data_width)
    if target_fps:
        if board is None:
            raise HwgenError("--target-fps needs a board (its clock)")
        target_ii = int(board.clock_mhz * 1e6 / float(target_fps))
        if target_ii < 1:
            raise HwgenError(f"--target-fps {target_fps}: above the clock ({board.clock_mhz} MHz)")
    target = int(target_ii or stream_ii * DEFAULT_SLACK)
    if target < 1:
        raise HwgenError(f"--target-ii {target}: must be >= 1 cycle")
    limits = _limits(board)
    tried = []
    for factor in (1, 1.25, 1.5, 2, 3, 4, 8, 16, 32, 64):
        goal = int(target * factor)
        folding = fold.fit_dsp(graph, fold.choose(graph, goal, manual), limits.get("DSP48E1"), data_width, manual)
        design = lower.lower(graph, folding, data_width)
        cycles = fold.predict(design, data_width)
        resources = fold.design_resources(design)
        over = {k: (resources["total"][k], v) for k, v in limits.items() if resources["total"][k] > v}
        tried.append({"target_ii": goal, "predicted_ii": cycles["ii"], "estimate": resources["total"],
                      "over": {k: list(v) for k, v in over.items()}})
        if not over or manual and len(manual) == len(folding):
            break
    record = {
        "target_ii": target, "stream_ii": stream_ii, "chosen_target_ii": tried[-1]["target_ii"],
        "relaxed": len(tried) > 1, "tries": tried, "cycles": cycles, "resources_estimate": resources,
        "folding": {name: {"simd": f.in_par, "pe": f.out_par, "by_hand": name in manual,
                           **({"lut_multipliers": True} if f.lut_mul else {})}
                    for name, f in folding.items()},
    }
    return design, record


def _limits(board) -> dict:
    if board is None:
        return {}
    r = board.resources
    return {"LUT": r["lut"], "DSP48E1": r["dsp"], "FF": r["ff"]}


def manifest_for(design: lower.Design, record: dict, data_width: int) -> dict:
    g = design.graph
    layers = []
    per = record["cycles"]["instances"]
    for node in g.nodes:
        insts = design.by_layer(node.name)
        layers.append({
            "layer": node.name, "op": node.op, "keras": node.keras,
            "fold": record["folding"].get(node.name),
            "kernels": [{"instance": f"u_{i.name}", "kernel": i.kernel, "params": i.params,
                         "cycles": per.get(i.name), "products_per_cycle": i.products,
                         "saturations_counted": i.saturations,
                         **({"fifo_depth": i.params["DEPTH"]} if i.kernel == "axis_fifo" else {})}
                        for i in insts],
            "predicted_cycles": max([per.get(i.name, 0) for i in insts], default=0),
        })
    return {
        "format": "hwgen-rtl", "version": 1, "graph": g.name, "identity": f"{g.identity():016x}",
        "data_width": data_width, "input": {"steps": design.core_in.steps, "depth": design.core_in.channels,
                                            "bits": design.core_in.width, "par": design.core_in.par},
        "logits": {"n": design.core_out.channels, "bits": design.core_out.width, "par": design.core_out.par},
        "sat_width": design.sat_width,
        "target_ii": record["target_ii"], "stream_ii": record["stream_ii"],
        "chosen_target_ii": record["chosen_target_ii"], "relaxed": record["relaxed"], "tries": record["tries"],
        "cycles": {"ii": record["cycles"]["ii"], "latency": record["cycles"]["latency"],
                   "bottleneck": record["cycles"]["bottleneck"], "frame_in": record["cycles"]["frame_in"],
                   "instances": per},
        "resources_estimate": record["resources_estimate"]["total"],
        "layers": layers,
    }


def generate(graph: Graph, out_dir, data_width: int = 64, target_ii: int | None = None,
             fold_spec: dict | None = None, board=None, target_fps: float | None = None) -> dict:
    """Write the design for `graph` into `out_dir` (rtl/); returns the manifest."""
    design, record = plan(graph, data_width, target_ii, fold_spec, board, target_fps)
    manifest = manifest_for(design, record, data_width)
    return emit.write(design, Path(out_dir), data_width, manifest)


# ------------------------------------------------------------------------------------------------ simulation
def simulate(graph: Graph, rtl_dir, x, expected=None, *, out_dir=None, idle: float = 0.0, stall: float = 0.0,
             seed: int = 1, batch: int = 16, log=None, prune: bool = True) -> dict:
    """Run `x` (float inputs) through the simulated design; compare every logit bit with `expected`
    (default: the graph's own execution). Returns the record; raises HwgenError on any difference."""
    rtl_dir = Path(rtl_dir)
    manifest = json.loads((rtl_dir / emit.MANIFEST).read_text())
    fmt = stream_format(graph, int(manifest["data_width"]))
    run = execute(graph, x)
    expected = run.logits.reshape(len(x), -1) if expected is None else np.asarray(expected).reshape(len(x), -1)
    q = run.values[graph.input.name].reshape((len(x),) + (fmt.time, fmt.depth))
    started = time.perf_counter()
    lib = sim.build(rtl_dir, out_dir, log=log, prune=prune)
    built = time.perf_counter() - started
    words, first_in, last_out, lasts = [], [], [], []
    started = time.perf_counter()
    with sim.Accelerator(lib, rtl_dir) as acc:
        acc.randomize(idle, stall, seed)
        for start in range(0, len(q), batch):
            res = acc.run_frames(fmt, q[start:start + batch])
            words.append(res.words)
            lasts.append(res.lasts)
            first_in.append(res.first_in)
            last_out.append(res.last_out)
        acc.step(64)  # the last frame's counters settle (frame_done is registered)
        registers = {name: acc.read(name) for name in ("FRAMES", "LAST_CYCLES", "INTERVAL", "ERRORS", "STATUS",
                                                      "SATURATIONS", "ID_LO", "ID_HI")}
        cycles = acc.cycle
    seconds = time.perf_counter() - started
    words = np.concatenate(words)
    lasts = np.concatenate(lasts)
    first_in, last_out = np.concatenate(first_in), np.concatenate(last_out)
    classes, logits = fmt.unpack(words)
    mismatched = np.flatnonzero(np.any(logits != expected, axis=1) | (classes != np.argmax(expected, axis=1)))
    latency = last_out - first_in + 1
    intervals = np.diff(first_in)
    tlast_ok = bool(np.all(lasts[:, -1] == 1) and not np.any(lasts[:, :-1]))
    record = {
        "frames": int(len(x)), "mismatched_frames": int(len(mismatched)),
        "bit_exact": bool(len(mismatched) == 0 and tlast_ok), "tlast_ok": tlast_ok,
        "latency_cycles": {"first": int(latency[0]), "min": int(latency.min()), "max": int(latency.max())},
        "interval_cycles": ({"min": int(intervals.min()), "median": float(np.median(intervals)),
                             "max": int(intervals.max())} if len(intervals) else None),
        "predicted": {"ii": manifest["cycles"]["ii"], "latency": manifest["cycles"]["latency"]},
        "registers": registers,
        "identity_ok": (registers["ID_HI"] << 32 | registers["ID_LO"]) == graph.identity(),
        "frames_register_ok": registers["FRAMES"] == len(x),
        "saturations_expected": int(sum(run.overflows.values())),
        "idle": idle, "stall": stall, "seed": seed,
        "simulated_cycles": int(cycles), "build_seconds": round(built, 1), "sim_seconds": round(seconds, 1),
        "cycles_per_second": round(cycles / seconds) if seconds else None,
    }
    record["saturations_ok"] = registers["SATURATIONS"] == record["saturations_expected"]
    if len(mismatched):
        first = int(mismatched[0])
        record["first_mismatch"] = {"sample": first, "got": logits[first].tolist(), "expected": expected[first].tolist(),
                                    "class": int(classes[first])}
    return record


def check_simulation(record: dict, where: str) -> None:
    if record["mismatched_frames"]:
        m = record["first_mismatch"]
        raise HwgenError(f"{where}: the RTL differs from the integer graph on {record['mismatched_frames']} of "
                         f"{record['frames']} frames; first: sample {m['sample']}, logits {m['got']} instead of "
                         f"{m['expected']}")
    for key, what in (("tlast_ok", "tlast is not on the last beat of every result"),
                      ("identity_ok", "the ID registers do not hold the graph's identity"),
                      ("frames_register_ok", "the FRAMES register does not count the frames sent"),
                      ("saturations_ok", "the SATURATIONS register differs from the graph's overflow count")):
        if not record[key]:
            raise HwgenError(f"{where}: {what} ({record['registers']})")


# ------------------------------------------------------------------------------------------------ synthesis
YOSYS_COLUMNS = ("LUT", "FF", "LUTRAM", "SRL", "CARRY4", "DSP48E1", "RAMB18E1", "RAMB36E1")


def synthesize(rtl_dir, board=None, timeout: int = 3600, log=None) -> dict:
    """yosys synth_xilinx on the design (flattened, xc7); the counts and their share of the board's part."""
    from hwgen.rtl.synth import parse_stat

    if shutil.which("yosys") is None:
        raise HwgenError("yosys is not on PATH (apt-get install yosys): cannot count the design's resources")
    rtl_dir = Path(rtl_dir).resolve()
    sources = [line.strip() for line in (rtl_dir / "filelist.f").read_text().splitlines()
               if line.strip() and not line.lstrip().startswith(("#", "//"))]
    script = (f"read_verilog -defer -sv {' '.join(sources)}; synth_xilinx -family xc7 -flatten -top {emit.TOP}; "
              "tee -o yosys_stat.txt stat -tech xilinx")
    started = time.perf_counter()
    proc = subprocess.run(["yosys", "-q", "-l", "yosys.log", "-p", script], cwd=rtl_dir, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln]
        raise HwgenError(f"yosys failed on {rtl_dir}: {' | '.join(errors[-3:]) or proc.stderr[-400:]}")
    counts = parse_stat((rtl_dir / "yosys_stat.txt").read_text())
    bram18 = counts["RAMB18E1"] + 2 * counts["RAMB36E1"]
    record = {"counts": counts, "bram18_equivalent": bram18, "seconds": round(time.perf_counter() - started, 1)}
    if board is not None:
        r = board.resources
        used = {"lut": counts["LUT"] + counts["LUTRAM"] + counts["SRL"], "ff": counts["FF"],
                "dsp": counts["DSP48E1"], "bram18": bram18}
        record["part"] = board.part
        record["board"] = board.name
        # a part without a resource (no DSP48 or BRAM): no share to give when it is used (None), 0 when not
        record["fraction"] = {k: round(used[k] / r[k], 4) if r[k] else (None if used[k] else 0.0) for k in used}
        record["used"] = used
        record["available"] = {k: r[k] for k in used}
        record["fits"] = all(used[k] <= r[k] for k in used)
    return record


def lint(rtl_dir) -> dict:
    """verilator --lint-only -Wall on the generated top with its sources; the warnings, if any."""
    rtl_dir = Path(rtl_dir).resolve()
    verilator = sim.verilator_bin()
    if verilator is None:
        raise HwgenError("verilator is not installed: cannot lint the generated top")
    sources = [line.strip() for line in (rtl_dir / "filelist.f").read_text().splitlines()
               if line.strip() and not line.lstrip().startswith(("#", "//"))]
    proc = subprocess.run([verilator, "--lint-only", "-Wall", "--top-module", emit.TOP, *sources], cwd=rtl_dir,
                          capture_output=True, text=True)
    warnings = [ln for ln in proc.stderr.splitlines() if re.match(r"%(Warning|Error)", ln)]
    return {"returncode": proc.returncode, "warnings": warnings}
