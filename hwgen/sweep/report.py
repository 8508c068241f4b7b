"""A sweep's table (results.json, results.csv), its Pareto frontiers, the plot and the printed report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hwgen.sweep.grid import SweepError
from hwgen.sweep.pareto import pareto_front

RESULTS_FILE = "results.json"
CSV_FILE = "results.csv"
PLOT_FILE = "pareto.png"
# The table's columns, in order (results.csv; results.json rows hold these and more).
COLUMNS = ("name", "model", "width", "bits", "compress", "fold", "status", "accuracy", "keras_accuracy", "lut",
           "ff", "dsp", "bram18", "lut_fraction", "latency_cycles", "ii_cycles", "target_ii", "frames", "params",
           "macs", "seconds", "stage", "reason")
# Frontiers: accuracy (the integer graph's = the bit-exact RTL's, on the test split) against these costs.
COSTS = {"lut": "LUTs (yosys synth_xilinx)", "latency_cycles": "latency (cycles, Verilator)"}


def with_names(rows: list[dict]) -> list[dict]:
    from hwgen.sweep.grid import Point

    return [{"name": Point(r["model"], float(r["width"]), int(r["bits"]), r["compress"], r["fold"]).name, **r}
            for r in rows]


def write(out: Path, cfg, rows: list[dict], plot: bool = True) -> dict:
    """results.json + results.csv (+ pareto.png) for these rows; returns the results."""
    out = Path(out)
    rows = with_names(rows)
    ok = [r for r in rows if r["status"] == "ok"]
    fronts = {cost: [ok[i]["name"] for i in pareto_front(ok, cost)] for cost in COSTS}
    results = {"sweep": cfg.to_json(), "points": len(rows), "ok": len(ok), "failed": len(rows) - len(ok),
               "frontier": fronts, "rows": rows}
    tmp = out / (RESULTS_FILE + ".tmp")
    tmp.write_text(json.dumps(results, indent=1))
    tmp.replace(out / RESULTS_FILE)
    with (out / CSV_FILE).open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    if plot:
        plot_pareto(rows, fronts, out / PLOT_FILE, title=f"hwgen sweep {out.name}: {cfg.task}")
    return results


def load(folder) -> dict:
    path = Path(folder) / RESULTS_FILE
    if not path.is_file():
        raise SweepError(f"--report {folder}: no {RESULTS_FILE} (not a sweep folder, or no point has finished yet)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise SweepError(f"{path}: corrupt ({err})") from None


def plot_pareto(rows: list[dict], fronts: dict, path: Path, title: str) -> None:
    """Accuracy against each cost, one panel each: every finished point, the frontier as a step line."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r["status"] == "ok"]
    models = sorted({r["model"] for r in ok})
    markers = {b: m for b, m in zip(sorted({r["bits"] for r in ok}, reverse=True), "os^Dv<>p", strict=False)}
    colours = {m: f"C{i}" for i, m in enumerate(models)}
    fig, axes = plt.subplots(1, len(COSTS), figsize=(6 * len(COSTS), 4.5))
    by_name = {r["name"]: r for r in ok}
    for ax, (cost, label) in zip(axes, COSTS.items(), strict=True):
        for r in ok:
            if r.get(cost) is None or r.get("accuracy") is None:
                continue
            ax.scatter(r[cost], r["accuracy"], c=colours[r["model"]], marker=markers.get(r["bits"], "o"), s=36,
                       alpha=0.8, edgecolors="none")
        front = [by_name[n] for n in fronts[cost]]
        if front:
            xs, ys = [front[0][cost]], [front[0]["accuracy"]]
            for r in front[1:]:
                xs += [r[cost], r[cost]]
                ys += [ys[-1], r["accuracy"]]
            ax.plot(xs, ys, "k--", lw=1, label="Pareto frontier")
            ax.scatter([r[cost] for r in front], [r["accuracy"] for r in front], s=110, facecolors="none",
                       edgecolors="k", linewidths=1.2)
            for r in front:
                ax.annotate(r["name"], (r[cost], r["accuracy"]), fontsize=6, xytext=(4, -8), textcoords="offset points")
        ax.set_xscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(plain)
        ax.tick_params(axis="x", which="minor", labelsize=7)
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy (bit-exact RTL, test split)")
        ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=colours[m], marker="o", ls="", label=m) for m in models]
    handles += [plt.Line2D([], [], color="grey", marker=mk, ls="", label=f"{b}-bit") for b, mk in markers.items()]
    handles += [plt.Line2D([], [], color="k", ls="--", label="Pareto frontier")]
    axes[-1].legend(handles=handles, fontsize=7, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _fmt(value, spec: str = ",") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and spec == ",":
        return f"{value:,.0f}"
    return format(value, spec)


def one_line(row: dict) -> str:
    name = with_names([row])[0]["name"]
    if row["status"] != "ok":
        return f"[red]failed[/] {name} at {row.get('stage')}: {row['reason']} ({_fmt(row.get('seconds'), '.0f')} s)"
    return (f"[green]ok[/] {name}: accuracy {_fmt(row.get('accuracy'), '.3f')}, LUT {_fmt(row.get('lut'))}, "
            f"DSP {_fmt(row.get('dsp'))}, latency {_fmt(row.get('latency_cycles'))} cycles, II "
            f"{_fmt(row.get('ii_cycles'))} ({_fmt(row.get('seconds'), '.0f')} s)")


def print_results(results: dict, console) -> None:
    """The table (frontier points marked: L on the LUT frontier, C on the latency one) and the frontiers."""
    from rich.table import Table

    fronts = results["frontier"]
    sweep = results["sweep"]
    window = f"{sweep.get('time') or 'task'} x {sweep.get('depth') or 'task'} window"
    table = Table(title=f"sweep: {sweep['task']}, {results['points']} points ({results['failed']} failed), {window}, "
                        f"{sweep['n']} examples, {sweep['epochs']} epochs, {sweep['board']}")
    for col in ("point", "front", "acc", "LUT", "FF", "DSP", "BRAM18", "latency", "II", "s", "status"):
        table.add_column(col, justify="left" if col in ("point", "status") else "right")
    for r in results["rows"]:
        mark = ("L" if r["name"] in fronts["lut"] else "") + ("C" if r["name"] in fronts["latency_cycles"] else "")
        status = "ok" if r["status"] == "ok" else f"failed ({r.get('stage')})"
        table.add_row(r["name"], mark, _fmt(r.get("accuracy"), ".3f"), _fmt(r.get("lut")), _fmt(r.get("ff")),
                      _fmt(r.get("dsp")), _fmt(r.get("bram18")), _fmt(r.get("latency_cycles")), _fmt(r.get("ii_cycles")),
                      _fmt(r.get("seconds"), ".0f"), status)
    console.print(table)
    for r in results["rows"]:
        if r["status"] != "ok":
            console.print(f"failed: {r['name']} at {r.get('stage')}: {r['reason']}", highlight=False, markup=False,
                          soft_wrap=True)
    by_name = {r["name"]: r for r in results["rows"]}
    for cost, label in COSTS.items():
        front = ", ".join(f"{n} ({_fmt(by_name[n].get('accuracy'), '.3f')} @ {_fmt(by_name[n].get(cost))})"
                          for n in fronts[cost])
        console.print(f"Pareto frontier, accuracy vs {label}: {front or 'no finished point'}", highlight=False,
                      soft_wrap=True)
