"""Ill-formed input to search and novelty: a clear FolkabcError naming where, never a traceback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from folkabc.cli import main
from folkabc.errors import IndexFileError, ParameterError, UnknownTokenError
from folkabc.search import SuffixIndex, encode_tunes, novelty_index, parse_query, search_index
from folkabc.search.query import parse_meter, parse_mode, parse_same_position
from folkabc.vocab import VOCAB

TUNES = [["M:4/4", "K:Cmaj", "G,", "C", "C", "2", "G,", "C", "E", "C", "|"],
         ["M:6/8", "K:Cdor", "C", "D", "E", "C", "D", "E", "|"]]


@pytest.fixture()
def index():
    return SuffixIndex.build(*encode_tunes(TUNES))


@pytest.fixture()
def saved(index, tmp_path):
    index.save(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- queries

def test_unknown_token_names_token_and_position():
    with pytest.raises(UnknownTokenError) as err:
        parse_query("G, C C 2 c''")  # token-shaped, but c'' is outside the vocabulary
    assert err.value.token == "c''" and err.value.position == 4
    assert "c''" in str(err.value) and "token 4" in str(err.value)


def test_unknown_token_in_token_list(index):
    with pytest.raises(UnknownTokenError) as err:
        search_index(index, ["G,", "C", "H"])
    assert err.value.token == "H" and err.value.position == 2


@pytest.mark.parametrize("query", ["", "   ", "\n"])
def test_empty_query(query):
    with pytest.raises(ParameterError, match="empty query"):
        parse_query(query)


def test_query_with_end_marker_is_refused(index):
    with pytest.raises(ParameterError, match="start/end markers"):
        parse_query("C </s> D")
    with pytest.raises(ParameterError, match="end of a tune"):
        index.find(VOCAB.encode(["C", "</s>"]))


def test_abc_query_outside_vocabulary():
    with pytest.raises(UnknownTokenError) as err:
        parse_query("G,CC2 c''")  # ABC: the octave above c' has no token
    assert err.value.token == "c''" and err.value.position == 4


def test_query_with_header_field_is_refused():
    with pytest.raises(ParameterError, match="notes only"):
        parse_query("K:G\nDGG2")


@pytest.mark.parametrize("value", ["x", "1:", ":3", "-1", "1:2:3", "one"])
def test_bad_same_position(value):
    with pytest.raises(ParameterError, match="BAR:OFFSET") as err:
        parse_same_position(value)
    assert repr(value) in str(err.value)


def test_bad_meter_and_mode_name_value_and_choices():
    with pytest.raises(ParameterError, match=r"meter '5/4'.*choose from 4/4, 6/8"):
        parse_meter("5/4")
    with pytest.raises(ParameterError, match=r"mode 'lydian'.*maj, min, dor or mix"):
        parse_mode("lydian")


@pytest.mark.parametrize("limit", [-1, 1.5, "3"])
def test_bad_limit(index, limit):
    with pytest.raises(ParameterError, match="limit"):
        search_index(index, "C D", limit=limit)


def test_query_ids_must_be_ids(index):
    with pytest.raises(ParameterError, match="1-d"):
        index.find(np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(ParameterError, match="0..255"):
        index.find(np.array([300]))


# ---------------------------------------------------------------- building

def test_build_refuses_wrong_layout():
    ids, offsets = encode_tunes(TUNES)
    with pytest.raises(ParameterError, match="uint8"):
        SuffixIndex.build(ids.astype(np.int64), offsets)
    with pytest.raises(ParameterError, match="run from 0 to len"):
        SuffixIndex.build(ids, offsets[:-1])
    with pytest.raises(ParameterError, match="tune row 0 does not end with </s>"):
        SuffixIndex.build(ids, np.array([0, 5, len(ids)]))


def test_encode_tunes_names_tune_and_position():
    with pytest.raises(UnknownTokenError) as err:
        encode_tunes([TUNES[0], ["M:4/4", "K:Cmaj", "C", "^^F"]])
    assert err.value.tune == 2 and err.value.position == 3 and err.value.token == "^^F"


# ---------------------------------------------------------------- index files

def test_missing_index(tmp_path):
    with pytest.raises(IndexFileError, match="search.json missing") as err:
        SuffixIndex.load(tmp_path)
    assert str(tmp_path) in str(err.value)


def test_missing_array_names_file(saved):
    (saved / "sa.npy").unlink()
    with pytest.raises(IndexFileError, match="missing index file") as err:
        SuffixIndex.load(saved)
    assert "sa.npy" in str(err.value)


def test_truncated_array_names_file(saved):
    np.save(saved / "bars.npy", np.zeros(3, dtype=np.uint16))
    with pytest.raises(IndexFileError, match="expected") as err:
        SuffixIndex.load(saved)
    assert "bars.npy" in str(err.value)


def test_garbage_array_names_file(saved):
    (saved / "sa.npy").write_bytes(b"not a numpy file at all")
    with pytest.raises(IndexFileError, match="unreadable index file") as err:
        SuffixIndex.load(saved)
    assert "sa.npy" in str(err.value)


def test_pickled_object_array_is_refused(saved):
    np.save(saved / "sa.npy", np.array([object()] * 3, dtype=object), allow_pickle=True)
    with pytest.raises(IndexFileError, match="sa.npy"):
        SuffixIndex.load(saved, mmap=False)


@pytest.mark.parametrize("meta,match", [
    ({"format": "other", "version": 1}, "not a folkabc-suffix-index"),
    ({"format": "folkabc-suffix-index", "version": 99}, "index version 99"),
])
def test_wrong_format_or_version(saved, meta, match):
    (saved / "search.json").write_text(json.dumps(meta))
    with pytest.raises(IndexFileError, match=match):
        SuffixIndex.load(saved)


def test_corrupt_meta(saved):
    (saved / "search.json").write_text("{not json")
    with pytest.raises(IndexFileError, match="unreadable") as err:
        SuffixIndex.load(saved)
    assert "search.json" in str(err.value)


# ---------------------------------------------------------------- novelty

@pytest.mark.parametrize("kw,match", [({"k": 0}, "k must be"), ({"max_tunes": 0}, "max_tunes")])
def test_novelty_bad_options(index, kw, match):
    with pytest.raises(ParameterError, match=match):
        novelty_index(index, TUNES[0], **kw)


def test_novelty_needs_meter_and_mode(index):
    with pytest.raises(ParameterError, match="meter and mode"):
        novelty_index(index, ["G,", "C", "C"])


def test_novelty_out_of_vocabulary_tokens_warn_and_never_match(index):
    rep = novelty_index(index, ["M:4/4", "K:Cmaj", "G,", "C", "^^F", "C", "2", "|"], k=2)
    assert rep.warnings and "'^^F' at 4" in rep.warnings[0]
    assert rep.longest.length == 2  # "G, C" or "C 2", never across ^^F
    assert [b.tunes for b in rep.bars] == [0]


# ---------------------------------------------------------------- CLI: one line, exit 2

@pytest.mark.parametrize("argv,needle", [
    (["search", "G, C ^^F", "--corpus", "{d}"], "unknown token '^^F'"),
    (["search", "G,C#", "--corpus", "{d}"], "column 4: query 'G,C#': unexpected character '#'"),
    (["search", "G, C", "--same-position", "x", "--corpus", "{d}"], "BAR:OFFSET"),
    (["search", "G, C", "--limit", "-2", "--corpus", "{d}"], "--limit"),
    (["search", "G, C", "--mode", "lydian", "--corpus", "{d}"], "mode 'lydian'"),
    (["search", "G, C", "--corpus", "{d}/nowhere"], "nowhere"),
    (["novelty", "{d}/missing.abc", "--corpus", "{d}"], "missing.abc"),
])
def test_cli_errors_are_one_line(argv, needle, tmp_path, capsys):
    from folkabc.corpus.store import Entry, StoreWriter

    d = tmp_path / "c"
    w = StoreWriter(d)
    for k, t in enumerate(TUNES):
        w.add(Entry("demo", f"t{k}", [f"T{k}"], tokens=t))
    w.finish(sources=["demo"])
    SuffixIndex.build(np.load(d / "ids.npy"), np.load(d / "offsets.npy")).save(d)
    code = main([a.replace("{d}", str(d)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


def test_a_damaged_suffix_array_of_the_right_size_is_refused(tmp_path):
    """Zeroing part of sa.npy keeps its size and dtype; the SHA-256 recorded by save catches it, so
    searches never run on a damaged index (they would return wrong counts silently)."""
    from folkabc.errors import IndexFileError
    from folkabc.search.index import SuffixIndex, encode_tunes
    from folkabc.vocab import VOCAB

    ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C", "|"], ["M:6/8", "K:Cmin", "D", "C", "|"]])
    SuffixIndex.build(ids, offsets).save(tmp_path)
    assert SuffixIndex.load(tmp_path).count(VOCAB.encode(["C"])) == 3
    sa = np.load(tmp_path / "sa.npy")
    sa[:4] = 0
    np.save(tmp_path / "sa.npy", sa)
    with pytest.raises(IndexFileError, match="differ from the SHA-256 recorded") as e:
        SuffixIndex.load(tmp_path)
    assert e.value.path.endswith("sa.npy")
    assert SuffixIndex.load(tmp_path, verify=False).n_tunes == 2  # a big index skips the check on request
