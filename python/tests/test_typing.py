"""The stubs agree with the module (mypy's stubtest), and the example type
checks against them. Skipped, saying so, where mypy is not installed."""

import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("mypy", reason="mypy is not installed: pip install mypy to check the stubs")

EXAMPLE = pathlib.Path(__file__).parents[1] / "examples" / "voice_interface.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=300)


def test_the_stubs_match_the_module():
    checked = run("mypy.stubtest", "argstream")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_example_type_checks_strictly():
    checked = run("mypy", "--strict", "--no-incremental", str(EXAMPLE))
    assert checked.returncode == 0, checked.stdout + checked.stderr
