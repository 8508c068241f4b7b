"""The board steps of a build: from a converted model (graph/ + hls/ or rtl/) to a PYNQ overlay.

Each `step_<name>(build_dir, cfg) -> dict` writes its artifacts into the build folder and returns a
JSON-able record; `hwgen build` runs them after the backend's steps (its registry names the
`builder_*` forms below). `cfg` keys: "board", "backend" ("hls" | "rtl"), "name" (overlay base name, default "hwgen"),
"data_width" (default 64); optional "resume_command" (the command a user runs to finish a build that
stopped for a missing tool) and "notebook".

    step_ip_sources    HLS: wrapper + its g++ C-sim vs the golden logits + Vitis HLS scripts;
                       RTL: IP-packager script, checked under the Vivado stub
    step_block_design  Vivado block-design/build scripts, run under the stub and checked; modelled .hwh
    step_ip            Vitis HLS (HLS) or Vivado's IP packager (RTL)          -- vendor tool
    step_bitstream     Vivado: synthesis, implementation, bitstream, checks   -- vendor tool
    step_package       deploy/: overlay, runtime, metadata, test vectors, README

Without a vendor tool, `step_ip`/`step_bitstream` raise `ToolsMissing` (exit status 2 from the CLI)
listing what was generated and the command that finishes the build; nothing is deleted.
"""

from __future__ import annotations

import json
import shlex
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from hwgen.boards import block_design, get, hls_ip, rtl_ip
from hwgen.boards.bdmodel import STUB_DEFAULTS, check_design, run_stub, tclsh, write_hwh
from hwgen.boards.reports import read_reports
from hwgen.boards.tools import ToolsMissing, check_version, find, find_hls, run
from hwgen.errors import HwgenError
from hwgen.runtime.protocol import StreamFormat

BACKENDS = ("hls", "rtl")
REPO = Path("ip") / "repo" / rtl_ip.REPO_NAME


def config(cfg: dict) -> dict:
    """cfg with defaults, checked: one-line errors for a bad board, backend or name."""
    cfg = {"name": "hwgen", "data_width": 64, **cfg}
    if cfg.get("backend", "hls") not in BACKENDS:
        raise HwgenError(f"backend {cfg.get('backend')!r} is not one of {', '.join(BACKENDS)}")
    cfg.setdefault("backend", "hls")
    if not str(cfg["name"]).isidentifier():
        raise HwgenError(f"overlay name {cfg['name']!r}: use letters, digits and underscores (it names files and cells)")
    get(cfg.get("board", ""))  # unknown board: lists the known ones
    return cfg


def stream_format(build_dir: Path, cfg: dict) -> StreamFormat:
    path = Path(build_dir) / "graph" / "stream.json"
    if not path.is_file():
        raise HwgenError(f"{path}: missing; the board steps start from a converted model (run the export steps first)")
    fmt = StreamFormat.from_json(json.loads(path.read_text()))
    if fmt.data_width != int(cfg["data_width"]):
        raise HwgenError(f"{path}: data_width {fmt.data_width}, the build config says {cfg['data_width']}")
    return fmt


def _files(build_dir: Path, *folders: str) -> list[str]:
    build_dir = Path(build_dir)
    found = []
    for folder in folders:
        root = build_dir / folder
        if root.is_dir():
            found += [str(p.relative_to(build_dir)) for p in sorted(root.rglob("*"))
                      if p.is_file() and "csim" not in p.relative_to(root).parts[:-1]]
    return found


def resume_command(build_dir: Path, cfg: dict, step: str) -> str:
    """The command that finishes the build from `step` on a machine with the vendor tools."""
    if cfg.get("resume_command"):
        return cfg["resume_command"].format(build=build_dir, step=step, **cfg)
    return shlex.join(["hwgen", "build", str(cfg.get("source") or "MODEL"), "--out", str(build_dir), "--board",
                       cfg["board"], "--backend", cfg["backend"], "--start", step.removeprefix("step_")])


def missing(build_dir: Path, cfg: dict, step: str, what: str) -> ToolsMissing:
    generated = _files(build_dir, "ip", "vivado")
    listing = "\n".join(f"  {f}" for f in generated)
    return ToolsMissing(
        f"{what} not found (PATH, $XILINX_VIVADO, $XILINX_HLS, $XILINX_VITIS): the build stops before {step}.\n"
        f"Generated in {build_dir} ({len(generated)} files, nothing deleted):\n{listing}\n"
        f"On a machine with Vivado{' and Vitis HLS' if cfg['backend'] == 'hls' else ''} 2023.1 or newer, finish with:\n"
        f"  {resume_command(build_dir, cfg, step)}")


# -------------------------------------------------------------------------------------------- steps
def step_ip_sources(build_dir: Path, cfg: dict) -> dict:
    """The accelerator IP's sources: the HLS wrapper (C-simulated against the golden model) and the
    Vitis HLS scripts, or the RTL packaging script (checked under the Vivado stub)."""
    cfg = config(cfg)
    build_dir = Path(build_dir)
    board, fmt = get(cfg["board"]), stream_format(build_dir, cfg)
    record = {"backend": cfg["backend"], "vlnv": hls_ip.VLNV}
    if cfg["backend"] == "hls":
        files = hls_ip.write_sources(build_dir, fmt, board.part, board.clock_period_ns)
        csim = hls_ip.verify(build_dir)
        record["csim"] = {k: csim[k] for k in ("frames", "mismatched_frames", "tlast_ok", "frames_counted")}
        registers = hls_ip.register_table(None)
    else:
        files = [rtl_ip.package_script(build_dir, board.part, board.clock_mhz, fmt.data_width)]
        if tclsh():
            with tempfile.TemporaryDirectory() as tmp:  # the stub writes a fake repo: never into the build
                work = Path(tmp)
                shutil.copytree(build_dir / "rtl", work / "rtl")
                (work / "ip" / "rtl").mkdir(parents=True)
                shutil.copyfile(files[0], work / "ip" / "rtl" / "package_ip.tcl")
                model = rtl_ip.stub_package(work, env=STUB_DEFAULTS)
            problems = rtl_ip.check_packaging(model, fmt, rtl_ip.sources(build_dir)[1])
            if problems:
                raise HwgenError("the RTL packaging script is wrong: " + "; ".join(problems))
            record["stub_checked"] = True
        else:
            record["stub_checked"] = "skipped: tclsh not installed"
        registers = {"backend": "rtl", "offsets": None, "source": "hwgen.runtime.protocol.REGISTERS"}
    ip_json = {"vlnv": hls_ip.VLNV, "backend": cfg["backend"], "board": board.name,
               "interfaces": block_design.accel_interfaces(fmt), "registers": registers}
    (build_dir / "ip" / "ip.json").write_text(json.dumps(ip_json, indent=1))
    record["files"] = [str(p.relative_to(build_dir)) for p in files] + ["ip/ip.json"]
    return record


def step_block_design(build_dir: Path, cfg: dict) -> dict:
    """Vivado scripts for the block design and the build; the design they describe, run under the
    Vivado stub, checked and written as a modelled .hwh (vivado/model/<name>.hwh)."""
    cfg = config(cfg)
    build_dir = Path(build_dir)
    board, fmt = get(cfg["board"]), stream_format(build_dir, cfg)
    files, settings = block_design.write_scripts(build_dir, board, fmt, cfg["name"])
    record = {"files": [str(p.relative_to(build_dir)) for p in files],
              "dma_length_width": settings["dma_length_width"], "frame_bytes": settings["frame_bytes"],
              "ps": board.ps.type, "addresses": {"dma": hex(board.address.dma), "accel": hex(board.address.accel)}}
    if not tclsh():
        record["stub_checked"] = "skipped: tclsh not installed"
        return record
    model_dir = build_dir / "vivado" / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    catalog = model_dir / "ip_catalog.tcl"
    catalog.write_text(block_design.accel_catalog_tcl(fmt, board.clock_mhz))
    with tempfile.TemporaryDirectory() as tmp:  # the stub writes a fake project and .bit: never into the build
        work = Path(tmp)
        shutil.copytree(build_dir / "vivado", work / "vivado", ignore=shutil.ignore_patterns("project", "output", "model"))
        (work / "ip" / "repo").mkdir(parents=True)
        model = run_stub(work / "vivado" / "build_overlay.tcl", model_dir / "model.json", [catalog], env=STUB_DEFAULTS)
    problems = check_design(model, settings)
    if problems:
        raise HwgenError("the block design is wrong: " + "; ".join(problems))
    ip_json = json.loads((build_dir / "ip" / "ip.json").read_text()) if (build_dir / "ip" / "ip.json").is_file() else {}
    hwh = write_hwh(model, settings, model_dir / f"{cfg['name']}.hwh", pl_pll_mhz=board.ps.pl_pll_mhz,
                    register_table=ip_json.get("registers"))
    record.update(stub_checked=True, model=str((model_dir / "model.json").relative_to(build_dir)),
                  modelled_hwh=str(hwh.relative_to(build_dir)),
                  cells={c: v["vlnv"] for c, v in model["cells"].items()})
    return record


def step_ip(build_dir: Path, cfg: dict) -> dict:
    """Synthesise and export the HLS IP (Vitis HLS), or package the RTL IP (Vivado), into ip/repo/."""
    cfg = config(cfg)
    build_dir = Path(build_dir)
    board = get(cfg["board"])
    if cfg["backend"] == "hls":
        tool = find_hls()
        if tool is None:
            raise missing(build_dir, cfg, "step_ip", "Vitis HLS (v++, vitis-run or vitis_hls)")
        warning = check_version(tool, block_design.TESTED_HLS)
        work = hls_ip.hls_dir(build_dir)
        if tool.name == "v++":
            run(tool, ["-c", "--mode", "hls", "--config", "hls_config.cfg", "--work_dir", "hls_work"], work / "vpp.log", cwd=work)
            vitis_run = find("vitis-run")
            if vitis_run is None:
                raise missing(build_dir, cfg, "step_ip", "vitis-run (packages the HLS component)")
            run(vitis_run, ["--mode", "hls", "--package", "--config", "hls_config.cfg", "--work_dir", "hls_work"],
                work / "package.log", cwd=work)
        elif tool.name == "vitis-run":
            run(tool, ["--mode", "hls", "--tcl", "build_hls.tcl"], work / "vitis_hls.log", cwd=work)
        else:
            run(tool, ["-f", "build_hls.tcl"], work / "vitis_hls.log", cwd=work)
        _install_hls_ip(build_dir)
        registers = hls_ip.register_table(build_dir / REPO)
    else:
        tool = find("vivado")
        if tool is None:
            raise missing(build_dir, cfg, "step_ip", "Vivado")
        warning = check_version(tool, block_design.TESTED_VIVADO)
        shutil.rmtree(build_dir / REPO, ignore_errors=True)
        run(tool, ["-mode", "batch", "-nojournal", "-log", str(build_dir / "ip" / "rtl" / "package.log"),
                   "-source", str(build_dir / "ip" / "rtl" / "package_ip.tcl")], build_dir / "ip" / "rtl" / "vivado.out")
        registers = {"backend": "rtl", "offsets": None, "source": "hwgen.runtime.protocol.REGISTERS"}
    if not (build_dir / REPO / "component.xml").is_file():
        raise HwgenError(f"{build_dir / REPO}: no component.xml after {tool.name}; see the logs in {build_dir / 'ip'}")
    ip_json_path = build_dir / "ip" / "ip.json"
    ip_json = json.loads(ip_json_path.read_text())
    ip_json["registers"] = registers
    ip_json["tool"] = tool.to_json()
    ip_json_path.write_text(json.dumps(ip_json, indent=1))
    return {"tool": tool.to_json(), "warning": warning, "repo": str(REPO), "registers": registers, "board": board.name}


def _install_hls_ip(build_dir: Path) -> None:
    """Copy the exported IP (a folder with component.xml, or the zip) to ip/repo/hwgen_accel_1_0/."""
    work = hls_ip.hls_dir(build_dir)
    target = build_dir / REPO
    shutil.rmtree(target, ignore_errors=True)
    found = sorted(p for p in work.rglob("component.xml") if "impl" in p.parts and "ip" in p.parts)
    if found:
        shutil.copytree(found[-1].parent, target)
        return
    zips = sorted(work.rglob("*.zip"), key=lambda p: p.stat().st_mtime)
    if not zips:
        raise HwgenError(f"{work}: Vitis HLS exported no IP (no impl/ip/component.xml and no .zip); see its logs")
    with zipfile.ZipFile(zips[-1]) as archive:
        archive.extractall(target)


def step_bitstream(build_dir: Path, cfg: dict) -> dict:
    """Run Vivado on vivado/build_overlay.tcl: block design, synthesis, implementation, bitstream; the run
    status and timing are checked (the build fails with the reason), reports parsed into the record."""
    cfg = config(cfg)
    build_dir = Path(build_dir)
    tool = find("vivado")
    if tool is None:
        raise missing(build_dir, cfg, "step_bitstream" if (build_dir / REPO / "component.xml").is_file() else "step_ip",
                      "Vivado")
    if not (build_dir / REPO / "component.xml").is_file():
        raise HwgenError(f"{build_dir / REPO}: no accelerator IP; run step_ip first")
    warning = check_version(tool, block_design.TESTED_VIVADO)
    script = build_dir / "vivado" / "build_overlay.tcl"
    if not script.is_file():
        raise HwgenError(f"{script}: missing; run step_block_design first")
    output = build_dir / "vivado" / "output"
    for stale in (output / f"{cfg['name']}.bit", output / f"{cfg['name']}.hwh"):
        stale.unlink(missing_ok=True)  # a failed run must not leave an older overlay looking current
    started = time.monotonic()
    run(tool, ["-mode", "batch", "-nojournal", "-log", str(build_dir / "vivado" / "vivado.log"), "-source", str(script)],
        build_dir / "vivado" / "vivado.out")
    for path in (output / f"{cfg['name']}.bit", output / f"{cfg['name']}.hwh"):
        if not path.is_file():
            raise HwgenError(f"{path}: Vivado finished without it; see {build_dir / 'vivado' / 'vivado.log'}")
    reports = read_reports(build_dir / "vivado" / "reports")
    if not reports["timing"]["met"]:
        raise HwgenError(f"timing not met: WNS {reports['timing']['wns_ns']} ns, WHS {reports['timing']['whs_ns']} ns")
    return {"tool": tool.to_json(), "warning": warning, "vivado_seconds": round(time.monotonic() - started, 1),
            "bit": f"vivado/output/{cfg['name']}.bit", "hwh": f"vivado/output/{cfg['name']}.hwh", **reports}


def step_package(build_dir: Path, cfg: dict) -> dict:
    """The deployment folder deploy/ (see hwgen.boards.deploy)."""
    from hwgen.boards import deploy

    cfg = config(cfg)
    build_dir = Path(build_dir)
    board, fmt = get(cfg["board"]), stream_format(build_dir, cfg)
    ip_json = json.loads((build_dir / "ip" / "ip.json").read_text())
    # From the build folder itself, not from step records: the IP tool in ip/ip.json, Vivado's version in
    # the result file its run writes, resources and timing from its reports.
    result = build_dir / "vivado" / "output" / "result.txt"
    vivado = dict(line.split(" ", 1) for line in result.read_text().splitlines() if " " in line) if result.is_file() else {}
    tools = {"ip": ip_json.get("tool"), "vivado": vivado.get("vivado_version")}
    report_dir = build_dir / "vivado" / "reports"
    implementation = read_reports(report_dir) if report_dir.is_dir() else {}
    meta = deploy.write_folder(build_dir, board, cfg, fmt, ip_json["registers"], tools, implementation)
    return {"folder": "deploy", "files": sorted(str(p.relative_to(build_dir)) for p in (build_dir / "deploy").rglob("*")
                                                if p.is_file()), "graph_id": meta["graph_id"]}


STEPS = [step_ip_sources, step_block_design, step_ip, step_bitstream, step_package]


def _for_builder(step):
    """The step with hwgen.builder's signature (build, cfg: BuildConfig), as its registry runs it."""
    def run(build, cfg) -> dict:
        source = cfg.source or (str(build.run_dir) if build.run_dir else None)
        return step(build.out, {"board": cfg.board, "backend": cfg.backend, "name": cfg.name,
                                "data_width": cfg.data_width, "source": source})
    run.__name__, run.__doc__ = step.__name__, step.__doc__
    return run


# hwgen.builder.core.REGISTRY names these: "step_ip_sources": "hwgen.boards.steps:builder_ip_sources", ...
builder_ip_sources, builder_block_design, builder_ip, builder_bitstream, builder_package = map(_for_builder, STEPS)
