"""Corpus source readers: music21 collections, thesession dumps, ABC files and folders, token files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import music21_abc_paths
from folkabc.corpus.sources import (
    MUSIC21_COLLECTIONS,
    expand_sources,
    open_source,
    session_abc_header,
    session_mode_to_key,
)
from folkabc.corpus.download import THESESSION, THESESSION_NOTICE
from folkabc.errors import CorpusError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def session_csv(shared_data):
    return shared_data / "thesession-sample.csv"


def test_music21_collections_are_all_found_with_their_files():
    for name in MUSIC21_COLLECTIONS:
        src = open_source(f"music21:{name}")
        assert src.name == name and src.kind == "abc"
        assert [p.name for p in src.paths] == [p.name for p in music21_abc_paths(name)]
    assert len(open_source("music21:ryansMammoth")) == 1059
    # a bare collection name works too
    assert open_source("airdsAirs").paths == open_source("music21:airdsAirs").paths


def test_default_expands_to_the_five_collections_in_order():
    assert [s.name for s in expand_sources("default")] == list(MUSIC21_COLLECTIONS)
    assert sum(len(s) for s in expand_sources(["default"])) == 39 + 1059 + 6 + 31 + 2  # .abc files


def test_music21_items_hold_every_x_tune():
    src = open_source("music21:airdsAirs")
    items = list(src.items())
    assert [it.ref for it in items] == [f"book{k}.abc" for k in range(1, 7)]
    n_x = sum(1 for it in items for ln in it.text.splitlines() if ln.startswith("X:"))
    assert n_x == 1180


def test_thesession_csv_gives_15_settings_with_names_types_and_ids(session_csv):
    src = open_source(session_csv)
    assert (src.name, src.kind) == ("thesession", "session-csv")
    items = list(src.items())
    assert len(items) == 15
    first = items[0]
    assert first.meta == {"tune_id": "15326", "setting_id": "28560", "name": "'S Ann An Ìle",
                          "type": "strathspey", "meter": "4/4", "mode": "Gmajor",
                          "license": THESESSION_NOTICE}
    assert "ODbL" in first.meta["license"] and all(it.meta["license"] == THESESSION_NOTICE for it in items)
    assert first.ref == "tune 15326 setting 28560"
    assert first.text.startswith("X:1\nT:'S Ann An Ìle\nR:strathspey\nM:4/4\nL:1/8\nK:Gmaj\n|:G>A B>G")
    assert [it.meta["setting_id"] for it in items][-3:] == ["38079", "30395", "9294"]
    assert {it.meta["type"] for it in items} == {"strathspey", "reel", "polka", "slip jig", "jig", "waltz"}
    by_setting = {it.meta["setting_id"]: it for it in items}
    assert by_setting["46394"].text.splitlines()[2:6] == ["R:slip jig", "M:9/8", "L:1/8", "K:Ador"]
    assert "K:Amix" in by_setting["18649"].text


def test_thesession_json_reads_the_same_settings_as_csv(session_csv, tmp_path):
    with open(session_csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / "tunes.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    from_json = [(it.meta, it.text) for it in open_source(path).items()]
    from_csv = [(it.meta, it.text) for it in open_source(session_csv).items()]
    assert from_json == from_csv


def test_thesession_json_streams_objects_across_chunk_boundaries(session_csv, tmp_path):
    from folkabc.corpus import sources

    with open(session_csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / "tunes.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    with open(path, encoding="utf-8") as fh:
        objs = list(sources._iter_json_array(fh, path, chunk=37))  # tiny chunks: every object spans several
    assert objs == rows


@pytest.mark.parametrize("mode, key", [
    ("Gmajor", "Gmaj"), ("Bminor", "Bmin"), ("Edorian", "Edor"), ("Amixolydian", "Amix"),
    ("F#minor", "F#min"), ("Bbmajor", "Bbmaj"), ("Dlydian", "Dlyd"), ("Ephrygian", "Ephr"),
    ("Aaeolian", "Amin"), ("D", "Dmaj"), ("Em", "Emin"), ("Ebm", "Ebmin"),
])
def test_session_mode_to_key(mode, key):
    assert session_mode_to_key(mode) == key


def test_session_header_without_type():
    assert session_abc_header({"name": "X", "meter": "6/8", "mode": "Dmajor"}).splitlines() == \
        ["X:1", "T:X", "M:6/8", "L:1/8", "K:Dmaj"]


def test_bad_mode_is_a_row_failure_not_a_file_error(tmp_path):
    path = tmp_path / "tunes.csv"
    path.write_text("tune_id,setting_id,name,type,meter,mode,abc\n1,2,Odd,reel,4/4,Hsomething,ABcd|\n"
                    "3,4,Fine,reel,4/4,Dmajor,ABcd|\n", encoding="utf-8")
    items = list(open_source(path).items())
    assert len(items) == 2
    assert "mode 'Hsomething'" in items[0].meta["error"] and "row" in items[0].meta["error"]
    assert "error" not in items[1].meta


def test_folder_source_reads_abc_files_recursively_in_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.abc").write_text("X:1\nT:Two\nK:G\nGABc|\n")
    (tmp_path / "one.ABC").write_text("X:1\nT:One\nK:D\nDEFG|\n")
    (tmp_path / "notes.txt").write_text("not read")
    src = open_source(tmp_path)
    assert src.kind == "abc" and src.name == tmp_path.name
    assert [it.ref for it in src.items()] == ["b/two.abc", "one.ABC"]


def test_single_abc_file_without_abc_suffix_is_sniffed(tmp_path):
    path = tmp_path / "tunes.txt"
    path.write_text("% a tune book\n\nX:7\nT:Seven\nK:G\nGABc|\n")
    src = open_source(path)
    assert (src.kind, src.name) == ("abc", "tunes")


def test_folkrnn_token_file_is_recognised(shared_data):
    src = open_source(shared_data / "folkrnn-v2-examples.txt")
    assert (src.kind, src.name) == ("folkrnn", "folkrnn-v2-examples")


# ---------------------------------------------------------------- bad input

def test_unreadable_path_names_the_path():
    with pytest.raises(CorpusError, match=r"^/no/such/place: cannot read: no such file or folder$"):
        open_source("/no/such/place")


def test_unknown_collection():
    with pytest.raises(CorpusError, match="unknown music21 collection 'bach'"):
        open_source("music21:bach")


def test_csv_with_missing_columns_names_them(tmp_path):
    path = tmp_path / "tunes.csv"
    path.write_text("tune_id,name,abc\n1,A,ABC|\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"tunes.csv: not a thesession dump: missing column\(s\) "
                                          r"setting_id, type, meter, mode"):
        list(open_source(path).items())


def test_json_that_is_not_a_list(tmp_path):
    path = tmp_path / "tunes.json"
    path.write_text('{"tune_id": 1}', encoding="utf-8")
    with pytest.raises(CorpusError, match="JSON is not a list of settings"):
        list(open_source(path).items())


def test_truncated_json(session_csv, tmp_path):
    with open(session_csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / "tunes.json"
    path.write_text(json.dumps(rows)[:-40], encoding="utf-8")
    with pytest.raises(CorpusError, match="bad JSON"):
        list(open_source(path).items())


def test_json_that_is_not_utf8_is_a_corpus_error(tmp_path):
    path = tmp_path / "tunes.json"
    row = {"tune_id": "1", "setting_id": "2", "name": "Caf\xe9", "type": "jig", "meter": "6/8",
           "mode": "Gmajor", "abc": "GAB"}
    path.write_bytes(json.dumps([row], ensure_ascii=False).encode("latin-1"))
    with pytest.raises(CorpusError, match="not UTF-8 text") as info:
        list(open_source(path).items())
    assert info.value.path == str(path)


def test_non_abc_text_file(tmp_path):
    path = tmp_path / "readme.txt"
    path.write_text("Just some words.\nNo tunes here.\n")
    with pytest.raises(CorpusError, match="readme.txt: not a corpus source: no ABC tune"):
        open_source(path)


def test_binary_file(tmp_path):
    path = tmp_path / "image.abc"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CorpusError, match="binary file"):
        open_source(path)


def test_folder_without_abc_files(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(CorpusError, match="the folder holds no .abc files"):
        open_source(tmp_path)


def test_html_entities_of_the_dump_are_decoded(tmp_path):
    path = tmp_path / "tunes.csv"
    path.write_text("tune_id,setting_id,name,type,meter,mode,abc\n"
                    "1,2,Tom &amp; Jerry&#039;s,hornpipe,4/4,Gmajor,G&gt;A B&lt;c|\n", encoding="utf-8")
    [item] = open_source(path).items()
    assert item.meta["name"] == "Tom & Jerry's" and item.text.endswith("K:Gmaj\nG>A B<c|\n")


def test_essen_items_get_their_line_end_bar_lines_back():
    """Only Essen drops the bar line at its line ends; the builder restores it there (a bar that
    is full at the line end), so Halewyn's bars all count in the corpus."""
    from folkabc.corpus.build import convert_item

    assert open_source("music21:essenFolksong").line_bars is True
    assert not any(open_source(f"music21:{n}").line_bars for n in ("oneills1850", "ryansMammoth", "miscFolk"))
    item = next(open_source("music21:essenFolksong").items())
    assert item.ref == "altdeu10.abc" and item.line_bars
    halewyn = [e for e in convert_item(item) if e.ref == "altdeu10.abc X:9"][0]
    assert halewyn.check_ok is True
    assert " ".join(halewyn.tokens[14:30]) == "D 2 C 2 _B, 2 | A, 6 | C 2 _B, 2 A, 2"
    plain = item.__class__(item.source, item.ref, "abc", item.text)  # the same text, read as ABC says
    assert [e for e in convert_item(plain) if e.ref == "altdeu10.abc X:9"][0].check_ok is False


def test_token_files_in_either_layout_are_corpus_sources(tmp_path):
    """One sniffer (validate.is_token_file) decides, for the corpus as for check/score/novelty:
    three-line blocks and one-line tunes are token files; ABC without X: is not."""
    three = tmp_path / "three.txt"
    three.write_text("M:4/4\nK:Cmaj\nC D E F |\n\nM:6/8\nK:Cmin\nC 6 |\n", encoding="utf-8")
    one = tmp_path / "one.txt"
    one.write_text("M:4/4 K:Cmaj C D E F |\nM:6/8 K:Cmin C 6 |\n", encoding="utf-8")
    for path in (three, one):
        src = open_source(str(path))
        assert src.kind == "folkrnn"
        assert [it.tokens for it in src.items()] == [["M:4/4", "K:Cmaj", "C", "D", "E", "F", "|"],
                                                     ["M:6/8", "K:Cmin", "C", "6", "|"]]
    abc = tmp_path / "abc.txt"
    abc.write_text("M:4/4\nK:Cmaj\nCDEF|\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="not a corpus source"):
        open_source(str(abc))


def test_essen_titles_decoded_in_their_real_encoding():
    """Essen's DOS-typed files (ü = 0x81, saved through Latin-1) read with real letters: no C1
    control character is left in any title, and the known titles read right (issue 19)."""
    import re

    from folkabc.abc import split_tunes

    titles = []
    for item in open_source("music21:essenFolksong").items():
        titles += [t.title or "" for t in split_tunes(item.text)]
    assert len(titles) > 8000
    assert [t for t in titles if re.search("[\x80-\x9f]", t)] == []
    for want in ("Die Saufbrüder (210), S. 461", "Die Flucht nach Ägypten (Band 1)"):
        assert any(t.startswith(want[:20]) and want in t for t in titles), want
    assert any("Schloß in Östreich" in t for t in titles)


# ------------------------------------------------------------------ thesession download (issue 19)


def test_thesession_without_network_fails_with_one_line(tmp_path, monkeypatch):
    """This machine has no network: the real download code fails with one line naming the URL."""
    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path))
    with pytest.raises(CorpusError) as e:
        open_source("thesession")
    msg = str(e.value)
    assert "\n" not in msg and THESESSION.url in msg and "give the file's path instead" in msg
    assert list((tmp_path / "downloads").glob("*")) == []  # nothing half-written left


def test_thesession_cli_without_network_is_one_line(tmp_path, monkeypatch, capsys):
    from folkabc.cli import main

    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path))
    assert main(["corpus", "build", "thesession", "-o", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot download" in err[0]


@pytest.fixture
def local_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tests/data (thesession-sample.csv)."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(DATA))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_caches_with_a_checksum_and_reads_the_rows(local_server, tmp_path):
    import hashlib

    from folkabc.corpus.download import Download, fetch
    from folkabc.corpus.sources import Source

    item = Download(f"{local_server}/thesession-sample.csv", "thesession-tunes.csv")
    path = fetch(item, folder=tmp_path, quiet=True)
    want = hashlib.sha256((DATA / "thesession-sample.csv").read_bytes()).hexdigest()
    assert path.read_bytes() == (DATA / "thesession-sample.csv").read_bytes()
    assert (tmp_path / "thesession-tunes.csv.sha256").read_text().split()[0] == want
    # the cache answers without the server; a corrupted copy is fetched again
    bad = Download("http://127.0.0.1:1/gone.csv", "thesession-tunes.csv")
    assert fetch(bad, folder=tmp_path) == path
    path.write_bytes(b"tune_id,setting_id\n")
    with pytest.raises(CorpusError, match="no network"):
        fetch(bad, folder=tmp_path)
    assert fetch(item, folder=tmp_path).read_bytes() == (DATA / "thesession-sample.csv").read_bytes()
    items = list(Source("thesession", "thesession", "session-csv", [path]).items())
    assert len(items) == 15 and items[0].meta["license"] == THESESSION_NOTICE
    with pytest.raises(CorpusError, match="answered 404"):
        fetch(Download(f"{local_server}/missing.csv", "m.csv"), folder=tmp_path)
    assert not (tmp_path / "m.csv").exists()


# ------------------------------------------------------------------ pyabc2's collections (issue 19)


@pytest.mark.parametrize("spec, host", [("pyabc2:hardy:session", "pghardy.net"), ("pyabc2:norbeck", "norbeck.nu"),
                                        ("pyabc2:eskin:kss", "michaeleskin.com")])
def test_pyabc2_source_without_network_fails_with_one_line(spec, host, tmp_path, monkeypatch):
    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path))
    with pytest.raises(CorpusError) as e:
        open_source(spec)
    msg = str(e.value)
    assert "\n" not in msg and "cannot fetch pyabc2's" in msg and host in msg
    assert list(tmp_path.rglob("*.abc")) == []  # nothing cached from a failed fetch


def test_pyabc2_unknown_collection_or_book():
    with pytest.raises(CorpusError, match="choose one of norbeck, bill_black, hardy, eskin"):
        open_source("pyabc2:nobody")
    with pytest.raises(CorpusError, match="its books: session"):
        open_source("pyabc2:hardy:nothing")


def test_pyabc2_norbeck_rows_read_from_the_cache(tmp_path, monkeypatch):
    """Real Norbeck tunes (the two pyabc2 ships as examples) in the cache file pyabc2:norbeck
    is stored as: the source reads them as ABC, without the network."""
    from pyabc2.sources import examples

    from folkabc.abc import split_tunes
    from folkabc.corpus.download import downloads_dir, join_tunes, store
    from folkabc.tokens import tokenize

    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path))
    store(downloads_dir() / "pyabc2-norbeck.abc", join_tunes(list(examples.values())))
    src = open_source("pyabc2:norbeck")
    assert src.name == "norbeck" and src.kind == "abc"
    (item,) = list(src.items())
    titles = [t.title for t in split_tunes(item.text)]
    assert len(titles) == 2 and all(titles)
    tunes = tokenize(item.text)
    assert all(t.error is None and len(t.tokens) > 20 for t in tunes)
