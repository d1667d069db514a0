"""Property tests: the suffix-array index agrees with a brute-force scan of a real corpus."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folkabc.search import SuffixIndex, encode_tunes, matching_statistics, suffix_array
from folkabc.vocab import VOCAB

END = VOCAB.id("</s>")
BODY_IDS = np.array([i for i, c in enumerate(VOCAB.categories) if c not in ("special", "meter", "mode")])


@pytest.fixture(scope="module")
def oneills(oneills_corpus):
    """O'Neill's 1850 (music21) as a corpus (conftest builds it once)."""
    return oneills_corpus


def brute_positions(ids: np.ndarray, offsets: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (row, offset in tune) where ``q`` occurs, by scanning every position."""
    m = len(q)
    cand = np.arange(len(ids) - m + 1)
    for j in range(m):
        cand = cand[ids[cand + j] == q[j]]
    rows = np.searchsorted(offsets, cand, side="right") - 1
    # a match may not run past its tune's end
    cand_ok = cand + m <= offsets[rows + 1]
    cand, rows = cand[cand_ok], rows[cand_ok]
    return rows, cand - offsets[rows]


def _figures(ids: np.ndarray, rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Half drawn from corpus tunes (lengths 1-20), half random body tokens."""
    out = []
    starts = np.flatnonzero(ids != END)
    while len(out) < n:
        m = int(rng.integers(1, 21))
        if len(out) % 2 == 0:
            s = int(rng.choice(starts))
            q = np.asarray(ids[s:s + m])
            if np.any(q == END):
                q = q[: int(np.argmax(q == END))]
        else:
            q = rng.choice(BODY_IDS, size=m).astype(np.uint8)
        if len(q):
            out.append(q.astype(np.uint8))
    return out


def test_thousand_figures_equal_brute_force(oneills):
    """1,000 figures (lengths 1-20; from tunes and random): counts and positions equal a scan."""
    index = oneills.index
    ids = np.asarray(oneills.ids)
    offsets = np.asarray(oneills.offsets)
    rng = np.random.default_rng(20261123)
    figures = _figures(ids, rng, 1000)
    found = 0
    for q in figures:
        rows, offs = index.positions(q)
        brows, boffs = brute_positions(ids, offsets, q)
        assert index.count(q) == len(brows)
        np.testing.assert_array_equal(rows, brows)
        np.testing.assert_array_equal(offs, boffs)
        np.testing.assert_array_equal(index.tunes_containing(q), np.unique(brows))
        found += len(brows) > 0
    # the sample really exercises both outcomes
    assert 500 <= found < 1000


def test_search_counts_and_limited_matches_equal_brute_force(oneills):
    """search_index with a limit: exact counts (tunes and occurrences) whatever the hit count,
    and the listed matches are real occurrences, in corpus order, the first ``limit`` in
    suffix-array order."""
    from folkabc.search import search_index

    index = oneills.index
    ids = np.asarray(oneills.ids)
    offsets = np.asarray(oneills.offsets)
    rng = np.random.default_rng(20261203)
    figures = [VOCAB.encode(["|"]), VOCAB.encode(["c"]), VOCAB.encode(["2"])] + _figures(ids, rng, 200)
    for q in figures:
        brows, boffs = brute_positions(ids, offsets, q)
        res = search_index(index, VOCAB.decode(q), limit=20)
        assert res.occurrences == len(brows)
        assert res.tunes == len(np.unique(brows))
        assert len(res.matches) == min(20, len(brows)) and res.approx == (len(brows) > 20)
        got = [(m.row, m.position) for m in res.matches]
        assert got == sorted(got) and set(got) <= set(zip(brows.tolist(), boffs.tolist()))
        lo, _ = index.find(q)
        first = np.sort(np.asarray(index.sa[lo:lo + len(got)], dtype=np.int64))
        assert [int(offsets[r]) + p for r, p in got] == first.tolist()


def test_tunes_in_range_small_blocks_equal_brute_force(oneills, monkeypatch):
    """The blocked tune count (whole blocks by binary search, partial ones scanned) equals
    counting the distinct tunes of every slot, for blocks of 97 slots and random ranges."""
    import folkabc.search.index as index_mod

    monkeypatch.setattr(index_mod, "TUNE_BLOCK", 97)
    ids = np.asarray(oneills.ids)
    offsets = np.asarray(oneills.offsets)
    index = SuffixIndex.build(ids, offsets)
    sa = np.asarray(index.sa, dtype=np.int64)
    rows = index.rows_of(sa)
    rng = np.random.default_rng(7)
    n = len(sa)
    ranges = [(0, n), (0, 96), (5, 5), (96, 97 * 40 + 3)] + [
        tuple(sorted(rng.integers(0, n + 1, size=2).tolist())) for _ in range(300)]
    ranges += [index.find(VOCAB.encode([t])) for t in ("|", "c", "2", "G", "/2")]
    for lo, hi in ranges:
        assert index.tunes_in_range(lo, hi) == len(np.unique(rows[lo:hi])), (lo, hi)


def test_limited_search_work_does_not_grow_with_hits(oneills, monkeypatch):
    """Without filters, search_index(limit=k) reads k suffix-array slots, not the hit count."""
    from folkabc.search import search_index

    index = oneills.index

    class Counting:
        """The suffix array, counting the slots sliced out of it."""

        def __init__(self, sa):
            self.sa, self.read = sa, 0

        def __len__(self):
            return len(self.sa)

        def __getitem__(self, key):
            out = self.sa[key]
            self.read += np.size(out)
            return out

    counting = Counting(index.sa)
    monkeypatch.setattr(index, "sa", counting)
    res = search_index(index, "|", limit=5)
    assert res.occurrences > 10_000 and len(res.matches) == 5
    # the binary search reads about log2(N) slots per bound; listing reads 5
    assert counting.read < 200


def test_loaded_index_is_memory_mapped_and_agrees(oneills):
    index = oneills.index
    assert isinstance(index.sa, np.memmap) and index.sa.dtype == np.uint32
    rebuilt = SuffixIndex.build(np.asarray(oneills.ids), np.asarray(oneills.offsets))
    np.testing.assert_array_equal(np.asarray(index.sa), rebuilt.sa)
    np.testing.assert_array_equal(np.asarray(index.bars), rebuilt.bars)


def test_matching_statistics_equal_brute_force(oneills):
    index = oneills.index
    ids = np.asarray(oneills.ids)
    offsets = np.asarray(oneills.offsets)
    rng = np.random.default_rng(7)
    # a corpus tune with a random stretch spliced in
    row = 100
    tune = ids[offsets[row] + 2:offsets[row + 1] - 1][:40].copy()
    tune[15:20] = rng.choice(BODY_IDS, size=5)
    ms, _ = matching_statistics(index, tune)
    for i in range(len(tune)):
        length = 0
        while i + length < len(tune) and len(brute_positions(ids, offsets, tune[i:i + length + 1])[0]):
            length += 1
        assert ms[i] == length, i


tune_bodies = st.lists(st.lists(st.sampled_from(["C", "D", "2", "|"]), max_size=40), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tune_bodies, st.lists(st.sampled_from(["C", "D", "2", "|"]), min_size=1, max_size=6))
def test_highly_repetitive_corpora(bodies, query):
    """Tiny alphabets make long ties: the sort and every count must still be exact."""
    tunes = [["M:4/4", "K:Cmaj", *b] for b in bodies]
    ids, offsets = encode_tunes(tunes)
    sa = suffix_array(ids, offsets)
    ends = np.repeat(offsets[1:], np.diff(offsets))
    cut = [ids[p:ends[p]].tobytes() for p in sa]
    assert cut == sorted(cut)
    index = SuffixIndex.build(ids, offsets)
    q = VOCAB.encode(query)
    rows, offs = index.positions(q)
    brows, boffs = brute_positions(ids, offsets, q)
    assert rows.tolist() == brows.tolist() and offs.tolist() == boffs.tolist()


def test_suffix_array_in_small_chunks_is_sorted(oneills):
    """The chunked build (buckets and tied-group runs of ~1,000 suffixes) sorts every cut suffix."""
    ids = np.asarray(oneills.ids)
    offsets = np.asarray(oneills.offsets)
    sa = suffix_array(ids, offsets, chunk=1000)
    assert sa.dtype == np.uint32 and np.array_equal(np.sort(sa), np.arange(len(ids)))
    ends = offsets[np.searchsorted(offsets, sa.astype(np.int64), side="right")]
    buf = ids.tobytes()
    cut = [buf[p:e] for p, e in zip(sa.tolist(), ends.tolist())]
    assert all(x <= y for x, y in zip(cut, cut[1:]))
    # and it agrees with the one-chunk build on every range it gives
    whole = suffix_array(ids, offsets)
    assert [bytes(c) for c in cut] == [buf[p:e] for p, e in zip(
        whole.tolist(), offsets[np.searchsorted(offsets, whole.astype(np.int64), side="right")].tolist())]
