"""Figure search and novelty reports over the corpus (exact n-grams on token ids).

Layers that each know less than the one above (as in infini-gram):

- :mod:`folkabc.search.index` — :class:`SuffixIndex`, a suffix array over
  the corpus token ids (ids only: ``find``, ``count``, ``positions``);
- :mod:`folkabc.search.bars` — per-token bar numbers, computed with the index;
- :mod:`folkabc.search.query` — query text → tokens, option values → tokens;
- :mod:`folkabc.search.view` — :class:`SearchView`, the plain per-row arrays
  (tune ids, titles, sources) a corpus hands down; search never imports the corpus;
- :mod:`folkabc.search.figures` — :func:`search_index` / :func:`search_corpus`
  (``Corpus.search`` calls the latter with its view);
- :mod:`folkabc.search.novelty` — :func:`novelty_index` / :func:`novelty`
  (``Corpus.novelty`` calls the latter with its view).

Examples
--------
>>> from folkabc.search import SuffixIndex, encode_tunes, search_index
>>> index = SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "G,", "C", "C", "2", "|"]]))
>>> search_index(index, "G, C C 2").occurrences
1
"""

from __future__ import annotations

from .bars import bar_table
from .figures import Match, SearchResult, search_corpus, search_index
from .index import SuffixIndex, encode_tunes, suffix_array
from .novelty import BarReport, NoveltyReport, SharedFigure, matching_statistics, novelty, novelty_index
from .query import parse_query
from .view import SearchView

__all__ = [
    "SuffixIndex",
    "encode_tunes",
    "suffix_array",
    "bar_table",
    "parse_query",
    "SearchView",
    "Match",
    "SearchResult",
    "search_index",
    "search_corpus",
    "BarReport",
    "SharedFigure",
    "NoveltyReport",
    "matching_statistics",
    "novelty_index",
    "novelty",
]
