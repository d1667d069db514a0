"""Figure search: every occurrence of a token figure, with tune, bar and position.

:func:`search_index` works on a :class:`~folkabc.search.index.SuffixIndex`
alone (rows, bars, offsets); :func:`search_corpus` adds what the corpus knows
(tune ids, titles, sources, the ``source`` filter) and is what
``Corpus.search`` and ``folkabc search`` call.

A match's bar and offset are those of its first token that is not a bar line
(so ``"| G, C"`` is placed at the ``G,``); the offset is counted in tokens
from the first token of the bar (0 = the figure opens the bar), and the
listed matches also carry their ``onset`` in the bar in units of L:1/8.

Examples
--------
>>> from folkabc.search.index import SuffixIndex, encode_tunes
>>> ids, offsets = encode_tunes([
...     ["M:4/4", "K:Cmaj", "B,", "|", "G,", "C", "C", "2", "G,", "C", "E", "C", "|"],
...     ["M:4/4", "K:Cmaj", "G,", "C", "C", "2", "E", "4", "|", "G,", "C", "C", "2", "E", "4", "|"]])
>>> res = search_index(SuffixIndex.build(ids, offsets), ["G,", "C", "C", "2"])
>>> res.tunes, res.occurrences, [(m.row, m.bar, m.offset) for m in res.matches]
(2, 3, [(0, 1, 0), (1, 1, 0), (1, 2, 0)])
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..errors import ParameterError
from ..vocab import VOCAB
from .index import SuffixIndex
from .mapped import bar_span, lead_of
from .query import parse_meter, parse_mode, parse_query, parse_same_position
from .results import Match, SearchResult, list_matches
from .view import SearchView, as_view

__all__ = ["Match", "SearchResult", "search_index", "search_corpus", "bar_tokens", "match_places"]

_HEADER = ("meter", "mode", "special")


def match_places(index: SuffixIndex, query_ids: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bar and bar offset of matches starting at global token positions ``starts``.

    Each match is placed at its first token that is not a bar line.

    Examples
    --------
    >>> from folkabc.search.index import encode_tunes
    >>> ids, offsets = encode_tunes([["M:3/4", "K:Cmaj", "C", "6", "|", "D", "6", "|"]])
    >>> ix = SuffixIndex.build(ids, offsets)
    >>> [a.tolist() for a in match_places(ix, VOCAB.encode(["|", "D"]), np.array([4]))]
    [[2], [0]]
    """
    at = np.asarray(starts, dtype=np.int64) + lead_of(query_ids)
    return (np.asarray(index.bars[at], dtype=np.int64), np.asarray(index.bar_offsets[at], dtype=np.int64))


def bar_tokens(index: SuffixIndex, row: int, bar: int) -> list[str]:
    """The tokens of bar ``bar`` of tune ``row`` (meter, mode and ``</s>`` left out).

    Examples
    --------
    >>> from folkabc.search.index import encode_tunes
    >>> ids, offsets = encode_tunes([["M:3/4", "K:Cmaj", "C", "6", "|", "D", "6", "|"]])
    >>> bar_tokens(SuffixIndex.build(ids, offsets), 0, 2)
    ['D', '6', '|']
    """
    a, b = int(index.offsets[row]), int(index.offsets[row + 1])
    x, y = bar_span(index.views["bars"], a, b, int(bar))
    return VOCAB.decode(index.views["ids"][x:y].tolist())


def _row_mask(index: SuffixIndex, meter: str | None, mode: str | None) -> np.ndarray | None:
    heads = index.offsets[:-1]
    mask = None
    if meter is not None:
        mask = np.asarray(index.ids[heads]) == VOCAB.id(meter)
    if mode is not None:
        m2 = np.asarray(index.ids[heads + 1]) == VOCAB.id(mode)
        mask = m2 if mask is None else mask & m2
    return mask


def search_index(
    index: SuffixIndex,
    tokens: Sequence[str] | str,
    *,
    same_position: tuple[int, int | None] | str | None = None,
    meter: str | None = None,
    mode: str | None = None,
    rows: np.ndarray | None = None,
    limit: int | None = 20,
    key: str = "C",
    tune_ids: np.ndarray | None = None,
    describe: Callable[[int], tuple[str | None, str | None]] | None = None,
) -> SearchResult:
    """Count and list the occurrences of a figure in an index.

    Parameters
    ----------
    index : SuffixIndex
    tokens : sequence of str or str
        The figure as tokens, or query text (see :func:`parse_query`).
    same_position : (int, int or None) or str or None
        Keep only matches starting in this bar (and at this token offset in
        it), e.g. ``(1, 0)`` or ``"1:0"``.
    meter, mode : str or None
        Keep only tunes of this meter (``"6/8"``) / mode (``"dor"``).
    rows : np.ndarray of bool or None [shape=(n_tunes,)]
        Keep only these rows (e.g. a source filter).
    limit : int or None
        Most matches listed (counts stay exact); None lists all. When the
        occurrences outnumber it, the listed ones are the first ``limit`` in
        suffix-array order (see :class:`SearchResult`, ``approx``). Without
        ``same_position``, ``meter``, ``mode`` or ``rows`` the work is
        O(m log N + limit + hits / 65,536), not proportional to the hits;
        a filter visits every occurrence.
    key : str
        Key of an ABC query (ignored for token queries).
    tune_ids : np.ndarray of int or None
        Corpus tune id of each row (default: the row).
    describe : callable or None
        ``row -> (title, source)`` for the listed matches.

    Returns
    -------
    SearchResult

    Raises
    ------
    ParameterError
        A bad option (names it and its value).
    UnknownTokenError
        A query token outside the vocabulary.

    Examples
    --------
    >>> from folkabc.search.index import encode_tunes
    >>> bar = ["C", "D", "E", "C", "D", "E", "|"]
    >>> ids, offsets = encode_tunes([["M:6/8", "K:Cmaj"] + bar + bar])
    >>> res = search_index(SuffixIndex.build(ids, offsets), "C D E", same_position="2:0", limit=5)
    >>> res.occurrences, res.matches[0].bar, res.matches[0].bar_tokens
    (1, 2, ['C', 'D', 'E', 'C', 'D', 'E', '|'])
    """
    if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 0):
        raise ParameterError(f"limit must be a non-negative integer or None, got {limit!r}")
    toks = parse_query(tokens, key=key) if isinstance(tokens, str) else list(tokens)
    if not toks:
        raise ParameterError("empty query: give at least one token")
    if isinstance(same_position, str):
        same_position = parse_same_position(same_position)
    q = VOCAB.encode(toks)
    lo, hi = index.find(q)
    mask = _row_mask(index, parse_meter(meter), parse_mode(mode))
    if rows is not None:
        rows = np.asarray(rows, dtype=bool)
        if rows.shape != (index.n_tunes,):
            raise ParameterError(f"rows must be a bool mask over {index.n_tunes} tunes, got shape {rows.shape}")
        mask = rows if mask is None else mask & rows
    if mask is None and same_position is None:
        # no filter: exact counts from the range alone; only the listed matches are visited
        n_occ = hi - lo
        n_tunes = index.tunes_in_range(lo, hi)
        shown = n_occ if limit is None else min(limit, n_occ)
        starts = np.sort(np.asarray(index.sa[lo:lo + shown], dtype=np.int64))
    else:
        # filters look at every occurrence (in suffix-array order), then list as above
        starts = np.asarray(index.sa[lo:hi], dtype=np.int64)
        row_of = index.rows_of(starts)
        if mask is not None:
            keep = mask[row_of]
            starts, row_of = starts[keep], row_of[keep]
        bars, offs = match_places(index, q, starts)
        if same_position is not None:
            bar, off = same_position
            sel = bars == bar
            if off is not None:
                sel &= offs == off
            starts, row_of, bars, offs = starts[sel], row_of[sel], bars[sel], offs[sel]
        n_occ = len(starts)
        n_tunes = len(np.unique(row_of))
        shown = n_occ if limit is None else min(limit, n_occ)
        starts = np.sort(starts[:shown])
    matches = list_matches(index.places(starts, lead_of(q)), tune_ids=tune_ids, describe=describe)
    return SearchResult(query_tokens=toks, tunes=n_tunes, occurrences=n_occ, matches=matches,
                        approx=shown < n_occ, limit=limit)


def search_corpus(corpus: SearchView, tokens: Sequence[str] | str, *, source: str | None = None,
                  **kw) -> SearchResult:
    """Search a corpus for a figure (what ``Corpus.search`` calls, with its :class:`SearchView`).

    Parameters
    ----------
    corpus : SearchView or Corpus
        The corpus's view (index, tune ids, titles, sources), or an open
        :class:`folkabc.corpus.Corpus` (its ``search_view()`` is used).
    tokens : sequence of str or str
        The figure as tokens or query text.
    source : str or None
        Keep only tunes from this source (e.g. ``"oneills1850"``).
    **kw
        ``same_position``, ``meter``, ``mode``, ``limit``, ``key``: see
        :func:`search_index`.

    Returns
    -------
    SearchResult
        Matches carry corpus tune ids, titles and sources.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from folkabc.corpus import Corpus
    >>> from folkabc.corpus.build import build_corpus
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.txt").write_text("M:4/4\\nK:Cmaj\\n|: G, C C 2 G, C E C | G, C C 2 E 4 :|\\n")
    >>> _ = build_corpus([d / "t.txt"], d / "corpus", quiet=True, workers=1)
    >>> res = search_corpus(Corpus.open(d / "corpus"), "G, C C 2")
    >>> res.occurrences, [(m.tune_id, m.source, m.bar, m.offset) for m in res.matches]
    (2, [(1, 't', 1, 0), (1, 't', 2, 0)])
    """
    view = as_view(corpus)
    rows = view.source_mask(source) if source is not None else None
    return search_index(view.index, tokens, rows=rows, tune_ids=view.tune_ids, describe=view.describe, **kw)
