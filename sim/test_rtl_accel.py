"""A whole generated accelerator (hwgen.rtl: residual block, concatenation, po2 and integer layers) on
Icarus through cocotb, driven as a PYNQ DMA would: packed frames in, result beats out, registers read
back. The same design runs on Verilator through the C harness in tests/test_rtl_sim.py; this is the
second simulator's view of the generated top."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import cocotb
import harness
import numpy as np
from test_accel_shell import Ports

from hwgen.graph import execute
from hwgen.rtl import flow, graphs
from hwgen.runtime.protocol import StreamFormat


@cocotb.test()
async def generated_accelerator(dut):
    """Frames from a bursty DMA into a stalling sink: every result beat equals the integer graph's;
    FRAMES, ERRORS and the ID registers read back."""
    case, arrays = harness.bench_case(), harness.bench_arrays()
    fmt = StreamFormat.from_json(case["format"])
    ports = Ports(dut, fmt)
    ports.dma_in.set_pause_generator(harness.idle_generator(3, 0.2))
    ports.dma_out.set_pause_generator(harness.backpressure_generator(3, 0.2))
    await ports.start()
    for beats in fmt.beats(arrays["q"]).tolist():
        await ports.send(beats)
    got = await ports.results(len(arrays["q"]))
    assert got == arrays["words"].tolist()
    assert await ports.reg("FRAMES") == len(arrays["q"])
    assert await ports.reg("ERRORS") == 0
    assert (await ports.reg("ID_LO") | await ports.reg("ID_HI") << 32) == fmt.graph_id


def test_generated_accelerator_on_icarus():
    harness.require_simulator("icarus")
    from cocotb_tools.runner import get_runner

    rng = np.random.default_rng(31)
    graph = graphs.random_graph(rng, steps=8, channels=4, bits=6, blocks=["residual", "concat"])
    key = hashlib.sha1(str(graph.identity()).encode()).hexdigest()[:10]
    root = harness.BUILD_ROOT / f"rtl_accel-{key}-icarus"
    with harness._FileLock(root):
        if root.exists():
            shutil.rmtree(root)
        flow.generate(graph, root / "rtl")
        rtl = root / "rtl"
        sources = [rtl / ln for ln in (rtl / "filelist.f").read_text().split() if ln.endswith(".v")]
        x = rng.random((4,) + graph.input_shape)
        run = execute(graph, x)
        fmt = flow.stream_format(graph, 64)
        q = run.values[graph.input.name].reshape(len(x), fmt.time, fmt.depth)
        words = fmt.output_words(run.logits.reshape(len(x), -1)).astype(np.int64)
        (rtl / harness.CASE_FILE).write_text(json.dumps({"format": fmt.to_json()}))
        np.savez(rtl / harness.ARRAYS_FILE, q=q, words=words)
        runner = get_runner("icarus")
        runner.build(sources=sources, hdl_toplevel="hwgen_accel", build_dir=root / "build", timescale=("1ns", "1ps"),
                     log_file=root / "build.log")
        env = {harness.ENV_CASE: str(rtl / harness.CASE_FILE), harness.ENV_ARRAYS: str(rtl / harness.ARRAYS_FILE)}
        results = runner.test(test_module="test_rtl_accel", hdl_toplevel="hwgen_accel", hdl_toplevel_lang="verilog",
                              build_dir=root / "build", test_dir=rtl, extra_env=env, log_file=root / "sim.log",
                              timescale=("1ns", "1ps"))
        from cocotb_tools.runner import get_results

        total, failed = get_results(results)
        assert total == 1 and failed == 0, (root / "sim.log").read_text()[-3000:]
    assert os.path.isdir(rtl)
