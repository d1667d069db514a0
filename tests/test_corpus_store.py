"""The corpus store: SQLite + numpy layout, deduplication, manifest, atomic install, the Corpus reader."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from folkabc.corpus.core import Corpus, normalize_mode
from folkabc.corpus.store import (
    Entry,
    StoreWriter,
    builder_version,
    corpus_lock,
    install,
    read_manifest,
    recover,
    temp_build_dir,
    vocabulary_sha256,
)
from folkabc.errors import CorpusError, ParameterError, UnknownTokenError
from folkabc.vocab import VOCAB

JIG = ["M:6/8", "K:Cmaj", "|:", "G", "E", "C", "G", "E", "C", "|", "d", "3", "c", "3", ":|"]
REEL = ["M:4/4", "K:Cdor", "|:", "C", "2", "E", "C", "G", "C", "E", "C", "|", "B,", "2", "D", "B,", ":|"]
WALTZ = ["M:3/4", "K:Cmix", "G", "2", "A", "2", "B", "2", "|", "c", "6", "|"]
HIGH = ["M:4/4", "K:Cmaj", "c''", "2", "|"]


def _write(directory, entries, sources=("demo",)):
    w = StoreWriter(directory)
    added = [w.add(e) for e in entries]
    counts = w.finish(sources=list(sources))
    return added, counts


@pytest.fixture()
def small(tmp_path):
    d = tmp_path / "small"
    entries = [
        Entry("colA", "a.abc X:1", ["The Jig", "Jig Alias"], tokens=JIG, type="jig", key="G", meter_text="6/8",
              abc="X:1\nT:The Jig\n...", check_ok=True, check_json='{"ok": true}'),
        Entry("colA", "a.abc X:2", ["The Reel"], tokens=REEL, type="reel", key="Ddor", meter_text="C"),
        Entry("colB", "b.abc X:5", ["Same Jig Other Name"], tokens=JIG, type="slide", key="D"),  # duplicate
        Entry("colB", "b.abc X:6", ["Too High"], tokens=HIGH, status="oov", reason="pitch c'' outside vocabulary"),
        Entry("colB", "b.abc X:7", ["Broken"], status="error", reason="syntax error: unexpected '#'"),
        Entry("colB", "b.abc X:8", ["Waltz"], tokens=WALTZ, type="waltz", key="Amix", meter_text="3/4"),
    ]
    added, counts = _write(d, entries, sources=["colA", "colB"])
    return d, added, counts


def test_layout_and_counts(small):
    d, added, counts = small
    assert [(a.tune_id, a.duplicate) for a in added] == [(1, False), (2, False), (1, True), (3, False),
                                                          (4, False), (5, False)]
    assert sorted(p.name for p in d.iterdir()) == ["ids.npy", "manifest.json", "offsets.npy",
                                                   "tune_ids.npy", "tunes.sqlite"]
    assert counts["transcriptions"] == 6 and counts["tunes"] == 5 and counts["duplicates"] == 1
    assert counts["rows"] == 3 and counts["tokens"] == len(JIG) + len(REEL) + len(WALTZ)
    assert counts["failures"] == {"pitch c'' outside vocabulary": 1, "syntax error: unexpected '#'": 1}
    assert counts["sources"]["colB"] == {"transcriptions": 4, "tunes": 3, "duplicates": 1, "failures": 2, "rows": 1}


def test_arrays_hold_each_searchable_tune_once_with_end_token(small):
    d, _, _ = small
    ids, offsets, tune_ids = (np.load(d / f) for f in ("ids.npy", "offsets.npy", "tune_ids.npy"))
    assert ids.dtype == np.uint8 and offsets.dtype == np.int64 and tune_ids.dtype == np.int64
    assert tune_ids.tolist() == [1, 2, 5]
    assert offsets.tolist() == [0, len(JIG) + 1, len(JIG) + len(REEL) + 2, len(ids)]
    end = VOCAB.id("</s>")
    for k, toks in enumerate([JIG, REEL, WALTZ]):
        assert VOCAB.decode(ids[offsets[k]:offsets[k + 1]]) == toks + ["</s>"]
    assert (ids == end).sum() == 3


def test_manifest_records_versions_vocabulary_and_sources(small):
    d, _, counts = small
    m = read_manifest(d)
    assert m["format"] == "folkabc-corpus" and m["format_version"] == 1
    assert m["builder_version"] == builder_version()
    assert m["vocabulary_sha256"] == vocabulary_sha256() and m["vocabulary"] == list(VOCAB.tokens)
    assert m["sources"] == ["colA", "colB"] and m["counts"]["tunes"] == counts["tunes"]


def test_sqlite_tables_keep_every_copy_and_title(small):
    d, _, _ = small
    db = sqlite3.connect(d / "tunes.sqlite")
    assert db.execute("SELECT count(*) FROM copies").fetchone()[0] == 6
    assert [r[0] for r in db.execute("SELECT title FROM titles WHERE tune_id = 1 ORDER BY rowid")] == \
        ["The Jig", "Jig Alias", "Same Jig Other Name"]
    assert db.execute("SELECT n_copies, tokens FROM tunes WHERE id = 1").fetchone() == (2, " ".join(JIG))
    assert db.execute("SELECT row, tokens FROM tunes WHERE id = 4").fetchone() == (None, None)


def test_duplicates_are_exact_token_matches_only(tmp_path):
    shifted = JIG[:-1] + ["|"]
    _, counts = _write(tmp_path / "c", [Entry("s", "1", ["A"], tokens=JIG), Entry("s", "2", ["B"], tokens=shifted)])
    assert counts["tunes"] == 2 and counts["duplicates"] == 0


def test_writer_refuses_an_ok_entry_with_unknown_tokens(tmp_path):
    w = StoreWriter(tmp_path / "c")
    with pytest.raises(UnknownTokenError, match="c''"):
        w.add(Entry("s", "1", tokens=HIGH))  # status says ok, tokens say otherwise
    w.abort()


def test_empty_corpus_opens(tmp_path):
    _write(tmp_path / "empty", [Entry("s", "1", status="error", reason="no X: tune in the file")])
    c = Corpus.open(tmp_path / "empty")
    assert (len(c), c.n_rows, len(c.ids), c.offsets.tolist()) == (1, 0, 0, [0])
    assert c.meta_array("meter").shape == (0,) and c.mask(meter="6/8").shape == (0,)
    assert c.info()["failures"] == {"no X: tune in the file": 1}


# ---------------------------------------------------------------- the reader

def test_corpus_lookup_iteration_and_records(small):
    d, _, _ = small
    c = Corpus.open(d)
    assert len(c) == 5 and c.n_rows == 3
    assert [t.id for t in c] == [1, 2, 3, 4, 5]
    jig = c[1]
    assert jig.title == "The Jig" and jig.titles == ["The Jig", "Jig Alias", "Same Jig Other Name"]
    assert [(s["source"], s["ref"]) for s in jig.sources] == [("colA", "a.abc X:1"), ("colB", "b.abc X:5")]
    assert (jig.meter, jig.mode, jig.key, jig.meter_text, jig.type) == ("M:6/8", "K:Cmaj", "G", "6/8", "jig")
    assert jig.tokens == JIG and jig.check == {"ok": True} and jig.check_ok is True and jig.n_copies == 2
    high = c.tune(3)
    assert (high.status, high.row, high.tokens, high.reason) == ("oov", None, HIGH, "pitch c'' outside vocabulary")
    assert c.tune(4).tokens == [] and c.tune(4).status == "error"
    with pytest.raises(CorpusError, match="no tune with id 99"):
        c.tune(99)
    assert json.loads(json.dumps(jig.to_dict()))["tokens"] == " ".join(JIG)


def test_row_access_for_search(small):
    d, _, _ = small
    c = Corpus.open(d)
    assert isinstance(c.ids, np.memmap)
    assert c.row_tokens(1) == REEL and c.row_ids(2).tolist() == VOCAB.encode(WALTZ).tolist()
    assert c.titles_of(0) == ["The Jig", "Jig Alias", "Same Jig Other Name"]
    assert c.tune_at(2).title == "Waltz" and c.row_of(5) == 2 and c.row_of(3) is None
    with pytest.raises(ParameterError, match="row 3 is outside 0..2"):
        c.row_tokens(3)


def test_meta_arrays_and_masks(small):
    d, _, _ = small
    c = Corpus.open(d)
    assert c.meta_array("meter").tolist() == ["M:6/8", "M:4/4", "M:3/4"]
    assert c.meta_array("mode").tolist() == ["K:Cmaj", "K:Cdor", "K:Cmix"]
    assert c.meta_array("source").tolist() == ["colA", "colA", "colB"]
    assert c.mask(meter="6/8").tolist() == [True, False, False]
    assert c.mask(mode="dorian").tolist() == [False, True, False]
    assert c.mask(source="colB").tolist() == [True, False, True]  # the jig has a copy in colB
    assert c.mask(title="alias").tolist() == [True, False, False]
    assert c.mask(type="REEL", meter="M:4/4").tolist() == [False, True, False]
    with pytest.raises(ParameterError, match="meta field 'colour'"):
        c.meta_array("colour")


def test_select_for_listing(small):
    d, _, _ = small
    c = Corpus.open(d)
    assert [t.id for t in c.select()] == [1, 2, 3, 4, 5]
    assert [t.id for t in c.select(title="jig")] == [1]
    assert [t.id for t in c.select(source="colB", status="ok")] == [1, 5]
    assert [t.id for t in c.select(mode="mix")] == [5]
    assert [t.id for t in c.select(limit=2)] == [1, 2]


def test_info_counts(small):
    d, _, _ = small
    info = Corpus.open(d).info()
    assert (info["transcriptions"], info["tunes"], info["searchable"], info["duplicates"]) == (6, 5, 3, 1)
    assert info["tokens"] == len(JIG) + len(REEL) + len(WALTZ)
    assert info["per_meter"] == {"M:6/8": 1, "M:4/4": 1, "M:3/4": 1}
    assert info["per_status"] == {"ok": 3, "error": 1, "oov": 1}
    assert (info["checked"], info["check_ok"]) == (1, 1)


@pytest.mark.parametrize("value, token", [("maj", "K:Cmaj"), ("Cmin", "K:Cmin"), ("K:Cdor", "K:Cdor"),
                                          ("mixolydian", "K:Cmix"), ("minor", "K:Cmin")])
def test_normalize_mode(value, token):
    assert normalize_mode(value) == token


def test_normalize_mode_rejects_other_modes():
    with pytest.raises(ParameterError, match="'lydian' is not one of maj, min, dor or mix"):
        normalize_mode("lydian")


# ---------------------------------------------------------------- opening bad stores

def test_open_refuses_a_folder_that_is_not_a_corpus(tmp_path):
    with pytest.raises(CorpusError, match="not a corpus: no manifest.json"):
        Corpus.open(tmp_path)
    (tmp_path / "manifest.json").write_text("{ nope")
    with pytest.raises(CorpusError, match="manifest.json is not JSON"):
        Corpus.open(tmp_path)


def test_open_refuses_another_vocabulary(small):
    d, _, _ = small
    m = json.loads((d / "manifest.json").read_text())
    m["vocabulary_sha256"] = "0" * 64
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(CorpusError, match="built with another vocabulary"):
        Corpus.open(d)


def test_open_refuses_arrays_of_disagreeing_sizes(small):
    d, _, _ = small
    np.save(d / "tune_ids.npy", np.array([1, 2], dtype=np.int64))
    with pytest.raises(CorpusError, match="corpus arrays disagree in size"):
        Corpus.open(d)


# ---------------------------------------------------------------- atomic install

def test_install_replaces_the_old_corpus_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "corpus"
    _write(target, [Entry("old", "1", ["Old"], tokens=JIG)])
    tmp = temp_build_dir(target)
    _write(tmp, [Entry("new", "1", ["New"], tokens=REEL)])
    install(tmp, target)
    assert Corpus.open(target)[1].title == "New"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # no temp or aside copy left


def test_recover_after_a_build_died_between_its_renames(tmp_path):
    target = tmp_path / "corpus"
    _write(target, [Entry("old", "1", ["Old"], tokens=JIG)])
    # the state a build leaves if killed right after renaming the old corpus aside
    target.rename(tmp_path / ".corpus.old")
    stale = temp_build_dir(target)
    (stale / "junk").write_text("half a build")
    c = Corpus.open(target)  # opening puts the old corpus back
    assert c[1].title == "Old"
    assert not stale.exists() and not (tmp_path / ".corpus.old").exists()


def test_recover_drops_the_old_copy_once_the_new_one_is_in_place(tmp_path):
    target = tmp_path / "corpus"
    _write(target, [Entry("new", "1", ["New"], tokens=JIG)])
    _write(tmp_path / ".corpus.old", [Entry("old", "1", ["Old"], tokens=JIG)])
    with corpus_lock(target):
        assert recover(target) is False
    assert not (tmp_path / ".corpus.old").exists() and Corpus.open(target)[1].title == "New"


def test_install_never_replaces_a_folder_that_is_not_a_corpus(tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.tex").write_text("years of work")
    tmp = temp_build_dir(target)
    _write(tmp, [Entry("new", "1", ["New"], tokens=JIG)])
    with pytest.raises(CorpusError, match="not a corpus"):
        install(tmp, target)
    assert (target / "thesis.tex").read_text() == "years of work"


def test_lock_times_out_while_another_holder_has_it(tmp_path):
    import multiprocessing as mp

    target = tmp_path / "corpus"
    ctx = mp.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()

    def hold():
        with corpus_lock(target):
            ready.set()
            release.wait(10)

    p = ctx.Process(target=hold)
    p.start()
    try:
        assert ready.wait(10)
        with pytest.raises(CorpusError, match="another process is building this corpus"):
            with corpus_lock(target, timeout=0.3):
                pass
    finally:
        release.set()
        p.join(10)
    with corpus_lock(target, timeout=1):  # free again once the holder is gone
        pass


def test_a_corpus_of_an_older_format_is_refused_on_open_but_can_be_replaced(tmp_path):
    target = tmp_path / "corpus"
    _write(target, [Entry("old", "1", ["Old"], tokens=JIG)])
    m = json.loads((target / "manifest.json").read_text())
    m["format_version"] = 0
    (target / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(CorpusError, match="corpus format version 0 is not 1; rebuild it"):
        Corpus.open(target)
    tmp = temp_build_dir(target)
    _write(tmp, [Entry("new", "1", ["New"], tokens=REEL)])
    install(tmp, target)
    assert Corpus.open(target)[1].title == "New"


def test_title_filter_takes_percent_and_underscore_literally():
    """``--title`` matches text, not SQL LIKE patterns (``_`` and ``%`` are not wildcards)."""
    from folkabc.corpus.core import _example_corpus

    c = _example_corpus()
    assert [t.title for t in c.select(title="une A")] == ["Tune A"]
    assert c.select(title="Tune_A") == [] and c.select(title="%A") == []
    assert not c.mask(title="Tune_A").any() and c.mask(title="une A").sum() == 1
