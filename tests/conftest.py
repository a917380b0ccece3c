"""Shared fixtures. Real footage lives beside the repository (../shared/footage) and is never copied in:
tests that need it ask for `footage_dir` (or `footage`) and skip cleanly where it is absent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

FOOTAGE_DIR = Path(__file__).resolve().parents[2] / "shared" / "footage"


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    """The shared real clips; skips the test when the folder is not there (e.g. a fresh clone)."""
    if not FOOTAGE_DIR.is_dir():
        pytest.skip(f"real footage not found at {FOOTAGE_DIR}")
    return FOOTAGE_DIR


@pytest.fixture(scope="session")
def footage(footage_dir: Path) -> Callable[[str], Path]:
    """footage("name.mp4") -> its path, skipping the test when that one clip is missing."""

    def get(name: str) -> Path:
        path = footage_dir / name
        if not path.is_file():
            pytest.skip(f"footage clip {name} not found in {footage_dir}")
        return path

    return get
