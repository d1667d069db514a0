"""The suffix-array index (folkabc.search.index) and bar table, on real folk-rnn data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from folkabc.errors import ParameterError
from folkabc.search import SuffixIndex, bar_table, encode_tunes, suffix_array
from folkabc.vocab import VOCAB


def _blocks(text: str) -> list[list[str]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        out.append([lines[0], lines[1]] + lines[2].split())
    return out


@pytest.fixture(scope="module")
def example_tunes(folkrnn_examples):
    return _blocks(folkrnn_examples)


@pytest.fixture(scope="module")
def example_index(example_tunes):
    ids, offsets = encode_tunes(example_tunes)
    return SuffixIndex.build(ids, offsets)


def _brute(ids: np.ndarray, offsets: np.ndarray, q: np.ndarray) -> list[tuple[int, int]]:
    m = len(q)
    hits = []
    for row in range(len(offsets) - 1):
        tune = ids[offsets[row]:offsets[row + 1]]
        for j in range(len(tune) - m + 1):
            if np.array_equal(tune[j:j + m], q):
                hits.append((row, j))
    return hits


def test_suffix_array_is_sorted_permutation(example_tunes):
    ids, offsets = encode_tunes(example_tunes)
    sa = suffix_array(ids, offsets)
    assert sa.dtype == np.uint32
    assert sorted(sa.tolist()) == list(range(len(ids)))
    ends = np.repeat(offsets[1:], np.diff(offsets))
    cut = [ids[p:ends[p]].tobytes() for p in sa]
    assert cut == sorted(cut)


def test_figure_count_on_first_example(example_index, example_tunes):
    # "G, C C 2" opens bars 1, 3 and 5 of the first example and never occurs in the second
    q = VOCAB.encode(["G,", "C", "C", "2"])
    assert example_index.count(q) == 3
    rows, offs = example_index.positions(q)
    assert rows.tolist() == [0, 0, 0]
    body = example_tunes[0]
    assert all(body[o:o + 4] == ["G,", "C", "C", "2"] for o in offs)
    assert example_index.tunes_containing(q).tolist() == [0]


def test_positions_equal_brute_force(example_index):
    rng = np.random.default_rng(5)
    ids, offsets = np.asarray(example_index.ids), example_index.offsets
    body_pos = np.flatnonzero(ids != VOCAB.id("</s>"))
    for _ in range(200):
        m = int(rng.integers(1, 12))
        start = int(rng.choice(body_pos))
        q = ids[start:start + m]
        q = q[: np.argmax(q == VOCAB.id("</s>"))] if np.any(q == VOCAB.id("</s>")) else q
        if len(q) == 0:
            continue
        rows, offs = example_index.positions(q)
        assert list(zip(rows.tolist(), offs.tolist())) == _brute(ids, offsets, q)


def test_match_never_spans_two_tunes():
    # tune 0 ends with "C D", tune 1 starts with meter/mode; "D M:4/4" must not match across
    ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D"], ["M:4/4", "K:Cmaj", "E"]])
    index = SuffixIndex.build(ids, offsets)
    assert index.count(VOCAB.encode(["D", "M:4/4"])) == 0
    assert index.count(VOCAB.encode(["M:4/4", "K:Cmaj"])) == 2


def test_save_load_roundtrip_mmap(example_index, tmp_path):
    example_index.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bar_offsets.npy", "bars.npy", "ids.npy", "offsets.npy", "sa.npy", "search.json",
        "tune_prev.npy", "tune_prev_sorted.npy"]
    assert not list(tmp_path.glob("*.tmp"))
    loaded = SuffixIndex.load(tmp_path)
    assert isinstance(loaded.sa, np.memmap)
    for q in (["G,", "C", "C", "2"], ["|"], ["c", "B", "c"], ["^F", "G"]):
        qi = VOCAB.encode(q)
        assert loaded.find(qi) == example_index.find(qi)
        assert [a.tolist() for a in loaded.positions(qi)] == [a.tolist() for a in example_index.positions(qi)]
    np.testing.assert_array_equal(loaded.bars, example_index.bars)


def test_save_over_another_index_replaces_its_ids(tmp_path):
    SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"]])).save(tmp_path)
    SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "E", "E", "E"]])).save(tmp_path)
    loaded = SuffixIndex.load(tmp_path)
    assert loaded.count(VOCAB.encode(["E"])) == 3 and loaded.count(VOCAB.encode(["C"])) == 0


def test_bar_numbers_first_example(example_index, example_tunes):
    # first example: pickup "B," is bar 0; "G, C C 2 G, C E C" is bar 1
    tune = example_tunes[0]
    bars = example_index.bars[: len(tune)]
    offs = example_index.bar_offsets[: len(tune)]
    assert tune[2] == "B," and bars[2] == 0
    first_g = tune.index("G,")
    assert bars[first_g] == 1 and offs[first_g] == 0
    # the second bar "G, C E G F D B, D" is bar 2
    second = tune.index("G,", first_g + 9)
    assert tune[second:second + 8] == ["G,", "C", "E", "G", "F", "D", "B,", "D"]
    assert bars[second] == 2 and offs[second] == 0
    # the final bar "D E F D C 3 :|" of the A part is bar 8, and so is the B part's pickup "D"
    end_a = tune.index(":|")
    assert bars[end_a] == 8 and tune[end_a - 6:end_a] == ["D", "E", "F", "D", "C", "3"]
    assert tune[end_a + 1:end_a + 4] == ["|:", "D", "|"]
    assert bars[end_a + 2] == 8 and offs[end_a + 2] == 8
    # the B part's first full bar "E C C 2 D B, G, A," is bar 9; the tune ends in bar 16
    assert tune[end_a + 4:end_a + 6] == ["E", "C"] and bars[end_a + 4] == 9 and offs[end_a + 4] == 0
    assert bars[len(tune) - 1] == 16


def test_bar_numbers_agree_with_check(example_tunes):
    # folkabc.check counts the same way: opening pickup bar 0, part pickup keeps the bar before
    from folkabc.validate import check

    ids, offsets = encode_tunes(example_tunes)
    bars, _ = bar_table(ids, offsets)
    for row, tune in enumerate(example_tunes):
        result = check(tune)[0]
        pickups = sorted(f.bar for f in result.findings if f.kind == "pickup")
        tb = bars[offsets[row]:offsets[row + 1]]
        assert pickups == [0, 8]
        assert int(tb[2]) == 0  # the opening pickup
        assert int(tb.max()) == result.structure.parts[0].bars + result.structure.parts[1].bars


def test_full_first_bar_is_bar_one():
    ids, offsets = encode_tunes([["M:6/8", "K:Cmaj", "|:", "C", "3", "D", "3", "|", "E", "6", ":|"]])
    bars, offs = bar_table(ids, offsets)
    assert bars.tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]
    assert offs.tolist()[3:9] == [0, 1, 2, 3, 4, 0]


def test_tuplet_opener_after_bar_line_opens_the_next_bar():
    ids, offsets = encode_tunes([["M:2/4", "K:Cmaj", "C", "4", "|", "(3", "C", "D", "E", "C", "2", "|"]])
    bars, offs = bar_table(ids, offsets)
    assert bars.tolist()[2:12] == [1, 1, 1, 2, 2, 2, 2, 2, 2, 2]
    assert offs.tolist()[5:8] == [0, 1, 2]


# ---------------------------------------------------------------- fronts on a real corpus

@pytest.fixture(scope="module")
def oneills(oneills_corpus):
    """O'Neill's 1850 (music21) as a corpus (conftest builds it once)."""
    return oneills_corpus


def _scan(corpus, tokens):
    """(tune id, position) of every occurrence, by comparing at every position of the corpus."""
    ids, offsets, q = np.asarray(corpus.ids), np.asarray(corpus.offsets), VOCAB.encode(tokens)
    cand = np.arange(len(ids) - len(q) + 1)
    for j, t in enumerate(q):
        cand = cand[ids[cand + j] == t]
    rows = np.searchsorted(offsets, cand, side="right") - 1
    return [(int(corpus.tune_ids[r]), int(c - offsets[r])) for r, c in zip(rows, cand)]


def test_corpus_search_equals_scan(oneills):
    res = oneills.search("c B A G", limit=None)
    hits = _scan(oneills, ["c", "B", "A", "G"])
    assert res.occurrences == len(hits) > 50
    assert res.tunes == len({t for t, _ in hits})
    assert [(m.tune_id, m.position) for m in res.matches] == hits
    m = res.matches[0]
    tune = oneills.tune(m.tune_id)
    assert m.title == tune.title and m.source == "oneills1850"
    # the listed bar holds the figure's first token at the listed offset
    assert m.bar_tokens[m.offset] == "c"


def test_search_and_novelty_run_on_plain_arrays_without_a_corpus(oneills, tmp_path):
    # the engine gets arrays (ids, offsets, suffix array, bar tables, per-row facts), never a Corpus:
    # a view rebuilt from files and numpy arrays alone answers exactly as the corpus front does
    from folkabc.search import SearchView, SuffixIndex, novelty, search_corpus

    oneills.index.save(tmp_path)
    sources = np.array(oneills.meta_array("source").tolist(), dtype=object)
    view = SearchView(SuffixIndex.load(tmp_path), np.array(oneills.tune_ids),
                      np.array(oneills.meta_array("title").tolist(), dtype=object), sources,
                      {"oneills1850": np.flatnonzero(sources == "oneills1850")})
    for kw in ({}, {"meter": "6/8"}, {"source": "oneills1850"}):
        mine = search_corpus(view, "c B A G", limit=None, **kw)
        assert mine == oneills.search("c B A G", limit=None, **kw) and mine.occurrences > 10
    tune = oneills.row_tokens(5)
    assert novelty(view, tune) == oneills.novelty(tune)
    with pytest.raises(ParameterError, match="source 'nowhere' is not in this corpus"):
        search_corpus(view, "c B A G", source="nowhere")


def test_filters_narrow_and_stay_exact(oneills):
    full = oneills.search("c B A G", limit=None)
    jigs = oneills.search("c B A G", meter="6/8", limit=None)
    dor = oneills.search("c B A G", mode="dor", limit=None)
    assert 0 < jigs.occurrences < full.occurrences and 0 < dor.occurrences < full.occurrences
    meters = oneills.meta_array("meter")
    assert all(meters[m.row] == "M:6/8" for m in jigs.matches)
    assert {(m.tune_id, m.position) for m in jigs.matches} <= {(m.tune_id, m.position) for m in full.matches}
    placed = oneills.search("c B A G", same_position="1:0", limit=None)
    assert all((m.bar, m.offset) == (1, 0) for m in placed.matches)
    assert placed.occurrences == sum((m.bar, m.offset) == (1, 0) for m in full.matches)


def test_limit_sets_approx(oneills):
    res = oneills.search("c B A G", limit=3)
    assert len(res.matches) == 3 and res.approx and res.occurrences > 3
    assert not oneills.search("c B A G", limit=None).approx


def test_abc_query_equals_token_query(oneills):
    toks = oneills.search("c B A G F E", limit=None)
    abc = oneills.search("cBAG FE", limit=None)
    assert abc.query_tokens == ["c", "B", "A", "G", "F", "E"] and abc.occurrences == toks.occurrences
    # in G, "dcBA GF" is transposed to C like every corpus tune in G
    assert oneills.search("dcBA GF", key="G", limit=0).query_tokens == ["g", "f", "e", "d", "c", "B"]


def test_cli_search_text_and_json(oneills, capsys):
    from folkabc.cli import main

    assert main(["search", "c B A G", "--corpus", str(oneills.path), "--limit", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    n = oneills.search("c B A G", limit=0)
    assert out[0] == f"'c B A G': {n.occurrences} occurrences in {n.tunes} tunes"
    assert len(out) == 4 and out[1].lstrip().startswith("#") and ": bar " in out[1]
    assert out[3].strip().startswith(f"... {n.occurrences - 2} more")
    assert main(["search", "c B A G", "--corpus", str(oneills.path), "--json", "--same-position", "1:0"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query_tokens"] == ["c", "B", "A", "G"]
    assert {"tune_id", "title", "bar", "offset"} <= set(data["matches"][0])
    assert all((m["bar"], m["offset"]) == (1, 0) for m in data["matches"])
    assert main(["search", "c' c' c' c' c' c' c' c' c' c'", "--corpus", str(oneills.path)]) == 1
    assert capsys.readouterr().out == repr("c' " * 9 + "c'") + ": 0 occurrences in 0 tunes\n"


# ---------------------------------------------------------------- the default corpus (Done-when)

def test_default_corpus_search_cli(capsys):
    """``folkabc search "G, C C 2"`` on the default corpus: counts, titles, bars, positions."""
    from folkabc.cli import main
    from folkabc.corpus import Corpus

    corpus = Corpus.open()
    assert main(["search", "G, C C 2", "--all"]) == 0
    out = capsys.readouterr().out.splitlines()
    hits = _scan(corpus, ["G,", "C", "C", "2"])
    assert out[0] == f"'G, C C 2': {len(hits)} occurrences in {len({t for t, _ in hits})} tunes"
    assert len(out) == 1 + len(hits)
    first = corpus.tune(hits[0][0])
    assert out[1].split()[0] == f"#{first.id}" and first.title in out[1] and ", offset " in out[1]
    # --same-position 1:0 narrows to the tunes whose bar 1 opens with the figure
    assert main(["search", "G, C C 2", "--same-position", "1:0", "--json", "--all"]) == 0
    placed = json.loads(capsys.readouterr().out)
    assert 0 < placed["occurrences"] < len(hits)
    assert all((m["bar"], m["offset"]) == (1, 0) for m in placed["matches"])
    # a whole bar with its bar line, as a first bar
    bar = placed["matches"][0]["bar_tokens"]
    assert bar.endswith("|")
    assert main(["search", bar, "--same-position", "1", "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert whole["query_tokens"] == bar.split()
    assert placed["matches"][0]["tune_id"] in [m["tune_id"] for m in whole["matches"]]


def test_match_onset_in_units_of_l(example_index):
    from folkabc.search import search_index

    # first example, bar 1 = "G, C C 2 G, C E C": "E C" starts 6 tokens and 6 eighths in
    res = search_index(example_index, "G, C E C", limit=None)
    first = res.matches[0]
    assert (first.bar, first.offset, first.onset) == (1, 4, 4.0)
    res = search_index(example_index, ["C", "E", "C", "|", "G,"], limit=1)
    assert (res.matches[0].offset, res.matches[0].onset) == (5, 5.0)
    # 6/8 example: "c 3 c B c" — the second c comes after a dotted quarter
    res = search_index(example_index, ["c", "B", "c", "|", "d"], limit=1)
    assert res.matches[0].bar_tokens[:2] == ["c", "3"] and res.matches[0].onset == 3.0
    assert search_index(example_index, "G, C C 2", limit=1).matches[0].onset == 0.0
