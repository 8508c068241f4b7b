"""`hwgen sweep`: the grid's points as Ray tasks, one folder each, gathered into one table.

    sweeps/NAME/sweep.json        the grid and the shared settings (a rerun must repeat the shared ones)
    sweeps/NAME/points/<point>/   run/, compressed/, build/, log.txt, result.json (see hwgen.sweep.point)
    sweeps/NAME/results.json      every point's row + the Pareto frontiers; results.csv the same rows
    sweeps/NAME/pareto.png        accuracy against LUTs and against latency cycles, frontiers marked

Resumable: a point with a result.json is not run again (`retry_failed` reruns the failed ones); a point
folder without one was interrupted and is emptied before its point runs again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

from hwgen.sweep import report
from hwgen.sweep.grid import SweepConfig, SweepError, check, points
from hwgen.sweep.point import read_result, run_point

CONFIG_FILE = "sweep.json"
INSTALL_HINT = "pip install hwgen[sweep]"


def import_ray():
    """Ray, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise SweepError(f"hwgen sweep runs its points on Ray, which is not installed: {INSTALL_HINT} "
                         "(or pip install ray==2.40.0)") from None
    return ray


def claim_folder(out: Path, cfg: SweepConfig) -> None:
    """Make `out` this sweep's folder, or refuse: a folder holding a sweep with other shared settings, or
    something that is not a sweep, is never written into."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out}: exists and is a file; a sweep needs a folder")
    config_path = out / CONFIG_FILE
    if config_path.is_file():
        try:
            old = json.loads(config_path.read_text())
        except json.JSONDecodeError as err:
            raise SweepError(f"{config_path}: corrupt ({err})") from None
        differ = sorted(k for k, v in cfg.shared().items() if old.get(k) != v)
        if differ:
            raise SweepError(f"--out {out} holds a sweep with other settings ({', '.join(f'{k} {old.get(k)!r}' for k in differ)}); "
                             "repeat them to resume it, or choose another --out")
    elif out.is_dir() and any(out.iterdir()):
        raise SweepError(f"--out {out}: not empty and not a sweep folder (no {CONFIG_FILE}); choose another --out")
    (out / "points").mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(cfg.to_json(), indent=1))


def ray_runtime_env(local: bool = True) -> dict:
    """Local workers import this copy of hwgen (a checkout on PYTHONPATH as well as an installed one) and find
    the same tools on PATH; a cluster's nodes keep their own environment (hwgen installed there)."""
    env = {"TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    if local:
        package_parent = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
        env["PATH"] = os.environ.get("PATH", "")
    return {"env_vars": env}


def start_ray(ray, workers: int, address: str | None) -> bool:
    """Join `address`, or start a local Ray with `workers` CPUs; True when this call started it."""
    if ray.is_initialized():
        return False
    kwargs = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR",
              "runtime_env": ray_runtime_env(local=not address)}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise SweepError(f"cannot start {where}: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
    return True


def run_sweep(cfg: SweepConfig, out, *, workers: int = 2, address: str | None = None, retry_failed: bool = False,
              console=None) -> dict:
    """Run every point of the grid not finished in `out` yet; returns the results (also written to `out`)."""
    from rich.console import Console

    console = console or Console()
    if workers < 1:
        raise SweepError(f"--workers {workers}: expected >= 1")
    check(cfg)
    ray = import_ray()
    out = Path(out)
    claim_folder(out, cfg)
    grid = points(cfg)
    rows, pending = {}, []
    for point in grid:
        folder = out / "points" / point.name
        row = read_result(folder)
        if row is not None and not (retry_failed and row["status"] == "failed"):
            rows[point.name] = row
            continue
        if folder.exists():  # interrupted or to retry: never mix two attempts in one folder
            shutil.rmtree(folder)
        pending.append(point)
    console.print(f"sweep {out}: {len(grid)} points ({len(rows)} already finished, {len(pending)} to run) on "
                  f"{'the Ray cluster at ' + address if address else f'local Ray, {workers} worker(s)'}")
    started_here = start_ray(ray, workers, address) if pending else False
    try:
        if pending:
            _schedule(ray, cfg, out, pending, rows, console)
    finally:
        if started_here:
            ray.shutdown()
    results = report.write(out, cfg, [rows[p.name] for p in grid if p.name in rows])
    report.print_results(results, console)
    return results


def _schedule(ray, cfg: SweepConfig, out: Path, pending: list, rows: dict, console) -> None:
    """One Ray task per point; rows arrive as points finish, the table is rewritten after each."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    task = ray.remote(num_cpus=1, max_retries=0)(run_point)
    refs = {task.remote(p.to_json(), cfg.shared(), str(out / "points" / p.name), 1): p for p in pending}
    durations, failed, started = [], 0, time.perf_counter()
    columns = (TextColumn("[bold]points"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("", total=len(pending))
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
            for ref in done:
                point = refs.pop(ref)
                row = _collect(ray, ref, point, out)
                rows[point.name] = row
                durations.append(row.get("seconds") or 0)
                failed += row["status"] == "failed"
                progress.console.print(report.one_line(row))
                progress.advance(bar)
                report.write(out, cfg, list(rows.values()), plot=False)
            running = sum((out / "points" / p.name).exists() for p in refs.values())
            eta = _eta(durations, len(refs), time.perf_counter() - started)
            progress.update(bar, description=f"{len(pending) - len(refs) - failed} ok, {failed} failed, "
                                             f"{running} running; ETA {eta}")


def _collect(ray, ref, point, out: Path) -> dict:
    """The point's row. A task Ray could not run to the end (a worker killed or out of memory, an import
    error on a cluster node) is a failed row with no result.json, so a rerun tries it again; the whole
    error goes to ray_errors.log."""
    try:
        return ray.get(ref)
    except Exception as err:  # RayTaskError, WorkerCrashedError, ...: ray's exception classes vary by version
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip()
        with (out / "ray_errors.log").open("a") as log:
            log.write(f"== {point.name}\n{text}\n")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return {**point.to_json(), "status": "failed", "stage": "ray",
                "reason": f"{type(err).__name__}: {lines[-1] if lines else ''} (ray_errors.log; rerun to retry)"}


def _eta(durations: list[float], remaining: int, elapsed: float) -> str:
    """Remaining points at the wall time per point finished so far (which counts the parallel workers)."""
    if not remaining:
        return "0 s"
    if not durations:
        return "after the first point"
    seconds = elapsed / len(durations) * remaining
    return f"~{seconds / 60:.0f} min" if seconds >= 90 else f"~{seconds:.0f} s"
