"""`hwgen boards`: the boards in boards/ (one TOML file each) as a table."""

import typer


def boards(
    name: str = typer.Argument(None, help="Show one board's settings in full (default: the table of all)."),
):
    """List the supported boards: part, processing system, ports, clock, PYNQ version, resources."""
    import json

    from rich.console import Console
    from rich.table import Table

    from hwgen import boards as registry

    console = Console()
    if name:
        board = registry.get(name)
        console.print_json(json.dumps({"name": board.name, "description": board.description, "part": board.part,
                                       "board_part": board.board_part, "clock_mhz": board.clock_mhz,
                                       "pynq_version": board.pynq_version, "ps": vars(board.ps) | {"config": board.ps.config},
                                       "address": {k: hex(v) for k, v in vars(board.address).items()},
                                       "resources": board.resources}))
        return
    table = Table(title=f"boards ({registry.BOARDS_DIR})")
    for column in ("board", "part", "PS", "clock MHz", "ctrl / data port", "PYNQ", "LUT", "FF", "BRAM18", "DSP",
                   "PS settings"):
        table.add_column(column, justify="right" if column in ("LUT", "FF", "BRAM18", "DSP", "clock MHz") else "left")
    for row in registry.table_rows():
        table.add_row(row["board"], row["part"], row["ps"], f"{row['clock_mhz']:g}", row["ports"], row["pynq"],
                      str(row["lut"]), str(row["ff"]), str(row["bram18"]), str(row["dsp"]),
                      f"{row['ps_settings']} (no board files needed)" if row["ps_settings"] else "ports and clock only")
    console.print(table)
