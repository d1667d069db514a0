"""The suffix-array index (folkabc.search.index) and bar table, on real folk-rnn data."""

from __future__ import annotations

import numpy as np
import pytest

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
        "bar_offsets.npy", "bars.npy", "ids.npy", "offsets.npy", "sa.npy", "search.json"]
    assert not list(tmp_path.glob("*.tmp"))
    loaded = SuffixIndex.load(tmp_path)
    assert isinstance(loaded.sa, np.memmap)
    for q in (["G,", "C", "C", "2"], ["|"], ["c", "B", "c"], ["^F", "G"]):
        qi = VOCAB.encode(q)
        assert loaded.find(qi) == example_index.find(qi)
        assert [a.tolist() for a in loaded.positions(qi)] == [a.tolist() for a in example_index.positions(qi)]
    np.testing.assert_array_equal(loaded.bars, example_index.bars)


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
