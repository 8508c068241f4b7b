"""hwgen.runtime.UltrasoundOverlay, unchanged, on the simulated board running the RTL backend's Verilator
model of the design: results against the integer graph on every sample, cycle counts against the RTL
simulation, the API's checks, and a design broken the ways boards break."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_folder

from hwgen.graph import execute, load
from hwgen.pynqsim import SimulationStalled
from hwgen.runtime import UltrasoundOverlay, protocol
from hwgen.runtime.errors import FrameError, OverlayMismatch, TransferTimeout


def overlay(folder: str, **kwargs) -> UltrasoundOverlay:
    return UltrasoundOverlay(str(Path(folder) / "hwgen.bit"), **kwargs)


def golden(build: str, q: np.ndarray) -> np.ndarray:
    """The integer graph's logits for input integers q (8-bit input, 8 fraction bits)."""
    graph = load(Path(build) / "graph")
    return execute(graph, q.astype(np.float64) / 256.0).logits.reshape(len(q), -1)


@pytest.fixture
def lung(designs, board):
    return overlay(designs["lung"]["ok"])


# ------------------------------------------------------------------------------------- results
def test_every_test_vector_and_random_frames_equal_the_graph(designs, lung):
    assert lung.verify() == {"frames": 12, "mismatched_frames": 0, "first_mismatch": None}
    q = np.random.default_rng(7).integers(0, 256, (20, 64, 16), dtype=np.uint8)
    q[0] = 255                                            # the top of the input range
    q[1] = 0
    result = lung.run(q)
    want = golden(designs["lung"]["build"], q)
    assert np.array_equal(result.logits, want)            # every logit of every frame
    assert np.array_equal(result.index, np.argmax(want, axis=1))


def test_float_frames_are_quantised_like_the_graphs_input_and_batches_split(designs, board):
    ov = overlay(designs["lung"]["ok"], batch=5)          # 12 frames: transfers in 3 batches
    vectors = np.load(Path(designs["lung"]["ok"]) / "test_vectors.npz")
    result = ov.run(vectors["x"])
    assert np.array_equal(result.logits, vectors["expected_logits"])
    assert np.array_equal(ov.run(vectors["q"]).logits, result.logits)


def test_classify_and_predict_proba(designs, lung):
    vectors = np.load(Path(designs["lung"]["ok"]) / "test_vectors.npz")
    meta = json.loads((Path(designs["lung"]["ok"]) / "metadata.json").read_text())
    assert lung.classes == meta["classes"] == ["sliding", "absent", "lung_point"]
    names = lung.classify(vectors["q"])
    assert names == [meta["classes"][i] for i in vectors["expected_class"]]
    proba = lung.predict_proba(vectors["q"])
    assert proba.shape == (12, 3) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(np.argmax(proba, axis=1), vectors["expected_class"])
    z = vectors["expected_logits"][0] * 2.0 ** -lung.format.logit_frac
    assert np.allclose(proba[0], np.exp(z - z.max()) / np.exp(z - z.max()).sum())
    assert lung.classify(vectors["q"][3]) == names[3]     # one frame: one name
    assert lung.predict_proba(vectors["q"][3]).shape == (3,)


def test_cycle_counts_equal_the_rtl_simulation(designs, lung):
    """LAST_CYCLES read by the driver, frame by frame, against the RTL backend's own Verilator run of the
    same frames one at a time, and against step_rtlsim's record."""
    from hwgen.rtl.sim import Accelerator

    build = Path(designs["lung"]["build"])
    vectors = np.load(Path(designs["lung"]["ok"]) / "test_vectors.npz")
    on_board = []
    for frame in vectors["q"][:4]:
        lung.run(frame)
        on_board.append(lung.accelerator.get("LAST_CYCLES"))
    folder = Path(designs["lung"]["ok"]) / "sim"
    direct = []
    for frame in vectors["q"][:4]:
        with Accelerator(next(folder.glob("*.so")), folder / "rtl") as acc:
            direct.append(int(acc.run_frames(lung.format, frame[None]).latency[0]))
    recorded = json.loads((build / "rtl" / "sim.json").read_text())["latency_cycles"]["first"]
    assert on_board == direct and on_board[0] == recorded
    assert lung.throughput_test(n_frames=16).latency_cycles == on_board[-1]


def test_runs_are_deterministic(designs):
    from hwgen.pynqsim import SimulatedBoard

    cycles = []
    for _ in range(2):
        board = SimulatedBoard.activate()
        ov = overlay(designs["lung"]["ok"])
        ov.verify()
        cycles.append((board.accelerator.cycle, ov.accelerator.counters()))
        board.close_design()
    assert cycles[0] == cycles[1]


def test_receive_is_started_before_send_and_buffers_are_allocated_once(designs, board, monkeypatch):
    ov = overlay(designs["lung"]["ok"])
    order = []
    write = board.dma.write

    def recording(offset, value):
        if offset in (0x28, 0x58):
            order.append("send" if offset == 0x28 else "receive")
        write(offset, value)

    monkeypatch.setattr(board.dma, "write", recording)
    allocated = board.ddr.allocated_bytes
    ov.run(np.zeros((6, 64, 16), np.uint8))
    ov.classify(np.ones((3, 64, 16), np.float32) * 0.5)
    assert order == ["receive", "send"] * 9
    assert board.ddr.allocated_bytes == allocated        # no allocation per call


def test_the_stream_mode_classifies_each_hop_window(designs, lung):
    vectors = np.load(Path(designs["lung"]["ok"]) / "test_vectors.npz")
    lines = vectors["q"][:3].reshape(-1, 16)              # 192 A-lines
    hops = list(lung.stream(iter(lines), hop=24))
    ends = list(range(64, 193, 24))
    assert [h.line for h in hops] == ends
    windows = np.stack([lines[end - 64:end] for end in ends])
    want = golden(designs["lung"]["build"], windows)
    assert np.array_equal(np.stack([h.logits for h in hops]), want)
    assert [h.label for h in hops] == [lung.classes[i] for i in np.argmax(want, axis=1)]
    assert all(h.latency_s > 0 for h in hops)
    blocks = [lines[i:i + 10] for i in range(0, 192, 10)]  # blocks of A-lines give the same hops
    assert [h.index for h in lung.stream(blocks, hop=24)] == [h.index for h in hops]
    assert len(list(lung.stream(lines[:63]))) == 0        # less than a window: nothing yet


def test_throughput_report(designs, lung):
    report = lung.throughput_test(n_frames=32)
    assert report.frames == 32 and report.frames_counted == 32
    assert report.clock_mhz == 100.0 and report.clock_source == "PS clock registers"
    assert report.frames_per_s > 0 and report.latency_cycles > 0
    assert report.accel_us_per_frame == pytest.approx(report.latency_cycles / 100.0)
    assert report.in_mb_per_s == pytest.approx(1024 * report.frames_per_s / 1e6)
    assert "frames/s" in str(report) and "cycles" in str(report)


# ------------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("frames, message", [
    (np.zeros((2, 63, 16), np.uint8), r"frames of shape \(2, 63, 16\): this overlay takes \(N, 64, 16\)"),
    (np.zeros((16, 64), np.uint8), r"\(64, 16\) \(64 lines x 16 depth values\)"),
    (np.full((1, 64, 16), np.nan), "NaN"),
    (np.full((1, 64, 16), 300, np.int16), r"integer frames hold 300..300; this overlay's input integers are 0..255"),
    (np.zeros((1, 64, 16), np.complex64), "dtype complex64"),
])
def test_bad_frames_are_refused_naming_what_is_expected(lung, frames, message):
    with pytest.raises(FrameError, match=message):
        lung.run(frames)


def test_an_overlay_of_another_model_is_refused(designs, board):
    meta = json.loads((Path(designs["other"]["ok"]) / "metadata.json").read_text())
    with pytest.raises(OverlayMismatch, match=r"the overlay's accelerator is graph 0x[0-9a-f]{16} \(64 x 16 -> 3 "
                                              r"classes.*differs in graph_id\).*another model"):
        overlay(designs["lung"]["ok"], metadata=meta)
    mine = json.loads((Path(designs["lung"]["ok"]) / "metadata.json").read_text())
    for key, value, name in (("time", 32, "time"), ("n_classes", 4, "n_classes")):
        edited = json.loads(json.dumps(mine))
        edited["stream"][key] = value
        with pytest.raises(OverlayMismatch, match=f"differs in {name}"):
            overlay(designs["lung"]["ok"], metadata=edited)


def test_missing_metadata_is_a_one_line_error(designs, board, tmp_path):
    folder = copy_folder(designs["lung"]["ok"], tmp_path / "d")
    (folder / "metadata.json").unlink()
    with pytest.raises(Exception, match=r"metadata.json: no deployment metadata; copy the whole deploy/ folder"):
        overlay(folder)


def test_cells_are_found_by_ip_type_not_by_name(designs, board, tmp_path):
    folder = copy_folder(designs["lung"]["ok"], tmp_path / "renamed")
    hwh = folder / "hwgen.hwh"
    hwh.write_text(hwh.read_text().replace("hwgen_accel_0", "lung_classifier").replace("axi_dma_0", "dma"))
    ov = overlay(folder)
    assert (ov.accelerator_name, ov.dma_name) == ("lung_classifier", "dma")
    assert ov.verify()["mismatched_frames"] == 0


# ------------------------------------------------------------------------------------- broken designs
def test_a_design_without_tlast_times_out_and_is_reset(designs, board):
    ov = overlay(designs["lung"]["no_tlast"], timeout=0.3)
    frames = np.zeros((2, 64, 16), np.uint8)
    with pytest.raises(TransferTimeout, match=r"frame 0: receive transfer not done after 0.3 s: the accelerator "
                                              r"finished the frame .* never completed: the result had no TLAST.*reset"):
        ov.run(frames)
    dma = board.dma
    assert not dma.mm2s.halted and not dma.s2mm.halted and not dma.s2mm.active   # reset, restarted
    assert "soft reset" in dma.log
    assert ov.accelerator.get("FRAMES") == 0                                     # the accelerator too


def test_pynqs_own_wait_on_that_design_raises_instead_of_hanging(designs):
    """pynq's DMA wait() spins forever on a transfer without TLAST: the simulated board stops it."""
    from pynq import allocate

    from hwgen.pynqsim import SimulatedBoard

    board = SimulatedBoard.activate(max_idle_polls=50)
    ov = overlay(designs["lung"]["no_tlast"])
    out = allocate((8,), np.uint32)
    frame = allocate((1024,), np.uint8)
    ov.dma.recvchannel.transfer(out)
    ov.dma.sendchannel.transfer(frame)
    ov.dma.sendchannel.wait()
    with pytest.raises(SimulationStalled, match=r"S2MM status polled 50 times .* would never end"):
        ov.dma.recvchannel.wait()
    board.close_design()


def test_a_dma_length_register_too_narrow_for_a_frame(designs, board):
    with pytest.raises(OverlayMismatch, match=r"axi_dma_0's 10-bit length register moves at most 1023 bytes; "
                                              r"one frame is 1024 bytes: rebuild .* c_sg_length_width >= 11"):
        overlay(designs["lung"]["narrow_dma"])
    # pynq's own driver refuses the transfer the same way on a board
    from pynq import Overlay, allocate

    ov = Overlay(str(Path(designs["lung"]["narrow_dma"]) / "hwgen.bit"))
    with pytest.raises(ValueError, match="Transfer size is 1024 bytes, which exceeds the maximum DMA buffer size 1023"):
        ov.axi_dma_0.sendchannel.transfer(allocate((1024,), np.uint8))


def test_the_deployment_folder_ships_the_driver_and_the_notebook(designs):
    folder = Path(designs["lung"]["ok"])
    repo = Path(__file__).resolve().parents[1]
    for path in (repo / "hwgen" / "runtime").glob("*.py"):
        assert (folder / "hwgen" / "runtime" / path.name).read_bytes() == path.read_bytes()
    assert (folder / "hwgen" / "errors.py").read_bytes() == (repo / "hwgen" / "errors.py").read_bytes()
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["notebook"] == "hwgen.ipynb" and (folder / "hwgen.ipynb").is_file()
    assert meta["simulated"]["hwh"].startswith("modelled")
    assert protocol.register_offsets(meta["registers"]) == {n: s[0] for n, s in protocol.REGISTERS.items()}
    assert f"Graph id `{meta['graph_id']}`" in (folder / "README.md").read_text()
