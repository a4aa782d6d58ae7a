"""Shared fixtures: the repository root, the `spikesim` binary the Python
results are compared with, and a scratch folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def spikesim_binary() -> str | None:
    """``SPIKESIM_BIN``, else ``target/release/spikesim`` of this
    repository, else ``spikesim`` on the PATH."""
    if os.environ.get("SPIKESIM_BIN"):
        return shutil.which(os.environ["SPIKESIM_BIN"])
    built = ROOT / "target" / "release" / "spikesim"
    if built.is_file():
        return str(built)
    return shutil.which("spikesim")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> str:
    found = spikesim_binary()
    if found is None:
        pytest.skip("no spikesim binary (cargo build --release, or set SPIKESIM_BIN)")
    return found


@pytest.fixture(autouse=True)
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Model files name their inputs relative to themselves, but outputs
    # and the models' own paths read best from the repository root.
    monkeypatch.chdir(ROOT)
