"""Vivado's utilisation and timing reports, parsed into the build record.

`report_utilization` prints tables of `| Site Type | Used | Fixed | [Prohibited |] Available | Util% |`;
7-series parts call the logic "Slice LUTs"/"Slice Registers", UltraScale+ "CLB LUTs"/"CLB Registers".
`report_timing_summary` prints a "Design Timing Summary" table whose first columns are WNS and TNS and
whose fifth is WHS.
"""

from __future__ import annotations

import re
from pathlib import Path

from hwgen.errors import HwgenError

SITES = {"lut": ("Slice LUTs", "CLB LUTs"), "ff": ("Slice Registers", "CLB Registers"),
         "bram36": ("Block RAM Tile",), "uram": ("URAM",), "dsp": ("DSPs",)}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def utilisation(text: str) -> dict:
    """{resource: {"used", "available", "percent"}} from a report_utilization text."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5:
            continue
        name = cells[0].rstrip("*").strip()
        numbers = [c for c in cells[1:] if _NUMBER.match(c)]
        for key, names in SITES.items():
            if name in names and key not in rows and len(numbers) >= 3:
                rows[key] = {"used": float(numbers[0]), "available": float(numbers[-2]), "percent": float(numbers[-1])}
    if "lut" not in rows:
        raise HwgenError("no LUT row in the utilisation report: is this a report_utilization output?")
    return rows


def timing(text: str) -> dict:
    """{"wns_ns", "tns_ns", "whs_ns", "ths_ns", "met"} from a report_timing_summary text."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != "| Design Timing Summary":
            continue
        for j in range(i + 1, min(i + 12, len(lines))):
            if lines[j].split()[:2] == ["WNS(ns)", "TNS(ns)"]:
                row = next((r.split() for r in lines[j + 1:j + 5] if r.strip() and not set(r.strip()) <= set("- ")), [])
                if len(row) < 6 or not all(_NUMBER.match(v) for v in (row[0], row[1], row[4], row[5])):
                    raise HwgenError(f"unreadable Design Timing Summary row: {' '.join(row)!r}")
                wns, tns, whs, ths = float(row[0]), float(row[1]), float(row[4]), float(row[5])
                return {"wns_ns": wns, "tns_ns": tns, "whs_ns": whs, "ths_ns": ths, "met": wns >= 0 and whs >= 0}
    raise HwgenError("no Design Timing Summary in the timing report")


def read_reports(report_dir: Path) -> dict:
    """The parsed reports of vivado/reports/ (utilisation.rpt and timing_summary.rpt)."""
    report_dir = Path(report_dir)
    result = {}
    for key, name, parse in (("utilisation", "utilization.rpt", utilisation), ("timing", "timing_summary.rpt", timing)):
        path = report_dir / name
        if not path.is_file():
            raise HwgenError(f"{path}: missing (Vivado writes it after implementation)")
        result[key] = parse(path.read_text(errors="replace"))
    return result
