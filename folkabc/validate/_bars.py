"""Cut a token sequence into bars and measure each one.

Lengths are exact integers in ticks of ``1/SCALE`` of the unit note
(L:1/8 in folk-rnn tokens). ``SCALE`` is divisible by every power of two up
to 2**10 and by 3**4, 5 and 7, so durations such as ``/16``, ``3/2``, broken
rhythm (×3/2, ×7/4, ×15/8) and tuplets ``(2`` … ``(9`` (even nested) stay
integers. A sequence that still needs a finer grid (deeply nested odd
tuplets) raises :class:`Inexact` and the caller retries with a finer scale.
"""

from __future__ import annotations

from fractions import Fraction

from .._record import NamedTuple, Record
from ..abc.keys import tuplet_q
from ..errors import TokenSequenceError
from ..grammar import BROKEN, Sign, meter_of, token_info

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Sequence

__all__ = [
    "SCALE", "Inexact", "Sign", "RawBar", "Segmented", "segment", "parse_meter", "classify",
]

SCALE = 2**10 * 3**4 * 5 * 7  # 2,903,040 ticks per unit note

# token kinds
NOTE, CHORD_OPEN, CHORD_CLOSE, DUR, TUPLET, BAR, METER, SKIP, ENDING, BIGREST = range(10)

# broken rhythm as ints: (first note num, den, second note num, den)
_BROKEN = {k: (a.numerator, a.denominator, b.numerator, b.denominator) for k, (a, b) in BROKEN.items()}


class Inexact(Exception):
    """A length that is not a whole number of ticks at the current scale."""


_CACHE: dict[str, tuple] = {}
_KIND = {"pitch": NOTE, "rest": NOTE, "multirest": BIGREST, "chord-open": CHORD_OPEN,
         "chord-close": CHORD_CLOSE, "duration": DUR, "broken": DUR, "tuplet": TUPLET, "bar": BAR,
         "ending": BAR, "meter": METER, "mode": SKIP, "field": SKIP, "special": SKIP}


def classify(tok: str) -> tuple | None:
    """``(kind, data...)`` for one token, or None when the token has no known shape.

    The counter's integer form of :func:`folkabc.grammar.token_info` (the one token grammar).

    Examples
    --------
    >>> classify("2>"), classify("(3")[1:], classify("M:6/8")[1:]
    ((3, 6, 2, True, (1, 2)), (3, 0, 0), (Fraction(6, 1), 6))
    """
    got = _CACHE.get(tok)
    if got is not None or tok in _CACHE:
        return got
    got = _classify(tok)
    _CACHE[tok] = got
    return got


def _classify(tok: str) -> tuple | None:
    info = token_info(tok)
    if info is None:
        return None
    k = _KIND[info.kind]
    if k == DUR:
        num, den = info.length.numerator, info.length.denominator
        bnum, bden, snum, sden = _BROKEN[info.broken]
        if info.broken:
            return (DUR, num * bnum, den * bden, True, (snum, sden))
        return (DUR, num, den, False, None)
    if k == TUPLET:
        return (TUPLET, *info.tuplet)
    if k == METER:
        return (METER, *info.meter)
    if k == BAR:
        return (ENDING if tok[:1] == "[" and tok[1:2].isdigit() else BAR, info.sign)
    return (k,)


def parse_meter(tok: str) -> tuple[Fraction | None, int]:
    """Bar length in eighths and the meter's numerator, from ``M:a/b`` (None when free).

    Examples
    --------
    >>> parse_meter("M:6/8"), parse_meter("M:2+3/8"), parse_meter("M:none")
    ((Fraction(6, 1), 6), (Fraction(5, 1), 5), (None, 0))
    """
    return meter_of(tok.replace(" ", ""))


class RawBar(Record):
    """One written bar: token span, length and the signs around it (lengths in ticks).

    A record that changes (``close`` when a bar line is merged): :class:`folkabc._record.Record`.
    """

    __slots__ = ("start", "end", "length", "expected", "open", "close", "ending")

    start: int        # index of its first token in the sequence
    end: int          # index of the bar line closing it (len(tokens) at the very end)
    length: int       # ticks
    expected: int     # ticks, 0 when the meter is free
    open: Sign | None
    close: Sign | None
    ending: int       # variant ending this bar belongs to (0: none)

    def __init__(self, start: int, end: int, length: int, expected: int, open: Sign | None,  # noqa: A002
                 close: Sign | None, ending: int) -> None:
        self.start, self.end, self.length, self.expected = start, end, length, expected
        self.open, self.close, self.ending = open, close, ending


class Segmented(NamedTuple):
    """A tune cut into bars: the bars in order and the ticks per unit note they are counted in."""

    bars: list[RawBar]
    scale: int


def segment(tokens: Sequence[str], *, scale: int = SCALE, start: int = 1,
            hard_at: frozenset[int] | set[int] = frozenset()) -> Segmented:
    """Cut ``tokens`` (``[meter, mode, *body]``) into bars with exact lengths.

    Parameters
    ----------
    tokens : sequence of str
        A tune's tokens; ``tokens[0]`` must be a meter token.
    scale : int
        Ticks per unit note.
    start : int
        Index of the first body token (2 for ``[meter, mode, ...]``).
    hard_at : set of int
        Indices of bar-line tokens that end a section in the source (``||``,
        ``|]``: the folk-rnn tokens write them as ``|``).

    Raises
    ------
    TokenSequenceError
        A token of no known shape, or a broken grammar (names the position).
    Inexact
        A length needs a finer scale.

    Examples
    --------
    >>> bars = segment("M:6/8 K:Cmaj c 3 c > d | [ c e ] 6 :|".split(), start=2).bars
    >>> [(b.length / SCALE, b.close.text) for b in bars]
    [(5.0, '|'), (6.0, ':|')]
    """
    kind0 = classify(tokens[0]) if tokens else None
    if not kind0 or kind0[0] != METER:
        raise TokenSequenceError(
            f"a token sequence starts with a meter token (M:4/4 …), not {tokens[0]!r}" if tokens
            else "empty token sequence", position=0)
    bar_len, meter_num = kind0[1], kind0[2]
    expected = scale * bar_len.numerator // bar_len.denominator if bar_len else 0
    bar_expected = expected
    bars: list[RawBar] = []
    length = 0
    bar_start = start
    open_sign: Sign | None = None
    ending = 0
    # note state
    cur = 0            # ticks of the pending note (not yet added)
    pending = False    # a note is pending (its duration may still follow)
    in_chord = False
    chord_first_dur = None
    chord_seen_note = False
    tup_left = 0
    tup_num = tup_den = 1
    next_factor = None  # second half of a broken rhythm, applied to the next note
    bar_has_notes = False
    n = len(tokens)
    get = _CACHE.get
    at = iter(range(start, n))
    for i in at:
        tok = tokens[i]
        c = get(tok)
        if c is None:
            c = classify(tok)
            if c is None:
                raise TokenSequenceError(f"unknown token {tok!r}", position=i)
        k = c[0]
        if k == NOTE or k == CHORD_CLOSE:
            if k == NOTE:
                if in_chord:
                    chord_seen_note = True
                    continue
                if pending:
                    length += cur
                cur = scale
            else:
                if not in_chord:
                    raise TokenSequenceError("']' closes no chord", position=i)
                in_chord = False
                cur = scale if chord_first_dur is None else _scale(scale, *chord_first_dur)
            if next_factor is not None:
                cur = _scale(cur, *next_factor)
                next_factor = None
            if tup_left:
                cur = _scale(cur, tup_num, tup_den)
                tup_left -= 1
            pending = True
            bar_has_notes = True
        elif k == DUR:
            if in_chord:
                if chord_seen_note and chord_first_dur is None:
                    chord_first_dur = (c[1], c[2])
                continue
            if not pending:
                raise TokenSequenceError(f"duration {tok!r} does not follow a note, rest or chord", position=i)
            if c[2] == 1:
                cur *= c[1]
            else:
                cur = _scale(cur, c[1], c[2])
            if c[3]:
                next_factor = c[4]
            length += cur
            pending = False
        elif k == CHORD_OPEN:
            if in_chord:
                raise TokenSequenceError("chord opened inside a chord", position=i)
            if pending:
                length += cur
                pending = False
            in_chord = True
            chord_first_dur = None
            chord_seen_note = False
        elif k == TUPLET:
            if pending:
                length += cur
                pending = False
            p, q, r = c[1], c[2], c[3]
            tup_num = q or tuplet_q(p, meter_num)
            tup_den = p
            tup_left = r or p
        elif k == BAR or k == ENDING:
            if in_chord:
                raise TokenSequenceError(f"bar line {tok!r} inside a chord", position=i)
            if pending:
                length += cur
                pending = False
            sign = c[1]
            if hard_at and i in hard_at and not sign.hard:
                sign = _harden(sign)
            if not sign.closes:  # bare [1: marks an ending without closing the bar
                if not bar_has_notes:
                    ending = sign.ending
                continue
            if bar_has_notes or length:
                bars.append(RawBar(bar_start, i, length, bar_expected, open_sign, sign, ending))
            elif open_sign is not None:
                # an empty segment between two signs (``:| |:``): one merged sign
                merged = _merge(open_sign, sign)
                if bars and bars[-1].close is open_sign:
                    bars[-1].close = merged
                sign = merged
            if sign.ending:
                ending = sign.ending
            elif sign.end_repeat or sign.start_repeat or sign.hard:
                ending = 0
            open_sign = sign
            bar_expected = expected
            bar_start = i + 1
            length = 0
            bar_has_notes = False
        elif k == METER:
            if pending:
                length += cur
                pending = False
            bar_len, meter_num = c[1], c[2]
            expected = scale * bar_len.numerator // bar_len.denominator if bar_len else 0
            if not bar_has_notes:  # a change mid-bar applies from the next bar
                bar_expected = expected
        elif k == BIGREST:  # multi-measure rest Z, Z4: that many whole bars
            if pending:
                length += cur
                pending = False
            count = 1
            nxt = classify(tokens[i + 1]) if i + 1 < n else None
            if nxt is not None and nxt[0] == DUR:
                count = max(1, nxt[1] // nxt[2])
                next(at)  # the count is read
            length += (bar_expected or scale) * count
            if not bar_has_notes and bar_expected:
                bar_expected *= count  # a bar of its own: it holds `count` bars
            bar_has_notes = True
        # SKIP: nothing
    if in_chord:
        raise TokenSequenceError("chord not closed at the end of the tune", position=n - 1)
    if pending:
        length += cur
    if bar_has_notes or length:
        bars.append(RawBar(bar_start, n, length, bar_expected, open_sign, None, ending))
    return Segmented(bars, scale)


def _harden(sign: Sign) -> Sign:
    return Sign(sign.text, sign.end_repeat, sign.start_repeat, sign.ending, True, sign.closes)


def _merge(a: Sign | None, b: Sign) -> Sign:
    if a is None:
        return b
    return Sign(a.text + " " + b.text, a.end_repeat or b.end_repeat, a.start_repeat or b.start_repeat,
                b.ending or a.ending, a.hard or b.hard, True)


def _scale(ticks: int, num: int, den: int) -> int:
    v = ticks * num
    if v % den:
        raise Inexact
    return v // den
