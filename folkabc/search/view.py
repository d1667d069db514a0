"""What search knows of a corpus: plain per-row arrays, handed down by the front.

Search never imports or calls :mod:`folkabc.corpus`. The corpus (the front, which owns
names, files and metadata) builds a :class:`SearchView` once and passes it down
(``Corpus.search_view()``); :func:`folkabc.search.search_corpus` and
:func:`folkabc.search.novelty` take the view (or anything with a ``search_view()``
method, such as an open ``Corpus``, so that ``novelty(corpus, tune)`` reads as before).

Examples
--------
>>> import numpy as np
>>> from folkabc.search.index import SuffixIndex, encode_tunes
>>> index = SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "C", "|"], ["M:6/8", "K:Cdor", "D", "|"]]))
>>> view = SearchView(index, tune_ids=np.array([7, 9]), titles=np.array(["A", "B"], dtype=object),
...                   sources=np.array(["x", "y"], dtype=object),
...                   copy_rows={"x": np.array([0, 1]), "y": np.array([1])})
>>> view.describe(1), view.source_mask("y").tolist()
(('B', 'y'), [False, True])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import ParameterError
from .index import SuffixIndex

__all__ = ["SearchView", "as_view"]


@dataclass(frozen=True, eq=False)
class SearchView:
    """The index of a corpus and the per-row facts search prints and filters on.

    Attributes
    ----------
    index : SuffixIndex
        The suffix index over the corpus rows.
    tune_ids : np.ndarray of int64 [shape=(n_rows,)]
        The corpus tune id of each row.
    titles, sources : np.ndarray of object [shape=(n_rows,)]
        The first title and source of each row (``None`` where unknown).
    copy_rows : mapping of str to np.ndarray of int
        For each source, the rows with a copy from it (a tune merged from two
        collections is in both).
    """

    index: SuffixIndex
    tune_ids: np.ndarray
    titles: np.ndarray
    sources: np.ndarray
    copy_rows: Mapping[str, np.ndarray] = field(default_factory=dict)

    def describe(self, row: int) -> tuple[str | None, str | None]:
        """``(title, source)`` of a row.

        Examples
        --------
        >>> import numpy as np
        >>> v = SearchView(None, np.array([3]), np.array(["Tune"], dtype=object), np.array([None]))
        >>> v.describe(0)
        ('Tune', None)
        """
        return (self.titles[row], self.sources[row])

    def source_mask(self, source: str) -> np.ndarray:
        """Rows with a copy from ``source``; ParameterError when no row has one.

        Examples
        --------
        >>> import numpy as np
        >>> v = SearchView(None, np.array([3, 4]), np.array([None, None]), np.array(["a", "a"], dtype=object),
        ...                copy_rows={"a": np.array([1])})
        >>> v.source_mask("a").tolist()
        [False, True]
        """
        rows = self.copy_rows.get(source)
        if rows is None or len(rows) == 0:
            known = sorted({s for s in self.sources if s})
            raise ParameterError(f"source {source!r} is not in this corpus (sources: {', '.join(known)})")
        mask = np.zeros(len(self.tune_ids), dtype=bool)
        mask[rows] = True
        return mask


def as_view(corpus) -> SearchView:
    """A :class:`SearchView` as is, or the view of an object that offers one (``Corpus.search_view()``).

    Examples
    --------
    >>> import numpy as np
    >>> v = SearchView(None, np.array([1]), np.array([None]), np.array([None]))
    >>> as_view(v) is v
    True
    """
    if isinstance(corpus, SearchView):
        return corpus
    view = getattr(corpus, "search_view", None)
    if view is None:
        raise ParameterError(f"search needs a SearchView or an open corpus, got {type(corpus).__name__}")
    return view()
