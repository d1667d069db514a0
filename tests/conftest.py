"""Shared fixtures: paths to the real test data (``tests/data``) and to music21's ABC collections."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Real test data kept in the repository (copied from the project's shared data with its licence
#: notes, so a user's clone runs the whole suite).
TEST_DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ``tests/data`` folder (real test data; see its README for sources and licences)."""
    return TEST_DATA


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


@pytest.fixture(scope="session")
def oneills_corpus(tmp_path_factory):
    """O'Neill's 1850 (music21), built once per test process into a corpus with its search index."""
    from folkabc.corpus import Corpus
    from folkabc.corpus.build import build_corpus

    out = tmp_path_factory.mktemp("oneills") / "corpus"
    build_corpus(["music21:oneills1850"], out, quiet=True, workers=1)
    return Corpus.open(out)
