"""The numpy-free search path (folkabc.search.mapped, folkabc.corpus.mapped) agrees with the numpy one,
lists matches in O(log N + bar) each, and steps aside whenever a file asks for the careful reader."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from folkabc.search import SuffixIndex, search_index
from folkabc.search.bars import bar_table, token_durations
from folkabc.search.mapped import MappedIndex, bar_span, span_durations, unstamped
from folkabc.vocab import VOCAB

END = VOCAB.id("</s>")
BODY_IDS = np.array([i for i, c in enumerate(VOCAB.categories) if c not in ("special", "meter", "mode")])


@pytest.fixture(scope="module")
def oneills(oneills_corpus):
    """O'Neill's 1850 (music21) as a corpus (conftest builds it once)."""
    return oneills_corpus


def _figures(ids: np.ndarray, rng: np.random.Generator, n: int) -> list[list[str]]:
    out = []
    while len(out) < n:
        m = int(rng.integers(1, 9))
        if len(out) % 3:
            s = int(rng.integers(0, len(ids) - m))
            q = ids[s:s + m]
            if np.any(q == END):
                continue
        else:
            q = rng.choice(BODY_IDS, size=m).astype(np.uint8)
        out.append(VOCAB.decode(q))
    out += [["|"], ["c"], ["2"], ["|", "G"], ["G", "|"], [":|"], ["(3"], ["["], ["|", "|"]]
    return out


def test_mapped_search_equals_search_index(oneills):
    """Counts, and every listed match (row, position, bar, offset, onset, bar tokens), equal
    search_index's for 300 figures at limits 0, 1, 20 and None."""
    index = oneills.index
    mapped = MappedIndex.open(oneills.path)
    assert mapped is not None
    figures = _figures(np.asarray(oneills.ids), np.random.default_rng(11), 300)
    for k, toks in enumerate(figures):
        limit = (0, 1, 20, None)[k % 4] if k % 4 != 3 or len(toks) > 1 else 20  # no limit: rare figures only
        want = search_index(index, toks, limit=limit).to_dict()
        got = mapped.search(toks, limit=limit).to_dict()
        assert got == want, toks


def test_mapped_corpus_search_equals_corpus_search(oneills):
    """Through the corpus: tune ids, titles and sources of the listed matches are the full reader's."""
    from folkabc.corpus.mapped import MappedCorpus

    mapped = MappedCorpus.open(oneills.path)
    for toks in (["G,", "C", "C", "2"], ["|"], ["c", "B", "A"], ["D", "E", "F", "G", "A"]):
        assert mapped.search(toks, limit=9).to_dict() == oneills.search(toks, limit=9).to_dict()


def test_span_durations_equal_token_durations(oneills):
    """The pure-Python lengths equal bars.token_durations (numpy) on 2,000 random spans and whole tunes."""
    ids = np.asarray(oneills.ids)
    rng = np.random.default_rng(5)
    for _ in range(2000):
        a = int(rng.integers(0, len(ids) - 2))
        b = min(len(ids), a + int(rng.integers(1, 40)))
        assert span_durations(ids[a:b].tolist()) == token_durations(ids[a:b]).tolist()
    for row in range(0, oneills.n_rows, 50):
        span = ids[oneills.offsets[row]:oneills.offsets[row + 1]]
        assert span_durations(span.tolist()) == token_durations(span).tolist()
    tuplets = VOCAB.encode(["M:6/8", "(5", "C", "D", "E", "F", "G", "(3", "[", "C", "E", "]", "2", "D", "E"])
    assert span_durations(tuplets.tolist()) == token_durations(tuplets).tolist()


def test_bar_numbers_never_decrease_within_a_tune(oneills):
    """What bar_span's binary search relies on; and it finds the bar bar_table numbers."""
    ids, offsets = np.asarray(oneills.ids), np.asarray(oneills.offsets)
    bars, _ = bar_table(ids, offsets)
    step = np.diff(bars.astype(np.int64))
    inside = np.ones(len(step), dtype=bool)
    inside[offsets[1:-1] - 1] = False  # the step from one tune's </s> to the next tune
    assert np.all(step[inside] >= 0)
    for row in range(0, oneills.n_rows, 37):
        a, b = int(offsets[row]), int(offsets[row + 1])
        for bar in np.unique(bars[a + 2:b - 1]).tolist():
            x, y = bar_span(bars.tolist(), a, b, bar)
            sel = np.flatnonzero(bars[a:b] == bar) + a
            sel = sel[(sel >= a + 2) & (sel < b - 1)]
            assert (x, y) == (int(sel[0]), int(sel[-1]) + 1)


def test_listing_reads_the_bar_not_the_tune(monkeypatch):
    """A listed match costs the tokens of its bar and three binary searches: a 20,000-token tune
    takes a few dozen element reads, as a 20-token one does (plus the longer searches' steps)."""
    from folkabc.search.index import encode_tunes

    class Counting(list):
        reads = 0

        def __getitem__(self, k):
            Counting.reads += (k.stop - k.start) if isinstance(k, slice) else 1
            return list.__getitem__(self, k)

    def reads(n_bars: int) -> int:
        tune = ["M:4/4", "K:Cmaj"] + ["C", "D", "E", "F", "|"] * n_bars
        ix = SuffixIndex.build(*encode_tunes([tune]))
        from folkabc.search.mapped import places

        arrays = [Counting(np.asarray(a).tolist()) for a in (ix.ids, ix.offsets, ix.bars, ix.bar_offsets)]
        Counting.reads = 0
        places(*arrays, [2 + 5 * (n_bars // 2) + 2], 0)
        return Counting.reads

    small, big = reads(4), reads(4000)
    assert small <= big <= small + 3 * 15  # three binary searches over 20,000 entries: 15 steps each


def _saved(tmp_path):
    from folkabc.search.index import encode_tunes

    ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C", "|"], ["M:6/8", "K:Cmin", "D", "C", "|"]])
    SuffixIndex.build(ids, offsets).save(tmp_path)
    return tmp_path


def test_search_json_records_stamps_older_than_itself(tmp_path):
    """save() records each array's size and time, and writes search.json after they are older."""
    d = _saved(tmp_path)
    meta = json.loads((d / "search.json").read_text())
    assert set(meta["stamps"]) == set(meta["sha256"])
    assert unstamped(d, meta, list(meta["sha256"])) == []
    assert MappedIndex.open(d) is not None


@pytest.mark.parametrize("change", ["rewrite", "same-time", "truncate", "meta"])
def test_mapped_index_steps_aside_when_a_file_changed(tmp_path, change):
    """A rewritten array (even one given back its recorded time), a truncated one, or a changed
    search.json: MappedIndex.open is None, and SuffixIndex.load checks and names the file."""
    from folkabc.errors import IndexFileError

    d = _saved(tmp_path)
    sa_path = d / "sa.npy"
    st = os.stat(sa_path)
    sa = np.load(sa_path)
    if change in ("rewrite", "same-time"):
        sa[:2] = sa[1::-1]  # same size and dtype, other contents
        np.save(sa_path, sa)
        if change == "same-time":  # its recorded time put back: newer than search.json's no longer
            os.utime(d / "search.json", ns=(st.st_atime_ns, st.st_mtime_ns))
            os.utime(sa_path, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif change == "truncate":
        sa_path.write_bytes(sa_path.read_bytes()[:-4])
    else:
        meta = json.loads((d / "search.json").read_text())
        meta["version"] = 99
        (d / "search.json").write_text(json.dumps(meta))
    assert MappedIndex.open(d) is None
    with pytest.raises(IndexFileError) as e:
        SuffixIndex.load(d)
    assert e.value.path.endswith("sa.npy" if change != "meta" else "search.json")


def test_one_shot_search_imports_no_numpy(oneills):
    """``folkabc search FIGURE`` on a corpus in order runs without importing numpy or the builder."""
    code = ("import sys\nfrom folkabc.cli import main\n"
            f"code = main(['search', 'G A B', '--corpus', {str(oneills.path)!r}, '--limit', '3'])\n"
            "assert code == 0, code\n"
            "heavy = [m for m in ('numpy', 'folkabc.corpus.build', 'folkabc.corpus.core', 'folkabc.tokens')"
            " if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "occurrences in" in lines[0] and sum(ln.startswith("  #") for ln in lines) == 3


def test_cli_output_is_the_same_on_both_paths(oneills, capsys):
    """The mapped path and the full reader (a filter that keeps every tune forces it) print the same."""
    from folkabc.cli import main

    src = oneills.meta_array("source")[0]
    for query in ("G, C C 2", "GAB", "|"):
        main(["search", query, "--corpus", str(oneills.path), "--limit", "5"])
        fast = capsys.readouterr()
        main(["search", query, "--corpus", str(oneills.path), "--limit", "5", "--source", src])
        full = capsys.readouterr()
        assert fast.out == full.out and fast.err == full.err
