"""Settings dataclasses declare each field's default and valid range once; the CLI derives from them.

    epochs: int = setting(30, min=1, option="--epochs")

`check(cfg)` refuses a value outside its range with one line naming the field (and its CLI option);
`default(Cls, "epochs")` and `describe(Cls, "epochs")` give the CLI its default and the range for the help.
"""

from __future__ import annotations

from dataclasses import MISSING, field, fields

from hwgen.errors import HwgenError


def setting(default=MISSING, *, default_factory=MISSING, min=None, max=None, above=None, choices=None,
            optional: bool = False, option: str | None = None, none_as=None, none_means: str | None = None):
    """A dataclass field with its valid range: min/max (inclusive), above (exclusive lower bound), choices;
    optional allows None. option names the CLI flag for messages; none_as is how the CLI spells None and
    none_means what it stands for (--bits 0: a float model)."""
    meta = {"min": min, "max": max, "above": above, "choices": choices, "optional": optional, "option": option,
            "none_as": none_as, "none_means": none_means}
    return field(default=default, default_factory=default_factory, metadata={"limits": meta})


def default(cls, name: str):
    """A dataclass field's default (calling its factory)."""
    f = cls.__dataclass_fields__[name]
    return f.default_factory() if f.default is MISSING else f.default


def describe(cls, name: str) -> str:
    """The valid range of a field in words: '>= 1', '> 0', '2..16', 'one of q, ps'."""
    return _describe(cls.__dataclass_fields__[name].metadata["limits"])


def _describe(lim: dict) -> str:
    if lim["choices"] is not None:
        words = f"one of {', '.join(map(str, lim['choices']))}"
    elif lim["min"] is not None and lim["max"] is not None:
        words = f"{lim['min']}..{lim['max']}"
    elif lim["min"] is not None:
        words = f">= {lim['min']}"
    elif lim["above"] is not None:
        words = f"> {lim['above']}"
    elif lim["max"] is not None:
        words = f"<= {lim['max']}"
    else:
        words = "any value"
    if lim["optional"] and lim["none_as"] is not None:
        meaning = f" ({lim['none_means']})" if lim["none_means"] else ""
        words = f"{lim['none_as']}{meaning} or {words}"
    return words


def check(cfg) -> None:
    """Raise HwgenError, one line, for the first field of `cfg` outside its declared range."""
    for f in fields(cfg):
        lim = f.metadata.get("limits")
        if lim is None:
            continue
        value = getattr(cfg, f.name)
        if value is None and lim["optional"]:
            continue
        if not _within(value, lim):
            shown = lim["none_as"] if (value is None and lim["none_as"] is not None) else value
            label = lim["option"] or f"{type(cfg).__name__}.{f.name}"
            raise HwgenError(f"{label} {shown!r}: expected {_describe(lim)}")


def _within(value, lim: dict) -> bool:
    if lim["choices"] is not None:
        return value in lim["choices"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return ((lim["min"] is None or value >= lim["min"]) and (lim["max"] is None or value <= lim["max"])
            and (lim["above"] is None or value > lim["above"]))
