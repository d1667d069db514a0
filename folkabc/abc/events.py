"""The typed events of a tune body, as :func:`folkabc.abc.read_body` emits them.

Each kind is a :class:`typing.NamedTuple` (as cheap as a tuple) ending in the 1-based
``line`` and ``col`` of its source text. Lengths are :class:`~fractions.Fraction` of a
whole note (``L:`` and broken rhythm not applied to broken pairs; tuplets not applied:
consumers apply :class:`Tuplet` and :class:`Broken` themselves). Pitches are resolved:
``midi`` is the sounding MIDI number after key signature and bar accidentals.

===============  ==================================================================
kind             meaning
===============  ==================================================================
:class:`Note`    a note (also inside a chord or grace group)
:class:`Rest`    a rest (``z``; ``Z``/``X`` give one whole-bar rest per bar)
:class:`ChordStart`, :class:`ChordEnd`  ``[`` … ``]``; the chord's length is on the end
:class:`Bar`     a bar line as written (``|`` ``||`` ``|]`` ``[|`` ``|:`` ``:|`` ``::``
                 ``:|:`` …) with its ending number (``|1``, ``:|2``) if any
:class:`Ending`  an ending written apart from its bar line (``[2``)
:class:`Tuplet`  ``(p:q:r`` with ``q`` and ``r`` resolved (ABC 2.1 §4.13)
:class:`Broken`  broken rhythm ``>`` ``<`` ``>>`` …
:class:`Tie`     ``-`` after a note or inside a chord
:class:`Grace`   ``{…}``: its notes
:class:`Decoration`  ``!trill!``, ``+fermata+``, ``~``, ``.``, ``H``, ``T`` …
:class:`Slur`    ``(`` or ``)``
:class:`Annotation`  a chord symbol or annotation ``"…"`` (text without the quotes)
:class:`FieldChange` a field in the body (``K:`` → :class:`~folkabc.abc.keys.Key`,
                 ``M:`` → :class:`~folkabc.abc.keys.Meter`, ``L:`` → Fraction, ``V:``
                 ``P:`` ``Q:`` → text), inline or on its own line
===============  ==================================================================

Examples
--------
>>> Note(28, 60, Fraction(1, 8), None, 1, 1).midi
60
>>> Bar("|:", None, 2, 1).kind
'|:'
"""

from __future__ import annotations

from fractions import Fraction

from .._record import NamedTuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Note", "Rest", "ChordStart", "ChordEnd", "Bar", "Ending", "Tuplet", "Broken", "Tie", "Grace",
    "Decoration", "Slur", "Annotation", "FieldChange", "closes_part", "Event",
]


class Note(NamedTuple):
    """A note: diatonic ``step`` (C4 = 28), sounding ``midi``, written ``length`` (whole notes),
    ``accidental`` written on it (-2..2, 0 for ``=``; None when unmarked)."""

    step: int
    midi: int
    length: Fraction
    accidental: int | None
    line: int
    col: int


class Rest(NamedTuple):
    """A rest of ``length`` whole notes."""

    length: Fraction
    line: int
    col: int


class ChordStart(NamedTuple):
    """``[`` opening a chord; its notes follow."""

    line: int
    col: int


class ChordEnd(NamedTuple):
    """``]`` closing a chord: the chord lasts ``length`` (its first note's length times the
    length written after ``]``)."""

    length: Fraction
    line: int
    col: int


class Bar(NamedTuple):
    """A bar line: ``kind`` as written (``:|]`` …), ``ending`` the numbers after it (``"1,3"``) or None."""

    kind: str
    ending: str | None
    line: int
    col: int


class Ending(NamedTuple):
    """An ending ``[n`` written apart from a bar line: ``numbers`` as written (``"2"``, ``"1,3"``)."""

    numbers: str
    line: int
    col: int


class Tuplet(NamedTuple):
    """``(p:q:r``: the next ``r`` notes take ``q/p`` of their length; ``plain`` when q and r are the
    defaults (written ``(p``)."""

    p: int
    q: int
    r: int
    plain: bool
    line: int
    col: int


class Broken(NamedTuple):
    """Broken rhythm between two notes: ``symbol`` ``>`` ``<`` ``>>`` …"""

    symbol: str
    line: int
    col: int


class Tie(NamedTuple):
    """``-``: the preceding note (or chord) is tied to the next."""

    line: int
    col: int


class Grace(NamedTuple):
    """Grace notes ``{…}`` before the next note (their lengths as written, times ``L:``)."""

    notes: tuple
    line: int
    col: int


class Decoration(NamedTuple):
    """A decoration: ``!name!``/``+name+`` give ``name``; one-character ones (``~ . H T``) the character."""

    name: str
    line: int
    col: int


class Slur(NamedTuple):
    """``(`` or ``)``."""

    symbol: str
    line: int
    col: int


class Annotation(NamedTuple):
    """A chord symbol or annotation, the text between the quotes."""

    text: str
    line: int
    col: int


class FieldChange(NamedTuple):
    """A field in the body: ``letter`` and its read ``value`` (Key, Meter, Fraction or text)."""

    letter: str
    value: Any
    line: int
    col: int


def closes_part(kind: str) -> bool:
    """Whether a bar line written ``kind`` closes a part: it holds ``||``, ``|]`` or ``[|``
    (folk-rnn tokens write those ``|``).

    Examples
    --------
    >>> closes_part("||"), closes_part(":|]"), closes_part(":|"), closes_part("|")
    (True, True, False, False)
    """
    return "||" in kind or "|]" in kind or "[|" in kind

Event = (Note | Rest | ChordStart | ChordEnd | Bar | Ending | Tuplet | Broken | Tie | Grace | Decoration
         | Slur | Annotation | FieldChange)
