"""The board steps without vendor tools (the path every CI run and most laptops take), the RTL path with
stand-in tools, tool discovery, report parsing and `make deploy`'s command line. Vivado-only tests are
marked `vivado` and skip with a reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import fake_xilinx
import numpy as np
import pytest
from board_builds import register, run_board

from hwgen.boards import bdmodel, deploy, reports, rtl_ip, steps, tools
from hwgen.builder.config import default_steps
from hwgen.builder.core import open_build
from hwgen.errors import HwgenError
from hwgen.runtime import protocol
from hwgen.runtime.protocol import StreamFormat

needs_tclsh = pytest.mark.skipif(bdmodel.tclsh() is None, reason="tclsh not installed (Debian package tcl)")
FMT = StreamFormat(time=32, depth=8, n_classes=3, in_bits=8, in_frac=8, logit_bits=22, logit_frac=14,
                   data_width=64, graph_id=0xABCDEF0123456789)

RTL_TOP = """`resetall
`timescale 1ns / 1ps
`default_nettype none
// The accelerator's ports only: enough to test the packaging script, not a design.
module hwgen_accel #(parameter DATA_WIDTH = 64, parameter ADDR_WIDTH = 12) (
    input  wire ap_clk, input wire ap_rst_n,
    input  wire [DATA_WIDTH-1:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready,
    input  wire s_axis_tlast,
    output wire [31:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready, output wire m_axis_tlast,
    input  wire [ADDR_WIDTH-1:0] s_axi_ctrl_awaddr, input wire s_axi_ctrl_awvalid, output wire s_axi_ctrl_awready,
    input  wire [31:0] s_axi_ctrl_wdata, input wire [3:0] s_axi_ctrl_wstrb, input wire s_axi_ctrl_wvalid,
    output wire s_axi_ctrl_wready, output wire [1:0] s_axi_ctrl_bresp, output wire s_axi_ctrl_bvalid,
    input  wire s_axi_ctrl_bready, input wire [ADDR_WIDTH-1:0] s_axi_ctrl_araddr, input wire s_axi_ctrl_arvalid,
    output wire s_axi_ctrl_arready, output wire [31:0] s_axi_ctrl_rdata, output wire [1:0] s_axi_ctrl_rresp,
    output wire s_axi_ctrl_rvalid, input wire s_axi_ctrl_rready
);
endmodule
`resetall
"""


def rtl_build(folder: Path, top: str = RTL_TOP) -> Path:
    """A build folder as the export and RTL steps leave it (graph/, verify/, rtl/), hand-written."""
    (folder / "graph").mkdir(parents=True)
    (folder / "verify").mkdir()
    (folder / "rtl").mkdir()
    (folder / "graph" / "stream.json").write_text(json.dumps(FMT.to_json()))
    (folder / "graph" / "meta.json").write_text(json.dumps({"classes": ["a", "b", "c"], "task": "lung"}))
    rng = np.random.default_rng(3)
    np.save(folder / "verify" / "input.npy", rng.random((4, 32, 8)).astype(np.float32))
    np.save(folder / "verify" / "expected.npy", rng.integers(-5000, 5000, (4, 3)).astype(np.int64))
    (folder / "rtl" / "hwgen_accel.v").write_text(top)
    (folder / "rtl" / "conv1d_mac.v").write_text("module conv1d_mac(); endmodule\n")
    (folder / "rtl" / "w_b1.mem").write_text("01\n02\n")
    (folder / "rtl" / "filelist.f").write_text("# sources of hwgen_accel\nconv1d_mac.v\nhwgen_accel.v\n")
    return folder


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------------------- without vendor tools
@needs_tclsh
@pytest.mark.parametrize("backend", ["rtl"])
def test_missing_vivado_stops_with_the_generated_files_and_the_finishing_command(tmp_path, monkeypatch, backend):
    fake_xilinx.isolated_path(monkeypatch)
    build = rtl_build(tmp_path / "build")
    with pytest.raises(tools.ToolsMissing) as caught:
        run_board(register(build, "pynq-z2", backend))
    message = str(caught.value)
    assert message.startswith("Vivado not found (PATH, $XILINX_VIVADO")
    for generated in ("ip/rtl/package_ip.tcl", "ip/ip.json", "vivado/config.tcl", "vivado/build_overlay.tcl",
                      "vivado/hwgen_overlay.tcl", "vivado/model/hwgen.hwh"):
        assert f"  {generated}\n" in message
    assert "nothing deleted" in message
    assert message.splitlines()[-1].strip() == f"hwgen build {build / 'model.h5'} --out {build} --board pynq-z2 " \
                                               "--backend rtl --start ip"
    # the records of the steps that ran are kept; the stopped step is marked incomplete and wrote nothing else
    before_ip = default_steps(open_build(build).cfg)
    before_ip = before_ip[:before_ip.index("step_ip")]
    assert sorted(p.name for p in (build / "steps").iterdir()) == sorted(
        [f"{name}.json" for name in before_ip] + ["step_ip.running"])
    assert "step_rtlsim" in before_ip  # the RTL view is checked before it is packaged
    assert not (build / "ip" / "repo" / rtl_ip.REPO_NAME).exists() and not (build / "deploy").exists()


@needs_tclsh
def test_the_cli_exits_non_zero_and_deletes_nothing(tmp_path):
    build = register(rtl_build(tmp_path / "build"), "zcu104", "rtl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XILINX_")}
    env["PATH"] = "/usr/bin:/bin"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    cmd = [sys.executable, "-m", "hwgen", "build", str(build / "model.h5"), "--out", str(build), "--board", "zcu104",
           "--backend", "rtl"]
    first = subprocess.run(cmd + ["--start", "ip_sources"], capture_output=True, text=True, env=env)
    assert first.returncode == 2 and first.stderr.startswith("error: Vivado not found")
    assert "Traceback" not in first.stderr
    before = snapshot(build)
    again = subprocess.run(cmd + ["--start", "ip"], capture_output=True, text=True, env=env)
    assert again.returncode == 2 and snapshot(build) == before  # rerunning the stopped step changes nothing


def test_missing_inputs_and_bad_settings_are_one_line_errors(tmp_path):
    with pytest.raises(HwgenError, match="graph/stream.json: missing; the board steps start from a converted model"):
        steps.step_block_design(tmp_path, {"board": "pynq-z2"})
    with pytest.raises(HwgenError, match="unknown board 'zybo'; available: kv260, pynq-z1, pynq-z2"):
        steps.step_block_design(tmp_path, {"board": "zybo"})
    with pytest.raises(HwgenError, match="backend 'vhdl' is not one of hls, rtl"):
        steps.config({"board": "pynq-z2", "backend": "vhdl"})
    with pytest.raises(HwgenError, match="unknown step 'step_synthesis'; the steps are data, train"):
        run_board(register(rtl_build(tmp_path / "u"), "pynq-z2", "rtl"), start="step_synthesis")
    build = rtl_build(tmp_path / "b")
    with pytest.raises(HwgenError, match="data_width 64, the build config says 128"):
        steps.stream_format(build, {"data_width": 128})


# ------------------------------------------------------------------------------------ RTL packaging
@needs_tclsh
def test_rtl_packaging_script_under_the_stub(tmp_path):
    build = rtl_build(tmp_path / "build")
    rtl_ip.package_script(build, "xc7z020clg400-1", 100.0)
    model = rtl_ip.stub_package(build)
    assert rtl_ip.check_packaging(model, FMT, rtl_ip.sources(build)[1]) == []
    ipx = model["ipx"]
    assert {Path(f).name for f in ipx["files"]} == {"conv1d_mac.v", "hwgen_accel.v", "w_b1.mem"}
    registers = ipx["memory_maps"]["s_axi_ctrl"]["blocks"]["Reg"]["registers"]
    assert registers["ERRORS"]["fields"]["SHORT_FRAME"]["modified_write_value"] == "oneToClear"
    assert registers["SHAPE"]["fields"]["DEPTH"] == {"bit_offset": "16", "bit_width": "16", "access": "read-only"}
    assert ipx["busifs"]["ap_clk"]["params"]["FREQ_HZ"]["value"] == "100000000"
    assert ipx["busifs"]["s_axis"]["params"]["TDATA_NUM_BYTES"]["value"] == "8"
    assert ipx["properties"]["ipi_drc"] == "ignore_freq_hz true"


@needs_tclsh
@pytest.mark.parametrize("change, problem", [
    (("    input  wire s_axis_tlast,\n", ""), "s_axis lacks ['tlast']"),
    (("output wire [31:0] m_axis_tdata", "output wire [15:0] m_axis_tdata"), "m_axis tdata is 16 bits, expected 32"),
    (("parameter ADDR_WIDTH = 12", "parameter ADDR_WIDTH = 8"), "expected AXI4-Lite, 32, >= 12"),
])
def test_a_wrong_rtl_top_is_caught_when_packaged(tmp_path, change, problem):
    build = rtl_build(tmp_path / "build", RTL_TOP.replace(*change))
    rtl_ip.package_script(build, "xc7z020clg400-1", 100.0)
    problems = rtl_ip.check_packaging(rtl_ip.stub_package(build), FMT)
    assert any(problem in p for p in problems), problems


@needs_tclsh
def test_a_top_without_the_control_interface_fails_in_the_script(tmp_path):
    top = "\n".join(line for line in RTL_TOP.splitlines() if "s_axi_ctrl" not in line)
    build = rtl_build(tmp_path / "build", top.replace("output wire s_axi_ctrl_rvalid, input wire s_axi_ctrl_rready", ""))
    rtl_ip.package_script(build, "xc7z020clg400-1", 100.0)
    model = rtl_ip.stub_package(build)
    assert "hwgen: the RTL top hwgen_accel has no s_axi_ctrl interface" in model["error"]


def test_filelist_problems_name_the_file_and_line(tmp_path):
    build = rtl_build(tmp_path / "build")
    (build / "rtl" / "filelist.f").write_text("conv1d_mac.v\n+incdir+include\n")
    with pytest.raises(HwgenError, match=r"filelist.f:2: option '\+incdir\+include' is not supported"):
        rtl_ip.sources(build)
    (build / "rtl" / "filelist.f").write_text("missing.v\n")
    with pytest.raises(HwgenError, match=r"filelist.f:1: no file .*missing.v"):
        rtl_ip.sources(build)


@needs_tclsh
def test_board_steps_rtl_backend_with_a_stand_in_vivado(tmp_path, monkeypatch):
    """The whole RTL path with tests/fake_xilinx.py's vivado (the generated Tcl runs under the stub):
    plumbing, records and deploy/, not a bitstream."""
    bin_dir = fake_xilinx.install(tmp_path / "bin", vivado="2022.2", vitis_hls=None)
    fake_xilinx.isolated_path(monkeypatch, bin_dir)
    build = rtl_build(tmp_path / "build")
    with pytest.warns(UserWarning, match=r"vivado 2022.2 at .*written for 2023.1, 2023.2, 2024.1, 2024.2"):
        records = run_board(register(build, "kv260", "rtl"))
    assert records["step_ip"]["tool"]["version"] == "2022.2" and "written for" in records["step_ip"]["warning"]
    assert (build / "ip" / "repo" / rtl_ip.REPO_NAME / "component.xml").is_file()
    timing = records["step_bitstream"]["timing"]
    assert timing == {"wns_ns": 1.234, "tns_ns": 0.0, "whs_ns": 0.045, "ths_ns": 0.0, "met": True}
    meta = json.loads((build / "deploy" / "metadata.json").read_text())
    assert meta["board"] == "kv260" and meta["pynq_version"] == "3.0.1" and meta["backend"] == "rtl"
    assert protocol.register_offsets(meta["registers"]) == {n: s[0] for n, s in protocol.REGISTERS.items()}
    assert meta["addresses"] == {"dma": 0xA0000000, "accel": 0xA0010000, "range": 0x10000}
    assert meta["tools"] == {"ip": records["step_ip"]["tool"], "vivado": "2022.2"}
    assert meta["implementation"]["timing"]["wns_ns"] == 1.234
    vectors = np.load(build / "deploy" / "test_vectors.npz")
    assert vectors["q"].dtype == np.uint8 and vectors["expected_words"].shape == (4, 4)
    assert sorted(records["step_package"]["files"])[:3] == ["deploy/README.md", "deploy/hwgen.bit", "deploy/hwgen.hwh"]
    files = records["step_package"]["files"]
    assert {"deploy/hwgen.ipynb", "deploy/hwgen/runtime/driver.py", "deploy/hwgen/errors.py"} <= set(files)
    assert meta["notebook"] == "hwgen.ipynb"


@needs_tclsh
def test_a_failing_vivado_run_names_the_reason_and_leaves_no_overlay(tmp_path, monkeypatch):
    bin_dir = fake_xilinx.install(tmp_path / "bin", vitis_hls=None)
    fake_xilinx.isolated_path(monkeypatch, bin_dir)
    monkeypatch.setenv("HWGEN_STUB_WNS", "-0.250")
    build = rtl_build(tmp_path / "build")
    with pytest.raises(HwgenError, match=r"vivado failed \(exit 1\): .*hwgen: timing not met at 100.0 MHz: WNS -0.250 ns"):
        run_board(register(build, "pynq-z2", "rtl"))
    assert not (build / "vivado" / "output" / "hwgen.bit").exists() and not (build / "deploy").exists()


# ---------------------------------------------------------------------------------- tool discovery
def test_tools_are_found_under_xilinx_install_folders_with_their_version(tmp_path, monkeypatch):
    install = tmp_path / "Xilinx" / "Vivado" / "2024.1"
    fake_xilinx.install(install / "bin", vivado="2024.1", vitis_hls=None)
    fake_xilinx.isolated_path(monkeypatch)
    assert tools.find("vivado") is None
    monkeypatch.setenv("XILINX_VIVADO", str(install))
    found = tools.find("vivado")
    assert found.path == str(install / "bin" / "vivado") and found.version == "2024.1"
    assert tools.check_version(found, ("2024.1",)) is None
    assert tools.find_hls() is None


def test_last_error_line_of_a_vendor_log(tmp_path):
    log = tmp_path / "vivado.log"
    log.write_text("INFO: start\nERROR: [BD 41-1273] first\nWARNING: x\nERROR: [Common 17-39] 'hwgen::build' failed: hwgen: why\n")
    assert tools.last_error(log) == "ERROR: [Common 17-39] 'hwgen::build' failed: hwgen: why"


# ------------------------------------------------------------------------------------------ reports
UTIL_7SERIES = """\
| Tool Version : Vivado v.2023.2 (lin64) Build 4029153 Fri Oct 13 20:13:54 MDT 2023
| Device       : xc7z020clg400-1
1. Slice Logic
--------------
+----------------------------+-------+-------+------------+-----------+-------+
|          Site Type         |  Used | Fixed | Prohibited | Available | Util% |
+----------------------------+-------+-------+------------+-----------+-------+
| Slice LUTs*                | 12345 |     0 |          0 |     53200 | 23.20 |
|   LUT as Logic             | 11000 |     0 |          0 |     53200 | 20.68 |
| Slice Registers            | 20010 |     0 |          0 |    106400 | 18.81 |
+----------------------------+-------+-------+------------+-----------+-------+
3. Memory
+-------------------+------+-------+------------+-----------+-------+
| Block RAM Tile    | 14.5 |     0 |          0 |       140 | 10.36 |
4. DSP
| DSPs           |   47 |     0 |          0 |       220 | 21.36 |
"""
UTIL_ULTRASCALE = """\
| Device       : xczu7ev-ffvc1156-2-e
| CLB LUTs*               |  9000 |     0 |          0 |    230400 |  3.91 |
| CLB Registers           | 15000 |     0 |          0 |    460800 |  3.26 |
| Block RAM Tile    |    8 |     0 |          0 |       312 |  2.56 |
| URAM              |    0 |     0 |          0 |        96 |  0.00 |
| DSPs           |   30 |     0 |          0 |      1728 |  1.74 |
"""
UTIL_2019 = """\
| Slice LUTs                 | 1500 |     0 |     53200 |  2.82 |
| DSPs           |    4 |     0 |       220 |  1.82 |
"""
TIMING = """\
------------------------------------------------------------------------------------------------
| Design Timing Summary
| ---------------------
------------------------------------------------------------------------------------------------

    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)  THS Failing Endpoints  THS Total Endpoints     WPWS(ns)     TPWS(ns)  TPWS Failing Endpoints  TPWS Total Endpoints
    -------      -------  ---------------------  -------------------      -------      -------  ---------------------  -------------------     --------     --------  ----------------------  --------------------
     -0.183       -2.410                     31                41250        0.021        0.000                      0                41250        3.750        0.000                       0                 15821


Timing constraints are not met.
"""


def test_utilisation_reports_of_both_families_and_older_layouts():
    seven = reports.utilisation(UTIL_7SERIES)
    assert seven["lut"] == {"used": 12345.0, "available": 53200.0, "percent": 23.2}
    assert seven["ff"]["used"] == 20010 and seven["bram36"]["used"] == 14.5 and seven["dsp"]["used"] == 47
    us = reports.utilisation(UTIL_ULTRASCALE)
    assert us["lut"]["available"] == 230400 and us["uram"]["available"] == 96 and us["ff"]["used"] == 15000
    old = reports.utilisation(UTIL_2019)  # before 2020 there was no Prohibited column
    assert old["lut"] == {"used": 1500.0, "available": 53200.0, "percent": 2.82} and old["dsp"]["used"] == 4
    with pytest.raises(HwgenError, match="no LUT row"):
        reports.utilisation("nothing here")


def test_timing_summary_is_parsed_including_a_failure():
    result = reports.timing(TIMING)
    assert result == {"wns_ns": -0.183, "tns_ns": -2.41, "whs_ns": 0.021, "ths_ns": 0.0, "met": False}
    with pytest.raises(HwgenError, match="no Design Timing Summary"):
        reports.timing("| Clock Summary\n")


# -------------------------------------------------------------------------------------- make deploy
def test_deploy_command_without_a_board(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "metadata.json").write_text("{}")
    assert deploy.deploy_command(tmp_path, "192.168.2.99", rsync=True) == [
        "rsync", "-av", "--mkpath", f"{tmp_path / 'deploy'}/", "xilinx@192.168.2.99:/home/xilinx/jupyter_notebooks/hwgen/"]
    assert deploy.deploy_command(tmp_path, "pynq", user="root", dest="/opt/hwgen", rsync=False) == [
        "scp", "-r", str(tmp_path / "deploy"), "root@pynq:/opt/hwgen"]
    with pytest.raises(HwgenError, match="HOST='a b': give the board's address"):
        deploy.deploy_command(tmp_path, "a b")
    with pytest.raises(HwgenError, match="no deployment folder"):
        deploy.deploy_command(tmp_path / "elsewhere", "pynq")


def test_make_deploy_forms_the_command(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "metadata.json").write_text("{}")
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(["make", "-n", "deploy", f"BUILD={tmp_path}", "HOST=pynq"], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0 and f"-m hwgen.boards.deploy {tmp_path} --host pynq" in done.stdout
    dry = deploy.main([str(tmp_path), "--host", "pynq", "--dry-run"])
    assert dry == 0
    missing_host = subprocess.run(["make", "deploy", f"BUILD={tmp_path}"], cwd=repo, capture_output=True, text=True)
    assert missing_host.returncode != 0 and "give HOST=" in missing_host.stdout


# --------------------------------------------------------------------------------- real Vivado only
@pytest.mark.vivado
def test_real_vivado_packages_and_builds_the_rtl_placeholder(tmp_path):
    """With Vivado installed: the stand-in RTL top (no logic) through packaging, block design,
    implementation and bitstream on the PYNQ-Z2 part."""
    if tools.find("vivado") is None:
        pytest.skip("Vivado not found on PATH or under $XILINX_VIVADO")
    build = rtl_build(tmp_path / "build")
    records = run_board(register(build, "pynq-z2", "rtl"))
    assert records["step_bitstream"]["timing"]["met"]
    assert (build / "deploy" / "hwgen.bit").stat().st_size > 100_000
