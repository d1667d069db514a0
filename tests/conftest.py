"""Shared fixtures: paths to the shared real data and to music21's ABC collections."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def _find_shared() -> Path:
    for cand in (SHARED_DATA, ROOT / "shared" / "data"):
        if cand.exists():
            return cand
    pytest.skip("shared/data not found beside the repository")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ``shared/data`` folder (real test data)."""
    return _find_shared()


@pytest.fixture(scope="session")
def folkrnn_examples(shared_data) -> str:
    """Text of ``folkrnn-v2-examples.txt`` (two folk-rnn token blocks)."""
    return (shared_data / "folkrnn-v2-examples.txt").read_text(encoding="utf-8")


def music21_abc_paths(collection: str | None = None) -> list[Path]:
    """The ABC files music21 installs, optionally one collection (e.g. ``oneills1850``)."""
    from music21 import corpus

    paths = sorted(Path(str(p)) for p in corpus.getCorePaths() if str(p).endswith(".abc"))
    if collection:
        paths = [p for p in paths if p.parent.name == collection]
    return paths


def require_tool(name: str) -> str:
    """Path of an external tool; the test fails (not skips) under CI when it is missing."""
    import os

    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (.ci/run must install it)")
        pytest.skip(f"{name} not installed")
    return path
