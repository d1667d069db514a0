"""Disguised copies: transposition-, rhythm- and ornament-tolerant search, tune similarity, families.

Works on plain arrays (corpus token ids and offsets), never on a Corpus:

- :mod:`folkabc.similar.notes` — token ids → pitch sequences (repeats merged)
  and the ``pitch`` / ``interval`` / ``contour`` symbol strings;
- :mod:`folkabc.similar.index` — :class:`RepIndex`, suffix-array indexes over
  those strings (built lazily, cached beside the corpus);
- :mod:`folkabc.similar.align` — batched alignment scores and one traceback;
- :mod:`folkabc.similar.engine` — :func:`similar_ids`, the nearest tunes of a query;
- :mod:`folkabc.similar.families` — :func:`tune_families`, clusters of settings.

Examples
--------
>>> from folkabc.search import encode_tunes
>>> from folkabc.similar import RepIndex, similar_ids
>>> rep = RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "C", "E", "G", "c", "G", "E", "C", "|"]]))
>>> similar_ids(rep, ["M:4/4", "K:Cmaj", "D", "^F", "A", "d", "A", "^F", "D", "|"]).hits[0].score
1.0
"""

from __future__ import annotations

from .align import align_pairs, align_scores
from .engine import DEFAULT_THRESHOLD, AlignedBar, SimilarHit, SimilarResult, candidate_rows, similar_ids
from .families import Family, family_edges, tune_families
from .figures import figure_symbols, find_figure
from .index import RepIndex
from .notes import REPRESENTATIONS, NoteTable, note_table, symbols, token_pitches

__all__ = [
    "REPRESENTATIONS", "NoteTable", "note_table", "symbols", "token_pitches",
    "RepIndex", "find_figure", "figure_symbols",
    "align_scores", "align_pairs",
    "Family", "family_edges", "tune_families",
    "DEFAULT_THRESHOLD", "AlignedBar", "SimilarHit", "SimilarResult", "candidate_rows", "similar_ids",
]
