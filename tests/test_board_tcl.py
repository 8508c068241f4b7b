"""The generated Vivado Tcl, run under tclsh against the Vivado stub (hwgen/boards/tcl/vivado_stub.tcl).

The stub builds an in-memory model of the block design and fails on any command or option it does not
know; `bdmodel.check_design` then asserts the properties an overlay needs. Each property is also broken
on purpose below to show it is caught. No Vivado here: this is what CI can check of the scripts.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hwgen import boards
from hwgen.boards import bdmodel, block_design
from hwgen.runtime import protocol
from hwgen.runtime.protocol import StreamFormat

pytestmark = pytest.mark.skipif(bdmodel.tclsh() is None, reason="tclsh not installed (Debian package tcl)")

# One lung window: 256 lines x 64 depth bins of 8-bit values = 16384 bytes, one more than the AXI DMA's
# default 14-bit length register allows (the fault hls4ml/FINN users hit).
LUNG = StreamFormat(time=256, depth=64, n_classes=3, in_bits=8, in_frac=8, logit_bits=22, logit_frac=14,
                    data_width=64, graph_id=0x0123456789ABCDEF)


def build(tmp_path: Path, board: str = "pynq-z2", fmt: StreamFormat = LUNG, edit=None, config_edit=None,
          env: dict | None = None, name: str = "hwgen"):
    """Write the scripts for `board`, optionally edit them, run them under the stub: (model, settings)."""
    folder = tmp_path / board
    (folder / "ip" / "repo").mkdir(parents=True, exist_ok=True)
    _, settings = block_design.write_scripts(folder, boards.get(board), fmt, name)
    vivado = folder / "vivado"
    if edit:
        library = vivado / "hwgen_overlay.tcl"
        library.write_text(edit(library.read_text()))
    if config_edit:
        config = vivado / "config.tcl"
        config.write_text(config_edit(config.read_text()))
    catalog = folder / "catalog.tcl"
    catalog.write_text(block_design.accel_catalog_tcl(fmt))
    model = bdmodel.run_stub(vivado / "build_overlay.tcl", folder / "model.json", [catalog], env=env)
    return model, settings


def replace(old: str, new: str):
    def edit(text: str) -> str:
        assert old in text, f"test edit does not apply: {old!r}"
        return text.replace(old, new)
    return edit


@pytest.mark.parametrize("board", boards.available())
def test_every_board_builds_a_design_without_structural_problems(tmp_path, board):
    model, settings = build(tmp_path, board)
    assert model["returncode"] == 0, model["error"]
    assert bdmodel.check_design(model, settings) == []
    ps = boards.get(board).ps
    assert model["cells"][settings["ps_cell"]]["ip"] == {"ps7": "processing_system7", "ps8": "zynq_ultra_ps_e"}[ps.type]
    assert (tmp_path / board / "vivado" / "output" / "hwgen.bit").is_file()  # the stub's stand-in files
    assert (tmp_path / board / "vivado" / "output" / "hwgen.hwh").is_file()


def test_pynq_z2_design_in_detail(tmp_path):
    model, settings = build(tmp_path, "pynq-z2")
    cells = model["cells"]
    # One clock, by pin: FCLK_CLK0 drives all ten clock inputs.
    clock_net = cells["ps7"]["pins"]["FCLK_CLK0"]["net"]
    assert sorted(model["nets"][clock_net]) == sorted([
        "ps7/FCLK_CLK0", "ps7/M_AXI_GP0_ACLK", "ps7/S_AXI_HP0_ACLK", "rst_ps/slowest_sync_clk",
        "axi_dma_0/s_axi_lite_aclk", "axi_dma_0/m_axi_mm2s_aclk", "axi_dma_0/m_axi_s2mm_aclk",
        "hwgen_accel_0/ap_clk", "ctrl_interconnect/aclk", "mem_interconnect/aclk"])
    # PS configured without board files, at 100 MHz, HP0 64 bits, GP1 and HP1..3 off.
    ps = cells["ps7"]["config"]
    assert ps["PCW_IMPORT_BOARD_PRESET"] == "None" and ps["PCW_FPGA0_PERIPHERAL_FREQMHZ"] == "100"
    assert ps["PCW_CRYSTAL_PERIPHERAL_FREQMHZ"] == "50" and ps["PCW_UIPARAM_DDR_PARTNO"] == "Custom"
    assert (ps["PCW_USE_M_AXI_GP0"], ps["PCW_USE_S_AXI_HP0"], ps["PCW_S_AXI_HP0_DATA_WIDTH"]) == ("1", "1", "64")
    assert ps["PCW_USE_M_AXI_GP1"] == ps["PCW_USE_S_AXI_HP1"] == "0"
    assert model["project"]["board_part"] == ""  # board files absent: not needed
    # DMA: simple mode, 26-bit length, streams as wide as the accelerator's ports.
    dma = cells["axi_dma_0"]["config"]
    assert (dma["c_include_sg"], dma["c_sg_length_width"]) == ("0", "26")
    assert (dma["c_m_axis_mm2s_tdata_width"], dma["c_s_axis_s2mm_tdata_width"]) == ("64", "32")
    # Address map: PYNQ's GP0 addresses, DDR from 0 for both DMA channels, nothing excluded.
    mapped = {(a["space"], a["seg"]): (a["offset"], a["range"]) for a in model["assigned"]}
    assert mapped[("ps7/Data", "axi_dma_0/S_AXI_LITE/Reg")] == (0x40400000, 0x10000)
    assert mapped[("ps7/Data", "hwgen_accel_0/s_axi_ctrl/Reg")] == (0x43C00000, 0x10000)
    assert mapped[("axi_dma_0/Data_MM2S", "ps7/S_AXI_HP0/HP0_DDR_LOWOCM")] == (0, 0x20000000)
    assert model["excluded"] == []
    # The wrapper is added from make_wrapper's return value (Vivado 2023.2: under .gen).
    assert "hwgen_overlay.gen" in model["bd"]["wrapper"] and model["added_files"] == [model["bd"]["wrapper"]]


def test_zcu104_uses_pl_clk0_disables_unused_masters_and_maps_ddr_high(tmp_path):
    model, settings = build(tmp_path, "zcu104")
    ps = model["cells"]["zynq_ultra_ps_e_0"]["config"]
    assert (ps["PSU__USE__M_AXI_GP0"], ps["PSU__USE__M_AXI_GP1"], ps["PSU__USE__M_AXI_GP2"]) == ("1", "0", "0")
    assert ps["PSU__USE__S_AXI_GP2"] == "1" and ps["PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"] == "100"
    assert model["cells"]["axi_dma_0"]["config"]["c_addr_width"] == "64"
    segments = {a["seg"].split("/")[-1] for a in model["assigned"] if a["space"] == "axi_dma_0/Data_MM2S"}
    assert {"HP0_DDR_LOW", "HP0_DDR_HIGH"} <= segments


def test_design_follows_the_model_stream_width(tmp_path):
    wide = StreamFormat(time=32, depth=8, n_classes=4, data_width=128)
    model, settings = build(tmp_path, "zcu104", fmt=wide)
    assert bdmodel.check_design(model, settings) == []
    assert model["cells"]["axi_dma_0"]["config"]["c_m_axis_mm2s_tdata_width"] == "128"


# ----------------------------------------------------------------------------- broken on purpose
def test_an_undriven_clock_pin_is_caught(tmp_path):
    model, settings = build(tmp_path, edit=replace(" [get_bd_pins axi_dma_0/m_axi_s2mm_aclk]", ""))
    assert model["returncode"] != 0
    assert "clk pin axi_dma_0/m_axi_s2mm_aclk is not connected" in model["error"]  # the stub's validate_bd_design
    model["error"] = None  # and the Python check finds it in the model too
    assert "clock pin axi_dma_0/m_axi_s2mm_aclk is not driven" in bdmodel.check_clocks(model, settings)


def test_a_second_clock_is_caught(tmp_path):
    """The accelerator on FCLK_CLK1 while the DMA that feeds it runs on FCLK_CLK0."""
    second = replace("[get_bd_pins $accel/ap_clk] \\\n", "\\\n")
    add = replace("    # One reset:", "    connect_bd_net [get_bd_pins $ps/FCLK_CLK1] [get_bd_pins $accel/ap_clk]\n    # One reset:")
    enable = replace("PCW_EN_CLK0_PORT 1", "PCW_EN_CLK0_PORT 1 PCW_EN_CLK1_PORT 1 PCW_FPGA_FCLK1_ENABLE 1")
    model, settings = build(tmp_path, edit=lambda text: add(second(text)), config_edit=enable)
    assert "axi_dma_0/M_AXIS_MM2S and hwgen_accel_0/s_axis are clocked by different nets" in model["error"]
    model["error"] = None
    problems = bdmodel.check_clocks(model, settings)
    assert any("clock inputs sit on 2 nets" in p for p in problems)


def test_an_unconnected_reset_is_caught(tmp_path):
    model, settings = build(tmp_path, edit=replace(" [get_bd_pins $accel/ap_rst_n]", ""))
    assert "rst pin hwgen_accel_0/ap_rst_n is not connected" in model["error"]
    model["error"] = None
    problems = bdmodel.check_resets(model, settings)
    assert "reset pin hwgen_accel_0/ap_rst_n is not connected" in problems


def test_a_dma_stream_narrower_than_the_accelerator_is_caught(tmp_path):
    model, settings = build(tmp_path, edit=replace("CONFIG.c_m_axis_mm2s_tdata_width $in_width",
                                                   "CONFIG.c_m_axis_mm2s_tdata_width 32"))
    assert "stream axi_dma_0/M_AXIS_MM2S is 32 bits, hwgen_accel_0/s_axis is 64 bits" in model["error"]
    model["error"] = None
    assert any("widths 32 / 64" in p for p in bdmodel.check_streams(model, settings))


def test_the_default_14_bit_dma_length_is_caught_for_a_lung_frame(tmp_path):
    model, settings = build(tmp_path, config_edit=replace("cfg(dma_length_width) 26", "cfg(dma_length_width) 14"))
    assert model["returncode"] == 0  # Vivado would accept it: only the frame size shows it is wrong
    problems = bdmodel.check_dma(model, settings)
    assert problems == ["DMA length register of 14 bits holds 16383 bytes; one frame is 16384 bytes (15 bits)"]


def test_an_excluded_address_segment_stops_the_build(tmp_path):
    model, settings = build(tmp_path, "zcu104", config_edit=replace("cfg(dma_addr_width) 64", "cfg(dma_addr_width) 32"))
    assert "hwgen: address segments excluded from space:/axi_dma_0/Data_MM2S" in model["error"]
    assert "HP0_DDR_HIGH" in model["error"]
    model["error"] = None
    assert any("HP0_DDR_HIGH is excluded" in p for p in bdmodel.check_addresses(model, settings))


def test_overlapping_register_windows_are_caught(tmp_path):
    model, _ = build(tmp_path, config_edit=replace("cfg(accel_offset) 0x43c00000", "cfg(accel_offset) 0x40400000"))
    assert "overlaps axi_dma_0/S_AXI_LITE/Reg" in model["error"]


def test_a_hard_coded_wrapper_path_fails_where_vivado_moved_it(tmp_path):
    hard_coded = ("add_files -norecurse [file join $cfg(project_dir) $cfg(project).srcs sources_1 bd "
                  "$cfg(bd_name) hdl $cfg(bd_name)_wrapper.v]")
    broken = replace("add_files -norecurse $wrapper", hard_coded)
    model, _ = build(tmp_path, edit=broken, env={"HWGEN_STUB_VERSION": "2023.2"})
    assert "add_files: no file" in model["error"] and ".srcs" in model["error"]
    # hwgen's own script works on both sides of the 2020.2 move from .srcs to .gen
    for version, folder in (("2020.1", ".srcs"), ("2024.1", ".gen")):
        model, settings = build(tmp_path / version, env={"HWGEN_STUB_VERSION": version})
        assert bdmodel.check_design(model, settings) == [] and f"hwgen_overlay{folder}" in model["bd"]["wrapper"]


@pytest.mark.parametrize("mode, reason", [
    ("synth_error", "synth_1 did not complete: status 'synth_design ERROR'"),
    ("impl_error", "impl_1 did not complete: status 'route_design ERROR'"),
    ("no_bitstream", "expected one bitstream"),
])
def test_failed_runs_stop_the_build_with_the_reason(tmp_path, mode, reason):
    model, _ = build(tmp_path, env={"HWGEN_STUB_RUN": mode})
    assert model["returncode"] != 0 and reason in model["error"]
    assert not (tmp_path / "pynq-z2" / "vivado" / "output" / "hwgen.bit").exists()


def test_negative_slack_stops_the_build_after_writing_the_reports(tmp_path):
    model, _ = build(tmp_path, env={"HWGEN_STUB_WNS": "-0.412"})
    assert "timing not met at 100.0 MHz: WNS -0.412 ns" in model["error"]
    assert (tmp_path / "pynq-z2" / "vivado" / "reports" / "timing_summary.rpt").is_file()
    assert not (tmp_path / "pynq-z2" / "vivado" / "output" / "hwgen.bit").exists()
    model, _ = build(tmp_path / "hold", env={"HWGEN_STUB_WHS": "-0.010"})
    assert "WHS -0.010 ns" in model["error"]


def test_a_build_that_skips_the_status_checks_is_caught(tmp_path):
    skip = replace("""    foreach {run step} {synth_1 synth_design impl_1 write_bitstream} {""",
                   """    foreach {run step} {} {""")
    model, settings = build(tmp_path, edit=skip)
    problems = bdmodel.check_build(model, settings)
    assert "the build never reads STATUS of synth_1" in problems and "the build never reads PROGRESS of impl_1" in problems


def test_unknown_commands_and_options_fail(tmp_path):
    model, _ = build(tmp_path, edit=replace("    validate_bd_design\n", "    validate_bd_design\n    apply_bd_automation -rule x\n"))
    assert "unknown command 'apply_bd_automation'" in model["error"]
    model, _ = build(tmp_path / "o", edit=replace("save_bd_design", "save_bd_design -purge"))
    assert "save_bd_design: unknown option -purge" in model["error"]


def test_a_board_port_that_is_disabled_cannot_be_connected(tmp_path):
    model, _ = build(tmp_path, config_edit=replace("PCW_USE_S_AXI_HP0 1", "PCW_USE_S_AXI_HP0 0"))
    assert "ps7 has no interface S_AXI_HP0 with its CONFIG" in model["error"]


def test_a_missing_accelerator_ip_is_named(tmp_path):
    folder = tmp_path / "x"
    (folder / "ip" / "repo").mkdir(parents=True)
    block_design.write_scripts(folder, boards.get("pynq-z2"), LUNG, "hwgen")
    model = bdmodel.run_stub(folder / "vivado" / "build_overlay.tcl", folder / "model.json")  # no catalog
    assert "hwgen: the accelerator IP (run the IP step first) (hwgen.org:hwgen:hwgen_accel:1.0) is not in the IP catalog" in model["error"]


def test_a_frame_larger_than_the_dma_can_move_is_refused():
    huge = StreamFormat(time=65536, depth=1024, n_classes=2)
    with pytest.raises(Exception, match="more than the AXI DMA's largest transfer"):
        block_design.settings(boards.get("pynq-z2"), huge, "hwgen")


# ------------------------------------------------------------------------------------------- .hwh
def parse_hwh(path: Path) -> dict:
    """What PYNQ reads from a .hwh, read with ElementTree: modules, parameters, address map, registers."""
    root = ET.parse(path).getroot()
    modules = {}
    for module in root.iter("MODULE"):
        params = {p.get("NAME"): p.get("VALUE") for p in module.find("PARAMETERS")}
        registers = {r.get("NAME"): int(next(p.get("VALUE") for p in r.iter("PROPERTY") if p.get("NAME") == "ADDRESS_OFFSET"), 0)
                     for r in module.iter("REGISTER")}
        ranges = [(m.get("INSTANCE"), m.get("MASTERBUSINTERFACE"), int(m.get("BASEVALUE"), 16), int(m.get("HIGHVALUE"), 16))
                  for m in module.iter("MEMRANGE")]
        modules[module.get("INSTANCE")] = {"vlnv": module.get("VLNV"), "params": params, "registers": registers,
                                           "ranges": ranges}
    return modules


@pytest.mark.parametrize("board, backend", [("pynq-z2", "rtl"), ("zcu104", "hls")])
def test_the_modelled_hwh_describes_the_design(tmp_path, board, backend):
    model, settings = build(tmp_path, board)
    table = {"backend": "hls", "offsets": protocol.HLS_REGISTERS} if backend == "hls" else None
    path = bdmodel.write_hwh(model, settings, tmp_path / "hwgen.hwh", pl_pll_mhz=boards.get(board).ps.pl_pll_mhz,
                             register_table=table)
    modules = parse_hwh(path)
    assert set(modules) == set(model["cells"])
    assert modules["hwgen_accel_0"]["vlnv"] == "hwgen.org:hwgen:hwgen_accel:1.0"
    assert modules["axi_dma_0"]["vlnv"] == "xilinx.com:ip:axi_dma:7.1"
    dma = modules["axi_dma_0"]["params"]
    assert (dma["c_sg_length_width"], dma["c_include_sg"], dma["c_m_axis_mm2s_tdata_width"]) == ("26", "0", "64")
    assert modules["axi_dma_0"]["registers"]["MM2S_LENGTH"] == 0x28 and modules["axi_dma_0"]["registers"]["S2MM_LENGTH"] == 0x58
    want = protocol.HLS_REGISTERS if backend == "hls" else {n: s[0] for n, s in protocol.REGISTERS.items()}
    assert modules["hwgen_accel_0"]["registers"] == want
    b = boards.get(board)
    ps_ranges = {inst: (lo, hi) for inst, _, lo, hi in modules[settings["ps_cell"]]["ranges"]}
    assert ps_ranges["axi_dma_0"] == (b.address.dma, b.address.dma + b.address.range - 1)
    assert ps_ranges["hwgen_accel_0"] == (b.address.accel, b.address.accel + b.address.range - 1)
    assert any(lo == 0 for _, _, lo, _ in modules["axi_dma_0"]["ranges"])
    # PYNQ sets the fabric clock from these divisors of the PLL.
    ps = modules[settings["ps_cell"]]["params"]
    key = "PCW_FCLK0_PERIPHERAL_DIVISOR" if b.ps.type == "ps7" else "PSU__CRL_APB__PL0_REF_CTRL__DIVISOR"
    assert b.ps.pl_pll_mhz / (int(ps[key + "0"]) * int(ps[key + "1"])) == pytest.approx(b.clock_mhz)


def test_hwh_parses_with_pynq_when_a_pynq_python_is_given(tmp_path):
    """Optional: HWGEN_PYNQ_PYTHON=<python with pynq 3.1.2 + pynqmetadata 0.1.9> (pynq cannot share a venv with TF)."""
    import os
    import subprocess

    python = os.environ.get("HWGEN_PYNQ_PYTHON")
    if not python:
        pytest.skip("set HWGEN_PYNQ_PYTHON to a Python with pynq==3.1.2 and pynqmetadata==0.1.9 to run this")
    model, settings = build(tmp_path)
    path = bdmodel.write_hwh(model, settings, tmp_path / "hwgen.hwh", pl_pll_mhz=1000.0)
    code = ("import sys, json\nfrom pynqmetadata.frontends import Metadata\n"
            "from pynqmetadata.views.runtime import RuntimeMetadataParser\n"
            "p = RuntimeMetadataParser(Metadata(sys.argv[1]))\n"
            "ip = p.ip_dict\nprint(json.dumps({k: [v.get('phys_addr'), v.get('type'), sorted(v.get('registers', {}))] "
            "for k, v in ip.items()} | {'clock': p.clock_dict[0]}))")
    done = subprocess.run([python, "-c", code, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    assert parsed["axi_dma_0"][:2] == [0x40400000, "xilinx.com:ip:axi_dma:7.1"]
    assert parsed["hwgen_accel_0"][0] == 0x43C00000 and "FRAMES" in parsed["hwgen_accel_0"][2]
    assert parsed["clock"]["enable"] == 1


def test_ps8_clock_frequency_is_taken_by_the_accelerator(tmp_path):
    """PS8's PLL gives 99.999001 MHz for 100: an IP clock stating 100 MHz fails validation unless aligned."""
    model, settings = build(tmp_path, "zcu104")
    assert model["cells"]["hwgen_accel_0"]["pins"]["ap_clk"]["freq_hz"] == "99999001"
    model, settings = build(tmp_path / "broken", "zcu104", edit=replace("    align_clock_frequency\n", ""))
    assert "FREQ_HZ of hwgen_accel_0/ap_clk (100000000) does not match its source (99999001)" in model["error"]
    model["error"] = None
    assert any("states 100000000 Hz, its source 99999001 Hz" in p for p in bdmodel.check_clocks(model, settings))
