"""The RTL backend's build steps (`hwgen build --backend rtl`):

    step_rtl      the saved graph -> rtl/ (hwgen_accel.v, weights, kernels, filelist.f, rtl.json), lint-checked
    step_rtlsim   Verilator on the whole design with the verification set: every logit of every sample
                  equals the graph's; latency, II and the registers -> rtl/sim.json
    step_synth    yosys synth_xilinx: LUT/FF/LUTRAM/SRL/CARRY4/DSP48E1/BRAM and the share of the board's
                  part -> rtl/synth.json; a design that does not fit is refused with the numbers
"""

from __future__ import annotations

import json
from pathlib import Path

from hwgen.builder.config import BuildConfig
from hwgen.builder.core import Build
from hwgen.errors import HwgenError


def step_rtl(build: Build, cfg: BuildConfig) -> dict:
    """Generate the RTL design: folding for the target II, top-level Verilog, weights, manifest."""
    from hwgen.boards import get
    from hwgen.rtl import flow

    board = get(cfg.board)
    build.status("choosing the folding and lowering the graph")
    manifest = flow.generate(build.graph, build.rtl_dir, cfg.data_width, cfg.target_ii, cfg.fold, board,
                             cfg.target_fps)
    lint = flow.lint(build.rtl_dir)
    (build.rtl_dir / "lint.json").write_text(json.dumps(lint, indent=1))
    if lint["warnings"]:
        raise HwgenError(f"{build.rtl_dir}: verilator --lint-only -Wall warns about the generated top: "
                         + "; ".join(lint["warnings"][:5]))
    c = manifest["cycles"]
    build.console.print(f"rtl: {len(manifest['layers'])} layers, {len(manifest['sources'])} sources, "
                        f"{len(manifest['memories'])} weight files -> {build.rtl_dir}; predicted II {c['ii']} cycles "
                        f"(target {manifest['chosen_target_ii']}, bottleneck {c['bottleneck']}), latency "
                        f"~{c['latency']}; estimate {manifest['resources_estimate']}")
    if manifest["relaxed"]:
        build.console.print(f"[yellow]note:[/] the folding for II {manifest['target_ii']} did not fit "
                            f"{board.part} by the estimate; relaxed to {manifest['chosen_target_ii']}")
    return {"rtl": str(build.rtl_dir), "identity": manifest["identity"], "cycles": {k: c[k] for k in
            ("ii", "latency", "bottleneck")}, "target_ii": manifest["target_ii"],
            "chosen_target_ii": manifest["chosen_target_ii"], "relaxed": manifest["relaxed"],
            "folding": {layer["layer"]: layer["fold"] for layer in manifest["layers"] if layer["fold"]},
            "resources_estimate": manifest["resources_estimate"], "lint_warnings": 0}


def step_rtlsim(build: Build, cfg: BuildConfig, data=None, idle: float = 0.0, stall: float = 0.0) -> dict:
    """Simulate the whole design with Verilator on the verification set, bit for bit against the graph."""
    import numpy as np

    from hwgen.rtl import flow

    graph = build.graph
    if data is not None:
        from hwgen.builder.steps import load_inputs
        from hwgen.run import Run

        x, labels = load_inputs(data, Run(build.run_dir) if build.run_dir else None)
        expected = None
    else:
        x, expected, labels = build.verify_set()
    build.status(f"building the Verilator model of {build.rtl_dir} (once per design)")
    record = flow.simulate(graph, build.rtl_dir, x, expected, out_dir=build.out / "rtlsim", idle=idle, stall=stall)
    (build.rtl_dir / "sim.json").write_text(json.dumps(record, indent=1))
    flow.check_simulation(record, str(build.rtl_dir))
    if labels is not None:
        from hwgen.graph import execute

        logits = execute(graph, x).logits.reshape(len(x), -1)
        record["accuracy"] = float(np.mean(np.argmax(logits, 1) == np.asarray(labels)))
    lat, ii = record["latency_cycles"], record["interval_cycles"]
    build.console.print(
        f"rtlsim: {record['frames']} frames bit-exact (every logit); latency {lat['first']} cycles, interval "
        f"{ii['median'] if ii else '-'} (predicted II {record['predicted']['ii']}, latency "
        f"{record['predicted']['latency']}); {record['cycles_per_second']:,} cycles/s")
    return record


def step_synth(build: Build, cfg: BuildConfig) -> dict:
    """yosys synth_xilinx on the design: resources and the fraction of the board's part it takes."""
    from hwgen.boards import get
    from hwgen.rtl import flow

    board = get(cfg.board)
    build.status("yosys synth_xilinx (minutes for a whole model)")
    record = flow.synthesize(build.rtl_dir, board)
    (build.rtl_dir / "synth.json").write_text(json.dumps(record, indent=1))
    fr, used, avail = record["fraction"], record["used"], record["available"]
    build.console.print("synth: " + ", ".join(f"{k.upper()} {used[k]:,}/{avail[k]:,} ({_share(fr[k])})" for k in used)
                        + f"; {record['counts']['CARRY4']} CARRY4, {record['counts']['LUTRAM']} LUTRAM, "
                          f"{record['counts']['SRL']} SRL ({record['seconds']} s)")
    beside = compare_with_hls(build.out)
    if beside:
        record["beside_hls4ml"] = beside
        print_comparison(build.console, beside)
    if not record["fits"]:
        over = [f"{k.upper()} {used[k]:,} > {avail[k]:,}" for k in used if used[k] > avail[k]]
        raise HwgenError(f"the design does not fit {board.part} ({board.name}): {', '.join(over)}; fold it more "
                         f"(a larger --target-ii, or --fold LAYER=PE,SIMD)")
    return record


def _share(fraction) -> str:
    return "none on the part" if fraction is None else f"{fraction:.1%}"


def compare_with_hls(folder: Path) -> dict | None:
    """The RTL's measured figures beside hls4ml's estimates for the same graph, when both views exist."""
    folder = Path(folder)
    report, sim, synth = (folder / "hls" / "report.json", folder / "rtl" / "sim.json", folder / "rtl" / "synth.json")
    if not (report.is_file() and synth.is_file()):
        return None
    hls = json.loads(report.read_text())["totals"]
    counts = json.loads(synth.read_text())
    sim_record = json.loads(sim.read_text()) if sim.is_file() else {}
    lat = sim_record.get("latency_cycles", {}).get("first")
    ii = (sim_record.get("interval_cycles") or {}).get("median")
    used = counts.get("used", {})
    return {
        "rtl": {"latency_cycles": lat, "interval_cycles": ii, "lut": used.get("lut"), "ff": used.get("ff"),
                "dsp": used.get("dsp"), "bram18": used.get("bram18"), "source": "Verilator + yosys (measured)"},
        "hls4ml": {"latency_cycles": hls.get("est_latency_cycles"), "interval_cycles": hls.get("est_interval_cycles"),
                   "lut": hls.get("est_lut"), "ff": None, "dsp": hls.get("est_dsp"), "bram18": hls.get("est_bram18"),
                   "source": f"hwgen.hls.report (ANALYTIC ESTIMATE, reuse {hls.get('est_fitting_reuse')})"},
    }


def print_comparison(console, beside: dict) -> None:
    from rich.table import Table

    table = Table(title="the same graph: hwgen RTL (measured) beside hls4ml (estimated *)")
    table.add_column("")
    for col in ("latency cycles", "II cycles", "LUT", "FF", "DSP48E1", "BRAM18"):
        table.add_column(col, justify="right")
    for view, mark in (("rtl", ""), ("hls4ml", "*")):
        r = beside[view]
        table.add_row(f"{view}{mark}", *[("-" if r[k] is None else f"{r[k]:,}{mark}") for k in
                                         ("latency_cycles", "interval_cycles", "lut", "ff", "dsp", "bram18")])
    console.print(table)
