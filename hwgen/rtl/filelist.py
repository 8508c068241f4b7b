"""File lists of the Verilog modules: one `<module>.f` next to `<module>.v`, verilog-axis (taxi) style.

A file list names the sources a module needs to elaborate, one path per line, relative to the list's
own folder (`#` and `//` start comments, as in the board build's rtl/filelist.f): the module's `.v` first, then the files or other `.f` lists of the modules it
instantiates. Nested lists are expanded depth-first and every file appears once (the first time,
by base name), so a list only names its direct dependencies:

    kernels/conv1d_mac.f            kernels/conv1d_engine.f
        conv1d_mac.v                    conv1d_engine.v
        conv1d_engine.f                 line_buffer_1d.f

This is the one place dependencies are written down: the cocotb benches (`sim/harness.py`), the
yosys resource counts (`hwgen.rtl.synth`) and the generator's top-level file lists all ask
`sources(module)`. The same files work outside Python (Vivado `read_verilog [split [read ...]]`,
a Makefile's `$(shell cat ...)`). `check(module)` compares a list with the modules its sources
instantiate, so a list cannot silently fall out of date (tests/test_filelist.py runs it on every
kernel).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from hwgen.errors import HwgenError
from hwgen.paths import KERNELS_DIR

FILELIST_SUFFIX = ".f"


def find(module: str, search: Sequence[Path] = (KERNELS_DIR,)) -> Path:
    """The file list `<module>.f` in the first folder of `search` that has one."""
    for folder in search:
        path = Path(folder) / f"{module}{FILELIST_SUFFIX}"
        if path.is_file():
            return path
    where = ", ".join(str(f) for f in search)
    raise HwgenError(f"no file list {module}{FILELIST_SUFFIX} in {where}: write one naming {module}.v "
                     f"and the .f lists of the modules it instantiates")


def read(path: Path) -> list[Path]:
    """The sources a file list names, nested lists expanded, each base name once, in list order."""
    found: dict[str, Path] = {}
    _expand(Path(path), found, stack=())
    return list(found.values())


def _expand(path: Path, found: dict[str, Path], stack: tuple[Path, ...]) -> None:
    path = path.resolve()
    if path in stack:
        raise HwgenError(f"file list {path} includes itself through {' -> '.join(p.name for p in stack)}")
    if not path.is_file():
        raise HwgenError(f"file list {stack[-1] if stack else path} names {path}, which does not exist")
    for entry in _entries(path.read_text()):
        target = (path.parent / entry).resolve()
        if target.suffix == FILELIST_SUFFIX:
            _expand(target, found, (*stack, path))
        elif not target.is_file():
            raise HwgenError(f"file list {path} names {entry}, which does not exist")
        else:
            found.setdefault(target.name, target)


def _entries(text: str) -> list[str]:
    """Paths of a list: whitespace-separated, `#` and `//` start a comment (as rtl/filelist.f allows)."""
    return [word for line in text.splitlines() for word in line.split("//")[0].split("#")[0].split()]


def sources(module: str, search: Sequence[Path] = (KERNELS_DIR,)) -> list[Path]:
    """Every source file `module` needs, its own first: what a simulator or yosys reads."""
    return read(find(module, search))


# ---------------------------------------------------------------------------------------------
# Consistency: a list against the modules its sources instantiate
# ---------------------------------------------------------------------------------------------

def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)


def declared_modules(path: Path) -> list[str]:
    return re.findall(r"^\s*module\s+(\w+)", _strip_comments(Path(path).read_text()), re.M)


def instantiated_modules(path: Path, known: Iterable[str]) -> set[str]:
    """Which of the `known` module names the source at `path` instantiates (`name #(` or `name u_x (`)."""
    text = _strip_comments(Path(path).read_text())
    return {name for name in known if re.search(rf"^\s*{name}\s*(#|\w+\s*\()", text, re.M)}


def check(module: str, search: Sequence[Path] = (KERNELS_DIR,)) -> list[str]:
    """Problems with `module`'s file list: modules instantiated but not listed, files listed but not
    needed. Empty when the list is exactly right."""
    files = sources(module, search)
    declared = {name: path for path in files for name in declared_modules(path)}
    every_module = {name for folder in search for v in Path(folder).glob("*.v") for name in declared_modules(v)}
    problems = []
    if module not in declared:
        problems.append(f"{module}.f does not list the file declaring module {module}")
    needed: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        if name not in declared:
            continue
        for used in sorted(instantiated_modules(declared[name], every_module) - {name}):
            if used not in declared:
                problems.append(f"{module}.f: {declared[name].name} instantiates {used}, which no listed file declares")
            todo.append(used)
    for name, path in declared.items():
        if name not in needed:
            problems.append(f"{module}.f lists {path.name} (module {name}), which {module} does not use")
    return problems
