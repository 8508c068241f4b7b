"""hwgen.rtl.filelist: one .f list per module, nested lists expanded, checked against the instantiations."""

from pathlib import Path

import pytest

from hwgen.errors import HwgenError
from hwgen.paths import KERNELS_DIR, REPO_ROOT
from hwgen.rtl import filelist, synth

BENCH_HDL = REPO_ROOT / "sim" / "hdl"
SEARCH = (KERNELS_DIR, BENCH_HDL)


def modules_with_sources(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.v"))


@pytest.mark.parametrize("module", modules_with_sources(KERNELS_DIR) + modules_with_sources(BENCH_HDL))
def test_every_module_has_an_exact_file_list(module):
    assert filelist.check(module, SEARCH) == []


def test_nested_lists_expand_depth_first_each_file_once():
    names = [p.name for p in filelist.sources("conv1d_mac")]
    assert names == ["conv1d_mac.v", "conv1d_engine.v", "line_buffer_1d.v", "weight_product.v"]
    assert synth.list_kernels()  # the kernels synth.py counts are the ones with lists


def _module(folder: Path, name: str, body: str = "", deps: tuple[str, ...] = ()) -> None:
    (folder / f"{name}.v").write_text(f"module {name};\n{body}\nendmodule\n")
    (folder / f"{name}.f").write_text("\n".join([f"{name}.v", *(f"{d}.f" for d in deps)]) + "\n")


def test_check_finds_missing_and_unused_entries(tmp_path):
    _module(tmp_path, "leaf")
    _module(tmp_path, "other")
    _module(tmp_path, "top", "leaf u_leaf ();", deps=("other",))
    problems = filelist.check("top", (tmp_path,))
    assert any("instantiates leaf" in p for p in problems), problems
    assert any("other.v" in p and "does not use" in p for p in problems), problems


def test_missing_list_and_missing_file_are_named(tmp_path):
    with pytest.raises(HwgenError, match=r"no file list nothing\.f"):
        filelist.sources("nothing", (tmp_path,))
    (tmp_path / "broken.f").write_text("broken.v\n")
    with pytest.raises(HwgenError, match=r"names broken\.v, which does not exist"):
        filelist.sources("broken", (tmp_path,))


def test_comments_are_ignored(tmp_path):
    _module(tmp_path, "leaf")
    (tmp_path / "top.v").write_text("module top;\nleaf u_leaf ();\nendmodule\n")
    (tmp_path / "top.f").write_text("# top and its leaf\ntop.v  // the module\nleaf.f\n")
    assert [p.name for p in filelist.sources("top", (tmp_path,))] == ["top.v", "leaf.v"]
    assert filelist.check("top", (tmp_path,)) == []


def test_a_list_including_itself_is_refused(tmp_path):
    (tmp_path / "a.v").write_text("module a; endmodule\n")
    (tmp_path / "a.f").write_text("a.v\nb.f\n")
    (tmp_path / "b.f").write_text("a.f\n")
    with pytest.raises(HwgenError, match="includes itself"):
        filelist.sources("a", (tmp_path,))
