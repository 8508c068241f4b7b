"""Stand-in `vivado` and `vitis_hls` executables for orchestration tests (no vendor tool in CI).

`vivado` runs the script it is given under tclsh with hwgen's Vivado stub, so the generated Tcl really
runs (and writes the stub's stand-in .bit/.hwh, reports and component.xml). `vitis_hls` writes what an
export leaves behind: impl/ip/component.xml and the driver header with register offsets, which it
takes from the wrapper's pragmas unless told to shift them (as if HLS placed them elsewhere). Nothing
here synthesises anything: tests using these check the steps' plumbing, not a bitstream.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from hwgen.boards.bdmodel import STUB, tclsh

VIVADO = '''#!{python}
import os, subprocess, sys
from pathlib import Path
args = sys.argv[1:]
env = {{**os.environ, "HWGEN_STUB_VERSION": os.environ.get("HWGEN_STUB_VERSION") or "{version}"}}
if "-version" in args:
    print("Vivado v{version} (64-bit)")
    sys.exit(0)
script = Path(args[args.index("-source") + 1]).resolve()
build = next(p for p in script.parents if (p / "graph").is_dir())
catalog = build / "vivado" / "model" / "ip_catalog.tcl"
cmd = ["{tclsh}", "{stub}", str(build / "fake_vivado_model.json"), str(script)] + ([str(catalog)] if catalog.is_file() else [])
done = subprocess.run(cmd, capture_output=True, text=True, env=env)
print(done.stdout)
if done.returncode:
    print("ERROR: [Common 17-39] " + done.stderr.strip().splitlines()[0])
sys.exit(done.returncode)
'''

VITIS_HLS = '''#!{python}
import re, sys
from pathlib import Path
args = sys.argv[1:]
if "-version" in args or "--version" in args:
    print("Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v{version} (64-bit)")
    sys.exit(0)
here = Path.cwd()
ip = here / "hwgen_accel_prj" / "solution1" / "impl" / "ip"
(ip / "drivers" / "hwgen_accel_v1_0" / "src").mkdir(parents=True, exist_ok=True)
(ip / "component.xml").write_text("<!-- fake export of hwgen.org:hwgen:hwgen_accel:1.0 -->")
source = (here / "hwgen_accel.cpp").read_text()
lines = []
for port, offset in re.findall(r"s_axilite port = (\\w+) bundle = ctrl offset = (0x[0-9a-fA-F]+)", source):
    lines.append("#define XHWGEN_ACCEL_CTRL_ADDR_%s_DATA 0x%x" % (port.upper(), int(offset, 16) + {shift}))
    lines.append("#define XHWGEN_ACCEL_CTRL_BITS_%s_DATA 32" % port.upper())
(ip / "drivers" / "hwgen_accel_v1_0" / "src" / "xhwgen_accel_hw.h").write_text("\\n".join(lines) + "\\n")
print("fake vitis_hls: exported", ip)
'''


def install(bin_dir: Path, *, vivado: str | None = "2023.2", vitis_hls: str | None = "2023.2", offset_shift: int = 0) -> Path:
    """Write the fake tools into bin_dir; returns it (put it first on PATH)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, template, version in (("vivado", VIVADO, vivado), ("vitis_hls", VITIS_HLS, vitis_hls)):
        if version is None:
            continue
        path = bin_dir / name
        path.write_text(template.format(python=sys.executable, tclsh=tclsh(), stub=STUB, version=version, shift=offset_shift))
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bin_dir


def isolated_path(monkeypatch, bin_dir: Path | None = None) -> None:
    """PATH without any real Xilinx tool (only the system folders, plus bin_dir); XILINX_* unset."""
    system = [p for p in ("/usr/local/bin", "/usr/bin", "/bin") if os.path.isdir(p)]
    monkeypatch.setenv("PATH", os.pathsep.join(([str(bin_dir)] if bin_dir else []) + system))
    for var in ("XILINX_VIVADO", "XILINX_HLS", "XILINX_VITIS"):
        monkeypatch.delenv(var, raising=False)
