"""The builder: named steps over one BuildConfig, each writing its artifacts and a record (after FINN).

A step is `step_<name>(build: Build, cfg: BuildConfig) -> dict`. `run_build` runs a range of the
configured steps in the build folder, saving `steps/<step>.json` after each; `--start`/`--stop`
pick the range by name. The folder holds one build only:

- `build.json` records the config; a rerun with a different config is refused naming the differing
  settings, or (`force`) the folder is emptied first;
- a step marks itself `steps/<step>.running` while it works, so an interrupted build is recognised
  (the next run says which step to restart) and a later step never runs on a half-written earlier one;
- a folder that is not empty and not a build folder is never written into.

Steps are registered by dotted path and imported only when they run, so `hwgen build --help` and
the TensorFlow-free steps never import TensorFlow.
"""

from __future__ import annotations

import importlib
import json
import shutil
import time
from functools import cached_property
from pathlib import Path

from hwgen.builder.config import BuildConfig, differing_keys
from hwgen.errors import HwgenError

CONFIG_FILE = "build.json"
STEPS_DIR = "steps"

# name -> "module:function". Backends add theirs here; the order is each sequence's, not this dict's.
REGISTRY = {
    "step_data": "hwgen.builder.steps:step_data",
    "step_train": "hwgen.builder.steps:step_train",
    "step_export": "hwgen.builder.steps:step_export",
    "step_convert_hls": "hwgen.hls.steps:step_convert_hls",
    "step_csim": "hwgen.hls.steps:step_csim",
    "step_rtl": "hwgen.rtl.steps:step_rtl",
    "step_rtlsim": "hwgen.rtl.steps:step_rtlsim",
    "step_synth": "hwgen.rtl.steps:step_synth",
    "step_ip_sources": "hwgen.boards.steps:builder_ip_sources",
    "step_block_design": "hwgen.boards.steps:builder_block_design",
    "step_ip": "hwgen.boards.steps:builder_ip",
    "step_bitstream": "hwgen.boards.steps:builder_bitstream",
    "step_package": "hwgen.boards.steps:builder_package",
}


def step_function(name: str):
    name = canonical(name)
    module, func = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), func)


def canonical(name: str) -> str:
    """'csim' and 'step_csim' both name the step step_csim; an unknown name lists the steps."""
    full = name if name.startswith("step_") else f"step_{name}"
    if full not in REGISTRY:
        raise HwgenError(f"unknown step {name!r}; the steps are {', '.join(s[5:] for s in REGISTRY)}")
    return full


class Build:
    """A build folder: its paths, its config and the views earlier steps saved (loaded on first use)."""

    def __init__(self, cfg: BuildConfig, console=None):
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.console = console

    # ------------------------------------------------------------------ paths
    @property
    def graph_dir(self) -> Path:
        return self.out / "graph"

    @property
    def verify_dir(self) -> Path:
        return self.out / "verify"

    @property
    def hls_dir(self) -> Path:
        return self.out / "hls"

    @property
    def rtl_dir(self) -> Path:
        return self.out / "rtl"

    @property
    def model_file(self) -> Path:
        return self.out / "model.h5"

    @property
    def hls_model_file(self) -> Path:
        """The Keras model hls4ml converts (BatchNormalization folded, scales absorbed), written by step_export."""
        return self.out / "model_hls4ml.h5"

    @property
    def run_dir(self) -> Path | None:
        """The run the build converts: its own (trained by step_train) or the configured source."""
        if self.cfg.train is not None:
            return self.out / "run"
        source = Path(self.cfg.source)
        return source if source.is_dir() else None

    @property
    def data_file(self) -> Path:
        return self.out / "data.npz"

    # ------------------------------------------------------------------ saved views
    @cached_property
    def graph(self):
        from hwgen.graph import load

        if not (self.graph_dir / "graph.json").is_file():
            raise HwgenError(f"{self.out}: no saved graph (run the export step first)")
        return load(self.graph_dir)

    def verify_set(self):
        """(inputs float (N, ...), expected logits int64 (N, C), labels or None) saved by step_export."""
        import numpy as np

        try:
            x = np.load(self.verify_dir / "input.npy")
            expected = np.load(self.verify_dir / "expected.npy")
        except FileNotFoundError:
            raise HwgenError(f"{self.out}: no verification vectors (run the export step first)") from None
        labels = self.verify_dir / "labels.npy"
        return x, expected, (np.load(labels) if labels.is_file() else None)

    def record(self, step: str) -> dict:
        path = self.out / STEPS_DIR / f"{canonical(step)}.json"
        if not path.is_file():
            raise HwgenError(f"{self.out}: step {canonical(step)} has not run in this build folder")
        return json.loads(path.read_text())

    def status(self, text: str) -> None:
        """Progress of long work: the console's spinner line when there is one."""
        if self.console is not None and getattr(self.console, "_hwgen_status", None) is not None:
            self.console._hwgen_status.update(text)


def run_build(cfg: BuildConfig, *, start: str | None = None, stop: str | None = None, force: bool = False,
              console=None) -> dict:
    """Run cfg's steps from `start` to `stop` (inclusive) in cfg.out; returns {step: record}."""
    from rich.console import Console

    from hwgen.builder.config import default_steps

    console = console or Console()
    sequence = [canonical(s) for s in (cfg.steps or default_steps(cfg))]
    first = sequence.index(_in(sequence, start)) if start else 0
    last = sequence.index(_in(sequence, stop)) if stop else len(sequence) - 1
    if first > last:
        raise HwgenError(f"--start {start} comes after --stop {stop} in the steps {', '.join(sequence)}")
    build = Build(cfg, console)
    _claim_folder(build, force)
    for earlier in sequence[:first]:
        build.record(earlier)  # refuses a start whose earlier steps never ran here
    records = {}
    for index in range(first, last + 1):
        for later in sequence[index + 1:]:  # what later steps built from this step's old output is stale
            (build.out / STEPS_DIR / f"{later}.json").unlink(missing_ok=True)
        records[sequence[index]] = run_step(build, sequence[index])
    return records


def open_build(folder, console=None) -> Build:
    """The build in an existing folder (its build.json), for running single steps on it."""
    from rich.console import Console

    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise HwgenError(f"{folder}: not a hwgen build folder (no {CONFIG_FILE}; run `hwgen build` or "
                         "`hwgen convert` first)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise HwgenError(f"{path}: corrupt ({err})") from None
    cfg = BuildConfig.from_json(data, str(path))
    cfg.out = str(folder)
    return Build(cfg, console or Console())


def _in(sequence: list[str], name: str) -> str:
    full = canonical(name)
    if full not in sequence:
        raise HwgenError(f"step {full} is not one of this build's steps: {', '.join(sequence)}")
    return full


def _claim_folder(build: Build, force: bool) -> None:
    """Make `build.out` this build's folder, or refuse: never mix two builds in one folder."""
    out = build.out
    config_path = out / CONFIG_FILE
    new = build.cfg.to_json()
    if out.exists() and not out.is_dir():
        raise HwgenError(f"{out}: exists and is a file; the build needs a folder")
    if config_path.is_file():
        old = json.loads(config_path.read_text())
        diff = differing_keys(old, new)
        if diff and not force:
            raise HwgenError(f"{out} holds a build with other settings ({', '.join(diff)} differ); use another "
                             "--out, or --force to empty the folder and build again")
        if diff or force:
            shutil.rmtree(out)
    elif out.is_dir() and any(out.iterdir()):
        raise HwgenError(f"{out}: not empty and not a hwgen build folder (no {CONFIG_FILE}); choose another --out")
    elif force and out.is_dir():
        shutil.rmtree(out)
    (out / STEPS_DIR).mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(new, indent=1))


def run_step(build: Build, name: str, func=None) -> dict:
    """Run one step in the build folder: mark it running, run it, save its record."""
    console = build.console
    func = func or step_function(name)
    steps_dir = build.out / STEPS_DIR
    marker = steps_dir / f"{name}.running"
    record_path = steps_dir / f"{name}.json"
    if marker.exists():
        console.print(f"[yellow]{name} was interrupted in an earlier run: running it again[/]")
    record_path.unlink(missing_ok=True)
    marker.write_text(f"{name} started and has not finished\n")
    console.rule(f"[bold]{name}[/]: {(step_function(name).__doc__ or '').strip().splitlines()[0]}")
    started = time.perf_counter()
    try:
        with console.status(name) as spinner:
            console._hwgen_status = spinner
            record = func(build, build.cfg)
    except KeyboardInterrupt:
        console.print(f"[red]interrupted[/] during {name}: {build.out} keeps the earlier steps' results; "
                      f"{name} is marked incomplete (rerun with --start {name[5:]})")
        raise
    finally:
        console._hwgen_status = None
    record["seconds"] = round(time.perf_counter() - started, 2)
    record_path.write_text(json.dumps(record, indent=1, default=str))
    marker.unlink()
    return record
