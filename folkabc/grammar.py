"""The folk-rnn token grammar: what a token is and how long it lasts, in one place.

Every reader of token sequences asks this module: :func:`folkabc.detokenize`,
:mod:`folkabc.normalize`, the bar counter (:mod:`folkabc.validate`),
:func:`folkabc.vocab.token_category` and the search bar tables
(:mod:`folkabc.search.bars`). As in mido's ``specs.py``, one table (:data:`SHAPES`)
lists each kind of token once, with its vocabulary category and its written shape;
every lookup derives from it.

Kinds (:data:`KINDS`), in the order a token is tried:

======================  ===========  =========================================
kind                    category     shape
======================  ===========  =========================================
``special``             special      ``<s>`` ``</s>``
``meter``               meter        ``M:6/8``, ``M:none`` (others: unreadable)
``mode``                mode         ``K:Cmaj`` …
``field``               unknown      any other field, ``L:1/8``
``chord-open``          measure      ``[``
``chord-close``         measure      ``]``
``ending``              measure      ``|1``, ``|2``, ``:|2``, ``[1``, ``|1,2``
``bar``                 measure      ``|`` ``|:`` ``:|`` ``||`` ``|]`` ``::`` …
``tuplet``              grouping     ``(3``, ``(3:2``, ``(3:2:3`` (``p`` 2–9)
``broken``              duration     ``>`` ``<`` ``>>`` … (no written length)
``duration``            duration     ``2`` ``/2`` ``3/2`` ``//`` ``2>`` ``/2<``
``rest``                rest         ``z`` ``x``
``multirest``           rest         ``Z`` (a whole bar; ``Z 4``: four)
``pitch``               pitch        ``[_=^]{0,2}[A-Ga-g][,']*``
======================  ===========  =========================================

Lengths are in units of the unit note (``L:1/8`` in folk-rnn tokens): a note
lasts 1 unless a duration token follows it; ``3/2`` makes it 3/2; ``//`` is
``/4``; a broken-rhythm mark (``>``, or one written on a duration, ``2>``) scales
the note and the next one by :data:`folkabc.abc.keys.BROKEN_RHYTHM`; a tuplet
``(p:q:r`` puts ``r`` notes (default ``p``) in the time of ``q`` (default from
:func:`folkabc.abc.keys.tuplet_q`, which knows compound meter). A duration of
zero (``0``, ``1/0``) is no token.

Examples
--------
>>> from folkabc.grammar import token_info
>>> t = token_info("3/2>")
>>> t.kind, t.category, t.length, t.broken
('duration', 'duration', Fraction(3, 2), '>')
>>> token_info("(5").kind, tuplet_ratio("(5", 6), tuplet_ratio("(5", 4)
('tuplet', (5, 3, 5), (5, 2, 5))
>>> token_info(":|2").kind, token_info(":|2").sign.ending
('ending', 2)
>>> token_info("{") is None
True
"""

from __future__ import annotations

import re
from fractions import Fraction

from . import _regex
from ._record import NamedTuple
from .abc.keys import BROKEN_RHYTHM, parse_meter, tuplet_q

__all__ = [
    "KINDS",
    "SHAPES",
    "CATEGORY_OF",
    "Sign",
    "Token",
    "token_info",
    "token_kind",
    "token_category",
    "duration_of",
    "meter_of",
    "tuplet_ratio",
    "is_bar",
    "BROKEN",
]


class Sign(NamedTuple):
    """A bar-line token read as flags.

    Examples
    --------
    >>> s = token_info("|1").sign
    >>> s.ending, s.end_repeat, s.hard, s.closes
    (1, False, False, True)
    """

    text: str
    end_repeat: bool    # ``:|`` — play again from the last ``|:`` (or the start)
    start_repeat: bool  # ``|:``
    ending: int         # first number of a variant ending opened here (0: none)
    hard: bool          # ``||``, ``|]``, ``[|``: a section end
    closes: bool        # False for a bare ``[1`` (an ending marker without a bar line)


class Token(NamedTuple):
    """What one token is (see the module table); fields that do not apply are None/""/0.

    Attributes
    ----------
    text : str
    kind : str
        One of :data:`KINDS`.
    category : str
        Its vocabulary category (:data:`folkabc.vocab.CATEGORIES`, or ``"unknown"``).
    length : Fraction or None
        ``duration``/``broken``: the written length multiplier (``3/2`` → 3/2, ``>`` → 1).
    broken : str
        ``duration``/``broken``: the broken-rhythm mark (``""``, ``">"``, ``"<<"`` …).
    tuplet : tuple of int or None
        ``tuplet``: ``(p, q, r)`` as written, 0 for an unwritten ``q`` or ``r``.
    meter : tuple or None
        ``meter``: (bar length in eighths or None when free/unreadable, numerator or 0).
    sign : Sign or None
        ``bar``/``ending``: the bar line's flags.
    """

    text: str
    kind: str
    category: str
    length: Fraction | None = None
    broken: str = ""
    tuplet: tuple[int, int, int] | None = None
    meter: tuple[Fraction | None, int] | None = None
    sign: Sign | None = None


#: The one table: (kind, vocabulary category, shape), tried in this order.
SHAPES: tuple[tuple[str, str, str], ...] = (
    ("special", "special", r"<s>|</s>"),
    ("meter", "meter", r"M:.*"),
    ("mode", "mode", r"K:.*"),
    ("field", "unknown", r"[A-Za-z]:.*"),
    ("chord-open", "measure", r"\["),
    ("chord-close", "measure", r"\]"),
    ("ending", "measure", r"[|:\[\]]*\|[|:\[\]]*[1-9][0-9,\-]*|\[[1-9][0-9,\-]*"),
    ("bar", "measure", r"[|:\[\]]*\|[|:\[\]]*|::"),
    ("tuplet", "grouping", r"\(([2-9])(?::(\d*)(?::(\d*))?)?"),
    ("broken", "duration", r">{1,3}|<{1,3}"),
    ("duration", "duration", r"(\d*)(?:(/+)(\d*))?(>{0,3}|<{1,3})"),
    ("rest", "rest", r"[zx]"),
    ("multirest", "rest", r"Z"),
    ("pitch", "pitch", r"[_=^]{0,2}[A-Ga-g][,']*"),
)

#: Every kind, in table order.
KINDS: tuple[str, ...] = tuple(k for k, _, _ in SHAPES)
#: Kind → vocabulary category.
CATEGORY_OF: dict[str, str] = {k: c for k, c, _ in SHAPES}
_COMPILED = tuple((k, c, _regex.compile(p)) for k, c, p in SHAPES)
_METER_VALUE = _regex.compile(r"M:(?:none|[\d+()]+/\d+)")
_DIGITS = _regex.compile(r"\d+")

_CACHE: dict[str, Token | None] = {}


def token_info(tok: str) -> Token | None:
    """What ``tok`` is (a :class:`Token`), or None when it has no token shape.

    Examples
    --------
    >>> token_info("c''").kind, token_info("^^F").category, token_info("7/2").length
    ('pitch', 'pitch', Fraction(7, 2))
    >>> token_info("M:3/8").meter, token_info("M:none").meter
    ((Fraction(3, 1), 3), (None, 0))
    >>> token_info("0") is None, token_info("1/0") is None, token_info("(1") is None
    (True, True, True)
    """
    got = _CACHE.get(tok)
    if got is None and tok not in _CACHE:
        got = _read(tok)
        if len(_CACHE) < 65536:
            _CACHE[tok] = got
    return got


def _read(tok: str) -> Token | None:
    if not tok:
        return None
    for kind, cat, rx in _COMPILED:
        m = rx.fullmatch(tok)
        if m is None:
            continue
        if kind == "duration":
            return _duration(tok, m)
        if kind == "broken":
            return Token(tok, kind, cat, length=Fraction(1), broken=tok)
        if kind == "tuplet":
            p, q, r = m.groups()
            return Token(tok, kind, cat, tuplet=(int(p), int(q or 0), int(r or 0)))
        if kind == "meter":
            return Token(tok, kind, cat, meter=_meter(tok))
        if kind in ("bar", "ending"):
            return Token(tok, kind, cat, sign=_sign(tok))
        return Token(tok, kind, cat)
    return None


def _duration(tok: str, m: re.Match) -> Token | None:
    num_s, slashes, den_s, broken = m.groups()
    num = int(num_s) if num_s else 1
    if slashes:
        if den_s and len(slashes) > 1:
            return None  # `3//4`: no such length
        den = int(den_s) if den_s else 2 ** len(slashes)
    else:
        den = 1
    if num == 0 or den == 0:
        return None
    return Token(tok, "duration", "duration", length=Fraction(num, den), broken=broken)


def _meter(tok: str) -> tuple[Fraction | None, int]:
    if not _METER_VALUE.fullmatch(tok):
        return None, 0  # a shape the tokenizer never writes (M:C, M:foo): bars are not counted
    try:
        meter = parse_meter(tok[2:])
    except ValueError:  # M:0/4
        return None, 0
    return (8 * meter.value, meter.numerator) if meter.value is not None else (None, 0)


def _sign(tok: str) -> Sign:
    digits = _DIGITS.search(tok)
    core = tok.rstrip("0123456789,-")
    return Sign(
        text=tok,
        end_repeat=core.startswith(":") or core == "::",
        start_repeat=core.endswith(":") or core == "::",
        ending=int(digits.group()) if digits else 0,
        hard=("||" in core) or ("|]" in core) or ("[|" in core),
        closes="|" in core or core == "::",
    )


def token_kind(tok: str) -> str | None:
    """The kind of ``tok`` (one of :data:`KINDS`), or None.

    Examples
    --------
    >>> [token_kind(t) for t in ("|:", "[", "(3", "2<", "<", "z", "G,", "K:Cdor", "%")]
    ['bar', 'chord-open', 'tuplet', 'duration', 'broken', 'rest', 'pitch', 'mode', None]
    """
    info = token_info(tok)
    return None if info is None else info.kind


def token_category(tok: str) -> str:
    """The vocabulary category of ``tok`` by its shape, ``"unknown"`` when it has none.

    Examples
    --------
    >>> token_category("^f''"), token_category("(9"), token_category("|]"), token_category("{")
    ('pitch', 'grouping', 'measure', 'unknown')
    """
    info = token_info(tok)
    return "unknown" if info is None else info.category


def duration_of(tok: str) -> Fraction | None:
    """The written length a ``duration`` or ``broken`` token gives its note (broken rhythm
    not applied), in units; None for any other token.

    Examples
    --------
    >>> duration_of("3/2"), duration_of("/"), duration_of("//"), duration_of("2>"), duration_of("<")
    (Fraction(3, 2), Fraction(1, 2), Fraction(1, 4), Fraction(2, 1), Fraction(1, 1))
    >>> duration_of("C") is None
    True
    """
    info = token_info(tok)
    return None if info is None else info.length


def meter_of(tok: str) -> tuple[Fraction | None, int]:
    """(bar length in eighths, written numerator) of a meter token; ``(None, 0)`` when free,
    unreadable or not a meter token.

    Examples
    --------
    >>> meter_of("M:6/8"), meter_of("M:2+3/8"), meter_of("M:none"), meter_of("C")
    ((Fraction(6, 1), 6), (Fraction(5, 1), 5), (None, 0), (None, 0))
    """
    info = token_info(tok)
    return info.meter if info is not None and info.meter is not None else (None, 0)


def tuplet_ratio(tok: str, meter_num: int) -> tuple[int, int, int]:
    """``(p, q, r)`` of a tuplet token in a meter of numerator ``meter_num``: ``r`` notes
    (default ``p``) in the time of ``q`` (default :func:`folkabc.abc.keys.tuplet_q`).

    Raises
    ------
    ValueError
        When ``tok`` is not a tuplet token.

    Examples
    --------
    >>> tuplet_ratio("(3", 4), tuplet_ratio("(2", 6), tuplet_ratio("(7", 12), tuplet_ratio("(3:4:6", 4)
    ((3, 2, 3), (2, 3, 2), (7, 3, 7), (3, 4, 6))
    """
    info = token_info(tok)
    if info is None or info.tuplet is None:
        raise ValueError(f"not a tuplet token: {tok!r}")
    p, q, r = info.tuplet
    return p, q or tuplet_q(p, meter_num), r or p


def is_bar(tok: str) -> bool:
    """True for a bar-line token (kinds ``bar`` and ``ending``; chord brackets are not).

    Examples
    --------
    >>> is_bar("|"), is_bar("::"), is_bar("|2"), is_bar("["), is_bar("C")
    (True, True, True, False, False)
    """
    info = token_info(tok)
    return info is not None and info.sign is not None


#: Broken-rhythm factors (this note, next note) by mark, ``""`` for none.
BROKEN: dict[str, tuple[Fraction, Fraction]] = {"": (Fraction(1), Fraction(1)), **BROKEN_RHYTHM}
