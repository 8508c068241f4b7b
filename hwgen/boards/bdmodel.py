"""The block design as data: run hwgen's Vivado Tcl under tclsh with the stub (tcl/vivado_stub.tcl),
check the resulting model, and write the `.hwh` a simulated board loads.

`run_stub` executes a script exactly as Vivado would source it, against stub commands that build an
in-memory model (cells, CONFIG, pins, nets, interface connections, address map, runs, packaged IP) and
fail on any command or option they do not know. `check_design` then asserts the properties a working
PYNQ overlay needs, independently of the stub's own validation. `write_hwh` turns the model into the
hardware-handoff XML PYNQ parses (modules, IP types, parameters, registers, address map, clocks).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import quoteattr

from hwgen.boards.block_design import DMA_MAX_LENGTH_WIDTH, length_bits
from hwgen.errors import HwgenError
from hwgen.runtime import protocol

STUB = Path(__file__).resolve().parent / "tcl" / "vivado_stub.tcl"
# The stub's behaviour switches, all at their defaults: the structural check of a build never inherits a
# test's or a user's HWGEN_STUB_* settings.
STUB_DEFAULTS = {name: "" for name in ("HWGEN_STUB_VERSION", "HWGEN_STUB_RUN", "HWGEN_STUB_WNS", "HWGEN_STUB_WHS",
                                        "HWGEN_STUB_BOARD_PARTS")}
STATUS_READS = [("run:synth_1", "STATUS"), ("run:synth_1", "PROGRESS"), ("run:impl_1", "STATUS"),
                ("run:impl_1", "PROGRESS"), ("run:impl_1", "STATS.WNS"), ("run:impl_1", "STATS.WHS")]


def tclsh() -> str | None:
    return shutil.which("tclsh") or shutil.which("tclsh8.6")


def run_stub(script: Path, model_path: Path, catalogs=(), env: dict | None = None, cwd: Path | None = None) -> dict:
    """Source `script` under tclsh with the Vivado stub; returns the model (with `returncode`, `stderr`)."""
    exe = tclsh()
    if exe is None:
        raise HwgenError("tclsh not found: the structural check of the Vivado scripts needs Tcl 8.6 "
                         "(Debian/Ubuntu: apt-get install tcl)")
    model_path = Path(model_path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.unlink(missing_ok=True)
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run([exe, str(STUB), str(model_path), str(script), *map(str, catalogs)],
                          capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120)
    if not model_path.is_file():
        raise HwgenError(f"the Vivado stub wrote no model for {script}: {done.stderr[-2000:]}")
    model = json.loads(model_path.read_text())
    model["returncode"], model["stdout"], model["stderr"] = done.returncode, done.stdout, done.stderr
    return model


# ------------------------------------------------------------------------------------------ checks
def _pins(model: dict):
    """(cell, pin, description) for every pin of every cell."""
    for cell, info in model["cells"].items():
        for pin, desc in info["pins"].items():
            yield cell, pin, desc


def _drivers(model: dict, net: str) -> list[str]:
    return [p for p in model["nets"].get(net, [])
            if model["cells"][p.split("/")[0]]["pins"][p.split("/")[1]]["dir"] == "O"]


def check_clocks(model: dict, settings: dict) -> list[str]:
    """Every clock input driven, all from one net, driven by the PS fabric clock pin only."""
    problems, nets = [], set()
    for cell, pin, desc in _pins(model):
        if desc["type"] == "clk" and desc["dir"] == "I":
            if not desc["net"]:
                problems.append(f"clock pin {cell}/{pin} is not driven")
            nets.add(desc["net"])
    nets.discard("")
    if len(nets) != 1:
        problems.append(f"clock inputs sit on {len(nets)} nets ({sorted(nets)}), expected one")
    source = f"{settings['ps_cell']}/{settings['ps_clock']}"
    for net in nets:
        if _drivers(model, net) != [source]:
            problems.append(f"clock net {net} is driven by {_drivers(model, net)}, expected {source}")
    cell, pin = source.split("/")
    frequency = model["cells"].get(cell, {}).get("pins", {}).get(pin, {}).get("freq_hz", "")
    for cell_name, pin_name, desc in _pins(model):
        if desc["type"] == "clk" and desc["net"] and desc.get("freq_hz") not in ("", frequency):
            problems.append(f"clock pin {cell_name}/{pin_name} states {desc['freq_hz']} Hz, its source {frequency} Hz")
    return problems


def check_resets(model: dict, settings: dict) -> list[str]:
    """Every reset input connected; the PS reset feeds proc_sys_reset, whose peripheral_aresetn feeds
    the DMA, the accelerator and both interconnects."""
    problems = []
    for cell, pin, desc in _pins(model):
        if desc["type"] == "rst" and desc["dir"] == "I" and desc["required"] and not desc["net"]:
            problems.append(f"reset pin {cell}/{pin} is not connected")
    cells = model["cells"]
    ext = cells.get("rst_ps", {}).get("pins", {}).get("ext_reset_in", {}).get("net", "")
    if not ext or _drivers(model, ext) != [f"{settings['ps_cell']}/{settings['ps_reset']}"]:
        problems.append(f"rst_ps/ext_reset_in is not driven by {settings['ps_cell']}/{settings['ps_reset']}")
    for pin in ("axi_dma_0/axi_resetn", f"{settings['accel_cell']}/ap_rst_n",
                "ctrl_interconnect/aresetn", "mem_interconnect/aresetn"):
        cell, name = pin.split("/")
        net = cells.get(cell, {}).get("pins", {}).get(name, {}).get("net", "")
        if not net or _drivers(model, net) != ["rst_ps/peripheral_aresetn"]:
            problems.append(f"{pin} is not driven by rst_ps/peripheral_aresetn")
    return problems


def _intf(model: dict, path: str) -> dict:
    cell, name = path.split("/")
    try:
        return model["cells"][cell]["intf"][name]
    except KeyError:
        return {}


def check_streams(model: dict, settings: dict) -> list[str]:
    """DMA MM2S -> accelerator s_axis -> ... -> m_axis -> DMA S2MM, with equal widths on each link."""
    problems = []
    accel = settings["accel_cell"]
    for src, dst, width in (("axi_dma_0/M_AXIS_MM2S", f"{accel}/s_axis", settings["in_width"]),
                            (f"{accel}/m_axis", "axi_dma_0/S_AXIS_S2MM", settings["out_width"])):
        a, b = _intf(model, src), _intf(model, dst)
        if a.get("peer") != dst:
            problems.append(f"{src} is connected to {a.get('peer') or 'nothing'}, expected {dst}")
        widths = (a.get("width"), b.get("width"))
        if widths != (str(width), str(width)):
            problems.append(f"stream {src} -> {dst} widths {widths[0]} / {widths[1]}, expected {width} bits")
    for cell, info in model["cells"].items():
        for name, desc in info["intf"].items():
            if not desc["peer"]:
                problems.append(f"interface {cell}/{name} is not connected")
    return problems


def check_dma(model: dict, settings: dict) -> list[str]:
    """Simple mode, and a length register wide enough for one frame of this model."""
    config = model["cells"].get("axi_dma_0", {}).get("config", {})
    problems = []
    if config.get("c_include_sg") != "0":
        problems.append(f"the DMA is in scatter-gather mode (c_include_sg {config.get('c_include_sg')})")
    need = length_bits(settings["frame_bytes"])
    width = int(config.get("c_sg_length_width", 0))
    if width < need:
        problems.append(f"DMA length register of {width} bits holds {2 ** width - 1} bytes; one frame is "
                        f"{settings['frame_bytes']} bytes ({need} bits)")
    if width > DMA_MAX_LENGTH_WIDTH:
        problems.append(f"DMA length register of {width} bits: axi_dma allows at most {DMA_MAX_LENGTH_WIDTH}")
    return problems


def check_addresses(model: dict, settings: dict) -> list[str]:
    """No excluded or overlapping segment; the register windows where the board file puts them; each DMA
    channel sees DDR from address 0."""
    problems = [f"segment {e['seg']} is excluded from {e['space']}" for e in model["excluded"]]
    by_space: dict[str, list] = {}
    for a in model["assigned"]:
        by_space.setdefault(a["space"], []).append(a)
        if a["offset"] % a["range"] or a["range"] < 4096:
            problems.append(f"{a['seg']} at {a['offset']:#x} (range {a['range']:#x}) is not an aligned >= 4 KiB window")
    for space, items in by_space.items():
        items = sorted(items, key=lambda a: a["offset"])
        for first, second in zip(items, items[1:], strict=False):
            if second["offset"] < first["offset"] + first["range"]:
                problems.append(f"{first['seg']} and {second['seg']} overlap in {space}")
    ps_space = f"{settings['ps_cell']}/Data"
    want = {"axi_dma_0/S_AXI_LITE/Reg": settings["dma_offset"],
            f"{settings['accel_cell']}/s_axi_ctrl/Reg": settings["accel_offset"]}
    for seg, offset in want.items():
        found = [a for a in by_space.get(ps_space, []) if a["seg"] == seg]
        if [a["offset"] for a in found] != [offset]:
            problems.append(f"{seg} is mapped at {[hex(a['offset']) for a in found]} in {ps_space}, expected {offset:#x}")
    for space in ("axi_dma_0/Data_MM2S", "axi_dma_0/Data_S2MM"):
        if not any("DDR" in a["seg"] and a["offset"] == 0 for a in by_space.get(space, [])):
            problems.append(f"{space} maps no DDR segment at address 0")
    return problems


def check_build(model: dict, settings: dict) -> list[str]:
    """The wrapper added from make_wrapper's return value, the wrapper as top, run status and slack read."""
    problems = []
    bd, project = model.get("bd") or {}, model.get("project") or {}
    wrapper = bd.get("wrapper")
    if not wrapper:
        problems.append("make_wrapper was not called")
    elif model["added_files"] != [wrapper]:
        problems.append(f"added {model['added_files']} to the project, not the path make_wrapper returned ({wrapper})")
    if project.get("top") != f"{settings['bd_name']}_wrapper":
        problems.append(f"the top module is {project.get('top')!r}, not {settings['bd_name']}_wrapper")
    reads = {tuple(r) for r in model["reads"]}
    problems += [f"the build never reads {prop} of {obj.split(':')[1]}" for obj, prop in STATUS_READS
                 if (obj, prop) not in reads]
    return problems


def check_ps(model: dict, settings: dict) -> list[str]:
    """The PS configured by the board file's settings (no board preset), at the board's fabric clock."""
    config = model["cells"].get(settings["ps_cell"], {}).get("config", {})
    problems = [f"PS setting {key} is {config.get(key)!r}, the board file says {value!r}"
                for key, value in settings["ps_config"].items() if config.get(key) != str(value)]
    return problems


CHECKS = (check_clocks, check_resets, check_streams, check_dma, check_addresses, check_build, check_ps)


def check_design(model: dict, settings: dict) -> list[str]:
    """Every structural problem of a stub-built overlay (empty when the design is right)."""
    if model.get("error"):
        return [f"the script failed: {model['error']}"]
    return [problem for check in CHECKS for problem in check(model, settings)]


# ---------------------------------------------------------------------------------------------- .hwh
DMA_REGISTERS = [  # PG021, direct register mode
    ("MM2S_DMACR", 0x00, "read-write", "MM2S DMA Control Register"),
    ("MM2S_DMASR", 0x04, "read-write", "MM2S DMA Status Register"),
    ("MM2S_SA", 0x18, "read-write", "MM2S Source Address, lower 32 bits"),
    ("MM2S_SA_MSB", 0x1C, "read-write", "MM2S Source Address, upper 32 bits"),
    ("MM2S_LENGTH", 0x28, "read-write", "MM2S Transfer Length (bytes)"),
    ("S2MM_DMACR", 0x30, "read-write", "S2MM DMA Control Register"),
    ("S2MM_DMASR", 0x34, "read-write", "S2MM DMA Status Register"),
    ("S2MM_DA", 0x48, "read-write", "S2MM Destination Address, lower 32 bits"),
    ("S2MM_DA_MSB", 0x4C, "read-write", "S2MM Destination Address, upper 32 bits"),
    ("S2MM_LENGTH", 0x58, "read-write", "S2MM Buffer Length (bytes)"),
]
ACCESS = {"rw": "read-write", "r": "read-only", "rw1c": "read-write"}
SIGNALS = {
    "axis": [("TDATA", None), ("TVALID", 1), ("TREADY", 1), ("TLAST", 1)],
    "aximm": [("AWADDR", "addr"), ("AWVALID", 1), ("AWREADY", 1), ("WDATA", None), ("WSTRB", "strb"),
              ("WVALID", 1), ("WREADY", 1), ("BRESP", 2), ("BVALID", 1), ("BREADY", 1), ("ARADDR", "addr"),
              ("ARVALID", 1), ("ARREADY", 1), ("RDATA", None), ("RRESP", 2), ("RVALID", 1), ("RREADY", 1)],
}
DRIVEN_BY_SLAVE = {"AWREADY", "WREADY", "BRESP", "BVALID", "ARREADY", "RDATA", "RRESP", "RVALID", "TREADY"}


def accel_registers(register_table: dict | None) -> list[tuple[str, int, str, str, list]]:
    """(name, offset, access, description, fields) of the accelerator for a backend's register table."""
    offsets = protocol.register_offsets(register_table)
    rows = []
    for name, offset in sorted(offsets.items(), key=lambda item: item[1]):
        _, access, description = protocol.REGISTERS[name]
        if register_table and register_table.get("backend") == "hls":
            access = "rw" if name == "CTRL" else "r"  # HLS outputs are read-only registers
        fields = protocol.REGISTER_FIELDS.get(name, [(name, 0, 32)])
        rows.append((name, offset, ACCESS[access], description, fields))
    return rows


def _clock_divisors(pll_mhz: float, target_mhz: float) -> tuple[int, int, float]:
    """Two 6-bit divisors of the fabric-clock PLL closest to the target frequency."""
    best = min(((abs(pll_mhz / (a * b) - target_mhz), a, b) for a in range(1, 64) for b in range(1, 64)))
    return best[1], best[2], pll_mhz / (best[1] * best[2])


def _attrs(**items) -> str:
    return " ".join(f"{k}={quoteattr(str(v))}" for k, v in items.items())


def write_hwh(model: dict, settings: dict, path: Path, *, pl_pll_mhz: float, register_table: dict | None = None) -> Path:
    """Write the model as a Vivado hardware-handoff file PYNQ's metadata parser reads."""
    if model.get("error"):
        raise HwgenError(f"no .hwh from a failed design: {model['error']}")
    cells = model["cells"]
    ps_cell, accel = settings["ps_cell"], settings["accel_cell"]
    clock_hz = int(round(settings["clock_mhz"] * 1e6))
    ps_params = dict(cells[ps_cell]["config"])
    div0, div1, actual = _clock_divisors(pl_pll_mhz, settings["clock_mhz"])
    # Vivado writes every PS parameter; PYNQ reads the four fabric clocks' enable, divisors and source.
    if cells[ps_cell]["ip"] == "processing_system7":
        for i in range(4):
            ps_params.setdefault(f"PCW_FPGA_FCLK{i}_ENABLE", "1" if i == 0 else "0")
            ps_params.setdefault(f"PCW_FCLK{i}_PERIPHERAL_CLKSRC", "IO PLL")
            ps_params.setdefault(f"PCW_FCLK{i}_PERIPHERAL_DIVISOR0", div0 if i == 0 else 1)
            ps_params.setdefault(f"PCW_FCLK{i}_PERIPHERAL_DIVISOR1", div1 if i == 0 else 1)
        ps_params.update({"PCW_ACT_FPGA0_PERIPHERAL_FREQMHZ": f"{actual:.6f}", "PCW_FCLK_CLK0_BUF": "TRUE"})
        arch = "zynq"
    else:
        for i in range(4):
            ps_params.setdefault(f"PSU__FPGA_PL{i}_ENABLE", "1" if i == 0 else "0")
            ps_params.setdefault(f"PSU__CRL_APB__PL{i}_REF_CTRL__SRCSEL", "IOPLL")
            ps_params.setdefault(f"PSU__CRL_APB__PL{i}_REF_CTRL__DIVISOR0", div0 if i == 0 else 1)
            ps_params.setdefault(f"PSU__CRL_APB__PL{i}_REF_CTRL__DIVISOR1", div1 if i == 0 else 1)
        ps_params["PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ"] = f"{actual:.6f}"
        arch = "zynquplus"
    regs = {"axi_dma_0": ("S_AXI_LITE", [(n, o, a, d, [(n, 0, 32)]) for n, o, a, d in DMA_REGISTERS]),
            accel: ("s_axi_ctrl", accel_registers(register_table))}
    masters = _memory_maps(model)
    part = settings["part"]
    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="no" ?>',
             f'<EDKSYSTEM {_attrs(EDWVERSION="1.2", TIMESTAMP="hwgen model", VIVADOVERSION=model["vivado_version"])}>',
             f'  <SYSTEMINFO {_attrs(ARCH=arch, DEVICE=part.split("-")[0][2:], NAME=settings["bd_name"], PACKAGE="", SPEEDGRADE="-" + part.split("-")[-1][:1])}/>',
             "  <EXTERNALPORTS/>", "  <EXTERNALINTERFACES/>", "  <MODULES>"]
    for cell, info in cells.items():
        ip, vlnv = info["ip"], info["vlnv"]
        is_ps = cell == ps_cell
        head = dict(FULLNAME=f"/{cell}", HWVERSION=vlnv.split(":")[3], INSTANCE=cell, IPTYPE="PERIPHERAL",
                    IS_ENABLE="1", MODTYPE=ip, VLNV=vlnv)
        head.update({"IS_PL": "FALSE"} if is_ps else {"MODCLASS": "BUS" if info["interconnect"] else "PERIPHERAL"})
        lines.append(f"    <MODULE {_attrs(**head)}>")
        lines.append("      <DOCUMENTS/>")
        params = ps_params if is_ps else dict(info["config"])
        if cell in regs:
            intf, rows = regs[cell]
            lines += _address_block(intf, rows, _window(model, cell, intf))
            base = _window(model, cell, intf)
            if base:
                params.update({"C_BASEADDR": f"{base[0]:#010x}", "C_HIGHADDR": f"{base[0] + base[1] - 1:#010x}"})
        lines.append("      <PARAMETERS>")
        lines += [f"        <PARAMETER {_attrs(NAME=k, VALUE=v)}/>" for k, v in params.items()]
        lines.append("      </PARAMETERS>")
        lines += _ports(model, cell, clock_hz)
        lines += _bus_interfaces(model, cell, clock_hz)
        if masters.get(cell):
            lines.append("      <MEMORYMAP>")
            lines += [f"        <MEMRANGE {_attrs(**m)}/>" for m in masters[cell]]
            lines.append("      </MEMORYMAP>")
        lines.append("    </MODULE>")
    lines += ["  </MODULES>", "</EDKSYSTEM>", ""]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def _window(model: dict, cell: str, intf: str) -> tuple[int, int] | None:
    for a in model["assigned"]:
        if a["seg"].startswith(f"{cell}/{intf}/") and a["space"].endswith("/Data"):
            return a["offset"], a["range"]
    return None


def _address_block(intf: str, rows, window) -> list[str]:
    span = window[1] if window else 0x1000
    out = ["      <ADDRESSBLOCKS>",
           f"        <ADDRESSBLOCK {_attrs(ACCESS='read-write', INTERFACE=intf, NAME='Reg', RANGE=span, USAGE='register')}>",
           "          <REGISTERS>"]
    for name, offset, access, description, fields in rows:
        out.append(f"            <REGISTER {_attrs(NAME=name)}>")
        for key, value in (("DESCRIPTION", description), ("ADDRESS_OFFSET", f"{offset:#x}"), ("SIZE", 32),
                           ("ACCESS", access), ("IS_ENABLED", "true"), ("RESET_VALUE", "0x0")):
            out.append(f"              <PROPERTY {_attrs(NAME=key, VALUE=value)}/>")
        out.append("              <FIELDS>")
        for field, bit, width in fields:
            out.append(f"                <FIELD {_attrs(NAME=field)}>")
            for key, value in (("DESCRIPTION", field), ("ADDRESS_OFFSET", bit), ("ACCESS", access),
                               ("BIT_OFFSET", bit), ("BIT_WIDTH", width)):
                out.append(f"                  <PROPERTY {_attrs(NAME=key, VALUE=value)}/>")
            out.append("                </FIELD>")
        out += ["              </FIELDS>", "            </REGISTER>"]
    return out + ["          </REGISTERS>", "        </ADDRESSBLOCK>", "      </ADDRESSBLOCKS>"]


def _width(model: dict, cell: str, intf: str) -> int:
    """An interface's data width; an interconnect port ('any') takes its peer's."""
    desc = model["cells"][cell]["intf"][intf]
    if desc["width"] not in ("", "any"):
        return int(desc["width"])
    peer = desc["peer"]
    if peer and "/" in peer:
        pcell, pintf = peer.split("/")
        pdesc = model["cells"][pcell]["intf"][pintf]
        if pdesc["width"] not in ("", "any"):
            return int(pdesc["width"])
    return 32


def _signals(model: dict, cell: str, intf: str) -> list[tuple[str, str, int]]:
    """(logical, physical, width) of an AXI interface's signals in the model .hwh."""
    desc = model["cells"][cell]["intf"][intf]
    if desc["kind"] not in SIGNALS:
        return []
    data = _width(model, cell, intf)
    sizes = {None: data, "addr": 12 if intf == "s_axi_ctrl" else 32, "strb": max(1, data // 8)}
    return [(sig, f"{intf}_{sig}".lower(), sizes.get(w, w) if not isinstance(w, int) else w)
            for sig, w in SIGNALS[desc["kind"]]]


def _ports(model: dict, cell: str, clock_hz: int) -> list[str]:
    out = ["      <PORTS>"]
    for pin, desc in model["cells"][cell]["pins"].items():
        sigis = {"clk": "clk", "rst": "rst", "intr": "INTERRUPT"}.get(desc["type"], "undef")
        attrs = dict(DIR=desc["dir"], NAME=pin, SIGIS=sigis)
        if desc["type"] == "clk":
            attrs = {"CLKFREQUENCY": clock_hz, **attrs}
        net = desc["net"]
        if not net:
            out.append(f"        <PORT {_attrs(**attrs)}/>")
            continue
        out.append(f"        <PORT {_attrs(**attrs, SIGNAME=net)}>")
        out.append("          <CONNECTIONS>")
        # As Vivado writes it: a driver lists its loads, a load lists its driver.
        others = [p for p in model["nets"][net] if p != f"{cell}/{pin}"]
        if desc["dir"] == "I":
            others = _drivers(model, net)
        for other in others:
            if other != f"{cell}/{pin}":
                ocell, opin = other.split("/")
                out.append(f"            <CONNECTION {_attrs(INSTANCE=ocell, PORT=opin)}/>")
        out += ["          </CONNECTIONS>", "        </PORT>"]
    for intf, desc in model["cells"][cell]["intf"].items():
        peer = desc["peer"]
        if "/" not in peer:
            continue
        pcell, pintf = peer.split("/")
        master = desc["mode"] == "Master"
        for (sig, phys, width), (_, pphys, _) in zip(_signals(model, cell, intf), _signals(model, pcell, pintf), strict=True):
            out_dir = (sig in DRIVEN_BY_SLAVE) != master
            span = {"LEFT": width - 1, "RIGHT": 0} if width > 1 else {}
            net = f"{cell}_{intf}_{sig}".lower() if master else f"{pcell}_{pintf}_{sig}".lower()
            out.append(f"        <PORT {_attrs(DIR='O' if out_dir else 'I', **span, NAME=phys, SIGIS='undef', SIGNAME=net)}>")
            out += ["          <CONNECTIONS>", f"            <CONNECTION {_attrs(INSTANCE=pcell, PORT=pphys)}/>",
                    "          </CONNECTIONS>", "        </PORT>"]
    return out + ["      </PORTS>"]


def _bus_interfaces(model: dict, cell: str, clock_hz: int) -> list[str]:
    out = ["      <BUSINTERFACES>"]
    for intf, desc in model["cells"][cell]["intf"].items():
        kind = desc["kind"]
        master = desc["mode"] == "Master"
        if kind == "axis":
            vlnv, type_ = "xilinx.com:interface:axis:1.0", "INITIATOR" if master else "TARGET"
        elif kind == "aximm":
            vlnv, type_ = "xilinx.com:interface:aximm:1.0", "MASTER" if master else "SLAVE"
        else:
            continue
        peer = desc["peer"]
        busname = (f"{cell}_{intf}" if master else f"{peer.replace('/', '_')}") if peer else "__NOC__"
        attrs = dict(BUSNAME=busname, NAME=intf, TYPE=type_, VLNV=vlnv)
        if kind == "aximm":
            attrs = {"BUSNAME": busname, "DATAWIDTH": _width(model, cell, intf), "NAME": intf, "TYPE": type_, "VLNV": vlnv}
        out.append(f"        <BUSINTERFACE {_attrs(**attrs)}>")
        params = {"FREQ_HZ": clock_hz}
        if kind == "axis":
            params.update(TDATA_NUM_BYTES=_width(model, cell, intf) // 8, HAS_TLAST=1, HAS_TKEEP=0, HAS_TREADY=1)
        else:
            protocol_name = desc["protocol"] if desc["protocol"] not in ("", "any") else "AXI4"
            params.update(PROTOCOL=protocol_name, DATA_WIDTH=_width(model, cell, intf))
        out += [f"          <PARAMETER {_attrs(NAME=k, VALUE=v)}/>" for k, v in params.items()]
        out.append("          <PORTMAPS>")
        out += [f"            <PORTMAP {_attrs(LOGICAL=sig, PHYSICAL=phys)}/>" for sig, phys, _ in _signals(model, cell, intf)]
        out += ["          </PORTMAPS>", "        </BUSINTERFACE>"]
    return out + ["      </BUSINTERFACES>"]


def _memory_maps(model: dict) -> dict[str, list[dict]]:
    """MEMRANGE entries per master cell: one per assigned segment."""
    maps: dict[str, list[dict]] = {}
    for a in model["assigned"]:
        master_cell, space = a["space"].split("/")
        slave_cell = a["seg"].split("/")[0]
        slave_intf = _segment_interface(model, a["seg"])
        master_intfs = _space_interfaces(model, master_cell, space, slave_cell)
        usage = model["cells"][slave_cell]["segs"]["/".join(a["seg"].split("/")[1:])]["usage"]
        for master_intf in master_intfs:
            maps.setdefault(master_cell, []).append(dict(
                ADDRESSBLOCK=a["seg"].split("/")[-1], BASENAME="C_BASEADDR", BASEVALUE=f"{a['offset']:#010x}",
                HIGHNAME="C_HIGHADDR", HIGHVALUE=f"{a['offset'] + a['range'] - 1:#010x}", INSTANCE=slave_cell,
                IS_DATA="TRUE", IS_INSTRUCTION="TRUE", MASTERBUSINTERFACE=master_intf,
                MEMTYPE="REGISTER" if usage == "register" else "MEMORY", SLAVEBUSINTERFACE=slave_intf))
    return maps


def _segment_interface(model: dict, seg: str) -> str:
    cell, *rest = seg.split("/")
    return model["cells"][cell]["segs"]["/".join(rest)]["intf"]


def _space_interfaces(model: dict, cell: str, space: str, slave_cell: str) -> list[str]:
    desc = model["cells"][cell]["spaces"][space]
    if desc["intf"]:
        return [desc["intf"]]
    return [w["intf"] for w in desc["windows"]] or [space]
