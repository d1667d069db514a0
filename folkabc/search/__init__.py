"""Figure search and novelty reports over the corpus (exact n-grams on token ids).

Layers that each know less than the one above (as in infini-gram):

- :mod:`folkabc.search.index` — :class:`SuffixIndex`, a suffix array over
  the corpus token ids (ids only: ``find``, ``count``, ``positions``);
- :mod:`folkabc.search.bars` — per-token bar numbers, computed with the index;
- :mod:`folkabc.search.query` — query text → tokens, option values → tokens;
- :mod:`folkabc.search.view` — :class:`SearchView`, the plain per-row arrays
  (tune ids, titles, sources) a corpus hands down; search never imports the corpus;
- :mod:`folkabc.search.mapped` — the query primitives on plain buffers, and a saved index
  read through memory maps without numpy (the one-shot ``folkabc search``);
- :mod:`folkabc.search.results` — :class:`Match`, :class:`SearchResult`;
- :mod:`folkabc.search.figures` — :func:`search_index` / :func:`search_corpus`
  (``Corpus.search`` calls the latter with its view);
- :mod:`folkabc.search.novelty` — :func:`novelty_index` / :func:`novelty`
  (``Corpus.novelty`` calls the latter with its view).

Names load on first use (numpy with them), so importing one submodule imports only what it needs.

Examples
--------
>>> from folkabc.search import SuffixIndex, encode_tunes, search_index
>>> index = SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "G,", "C", "C", "2", "|"]]))
>>> search_index(index, "G, C C 2").occurrences
1
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .._lazy import lazy_names

_LAZY = {
    "SuffixIndex": "index",
    "encode_tunes": "index",
    "suffix_array": "index",
    "bar_table": "bars",
    "parse_query": "query",
    "SearchView": "view",
    "Match": "results",
    "SearchResult": "results",
    "search_index": "figures",
    "search_corpus": "figures",
    "BarReport": "novelty",
    "SharedFigure": "novelty",
    "NoveltyReport": "novelty",
    "matching_statistics": "novelty",
    "novelty_index": "novelty",
    "novelty": "novelty",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_names("folkabc.search", _LAZY, globals(), prefix="folkabc.search.")


class _Package(types.ModuleType):
    """The package's module type: importing the submodule ``novelty`` (which sets the package's
    attribute of that name) leaves ``folkabc.search.novelty`` the function, as an eager
    ``from .novelty import novelty`` did."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
