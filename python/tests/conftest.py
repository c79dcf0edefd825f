"""Shared by the tests: the test data folder and feeding helpers."""

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def data_root() -> pathlib.Path:
    return pathlib.Path(os.environ.get("ARGSTREAM_TESTDATA", REPO.parent / "shared" / "data"))


def shared_data(relative: str) -> pathlib.Path | None:
    """The shared test data folder `relative`, from ARGSTREAM_TESTDATA
    (default ../shared/data from the repository root), or None if absent."""
    path = data_root() / relative
    return path if path.exists() else None


def require_testdata(relative: str) -> pathlib.Path:
    """The folder. When it is absent: under CI (the environment variable CI
    set and not empty) the test fails, naming the path, since a green run
    that read no corpus would prove nothing; elsewhere it skips, saying which
    folder is missing and why."""
    path = shared_data(relative)
    if path is None:
        message = (
            f"test data {str(data_root() / relative)!r} not found: set ARGSTREAM_TESTDATA "
            f"to the shared data folder (default: ../shared/data from the repository root)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set, so a missing corpus fails")
        pytest.skip(message)
    return path
