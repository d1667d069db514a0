"""Building corpora from real sources, the default corpus, export, and the ``folkabc corpus`` CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import music21_abc_paths
from folkabc.cli import main
from folkabc.corpus import Corpus, build_corpus
from folkabc.corpus.build import DEFAULT_SOURCES, convert_item, ensure_default_corpus, is_current
from folkabc.corpus.sources import SourceItem
from folkabc.corpus.store import builder_version
from folkabc.tokens import read_folkrnn, tokenize
from folkabc.vocab import VOCAB

CLI = [sys.executable, "-c", "import sys; from folkabc.cli import main; sys.exit(main())"]

SESSION_SETTINGS = [  # (tune_id, setting_id, name, type) of thesession-sample.csv, in file order
    ("15326", "28560", "'S Ann An Ìle", "strathspey"), ("15326", "28582", "'S Ann An Ìle", "strathspey"),
    ("14625", "26955", "'S Daor An Tabac", "reel"), ("5478", "5478", "'S Iomadh Rud A Chunnaic Mi", "reel"),
    ("5478", "55492", "'S Iomadh Rud A Chunnaic Mi", "reel"), ("5399", "5399", "#", "polka"),
    ("18105", "35234", "$150 Boot, The", "polka"), ("22859", "46394", "10-Na", "slip jig"),
    ("13684", "43688", "100 Watt Reels", "reel"), ("7078", "18649", "10th Bat Crossing Rhine", "jig"),
    ("7078", "7078", "10th Bat Crossing Rhine", "jig"), ("16173", "31268", "15th Scottish Division", "waltz"),
    ("19336", "38079", "101 To Dublin", "waltz"), ("16123", "30395", "1921", "reel"),
    ("9294", "9294", "18-6 Two Step", "jig"),
]


@pytest.fixture(scope="module")
def session_corpus(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("session") / "corpus"
    report = build_corpus([shared_data / "thesession-sample.csv"], out, workers=1, quiet=True)
    return report, Corpus.open(out)


@pytest.fixture(scope="module")
def misc_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("misc") / "corpus"
    report = build_corpus(["music21:miscFolk"], out, quiet=True)
    return report, Corpus.open(out)


def _x_count(paths) -> int:
    return sum(1 for p in paths for ln in p.read_text(encoding="utf-8").splitlines() if ln.startswith("X:"))


# ---------------------------------------------------------------- thesession dump

def test_thesession_sample_gives_15_settings_with_names_types_and_ids(session_corpus):
    report, corpus = session_corpus
    assert report.counts["transcriptions"] == 15
    copies = [s for t in corpus for s in t.sources]
    got = [(s["meta"]["tune_id"], s["meta"]["setting_id"], s["title"], s["type"]) for s in copies]
    assert sorted(got) == sorted(SESSION_SETTINGS)
    assert all(s["source"] == "thesession" and s["ref"] == f"tune {s['meta']['tune_id']} setting "
               f"{s['meta']['setting_id']}" for s in copies)


def test_thesession_settings_are_tokenised_transposed_and_checked(session_corpus):
    report, corpus = session_corpus
    c = report.counts
    assert c["tunes"] + c["duplicates"] == 15 and c["rows"] + sum(c["failures"].values()) == c["tunes"]
    by_setting = {t.sources[0]["meta"]["setting_id"]: t for t in corpus}
    slip = by_setting["46394"]  # 10-Na, slip jig in A dorian
    assert (slip.meter, slip.mode, slip.key, slip.type) == ("M:9/8", "K:Cdor", "Ador", "slip jig")
    assert slip.tokens == tokenize(slip.abc)[0].tokens and slip.row is not None
    assert slip.check is not None and slip.check["meter"] == "M:9/8"
    assert by_setting["18649"].mode == "K:Cmix" and by_setting["26955"].mode == "K:Cmin"


def test_thesession_json_dump_builds_the_same_corpus_as_the_csv(shared_data, session_corpus, tmp_path):
    import csv

    _, from_csv = session_corpus
    with open(shared_data / "thesession-sample.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:  # the JSON dump has numbers where the CSV has text
        r["tune_id"], r["setting_id"] = int(r["tune_id"]), int(r["setting_id"])
    (tmp_path / "tunes.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    build_corpus([tmp_path / "tunes.json"], tmp_path / "c", workers=1, quiet=True)
    from_json = Corpus.open(tmp_path / "c")
    assert [(t.titles, t.tokens, t.sources[0]["meta"]) for t in from_json] == \
        [(t.titles, t.tokens, t.sources[0]["meta"]) for t in from_csv]


# ---------------------------------------------------------------- music21 collections

def test_music21_collection_counts_add_up(misc_corpus):
    report, corpus = misc_corpus
    c = report.counts
    assert c["transcriptions"] == _x_count(music21_abc_paths("miscFolk")) == 185
    assert c["tunes"] + c["duplicates"] == 185 and len(corpus) == c["tunes"]
    assert c["rows"] == corpus.n_rows and c["rows"] + sum(c["failures"].values()) == c["tunes"]
    assert c["status"]["ok"] == c["rows"]
    assert len(corpus.ids) == c["tokens"] + c["rows"]  # every row ends with </s>


def test_stored_tunes_match_a_fresh_tokenize(misc_corpus):
    _, corpus = misc_corpus
    for t in list(corpus)[:40]:
        assert t.source == "miscFolk" and re.fullmatch(r"\S+\.abc X:\d+", t.ref)
        fresh = tokenize(t.abc)[0]
        if t.status == "error":
            assert fresh.error is not None and t.tokens == []
        else:
            assert t.tokens == fresh.tokens and t.key == fresh.key and t.titles[0] == fresh.titles[0]
            if t.row is not None:
                assert corpus.row_tokens(t.row) == t.tokens


def test_duplicates_keep_every_title_and_source(misc_corpus):
    _, corpus = misc_corpus
    dups = [t for t in corpus if t.n_copies > 1]
    assert dups, "miscFolk has exact duplicates"
    for t in dups:
        assert len(t.sources) == t.n_copies
        assert set(t.titles) >= {s["title"] for s in t.sources if s["title"]}


def test_build_is_deterministic_whatever_the_worker_count(tmp_path, misc_corpus):
    _, corpus = misc_corpus
    build_corpus(["music21:miscFolk"], tmp_path / "one", workers=1, quiet=True)
    again = Corpus.open(tmp_path / "one")
    assert np.array_equal(np.asarray(again.ids), np.asarray(corpus.ids))
    assert np.array_equal(again.tune_ids, corpus.tune_ids)
    assert [(t.id, t.ref, t.status, t.reason) for t in again] == [(t.id, t.ref, t.status, t.reason) for t in corpus]


def test_index_is_built_with_the_corpus(misc_corpus):
    _, corpus = misc_corpus
    assert (corpus.path / "search.json").exists() and corpus.info()["index"] is True
    figure = corpus.row_tokens(0)[2:6]
    rows = set(corpus.index.positions(VOCAB.encode(figure))[0].tolist())
    brute = {r for r in range(corpus.n_rows)
             if any(corpus.row_tokens(r)[i:i + 4] == figure for i in range(len(corpus.row_tokens(r))))}
    assert rows == brute and 0 in rows


def test_corpus_search_delegates_to_the_search_module(misc_corpus):
    _, corpus = misc_corpus
    figure = " ".join(corpus.row_tokens(0)[2:6])
    result = corpus.search(figure)
    assert result.occurrences >= 1 and result.occurrences == corpus.index.count(VOCAB.encode(figure.split()))


# ---------------------------------------------------------------- folk-rnn token files and export

def test_folkrnn_token_file_source(shared_data, tmp_path):
    report = build_corpus([shared_data / "folkrnn-v2-examples.txt"], tmp_path / "c", workers=1, quiet=True)
    corpus = Corpus.open(tmp_path / "c")
    seqs = read_folkrnn((shared_data / "folkrnn-v2-examples.txt").read_text(encoding="utf-8"))
    assert report.counts["transcriptions"] == 2 == len(seqs)
    assert [t.tokens for t in corpus] == seqs
    assert [t.ref for t in corpus] == ["folkrnn-v2-examples.txt block 1", "folkrnn-v2-examples.txt block 2"]
    assert corpus[1].source == "folkrnn-v2-examples" and corpus[1].abc is None


def test_export_folkrnn_reimports_to_the_same_tokens(misc_corpus, tmp_path):
    _, corpus = misc_corpus
    text = corpus.export_folkrnn()
    seqs = read_folkrnn(text)
    assert seqs == [corpus.row_tokens(r) for r in range(corpus.n_rows)]
    path = tmp_path / "train.txt"
    path.write_text(text, encoding="utf-8")
    build_corpus([path], tmp_path / "again", workers=1, quiet=True, check=False)
    again = Corpus.open(tmp_path / "again")
    assert np.array_equal(np.asarray(again.ids), np.asarray(corpus.ids))  # the same tokens, the same order


def test_cli_export_with_filter(misc_corpus, tmp_path, capsys):
    _, corpus = misc_corpus
    out = tmp_path / "jigs.txt"
    assert main(["corpus", "export", "-c", str(corpus.path), "--format", "folkrnn", "--meter", "6/8",
                 "-o", str(out)]) == 0
    seqs = read_folkrnn(out.read_text(encoding="utf-8"))
    assert len(seqs) == int(corpus.mask(meter="6/8").sum()) > 0 and all(s[0] == "M:6/8" for s in seqs)
    assert f"wrote {len(seqs)} tunes" in capsys.readouterr().err


# ---------------------------------------------------------------- the CLI

def test_cli_build_and_info_json(shared_data, tmp_path, capsys):
    out = tmp_path / "session"
    assert main(["corpus", "build", str(shared_data / "thesession-sample.csv"), "-o", str(out), "--json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["counts"]["transcriptions"] == 15 and built["path"] == str(out)
    assert main(["corpus", "info", "-c", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["per_source"]["thesession"]["transcriptions"] == 15
    assert sum(info["per_meter"].values()) == info["searchable"]
    assert info["tokens"] == built["counts"]["tokens"]


def test_cli_info_text(session_corpus, capsys):
    _, corpus = session_corpus
    assert main(["corpus", "info", "-c", str(corpus.path)]) == 0
    out = capsys.readouterr().out
    assert "15 transcriptions read" in out and re.search(r"^thesession\s+15\s+", out, re.M)
    assert "per meter: M:4/4" in out


def test_cli_list_filters(session_corpus, capsys):
    _, corpus = session_corpus
    assert main(["corpus", "list", "-c", str(corpus.path), "--type", "waltz", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["title"] for r in rows) == ["101 To Dublin", "15th Scottish Division"]
    assert main(["corpus", "list", "-c", str(corpus.path), "--mode", "dor", "--meter", "3/4"]) == 0
    out = capsys.readouterr().out
    assert "101 To Dublin" in out and "15th Scottish" not in out  # D dorian waltz only
    assert main(["corpus", "list", "-c", str(corpus.path), "--title", "IOMADH", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_cli_list_negative_limit_is_refused(session_corpus, capsys):
    _, corpus = session_corpus
    assert main(["corpus", "list", "-c", str(corpus.path), "--limit", "-1"]) == 2
    assert "--limit must be >= 0, got -1" in capsys.readouterr().err


def test_cli_show(session_corpus, capsys):
    _, corpus = session_corpus
    tid = corpus.select(title="10-Na")[0].id
    assert main(["corpus", "show", "-c", str(corpus.path), str(tid)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"tune {tid}: 10-Na") and "K:Ador" in out and "M:9/8 K:Cdor" in out
    assert "thesession tune 22859 setting 46394" in out and "check:" in out
    assert main(["corpus", "show", "-c", str(corpus.path), str(tid), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["id"] == tid and d["tokens"].startswith("M:9/8 K:Cdor") and d["check"]["meter"] == "M:9/8"


def test_convert_item_keeps_type_from_r_field():
    abc = "X:1\nT:Jig\nR:Jig\nM:6/8\nL:1/8\nK:Ador\nABA cBA|\n\nX:2\nT:Nothing\nM:6/8\nL:1/8\nK:G\nGAG|\n"
    entries = convert_item(SourceItem("demo", "f.abc", "abc", abc), check=False)
    assert [(e.ref, e.type, e.key, e.tokens[:2]) for e in entries] == [
        ("f.abc X:1", "jig", "Ador", ["M:6/8", "K:Cdor"]), ("f.abc X:2", None, "G", ["M:6/8", "K:Cmaj"])]


# ---------------------------------------------------------------- the default corpus

@pytest.mark.slow
def test_fresh_install_info_builds_and_reports_the_default_corpus(tmp_path):
    """A fresh FOLKABC_HOME: ``folkabc corpus info`` builds the default corpus on first use."""
    env = dict(os.environ, FOLKABC_HOME=str(tmp_path / "home"))
    version = builder_version()
    proc = subprocess.run([*CLI, "corpus", "info", "--json"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["path"] == str(tmp_path / "home" / "corpus")
    expected = {name: _x_count(music21_abc_paths(name)) for name in
                ("oneills1850", "ryansMammoth", "airdsAirs", "essenFolksong", "miscFolk")}
    assert {k: v["transcriptions"] for k, v in info["per_source"].items()} == expected
    assert 12_500 < info["transcriptions"] == sum(expected.values()) < 13_500
    assert info["duplicates"] > 0 and info["tunes"] + info["duplicates"] == info["transcriptions"]
    failed = info["tunes"] - info["searchable"]
    assert failed > 0 and sum(info["failures"].values()) == failed  # every failure has a reason
    assert info["searchable"] > 10_000 and info["index"] is True
    # a second call finds it current and does not rebuild
    proc2 = subprocess.run([*CLI, "corpus", "info", "--json"],
                           capture_output=True, text=True, env=env, timeout=120)
    if builder_version() == version:  # (unless the code changed meanwhile: then a rebuild is right)
        assert json.loads(proc2.stdout)["created"] == info["created"]
    text = subprocess.run([*CLI, "corpus", "info"], capture_output=True,
                          text=True, env=env, timeout=120).stdout
    assert re.search(r"^essenFolksong\s+8514\s+", text, re.M) and "not searchable, by reason" in text


def test_default_corpus_is_built_once_by_concurrent_processes(tmp_path, monkeypatch):
    """Two processes (e.g. xdist workers) asking for the default corpus at once: one builds, one waits."""
    import multiprocessing as mp

    from folkabc.corpus import build as build_mod

    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(build_mod, "DEFAULT_SOURCES", ("music21:miscFolk",))  # small, for speed
    ctx = mp.get_context("fork")
    q = ctx.Queue()

    def worker():
        path = ensure_default_corpus(quiet=True)
        q.put(os.stat(Path(path) / "manifest.json").st_ino)

    procs = [ctx.Process(target=worker) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    inodes = [q.get(timeout=5) for _ in procs]
    assert inodes[0] == inodes[1]  # a second build would have installed a new directory
    assert is_current(tmp_path / "home" / "corpus", sources=("music21:miscFolk",))
    assert not is_current(tmp_path / "home" / "corpus", sources=DEFAULT_SOURCES)


def test_stale_default_corpus_is_rebuilt(tmp_path, monkeypatch):
    """A default corpus written by other code (builder version) or another format is rebuilt on open."""
    from folkabc.corpus import build as build_mod

    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(build_mod, "DEFAULT_SOURCES", ("music21:miscFolk",))
    path = tmp_path / "home" / "corpus"
    for field, stale in (("builder_version", "0+old"), ("format_version", 0)):
        ensure_default_corpus(quiet=True)
        manifest = json.loads((path / "manifest.json").read_text())
        manifest[field] = stale
        (path / "manifest.json").write_text(json.dumps(manifest))
        assert not is_current(path)
        corpus = Corpus.open(None)  # None = the default corpus
        assert corpus.path == path and corpus.manifest[field] != stale
        assert corpus.manifest["counts"]["transcriptions"] == 185 and len(corpus) == corpus.manifest["counts"]["tunes"]


def test_iterating_a_corpus_streams_its_tunes():
    """Iterating the default corpus (12,774 tunes with their ABC, ~15 MB as records) reads them a
    few hundred at a time: the peak of Python allocations stays under 8 MB."""
    import tracemalloc

    from folkabc.corpus import Corpus

    corpus = Corpus.open()
    tracemalloc.start()
    try:
        n = sum(1 for t in corpus if t.abc)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n == corpus.info()["tunes"] > 12_000
    assert peak < 8 << 20, peak
