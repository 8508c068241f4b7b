"""A simulated deployment folder: what `step_package` ships to a board (driver, metadata, test vectors,
notebook), with the modelled .hwh of the block design in place of Vivado's and a simulated bitstream
naming the RTL backend's Verilator model of the same design.

    python -m hwgen.pynqsim.folder BUILD [--out BUILD/deploy-sim]     # in the main environment

The build must have run the RTL backend (`step_rtl`: rtl/) and the block design (`step_block_design`:
vivado/model/<name>.hwh). Building the Verilator library needs verilator (main environment); loading the
folder on a `SimulatedBoard` needs only numpy and pynq. `faults` and `dma_length_width` make a
deliberately broken design (a block design without TLAST on a stream, a DMA length register too narrow),
to see the driver fail the way it would on a board.

    deploy-sim/<name>.bit        JSON: {"hwgen_simulated_bitstream": 1, "accelerator": {...}, "faults": {...}}
    deploy-sim/<name>.hwh        the modelled hardware handoff (hwgen.boards.bdmodel), as pynq parses it
    deploy-sim/sim/              the Verilator library and the weight files it reads at start-up
    deploy-sim/...               everything deploy/ has (hwgen/runtime, metadata.json, test_vectors.npz, ...)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from hwgen.errors import HwgenError
from hwgen.pynqsim.bitstream import MAGIC


def modelled_hwh(build_dir: Path, name: str, board, dma_length_width: int | None = None, dest: Path | None = None) -> Path:
    """The block design's modelled .hwh; with `dma_length_width`, the same design re-run under the Vivado
    stub with that DMA length register (not checked: it is meant to be wrong)."""
    from hwgen.boards import bdmodel, block_design

    build_dir = Path(build_dir)
    hwh = build_dir / "vivado" / "model" / f"{name}.hwh"
    if not hwh.is_file():
        raise HwgenError(f"{hwh}: no modelled .hwh; run the block design step first "
                         f"(hwgen build ... --backend rtl --stop block_design)")
    if dma_length_width is None:
        return hwh
    ip_json = json.loads((build_dir / "ip" / "ip.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(build_dir / "vivado", work / "vivado", ignore=shutil.ignore_patterns("project", "output"))
        (work / "ip" / "repo").mkdir(parents=True)
        config = work / "vivado" / "config.tcl"
        text = config.read_text()
        line = next(x for x in text.splitlines() if x.startswith("set hwgen::cfg(dma_length_width)"))
        config.write_text(text.replace(line, f"set hwgen::cfg(dma_length_width) {int(dma_length_width)}"))
        model = bdmodel.run_stub(work / "vivado" / "build_overlay.tcl", work / "model.json",
                                 [work / "vivado" / "model" / "ip_catalog.tcl"], env=bdmodel.STUB_DEFAULTS)
        settings = block_design.settings(board, _format(build_dir), name)
        settings["dma_length_width"] = int(dma_length_width)
        out = Path(dest or work) / f"{name}.hwh"
        return bdmodel.write_hwh(model, settings, out, pl_pll_mhz=board.ps.pl_pll_mhz,
                                 register_table=ip_json.get("registers"))


def _format(build_dir: Path):
    from hwgen.runtime.protocol import StreamFormat

    return StreamFormat.from_json(json.loads((Path(build_dir) / "graph" / "stream.json").read_text()))


def write(build_dir, out=None, *, faults: dict | None = None, dma_length_width: int | None = None, notebook=None) -> Path:
    """Write the simulated deployment folder of `build_dir` (default build_dir/deploy-sim); returns it."""
    from hwgen.boards import deploy, get
    from hwgen.builder.core import open_build
    from hwgen.rtl import sim

    build_dir = Path(build_dir)
    build = open_build(build_dir)
    cfg = build.cfg
    if cfg.backend != "rtl":
        raise HwgenError(f"{build_dir}: a {cfg.backend} build; the simulated board runs the RTL backend's "
                         "Verilator model (build with --backend rtl)")
    rtl_dir = build_dir / "rtl"
    if not (rtl_dir / "hwgen_accel.v").is_file():
        raise HwgenError(f"{rtl_dir}: no generated design; run the RTL step first (hwgen build ... --backend rtl)")
    board, name, fmt = get(cfg.board), cfg.name, _format(build_dir)
    dest = Path(out) if out is not None else build_dir / "deploy-sim"
    if dest.exists():
        if not (dest / "metadata.json").is_file() and any(dest.iterdir()):
            raise HwgenError(f"{dest}: exists and is not a deployment folder; refusing to replace it")
        shutil.rmtree(dest)                        # never a folder that mixes two builds
    (dest / "sim").mkdir(parents=True)
    library = sim.build(rtl_dir, build_dir / "rtlsim")   # the library step_rtlsim built, when it did
    shutil.copyfile(library, dest / "sim" / library.name)
    shutil.copytree(rtl_dir, dest / "sim" / "rtl", ignore=shutil.ignore_patterns("*.json"))
    hwh = modelled_hwh(build_dir, name, board, dma_length_width, dest=dest / "sim")
    spec = {MAGIC: 1,
            "note": "not a bitstream: hwgen.pynqsim.SimulatedBoard programs this design; a board refuses it",
            "accelerator": {"kind": "verilator", "library": f"sim/{library.name}", "rtl_dir": "sim/rtl"},
            "faults": dict(faults or {})}
    bit = dest / "sim" / f"{name}.bit"
    bit.write_text(json.dumps(spec, indent=1))
    ip_json = json.loads((build_dir / "ip" / "ip.json").read_text())
    extra = {"simulated": {"board": "hwgen.pynqsim.SimulatedBoard", "faults": spec["faults"],
                           "dma_length_width": dma_length_width, "hwh": "modelled (hwgen.boards.bdmodel)"}}
    deploy.write_folder(build_dir, board, {"name": name, "backend": "rtl", "notebook": notebook}, fmt,
                        ip_json["registers"], {"ip": None, "vivado": None}, {}, overlay=(bit, hwh), dest=dest,
                        extra=extra)
    bit.unlink()
    if hwh.parent == dest / "sim":
        hwh.unlink()
    return dest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hwgen.pynqsim.folder", description=__doc__.split("\n\n")[0])
    parser.add_argument("build", type=Path, help="an RTL-backend build folder that ran the block design step")
    parser.add_argument("--out", type=Path, help="the folder to write (default BUILD/deploy-sim)")
    parser.add_argument("--notebook", type=Path, help="the notebook to ship (default notebooks/*.ipynb)")
    parser.add_argument("--no-tlast", action="store_true", help="a broken design: the result stream's TLAST is not connected")
    parser.add_argument("--dma-length-width", type=int, help="a broken design: the DMA's length register width")
    args = parser.parse_args(argv)
    try:
        folder = write(args.build, args.out, faults={"drop_output_tlast": True} if args.no_tlast else None,
                       dma_length_width=args.dma_length_width, notebook=args.notebook)
    except HwgenError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
