"""Figure search and novelty reports over the corpus (exact n-grams on token ids).

Layers that each know less than the one above (as in infini-gram):

- :mod:`folkabc.search.index` — :class:`SuffixIndex`, a suffix array over
  the corpus token ids (ids only: ``find``, ``count``, ``positions``);
- :mod:`folkabc.search.bars` — per-token bar numbers, computed with the index;
"""

from __future__ import annotations

from .bars import bar_table
from .index import SuffixIndex, encode_tunes, suffix_array

__all__ = ["SuffixIndex", "encode_tunes", "suffix_array", "bar_table"]
