"""Read tunebooks: split ABC text into tunes, read headers, and read each body into events.

:func:`split_tunes` cuts a text into :class:`RawTune` blocks (``X:`` to the next
blank line or ``X:``; a text with no ``X:`` at all is one tune). :func:`read_body`
reads a tune into a :class:`Reading`: a flat list of *events* with sounding
pitches resolved (key signature and bar accidentals applied) and durations
scaled to eighth notes.

Events are tuples ``(kind, a, b, line, column)``:

=======  ============================================  ===============
kind     meaning                                       a, b
=======  ============================================  ===============
``n``    a note (also inside a chord)                  diatonic step (C4 = 28), MIDI number
``d``    the duration of the preceding note/rest/chord text in eighths (``"2"``, ``"/2"``, ``"3/2"``)
``z``    a rest
``[``    chord opens; ``]`` chord closes
``b``    a bar token (``|`` ``|:`` ``:|`` ``|1`` …)        the token
``t``    a tuplet opener (``(3``, or ``(3:2:2`` when not the default)
``>``    broken rhythm (``>`` ``<`` ``>>`` …)               the symbol
``M``    an inline meter change                         the meter token
``K``    a key change                                   the :class:`~folkabc.abc.keys.Key`
=======  ============================================  ===============

What is dropped while reading: guitar chords and annotations, decorations, grace
notes, slurs, ties, spacers, comments, ``%%`` directives, lyrics and other fields in
the body, voices other than the first, and voice overlays (``&`` to the bar line).

Examples
--------
>>> tune = split_tunes("X:1\\nT:Scale\\nM:2/4\\nL:1/8\\nK:D\\nDEFG|\\n")[0]
>>> tune.index, tune.titles
(1, ['Scale'])
>>> [e[:3] for e in read_body(tune).events][:3]
[('n', 29, 62), ('n', 30, 64), ('n', 31, 66)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import AbcSyntaxError
from .keys import LETTERS, NATURAL, Key, Meter, default_length, parse_key, parse_length, parse_meter, tuplet_q
from .lexer import BODY_RE, CHORD_RE, FIELD_LINE_RE, X_LINE_RE, parse_duration

__all__ = ["RawTune", "Reading", "split_tunes", "read_body", "duration_text"]

_ACC = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}


@dataclass
class RawTune:
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
    """

    index: int
    line: int
    titles: list[str] = field(default_factory=list)
    header: dict[str, list[str]] = field(default_factory=dict)
    fields: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    body: list[tuple[int, str]] = field(default_factory=list)
    abc: str = ""
    defaults: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    pending: list[tuple[int, str]] = field(default_factory=list)

    @property
    def title(self) -> str | None:
        """The first title, or None."""
        return self.titles[0] if self.titles else None


@dataclass
class Reading:
    """A tune body read into events (see the module docstring).

    Attributes
    ----------
    events : list of tuple
    key : Key
        The tune's (first) key.
    meter : Meter or None
        The header meter (None when absent).
    warnings : list of str
    unit : Fraction
        The tune's unit note length (``L:``, else the default from ``M:``).
    """

    events: list[tuple]
    key: Key
    meter: Meter | None
    warnings: list[str]
    unit: Fraction = Fraction(1, 8)


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
    lines = text.split("\n")
    has_x = any(ln.startswith("X:") for ln in lines)
    tunes: list[RawTune] = []
    defaults: dict[str, tuple[str, int, int]] = {}
    cur: RawTune | None = None
    in_header = False
    start = 0
    last_field = None
    if not has_x:
        cur = RawTune(index=1, line=1)
        in_header = True
    for i, raw in enumerate(lines):
        ln = raw[:-1] if raw.endswith("\r") else raw
        lineno = i + 1
        if has_x and ln.startswith("X:"):
            if cur is not None:
                cur.abc = "\n".join(lines[start:i]).rstrip("\n")
                tunes.append(cur)
            m = X_LINE_RE.match(ln)
            n = m.group("n")
            cur = RawTune(index=int(n) if n else len(tunes) + 1, line=lineno, defaults=dict(defaults))
            in_header = True
            start = i
            last_field = None
            continue
        if cur is None:  # file header (before the first X:), or free text between tunes
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
            if fm and not ln.startswith("%"):
                letter = fm.group("letter")
                value = fm.group("value").strip()
                col = _value_column(fm)
                if letter == "+" and last_field:
                    cur.header[last_field][-1] += " " + value
                    continue
                last_field = letter
                cur.header.setdefault(letter, []).append(value)
                if letter == "T":
                    cur.titles.append(value)
                elif letter in "MLK" and letter not in cur.fields:
                    cur.fields[letter] = (value, lineno, col)
                if letter == "K":
                    in_header = False
                    for pl, ptext in cur.pending:
                        cur.warnings.append(f"line {pl}: stray header line {ptext[:30]!r} ignored")
                    cur.pending = []
                continue
            if ln.startswith("%"):
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


_LETTER_STEP = {c: (i, 4) for i, c in enumerate(LETTERS)} | {c.lower(): (i, 5) for i, c in enumerate(LETTERS)}


_PITCH_INFO: dict[tuple[str, str], tuple[int, int, int]] = {}
_UNIT_CACHES: dict[Fraction, dict[str, str]] = {}


def _pitch_info(let: str, oc: str) -> tuple[int, int, int]:
    """(diatonic step, letter index, natural MIDI number) of a letter with octave marks (cached)."""
    li, octv = _LETTER_STEP[let]
    octv += oc.count("'") - oc.count(",")
    info = (octv * 7 + li, li, 12 * (octv + 1) + NATURAL[li])
    if len(_PITCH_INFO) < 4096:
        _PITCH_INFO[(let, oc)] = info
    return info


def _unit_cache(unit: Fraction) -> dict[str, str]:
    """Written duration → duration text in eighths, for one unit length (cached per unit)."""
    cache = _UNIT_CACHES.get(unit)
    if cache is None:
        cache = {"": duration_text(1, 1, unit)}
        if len(_UNIT_CACHES) < 64:
            _UNIT_CACHES[unit] = cache
    return cache


def _pitch(m, sig: tuple[int, ...], bar_acc: dict[int, int]) -> tuple[int, int]:
    """Diatonic step and sounding MIDI number of a note match; updates the bar's accidentals."""
    let, oc = m.group("let", "oct")
    d, li, base = _PITCH_INFO.get((let, oc)) or _pitch_info(let, oc)
    acc = m.group("acc")
    if acc is not None:
        alt = _ACC[acc]
        bar_acc[d] = alt
    else:
        alt = bar_acc.get(d)
        if alt is None:
            alt = sig[li]
    return d, base + alt


_BAR_CACHE: dict[str, tuple[str, ...]] = {}


def _bar_tokens(bl: str) -> tuple[str, ...]:
    """The bar tokens of a written bar line (``::`` → ``:|``, ``|:``), cached."""
    got = _BAR_CACHE.get(bl)
    if got is None:
        got = tuple(_bar_tokens_uncached(bl))
        if len(_BAR_CACHE) < 1024:
            _BAR_CACHE[bl] = got
    return got


def _bar_tokens_uncached(bl: str) -> list[str]:
    left = bl.startswith(":")
    right = bl.endswith(":")
    if left and right:
        return [":|", "|:"]
    if left:
        return [":|"]
    if right:
        return ["|:"]
    return ["|"]


def read_body(tune: RawTune, *, carry_accidentals: bool = True) -> Reading:
    """Read a tune's header fields and body into events.

    Parameters
    ----------
    tune : RawTune
    carry_accidentals : bool
        Whether an accidental holds for the same letter and octave to the end of
        the bar (ABC 2.1 §4.2, as abc2midi reads it). ``False`` reads as music21
        does (each accidental on its own note only), for comparisons.

    Returns
    -------
    Reading

    Raises
    ------
    AbcSyntaxError
        Naming the tune, line and column of the first thing that cannot be read.

    Examples
    --------
    >>> r = read_body(split_tunes("X:1\\nM:6/8\\nK:Ador\\n|:eAA e2f|\\n")[0])
    >>> [e[1] for e in r.events if e[0] in "bd"]
    ['|:', '2', '|']
    >>> r.key.mode
    'dor'
    """
    where = {"tune": tune.index, "title": tune.title}
    warnings: list[str] = []

    def err(msg: str, line: int, col: int) -> AbcSyntaxError:
        return AbcSyntaxError(msg, line=line, column=col, **where)

    def bad_duration(num: int, text: str, line: int, col: int) -> AbcSyntaxError:
        return err(f"{'zero duration' if num == 0 else 'duration divided by zero'} {text!r}", line, col)

    # --- header
    meter: Meter | None = None
    mfield = tune.fields.get("M") or tune.defaults.get("M")
    if mfield is not None:
        try:
            meter = parse_meter(mfield[0])
        except ValueError as exc:
            raise err(str(exc), mfield[1], mfield[2]) from None
    lfield = tune.fields.get("L") or tune.defaults.get("L")
    if lfield is not None:
        try:
            unit = parse_length(lfield[0])
        except ValueError as exc:
            raise err(str(exc), lfield[1], lfield[2]) from None
    else:
        unit = default_length(meter)
    kfield = tune.fields.get("K")
    if kfield is not None:
        try:
            key = parse_key(kfield[0])
        except ValueError as exc:
            raise err(str(exc), kfield[1], kfield[2]) from None
        warnings.extend(key.warnings)
    else:
        key = parse_key("C")
        if tune.body:
            warnings.append("no K: field; read as K:C")
    head_unit = unit
    dcache = _unit_cache(unit)
    plain = dcache[""]
    voices = tune.header.get("V")
    first_voice = voices[0].split()[0] if voices and voices[0].split() else None
    sig = key.signature

    cur_meter = meter  # the meter in force (inline [M:] changes it)
    events: list[tuple] = []
    append = events.append
    bar_acc: dict[int, int] = {}
    active = True
    overlay = False
    multi_voice = False

    def apply_field(letter: str, value: str, line: int, col: int) -> None:
        nonlocal unit, sig, active, first_voice, multi_voice, meter, cur_meter, dcache, plain
        if letter == "K":
            try:
                k = parse_key(value)
            except ValueError as exc:
                raise err(str(exc), line, col) from None
            if active:
                sig = k.signature
                bar_acc.clear()
                append(("K", k, None, line, col))
        elif letter == "M":
            try:
                m = parse_meter(value)
            except ValueError as exc:
                raise err(str(exc), line, col) from None
            if active:
                append(("M", m.token, None, line, col))
                cur_meter = m
                if meter is None:
                    meter = m
        elif letter == "L":
            try:
                u = parse_length(value)
            except ValueError as exc:
                raise err(str(exc), line, col) from None
            if active:
                unit = u
                dcache = _unit_cache(unit)
                plain = dcache[""]
        elif letter == "V":
            vid = value.split()[0] if value.split() else ""
            if first_voice is None:
                first_voice = vid
            if vid != first_voice:
                multi_voice = True
            active = vid == first_voice

    for lineno, text in tune.body:
        fm = FIELD_LINE_RE.match(text)
        if fm is not None and not text.startswith("%"):
            letter = fm.group("letter")
            if letter in "KMLV":
                apply_field(letter, fm.group("value").strip(), lineno, _value_column(fm))
            continue
        if text.startswith("%"):
            continue
        for m in BODY_RE.finditer(text):
            kind = m.lastgroup
            if kind == "note":
                if not active or overlay:
                    continue
                acc, let, oc, dur = m.group("acc", "let", "oct", "dur")
                info = _PITCH_INFO.get((let, oc))
                if info is None:
                    info = _pitch_info(let, oc)
                d, li, base = info
                if acc is not None:
                    alt = _ACC[acc]
                    if carry_accidentals:
                        bar_acc[d] = alt
                else:
                    alt = bar_acc.get(d)
                    if alt is None:
                        alt = sig[li]
                col = m.start() + 1
                append(("n", d, base + alt, lineno, col))
                if dur:
                    t = dcache.get(dur)
                    if t is None:
                        num, den = parse_duration(dur)
                        if num == 0 or den == 0:
                            raise bad_duration(num, m.group(), lineno, col)
                        t = duration_text(num, den, unit)
                        if len(dcache) < 1024:
                            dcache[dur] = t
                    if t:
                        append(("d", t, None, lineno, m.start("dur") + 1))
                elif plain:
                    append(("d", plain, None, lineno, col))
            elif kind == "ws" or kind == "skip" or kind == "gchord" or kind == "deco" or kind == "grace":
                continue
            elif kind == "bar":
                overlay = False
                bar_acc.clear()
                if not active:
                    continue
                toks = _bar_tokens(m.group("bl"))
                end = m.group("end")
                col = m.start() + 1
                if end:
                    e = "|" + end.strip().lstrip("[")
                    toks = toks[:-1] + (e,) if toks[-1] == "|" else toks + (e,)
                for t in toks:
                    append(("b", t, None, lineno, col))
            elif kind == "rest":
                if not active or overlay:
                    continue
                col = m.start() + 1
                num, den = parse_duration(m.group("rdur"))
                if m.group("rl") in "ZX":  # whole-bar rests: one bar of z per bar
                    if cur_meter is None or cur_meter.value is None:
                        raise err("multi-bar rest Z in free meter", lineno, col)
                    bars = num if den == 1 else 1
                    t = duration_text(cur_meter.value.numerator, cur_meter.value.denominator, Fraction(1))
                    for j in range(bars):
                        if j:
                            append(("b", "|", None, lineno, col))
                        append(("z", "z", None, lineno, col))
                        if t:
                            append(("d", t, None, lineno, col))
                    continue
                if num == 0 or den == 0:
                    raise bad_duration(num, m.group(), lineno, col)
                append(("z", "z", None, lineno, col))
                t = duration_text(num, den, unit)
                if t:
                    append(("d", t, None, lineno, m.start("rdur") + 1))
            elif kind == "chord":
                if not active or overlay:
                    continue
                col = m.start() + 1
                inner = m.group("cb")
                base = m.start("cb")
                first = None
                notes = []
                for cm in CHORD_RE.finditer(inner):
                    ck = cm.lastgroup
                    if ck == "skip":
                        continue
                    if ck == "bad":
                        raise err(f"unexpected {cm.group()!r} in chord", lineno, base + cm.start() + 1)
                    d, midi = _pitch(cm, sig, bar_acc if carry_accidentals else {})
                    notes.append(("n", d, midi, lineno, base + cm.start() + 1))
                    if first is None:
                        first = parse_duration(cm.group("dur"))
                if not notes:
                    warnings.append(f"line {lineno}, column {col}: empty chord dropped")
                    continue
                num, den = parse_duration(m.group("cdur"))
                num *= first[0]
                den *= first[1]
                if num == 0 or den == 0:
                    raise bad_duration(num, m.group(), lineno, col)
                append(("[", "[", None, lineno, col))
                events.extend(notes)
                append(("]", "]", None, lineno, m.start("cdur")))
                t = duration_text(num, den, unit)
                if t:
                    append(("d", t, None, lineno, m.start("cdur") + 1))
            elif kind == "broken":
                if active and not overlay:
                    append((">", m.group(), None, lineno, m.start() + 1))
            elif kind == "tuplet":
                if not active or overlay:
                    continue
                p = int(m.group("tp"))
                q, r = m.group("tq"), m.group("tr")
                dq = tuplet_q(p, cur_meter.numerator if cur_meter is not None else 0)
                qn = int(q) if q else dq
                rn = int(r) if r else p
                tok = f"({p}" if (qn == dq and rn == p) else f"({p}:{qn}:{rn}"
                append(("t", tok, None, lineno, m.start() + 1))
            elif kind == "field":
                apply_field(m.group("fl"), m.group("fv").strip(), lineno, m.start("fv") + 1)
            elif kind == "ending":
                if not active or overlay:
                    continue
                e = "|" + m.group()[1:]
                if events and events[-1][0] == "b" and events[-1][1] == "|":
                    last = events[-1]
                    events[-1] = ("b", e, None, last[3], last[4])
                else:
                    append(("b", e, None, lineno, m.start() + 1))
            elif kind == "comment":
                break
            elif kind == "stray":
                warnings.append(f"line {lineno}, column {m.start() + 1}: stray {m.group()!r} dropped")
            elif kind == "overlay":
                if active and not overlay:
                    warnings.append(f"line {lineno}: voice overlay '&' dropped to the bar line")
                overlay = True
            else:  # bad
                ch = m.group()
                if ch == '"':
                    raise err("unterminated guitar chord or annotation '\"'", lineno, m.start() + 1)
                if ch == "{":
                    raise err("unterminated grace notes '{'", lineno, m.start() + 1)
                if ch == "[":
                    raise err("unterminated chord or inline field '['", lineno, m.start() + 1)
                raise err(f"unexpected character {ch!r}", lineno, m.start() + 1)
    if multi_voice:
        warnings.append(f"multi-voice tune: only the first voice ({first_voice}) was read")
    return Reading(events, key, meter, warnings, head_unit)
