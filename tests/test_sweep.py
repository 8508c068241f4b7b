"""`hwgen sweep`: tiny points end to end on local Ray (started once for the module), resuming, a point
refused as too big for its part, the Pareto frontier on a hand-made table, and the missing-Ray hint."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hwgen.sweep import SweepConfig, SweepError, pareto_front
from hwgen.sweep.grid import compress_settings, fold_target, parse_list

REPO = Path(__file__).resolve().parents[1]
# The smallest window the zoo's pools (4, 4, 2) accept, few examples, one epoch: a point is seconds of
# training and a small design for the simulator and yosys.
# A folding at 16x the stream's interval keeps the design small for yosys.
TINY = {"task": "lung", "widths": [0.25], "time": 32, "depth": 8, "n": 32, "epochs": 1, "verify_max": 8,
        "fold": ["x16"]}
STALE = "cnn-w0.25-b8-none-x16"


def _cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from hwgen.cli import main; main()", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)


# ---------------------------------------------------------------------------------------------- Pareto
def test_pareto_front_of_a_hand_made_table():
    rows = [
        {"name": "a", "accuracy": 0.70, "lut": 100},   # cheapest: on the frontier
        {"name": "b", "accuracy": 0.80, "lut": 200},   # on
        {"name": "b2", "accuracy": 0.80, "lut": 200},  # tie with b: neither dominates, both on
        {"name": "c", "accuracy": 0.75, "lut": 250},   # dominated by b (more LUTs, less accurate)
        {"name": "c2", "accuracy": 0.75, "lut": 250},  # dominated duplicate of c: off as well
        {"name": "d", "accuracy": 0.80, "lut": 300},   # same accuracy as b at more cost: off
        {"name": "e", "accuracy": 0.90, "lut": 400},   # most accurate: on
        {"name": "f", "accuracy": 0.70, "lut": 100.0},  # tie with a: on
        {"name": "g", "accuracy": 0.65, "lut": 100},   # as cheap as a, less accurate: off
        {"name": "x", "accuracy": 0.99, "lut": None},  # failed point: ignored
        {"name": "y", "accuracy": None, "lut": 1},     # failed point: ignored
    ]
    front = [rows[i]["name"] for i in pareto_front(rows, "lut")]
    assert front == ["a", "f", "b", "b2", "e"]
    assert pareto_front([], "lut") == []
    assert [rows[i]["name"] for i in pareto_front(rows[:1], "lut")] == ["a"]


# ---------------------------------------------------------------------------------------------- options
def test_options_are_parsed_and_bad_ones_refused_in_one_line(tmp_path):
    assert parse_list("8, 4", "--bits", int) == [8, 4]
    assert compress_settings("none", 3) is None
    assert compress_settings("prune0.5+lowrank0.9", 1) == {"prune": 0.5, "low_rank": 0.9, "epochs": 2}
    assert compress_settings("slim0.5", 3) == {"prune_channels": 0.5, "epochs": 3, "slim_epochs": 3}
    assert fold_target("auto", 256, 64) is None
    assert fold_target("x2", 256, 64) == 2 * int(2048 * 1.0625) and fold_target("5000", 256, 64) == 5000
    for bad, match in ((["--models", "cnn,nope"], "unknown model 'nope'"), (["--bits", "8,x"], "--bits"),
                       (["--widths", "0"], "--widths 0"), (["--compress", "squash0.5"], "--compress"),
                       (["--fold", "x0.5"], "--fold"), (["--epochs", "0"], "--epochs"),
                       (["--workers", "0"], "--workers 0"), (["--board", "nope"], "unknown board"),
                       (["--bits", "8,8"], "twice")):
        proc = _cli("sweep", "--out", str(tmp_path / "s"), *bad)
        assert proc.returncode == 2, (bad, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and match in lines[0], (bad, proc.stderr)
        assert "Traceback" not in proc.stderr and not (tmp_path / "s" / "points").exists()
    proc = _cli("sweep", "--report", str(tmp_path))
    assert proc.returncode == 2 and "no results.json" in proc.stderr


def test_help_does_not_import_tensorflow_or_ray():
    code = ("import sys\nfrom hwgen.cli import main\ntry:\n    main(['sweep', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED', 'tensorflow' in sys.modules, 'ray' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "LOADED False False" in proc.stdout, proc.stdout + proc.stderr


def test_without_ray_the_command_says_how_to_install_it(tmp_path):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text("import sys\nsys.modules['ray'] = None  # import ray -> ImportError\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shim), str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = _cli("sweep", "--out", str(tmp_path / "s"), "--models", "cnn", "--widths", "0.25", "--bits", "8", env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install hwgen[sweep]" in lines[0], proc.stderr


# ---------------------------------------------------------------------------------------------- on Ray
@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray", reason="the sweep extra (pip install hwgen[sweep]) is not installed")
    from hwgen.sweep.runner import ray_runtime_env

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             runtime_env=ray_runtime_env())
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny_sweep(ray_local, tmp_path_factory):
    """One sweep for the module, run once, of two points on a part with one DSP48 slice and 5,000 LUTs: a
    shift CNN (no DSP48, ~3.2k LUTs) fits; a multiplier CNN has its products moved into LUTs when the DSP48
    runs out (~7.1k LUTs) and does not fit; the CNN's folder holds an interrupted earlier attempt."""
    from hwgen.sweep import run_sweep
    from hwgen.sweep.runner import claim_folder

    tmp = tmp_path_factory.mktemp("sweep")
    board = (REPO / "boards" / "pynq-z2.toml").read_text().replace('name = "pynq-z2"', 'name = "onedsp"')
    small = {"dsp =": "dsp = 1", "lut =": "lut = 5000"}
    lines = [next((v for k, v in small.items() if line.strip().startswith(k)), line) for line in board.splitlines()]
    (tmp / "onedsp.toml").write_text("\n".join(lines) + "\n")
    out = tmp / "tiny"
    cfg = SweepConfig(models=["shiftcnn", "cnn"], bits=[8], board=str(tmp / "onedsp.toml"), **TINY)
    claim_folder(out, cfg)
    stale = out / "points" / STALE
    stale.mkdir(parents=True)
    (stale / "leftover.txt").write_text("from an interrupted run")
    return cfg, out, run_sweep(cfg, out, workers=2)


def test_two_points_run_end_to_end_on_ray(tiny_sweep):
    cfg, out, results = tiny_sweep
    assert results["points"] == 2 and results["ok"] == 1 and results["failed"] == 1, results["rows"]
    rows = {r["model"]: r for r in results["rows"]}
    row = rows["shiftcnn"]
    assert row["status"] == "ok" and row["reason"] == "" and row["bit_exact"] is True and row["stage"] == "done"
    assert 0 <= row["accuracy"] <= 1 and row["frames"] >= 1
    assert row["lut"] > 0 and row["ff"] > 0 and row["dsp"] == 0 and row["bram18"] >= 0  # shifts: no DSP48
    assert row["latency_cycles"] > 0 and row["ii_cycles"] > 0 and row["seconds"] > 0
    for row in results["rows"]:  # both went through train, export, rtl and rtlsim
        folder = out / "points" / row["name"]
        # every figure is the point's own build's: yosys' counts and Verilator's cycles in its folder
        synth = json.loads((folder / "build" / "rtl" / "synth.json").read_text())
        sim = json.loads((folder / "build" / "rtl" / "sim.json").read_text())
        assert synth["used"]["lut"] == row["lut"] and sim["latency_cycles"]["first"] == row["latency_cycles"]
        assert (folder / "run" / "model.h5").is_file() and (folder / "log.txt").stat().st_size > 0
    on_disk = json.loads((out / "results.json").read_text())
    assert [r["name"] for r in on_disk["rows"]] == ["shiftcnn-w0.25-b8-none-x16", STALE]
    with (out / "results.csv").open() as f:
        table = list(csv.DictReader(f))
    assert [r["name"] for r in table] == [r["name"] for r in on_disk["rows"]] and table[0]["lut"].isdigit()
    assert on_disk["frontier"] == {"lut": ["shiftcnn-w0.25-b8-none-x16"], "latency_cycles": ["shiftcnn-w0.25-b8-none-x16"]}
    assert (out / "pareto.png").stat().st_size > 10_000


def test_a_point_too_big_for_its_part_fails_with_its_reason_and_the_other_finishes(tiny_sweep):
    cfg, out, results = tiny_sweep
    failed = {r["model"]: r for r in results["rows"]}["cnn"]
    assert failed["status"] == "failed" and failed["stage"] == "synth", failed
    assert "does not fit" in failed["reason"] and "LUT" in failed["reason"] and "\n" not in failed["reason"]
    assert failed["lut"] > 5000 and failed["dsp"] <= 1  # the DSP48 shortfall went into LUTs, which overflowed
    assert failed["latency_cycles"] > 0  # the figures measured before the refusal
    # the interrupted attempt's folder was emptied first: never two builds in one folder
    assert not (out / "points" / STALE / "leftover.txt").exists()


def test_a_rerun_skips_finished_points(tiny_sweep, capsys):
    from hwgen.sweep import run_sweep

    cfg, out, first = tiny_sweep
    stamps = {r["name"]: (out / "points" / r["name"] / "result.json").stat().st_mtime_ns for r in first["rows"]}
    capsys.readouterr()
    again = run_sweep(cfg, out, workers=2)
    assert [r["seconds"] for r in again["rows"]] == [r["seconds"] for r in first["rows"]]
    assert {n: (out / "points" / n / "result.json").stat().st_mtime_ns for n in stamps} == stamps
    assert "2 already finished, 0 to run" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SweepError, match=r"other settings \(epochs 1\)"):
        run_sweep(SweepConfig(**{**cfg.to_json(), "epochs": 2}), out, workers=2)
    # the report prints the same table again, without Ray
    proc = _cli("sweep", "--report", str(out))
    assert proc.returncode == 0 and "Pareto frontier, accuracy vs LUTs" in proc.stdout
    assert "does not fit" in proc.stdout and "shiftcnn-w0.25-b8-none-x16" in proc.stdout
