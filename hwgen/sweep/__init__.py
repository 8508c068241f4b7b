"""`hwgen sweep`: design-space sweeps (model x width x bits x compression x folding) scheduled on Ray.

    grid     the sweep's settings and its cartesian grid of points (no TensorFlow, no Ray)
    point    one point in a Ray worker: train -> compress -> hwgen build --backend rtl (export, rtl, rtlsim, synth)
    runner   scheduling on Ray (local or --address), resuming, progress
    pareto   the Pareto frontier of a table (maximum accuracy, minimum cost): a pure function
    report   results.json / results.csv, the Pareto plot, the printed table

Ray is an optional extra (`pip install hwgen[sweep]`); it is imported only when a sweep runs.
"""

from hwgen.sweep.grid import Point, SweepConfig, SweepError, points
from hwgen.sweep.pareto import pareto_front

__all__ = ["Point", "SweepConfig", "SweepError", "pareto_front", "points", "run_sweep"]


def run_sweep(*args, **kwargs):
    from hwgen.sweep.runner import run_sweep as run

    return run(*args, **kwargs)
