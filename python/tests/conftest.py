"""Shared by the tests: the test data folder and feeding helpers."""

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def shared_data(relative: str) -> pathlib.Path | None:
    """The shared test data folder `relative`, from ARGSTREAM_TESTDATA
    (default ../shared/data from the repository root), or None if absent."""
    root = pathlib.Path(os.environ.get("ARGSTREAM_TESTDATA", REPO.parent / "shared" / "data"))
    path = root / relative
    return path if path.exists() else None


def require_testdata(relative: str) -> pathlib.Path:
    """The folder, or a skip that says which folder is missing and why."""
    path = shared_data(relative)
    if path is None:
        pytest.skip(
            f"test data {relative!r} not found under ARGSTREAM_TESTDATA "
            f"(default {REPO.parent / 'shared' / 'data'}): set it to the shared data folder"
        )
    return path
