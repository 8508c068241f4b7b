"""The board registry: data files in boards/, clear errors for unknown or broken boards."""

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
