"""The `hwgen` command itself: help, version, user errors without tracebacks."""

import subprocess
import sys

import hwgen


def run(*args):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True)


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"hwgen {hwgen.__version__}"


def test_help_lists_groups():
    r = run("--help")
    assert r.returncode == 0
    for group in ("data", "sim", "build", "demo"):
        assert group in r.stdout


def test_unknown_command_fails():
    r = run("no-such-command")
    assert r.returncode != 0
