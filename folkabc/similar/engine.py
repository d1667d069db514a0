"""Nearest corpus tunes of a query: interval n-gram candidates, then pitch alignment.

1. The query's pitch sequence (repeats merged, see :mod:`folkabc.similar.notes`)
   gives its intervals; each interval ``n``-gram (default 4) is looked up in
   the ``interval`` index (n-grams in more than a fifth of the tunes are
   skipped). Each hit votes, with weight ``log(1 + n_tunes / hits)`` (rare
   figures weigh more, one vote per n-gram and cell), for a cell *(tune,
   transposition, diagonal band)*: the transposition is the corpus pitch minus
   the query pitch where the n-gram starts, the band is the corpus position
   minus the query position in bands of :data:`BAND` notes (two grids, offset
   by half a band). A setting of the query piles its hits into one cell; chance
   hits scatter. A tune's weight is that of its best cell.
2. The ``candidates`` heaviest tunes go on, each at its best cell's transposition.
   Where the cut falls inside a tie (a short figure whose n-grams are mostly
   skipped as common), the tied tunes holding more of the skipped n-grams go
   first (:func:`common_grams_held`), then the lower rows: a tune holding the
   whole figure is not cut for an arbitrary one holding part of it.
3. Query and candidates are aligned (:func:`folkabc.similar.align.align_scores`,
   semi-global for a tune, local for a figure) and ranked by the normalised score.

Examples
--------
>>> from folkabc.search import encode_tunes
>>> from folkabc.similar.index import RepIndex
>>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "E", "G", "E", "F", "D", "B,", "C", "|"],
...                              ["M:4/4", "K:Cmaj", "G", "A", "B", "G", "c", "B", "A", "G", "|"]])
>>> query = ["M:4/4", "K:Cmaj", "D", "^F", "A", "^F", "G", "E", "^C", "D", "|"]  # tune 0 in D
>>> res = similar_ids(RepIndex(ids, offsets), query)
>>> [(h.row, round(h.score, 2), h.transpose) for h in res.hits]
[(0, 1.0, -2)]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from ..errors import ParameterError
from ..search.bars import bar_table
from ..vocab import VOCAB
from .align import align_pairs, align_scores
from .index import RepIndex
from .notes import INTERVAL_ZERO, NoteTable, note_table

__all__ = ["AlignedBar", "SimilarHit", "SimilarResult", "similar_ids", "candidate_rows",
           "DEFAULT_THRESHOLD", "query_notes", "bar_pairs", "common_grams_held"]

#: Scores at or above this mean "a setting of the same tune" (see docs/similar.md for how it was chosen).
DEFAULT_THRESHOLD = 0.6
#: Width, in notes, of the diagonal bands in which candidate votes are counted.
BAND = 16
_END = VOCAB.id("</s>")


@dataclass
class AlignedBar:
    """One bar of the query and the corpus bar it aligns with."""

    query_bar: int
    tune_bar: int
    query_tokens: list[str]
    tune_tokens: list[str]
    notes: int      # query notes of this bar aligned into that corpus bar
    same: int       # of which with the same pitch (after transposition)

    def to_dict(self) -> dict:
        """JSON form."""
        return asdict(self)


@dataclass
class SimilarHit:
    """A corpus tune near the query."""

    row: int
    score: float
    transpose: int          # semitones from the query to the corpus tune
    shared: float           # candidate weight: idf-weighted shared interval n-grams
    tune_id: int | None = None
    title: str | None = None
    source: str | None = None
    bars: list[AlignedBar] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON form (``bars`` as dicts).

        Examples
        --------
        >>> SimilarHit(3, 0.9, 0, 12.5).to_dict()["score"]
        0.9
        """
        d = asdict(self)
        d["score"] = round(self.score, 4)
        d["shared"] = round(self.shared, 3)
        return d


@dataclass
class SimilarResult:
    """The nearest tunes of one query, best first."""

    query_notes: int
    threshold: float
    candidates: int
    hits: list[SimilarHit]

    @property
    def found(self) -> bool:
        """Whether any hit scores at or above the threshold."""
        return any(h.score >= self.threshold for h in self.hits)

    def to_dict(self) -> dict:
        """JSON form."""
        return {"query_notes": self.query_notes, "threshold": self.threshold, "candidates": self.candidates,
                "found": self.found, "hits": [h.to_dict() for h in self.hits]}


def _as_ids(query) -> np.ndarray:
    if isinstance(query, np.ndarray):
        q = query.astype(np.uint8)
    else:
        q = VOCAB.encode(list(query))
    if len(q) == 0 or q[-1] != _END:
        q = np.r_[q, _END].astype(np.uint8)
    if np.any(q[:-1] == _END):
        raise ParameterError("query holds </s> before its end")
    return q


def query_notes(query) -> tuple[np.ndarray, NoteTable]:
    """Token ids (ended by ``</s>``) and the note table of one query (tokens or ids).

    Examples
    --------
    >>> query_notes(["M:4/4", "K:Cmaj", "C", "C", "D"])[1].pitch.tolist()
    [60, 62]
    """
    q = _as_ids(query)
    return q, note_table(q, np.array([0, len(q)]))


def candidate_rows(rep: RepIndex, pitches: np.ndarray, *, n: int = 4, k: int = 40,
                   rows_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` corpus rows sharing the most (idf-weighted) interval ``n``-grams with ``pitches``,
    counted in their best (transposition, diagonal band) cell (see the module docstring).

    Returns
    -------
    rows : np.ndarray of int64
        Best first.
    weights : np.ndarray of float
    transpose : np.ndarray of int64
        Semitones from the query to each row, by vote of the shared n-grams.

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> rep = RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "E", "F", "G"], ["M:4/4", "K:Cmaj", "C", "G"]]))
    >>> rows, w, t = candidate_rows(rep, np.array([62, 64, 66, 67, 69]))
    >>> rows.tolist(), t.tolist()
    ([0], [-2])
    """
    p = np.asarray(pitches, dtype=np.int64)
    empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    if len(p) < n + 1:
        n = len(p) - 1
    if n < 1:
        return empty
    index = rep.index("interval")
    iv = (INTERVAL_ZERO + np.clip(np.diff(p), -24, 24)).astype(np.uint8)
    grams = np.lib.stride_tricks.sliding_window_view(iv, n)
    _, first = np.unique(grams, axis=0, return_index=True)
    n_tunes = rep.n_tunes
    cap = max(50, n_tunes // 5)  # n-grams in more tunes weigh little and cost most
    all_pos, all_q, all_w, common = [], [], [], []  # common: the n-grams skipped for their many hits
    for s in np.sort(first):
        lo, hi = index.find(grams[s])
        if hi == lo:
            continue
        if hi - lo > cap:
            common.append(grams[s])
            continue
        all_pos.append(np.asarray(index.sa[lo:hi], dtype=np.int64))
        all_q.append(np.full(hi - lo, s, dtype=np.int64))
        all_w.append(np.log1p(n_tunes / (hi - lo)))
    if not all_pos:
        return empty
    common_grams = np.array(common, dtype=np.uint8).reshape(len(common), n)
    pos = np.concatenate(all_pos)
    qs = np.concatenate(all_q)
    w = np.repeat(np.array(all_w), [len(a) for a in all_pos])
    rows = rep.row_of("interval")[pos].astype(np.int64)
    # each hit votes for (row, transposition): corpus pitch minus query pitch where the n-gram starts;
    # a setting of the query gathers its hits at one transposition, chance hits scatter
    note_idx = rep.notes.offsets[rows] + (pos - index.offsets[rows])
    shift = np.clip(rep.notes.pitch[note_idx].astype(np.int64) - p[qs], -48, 48) + 48
    # ... and for a stretch of the alignment: the diagonal (corpus position minus query position) in
    # bands of BAND notes, counted in two grids offset by half a band (ornaments and dropped notes drift it)
    diag = (pos - index.offsets[rows]) - qs + 4096
    cells, weights, grams = [], [], []
    for half in (0, BAND // 2):
        cells.append(((rows * 97 + shift) << 13) + (diag + half) // BAND)
        weights.append(w)
        grams.append(qs)
    cell = np.concatenate(cells)
    wt = np.concatenate(weights)
    key_gram = np.concatenate(grams)
    ucell, inv = np.unique(cell, return_inverse=True)
    # one vote per (n-gram, cell)
    _, first_hit = np.unique(inv.astype(np.int64) * (len(p) + 1) + key_gram, return_index=True)
    cell_score = np.bincount(inv[first_hit], weights=wt[first_hit], minlength=len(ucell))
    cell_row = (ucell >> 13) // 97
    cell_shift = (ucell >> 13) % 97
    order = np.lexsort((-cell_score, cell_row))
    firsts = order[np.r_[True, cell_row[order][1:] != cell_row[order][:-1]]]
    score = np.zeros(n_tunes)
    best_shift = np.full(n_tunes, 48, dtype=np.int64)
    score[cell_row[firsts]] = cell_score[firsts]
    best_shift[cell_row[firsts]] = cell_shift[firsts]
    if rows_mask is not None:
        score = np.where(rows_mask, score, 0.0)
    k = min(k, int(np.count_nonzero(score)))
    if k == 0:
        return empty
    kth = np.partition(score, len(score) - k)[len(score) - k]
    above = np.flatnonzero(score > kth)
    above = above[np.argsort(-score[above], kind="stable")]
    tied = np.flatnonzero(score == kth)
    if len(above) + len(tied) > k and common:
        # the cut falls inside a tie (a short figure made of common n-grams): the tied tunes that hold
        # more of the skipped common n-grams go first, so a tune holding the whole figure is not cut
        held = common_grams_held(rep, tied, common_grams)
        tied = tied[np.lexsort((tied, -held))]
    top = np.r_[above, tied][:k]
    return top.astype(np.int64), score[top], best_shift[top] - 48


def common_grams_held(rep: RepIndex, rows: np.ndarray, grams: np.ndarray) -> np.ndarray:
    """Per row, how many of the distinct interval n-grams ``grams`` (one per line, interval symbols) it holds.

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> rep = RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "E", "F", "G"], ["M:4/4", "K:Cmaj", "C", "D", "C"]]))
    >>> up2 = INTERVAL_ZERO + 2
    >>> common_grams_held(rep, np.array([0, 1]), np.array([[up2, up2], [up2, up2 - 1], [up2, -2 + INTERVAL_ZERO]])).tolist()
    [2, 1]
    """
    rows = np.asarray(rows, dtype=np.int64)
    grams = np.atleast_2d(np.asarray(grams, dtype=np.uint8))
    n = grams.shape[1]
    notes = rep.notes
    # the rows' intervals end to end, a 0 (no interval symbol) after each row's last note so no window spans two rows
    starts = notes.offsets[rows].astype(np.int64)
    lens = notes.offsets[rows + 1].astype(np.int64) - starts
    total = int(lens.sum())
    ends = np.cumsum(lens)
    idx = np.repeat(starts - (ends - lens), lens) + np.arange(total)
    pitch = notes.pitch[idx].astype(np.int64)
    seq = (INTERVAL_ZERO + np.clip(np.r_[np.diff(pitch), 0], -24, 24)).astype(np.uint8)
    seq[ends[lens > 0] - 1] = 0
    owner = np.repeat(np.arange(len(rows)), lens)
    if len(seq) < n:
        return np.zeros(len(rows), dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(seq, n)
    owner = owner[:len(windows)]
    held = np.zeros(len(rows), dtype=np.int64)
    for g in grams:
        has = np.zeros(len(rows), dtype=bool)
        has[owner[np.all(windows == g, axis=1)]] = True
        held += has
    return held


def bar_pairs(q_ids: np.ndarray, q_notes: NoteTable, t_ids: np.ndarray, t_notes: NoteTable,
              pairs: list[tuple[int, int]], transpose: int) -> list[AlignedBar]:
    """Group aligned note pairs by query bar: each query bar with the corpus bar most of its notes align to.

    Examples
    --------
    >>> qi, qn = query_notes(["M:4/4", "K:Cmaj", "C", "D", "|", "E", "F", "|"])
    >>> ti, tn = query_notes(["M:4/4", "K:Cmaj", "C", "D", "E", "F", "|"])
    >>> [(b.query_bar, b.tune_bar, b.same) for b in bar_pairs(qi, qn, ti, tn, [(0, 0), (1, 1), (2, 2), (3, 3)], 0)]
    [(0, 1, 2), (1, 1, 2)]
    """
    if not pairs:
        return []
    qb, _ = bar_table(q_ids, np.array([0, len(q_ids)]))
    tb, _ = bar_table(t_ids, np.array([0, len(t_ids)]))
    qi = np.array([a for a, _ in pairs])
    ti = np.array([b for _, b in pairs])
    qbar = qb[q_notes.position[qi]].astype(np.int64)
    tbar = tb[t_notes.position[ti]].astype(np.int64)
    same = (t_notes.pitch[ti].astype(np.int64) - q_notes.pitch[qi]) == transpose
    out = []
    for bar in np.unique(qbar):
        sel = qbar == bar
        vals, counts = np.unique(tbar[sel], return_counts=True)
        tbar_best = int(vals[np.argmax(counts)])
        out.append(AlignedBar(int(bar), tbar_best, _bar_tokens(q_ids, qb, int(bar)), _bar_tokens(t_ids, tb, tbar_best),
                              int(sel.sum()), int((sel & same).sum())))
    return out


def _bar_tokens(ids: np.ndarray, bars: np.ndarray, bar: int) -> list[str]:
    sel = np.flatnonzero(bars == bar)
    return [VOCAB.tokens[i] for i in ids[sel].tolist() if i != _END and VOCAB.categories[i] not in ("meter", "mode")]


def similar_ids(rep: RepIndex, query, *, limit: int = 10, candidates: int = 40, n: int = 4,
                local: bool = False, threshold: float = DEFAULT_THRESHOLD, bars: int = 3,
                rows_mask: np.ndarray | None = None, exclude: Sequence[int] = ()) -> SimilarResult:
    """The corpus tunes nearest to ``query`` (tokens or ids), best first.

    Parameters
    ----------
    rep : RepIndex
        The corpus's representation indexes (plain arrays).
    query : sequence of str or np.ndarray of uint8
        A tune ``[meter, mode, body...]`` or a figure (no meter/mode: read in C major).
    limit : int > 0
        Hits returned.
    candidates : int > 0
        Tunes aligned (taken from the interval index).
    n : int > 0
        Interval n-gram length for the candidates.
    local : bool
        Local alignment (a figure) instead of semi-global (a whole tune).
    threshold : float
        Recorded in the result (``found`` compares against it).
    bars : int >= 0
        For the best ``bars`` hits, align again with a traceback and list aligned bars.
    rows_mask : np.ndarray of bool or None
        Only these rows.
    exclude : sequence of int
        Rows never returned (e.g. the query's own row).

    Returns
    -------
    SimilarResult

    Raises
    ------
    ParameterError
        A bad option or a query with fewer than 2 notes.
    UnknownTokenError
        A token outside the vocabulary.

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> rep = RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "G", "A", "B", "c", "d", "|", "e", "d", "c", "B", "|"]]))
    >>> similar_ids(rep, ["A", "B", "c", "d", "e"], local=True).hits[0].score
    1.0
    >>> similar_ids(rep, ["A", "B", "c", "^d", "e", "|", "d", "c", "B"], n=2).hits[0].score
    0.75
    """
    for name, value in (("limit", limit), ("candidates", candidates), ("n", n)):
        if value < 1:
            raise ParameterError(f"{name} must be >= 1, got {value}")
    q_ids, q_notes = query_notes(query)
    qp = q_notes.pitch.astype(np.int64)
    if len(qp) < 2:
        raise ParameterError(f"the query has {len(qp)} note{'s' if len(qp) != 1 else ''}; at least 2 are needed")
    mask = rows_mask
    if len(exclude):
        mask = np.ones(rep.n_tunes, dtype=bool) if mask is None else mask.copy()
        mask[np.asarray(exclude, dtype=np.int64)] = False
    rows, weights, shifts = candidate_rows(rep, qp, n=n, k=candidates, rows_mask=mask)
    notes = rep.notes
    cands = [notes.tune(int(r)).astype(np.int64) - s for r, s in zip(rows, shifts)]
    scores = align_scores(qp, cands, local=local) if len(cands) else np.zeros(0)
    order = np.lexsort((-weights, -scores))[:limit] if len(cands) else np.zeros(0, np.int64)
    hits = [SimilarHit(int(rows[o]), float(scores[o]), int(shifts[o]), float(weights[o])) for o in order]
    for h in hits[:bars]:
        r = h.row
        t_ids = np.asarray(rep.ids[rep.offsets[r]:rep.offsets[r + 1]], dtype=np.uint8)
        t_notes = NoteTable(notes.tune(r), notes.position[notes.offsets[r]:notes.offsets[r + 1]],
                            np.array([0, notes.offsets[r + 1] - notes.offsets[r]]))
        pairs = align_pairs(qp, t_notes.pitch.astype(np.int64) - h.transpose, local=local)
        h.bars = bar_pairs(q_ids, q_notes, t_ids, t_notes, pairs, h.transpose)
    return SimilarResult(len(qp), threshold, len(rows), hits)
