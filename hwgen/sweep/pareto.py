"""The Pareto frontier of a results table: the points no other point beats on both figures at once."""

from __future__ import annotations

import math


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def pareto_front(rows: list[dict], cost: str, value: str = "accuracy") -> list[int]:
    """Indices of the rows on the frontier of maximum `value` and minimum `cost`, by increasing cost.

    A row is dominated when another has at least its value at no more cost and is strictly better in
    one of the two. Rows with equal value and cost do not dominate each other, so tied rows are all on
    the frontier (or all off it). Rows missing either figure (failed points) are ignored.
    """
    scored = [(i, _number(r.get(cost)), _number(r.get(value))) for i, r in enumerate(rows)]
    scored = [(i, c, v) for i, c, v in scored if c is not None and v is not None]
    front = []
    for i, c, v in scored:
        dominated = any(c2 <= c and v2 >= v and (c2 < c or v2 > v) for _, c2, v2 in scored)
        if not dominated:
            front.append((c, -v, i))
    return [i for _, _, i in sorted(front)]
