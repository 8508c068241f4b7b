"""The `hwgen` command itself: help, version, user errors without tracebacks."""

import subprocess
import sys

import hwgen
from hwgen.cli import COMMANDS, GROUPS


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
