"""The PYNQ driver on the simulated board with the demo model: what the accelerator does per frame (its own
cycle counter, at the board's 100 MHz) and what the driver costs per frame on this machine (packing,
unpacking, and the Python of programming and polling the DMA, the simulation's own time taken out), as a
ratio to the accelerator's time.

    .venv/bin/python bench/runtime.py [--frames 256] [--demo demo]

Runs in two environments: this script (main environment) trains the demo model if `demo/run` does not
exist (`hwgen demo --stop train`), builds it with the RTL backend up to the block design
(export, rtl, rtlsim, ip_sources, block_design), writes the simulated deployment folder, then runs
itself with `--measure FOLDER` in .venv-pynq (pynq, the driver, the simulated board). Prints a table
and writes bench/results/runtime.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "runtime.json"
BUILD = REPO / "build" / "bench-runtime"
PYNQ_PYTHON = REPO / ".venv-pynq" / "bin" / "python"
STEPS = ["step_export", "step_rtl", "step_rtlsim", "step_ip_sources", "step_block_design"]


# ------------------------------------------------------------------------------------- main environment
def prepare(demo: Path) -> Path:
    """The demo model's simulated deployment folder (trained and built when missing)."""
    from hwgen.builder import BuildConfig, run_build
    from hwgen.pynqsim import folder

    if not (demo / "run" / "model.h5").is_file():
        subprocess.run([sys.executable, "-c", "from hwgen.cli import main; main()", "demo", "--out", str(demo),
                        "--stop", "train"], check=True, cwd=REPO)
    cfg = BuildConfig(out=str(BUILD), source=str(demo / "run"), board="pynq-z2", backend="rtl", steps=STEPS)
    if not (BUILD / "steps" / "step_block_design.json").is_file():
        run_build(cfg, force=BUILD.exists())
    return folder.write(BUILD)


def orchestrate(args) -> dict:
    started = time.perf_counter()
    deploy = prepare(Path(args.demo).resolve())
    prepared = time.perf_counter() - started
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([str(PYNQ_PYTHON), __file__, "--measure", str(deploy), "--frames", str(args.frames)],
                          capture_output=True, text=True, env=env, cwd=deploy)
    if done.returncode:
        sys.exit(f"measuring on the simulated board failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rtl = json.loads((BUILD / "rtl" / "sim.json").read_text())
    manifest = json.loads((BUILD / "rtl" / "rtl.json").read_text())
    result["rtl_simulation"] = {"latency_cycles_first": rtl["latency_cycles"]["first"],
                                "interval_cycles_median": (rtl["interval_cycles"] or {}).get("median"),
                                "predicted_ii": manifest["cycles"]["ii"], "bit_exact": rtl["bit_exact"]}
    result["prepare_seconds"] = round(prepared, 1)
    return result


# ------------------------------------------------------------------------------------- pynq environment
def measure(folder: Path, frames: int, repeats: int = 5) -> dict:
    import numpy as np

    from hwgen.pynqsim import SimulatedBoard
    from hwgen.runtime import UltrasoundOverlay

    board = SimulatedBoard.activate()
    ov = UltrasoundOverlay(str(folder / "hwgen.bit"), batch=32)
    check = ov.verify()
    vectors = np.load(folder / "test_vectors.npz")
    q = np.resize(vectors["q"], (frames,) + vectors["q"].shape[1:])
    ov.run(q[:32])                                    # warm-up
    runs = []
    for _ in range(repeats):                          # the machine is shared: keep the least disturbed run
        timing: list = []
        sim0, reads0, writes0, polls0 = board.sim_seconds, board.register_reads, board.register_writes, board.fabric.polls
        started = time.perf_counter()
        ov.run(q, _timing=timing)
        wall = time.perf_counter() - started
        sim = board.sim_seconds - sim0
        runs.append((wall - sim, wall, sim, timing, board.register_reads - reads0, board.register_writes - writes0,
                     board.fabric.polls - polls0))
    _, wall, sim, timing, reads, writes, polls = min(runs, key=lambda r: r[0])
    pack, dma, unpack = (sum(t[i] for t in timing) for i in range(3))
    latency = ov.accelerator.get("LAST_CYCLES")
    mhz, source = ov.clock_mhz()
    accel_us = latency / mhz
    driver_us = (wall - sim) / frames * 1e6
    # the 8-bit fast path against float frames (quantised on the host) on the same frames
    floats = q.astype(np.float32) / 256.0
    quantise = []
    for _ in range(repeats):
        started = time.perf_counter()
        ov._inputs(floats)
        quantise.append(time.perf_counter() - started)
    quantise_us = min(quantise) / frames * 1e6
    stream_lines = vectors["q"][:4].reshape(-1, ov.format.depth)
    hops = list(ov.stream(iter(stream_lines), hop=ov.format.time // 4))
    sim_hops = board.sim_seconds
    return {
        "model": {"frame": [ov.format.time, ov.format.depth], "classes": ov.classes, "graph_id": ov.metadata["graph_id"],
                  "in_bytes_per_frame": ov.format.in_bytes_per_frame, "out_bytes_per_frame": ov.format.out_bytes_per_frame},
        "bit_exact": check,
        "frames": frames,
        "clock_mhz": mhz, "clock_source": source,
        "accelerator": {"latency_cycles": latency, "us_per_frame": accel_us, "frames_per_s": mhz * 1e6 / latency},
        "driver_on_this_machine": {
            "us_per_frame": driver_us, "pack_us": pack / frames * 1e6, "unpack_us": unpack / frames * 1e6,
            "dma_python_us": (dma - sim) / frames * 1e6, "quantise_float_frames_us": quantise_us,
            "register_reads_per_frame": reads / frames, "register_writes_per_frame": writes / frames,
            "status_polls_per_frame": polls / frames, "best_of": repeats,
            "ratio_to_accelerator": driver_us / accel_us,
        },
        "simulation": {"wall_s": wall, "sim_s": sim, "simulated_us_per_frame": sim / frames * 1e6},
        "stream": {"windows": len(hops), "median_latency_ms": float(np.median([h.latency_s for h in hops]) * 1e3),
                   "sim_s": sim_hops},
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                    "load_average_1min": os.getloadavg()[0], "cores": os.cpu_count()},
    }


def table(r: dict) -> str:
    a, d, rtl = r["accelerator"], r["driver_on_this_machine"], r.get("rtl_simulation", {})
    rows = [
        ("frame", f"{r['model']['frame'][0]} x {r['model']['frame'][1]} ({r['model']['in_bytes_per_frame']} B in, "
                  f"{r['model']['out_bytes_per_frame']} B out)"),
        ("bit-exact test vectors", f"{r['bit_exact']['frames'] - r['bit_exact']['mismatched_frames']}/{r['bit_exact']['frames']}"),
        (f"accelerator latency (LAST_CYCLES, {r['clock_mhz']:g} MHz)", f"{a['latency_cycles']:,} cycles = {a['us_per_frame']:,.1f} us"),
        ("accelerator frames/s, one frame at a time", f"{a['frames_per_s']:,.0f}"),
    ]
    if rtl.get("interval_cycles_median"):
        rows.append(("accelerator frames/s back to back (rtlsim II)",
                     f"{r['clock_mhz'] * 1e6 / rtl['interval_cycles_median']:,.0f} (II {rtl['interval_cycles_median']:g}, "
                     f"predicted {rtl['predicted_ii']})"))
    rows += [
        ("driver per frame on this machine", f"{d['us_per_frame']:,.1f} us = {d['ratio_to_accelerator']:.2f}x the accelerator"),
        ("  pack (copy + flush) / unpack (+ checks)", f"{d['pack_us']:,.1f} / {d['unpack_us']:,.1f} us"),
        ("  DMA programming and polling (Python)", f"{d['dma_python_us']:,.1f} us ({d['register_reads_per_frame']:.1f} reads, "
                                                    f"{d['register_writes_per_frame']:.1f} writes, "
                                                    f"{d['status_polls_per_frame']:.1f} polls)"),
        ("  float frames: quantising adds", f"{d['quantise_float_frames_us']:,.1f} us"),
        ("simulation time per frame (not driver)", f"{r['simulation']['simulated_us_per_frame']:,.0f} us"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=256)
    parser.add_argument("--demo", default=str(REPO / "demo"), help="the demo build folder (its run/ is the model)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.frames)))
        return
    result = orchestrate(args)
    print(table(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
