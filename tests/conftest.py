"""Shared fixtures. Tests that read ../shared/data skip cleanly where it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
SHARED_DATA = Path(os.environ.get("ENGINEROOM_SHARED_DATA", ROOT.parent / "shared" / "data"))

os.environ.setdefault("ENGINEROOM_QUIET", "1")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def shared_dataset(name: str) -> Path:
    """Path of a dataset folder under ../shared/data, or skip the test when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture
def corpus(tmp_path):
    import engineroom

    c = engineroom.open(tmp_path / "test.duckdb")
    yield c
    c.close()
