"""folkabc.corpus.manifest: whether a corpus is current, answered by a few stats when nothing
changed, and by hashing or expanding exactly as before when something did."""

from __future__ import annotations

import json
import os

import pytest

from folkabc.corpus import manifest as M
from folkabc.corpus.build import build_corpus, ensure_default_corpus
from folkabc.corpus.build import is_current as full_is_current

TUNE = "X:1\nT:A\nM:2/4\nL:1/8\nK:G\nGABc|d2d2|\n"


@pytest.fixture()
def folder_corpus(tmp_path):
    src = tmp_path / "tunes"
    src.mkdir()
    (src / "a.abc").write_text(TUNE)
    out = tmp_path / "corpus"
    build_corpus([src], out, quiet=True, workers=1, check=False)
    return src, out


def _no_hashing(*_a, **_k):
    raise AssertionError("the code was hashed although no file changed")


def test_an_untouched_corpus_is_current_without_hashing_the_code(folder_corpus, monkeypatch):
    src, out = folder_corpus
    m = json.loads((out / "manifest.json").read_text())
    assert m["builder_files"]["version"] == m["builder_version"] == M.builder_version()
    assert m["builder_files"]["files"] == M.builder_files() and "corpus/manifest.py" in m["builder_files"]["files"]
    assert m["requested"] == [str(src)] and m["source_stamps"][0][0] == str(src)
    monkeypatch.setattr(M, "builder_version", _no_hashing)
    assert M.is_current(out, sources=[str(src)])


def test_a_touched_code_file_is_hashed_and_compared(folder_corpus, monkeypatch):
    """A code file's time changed: the code is hashed; same hash = current, another hash = stale."""
    _, out = folder_corpus
    real = M.builder_files()
    touched = dict(real, **{"vocab.py": [real["vocab.py"][0], real["vocab.py"][1] + 1]})
    monkeypatch.setattr(M, "builder_files", lambda: touched)
    assert M.is_current(out)  # contents unchanged: the hash agrees
    monkeypatch.setattr(M, "builder_version", lambda: "1+0123456789ab")
    assert not M.is_current(out)  # contents changed: another builder


def test_a_manifest_naming_another_builder_is_stale_even_with_its_files_unchanged(folder_corpus):
    _, out = folder_corpus
    m = json.loads((out / "manifest.json").read_text())
    m["builder_version"] = "0+old"
    (out / "manifest.json").write_text(json.dumps(m))
    assert not M.is_current(out)


def test_a_source_folder_that_changed_makes_the_corpus_stale(folder_corpus):
    src, out = folder_corpus
    assert M.is_current(out)
    (src / "b.abc").write_text(TUNE.replace("T:A", "T:B"))
    assert not M.is_current(out) and not full_is_current(out)


def test_other_source_lists_are_expanded_only_when_asked(folder_corpus, monkeypatch):
    """The list the build was asked for needs no expansion; another list is expanded by the full check."""
    from folkabc.corpus.sources import expand_sources

    src, out = folder_corpus
    assert M.is_current(out, sources=[str(src)], expand=_no_hashing)
    monkeypatch.chdir(src.parent)
    assert not M.is_current(out, sources=["tunes"])  # another list, no expansion given: not known current
    specs = json.loads((out / "manifest.json").read_text())["sources"]
    assert full_is_current(out, sources=["tunes"]) == ([s.spec for s in expand_sources(["tunes"])] == specs)
    assert M.is_current(out, sources=["tunes"], expand=lambda _: specs)
    assert not full_is_current(out, sources=["music21:miscFolk"])


def test_default_corpus_with_changed_sources_is_rebuilt(tmp_path, monkeypatch):
    """The default corpus's music21 folder stamp no longer holds: the next open rebuilds it."""
    from folkabc.corpus import build as build_mod
    from folkabc.corpus.core import Corpus

    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(build_mod, "DEFAULT_SOURCES", ("music21:miscFolk",))
    path = ensure_default_corpus(quiet=True)
    m = json.loads((path / "manifest.json").read_text())
    assert m["source_stamps"][0][0].endswith("miscFolk") and M.is_current(path, sources=("music21:miscFolk",))
    created = os.stat(path / "manifest.json").st_ino
    m["source_stamps"][0][2] -= 1  # as if the collection's folder changed since
    (path / "manifest.json").write_text(json.dumps(m))
    assert not M.is_current(path, sources=("music21:miscFolk",))
    corpus = Corpus.open(None)
    assert os.stat(path / "manifest.json").st_ino != created and M.is_current(corpus.path)
