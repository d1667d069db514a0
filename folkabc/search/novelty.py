"""Novelty (plagiarism) reports: which parts of a tune the corpus already holds.

For one tune the report gives

- for each written bar (the tokens between two bar lines): how many corpus
  tunes contain them, and how many hold them at the same place (same bar
  number and offset, i.e. opening that bar; a part's pickup keeps the number
  of the bar before it, see :mod:`folkabc.search.bars`);
- the longest figure shared with any corpus tune: its tokens, length, the
  bars of the tune it spans and which corpus tunes hold it;
- the share of the tune's body tokens covered by shared n-grams of at least
  ``k`` tokens (default 8).

All three come from the suffix array: for every start ``i`` of the body the
*matching statistic* ``ms[i]`` is the length of the longest prefix of
``body[i:]`` found in the corpus. It is computed left to right using
``ms[i+1] >= ms[i] - 1`` and narrowing each suffix-array range as the
prefix grows (:meth:`SuffixIndex.find` with ``hint``), so a tune of L tokens
costs about 2L searches.

Examples
--------
>>> from folkabc.search.index import SuffixIndex, encode_tunes
>>> corpus_tune = ["M:4/4", "K:Cmaj", "G,", "C", "C", "2", "|", "E", "D", "C", "2", "|"]
>>> ix = SuffixIndex.build(*encode_tunes([corpus_tune]))
>>> report = novelty_index(ix, corpus_tune, k=4)
>>> report.coverage, report.longest.length, report.longest.rows
(1.0, 10, [0])
>>> new = novelty_index(ix, ["M:4/4", "K:Cmaj", "E", "D", "C", "2", "|", "B,", "4", "|"], k=4)
>>> [(b.bar, b.tunes, b.same_bar) for b in new.bars], new.coverage
([(0, 1, 0), (1, 0, 0)], 0.625)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import ParameterError
from ..vocab import VOCAB
from .bars import MEASURE_IDS, bar_table
from .figures import match_places
from .index import SuffixIndex
from .view import SearchView, as_view

__all__ = ["BarReport", "SharedFigure", "NoveltyReport", "matching_statistics", "novelty_index",
           "novelty"]

_NEVER = 255  # an id no corpus holds: tokens outside the vocabulary never match


@dataclass
class BarReport:
    """One bar of the tune and where the corpus holds it.

    Attributes
    ----------
    bar : int
        Bar number (pickup = 0).
    tokens : list of str
        The bar's tokens without bar lines.
    tunes : int
        Corpus tunes containing them anywhere.
    same_bar : int
        Corpus tunes where they open the same bar number.
    tune_ids : list of int
        Up to ``max_tunes`` of the tunes containing them, same-bar ones first.
    """

    bar: int
    tokens: list[str]
    tunes: int
    same_bar: int
    tune_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON form.

        Examples
        --------
        >>> BarReport(1, ["C", "D"], 3, 1, [5]).to_dict()
        {'bar': 1, 'tokens': 'C D', 'tunes': 3, 'same_bar': 1, 'tune_ids': [5]}
        """
        return {"bar": self.bar, "tokens": " ".join(self.tokens), "tunes": self.tunes,
                "same_bar": self.same_bar, "tune_ids": list(self.tune_ids)}


@dataclass
class SharedFigure:
    """The longest figure of the tune found in the corpus.

    Attributes
    ----------
    tokens : list of str
    length : int
        In tokens.
    start : int
        Offset of its first token in the tune's token list (0 = meter).
    bars : (int, int)
        First and last bar of the tune it spans.
    tunes : int
        Corpus tunes holding it.
    tune_ids : list of int
        Up to ``max_tunes`` of them.
    rows : list of int
        Their index rows.
    titles : list of str or None
        Their titles (when the report was made on a corpus).
    """

    tokens: list[str]
    length: int
    start: int
    bars: tuple[int, int]
    tunes: int
    tune_ids: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    titles: list[str | None] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON form.

        Examples
        --------
        >>> SharedFigure(["C", "D"], 2, 4, (1, 1), 1, [9], [3], ["X"]).to_dict()["bars"]
        [1, 1]
        """
        return {"tokens": " ".join(self.tokens), "length": self.length, "start": self.start,
                "bars": list(self.bars), "tunes": self.tunes, "tune_ids": list(self.tune_ids),
                "titles": list(self.titles)}


@dataclass
class NoveltyReport:
    """How much of one tune the corpus already holds.

    Attributes
    ----------
    title : str or None
    index : int or None
        The tune's ``X:`` number or position in its file.
    n_tokens : int
        Body tokens of the tune.
    k : int
        Minimum n-gram length counted in ``coverage``.
    coverage : float
        Share of body tokens inside a shared n-gram of at least ``k`` tokens.
    covered : int
        Those tokens.
    longest : SharedFigure or None
        None when not even one token is shared.
    bars : list of BarReport
    warnings : list of str
    """

    title: str | None
    index: int | None
    n_tokens: int
    k: int
    coverage: float
    covered: int
    longest: SharedFigure | None
    bars: list[BarReport]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON form.

        Examples
        --------
        >>> NoveltyReport("T", 1, 10, 8, 0.5, 5, None, []).to_dict()["coverage"]
        0.5
        """
        return {"title": self.title, "index": self.index, "n_tokens": self.n_tokens, "k": self.k,
                "coverage": round(self.coverage, 4), "covered": self.covered,
                "longest": self.longest.to_dict() if self.longest else None,
                "bars": [b.to_dict() for b in self.bars], "warnings": list(self.warnings)}


def matching_statistics(index: SuffixIndex, query_ids: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """For each start ``i``, the longest ``l`` with ``query_ids[i:i+l]`` in the corpus.

    Parameters
    ----------
    index : SuffixIndex
    query_ids : np.ndarray of uint8 [shape=(L,)]
        Ids without ``</s>``; 255 marks a token that must never match.

    Returns
    -------
    ms : np.ndarray of int64 [shape=(L,)]
    ranges : list of (int, int)
        The suffix-array range of ``query_ids[i:i+ms[i]]`` for each ``i``.

    Examples
    --------
    >>> from folkabc.search.index import encode_tunes
    >>> ix = SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "E"]]))
    >>> matching_statistics(ix, VOCAB.encode(["C", "D", "F", "D", "E"]))[0].tolist()
    [2, 1, 0, 2, 1]
    """
    q = np.asarray(query_ids, dtype=np.uint8)
    n = len(q)
    ms = np.zeros(n, dtype=np.int64)
    ranges: list[tuple[int, int]] = []
    full = (0, len(index.sa))
    length = 0
    for i in range(n):
        length = max(length - 1, 0)
        rng = index.find(q[i:i + length]) if length else full
        while i + length < n and q[i + length] != _NEVER:
            nxt = index.find(q[i:i + length + 1], hint=rng)
            if nxt[0] >= nxt[1]:
                break
            rng = nxt
            length += 1
        ms[i] = length
        ranges.append(rng if length else (0, 0))
    return ms, ranges


def _tokens_of(tune) -> tuple[list[str], str | None, int | None]:
    """A tune given as a TokenizedTune, a token list or token text → (tokens, title, index)."""
    if isinstance(tune, str):
        return tune.split(), None, None
    if hasattr(tune, "tokens"):
        if getattr(tune, "error", None) is not None:
            raise tune.error
        return list(tune.tokens), getattr(tune, "title", None), getattr(tune, "index", None)
    return list(tune), None, None


def novelty_index(
    index: SuffixIndex,
    tune,
    *,
    k: int = 8,
    max_tunes: int = 10,
    tune_ids: np.ndarray | None = None,
    describe: Callable[[int], tuple[str | None, str | None]] | None = None,
) -> NoveltyReport:
    """Novelty report of one tune against the tunes of an index.

    Parameters
    ----------
    index : SuffixIndex
    tune : TokenizedTune or sequence of str or str
        ``[meter, mode, *body]`` tokens (space-joined text is split).
        Tokens outside the vocabulary are kept but never match (a warning
        says so).
    k : int
        Minimum length (tokens) of a shared n-gram counted in the coverage.
    max_tunes : int
        Most tune ids listed per bar and for the longest figure.
    tune_ids : np.ndarray of int or None
        Corpus tune id of each row (default: the row).
    describe : callable or None
        ``row -> (title, source)``, to name the tunes holding the longest figure.

    Returns
    -------
    NoveltyReport

    Raises
    ------
    ParameterError
        ``k`` or ``max_tunes`` below 1, or a tune without meter and mode.

    Examples
    --------
    >>> from folkabc.search.index import encode_tunes
    >>> ix = SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "E", "|"]]))
    >>> novelty_index(ix, "M:4/4 K:Cmaj C D F |", k=2).covered
    2
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ParameterError(f"k must be an integer >= 1, got {k!r}")
    if not isinstance(max_tunes, (int, np.integer)) or max_tunes < 1:
        raise ParameterError(f"max_tunes must be an integer >= 1, got {max_tunes!r}")
    tokens, title, number = _tokens_of(tune)
    if len(tokens) < 2 or not tokens[0].startswith("M:") or not tokens[1].startswith("K:"):
        raise ParameterError("a tune's tokens start with its meter and mode (e.g. 'M:4/4 K:Cmaj ...')",
                             tune=number, title=title)
    warnings = []
    oov = [(pos, t) for pos, t in enumerate(tokens) if t not in VOCAB or t in ("<s>", "</s>")]
    if oov:
        warnings.append("tokens outside the vocabulary never match: "
                        + ", ".join(f"{t!r} at {pos}" for pos, t in oov[:5]))
    ids = np.array([VOCAB.index.get(t, _NEVER) if t not in ("<s>", "</s>") else _NEVER for t in tokens],
                   dtype=np.uint8)
    # bar table of the tune itself (out-of-vocabulary tokens read as plain notes)
    enc = np.where(ids == _NEVER, VOCAB.id("C"), ids).astype(np.uint8)
    enc = np.concatenate([enc, [VOCAB.id("</s>")]]).astype(np.uint8)
    tbars, toffs = bar_table(enc, np.array([0, len(enc)], dtype=np.int64))
    body = ids[2:]
    ms, ranges = matching_statistics(index, body)
    n = len(body)
    # coverage by shared n-grams of length >= k
    diff = np.zeros(n + 1, dtype=np.int64)
    long_starts = np.flatnonzero(ms >= k)
    np.add.at(diff, long_starts, 1)
    np.add.at(diff, long_starts + ms[long_starts], -1)
    covered = int(np.count_nonzero(np.cumsum(diff)[:n]))
    ident = (lambda r: int(tune_ids[r])) if tune_ids is not None else int
    longest = None
    if n and ms.max() > 0:
        i = int(np.argmax(ms))
        length = int(ms[i])
        lo, hi = ranges[i]
        starts = np.sort(np.asarray(index.sa[lo:hi], dtype=np.int64))
        rows = np.unique(index.rows_of(starts))
        shown = [int(r) for r in rows[:max_tunes]]
        longest = SharedFigure(
            tokens=tokens[2 + i:2 + i + length], length=length, start=2 + i,
            bars=(int(tbars[2 + i]), int(tbars[2 + i + length - 1])), tunes=len(rows),
            tune_ids=[ident(r) for r in shown], rows=shown,
            titles=[describe(r)[0] for r in shown] if describe is not None else [])
    # per written bar (the notes between two bar lines): where the corpus holds them
    bar_reports = []
    for first, last in _written_bars(ids, start=2):
        q = ids[first:last]
        bar, off = int(tbars[first]), int(toffs[first])
        if np.any(q == _NEVER):
            bar_reports.append(BarReport(bar, tokens[first:last], 0, 0, []))
            continue
        lo, hi = index.find(q)
        starts = np.sort(np.asarray(index.sa[lo:hi], dtype=np.int64))
        rows = index.rows_of(starts)
        mbars, moffs = match_places(index, q, starts)
        same = np.unique(rows[(mbars == bar) & (moffs == off)])
        anywhere = np.unique(rows)
        same_set = set(same.tolist())
        listed = same.tolist()[:max_tunes] + [r for r in anywhere.tolist() if r not in same_set]
        bar_reports.append(BarReport(bar, tokens[first:last], len(anywhere), len(same),
                                     [ident(int(r)) for r in listed[:max_tunes]]))
    return NoveltyReport(title=title, index=number, n_tokens=n, k=int(k),
                         coverage=covered / n if n else 0.0, covered=covered, longest=longest,
                         bars=bar_reports, warnings=warnings)


def _written_bars(ids: np.ndarray, *, start: int) -> list[tuple[int, int]]:
    """``[first, end)`` of each run of tokens between bar lines that holds a note."""
    measure = np.isin(ids, MEASURE_IDS)
    out, first = [], None
    for p in range(start, len(ids) + 1):
        if p == len(ids) or measure[p]:
            if first is not None:
                out.append((first, p))
            first = None
        elif first is None:
            first = p
    return out


def novelty(corpus: SearchView, tune, **kw) -> NoveltyReport:
    """Novelty report of one tune against a corpus (what ``Corpus.novelty`` calls, with its view).

    Parameters
    ----------
    corpus : SearchView or Corpus
        The corpus's :class:`SearchView`, or an open :class:`folkabc.corpus.Corpus`
        (its ``search_view()`` is used).
    tune : TokenizedTune or sequence of str or str
    **kw
        ``k``, ``max_tunes``: see :func:`novelty_index`.

    Returns
    -------
    NoveltyReport
        Tune ids are corpus tune ids; the longest figure names its tunes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from folkabc.corpus import Corpus
    >>> from folkabc.corpus.build import build_corpus
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.txt").write_text("M:4/4\\nK:Cmaj\\n|: G, C C 2 G, C E C | G, C C 2 E 4 :|\\n")
    >>> _ = build_corpus([d / "t.txt"], d / "corpus", quiet=True, workers=1)
    >>> rep = novelty(Corpus.open(d / "corpus"), "M:4/4 K:Cmaj G, C C 2 E 4 :|", k=4)
    >>> rep.coverage, rep.longest.tune_ids, [(b.bar, b.tunes, b.same_bar) for b in rep.bars]
    (1.0, [1], [(1, 1, 0)])
    """
    view = as_view(corpus)
    return novelty_index(view.index, tune, tune_ids=view.tune_ids, describe=view.describe, **kw)
