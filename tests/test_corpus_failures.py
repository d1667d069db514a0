"""Corpus failure modes: bad input, tunes that fail to convert, a build killed mid-way, big dumps."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from folkabc.cli import main
from folkabc.corpus import Corpus, build_corpus
from folkabc.vocab import VOCAB


def _run(argv, capsys):
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture()
def good_corpus(shared_data, tmp_path):
    out = tmp_path / "corpus"
    build_corpus([shared_data / "thesession-sample.csv"], out, workers=1, quiet=True)
    return out


# ---------------------------------------------------------------- bad input: one line, exit 2

def test_csv_with_missing_columns(tmp_path, capsys):
    bad = tmp_path / "tunes.csv"
    bad.write_text("tune_id,name,abc\n1,A,ABcd|\n", encoding="utf-8")
    code, out, err = _run(["corpus", "build", str(bad), "-o", str(tmp_path / "c")], capsys)
    assert code == 2 and out == ""
    assert err == (f"folkabc corpus: error: {bad}: not a thesession dump: missing column(s) setting_id, type, "
                   "meter, mode (need tune_id, setting_id, name, type, meter, mode, abc)\n")
    assert not (tmp_path / "c").exists()


def test_non_abc_file(tmp_path, capsys):
    bad = tmp_path / "letter.txt"
    bad.write_text("Dear all,\nno music here.\n")
    code, _, err = _run(["corpus", "build", str(bad), "-o", str(tmp_path / "c")], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"folkabc corpus: error: {bad}: not a corpus source: no ABC tune (X: line)")


def test_unreadable_path(tmp_path, capsys):
    code, _, err = _run(["corpus", "build", str(tmp_path / "missing.abc"), "-o", str(tmp_path / "c")], capsys)
    assert (code, err) == (2, f"folkabc corpus: error: {tmp_path / 'missing.abc'}: cannot read: "
                               "no such file or folder\n")


def test_output_folder_that_is_not_a_corpus_is_never_replaced(shared_data, tmp_path, capsys):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    code, _, err = _run(["corpus", "build", str(shared_data / "thesession-sample.csv"), "-o", str(target)], capsys)
    assert code == 2 and "not a corpus: no manifest.json" in err
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_bad_source_leaves_the_previous_corpus_untouched(good_corpus, tmp_path, capsys):
    before = json.loads((good_corpus / "manifest.json").read_text())
    bad = tmp_path / "tunes.csv"
    bad.write_text("name,abc\nA,ABC|\n", encoding="utf-8")
    code, _, _ = _run(["corpus", "build", str(bad), "-o", str(good_corpus)], capsys)
    assert code == 2
    assert json.loads((good_corpus / "manifest.json").read_text()) == before
    assert sorted(p.name for p in good_corpus.parent.iterdir()) == [".corpus.lock", "corpus", "tunes.csv"]


@pytest.mark.parametrize("argv, message", [
    (["corpus", "info", "-c", "/no/such/corpus"], "/no/such/corpus: not a corpus: no manifest.json"),
    (["corpus", "show", "-c", "{c}", "999"], "no tune with id 999 (ids run 1..15)"),
    (["corpus", "list", "-c", "{c}", "--mode", "lydian"], "mode 'lydian' is not one of maj, min, dor or mix"),
    (["corpus", "export", "-c", "{c}", "-o", "/no/such/dir/out.txt"], "/no/such/dir/out.txt: cannot write"),
])
def test_cli_errors_are_one_line(good_corpus, capsys, argv, message):
    code, out, err = _run([a.replace("{c}", str(good_corpus)) for a in argv], capsys)
    assert code == 2 and err.count("\n") == 1 and message in err and "Traceback" not in err


def test_the_current_folder_is_refused_as_the_output_and_read_as_a_corpus(good_corpus, shared_data, tmp_path,
                                                                          capsys, monkeypatch):
    """`-o .` or `-o ..` would rename the folder the user stands in: refused before any work, the
    folder left as it was; `--corpus .` inside a corpus opens it (it once raised ValueError)."""
    here = tmp_path / "empty"
    here.mkdir()
    monkeypatch.chdir(here)
    for out in (".", "..", str(here)):
        code, _, err = _run(["corpus", "build", str(shared_data / "thesession-sample.csv"), "-o", out], capsys)
        assert (code, err) == (2, f"folkabc corpus: error: {out}: the corpus output is the current folder or "
                                  "holds it (a build replaces the whole folder): name a new folder\n")
    assert here.is_dir() and list(here.iterdir()) == []
    monkeypatch.chdir(good_corpus)
    code, out, _ = _run(["corpus", "info", "-c", "."], capsys)
    assert code == 0 and out.startswith("corpus .")
    code, _, _ = _run(["corpus", "build", str(shared_data / "thesession-sample.csv"), "-o", "../other/../again"],
                      capsys)
    assert code == 0 and (good_corpus.parent / "again" / "manifest.json").exists()
    assert not (good_corpus.parent / "other").exists()


@pytest.mark.parametrize("argv", [
    ["corpus", "build", "", "-o", "x"], ["corpus", "build", "default", "-o", ""], ["corpus", "info", "-c", ""],
    ["search", "G, C", "--corpus", ""], ["novelty", "-", "--corpus", ""], ["similar", "-", "--corpus", ""],
    ["generate", "--model", ""], ["score", "-", "--model", ""], ["train", "--out", ""],
    ["render", "-", "--to", "midi", "-o", ""], ["tunebook", "-", "-o", ""], ["analyze", "--out", ""],
])
def test_an_empty_path_is_refused_not_read_as_not_given(argv, capsys, monkeypatch, tmp_path):
    """`-o ''` once built into the default corpus's place, and `corpus build ''` read the current
    folder: every file or folder option refuses an empty name, in one line, before any work."""
    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path / "home"))
    code, out, err = _run(argv, capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and ": empty path (see folkabc " in err
    assert not (tmp_path / "home").exists()


# ---------------------------------------------------------------- failures are counted by reason

FAILING = textwrap.dedent("""\
    X:1
    T:Fine
    M:4/4
    L:1/8
    K:C
    CDEF GABc|c2B2 A4|

    X:2
    T:Three-eight
    M:3/8
    L:1/8
    K:G
    GAB|d2B|

    X:3
    T:Too high
    M:4/4
    L:1/8
    K:C
    A,,B,, c'd'e'f'g'|

    X:4
    T:Garbled
    M:4/4
    L:1/8
    K:D
    DEF # GABc|

    X:5
    T:Fine again, other name
    M:4/4
    L:1/8
    K:C
    CDEF GABc|c2B2 A4|
""")


def test_every_tune_read_is_stored_and_failures_are_counted_by_reason(tmp_path, capsys):
    folder = tmp_path / "tunes"
    folder.mkdir()
    (folder / "mixed.abc").write_text(FAILING)
    (folder / "empty.abc").write_text("% only a comment, no tune\n")
    report = build_corpus([folder], tmp_path / "c", workers=1, quiet=True)
    c = report.counts
    assert c["transcriptions"] == 6 and c["duplicates"] == 1 and c["tunes"] == 5 and c["rows"] == 1
    assert c["failures"] == {
        "meter M:3/8 outside vocabulary": 1,
        "pitch A,, outside vocabulary": 1,
        "syntax error: unexpected character '#'": 1,
        "syntax error: no notes in the tune body": 1,  # empty.abc: the reader says so
    }
    corpus = Corpus.open(tmp_path / "c")
    assert corpus[1].ref == "empty.abc X:1" and corpus[1].status == "error"  # files are read in name order
    fine = corpus.select(title="Fine")[0]
    assert fine.titles == ["Fine", "Fine again, other name"] and fine.n_copies == 2 and fine.row == 0
    high = corpus.select(title="Too high")[0]
    assert high.status == "oov" and high.tokens[2:4] == ["A,,", "B,,"] and high.row is None
    garbled = corpus.select(title="Garbled")[0]
    assert garbled.status == "error" and garbled.tokens == [] and "X:4" in garbled.abc
    code, out, _ = _run(["corpus", "info", "-c", str(tmp_path / "c")], capsys)
    assert code == 0 and "      1  meter M:3/8 outside vocabulary" in out and "not searchable, by reason" in out
    code, out, _ = _run(["corpus", "list", "-c", str(tmp_path / "c"), "--status", "error"], capsys)
    assert "Garbled" in out and "unexpected character '#'" in out and "empty.abc" in out


def test_bad_rows_of_a_dump_are_counted_not_dropped(tmp_path):
    dump = tmp_path / "tunes.csv"
    dump.write_text("tune_id,setting_id,name,type,meter,mode,abc\n"
                    "1,1,Good,reel,4/4,Dmajor,DEFG ABcd|\n"
                    "2,2,Odd mode,reel,4/4,Hmajor,DEFG ABcd|\n", encoding="utf-8")
    report = build_corpus([dump], tmp_path / "c", workers=1, quiet=True)
    assert report.counts["transcriptions"] == 2 and report.counts["rows"] == 1
    [(reason, n)] = report.counts["failures"].items()
    assert n == 1 and reason.startswith("bad row: row 3: mode 'Hmajor'")


def test_token_block_without_meter_and_mode_is_an_error_not_a_row(tmp_path):
    src = tmp_path / "tokens.txt"
    src.write_text("M:4/4\nK:Cmaj\nC D E |\n\nK:Cmaj\nM:4/4\nC D E |\n\nM:9/8\n", encoding="utf-8")
    report = build_corpus([src], tmp_path / "c", workers=1, quiet=True)
    assert report.counts["transcriptions"] == 3 and report.counts["rows"] == 1
    assert report.counts["failures"] == {"token sequence error: a tune starts with its meter and mode tokens": 2}
    c = Corpus.open(tmp_path / "c")
    assert c.meta_array("mode").tolist() == ["K:Cmaj"] and c[2].tokens[:2] == ["K:Cmaj", "M:4/4"]


# ---------------------------------------------------------------- a build killed mid-way

BUILDER = "import sys; from folkabc.corpus import build_corpus; build_corpus([sys.argv[1]], sys.argv[2], workers=1, quiet=True)"


def _snapshot(path):
    c = Corpus.open(path)
    figure = VOCAB.encode(c.row_tokens(0)[2:5])
    return (c.manifest["created"], len(c), c.n_rows, np.asarray(c.ids).tobytes(),
            [(t.id, t.title, t.tokens) for t in c], c.index.count(figure), c.search(" ".join(c.row_tokens(0)[2:5])).occurrences)


def test_sigkill_mid_build_leaves_the_previous_corpus_working(good_corpus):
    before = _snapshot(good_corpus)
    killed = 0
    for delay in (0.4, 1.2, 2.5):
        # the whole default source (~13k tunes, 10 s or more on one worker) so that every kill lands
        # mid-build: a smaller source can finish and install itself before a late kill
        proc = subprocess.Popen([sys.executable, "-c", BUILDER, "default", str(good_corpus)])
        time.sleep(delay)
        if proc.poll() is not None:  # pragma: no cover - a very fast machine finished first
            continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed += 1
        assert _snapshot(good_corpus) == before
    assert killed >= 2
    # leftovers of killed builds are cleaned by the next build, which then succeeds
    report = build_corpus(["music21:miscFolk"], good_corpus, workers=1, quiet=True)
    assert Corpus.open(good_corpus).manifest["sources"] == ["music21:miscFolk"]
    assert sorted(p.name for p in good_corpus.parent.iterdir()) == [".corpus.lock", "corpus"]
    assert report.counts["transcriptions"] == 185


# ---------------------------------------------------------------- big dumps: memory does not grow

DUMP_BUILDER = textwrap.dedent("""\
    import json, resource, sys
    from folkabc.corpus import build_corpus
    r = build_corpus([sys.argv[1]], sys.argv[2], workers=2, quiet=True, index=False)
    print(json.dumps({"self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                      "counts": r.counts}))
""")


def _dump(rows, n, path):
    """``n`` settings made from the sample's rows: new ids, names and a first bar that makes each unique."""
    notes = "CDEFGAB"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for k in range(n):
            row = dict(rows[k % len(rows)])
            digits, m = [], k
            while True:
                digits.append(notes[m % 7])
                m //= 7
                if not m:
                    break
            row.update(tune_id=str(100000 + k), setting_id=str(200000 + k), name=f"{row['name']} #{k}",
                       abc="".join(digits) + "|" + row["abc"])
            w.writerow(row)


@pytest.mark.slow
def test_50000_row_dump_imports_in_flat_memory(shared_data, tmp_path):
    with open(shared_data / "thesession-sample.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    peaks = {}
    for n in (5_000, 50_000):
        path = tmp_path / f"dump{n}.csv"
        _dump(rows, n, path)
        proc = subprocess.run([sys.executable, "-c", DUMP_BUILDER, str(path), str(tmp_path / f"c{n}")],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr
        res = json.loads(proc.stdout)
        assert res["counts"]["transcriptions"] == n
        assert res["counts"]["duplicates"] == 0  # every generated setting is distinct
        peaks[n] = res
        path.unlink()
    corpus = Corpus.open(tmp_path / "c50000")
    assert len(corpus) == 50_000 and corpus.select(title="#49999")[0].sources[0]["meta"]["setting_id"] == "249999"
    # ten times the rows: the peak memory of the builder and of its workers grows by less than 25 MiB
    grow_self = (peaks[50_000]["self"] - peaks[5_000]["self"]) / 1024
    grow_children = (peaks[50_000]["children"] - peaks[5_000]["children"]) / 1024
    print(f"peak RSS 5k -> 50k rows: builder {peaks[5_000]['self'] / 1024:.1f} -> "
          f"{peaks[50_000]['self'] / 1024:.1f} MiB (+{grow_self:.1f}), workers +{grow_children:.1f} MiB")
    assert grow_self < 25 and grow_children < 25



def test_output_that_cannot_be_written(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    code, _, err = _run(["corpus", "build", "music21:miscFolk", "-o", str(blocker / "corpus")], capsys)
    assert code == 2 and err.count("\n") == 1 and f"{blocker / 'corpus'}: cannot write here: " in err


def test_an_unreadable_output_folder_is_a_corpus_error_not_a_traceback(tmp_path, capsys):
    """recover() and the look inside the output folder run before the build proper: an OSError there
    (a folder the user may not read) is a CorpusError naming it, and the CLI exits 2."""
    import os

    from folkabc.cli import main

    if os.geteuid() == 0:
        import folkabc.corpus.build as build

        def denied(target):
            raise PermissionError(13, "Permission denied", str(target))

        real = build.recover
        build.recover = denied
        try:
            assert main(["corpus", "build", "music21:miscFolk", "-o", str(tmp_path / "c"), "--quiet"]) == 2
        finally:
            build.recover = real
    else:
        locked = tmp_path / "c"
        locked.mkdir()
        locked.chmod(0)
        try:
            assert main(["corpus", "build", "music21:miscFolk", "-o", str(locked), "--quiet"]) == 2
        finally:
            locked.chmod(0o755)
    err = capsys.readouterr().err
    assert "Permission denied" in err and "Traceback" not in err
