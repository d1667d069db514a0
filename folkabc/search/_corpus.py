"""What search needs from a :class:`folkabc.corpus.Corpus`, in one place.

The corpus gives (see ``folkabc/corpus/core.py``): ``index`` (the memory-mapped
:class:`~folkabc.search.index.SuffixIndex`), ``tune_ids`` (one per row),
``meta_array(name)`` (per-row metadata) and ``mask(source=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from .index import SuffixIndex

__all__ = ["CorpusView", "corpus_view"]


@dataclass
class CorpusView:
    """The index of a corpus and the per-row facts search prints."""

    corpus: Any
    index: SuffixIndex
    tune_ids: np.ndarray

    def describe(self, row: int) -> tuple[str | None, str | None]:
        """``(title, source)`` of a row."""
        return (self.corpus.meta_array("title")[row], self.corpus.meta_array("source")[row])

    def source_mask(self, source: str) -> np.ndarray:
        """Rows with a copy from ``source``; ParameterError when no row has one."""
        mask = np.asarray(self.corpus.mask(source=source), dtype=bool)
        if not mask.any():
            known = sorted({s for s in self.corpus.meta_array("source") if s})
            raise ParameterError(f"source {source!r} is not in this corpus (sources: {', '.join(known)})")
        return mask


def corpus_view(corpus) -> CorpusView:
    """The :class:`CorpusView` of an open corpus (its index loaded memory-mapped)."""
    index = corpus.index
    return CorpusView(corpus, index, np.asarray(corpus.tune_ids, dtype=np.int64))
