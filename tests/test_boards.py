"""The board registry: data files in boards/, clear errors for unknown or broken boards."""

import re

import pytest

from hwgen import boards
from hwgen.errors import HwgenError


def test_pynq_z2_is_registered_with_its_part_clock_and_resources():
    board = boards.get("pynq-z2")
    assert board.part == "xc7z020clg400-1"
    assert board.clock_mhz == 100.0
    assert board.clock_period_ns == pytest.approx(10.0)
    assert board.resources["dsp"] == 220 and board.resources["lut"] == 53200 and board.resources["bram18"] == 280
    assert "pynq-z2" in boards.available()


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(HwgenError, match="unknown board 'zybo'.*pynq-z2"):
        boards.get("zybo")


def test_broken_board_file_names_the_file(tmp_path, monkeypatch):
    (tmp_path / "bad.toml").write_text('name = "bad"\npart = "x"\n')
    (tmp_path / "ugly.toml").write_text("name = [unterminated\n")
    monkeypatch.setattr(boards, "BOARDS_DIR", tmp_path)
    with pytest.raises(HwgenError, match=r"bad.toml: missing keys \['clock_mhz'"):
        boards.get("bad")
    with pytest.raises(HwgenError, match="ugly.toml: not valid TOML"):
        boards.get("ugly")


def test_every_board_file_loads_with_its_ps_ports_and_addresses():
    assert set(boards.available()) >= {"pynq-z2", "pynq-z1", "zcu104", "kv260", "ultra96v2"}
    for name in boards.available():
        board = boards.get(name)
        kind = board.ps.kind
        assert board.ps.ctrl_port in kind.masters and board.ps.data_port in kind.slaves
        base, size = kind.masters[board.ps.ctrl_port].window
        assert base <= board.address.dma < base + size and base <= board.address.accel < base + size
        assert board.pynq_version and board.resources["lut"] > 0
    assert boards.get("pynq-z2").ps.config["PCW_UIPARAM_DDR_PARTNO"] == "Custom"  # builds without board files
    assert boards.get("zcu104").ps.type == "ps8" and boards.get("zcu104").ps.data_width == 128


@pytest.mark.parametrize("edit, message", [
    (("ctrl_port = \"M_AXI_GP0\"", "ctrl_port = \"M_AXI_HPM0_FPD\""), "ps.ctrl_port 'M_AXI_HPM0_FPD' is not a ps7 master port"),
    (("data_width = 64", "data_width = 96"), "ps.data_width 96 is not one of (32, 64)"),
    (("accel = 0x43C00000", "accel = 0x40400000"), "address.dma and address.accel overlap"),
    (("accel = 0x43C00000", "accel = 0x83C00000"), "address.accel 0x83c00000 must be aligned to 0x10000 and lie in M_AXI_GP0"),
    (("type = \"ps7\"", "type = \"ps9\""), "ps.type 'ps9' is not one of ['ps7', 'ps8']"),
    (("pl_pll_mhz = 1000.0", "pl_pll_mhz = 1000.0\nturbo = 1"), "unknown keys ['ps.turbo']"),
])
def test_a_wrong_board_file_is_one_line_naming_the_file_and_key(tmp_path, monkeypatch, edit, message):
    text = (boards.BOARDS_DIR / "pynq-z2.toml").read_text()
    assert edit[0] in text
    (tmp_path / "pynq-z2.toml").write_text(text.replace(*edit, 1))
    monkeypatch.setattr(boards, "BOARDS_DIR", tmp_path)
    with pytest.raises(HwgenError, match="pynq-z2.toml: " + re.escape(message)):
        boards.get("pynq-z2")


def test_hwgen_boards_lists_every_board_and_refuses_an_unknown_one():
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "250"}
    done = subprocess.run([sys.executable, "-m", "hwgen", "boards"], capture_output=True, text=True, env=env)
    assert done.returncode == 0
    for name in boards.available():
        assert name in done.stdout
    assert "xczu7ev-ffvc1156-2-e" in done.stdout and "M_AXI_GP0 / S_AXI_HP0 (64 b)" in done.stdout
    one = subprocess.run([sys.executable, "-m", "hwgen", "boards", "kv260"], capture_output=True, text=True, env=env)
    assert one.returncode == 0 and '"part": "xck26-sfvc784-2LV-c"' in one.stdout
    bad = subprocess.run([sys.executable, "-m", "hwgen", "boards", "zybo"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "unknown board 'zybo'; available: kv260, pynq-z1, pynq-z2" in bad.stderr
