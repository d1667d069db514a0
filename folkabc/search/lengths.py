"""How long each token lasts, as tables by token id: the one owner of that knowledge for search.

The figure search reads lengths two ways: over whole arrays in numpy
(:func:`folkabc.search.bars.token_durations`, for bar tables and the index) and over a
few tokens in plain Python (:func:`folkabc.search.mapped.span_durations`, on the
one-shot search path, which imports no numpy). Both build on these tables, so the
rules cannot drift apart: a pitch, rest or chord end (``]``) sounds, for the length of
the duration token after it (1 without one); a tuplet opener corrects its group by
``q - p`` times the length of the note after it, ``q`` read under the meter in force
(row :data:`NO_METER` before any meter token).

Examples
--------
>>> from folkabc.vocab import VOCAB
>>> LENGTHS.duration[VOCAB.id("/2")], LENGTHS.duration[VOCAB.id("C")]
(0.5, None)
>>> LENGTHS.sounding[VOCAB.id("]")], LENGTHS.sounding[VOCAB.id("[")]
(True, False)
>>> LENGTHS.tuplet[(VOCAB.id("M:6/8"), VOCAB.id("(3"))]  # three in the time of two
-1.0
"""

from __future__ import annotations

from typing import NamedTuple

from ..grammar import duration_of, meter_of, token_kind, tuplet_ratio
from ..vocab import VOCAB

__all__ = ["LENGTHS", "NO_METER", "LengthTables"]

#: The meter row for tokens before any meter token (read as a simple meter).
NO_METER = 255


class LengthTables(NamedTuple):
    """Token-length facts by token id (lists of 256, ids past the vocabulary empty)."""

    duration: list  #: the length a duration token gives the note before it; None: not a duration
    sounding: list  #: whether the token carries a length (pitch, rest, chord end)
    is_meter: list  #: whether the token is a meter
    tuplet: dict  #: (meter in force or NO_METER, opener id) -> q - p


def _build() -> LengthTables:
    duration: list = [None] * 256
    sounding = [False] * 256
    is_meter = [False] * 256
    tuplet: dict[tuple[int, int], float] = {}
    meter_ids = [i for i, c in enumerate(VOCAB.categories) if c == "meter"]
    for i, (tok, cat) in enumerate(zip(VOCAB.tokens, VOCAB.categories)):
        if cat == "duration":
            duration[i] = float(duration_of(tok))
        sounding[i] = cat in ("pitch", "rest")
        is_meter[i] = cat == "meter"
        if token_kind(tok) == "tuplet":
            for m in [*meter_ids, NO_METER]:
                p, q, _ = tuplet_ratio(tok, meter_of(VOCAB.token(m))[1] if m != NO_METER else 0)
                tuplet[(m, i)] = float(q - p)
    sounding[VOCAB.id("]")] = True
    return LengthTables(duration, sounding, is_meter, tuplet)


#: The tables (built once at import).
LENGTHS = _build()
