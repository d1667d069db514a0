"""Read tunebooks: split ABC text into tunes, read headers, and read each body into typed events.

:func:`split_tunes` cuts a text into :class:`RawTune` blocks (``X:`` to the next
blank line or ``X:``; a text with no ``X:`` at all is one tune). :func:`read_body`
reads a tune into a :class:`Reading`: a flat list of typed *events*
(:mod:`folkabc.abc.events`: notes with sounding pitches resolved, exact lengths, bar lines
as written, ties, grace notes, decorations, field changes, each with its line and column).
This is folkabc's one ABC reader: the tokenizer (:mod:`folkabc.tokens`) and the performer
(:mod:`folkabc.render.perform`) both consume its events.

What is dropped while reading: slurs' spans (only ``(``/``)`` marks), spacers, comments,
``%%`` directives other than ``%%propagate-accidentals``, lyrics and fields other than
``K M L V P Q`` in the body, voices other than the first, and voice overlays (``&`` to the bar line).

Examples
--------
>>> tune = split_tunes("X:1\\nT:Scale\\nM:2/4\\nL:1/8\\nK:D\\nDEFG|\\n")[0]
>>> tune.index, tune.titles
(1, ['Scale'])
>>> [(e.step, e.midi) for e in read_body(tune).events[:3]]
[(29, 62), (30, 64), (31, 66)]
"""

from __future__ import annotations

from fractions import Fraction

from .. import _regex
from .._record import NamedTuple, Record
from ..errors import AbcSyntaxError, LimitError
from ..limits import check_limit, limit
from .events import (Annotation, Bar, Broken, ChordEnd, ChordStart, Decoration, Ending, FieldChange, Grace, Note,
                     Rest, Slur, Tie, Tuplet)
from .keys import LETTERS, NATURAL, Key, Meter, default_length, parse_key, parse_length, parse_meter, tuplet_q
from .lexer import (BLANKS, BODY_FAST_RE, BODY_ITEMS_RE, CHORD_RE, DECO1_CHARS, FIELD_LINE_RE, NOTE_RE, X_LINE_RE,
                    parse_duration)

__all__ = ["RawTune", "Reading", "split_tunes", "read_body", "tune_limits", "duration_text", "length_text",
           "ACCIDENTAL_SCOPES"]

_ACC = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}
_DIRECTIVE_RE = _regex.compile(r"%%\s*(propagate-accidentals)\s+(\w+)")


class RawTune(Record):
    """One tune as cut from a tunebook, before its body is read.

    Attributes
    ----------
    index : int
        The ``X:`` number (1-based order when missing or unreadable).
    line : int
        1-based line of the ``X:`` (or of the first line) in the source text.
    titles : list of str
    header : dict of str to list of str
        Raw header fields by letter, up to and including ``K:``.
    fields : dict of str to tuple
        ``(value, line, column)`` of the first ``M:``, ``L:`` and the ``K:`` field.
    body : list of tuple
        ``(line, text)`` of each body line.
    abc : str
        The tune's own source text.
    defaults : dict
        Fields inherited from the file header (``M`` ``L``).
    directives : dict of str to str
        ``%%propagate-accidentals`` of the file header or the tune header.
    """

    __slots__ = ("index", "line", "titles", "header", "fields", "body", "abc", "defaults", "warnings", "pending",
                 "directives")

    index: int
    line: int
    titles: list[str]
    header: dict[str, list[str]]
    fields: dict[str, tuple[str, int, int]]
    body: list[tuple[int, str]]
    abc: str
    defaults: dict[str, tuple[str, int, int]]
    warnings: list[str]
    pending: list[tuple[int, str]]
    directives: dict[str, str]

    def __init__(self, index: int, line: int, titles: list[str] | None = None,
                 header: dict[str, list[str]] | None = None, fields: dict[str, tuple[str, int, int]] | None = None,
                 body: list[tuple[int, str]] | None = None, abc: str = "",
                 defaults: dict[str, tuple[str, int, int]] | None = None, warnings: list[str] | None = None,
                 pending: list[tuple[int, str]] | None = None, directives: dict[str, str] | None = None) -> None:
        # None: a new empty list or dict for this tune (a dataclass's default_factory)
        self.index, self.line, self.abc = index, line, abc
        self.titles = [] if titles is None else titles
        self.header = {} if header is None else header
        self.fields = {} if fields is None else fields
        self.body = [] if body is None else body
        self.defaults = {} if defaults is None else defaults
        self.warnings = [] if warnings is None else warnings
        self.pending = [] if pending is None else pending
        self.directives = {} if directives is None else directives

    @property
    def title(self) -> str | None:
        """The first title, or None."""
        return self.titles[0] if self.titles else None


class Reading(NamedTuple):
    """A tune body read into events (see the module docstring).

    Attributes
    ----------
    events : list
        Typed events (:mod:`folkabc.abc.events`), in written order.
    key : Key
        The tune's (first) key.
    meter : Meter or None
        The opening meter: the header's, or an ``M:`` in the body before the first note
        (None when absent).
    warnings : list of str
    unit : Fraction
        The tune's unit note length (``L:``, else the default from ``M:``).
    meter_at : tuple of int or None
        ``(line, column)`` of the opening meter's value.
    """

    events: list
    key: Key
    meter: Meter | None
    warnings: list[str]
    unit: Fraction = Fraction(1, 8)
    meter_at: tuple[int, int] | None = None


def split_tunes(text: str) -> list[RawTune]:
    """Cut ABC text into tunes.

    A tune runs from its ``X:`` line to the next blank line (ABC 2.1) or the next
    ``X:``. Text before the first ``X:`` is the file header: its ``M:`` and ``L:``
    apply to every tune. Text between tunes is free text (ABC 2.1, as abc2midi reads
    it): an ``M:`` or ``L:`` line there sets nothing. A text with no ``X:`` line is one tune (index 1), so a
    bare fragment such as ``"G,CC2 G,CEC"`` can be read.

    Parameters
    ----------
    text : str
        ABC text (any number of tunes).

    Returns
    -------
    list of RawTune

    Examples
    --------
    >>> [t.index for t in split_tunes("X:3\\nK:G\\nGAB\\n\\nX:4\\nK:D\\nDEF\\n")]
    [3, 4]
    >>> split_tunes("GAB cde|")[0].body
    [(1, 'GAB cde|')]
    """
    if text.startswith("\ufeff"):  # a UTF-8 byte-order mark read as text
        text = text[1:]
    lines = text.split("\n")
    directives: dict[str, str] = {}
    has_x = text.startswith("X:") or "\nX:" in text  # a line starts with X:
    tunes: list[RawTune] = []
    defaults: dict[str, tuple[str, int, int]] = {}
    cur: RawTune | None = None
    in_header = False
    start = 0
    last_field = None
    max_digits = limit("max_digits")  # read once a call (an environment variable)
    if not has_x:
        cur = RawTune(index=1, line=1)
        in_header = True
    has_cr = "\r" in text
    for i, raw in enumerate(lines):
        ln = raw[:-1] if has_cr and raw.endswith("\r") else raw
        lineno = i + 1
        if has_x and ln.startswith("X:"):
            if cur is not None:
                cur.abc = "\n".join(lines[start:i]).rstrip("\n")
                tunes.append(cur)
            m = X_LINE_RE.match(ln)
            n = m.group("n")
            if len(n) > max_digits:
                check_limit("max_digits", len(n), where="X: number", line=lineno, column=m.start("n") + 1)
            cur = RawTune(index=int(n) if n else len(tunes) + 1, line=lineno, defaults=dict(defaults),
                          directives=dict(directives))
            in_header = True
            start = i
            last_field = None
            continue
        if cur is None:  # file header (before the first X:), or free text between tunes
            dm = _DIRECTIVE_RE.match(ln)
            if dm is not None and not tunes:
                directives[dm.group(1)] = dm.group(2)
            fm = FIELD_LINE_RE.match(ln)
            if fm and fm.group("letter") in "ML" and not tunes:
                defaults[fm.group("letter")] = (fm.group("value").strip(), lineno, _value_column(fm))
            continue
        if not ln.strip():
            if has_x and (not in_header or cur.header):
                if not in_header or cur.body or cur.pending:
                    cur.abc = "\n".join(lines[start:i]).rstrip("\n")
                    tunes.append(cur)
                    cur = None
            continue
        if in_header:
            fm = FIELD_LINE_RE.match(ln)
            if fm is not None:  # (a field line starts with its letter, never with %)
                letter, value = fm.groups()
                value = value.strip()
                if letter == "+" and last_field:
                    cur.header[last_field][-1] += " " + value
                    continue
                last_field = letter
                cur.header.setdefault(letter, []).append(value)
                if letter == "T":
                    cur.titles.append(value)
                elif letter in "MLK" and letter not in cur.fields:
                    cur.fields[letter] = (value, lineno, _value_column(fm))
                if letter == "K":
                    in_header = False
                    for pl, ptext in cur.pending:
                        cur.warnings.append(f"line {pl}: stray header line {ptext[:30]!r} ignored")
                    cur.pending = []
                continue
            if ln.startswith("%"):
                dm = _DIRECTIVE_RE.match(ln)
                if dm is not None:
                    cur.directives[dm.group(1)] = dm.group(2)
                continue
            if has_x:  # a non-field line before K:: stray text, or music in a tune with no K:
                cur.pending.append((lineno, ln))
                continue
            in_header = False  # a fragment without K:: the body starts here
        cur.body.append((lineno, ln))
    if cur is not None:
        cur.abc = "\n".join(lines[start:]).rstrip("\n")
        tunes.append(cur)
    for t in tunes:
        if t.pending:
            _close(t)
    return tunes


def _value_column(fm) -> int:
    """1-based column of a field line's value, past the blanks after ``M:``, ``K:``, …"""
    value = fm.group("value")
    return fm.start("value") + 1 + len(value) - len(value.lstrip())


def _close(tune: RawTune) -> None:
    """A tune that ended before any K:: its stray lines were its body."""
    if tune.pending:
        tune.body[:0] = tune.pending
        tune.pending = []


_DTEXT: dict[tuple[int, int, Fraction], str] = {}


def duration_text(num: int, den: int, unit: Fraction) -> str:
    """Canonical duration text in eighths of ``num/den`` units of length ``unit``.

    ``1`` → ``""``; integer n → ``"n"``; 1/n → ``"/n"``; p/q → ``"p/q"``.

    Examples
    --------
    >>> eighth = Fraction(1, 8)
    >>> duration_text(3, 1, Fraction(1, 16)), duration_text(1, 2, eighth), duration_text(1, 1, eighth)
    ('3/2', '/2', '')
    """
    k = (num, den, unit)
    got = _DTEXT.get(k)
    if got is None:
        f = Fraction(num, den) * unit * 8
        if f.denominator == 1:
            got = "" if f.numerator == 1 else str(f.numerator)
        elif f.numerator == 1:
            got = f"/{f.denominator}"
        else:
            got = f"{f.numerator}/{f.denominator}"
        if len(_DTEXT) < 8192:
            _DTEXT[k] = got
    return got


# length object's id → (the object, its text): the reader hands out a few cached Fraction objects,
# and hashing a Fraction costs more than reading the note; the stored object keeps its id unique
# (read by length_text)
_LTEXT: dict[int, tuple[Fraction, str]] = {}


def length_text(length: Fraction) -> str:
    """Duration text in eighths (folk-rnn's) of a length in whole notes (cached).

    Examples
    --------
    >>> length_text(Fraction(1, 8)), length_text(Fraction(3, 16)), length_text(Fraction(1, 2))
    ('', '3/2', '4')
    """
    got = _LTEXT.get(id(length))
    if got is not None and got[0] is length:
        return got[1]
    text = duration_text(length.numerator, length.denominator, Fraction(1))
    if len(_LTEXT) < 8192:
        _LTEXT[id(length)] = (length, text)
    return text


_LETTER_STEP = {c: (i, 4) for i, c in enumerate(LETTERS)} | {c.lower(): (i, 5) for i, c in enumerate(LETTERS)}


_PITCH_INFO: dict[tuple[str, str], tuple[int, int, int]] = {}
# keyed by a unit's (numerator, denominator): a Fraction's hash is computed afresh at each lookup
_UNIT_CACHES: dict[tuple[int, int], dict[str, Fraction]] = {}


def _pitch_info(let: str, oc: str) -> tuple[int, int, int]:
    """(diatonic step, letter index, natural MIDI number) of a letter with octave marks (cached)."""
    li, octv = _LETTER_STEP[let]
    octv += oc.count("'") - oc.count(",")
    info = (octv * 7 + li, li, 12 * (octv + 1) + NATURAL[li])
    if len(_PITCH_INFO) < 4096:
        _PITCH_INFO[(let, oc)] = info
    return info


def _length_cache(unit: Fraction) -> dict[str, Fraction]:
    """Written duration → length in whole notes, for one unit length (cached per unit)."""
    key = (unit.numerator, unit.denominator)
    cache = _UNIT_CACHES.get(key)
    if cache is None:
        cache = {"": unit}
        if len(_UNIT_CACHES) < 64:
            _UNIT_CACHES[key] = cache
    return cache


#: Accidental scopes (ABC 2.1 §11.3 ``%%propagate-accidentals``): an accidental holds to the end of the
#: bar for no other note (``not``), for notes of its letter in its octave (``octave``), or for notes of
#: its letter in every octave (``pitch``, the standard's default and what abc2midi plays).
ACCIDENTAL_SCOPES = ("not", "octave", "pitch")

# a note as written (``^G,2``) → (diatonic step, letter index, natural MIDI number, written accidental
# or None, duration text): a tune has few distinct notes
_NOTES: dict[str, tuple[int, int, int, int | None, str]] = {}


def _note_info(text: str) -> tuple[int, int, int, int | None, str]:
    """What a note as written says (see ``_NOTES``), cached (bounded)."""
    acc, let, oc, dur = NOTE_RE.fullmatch(text).group("acc", "let", "oct", "dur")
    d, li, base = _PITCH_INFO.get((let, oc)) or _pitch_info(let, oc)
    got = (d, li, base, None if acc is None else _ACC[acc], dur)
    if len(_NOTES) < 16384 and len(text) <= 40:
        _NOTES[text] = got
    return got


_DECO_NAME = {"~": "roll", ".": "staccato", "H": "fermata", "T": "trill"}

# the kinds of BODY_FAST_RE's items that their first character tells (the others are matched again)
_NOTE, _ACC_NOTE, _BAR, _SLUR, _BROKEN, _TIE, _WS, _DECO1, _COLON, _BRACKET, _REST = range(1, 12)
_FIRST = ({c: _NOTE for c in "ABCDEFGabcdefg"} | {c: _ACC_NOTE for c in "^_="} | {"|": _BAR, ")": _SLUR}
          | {c: _REST for c in "zxZX"}
          | {":": _COLON, "[": _BRACKET}
          | {c: _BROKEN for c in "<>"} | {"-": _TIE} | {c: _WS for c in BLANKS}
          | {c: _DECO1 for c in DECO1_CHARS})
_STRAY_ACC = frozenset({"^^", "__", "^", "_", "="})  # an accidental with no note: a `stray` item
_NOTE_END_WS = BLANKS  # the blanks a note item carries after it
# a bar line's item (with its blanks) → (bar line, ending numbers or None), as the bar event holds them
_BAR_ITEMS: dict[str, tuple[str, str | None]] = {}

# reading state (signature, unit length, accidental scope by pitch) → {a note as written → (step, midi with
# no accidental pending in the bar, length, written accidental, the bar's accidental key, natural midi,
# (step, midi), length_text(length))}
_NOTE_STATES: dict[tuple, dict[str, tuple]] = {}


def _note_table(sig: tuple[int, ...], unit: Fraction, by_pitch: bool) -> dict[str, tuple]:
    """The notes read in one reading state (cached, bounded: 256 states)."""
    state = (sig, unit.numerator, unit.denominator, by_pitch)
    got = _NOTE_STATES.get(state)
    if got is None:
        got = {}
        if len(_NOTE_STATES) < 256:
            _NOTE_STATES[state] = got
    return got


def tune_limits() -> tuple[int, int]:
    """``(max_bars, max_tokens)``: the limits :func:`read_body` holds each tune to, read now.

    Examples
    --------
    >>> tune_limits()
    (10000, 50000)
    """
    return limit("max_bars"), limit("max_tokens")


def read_body(tune: RawTune, *, accidentals: str | None = None, lenient: bool = False,
              plain_notes: bool = False, token_notes: bool = False,
              limits: tuple[int, int] | None = None) -> Reading:
    """Read a tune's header fields and body into typed events (:mod:`folkabc.abc.events`).

    Parameters
    ----------
    tune : RawTune
    accidentals : {"pitch", "octave", "not"} or None
        How far a written accidental holds in its bar (:data:`ACCIDENTAL_SCOPES`). None (the
        default) honours the tune's ``%%propagate-accidentals`` directive, else ``pitch``: ABC 2.1's
        default and abc2midi's reading (``K:C`` then ``^F f`` in one bar plays MIDI 66, 78).
        ``not`` reads as music21 does, for comparisons.
    lenient : bool
        Warn (in :attr:`Reading.warnings`, with line and column) about what cannot be read and go on
        (an unreadable ``K:``/``M:``/``L:`` is ignored, a zero length reads as one unit, a bad
        character is skipped), instead of raising.
    plain_notes : bool
        Give each note outside a grace group as a plain tuple of :class:`~folkabc.abc.events.Note`'s
        fields (``(step, midi, length, accidental, line, col)``) instead of a ``Note``: for a consumer
        that reads the fields by position (the tokenizer), which spares building a ``Note`` per note
        (an eighth of the reading's time).
    token_notes : bool
        Give each note outside a grace group as ``((step, midi), duration, (line, col))``, its duration
        as :func:`length_text` writes it (eighths, ``""`` for one): the tokenizer's stream, which reads
        these and nothing else of a note (one tuple per note, the pair and the text shared by the notes
        written alike in a bar).
    limits : (int, int) or None
        ``(max_bars, max_tokens)`` (:mod:`folkabc.limits`) as a caller reading many tunes read them once
        (:func:`tune_limits`); None reads them now (an environment variable each).

    Returns
    -------
    Reading

    Raises
    ------
    AbcSyntaxError
        Naming the tune, line and column of the first thing that cannot be read (unless ``lenient``).

    Examples
    --------
    >>> r = read_body(split_tunes("X:1\\nM:6/8\\nK:Ador\\n|:eAA e2f|\\n")[0])
    >>> [type(e).__name__ for e in r.events][:3]
    ['Bar', 'Note', 'Note']
    >>> r.events[0].kind, r.events[4].length, r.key.mode
    ('|:', Fraction(1, 4), 'dor')
    >>> r = read_body(split_tunes("X:1\\nK:C\\n^F f|\\n")[0])
    >>> [e.midi for e in r.events if type(e) is Note]
    [66, 78]
    >>> read_body(split_tunes("X:1\\nK:C\\n^F f|\\n")[0], plain_notes=True).events[:2]
    [(31, 66, Fraction(1, 8), 1, 3, 1), (38, 78, Fraction(1, 8), None, 3, 4)]
    >>> read_body(split_tunes("X:1\\nK:C\\n^F f2|\\n")[0], token_notes=True).events[:2]
    [((31, 66), '', (3, 1)), ((38, 78), '2', (3, 4))]
    """
    where = {"tune": tune.index, "title": tune.title}
    warnings: list[str] = []

    def problem(msg: str, line: int, col: int) -> None:
        if not lenient:
            raise AbcSyntaxError(msg, line=line, column=col, **where)
        warnings.append(f"line {line}, column {col}: {msg}; skipped")

    def bad_duration(num: int, text: str, line: int, col: int) -> None:
        problem(f"{'zero duration' if num == 0 else 'duration divided by zero'} {text!r}", line, col)

    scope = accidentals or tune.directives.get("propagate-accidentals") or "pitch"
    if scope not in ACCIDENTAL_SCOPES:
        warnings.append(f"%%propagate-accidentals {scope!r} is not one of {', '.join(ACCIDENTAL_SCOPES)}; "
                        "read as pitch")
        scope = "pitch"
    carry = scope != "not"
    by_pitch = scope == "pitch"

    # --- header
    meter: Meter | None = None
    meter_at: tuple[int, int] | None = None
    mfield = tune.fields.get("M") or tune.defaults.get("M")
    if mfield is not None:
        try:
            meter = parse_meter(mfield[0])
            meter_at = (mfield[1], mfield[2])
        except ValueError as exc:
            problem(str(exc), mfield[1], mfield[2])
    lfield = tune.fields.get("L") or tune.defaults.get("L")
    unit = None
    if lfield is not None:
        try:
            unit = parse_length(lfield[0])
        except ValueError as exc:
            problem(str(exc), lfield[1], lfield[2])
    if unit is None:
        unit = default_length(meter)
    kfield = tune.fields.get("K")
    key = None
    if kfield is not None:
        try:
            key = parse_key(kfield[0])
            warnings.extend(key.warnings)
        except ValueError as exc:
            problem(str(exc), kfield[1], kfield[2])
    elif tune.body:
        warnings.append("no K: field; read as K:C")
    if key is None:
        key = parse_key("C")
    head_unit = unit
    dcache = _length_cache(unit)
    plain = dcache[""]
    ncache = _note_table(key.signature, unit, scope == "pitch")
    voices = tune.header.get("V")
    first_voice = voices[0].split()[0] if voices and voices[0].split() else None
    sig = key.signature

    cur_meter = meter  # the meter in force (inline [M:] changes it)
    events: list = []
    append = events.append
    bar_acc: dict[int, int] = {}
    active = True
    overlay = False
    multi_voice = False
    sounded = False  # a note or rest was read (an M: before it sets the opening meter)
    nbars = untokened = 0  # bars read; events that are no token (ties, slurs, decorations, grace, annotations)
    max_bars, max_events = limits or tune_limits()

    def too_long(line: int, col: int) -> None:  # every other event is at least one token
        check_limit("max_bars", nbars, where="tune length", line=line, column=col, **where)
        check_limit("max_tokens", len(events) - untokened, where="tune length (at least)", line=line, column=col,
                    **where)

    def guarded(matches, line: int):  # a line longer than max_tokens characters is checked while it is read
        for k, m in enumerate(matches):
            if not k & 4095 and len(events) - untokened > max_events:
                too_long(line, m.start() + 1)
            yield m
    new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (the hot path)

    def length_of(dur: str, text: str, line: int, col: int) -> Fraction:
        got = dcache.get(dur)
        if got is None:
            try:
                num, den = parse_duration(dur)
            except LimitError as exc:
                raise LimitError(exc.message, line=line, column=col, **where) from None
            if num == 0 or den == 0:
                bad_duration(num, text, line, col)
                return unit
            got = Fraction(num, den) * unit
            if len(dcache) < 1024:
                dcache[dur] = got
        return got

    def note_entry(nt: str, line: int, col: int) -> tuple:
        """A note as written read in the current state (see ``_NOTE_STATES``), kept when it read cleanly."""
        d, li, base, acc, dur = _NOTES.get(nt) or _note_info(nt)
        length = (dcache.get(dur) or length_of(dur, nt, line, col)) if dur else plain
        k = li if by_pitch else d
        midi = base + (sig[li] if acc is None else acc)
        got = (d, midi, length, acc, k, base, (d, midi), length_text(length))
        if (not dur or dur in dcache) and len(ncache) < 512:
            ncache[nt] = got
        return got

    def pitch_of(m) -> tuple[int, int, int | None]:
        let, oc = m.group("let", "oct")
        d, li, base = _PITCH_INFO.get((let, oc)) or _pitch_info(let, oc)
        acc = m.group("acc")
        k = li if by_pitch else d
        if acc is not None:
            alt = _ACC[acc]
            if carry:
                bar_acc[k] = alt
            return d, base + alt, alt
        alt = bar_acc.get(k)
        if alt is None:
            alt = sig[li]
        return d, base + alt, None

    def apply_field(letter: str, value: str, line: int, col: int) -> None:
        nonlocal unit, sig, active, first_voice, multi_voice, meter, meter_at, cur_meter, dcache, plain, ncache
        if letter == "K":
            try:
                k = parse_key(value)
            except ValueError as exc:
                problem(str(exc), line, col)
                return
            if active:
                sig = k.signature
                ncache = _note_table(sig, unit, by_pitch)
                bar_acc.clear()
                append(FieldChange("K", k, line, col))
        elif letter == "M":
            try:
                m = parse_meter(value)
            except ValueError as exc:
                problem(str(exc), line, col)
                return
            if active:
                append(FieldChange("M", m, line, col))
                cur_meter = m
                if meter is None or not sounded:  # an M: before the first note is the opening meter
                    meter, meter_at = m, (line, col)
        elif letter == "L":
            try:
                u = parse_length(value)
            except ValueError as exc:
                problem(str(exc), line, col)
                return
            if active:
                unit = u
                dcache = _length_cache(unit)
                plain = dcache[""]
                ncache = _note_table(sig, unit, by_pitch)
                append(FieldChange("L", u, line, col))
        elif letter == "V":
            vid = value.split()[0] if value.split() else ""
            if first_voice is None:
                first_voice = vid
            if vid != first_voice:
                multi_voice = True
            active = vid == first_voice
        elif letter in "PQ" and active:
            append(FieldChange(letter, value, line, col))

    for lineno, text in tune.body:
        if nbars > max_bars or len(events) - untokened > max_events:
            too_long(lineno, 1)
        fm = FIELD_LINE_RE.match(text) if text[1:2] == ":" else None  # a field line's letter is one character
        if fm is not None and not text.startswith("%"):
            letter = fm.group("letter")
            if letter in "KMLVPQ":
                apply_field(letter, fm.group("value").strip(), lineno, _value_column(fm))
            continue
        if text.startswith("%"):
            dm = _DIRECTIVE_RE.match(text)
            if dm is not None and accidentals is None and dm.group(2) in ACCIDENTAL_SCOPES:
                carry, by_pitch = dm.group(2) != "not", dm.group(2) == "pitch"
                ncache = _note_table(sig, unit, by_pitch)
            continue
        if len(text) <= max_events:
            items = BODY_ITEMS_RE.findall(text)
        else:  # a very long line: its items one by one, the tune's length checked as they come
            items = (m.group() for m in guarded(BODY_ITEMS_RE.finditer(text), lineno))
        end_at = 0
        first_kind = _FIRST.get
        for item in items:
            at = end_at  # 0-based column of the item
            end_at += len(item)
            got = ncache.get(item)  # a note read before in this state (its keys are notes as written)
            if got is None:
                fk = first_kind(item[0])
                if fk == _NOTE or fk == _ACC_NOTE and item not in _STRAY_ACC:
                    if not active or overlay:
                        continue
                    nt = item.rstrip(_NOTE_END_WS)
                    got = ncache.get(nt) or note_entry(nt, lineno, at + 1)
                    if nt in ncache and len(ncache) < 512:
                        ncache[item] = got
            elif not active or overlay:
                continue
            if got is not None:  # a note
                d, midi, length, acc, k, base, pair, dtext = got
                if acc is None:
                    if bar_acc:
                        alt = bar_acc.get(k)
                        if alt is not None:
                            midi = base + alt
                            pair = (d, midi)
                elif carry:
                    bar_acc[k] = acc
                if token_notes:
                    append((pair, dtext, (lineno, at + 1)))
                elif plain_notes:
                    append((d, midi, length, acc, lineno, at + 1))
                else:
                    append(new(Note, (d, midi, length, acc, lineno, at + 1)))
                sounded = True
                continue
            if fk == _COLON:  # `:|`, `::` …, or a lone `:` (stray)
                fk = _BAR if item != ":" else None
            elif fk == _BRACKET:  # `[|`, or a chord, an inline field, an ending …
                fk = _BAR if item[1:2] == "|" else None
            if fk == _BAR:
                overlay = False
                if bar_acc:
                    bar_acc.clear()
                if not active:
                    continue
                nbars += 1
                if nbars > max_bars or len(events) - untokened > max_events:  # a huge tune is refused while read
                    too_long(lineno, at + 1)
                got = _BAR_ITEMS.get(item)
                if got is None:
                    bl, end = BODY_FAST_RE.match(text, at).group("bl", "end")
                    got = (bl, end.strip().lstrip("[").strip() if end else None)
                    if len(_BAR_ITEMS) < 1024:
                        _BAR_ITEMS[item] = got
                bk, be = got
                append(new(Bar, (bk, be, lineno, at + 1)))
                continue
            if fk == _WS:
                continue
            if fk == _REST:  # `z2`, `x`, `Z4` …: the item is the rest as written and the blanks after it
                if not active or overlay:
                    continue
                rest = item.rstrip(_NOTE_END_WS)
                dur = rest[1:]
                col = at + 1
                sounded = True
                if rest[0] in "ZX":  # whole-bar rests: one bar of z per bar
                    try:
                        num, den = parse_duration(dur)
                    except LimitError as exc:
                        raise LimitError(exc.message, line=lineno, column=col, **where) from None
                    if cur_meter is None or cur_meter.value is None:
                        problem("multi-bar rest Z in free meter", lineno, col)
                        continue
                    bars = num if den == 1 else 1
                    check_limit("max_rest_bars", bars, where=rest, line=lineno, column=col, **where)
                    nbars += bars
                    for j in range(bars):
                        if j:
                            append(Bar("|", None, lineno, col))
                        append(Rest(cur_meter.value, lineno, col))
                    continue
                append(new(Rest, ((dcache.get(dur) or length_of(dur, rest, lineno, col)) if dur else plain,
                                  lineno, col)))
                continue
            if fk == _SLUR or item == "(":
                if active and not overlay:
                    untokened += 1
                    append(new(Slur, (item, lineno, at + 1)))
                continue
            if fk == _BROKEN:
                if active and not overlay:
                    append(new(Broken, (item, lineno, at + 1)))
                continue
            if fk == _TIE:
                if active and not overlay:
                    untokened += 1
                    append(new(Tie, (lineno, at + 1)))
                continue
            if fk == _DECO1:
                if active and not overlay:
                    untokened += 1
                    append(new(Decoration, (item, lineno, at + 1)))
                continue
            m = BODY_FAST_RE.match(text, at)  # the item again, with its groups
            kind = m.lastgroup
            if kind == "deco":
                if active and not overlay:
                    untokened += 1
                    append(new(Decoration, (m.group()[1:-1], lineno, m.start() + 1)))
            elif kind == "gchord":
                if active and not overlay:
                    untokened += 1
                    append(new(Annotation, (m.group()[1:-1], lineno, m.start() + 1)))
            elif kind == "grace":
                if not active or overlay:
                    continue
                base = m.start() + 1
                notes = []
                for gm in NOTE_RE.finditer(m.group()):
                    d, midi, acc = pitch_of(gm)
                    col = base + gm.start()
                    notes.append(Note(d, midi, length_of(gm.group("dur"), gm.group(), lineno, col), acc, lineno, col))
                if notes:
                    untokened += 1
                    append(Grace(tuple(notes), lineno, m.start() + 1))
            elif kind == "chord":
                if not active or overlay:
                    continue
                col = m.start() + 1
                inner = m.group("cb")
                base = m.start("cb") + 1
                first = None
                notes = []
                for cm in CHORD_RE.finditer(inner):
                    ck = cm.lastgroup
                    if ck == "skip":
                        continue
                    if ck == "tie":
                        notes.append(Tie(lineno, base + cm.start()))
                        continue
                    if ck == "bad":
                        problem(f"unexpected {cm.group()!r} in chord", lineno, base + cm.start())
                        continue
                    d, midi, acc = pitch_of(cm)
                    ln = length_of(cm.group("dur"), m.group(), lineno, col)
                    cc = base + cm.start()
                    notes.append(((d, midi), length_text(ln), (lineno, cc)) if token_notes
                                 else (d, midi, ln, acc, lineno, cc) if plain_notes
                                 else Note(d, midi, ln, acc, lineno, cc))
                    if first is None:
                        first = ln
                if first is None:
                    warnings.append(f"line {lineno}, column {col}: empty chord dropped")
                    continue
                sounded = True
                cdur = m.group("cdur")
                mult = length_of(cdur, m.group(), lineno, col) / unit if cdur else 1
                append(ChordStart(lineno, col))
                events.extend(notes)
                append(ChordEnd(first * mult, lineno, m.start("cdur")))
            elif kind == "tuplet":
                if not active or overlay:
                    continue
                p = int(m.group("tp"))
                q, r = m.group("tq"), m.group("tr")
                dq = tuplet_q(p, cur_meter.numerator if cur_meter is not None else 0)
                qn = int(q) if q else dq
                rn = int(r) if r else p
                if qn == 0 or rn == 0:
                    problem(f"tuplet {m.group()!r} of no notes", lineno, m.start() + 1)
                    continue
                append(Tuplet(p, qn, rn, qn == dq and rn == p, lineno, m.start() + 1))
            elif kind == "field":
                apply_field(m.group("fl"), m.group("fv").strip(), lineno, m.start("fv") + 1)
            elif kind == "ending":
                if active and not overlay:
                    append(Ending(m.group()[1:], lineno, m.start() + 1))
            elif kind == "comment":
                break
            elif kind == "skip":
                continue
            elif kind == "stray":
                warnings.append(f"line {lineno}, column {m.start() + 1}: stray {m.group()!r} dropped")
            elif kind == "overlay":
                if active and not overlay:
                    warnings.append(f"line {lineno}: voice overlay '&' dropped to the bar line")
                overlay = True
            else:  # bad
                ch = m.group()
                if ch == '"':
                    problem("unterminated guitar chord or annotation '\"'", lineno, m.start() + 1)
                elif ch == "{":
                    problem("unterminated grace notes '{'", lineno, m.start() + 1)
                elif ch == "[":
                    problem("unterminated chord or inline field '['", lineno, m.start() + 1)
                else:
                    problem(f"unexpected character {ch!r}", lineno, m.start() + 1)
    if nbars > max_bars or len(events) - untokened > max_events:
        too_long(tune.body[-1][0], 1)
    if multi_voice:
        warnings.append(f"multi-voice tune: only the first voice ({first_voice}) was read")
    # compiled by Cython, the helpers above share one closure object that they also refer to: a
    # reference cycle that would keep the whole reading alive until the cyclic collector runs
    problem = bad_duration = too_long = guarded = None  # type: ignore[assignment]  # noqa: F811
    length_of = note_entry = pitch_of = apply_field = None  # type: ignore[assignment]
    return Reading(events, key, meter, warnings, head_unit, meter_at)

