"""Exact occurrences of a figure in the ``pitch``, ``interval`` or ``contour`` representation.

The figure's tokens become notes and symbols by the same rules as the corpus
(:mod:`folkabc.similar.notes`; a figure without meter and mode is read in C
major), the symbols are looked up in that representation's suffix array, and
each occurrence is mapped back to its tune row and the token offset of its
first note.

Examples
--------
>>> from folkabc.search import encode_tunes
>>> from folkabc.similar.index import RepIndex
>>> rep = RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "C", "2", "E", "G", "|"], ["M:4/4", "K:Cmaj", "D", "^F", "A"]]))
>>> find_figure(rep, ["C", "E", "G"], "interval")
(array([0, 1]), array([2, 2]))
>>> find_figure(rep, ["C", "E", "E", "G"], "pitch")[0].tolist()
[0]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ParameterError
from ..vocab import VOCAB
from .index import RepIndex
from .notes import REPRESENTATIONS, note_table, symbols

__all__ = ["find_figure", "figure_symbols"]

_END = VOCAB.id("</s>")


def figure_symbols(tokens: Sequence[str], rep_name: str) -> np.ndarray:
    """The symbols of a figure (tokens) in representation ``rep_name``.

    Raises
    ------
    ParameterError
        An unknown representation, or a figure too short for it (a pitch figure
        needs 1 note, an interval or contour figure 2).

    Examples
    --------
    >>> figure_symbols(["c", "B", "A", "G"], "contour").tolist()
    [68, 68, 68]
    """
    if rep_name not in REPRESENTATIONS:
        raise ParameterError(f"--match {rep_name!r} is not one of exact, {', '.join(REPRESENTATIONS)}")
    ids = np.r_[VOCAB.encode(list(tokens)), _END].astype(np.uint8)
    notes = note_table(ids, np.array([0, len(ids)]))
    sym, _ = symbols(notes, rep_name)
    sym = sym[:-1]
    if len(sym) == 0:
        need = 1 if rep_name == "pitch" else 2
        raise ParameterError(f"the figure has {len(notes.pitch)} distinct note(s) in a row; "
                             f"--match {rep_name} needs at least {need}")
    return sym


def find_figure(rep: RepIndex, tokens: Sequence[str], rep_name: str,
                rows_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every occurrence of the figure: (tune row, token offset of its first note), in corpus order.

    Parameters
    ----------
    rep : RepIndex
    tokens : sequence of str
    rep_name : {"pitch", "interval", "contour"}
    rows_mask : np.ndarray of bool or None
        Only these rows.

    Returns
    -------
    rows, positions : np.ndarray of int64
    """
    sym = figure_symbols(tokens, rep_name)
    index = rep.index(rep_name)
    lo, hi = index.find(sym)
    starts = np.sort(np.asarray(index.sa[lo:hi], dtype=np.int64))
    rows = rep.row_of(rep_name)[starts].astype(np.int64)
    if rows_mask is not None:
        keep = rows_mask[rows]
        starts, rows = starts[keep], rows[keep]
    note_idx = rep.notes.offsets[rows] + (starts - index.offsets[rows])
    return rows, rep.notes.position[note_idx].astype(np.int64)
