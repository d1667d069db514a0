"""Tune families: settings of one tune grouped by similarity (connected components).

Every tune is a query (:func:`folkabc.similar.engine.candidate_rows` gives at
most ``candidates`` other tunes sharing transposition-consistent interval
n-grams with it, never all pairs); each candidate is aligned semi-globally and
the raw score is divided by the longer tune's length (not the query's, so that
a short tune found inside a long one is no edge); a pair scoring at least
``threshold`` either way round is an edge. Families are
the connected components of those edges (single linkage), so the time is
bounded by ``n_tunes × candidates`` alignments.

Examples
--------
>>> from folkabc.search import encode_tunes
>>> from folkabc.similar.index import RepIndex
>>> a = ["M:4/4", "K:Cmaj", "C", "E", "G", "c", "B", "G", "E", "D", "C", "|"]
>>> b = ["M:4/4", "K:Cmaj", "C", "E", "G", "c", "B", "G", "F", "D", "C", "|"]     # one note changed
>>> z = ["M:4/4", "K:Cmaj", "G", "F", "E", "D", "E", "F", "G", "A", "B", "|"]
>>> fams = tune_families(RepIndex(*encode_tunes([a, z, b])), n=3)
>>> [f.rows for f in fams]
[[0, 2]]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ParameterError
from .align import align_scores
from .engine import DEFAULT_THRESHOLD, candidate_rows
from .index import RepIndex

__all__ = ["Family", "tune_families", "family_edges"]


@dataclass
class Family:
    """One family: its rows (ascending) and the weakest and mean edge scores that joined it."""

    rows: list[int]
    min_score: float
    mean_score: float
    tune_ids: list[int] | None = None
    titles: list[str] | None = None

    def to_dict(self) -> dict:
        """JSON form."""
        d = asdict(self)
        d["min_score"] = round(self.min_score, 4)
        d["mean_score"] = round(self.mean_score, 4)
        return d


def family_edges(rep: RepIndex, *, rows: np.ndarray | None = None, threshold: float = DEFAULT_THRESHOLD,
                 candidates: int = 8, n: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(a, b)`` with ``a < b`` of similar tunes among ``rows`` (default all) and their scores.

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> t = ["M:4/4", "K:Cmaj", "C", "D", "E", "F", "G", "A", "G", "E"]
    >>> [x.tolist() for x in family_edges(RepIndex(*encode_tunes([t, t])), n=3)]
    [[0], [1], [1.0]]
    """
    if not 0 < threshold <= 1:
        raise ParameterError(f"threshold must be in (0, 1], got {threshold}")
    if candidates < 1:
        raise ParameterError(f"candidates must be >= 1, got {candidates}")
    notes = rep.notes
    all_rows = np.arange(rep.n_tunes) if rows is None else np.unique(np.asarray(rows, dtype=np.int64))
    mask = np.zeros(rep.n_tunes, dtype=bool)
    mask[all_rows] = True
    best: dict[tuple[int, int], float] = {}
    for r in all_rows.tolist():
        p = notes.tune(r).astype(np.int64)
        if len(p) < n + 1:
            continue
        mask[r] = False
        cands, _, shifts = candidate_rows(rep, p, n=n, k=candidates, rows_mask=mask)
        mask[r] = True
        if len(cands) == 0:
            continue
        others = [notes.tune(int(c)).astype(np.int64) - s for c, s in zip(cands, shifts)]
        scores = align_scores(p, others)
        # symmetric: over the longer of the two tunes, so a short tune found inside a long one
        # (a strain of a medley) is no edge, and single linkage cannot chain through such hubs
        scores = scores * len(p) / np.maximum(len(p), [len(o) for o in others])
        for c, s in zip(cands.tolist(), scores.tolist()):
            if s >= threshold:
                key = (min(r, c), max(r, c))
                best[key] = max(best.get(key, 0.0), s)
    if not best:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    keys = sorted(best)
    return (np.array([a for a, _ in keys]), np.array([b for _, b in keys]), np.array([best[k] for k in keys]))


def tune_families(rep: RepIndex, *, rows: np.ndarray | None = None, threshold: float = DEFAULT_THRESHOLD,
                  candidates: int = 8, n: int = 4, min_size: int = 2) -> list[Family]:
    """Families of similar tunes among ``rows`` (default: the whole corpus), largest first.

    Parameters
    ----------
    rep : RepIndex
    rows : np.ndarray of int or None
        Only these tunes (and edges between them).
    threshold : float in (0, 1]
        Least alignment score of an edge.
    candidates : int > 0
        Tunes aligned per tune.
    n : int > 0
        Interval n-gram length of the candidate search.
    min_size : int >= 1
        Smallest family reported (1 lists every tune).

    Returns
    -------
    list of Family

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> t = ["M:4/4", "K:Cmaj", "C", "D", "E", "F", "G", "A", "G", "E"]
    >>> tune_families(RepIndex(*encode_tunes([t, t, t])), n=3)[0].rows
    [0, 1, 2]
    """
    if min_size < 1:
        raise ParameterError(f"min_size must be >= 1, got {min_size}")
    a, b, s = family_edges(rep, rows=rows, threshold=threshold, candidates=candidates, n=n)
    parent = np.arange(rep.n_tunes)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist()):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    members = np.arange(rep.n_tunes) if rows is None else np.unique(np.asarray(rows, dtype=np.int64))
    roots = np.array([find(int(x)) for x in members])
    edge_root = np.array([find(int(x)) for x in a.tolist()], dtype=np.int64)
    out = []
    for root in np.unique(roots):
        fam = members[roots == root]
        if len(fam) < min_size:
            continue
        es = s[edge_root == root]
        out.append(Family([int(x) for x in fam], float(es.min()) if len(es) else 1.0,
                          float(es.mean()) if len(es) else 1.0))
    out.sort(key=lambda f: (-len(f.rows), f.rows[0]))
    return out
