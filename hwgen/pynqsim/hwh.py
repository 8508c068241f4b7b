"""What the simulated board needs from a .hwh beyond pynq's ip_dict: stream links and DMA data segments."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StreamEnd:
    cell: str
    port: str
    initiator: bool
    width_bytes: int


def streams(hwh: Path) -> dict[tuple[str, str], StreamEnd]:
    """(cell, port) of every AXI-Stream interface -> the interface at the other end of its bus."""
    ends: dict[str, list[StreamEnd]] = {}
    for module in ET.parse(hwh).getroot().iter("MODULE"):
        cell = module.get("INSTANCE")
        for bus in module.iter("BUSINTERFACE"):
            if not (bus.get("VLNV") or "").startswith("xilinx.com:interface:axis:"):
                continue
            params = {p.get("NAME"): p.get("VALUE") for p in bus.iter("PARAMETER")}
            end = StreamEnd(cell, bus.get("NAME"), bus.get("TYPE") in ("INITIATOR", "MASTER"),
                            int(params.get("TDATA_NUM_BYTES", 0) or 0))
            ends.setdefault(bus.get("BUSNAME"), []).append(end)
    links = {}
    for pair in ends.values():
        if len(pair) == 2 and pair[0].initiator != pair[1].initiator:
            links[(pair[0].cell, pair[0].port)] = pair[1]
            links[(pair[1].cell, pair[1].port)] = pair[0]
    return links


def data_segments(hwh: Path, cell: str) -> list[tuple[int, int]]:
    """(low, high) of the memory segments `cell`'s master interfaces address (a DMA's view of DDR)."""
    for module in ET.parse(hwh).getroot().iter("MODULE"):
        if module.get("INSTANCE") == cell:
            return sorted({(int(m.get("BASEVALUE"), 16), int(m.get("HIGHVALUE"), 16))
                           for m in module.iter("MEMRANGE") if m.get("MEMTYPE") == "MEMORY"})
    return []
