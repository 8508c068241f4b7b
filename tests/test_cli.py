"""The `hwgen` command itself: help, version, user errors without tracebacks, output paths checked before
any work, Ctrl-C, option ranges and defaults derived from the library."""

import importlib
import inspect
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hwgen
from hwgen.cli import COMMANDS, GROUPS, main


def run(*args):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True)


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"hwgen {hwgen.__version__}"


def test_help_lists_every_command_and_group():
    r = run("--help")
    assert r.returncode == 0
    listed = {line.split()[1] for line in r.stdout.splitlines() if line.startswith("│ ") and len(line.split()) > 1}
    assert set(COMMANDS) | set(GROUPS) <= listed, listed


def test_unknown_command_fails_with_the_usage_and_its_name():
    r = run("no-such-command")
    assert r.returncode == 2
    assert "No such command 'no-such-command'" in r.stderr and "Traceback" not in r.stderr


def test_a_user_mistake_is_one_line_and_exit_status_2(tmp_path):
    r = run("sim", "csim", str(tmp_path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"error: {tmp_path}: not a hwgen build folder (no build.json; run `hwgen build` or " \
                               "`hwgen convert` first)"


# -- output paths are checked before any work ------------------------------------------------------------

UNWRITABLE = "/sys/hwgen-cannot-write-here"   # refused even for root: sysfs takes no new files


def _boom(*args, **kwargs):
    raise AssertionError("the command started its work before checking its output path")


@pytest.fixture
def inputs(tmp_path):
    """A small data file, a run-like folder and a B-mode cine for the commands that read them."""
    from hwgen.data import save, synthesize

    data = save(synthesize("lung", 4, seed=0, time=32, depth=8), tmp_path / "in.npz")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"task": "lung", "classes": ["sliding", "absent", "lung_point"]}))
    (run / "preprocess.json").write_text(json.dumps({"time": 32, "depth": 8}))
    (tmp_path / "a_file").write_text("not a folder")
    return {"data": str(data), "run": str(run), "file": str(tmp_path / "a_file"), "dir": str(tmp_path)}


# (command line with {out}, the function doing the work, bad outputs: (out, words the error must hold))
WRITERS = {
    "data synth": (["data", "synth", "--n", "4", "--time", "32", "--depth", "8", "--out", "{out}"],
                   "hwgen.data.synthesize", "file", [".npz", ".h5"]),
    "data show": (["data", "show", "{data}", "--out", "{out}"], "hwgen.data.load", "file", [".png", ".pdf"]),
    "data mmode": (["data", "mmode", "{data}", "--line", "0,0,1,1", "--out", "{out}"], "hwgen.data.load", "file",
                   [".npz", ".h5"]),
    "train": (["train", "--n", "24", "--out", "{out}"], "hwgen.train.train_model", "folder", []),
    "predict": (["predict", "{run}", "--data", "{data}", "--out", "{out}"], "hwgen.train.predict_file", "file",
                [".json"]),
    "convert": (["convert", "{run}", "--out", "{out}"], "hwgen.builder.run_build", "folder", []),
    "build": (["build", "{run}", "--out", "{out}"], "hwgen.builder.run_build", "folder", []),
    "demo": (["demo", "--out", "{out}"], "hwgen.builder.run_build", "folder", []),
}


def _bad_outputs(kind, suffixes, inputs):
    cases = [(f"{UNWRITABLE}/out{suffixes[0] if suffixes else ''}", "cannot write in /sys")]
    if kind == "file":
        cases += [(inputs["dir"] + f"/sub{suffixes[0]}/", "is a folder"),
                  (inputs["file"] + f"/x{suffixes[0]}", "is a file, not a folder"),
                  (inputs["dir"] + "/out.xyz", "unsupported extension .xyz")]
    else:
        cases += [(inputs["file"], "is a file, expected a folder")]
    return cases


@pytest.mark.parametrize("command", list(WRITERS))
def test_bad_output_paths_stop_before_any_work(command, inputs, monkeypatch, capsys):
    args, work, kind, suffixes = WRITERS[command]
    monkeypatch.setattr(work, _boom)
    if kind == "file":
        (Path(inputs["dir"]) / f"sub{suffixes[0]}").mkdir()
    for out, needle in _bad_outputs(kind, suffixes, inputs):
        with pytest.raises(SystemExit) as done:
            main([a.format(out=out, **inputs) for a in args])
        err = capsys.readouterr().err
        assert done.value.code == 2, (command, out, err)
        assert needle in err and "--out" in err and len(err.strip().splitlines()) == 1, (command, out, err)


def test_csim_checks_its_build_folder(inputs, capsys):
    with pytest.raises(SystemExit) as done:
        main(["sim", "csim", inputs["file"]])
    assert done.value.code == 2 and "is a file, expected a folder" in capsys.readouterr().err


# -- Ctrl-C -------------------------------------------------------------------------------------------------

def test_ctrl_c_says_what_was_interrupted_and_what_was_left(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("hwgen.data.synthesize", interrupted)
    out = tmp_path / "never.npz"
    with pytest.raises(SystemExit) as done:
        main(["data", "synth", "--n", "4", "--out", str(out)])
    err = capsys.readouterr().err
    assert done.value.code == 130 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "interrupted: hwgen data synth" in err and f"nothing written to {out}" in err

    def half_written(ds, path):
        Path(path).write_bytes(b"PK\x03\x04 half")
        raise KeyboardInterrupt

    monkeypatch.undo()
    monkeypatch.setattr("hwgen.data.save", half_written)
    with pytest.raises(SystemExit) as done:
        main(["data", "synth", "--n", "4", "--time", "32", "--depth", "8", "--out", str(out)])
    err = capsys.readouterr().err
    assert done.value.code == 130 and f"{out} is an incomplete" in err and "delete it" in err


def test_sigint_on_a_real_command(tmp_path):
    out = tmp_path / "big.npz"
    proc = subprocess.Popen([sys.executable, "-m", "hwgen", "data", "synth", "--n", "20000", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("synthesising 20000 lung examples")   # the work has started
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("interrupted: hwgen data synth")
    assert f"nothing written to {out}" in err


# -- option ranges and derived defaults ---------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["train", "--epochs", "0"], "--epochs 0: expected >= 1"),
    (["train", "--float-epochs", "0", "--qat-from-float"], "--float-epochs 0: expected >= 1"),
    (["train", "--batch-size", "0"], "--batch-size 0: expected >= 1"),
    (["train", "--lr", "-1"], "--lr -1.0: expected > 0"),
    (["train", "--bits", "1"], "--bits 1: expected 0 (float) or 2..16"),
    (["train", "--bits", "17"], "--bits 17: expected 0 (float) or 2..16"),
    (["train", "--n", "0"], "--n 0: expected >= 1"),
    (["train", "--seed", "-3"], "--seed -3: expected >= 0"),
    (["train", "--patience", "-1"], "--patience -1: expected >= 0"),
    (["train", "--shift-training", "x"], "--shift-training 'x': expected one of q, ps"),
    (["train", "--task", "kidney"], "--task 'kidney': expected one of lung"),
    (["demo", "--n", "0"], "'--n': Input should be greater than or equal to 1"),
    (["demo", "--task", "kidney"], "--task: unknown task 'kidney'"),
    (["demo", "--model", "resnet"], "--model 'resnet': unknown; available: cnn"),
    # options of no settings dataclass: ranges checked by the CLI itself, same one-line form
    (["data", "synth", "--n", "0", "--out", "x.npz"], "'--n': Input should be greater than or equal to 1"),
    (["data", "synth", "--seed", "-1", "--out", "x.npz"], "'--seed': Input should be greater than or equal to 0"),
    (["data", "show", "x.npz", "--per-class", "0"], "'--per-class': Input should be greater than or equal to 1"),
    (["predict", "run", "--data", "x.npz", "--hop", "0"], "'--hop': Input should be greater than or equal to 1"),
    (["train", "--epochs", "many"], "hwgen train: Invalid value for '--epochs'"),
    (["data", "synth"], "Missing option '--out'"),
])
def test_out_of_range_options_are_refused_in_one_line(args, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("hwgen.train.train_model", _boom)
    monkeypatch.setattr("hwgen.builder.run_build", _boom)
    with pytest.raises(SystemExit) as done:
        main(args)
    err = capsys.readouterr().err
    assert done.value.code == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_cli_defaults_and_model_list_derive_from_the_library(monkeypatch):
    import hwgen.cli.demo
    import hwgen.cli.train
    from hwgen import builder
    from hwgen.models import catalog
    from hwgen.train import TrainConfig

    monkeypatch.setitem(catalog.MODELS, "newnet", "a model added to the zoo")
    monkeypatch.setattr(TrainConfig.__dataclass_fields__["epochs"], "default", 7)
    defaults = dict(zip(inspect.signature(builder.demo_config).parameters, builder.demo_config.__defaults__, strict=True))
    monkeypatch.setattr(builder.demo_config, "__defaults__", tuple((defaults | {"n": 11}).values()))
    try:
        cli_train, cli_demo = importlib.reload(hwgen.cli.train), importlib.reload(hwgen.cli.demo)
        params = {p.name: p for p in typer_params(cli_train.train)}
        assert "newnet" in params["model"].help and params["epochs"].default == 7
        assert {p.name: p for p in typer_params(cli_demo.demo)}["n"].default == 11
    finally:
        monkeypatch.undo()
        importlib.reload(hwgen.cli.train)
        importlib.reload(hwgen.cli.demo)


def typer_params(func):
    return [type("P", (), {"name": n, "default": p.default.default, "help": p.default.help})
            for n, p in inspect.signature(func).parameters.items()]


def test_help_is_fast_and_lists_every_model():
    from hwgen.models.catalog import MODELS

    r = run("train", "--help")
    assert r.returncode == 0 and all(name in r.stdout for name in MODELS)
    r = subprocess.run([sys.executable, "-c", "import sys, hwgen.cli; print('tensorflow' in sys.modules)"],
                       capture_output=True, text=True)
    assert r.stdout.strip() == "False"


def test_io_parallel_warns_of_its_compile_time_and_no_calib_names_the_option(capsys):
    import warnings

    import numpy as np

    from hwgen.builder import BuildConfig
    from hwgen.builder.steps import _calibration
    from hwgen.cli.build import hls_options

    assert hls_options("auto", "parallel", "Latency", [])["io_type"] == "io_parallel"
    assert "--io parallel: hls4ml's io_parallel C++ takes minutes to compile" in " ".join(
        capsys.readouterr().err.split())
    hls_options("auto", "stream", "Latency", [])
    assert capsys.readouterr().err == ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = _calibration(BuildConfig(out="b", source="m.h5"), None, (8, 4))
    assert x.shape[1:] == (8, 4) and np.all((x >= 0) & (x < 1))
    assert [str(w.message).endswith("give --calib FILE") for w in caught] == [True]  # the option, not an argument
