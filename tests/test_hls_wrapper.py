"""The HLS backend's top wrapper (hwgen_accel): C simulation with g++ against hls4ml's HLS types,
compared with the golden model on every output beat, TLAST included; its registers, framing errors,
Vitis HLS scripts, and the HLS path of the board steps with stand-in vendor tools.

One tiny model (dscnn, input 32 x 8, 3 classes) goes through hwgen.builder up to the hls4ml project, and
the wrapper is compiled once per module (~10 s build + ~15 s g++).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("hls4ml")
tf = pytest.importorskip("tensorflow")

from board_builds import run_board  # noqa: E402

from hwgen.boards import hls_ip  # noqa: E402
from hwgen.errors import HwgenError  # noqa: E402
from hwgen.runtime import protocol  # noqa: E402
from hwgen.runtime.protocol import StreamFormat  # noqa: E402

N_FRAMES = 12


def make_build(folder: Path) -> Path:
    """A build folder from hwgen's builder, up to the hls4ml project: graph/, verify/, hls/hls4ml_prj/."""
    from hwgen import models
    from hwgen.builder import BuildConfig, run_build

    folder.mkdir(parents=True)
    tf.keras.utils.set_random_seed(0)
    models.build("dscnn", (32, 8), 3, width=0.25, pools=(2, 2, 2), kernel=3).save(folder / "source.h5",
                                                                                   include_optimizer=False)
    rng = np.random.default_rng(0)
    for name, n in (("calib", 64), ("verify", N_FRAMES)):
        np.savez(folder / f"{name}.npz", x=rng.random((n, 32, 8)).astype(np.float32), y=rng.integers(0, 3, n),
                 classes=np.array(["sliding", "absent", "lung_point"]), index=np.arange(n))
    cfg = BuildConfig(out=str(folder / "build"), source=str(folder / "source.h5"), calib=str(folder / "calib.npz"),
                      verify_data=str(folder / "verify.npz"), verify_max=N_FRAMES)
    run_build(cfg, stop="convert_hls")
    return folder / "build"


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    folder = make_build(tmp_path_factory.mktemp("hls_wrapper") / "source")
    fmt = StreamFormat.from_json(json.loads((folder / "graph" / "stream.json").read_text()))
    hls_ip.write_sources(folder, fmt, "xc7z020clg400-1", 10.0)
    hls_ip.compile_testbench(folder)
    return folder


def fmt_of(folder: Path) -> StreamFormat:
    return StreamFormat.from_json(json.loads((folder / "graph" / "stream.json").read_text()))


def test_wrapper_csim_matches_the_golden_model_bit_for_bit_tlast_included(build):
    result = hls_ip.verify(build)
    assert result["frames"] == N_FRAMES and result["beats"] == N_FRAMES * 4
    assert result["mismatched_frames"] == 0 and result["tlast_ok"] and result["frames_counted"]
    regs = result["registers_after_each_call"][-1]
    assert (regs["ID_HI"] << 32) | regs["ID_LO"] == fmt_of(build).graph_id
    assert regs["SHAPE"] == (8 << 16) | 32
    assert regs["CLASSES"] == (protocol.PROTOCOL_VERSION << 24) | (8 << 16) | 3
    assert regs["ERRORS"] == 0 and regs["STATUS"] == 0
    assert json.loads((build / "ip" / "hls" / "csim.json").read_text())["mismatched_frames"] == 0


def test_framing_errors_are_flagged_and_the_stream_resynchronises(build):
    fmt = fmt_of(build)
    x = np.load(build / "verify" / "input.npy")
    expected = fmt.output_words(np.load(build / "verify" / "expected.npy"))
    frames = [hls_ip.frame_beats(fmt, fmt.quantize(x[i:i + 1])) for i in range(6)]
    short = frames[1][:-2]
    short[-1] = (short[-1][0], True)                       # TLAST two beats early
    long_ = [(d, False) for d, _ in frames[3]] + [(0, True)]  # no TLAST on the last beat, one extra beat
    beats = frames[0] + short + frames[2] + long_ + frames[5]
    out, regs = hls_ip.run_beats(build, beats, calls=6, workdir=build / "framing")
    assert len(out) == 6 * fmt.out_beats_per_frame
    words = np.array([o[0] for o in out]).reshape(6, -1)
    # frames 0 and 2 are intact; the call after the long frame reads its stray beat as a (short) frame;
    # the stream is back in step for the last frame.
    for call, frame in ((0, 0), (2, 2), (5, 5)):
        assert np.array_equal(words[call], expected[frame])
    assert [r["FRAMES"] for r in regs] == [0, 1, 2, 3, 4, 5]
    assert regs[1]["ERRORS"] == 0 and regs[2]["ERRORS"] == protocol.ERROR_SHORT_FRAME
    assert regs[4]["ERRORS"] == protocol.ERROR_SHORT_FRAME | protocol.ERROR_LONG_FRAME
    assert regs[2]["STATUS"] == protocol.STATUS_ERROR
    assert all(o[1] == (i % 4 == 3) for i, o in enumerate(out))  # TLAST still on every frame's last beat


def test_ctrl_clear_keeps_counters_and_flags_at_zero(build):
    fmt = fmt_of(build)
    x = np.load(build / "verify" / "input.npy")[:3]
    beats = hls_ip.frame_beats(fmt, fmt.quantize(x))
    beats[3] = (beats[3][0], True)  # a short first frame
    _, regs = hls_ip.run_beats(build, beats, calls=3, ctrl=protocol.CTRL_CLEAR, workdir=build / "clear")
    assert [(r["FRAMES"], r["ERRORS"]) for r in regs] == [(0, 0)] * 3


def test_a_packing_fault_is_caught(build):
    """Lanes in the wrong order (a byte-order fault in a driver or wrapper) change the outputs."""
    fmt = fmt_of(build)
    x = np.load(build / "verify" / "input.npy")
    q = fmt.quantize(x)
    reversed_lanes = q.reshape(len(q), -1, fmt.lanes)[:, :, ::-1].reshape(q.shape)
    out, _ = hls_ip.run_beats(build, hls_ip.frame_beats(fmt, reversed_lanes), calls=len(x), workdir=build / "fault")
    result = hls_ip.compare_output(fmt, out, fmt.output_words(np.load(build / "verify" / "expected.npy")))
    assert result["mismatched_frames"] > 0 and result["message"].startswith("wrapper C-sim differs")


def test_a_stream_format_that_does_not_describe_the_project_is_refused(build):
    wrong = StreamFormat(time=32, depth=8, n_classes=3, in_bits=6, in_frac=6, logit_bits=22, logit_frac=14)
    with pytest.raises(HwgenError, match=r"inputs of 8 x ap_ufixed<6,0>, the hls4ml project's input_t is 8 x ap_ufixed<8,0>"):
        hls_ip.check_format(wrong, hls_ip.firmware_dir(build))
    wrong = StreamFormat(time=32, depth=8, n_classes=4, logit_bits=22, logit_frac=14)
    with pytest.raises(HwgenError, match="4 logits of 22 bits"):
        hls_ip.check_format(wrong, hls_ip.firmware_dir(build))


def test_the_wrapper_asks_hls_for_the_protocol_offsets():
    source = (hls_ip.SOURCES / "hwgen_accel.cpp").read_text()
    pragmas = re.findall(r"s_axilite port = (\w+) bundle = ctrl offset = (0x[0-9a-fA-F]+)", source)
    assert {name: int(offset, 16) for name, offset in pragmas} == protocol.HLS_REGISTERS  # same names, too
    assert "ap_ctrl_none" in source and "hls::axis" in (hls_ip.SOURCES / "hwgen_accel.h").read_text()


HLS_STUB = r"""
set log {}
proc open_project {args} { lappend ::log [list open_project {*}$args] }
proc set_top {name} { lappend ::log [list set_top $name] }
proc add_files {path args} { if {![file exists $path]} { error "add_files: no file $path" } ; lappend ::log [list add_files $path {*}$args] }
proc open_solution {args} { lappend ::log [list open_solution {*}$args] }
proc set_part {part} { lappend ::log [list set_part $part] }
proc create_clock {args} { lappend ::log [list create_clock {*}$args] }
proc set_clock_uncertainty {args} { lappend ::log [list set_clock_uncertainty {*}$args] }
proc config_compile {args} { lappend ::log [list config_compile {*}$args] }
proc config_schedule {args} { lappend ::log [list config_schedule {*}$args] }
proc config_array_partition {args} { lappend ::log [list config_array_partition {*}$args] }
proc config_export {args} { lappend ::log [list config_export {*}$args] }
proc csynth_design {} { lappend ::log csynth_design }
proc export_design {args} { lappend ::log [list export_design {*}$args] }
proc exit {} { foreach entry $::log { puts $entry } }
proc unknown {args} { error "unknown Vitis HLS command [lindex $args 0]" }
source [lindex $argv 0]
"""


def test_the_vitis_hls_scripts_run_under_tclsh_and_name_the_ip(build, tmp_path):
    if shutil.which("tclsh") is None:
        pytest.skip("tclsh not installed (Debian package tcl)")
    stub = tmp_path / "hls_stub.tcl"
    stub.write_text(HLS_STUB)
    done = subprocess.run(["tclsh", str(stub), str(build / "ip" / "hls" / "build_hls.tcl")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    log = done.stdout
    assert "set_top hwgen_accel" in log and "set_part xc7z020clg400-1" in log and "create_clock -period 10" in log
    assert "open_solution -reset solution1 -flow_target vivado" in log and "csynth_design" in log
    assert "set_clock_uncertainty 27% default" in log and "config_array_partition -maximum_size 4096" in log
    export = "-format ip_catalog -rtl verilog -vendor hwgen.org -library hwgen -ipname hwgen_accel -version 1.0"
    assert f"config_export {export}" in log and f"export_design {export}" in log
    assert log.count("add_files") == 2  # wrapper + hls4ml network, both existing files
    config = (build / "ip" / "hls" / "hls_config.cfg").read_text()
    for line in ("part=xc7z020clg400-1", "flow_target=vivado", "clock=10ns", "clock_uncertainty=27%", "syn.top=hwgen_accel",
                 "package.output.format=ip_catalog", "package.ip.vendor=hwgen.org", "package.ip.library=hwgen",
                 "package.ip.name=hwgen_accel", "package.ip.version=1.0"):
        assert line in config.splitlines()
    for path in re.findall(r"^syn\.file=(.+)$", config, re.M):
        assert Path(path).is_file()
    assert "csim_include" not in config and "csim_include" not in (build / "ip" / "hls" / "build_hls.tcl").read_text()


def test_register_offsets_are_read_from_the_driver_header_hls_writes(tmp_path):
    header = tmp_path / "drivers" / "hwgen_accel_v1_0" / "src" / "xhwgen_accel_hw.h"
    header.parent.mkdir(parents=True)
    header.write_text("#define XHWGEN_ACCEL_CTRL_ADDR_CTRL_DATA   0x10\n#define XHWGEN_ACCEL_CTRL_BITS_CTRL_DATA 32\n"
                      "#define XHWGEN_ACCEL_CTRL_ADDR_FRAMES_DATA 0x18\n#define XHWGEN_ACCEL_CTRL_ADDR_FRAMES_CTRL 0x1c\n")
    table = hls_ip.register_table(tmp_path)
    assert table["offsets"] == {"CTRL": 0x10, "FRAMES": 0x18} and table["source"] == str(header)
    assert protocol.register_offsets(table) == {"CTRL": 0x10, "FRAMES": 0x18}
    assert hls_ip.register_table(None)["offsets"] == protocol.HLS_REGISTERS
    assert set(hls_ip.register_table(None)["missing"]) == {"LAST_CYCLES", "SATURATIONS", "INTERVAL"}
    header.write_text("#define XHWGEN_ACCEL_CTRL_ADDR_BOGUS_DATA 0x10\n")
    with pytest.raises(HwgenError, match="BOGUS"):
        hls_ip.register_table(tmp_path)


def test_board_steps_hls_backend_with_stand_in_tools(build, tmp_path, monkeypatch):
    """The whole HLS path: sources (C-sim) -> block design -> 'Vitis HLS' -> 'Vivado' -> deploy/.
    The vendor tools are stand-ins (tests/fake_xilinx.py): this checks the plumbing, not a bitstream."""
    import fake_xilinx

    if shutil.which("tclsh") is None:
        pytest.skip("tclsh not installed (Debian package tcl)")
    bin_dir = fake_xilinx.install(tmp_path / "bin", offset_shift=0x100)  # as if HLS put the registers elsewhere
    fake_xilinx.isolated_path(monkeypatch, bin_dir)
    records = run_board(build, start="csim")
    assert records["step_ip_sources"]["csim"]["mismatched_frames"] == 0
    assert records["step_block_design"]["stub_checked"] is True
    assert records["step_ip"]["tool"]["name"] == "vitis_hls" and records["step_ip"]["tool"]["version"] == "2023.2"
    assert records["step_bitstream"]["timing"]["met"] and records["step_bitstream"]["utilisation"]["lut"]["used"] > 0
    deploy = build / "deploy"
    for name in ("hwgen.bit", "hwgen.hwh", "metadata.json", "test_vectors.npz", "README.md",
                 "hwgen/__init__.py", "hwgen/runtime/protocol.py"):
        assert (deploy / name).is_file(), name
    meta = json.loads((deploy / "metadata.json").read_text())
    assert meta["backend"] == "hls" and meta["graph_id"] == f"{fmt_of(build).graph_id:#018x}"
    assert meta["classes"] == ["class0", "class1", "class2"] and meta["input_shape"] == [32, 8]
    # the offsets HLS generated (here: shifted by the stand-in), not the ones the wrapper asked for
    assert meta["registers"]["offsets"] == {k: v + 0x100 for k, v in protocol.HLS_REGISTERS.items()}
    vectors = np.load(deploy / "test_vectors.npz")
    fmt = fmt_of(build)
    assert np.array_equal(vectors["expected_words"], fmt.output_words(np.load(build / "verify" / "expected.npy")))
    assert "hwgen_accel_0" in (deploy / "README.md").read_text()
