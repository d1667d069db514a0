"""The regular expressions that cut ABC text: tune boundaries, field lines and tune bodies.

One compiled pattern (:data:`BODY_RE`) scans a line of a tune body; each match
names its kind in ``match.lastgroup``:

``ws``, ``comment``, ``gchord`` (``"…"``), ``deco`` (``!…!``, ``+…+``), ``grace``
(``{…}``), ``field`` (inline ``[K:…]``), ``note``, ``rest``, ``bar`` (with an
optional ending number), ``ending`` (``[1``, ``[1,3``), ``chord`` (``[…]`` with
duration), ``tuplet`` (``(3``, ``(3:2:3``), ``broken`` (``>``, ``<<``),
``tie`` (``-``), ``slur`` (``(`` ``)``), ``deco1`` (one-character decorations ``~ . H``–``W h``–``w``),
``skip`` (a lone ``!``), ``overlay``
(``&``), ``stray`` (an accidental or octave mark with no note, a lone ``:``: dropped with a
warning) and ``bad`` (anything else: a syntax error).

Examples
--------
>>> from folkabc.abc.lexer import BODY_RE
>>> " ".join(m.lastgroup for m in BODY_RE.finditer('|:"G"~G2>A [CE]2 (3Bc :|2'))
'bar gchord deco1 note broken note ws chord ws tuplet note note ws bar'
>>> " ".join(m.lastgroup for m in BODY_FAST_RE.finditer('|:"G"~G2>A [CE]2 (3Bc :|2'))
'bar gchord deco1 note broken note chord ws tuplet note note bar'
"""

from __future__ import annotations

import re

from .. import _regex
from ..limits import check_limit, limit

__all__ = ["BLANKS", "DECO1_CHARS", "BODY_RE", "BODY_FAST_RE", "BODY_ITEMS_RE", "CHORD_RE", "NOTE_RE", "FIELD_LINE_RE", "X_LINE_RE", "DUR", "parse_duration"]

#: A duration as written after a note: ``2``, ``3/2``, ``/``, ``//``, ``/4``, ``3/``. (The strings of
#: ``\d*(?:/+\d*)?``, matched as long: with repeats of single characters only, which ``re`` runs faster
#: than a repeated group; the reader's scan of the benchmark's bodies, mostly notes, 0.46 → 0.43 s.)
DUR = r"\d*/*\d*"

#: Characters read as blanks between body items (``y`` spacer, ``$`` ``*`` ``\\`` ``` ` ``` included).
BLANKS = " \t`y$*\\\r"
#: One-character decorations (``.`` staccato, ``~`` roll, ``H``–``W``, ``h``–``w``).
DECO1_CHARS = ".~HIJKLMNOPQRSTUVWhijklmnopqrstuvw"
_BLANKS_CLASS = "[" + re.escape(BLANKS) + "]"

_NOTE = r"(?P<acc>\^\^|\^|__|_|=)?(?P<let>[A-Ga-g])(?P<oct>[,']*)(?P<dur>" + DUR + ")"

#: The text of :data:`BODY_RE`, which compiles on first use (PEP 562 ``__getattr__`` below): the reader
#: matches with :data:`BODY_FAST_RE`, made of this text, so ``folkabc check`` never compiles it (~2.5 ms).
_BODY = (
    r"(?P<ws>" + _BLANKS_CLASS + "+)"
    r"|(?P<comment>%.*)"
    r'|(?P<gchord>"[^"]*")'
    r"|(?P<deco>![^!\s]*!|\+[^+\s]*\+)"
    r"|(?P<grace>\{[^}]*\})"
    r"|(?P<field>\[(?P<fl>[A-Za-z]):(?P<fv>[^\]]*)\])"
    r"|(?P<note>" + _NOTE + ")"
    r"|(?P<rest>(?P<rl>[zxZX])(?P<rdur>" + DUR + "))"
    r"|(?P<bar>(?P<bl>:*\[?\|+\]|:*\[?\|+:*|:{2,})(?P<end>(?:[ \t]*\[)?[1-9](?:[,\-][1-9])*)?)"
    r"|(?P<ending>\[[1-9](?:[,\-][1-9])*)"
    r"|(?P<chord>\[(?P<cb>[^\]\[|\n]*)\](?P<cdur>" + DUR + "))"
    r"|(?P<tuplet>\((?P<tp>[2-9])(?::(?P<tq>\d*)(?::(?P<tr>\d*))?)?)"
    r"|(?P<broken>>{1,3}|<{1,3})"
    r"|(?P<tie>-)"
    r"|(?P<slur>[()])"
    r"|(?P<deco1>[" + re.escape(DECO1_CHARS) + "])"
    r"|(?P<skip>!)"
    r"|(?P<overlay>&)"
    r"|(?P<stray>\^\^|__|[\^_=,']|:(?![|:]))"
    r"|(?P<bad>.)"
)


def __getattr__(name: str) -> re.Pattern:
    """:data:`BODY_RE`, compiled from :data:`_BODY` on first use and kept."""
    if name == "BODY_RE":
        global BODY_RE
        BODY_RE = _regex.compile(_BODY)
        return BODY_RE
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_WS = _BLANKS_CLASS + "*"

#: :data:`BODY_RE` for the tune reader's hot loop: notes, bar lines and rests first (no other
#: alternative can match where they start) and each with the blanks after it, so that blanks between
#: notes are no items of their own. It reads the same items as :data:`BODY_RE` (``ws`` apart); a
#: ``note``, ``bar`` or ``rest`` match's text is in its named group, without the blanks.
BODY_FAST_RE = _regex.compile(
    r"(?P<note>(?:\^\^|\^|__|_|=)?[A-Ga-g][,']*" + DUR + ")" + _WS  # _NOTE without its groups (unread here)
    + r"|(?P<bar>(?P<bl>:*\[?\|+\]|:*\[?\|+:*|:{2,})(?P<end>(?:[ \t]*\[)?[1-9](?:[,\-][1-9])*)?)" + _WS
    + r"|(?P<rest>(?P<rl>[zxZX])(?P<rdur>" + DUR + "))" + _WS
    + "|" + "|".join(alt for alt in _regex.compile(r"\|(?=\(\?P<)").split(_BODY)
                     if not alt.startswith(("(?P<note>", "(?P<bar>", "(?P<rest>")))
)

#: :data:`BODY_FAST_RE` with no groups: ``findall`` gives the texts of a line's items, which cover the
#: line end to end (a character nothing else reads is a ``bad`` item), so each item's column is the sum
#: of the lengths before it. The reader's hot loop tells most kinds by the first character.
BODY_ITEMS_RE = _regex.compile(_regex.compile(r"\(\?P<\w+>").sub("(?:", BODY_FAST_RE.pattern))

#: Items inside a chord ``[…]``: notes, and what is ignored there.
CHORD_RE = _regex.compile(
    r"(?P<note>" + _NOTE + r")"
    r"|(?P<tie>-)"
    r"|(?P<skip>[ \t().~H-Wh-w]+|[zx]\d*(?:/+\d*)?|\"[^\"]*\"|![^!]*!|\+[^+]*\+)"
    r"|(?P<bad>.)"
)

#: A note alone (grace notes ``{…}`` are cut with it).
NOTE_RE = _regex.compile(_NOTE)

#: A field line (``T:The Kesh``); ``+:`` continues the previous field.
FIELD_LINE_RE = _regex.compile(r"(?P<letter>[A-Za-z+]):(?P<value>.*)")

#: The ``X:`` line that opens a tune.
X_LINE_RE = _regex.compile(r"X:[ \t]*(?P<n>\d*)")

_DUR_CACHE: dict[str, tuple[int, int]] = {}


def parse_duration(text: str) -> tuple[int, int]:
    """A written duration as ``(numerator, denominator)`` in unit lengths (not reduced).

    Examples
    --------
    >>> parse_duration(""), parse_duration("3/2"), parse_duration("//"), parse_duration("/4")
    ((1, 1), (3, 2), (1, 4), (1, 4))
    >>> parse_duration("9" * 5000)
    Traceback (most recent call last):
    ...
    folkabc.errors.LimitError: length '999999999999': 5000 digits is over the limit max_digits = 20 (digits in one number of ABC text (X:, lengths, meters; far below Python's 4,300-digit int limit)); raise it with FOLKABC_MAX_DIGITS=N
    """
    got = _DUR_CACHE.get(text)
    if got is not None:
        return got
    if len(text) > limit("max_digits"):  # refuse before int() meets thousands of digits
        check_limit("max_digits", max(map(len, re.findall(r"\d+", text)), default=0), where=f"length {text[:12]!r}")
    if "/" in text:
        num_s, _, rest = text.partition("/")
        k = 1 + len(rest) - len(rest.lstrip("/"))
        den_s = rest.lstrip("/")
        num = int(num_s) if num_s else 1
        den = int(den_s) * 2 ** (k - 1) if den_s else 2**k
    else:
        num, den = (int(text) if text else 1), 1
    got = (num, den)
    if len(_DUR_CACHE) < 4096:
        _DUR_CACHE[text] = got
    return got
