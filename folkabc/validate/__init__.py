"""Bar counting: does every bar of a tune hold what its meter says?

:func:`check` reads ABC text, a folk-rnn token file, a
:class:`~folkabc.tokens.TokenizedTune` or a token list, and returns one
:class:`CheckResult` per tune: the findings (miscounted bars, accepted and
unmatched pickups), and the tune's structure ("AABB, 8+8 bars").

It works on token sequences ``[meter, mode, *body]`` (folk-rnn v2 shapes,
extended tokens allowed): lengths in units of L:1/8, broken rhythm, tuplets,
chords counted once, inline meter changes; ABC input goes through
:func:`folkabc.tokens.tokenize` first (grace notes are dropped there, so they
count zero). Bars are numbered as musicians count them: an opening pickup is
bar 0, the first full bar is bar 1.

Examples
--------
>>> from folkabc.validate import check
>>> r = check("M:4/4 K:Cmaj G | c c c c c c c c | c c c c c c c :|".split())[0]
>>> r.ok, r.structure.summary
(True, 'AA, 2 bars')
>>> [(f.kind, f.bar) for f in r.findings]
[('pickup', 0)]
>>> bad = check("M:4/4 K:Cmaj c c c c c c c c | c c c c c c c | c 8 |".split())[0]
>>> bad.ok, [(f.kind, f.bar, f.expected, f.actual) for f in bad.findings]
(False, [('short', 2, Fraction(8, 1), Fraction(7, 1))])
"""

from __future__ import annotations

import gc
import re
from fractions import Fraction

from .._record import NamedTuple
from ..errors import FolkabcError, ParameterError, TokenSequenceError
from ..tokenfile import is_token_file, read_token_file
from ._bars import SCALE, Inexact, segment
from ._parts import analyse
from .repair import close_line_bars

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any, Collection, Sequence

__all__ = [
    "check",
    "bars_count",
    "close_line_bars",
    "check_tokens",
    "is_token_file",
    "read_token_file",
    "CheckResult",
    "Finding",
    "Pickup",
    "Structure",
    "PartSummary",
    "ERROR_KINDS",
    "STRICT_KINDS",
]

#: Finding kinds that make a tune fail (``ok`` False); the rest are information.
ERROR_KINDS = frozenset({"short", "long", "unreadable"})
#: Finding kinds that make a tune fail under ``strict=True`` (``ok_strict`` False): the errors and
#: ``unmatched-pickup``, a pickup that the tune's last bar does not complete.
STRICT_KINDS = ERROR_KINDS | {"unmatched-pickup"}

_EIGHTH = Fraction(1, 8)


class Finding(NamedTuple):
    """One observation about one bar.

    Attributes
    ----------
    bar : int
        Bar number as musicians count (opening pickup = 0, first full bar = 1).
    part : str
        Part label (``"A"``, ``"B"``, …).
    expected, actual : Fraction
        The meter's bar length and the bar's length, in units of the tune's
        unit note length (``unit``).
    line, column : int or None
        1-based position of the bar's first token in the source (None for a
        token list without positions).
    message : str
        The finding in words.
    kind : str
        ``short``, ``long``, ``unmatched-pickup`` (errors) or ``pickup``
        (an accepted pickup, information).
    end_line, end_column : int or None
        Position of the bar line that closes the bar.

    Examples
    --------
    >>> Finding(3, "A", Fraction(8), Fraction(7), 5, 1, "short", "short").is_error
    True
    """

    bar: int
    part: str
    expected: Fraction
    actual: Fraction
    line: int | None
    column: int | None
    message: str
    kind: str
    end_line: int | None = None
    end_column: int | None = None

    @property
    def is_error(self) -> bool:
        """True for kinds that make the tune fail (see :data:`ERROR_KINDS`)."""
        return self.kind in ERROR_KINDS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (Fractions as ``"3/2"`` strings or ints).

        Examples
        --------
        >>> Finding(1, "A", Fraction(6), Fraction(11, 2), 2, 3, "m", "short").to_dict()["actual"]
        '11/2'
        """
        return {
            "bar": self.bar, "part": self.part, "kind": self.kind,
            "expected": _num(self.expected), "actual": _num(self.actual),
            "line": self.line, "column": self.column,
            "end_line": self.end_line, "end_column": self.end_column,
            "message": self.message,
        }


class Pickup(NamedTuple):
    """An opening short bar of a part and how it was accepted (or not).

    ``completed_by`` holds the bar numbers of the closing bars it completes;
    ``reason`` is ``"completed"``, ``"leads into a repeat"`` or ``"unmatched"``.
    """

    bar: int
    part: str
    length: Fraction
    completed_by: list[int]
    reason: str

    @property
    def accepted(self) -> bool:
        """True unless the pickup is unmatched.

        Examples
        --------
        >>> Pickup(0, "A", Fraction(1), [], "leads into a repeat").accepted
        True
        """
        return self.reason != "unmatched"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form.

        Examples
        --------
        >>> Pickup(0, "A", Fraction(1, 2), [8], "completed").to_dict()["length"]
        '1/2'
        """
        return {"bar": self.bar, "part": self.part, "length": _num(self.length),
                "completed_by": self.completed_by, "reason": self.reason, "accepted": self.accepted}


class PartSummary(NamedTuple):
    """One part: label, bars (first time through, pickup excluded), repeat and endings."""

    label: str
    bars: int
    repeated: bool
    endings: int
    pickup: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form.

        Examples
        --------
        >>> PartSummary("A", 8, True, 2, False).to_dict()["endings"]
        2
        """
        return {"label": self.label, "bars": self.bars, "repeated": self.repeated,
                "endings": self.endings, "pickup": self.pickup}


class Structure(NamedTuple):
    """A tune's form: its parts in order and a summary such as ``"AABB, 8+8 bars"``."""

    parts: list[PartSummary]

    @property
    def summary(self) -> str:
        """``"AABB, 8+8 bars"``: letters as played (repeated parts twice), bars per part.

        Examples
        --------
        >>> Structure([PartSummary("A", 8, True, 0, True), PartSummary("B", 8, False, 0, False)]).summary
        'AAB, 8+8 bars'
        """
        if not self.parts:
            return "no bars"
        form = "".join(p.label * (2 if p.repeated else 1) for p in self.parts)
        total = "+".join(str(p.bars) for p in self.parts)
        return f"{form}, {total} bar{'' if total == '1' else 's'}"

    def two_repeated_parts(self, bars: int = 8) -> bool:
        """Whether the form is two repeated parts of ``bars`` bars each (AABB, 8+8 bars).

        True when there are exactly two parts, each played twice (a repeat sign, or
        first and second endings) and each ``bars`` bars long as musicians count
        (first time through, pickup excluded). A part written out twice without
        repeat signs is not recognised, nor is a third part (AABBCC).

        Examples
        --------
        >>> a, b = PartSummary("A", 8, True, 0, True), PartSummary("B", 8, True, 2, True)
        >>> Structure([a, b]).two_repeated_parts(), Structure([a, b]).two_repeated_parts(bars=4)
        (True, False)
        """
        if not isinstance(bars, int) or isinstance(bars, bool) or bars < 1:
            raise ParameterError(f"bars must be an integer >= 1, got {bars!r}")
        return len(self.parts) == 2 and all((p.repeated or p.endings >= 2) and p.bars == bars for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form.

        Examples
        --------
        >>> Structure([PartSummary("A", 4, False, 0, False)]).to_dict()["summary"]
        'A, 4 bars'
        """
        return {"summary": self.summary, "parts": [p.to_dict() for p in self.parts]}


class CheckResult(NamedTuple):
    """The check of one tune.

    Attributes
    ----------
    index : int
        The tune's ``X:`` number (ABC) or 1-based position (token file).
    title : str or None
    ok : bool
        True when every bar counts (no error finding and the tune could be read); with
        ``check(..., strict=True)``, the same as ``ok_strict``.
    findings : list of Finding
        In bar order; errors and accepted pickups.
    pickups : list of Pickup
    structure : Structure
    meter : str
        The opening meter token (``"M:6/8"``).
    unit : Fraction
        The unit note length that ``expected``/``actual`` are counted in.
    bars : int
        Written bars (pickups included).
    error : str or None
        Why the tune could not be read (then ``ok`` is False and nothing was counted).
    line : int or None
        Line of the tune's start in the source.
    ok_strict : bool
        ``ok``, and no pickup is left that the tune's last bar does not complete
        (``unmatched-pickup``, see :data:`STRICT_KINDS`).
    strict : bool
        Whether ``ok`` and :attr:`errors` follow the strict rule.
    """

    index: int
    title: str | None
    ok: bool
    findings: list[Finding]
    pickups: list[Pickup]
    structure: Structure
    meter: str = ""
    unit: Fraction = _EIGHTH
    bars: int = 0
    error: str | None = None
    line: int | None = None
    ok_strict: bool = False
    strict: bool = False

    @property
    def errors(self) -> list[Finding]:
        """The findings that make the tune fail (under the strict rule: unmatched pickups too).

        Examples
        --------
        >>> [f.kind for f in check("M:2/4 K:Cmaj c 4 | c 5 |".split())[0].errors]
        ['long']
        >>> r = check("M:2/4 K:Cmaj c | c 4 | c 4 |".split())[0]
        >>> r.ok, r.ok_strict, [f.kind for f in r.errors]
        (True, False, [])
        >>> [f.kind for f in check("M:2/4 K:Cmaj c | c 4 | c 4 |".split(), strict=True)[0].errors]
        ['unmatched-pickup']
        """
        kinds = STRICT_KINDS if self.strict else ERROR_KINDS
        return [f for f in self.findings if f.kind in kinds]

    @property
    def miscounted_bars(self) -> list[int]:
        """Bar numbers of short or long bars (sorted, unique).

        Examples
        --------
        >>> check("M:2/4 K:Cmaj c 4 | c 3 | c 5 |".split())[0].miscounted_bars
        [2, 3]
        """
        return sorted({f.bar for f in self.findings if f.kind in ("short", "long")})

    def summary(self) -> str:
        """One line: tune, verdict and structure.

        Examples
        --------
        >>> check("M:6/8 K:Cmaj c 6 | c 6 |".split())[0].summary()
        'tune 1: ok (M:6/8, A, 2 bars)'
        """
        name = f"tune {self.index}" + (f" {self.title!r}" if self.title else "")
        if self.error:
            return f"{name}: cannot be read: {self.error}"
        n = len(self.errors)
        verdict = "ok" if self.ok else f"{n} problem{'s' if n != 1 else ''}"
        return f"{name}: {verdict} ({self.meter}, {self.structure.summary})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: index, title, ok, findings, pickups, structure, meter, unit, error.

        Examples
        --------
        >>> d = check("M:2/4 K:Cmaj c 4 |".split())[0].to_dict()
        >>> d["ok"], d["structure"]["summary"], d["findings"]
        (True, 'A, 1 bar', [])
        """
        return {
            "index": self.index, "title": self.title, "ok": self.ok, "ok_strict": self.ok_strict,
            "meter": self.meter, "unit": str(self.unit), "bars": self.bars,
            "structure": self.structure.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "pickups": [p.to_dict() for p in self.pickups],
            "error": self.error, "line": self.line,
        }


def _num(x: Fraction) -> int | str:
    return int(x) if x.denominator == 1 else str(x)


_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _label(i: int) -> str:
    return _LABELS[i] if i < 26 else f"P{i + 1}"


def _units(n: Fraction, unit: Fraction) -> str:
    word = "unit" if n == 1 else "units"
    return f"{n} {word} of {unit}"


def check_tokens(
    tokens: Sequence[str],
    *,
    positions: Sequence[tuple[int, int]] | None = None,
    index: int = 1,
    title: str | None = None,
    unit: Fraction = _EIGHTH,
    line: int | None = None,
    part_ends: Collection[int] = frozenset(),
    strict: bool = False,
) -> CheckResult:
    """Check one token sequence ``[meter, mode, *body]``.

    Parameters
    ----------
    tokens : sequence of str
        Meter token first; folk-rnn v2 shapes, extended tokens allowed.
    positions : sequence of (line, column), optional
        Source position of each token (1-based), used in findings.
    index : int
        Tune number to report.
    title : str, optional
    unit : Fraction
        Unit note length to express lengths in (the tokens are always counted
        in L:1/8; ``unit=Fraction(1, 16)`` doubles every reported length).
    line : int, optional
        Line of the tune in its source.
    part_ends : collection of int
        Indices of bar tokens that close a part in the source (written ``||``, ``|]``
        or ``[|``, which tokens write as ``|``: :attr:`folkabc.tokens.TokenizedTune.part_ends`),
        so a short bar before them may be completed by the next part's pickup.
    strict : bool
        ``ok`` follows the strict rule (see :attr:`CheckResult.ok_strict`).

    Returns
    -------
    CheckResult

    Raises
    ------
    TokenSequenceError
        An unknown token or broken grammar (names the token position and, with
        ``positions``, the line and column).

    Examples
    --------
    >>> r = check_tokens("M:6/8 K:Cmaj (3 c c c c 2 c c c | c 6 |".split())
    >>> r.ok, r.findings[0].kind, r.findings[0].actual
    (False, 'long', Fraction(7, 1))
    """
    tokens = list(tokens)
    if positions is not None and len(positions) != len(tokens):
        raise TokenSequenceError(f"{len(positions)} positions for {len(tokens)} tokens", tune=index, title=title)
    hard = part_ends if isinstance(part_ends, (set, frozenset)) else frozenset(part_ends)
    scale = SCALE
    for _ in range(4):
        try:
            seg = segment(tokens, scale=scale, start=2 if len(tokens) > 1 and tokens[1].startswith("K:") else 1,
                          hard_at=hard)
            break
        except Inexact:
            scale *= 2520
        except TokenSequenceError as exc:
            where = positions[exc.position] if positions is not None and exc.position is not None \
                and exc.position < len(positions) else (None, None)
            raise TokenSequenceError(exc.message, tune=index, title=title, line=where[0] or None,
                                     column=where[1] or None, position=exc.position) from None
    else:  # pragma: no cover - needs tuplets nested five deep
        raise TokenSequenceError("durations too fine to count exactly", tune=index, title=title)
    bars = seg.bars
    verdicts, plans = analyse(bars)
    # ticks -> units of `unit`: ticks / scale eighths = ticks * unit.den / (scale * 8 * unit.num)
    f_num, f_den = unit.denominator, scale * 8 * unit.numerator
    sizes: dict[int, Fraction] = {}

    def size(ticks: int) -> Fraction:
        got = sizes.get(ticks)
        if got is None:
            got = sizes[ticks] = Fraction(ticks * f_num, f_den)
        return got

    def pos(k: int) -> tuple[int | None, int | None]:
        if positions is None or k >= len(positions):
            return None, None
        ln, col = positions[k]
        return (ln or None, col or None)

    findings: list[Finding] = []
    pickups: list[Pickup] = []
    for v in verdicts:
        kind = v.kind
        if kind in ("ok", "merged", "free"):
            continue
        b = v.bar
        part = _label(v.part)
        exp, act = size(b.expected), size(v.length)
        ln, col = pos(b.start)
        eln, ecol = pos(b.end)
        if kind == "short" or kind == "long":
            msg = f"bar {v.number} (part {part}) is {kind}: {_units(act, unit)} instead of {exp}"
            if kind == "short" and v.sums:
                msg += " (with the pickup: " + " or ".join(str(size(s)) for s in v.sums) + ")"
            elif kind == "short" and b.close is not None and b.close.end_repeat:
                msg += " and no pickup completes it"
        else:
            closers = [verdicts[c].number for c in v.completes]
            if kind == "pickup":
                how = (f"completed by bar {', '.join(map(str, closers))}" if closers
                       else "leads into a repeat")
                msg = f"bar {v.number}: pickup of part {part} ({_units(act, unit)}) accepted: {how}"
                pickups.append(Pickup(v.number, part, act, closers, "completed" if closers else v.detail))
            else:
                msg = (f"bar {v.number}: pickup of part {part} ({_units(act, unit)}) is not completed "
                       f"by the part's closing bar")
                pickups.append(Pickup(v.number, part, act, [], "unmatched"))
        findings.append(Finding(v.number, part, exp, act, ln, col, msg, kind, eln, ecol))
    findings.sort(key=lambda f: f.bar)
    structure = Structure([
        PartSummary(_label(p.index), p.n_bars, p.repeated, len(p.endings), p.pickup is not None)
        for p in plans
    ])
    ok = not any(f.kind in ERROR_KINDS for f in findings)
    ok_strict = ok and not any(f.kind in STRICT_KINDS for f in findings)
    return CheckResult(index, title, ok_strict if strict else ok, findings, pickups, structure,
                       meter=tokens[0] if tokens else "", unit=unit, bars=len(bars), line=line,
                       ok_strict=ok_strict, strict=strict)


# ---------------------------------------------------------------------------------------------
# inputs

def _empty(index: int, title: str | None, error: str, line: int | None = None, strict: bool = False
           ) -> CheckResult:
    return CheckResult(index, title, False, [], [], Structure([]), error=error, line=line, strict=strict)


def check(source: Any, *, meter: str | None = None, strict: bool = False) -> list[CheckResult]:
    """Check the bars of every tune in ``source``.

    Parameters
    ----------
    source : str, TokenizedTune, sequence of str, or a list of those
        ABC text (any number of ``X:`` tunes), the text of a folk-rnn token file
        (told apart by :func:`folkabc.tokenfile.is_token_file`; ``<s>``/``</s>`` allowed),
        one :class:`~folkabc.tokens.TokenizedTune`,
        or one token list ``[meter, mode, *body]``.
    meter : str, optional
        A meter token (``"M:6/8"``) for token lists that have none (body only, or
        mode and body); a sequence that has its own meter keeps it.
    strict : bool
        Also fail a tune for a pickup that its last bar does not complete
        (``unmatched-pickup``): ``ok`` is then :attr:`CheckResult.ok_strict`.

    Returns
    -------
    list of CheckResult
        One per tune, in order. A tune that cannot be read has ``error`` set and
        ``ok`` False; the others are still checked.

    Raises
    ------
    TokenSequenceError
        A single token list with an unknown token or broken grammar.
    ParameterError
        ``meter`` is not a meter token.
    FolkabcError
        ``source`` is of no known kind, or holds no tune.

    See Also
    --------
    check_tokens : the same for one token sequence with positions.

    Examples
    --------
    >>> [r.ok for r in check("M:6/8\\nK:Cmaj\\nc 6 | c 5 |\\n\\nM:3/4\\nK:Cmin\\nc 6 |\\n")]
    [False, True]
    >>> check(["c", "4", "c", "4", "|"], meter="M:4/4")[0].ok
    True
    >>> check("<s> M:4/4 K:Cmaj C 2 D 2 E 2 F 2 | </s>")[0].summary()
    'tune 1: ok (M:4/4, A, 1 bar)'
    """
    if meter is not None and not re.fullmatch(r"M:\S+", meter):
        raise ParameterError(f"meter must be a meter token such as 'M:6/8', not {meter!r}")
    if isinstance(source, str):
        if is_token_file(source):
            results = []
            for k, (toks, pos, line) in enumerate(read_token_file(source), 1):
                try:
                    results.append(check_tokens(toks, positions=pos, index=k, line=line, strict=strict))
                except TokenSequenceError as exc:
                    results.append(_empty(k, None, str(exc), line, strict))
            return results
        return _check_abc(source, strict)
    if hasattr(source, "tokens") and hasattr(source, "positions"):
        return [_check_tokenized(source, strict)]
    if isinstance(source, (list, tuple)):
        if source and all(isinstance(t, str) for t in source):
            toks = list(source)
            if not toks[0].startswith("M:"):
                if meter is None:
                    raise TokenSequenceError(
                        f"a token sequence starts with a meter token (M:4/4 …), not {toks[0]!r}; "
                        "give meter=", position=0)
                toks.insert(0, meter)
            return [check_tokens(toks, strict=strict)]
        if source and all(hasattr(t, "tokens") for t in source):
            return [_check_tokenized(t, strict) for t in source]
    raise FolkabcError(f"cannot check a {type(source).__name__}: give ABC or token-file text, "
                       "a TokenizedTune or a token list")


def bars_count(tokens: Sequence[str], *, strict: bool = True) -> bool:
    """Whether every bar of one token list ``[meter, mode, *body]`` counts; a list the
    checker cannot read (unknown token, broken grammar) does not.

    ``strict`` (the default, as the training selection and the evaluation count today)
    also fails a pickup that the tune's last bar does not complete; ``strict=False``
    answers as :attr:`CheckResult.ok`.

    Examples
    --------
    >>> bars_count(["M:2/4", "K:Cmaj", "G", "|", "c", "d", "e", "f", "|", "c", "d", "e", "|"])
    True
    >>> bars_count(["M:2/4", "K:Cmaj", "c", "d", "|", "e", "|"]), bars_count(["M:2/4", "K:Cmaj", "]"])
    (False, False)
    >>> toks = ["M:2/4", "K:Cmaj", "G", "|", "c", "d", "e", "f", "|"]
    >>> bars_count(toks), bars_count(toks, strict=False)
    (False, True)
    """
    try:
        results = check(list(tokens), strict=strict)
    except FolkabcError:
        return False
    return bool(results) and all(r.ok for r in results)


def _check_tokenized(tt: Any, strict: bool = False) -> CheckResult:
    if tt.error is not None:
        return _empty(tt.index, tt.title, str(tt.error), getattr(tt, "line", None), strict)
    try:
        return check_tokens(tt.tokens, positions=tt.positions, index=tt.index, title=tt.title,
                            unit=getattr(tt, "unit", _EIGHTH), line=getattr(tt, "line", None),
                            part_ends=getattr(tt, "part_ends", frozenset()), strict=strict)
    except TokenSequenceError as exc:
        return _empty(tt.index, tt.title, str(exc), getattr(tt, "line", None), strict)


def _check_abc(text: str, strict: bool = False) -> list[CheckResult]:
    from ..tokens import tokenize

    # as tokenize does: counting allocates many small objects and no reference cycles, so the cyclic
    # garbage collector is paused for the call
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        tunes = tokenize(text, pitches=False)  # counting needs no pitch spelling nor transposition
        if not tunes:
            raise FolkabcError("no tune found (neither ABC with X: fields nor a folk-rnn token file)")
        return [_check_tokenized(tt, strict) for tt in tunes]
    finally:
        if paused:
            gc.enable()
