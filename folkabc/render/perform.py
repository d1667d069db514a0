"""Play an ABC tune: the notes as a player sounds them (repeats, endings, ornaments expanded).

The performance follows abc2midi's reading of ABC so that folkabc's MIDI can be checked
against it note for note (``tests/test_render_midi.py``):

- repeats ``|: :| ::`` and endings ``|1 :|2 [1 [2 [1,3`` are played out as abc2midi 4.x plays
  them (its repairs of a missing ``|:`` in store.c, then its walk in genmidi.c; see
  :func:`_expand`): a ``:|`` with no ``|:`` before it goes back to the start of the tune, or to
  the last ``||`` or ``:|`` before it when no ending came before; a ``:|`` after a played second
  ending sends the player back a third time (every ending skipped on that pass); a skipped
  ending runs to the next ``:|``, ``|:``, ``||``/``|]`` or ending (not to a plain ``|``);
- ties ``-`` join notes of one pitch into one sound;
- grace notes ``{...}`` take a quarter of the unit note length ``L:`` each, from the note
  they lead into; ``~`` (roll) on a note of three units plays note, upper, note, lower, note,
  on any other note an upper grace note; ``T`` / ``!trill!`` alternates upper note and note in
  notes of 50-100 ms; ``H`` / ``!fermata!`` doubles a note; ``.`` / ``!staccato!`` sounds half
  the note (the time is kept);
- pitches, lengths, keys, meters, unit lengths, bar lines, endings and tuplets are the reader's
  (:func:`folkabc.abc.read_body`, the tokenizer's reader too): an accidental holds to the end of
  the bar for every octave of its letter (``%%propagate-accidentals``, default ``pitch``);
- broken rhythm ``>`` ``<`` (``>>``, ``>>>``) applies when both notes have the same length;
  chords ``[...]`` last as long as their first note; tuplets ``(p:q:r`` as in ABC 2.1;
- ``Z``/``X`` rest whole bars; only the first voice of a multi-voice tune is played.

This module reads no ABC itself: it plays the reader's typed events (:mod:`folkabc.abc.events`),
keeping only repeat expansion (``P:`` order, repeats, endings), ties, ornament and grace-note timing,
broken rhythm and tempo. What the reader cannot read raises its located
:class:`~folkabc.errors.AbcSyntaxError`, or with ``lenient=True`` is skipped and listed in
:attr:`Performance.warnings`.

Tempo comes from ``Q:`` or, without one, from the tune type ``R:`` (see :data:`TEMPO_BY_TYPE`),
then from the meter (:data:`TEMPO_BY_METER`), else :data:`DEFAULT_QPM`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..abc.events import (Annotation, Bar, Broken, ChordEnd, ChordStart, Decoration, Ending, FieldChange, Grace, Rest,
                          Slur, Tie, Tuplet)
from ..abc.events import Note as _Written
from ..abc.keys import NATURAL
from ..abc.reader import RawTune, Reading, read_body, split_tunes
from ..errors import RenderError

__all__ = ["Note", "Performance", "perform", "measure_endings", "TEMPO_BY_TYPE", "TEMPO_BY_METER", "DEFAULT_QPM"]

#: Default tempo, in quarter notes per minute, by tune type (``R:``, lower case, first word).
TEMPO_BY_TYPE: dict[str, float] = {
    "reel": 180.0,
    "hornpipe": 140.0,
    "jig": 165.0,  # dotted quarter = 110
    "double jig": 165.0,
    "single jig": 165.0,
    "slip jig": 165.0,
    "slide": 195.0,
    "polka": 140.0,
    "barndance": 160.0,
    "strathspey": 120.0,
    "march": 110.0,
    "waltz": 150.0,
    "mazurka": 140.0,
    "air": 80.0,
    "song": 90.0,
}
#: Tempo without ``Q:`` nor a known ``R:``, by meter (jig, slip jig and slide time).
TEMPO_BY_METER: dict[str, float] = {"6/8": 165.0, "9/8": 165.0, "12/8": 195.0}
#: Tempo without ``Q:``, a known ``R:`` or a meter above (abc2midi's default).
DEFAULT_QPM = 120.0
#: The slowest and fastest tempo a performance takes (a ``Q:`` outside them is clamped; a MIDI
#: tempo holds at most 0xFFFFFF microseconds per quarter, i.e. about 3.6 qpm).
MIN_QPM, MAX_QPM = 4.0, 1000.0



@dataclass(frozen=True)
class Note:
    """One sounded note: onset and duration in quarter notes, MIDI pitch (60 = middle C).

    Examples
    --------
    >>> Note(Fraction(1, 2), 69, Fraction(1, 2)).end
    Fraction(1, 1)
    """

    onset: Fraction
    pitch: int
    duration: Fraction

    @property
    def end(self) -> Fraction:
        """Onset plus duration, in quarter notes."""
        return self.onset + self.duration


@dataclass
class Performance:
    """A tune as played: its notes in time order and its tempo.

    Attributes
    ----------
    notes : list of Note
        Sorted by onset then pitch; times in quarter notes.
    qpm : float
        Quarter notes per minute.
    title : str or None
    index : int
        The tune's ``X:`` number.
    meter : str
        The first ``M:`` value.
    warnings : list of str
        What was skipped (other voices, unknown symbols).

    Examples
    --------
    >>> p = perform("X:1\\nT:Scale\\nM:4/4\\nL:1/4\\nQ:1/4=60\\nK:C\\nCDEF|\\n")
    >>> p.to_seconds()[:2]
    [(0.0, 60, 1.0), (1.0, 62, 1.0)]
    """

    notes: list[Note]
    qpm: float
    title: str | None = None
    index: int = 1
    meter: str = "4/4"
    warnings: list[str] = field(default_factory=list)

    @property
    def length(self) -> Fraction:
        """End of the last note, in quarter notes (0 for no notes).

        Examples
        --------
        >>> perform("X:1\\nT:t\\nL:1/4\\nK:C\\nC D2|\\n").length
        Fraction(3, 1)
        """
        return max((n.end for n in self.notes), default=Fraction(0))

    def to_seconds(self) -> list[tuple[float, int, float]]:
        """The notes as ``(onset_s, pitch, duration_s)`` at the tune's tempo.

        Examples
        --------
        >>> perform("X:1\\nT:t\\nL:1/4\\nQ:1/4=120\\nK:C\\nC D2|\\n").to_seconds()
        [(0.0, 60, 0.5), (0.5, 62, 1.0)]
        """
        k = 60.0 / self.qpm
        return [(float(n.onset) * k, n.pitch, float(n.duration) * k) for n in self.notes]


# ---------------------------------------------------------------------------- header fields


def _parse_fraction(text: str) -> Fraction | None:
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if m and int(m.group(2)):
        return Fraction(int(m.group(1)), int(m.group(2)))
    return None


def _written_qpm(q: str, unit: Fraction) -> float | None:
    """The tempo a ``Q:`` value writes, in quarter notes per minute (None when it gives none)."""
    text = re.sub(r'"[^"]*"', " ", q)
    m = re.search(r"((?:\d+/\d+\s*)+)=\s*(\d+(?:\.\d+)?)", text)
    if m:
        beat = sum((_parse_fraction(f) or Fraction(0) for f in m.group(1).split()), Fraction(0))
        if beat:
            return float(m.group(2)) * float(beat) * 4
    m = re.search(r"C(\d*)\s*=\s*(\d+)", text)
    if m:
        return float(m.group(2)) * float(unit) * 4 * (int(m.group(1)) if m.group(1) else 1)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", text)
    if m:
        return float(m.group(1)) * float(unit) * 4
    return None


def _tempo_qpm(q: str | None, unit: Fraction, rhythm: str | None, meter: str | None = None) -> float:
    """The performance tempo: ``Q:`` (clamped to MIN_QPM..MAX_QPM; a zero tempo is ignored), else the
    tune type's or the meter's.

    Examples
    --------
    >>> _tempo_qpm("1/4=0", Fraction(1, 8), None), _tempo_qpm("1/4=1", Fraction(1, 8), None)
    (120.0, 4.0)
    """
    written = _written_qpm(q, unit) if q else None
    if written:
        return min(max(written, MIN_QPM), MAX_QPM)
    if rhythm:
        r = rhythm.strip().lower()
        for name in sorted(TEMPO_BY_TYPE, key=len, reverse=True):
            if r.startswith(name):
                return TEMPO_BY_TYPE[name]
    return TEMPO_BY_METER.get((meter or "").replace(" ", ""), DEFAULT_QPM)


# ---------------------------------------------------------------------------- body events


@dataclass
class _Event:
    pitches: list[int]  # empty for a rest
    dur: Fraction  # whole notes
    unit: Fraction  # L: in force
    sig: tuple[int, ...]  # key signature in force, per letter C..B
    steps: list[int] = field(default_factory=list)  # diatonic step of each pitch (C4 = 28)
    explicit: bool = False  # written with an accidental
    tie: bool = False
    graces: list[tuple[int, Fraction]] = field(default_factory=list)  # (pitch, length in whole notes)
    roll: bool = False
    trill: bool = False
    staccato: bool = False
    fermata: bool = False


_BAR, _START, _END, _ENDING, _PART = "bar", "start", "end", "ending", "part"


def _ending_numbers(text: str) -> set[int]:
    """``"1,3"`` → {1, 3}; ``"1-3"`` → {1, 2, 3}."""
    nums: set[int] = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            if a.isdigit() and b.isdigit():
                nums.update(range(int(a), int(b) + 1))
        elif part.isdigit():
            nums.add(int(part))
    return nums


class _Player:
    """Turns the reader's events into played events and bar markers (written order): the timing
    of tuplets and broken rhythm, ties, grace notes and ornaments. Pitches, lengths, keys, meters
    and bar lines come from :func:`folkabc.abc.read_body` only."""

    def __init__(self, reading: Reading, header: dict[str, str], *, as_written: bool = False) -> None:
        self.as_written = as_written
        meter = reading.meter
        self.meter = meter.value if meter is not None and meter.value else Fraction(1)
        self.unit = reading.unit
        self.sig = reading.key.signature
        self.items: list = []
        self.tuplet: list = []  # [ratio, remaining]
        self.broken: tuple[str, int] | None = None
        self.pending_graces: list[tuple[int, Fraction]] = []
        self.decos: set[str] = set()
        meter_text = (header.get("M", "") or "").replace(" ", "")
        self.hornpipe = not as_written and (header.get("R", "") or "").strip().lower().startswith("hornpipe")
        self.swing = self.hornpipe and meter_text in ("2/4", "4/4", "C")
        self.bar_pos = Fraction(0)

    def play(self, events: list) -> list:
        chord: list | None = None
        chord_tie = False
        for ev in events:
            kind = type(ev)
            if kind is _Written:
                if chord is not None:
                    chord.append(ev)
                else:
                    self.add_note([ev.midi], ev.length, [ev.step])
                    self.items[-1].explicit = ev.accidental is not None
            elif kind is Rest:
                self.add_note([], ev.length, [])
            elif kind is ChordStart:
                chord, chord_tie = [], False
            elif kind is ChordEnd:
                if chord:
                    self.add_note([n.midi for n in chord], ev.length, [n.step for n in chord])
                    self.items[-1].tie = chord_tie
                chord = None
            elif kind is Tie:
                if self.as_written:
                    continue
                if chord is not None:
                    chord_tie = True
                else:
                    last = self._last_event()
                    if last is not None:
                        last.tie = True
            elif kind is Bar:
                self.bar(ev.kind, ev.ending or "")
            elif kind is Ending:
                self.bar("", ev.numbers)
            elif kind is Tuplet:
                self.tuplet = [Fraction(ev.q, ev.p), ev.r]
            elif kind is Broken:
                self.broken = (ev.symbol[0], len(ev.symbol))
            elif kind is Grace:
                if self.as_written:
                    continue
                self.pending_graces.extend((n.midi, n.length / 4) for n in ev.notes)
            elif kind is Decoration:
                if self.as_written:
                    continue
                self.decos.add(ev.name)
                if ev.name == ".":
                    self.broken = None  # abc2midi drops a broken rhythm sign followed by a staccato dot
            elif kind is Annotation:
                self.decos = set()  # abc2midi drops decorations written before an annotation
            elif kind is Slur:
                if ev.symbol == "(":
                    self.decos = set()  # abc2midi drops a decoration written before a slur
            elif kind is FieldChange:
                if ev.letter == "K":
                    self.sig = ev.value.signature
                elif ev.letter == "M":
                    if ev.value.value:
                        self.meter = ev.value.value
                elif ev.letter == "L":
                    self.unit = ev.value
                elif ev.letter == "P" and not self.as_written:
                    self.items.append((_PART, str(ev.value).strip()[:1]))
        return self.items

    def add_note(self, pitches: list[int], dur: Fraction, steps: list[int]) -> None:
        if self.tuplet:
            dur = dur * self.tuplet[0]
            self.tuplet[1] -= 1
            if self.tuplet[1] <= 0:
                self.tuplet = []
        ev = _Event(pitches, dur, self.unit, self.sig, steps)
        ev.graces, self.pending_graces = self.pending_graces, []
        ev.roll = "~" in self.decos or "roll" in self.decos
        ev.trill = "T" in self.decos or "trill" in self.decos
        ev.staccato = "." in self.decos or "staccato" in self.decos
        ev.fermata = "H" in self.decos or "fermata" in self.decos
        self.decos = set()
        prev = self._last_event()
        if self.broken is not None:
            kind, n = self.broken
            if prev is not None and prev.dur == ev.dur:
                short = Fraction(1, 2**n)
                if self.hornpipe:  # abc2midi plays hornpipes with a 2:1 lilt
                    short = Fraction(2, 3) if n == 1 else short
                long_ = 2 - short
                if kind == ">":
                    prev.dur, ev.dur = prev.dur * long_, ev.dur * short
                else:
                    prev.dur, ev.dur = prev.dur * short, ev.dur * long_
            self.broken = None
        elif (self.swing and prev is not None and ev.dur == prev.dur == self.unit and ev.pitches
              and len(prev.pitches) == len(ev.pitches) == 1 and not prev.staccato
              and self.bar_pos % (2 * self.unit) == self.unit):
            prev.dur, ev.dur = prev.dur * Fraction(4, 3), ev.dur * Fraction(2, 3)
        self.bar_pos += dur
        self.items.append(ev)

    def _last_event(self) -> _Event | None:
        for it in reversed(self.items):
            if isinstance(it, _Event):
                return it
            if it[0] != _BAR:
                return None
        return None

    def bar(self, kind: str, ending: str) -> None:
        self.decos = set()  # a decoration before a bar line decorates nothing
        self.bar_pos = Fraction(0)
        left, right = kind.startswith(":"), len(kind) > 1 and kind.endswith(":")
        self.items.append((_END,) if left else (_BAR, kind))
        if right:
            self.items.append((_START,))
        if ending:
            self.items.append((_ENDING, _ending_numbers(ending)))


def _header(raw: RawTune) -> dict[str, str]:
    """The first value of each header field, comments cut (the file header's ``M:`` ``L:`` too)."""
    out = {letter: value for letter, (value, _, _) in raw.defaults.items()}
    for letter, values in raw.header.items():
        out[letter] = re.sub(r"(?<!\\)%.*", "", values[0]).strip()
    return out


#: The most parts a header ``P:`` may play (``P:((AB)99)99`` would otherwise fill the memory).
MAX_PARTS = 1000


def _repeat(m: re.Match) -> str:
    letters, times = m.group(1), int(m.group(2) or 1)
    if len(letters) * times > MAX_PARTS:
        raise RenderError(f"the P: field plays more than {MAX_PARTS} parts")
    return letters * times


def _parts_order(text: str) -> list[str]:
    """``P:ABA``, ``P:A2B``, ``P:(AB)2C`` → the part letters in playing order.

    Examples
    --------
    >>> "".join(_parts_order("(AB)2C")), "".join(_parts_order("A2B"))
    ('ABABC', 'AAB')
    """
    text = re.sub(r"[^A-Za-z0-9()]", "", text)
    while True:
        new = re.sub(r"\(([A-Za-z]*)\)(\d*)", _repeat, text)
        if len(new) > MAX_PARTS:
            raise RenderError(f"the P: field plays more than {MAX_PARTS} parts")
        if new == text:
            break
        text = new
    return list(re.sub(r"([A-Za-z])(\d+)", _repeat, text).replace("(", "")
                .replace(")", "").translate(str.maketrans("", "", "0123456789")))


def _order_parts(items: list, header_parts: str) -> list[list]:
    """The body's ``P:`` parts in the order the header's ``P:`` gives (abc2midi plays them so):
    the item lists to play one after the other, the whole body (its ``P:`` marks dropped) when
    the header gives no order."""
    order = _parts_order(header_parts)
    if not order:
        return [[it for it in items if not (isinstance(it, tuple) and it[0] == _PART)]]
    parts: dict[str, list] = {}
    prelude: list = []
    current = prelude
    for it in items:
        if isinstance(it, tuple) and it[0] == _PART:
            current = parts.setdefault(it[1], [])
        else:
            current.append(it)
    if not parts:
        return [prelude]
    return [prelude] + [parts[letter] for letter in order if letter in parts]


# abc2midi's view of the bar lines (store.c / genmidi.c feature kinds)
_SINGLE_BAR, _DOUBLE_BAR, _BAR_REP, _REP_BAR, _DOUBLE_REP, _PLAY_ON_REP = range(6)
#: Where a skipped ending stops (genmidi.c): the feature it stops at is passed over, not played.
_ENDING_STOPS = frozenset({_REP_BAR, _BAR_REP, _DOUBLE_BAR, _PLAY_ON_REP})
#: How many passes over the written items a performance may take at most (bounded time and memory).
MAX_PASSES = 16


def _features(items: list, *, fix: bool) -> list:
    """The played events and bar lines as abc2midi stores them: a ``||`` before the music,
    ``|:`` → BAR_REP, ``:|`` → REP_BAR, ``::`` → DOUBLE_REP, an ending → PLAY_ON_REP (its
    numbers), ``|`` → SINGLE_BAR and every other bar line (``||``, ``|]``, ``[|``) → DOUBLE_BAR;
    then abc2midi's two repairs of missing ``|:`` (store.c): a ``|:`` after that first ``||``
    when a ``:|`` or ``::`` comes before any ``|:`` (``scan_for_missing_repeats``), and, for a
    tune without a header ``P:`` (``fix``), ``fixreps``."""
    feats: list = [(_DOUBLE_BAR,)]
    n, k = len(items), 0
    while k < n:
        it = items[k]
        nxt = items[k + 1] if k + 1 < n else None
        if isinstance(it, _Event):
            feats.append(it)
        elif it[0] == _BAR:
            if nxt == (_START,):
                feats.append((_BAR_REP,))
                k += 1
            elif it[1]:  # (an ending written apart from a bar line has none)
                feats.append((_SINGLE_BAR,) if it[1] == "|" else (_DOUBLE_BAR,))
        elif it[0] == _END:
            if nxt == (_START,):
                feats.append((_DOUBLE_REP,))
                k += 1
            else:
                feats.append((_REP_BAR,))
        elif it[0] == _START:
            feats.append((_BAR_REP,))
        elif it[0] == _ENDING and it[1]:
            feats.append((_PLAY_ON_REP, it[1]))
        k += 1
    for f in feats:  # scan_for_missing_repeats
        if isinstance(f, tuple) and f[0] in (_BAR_REP, _REP_BAR, _DOUBLE_REP):
            if f[0] != _BAR_REP:
                feats.insert(1, (_BAR_REP,))
            break
    if fix:
        _fixreps(feats)
    return feats


def _place_start(feats: list, j: int) -> None:
    """store.c ``placestartrep``: the bar line a missing ``|:`` goes on becomes one."""
    kind = feats[j][0]
    if kind in (_SINGLE_BAR, _DOUBLE_BAR):
        feats[j] = (_BAR_REP,)
    elif kind == _REP_BAR:
        feats[j] = (_DOUBLE_REP,)


def _fixreps(feats: list) -> None:
    """store.c ``fixreps``: a ``:|``, ``::`` or the tune's first ending with no ``|:`` before it
    puts one on the last ``||`` or ``:|`` passed (the ``||`` before the music at first); a
    ``|:`` while another is open becomes ``::``."""
    rep_point, expect, plays = 0, False, 0
    for j, f in enumerate(feats):
        if not isinstance(f, tuple):
            continue
        kind = f[0]
        if kind == _DOUBLE_BAR:
            rep_point = j
        elif kind == _BAR_REP:
            if expect:
                feats[j] = (_DOUBLE_REP,)
            expect = True
        elif kind == _REP_BAR:
            if not expect and plays < 1:
                _place_start(feats, rep_point)
            expect, rep_point = False, j
        elif kind == _PLAY_ON_REP:
            if plays == 0 and not expect:
                _place_start(feats, rep_point)
            plays += 1
        elif kind == _DOUBLE_REP:
            if not expect:
                _place_start(feats, rep_point)
            expect = True


def _walk(feats: list) -> list[_Event]:
    """genmidi.c ``writetrack``'s walk over the bar lines: a pass count, the pass count a ``:|``
    may still return on (two after ``|:``, one more than the pass that played an ending), and
    the place the player returns to."""
    out: list[_Event] = []
    n = len(feats)
    j, passno, maxpass, back, expect = 0, 1, 2, 0, False
    budget = MAX_PASSES * n
    while j < n and budget:
        budget -= 1
        f = feats[j]
        if not isinstance(f, tuple):
            out.append(f)
        elif f[0] == _BAR_REP:
            back, expect, passno, maxpass = j, True, 1, 2
        elif f[0] == _REP_BAR:
            if passno == 1 and expect or passno > 1 and passno < maxpass:
                passno, j, expect = passno + 1, back, False
        elif f[0] == _DOUBLE_REP:
            if passno > 1 or not expect:
                back, expect, passno, maxpass = j, True, 1, (2 if passno > 1 else maxpass)
            else:
                passno, j = passno + 1, back
        elif f[0] == _PLAY_ON_REP:
            if (passno if expect or passno > 1 else 1) in f[1]:
                if maxpass < 4:
                    maxpass = passno + 1
            else:  # skipped up to the next :| |: || or ending, which is passed over too
                j += 1
                while j < n and not (isinstance(feats[j], tuple) and feats[j][0] in _ENDING_STOPS):
                    j += 1
        j += 1
    return out


def _expand(items: list, *, fix: bool = True) -> list[_Event]:
    """Play out repeats and endings as abc2midi 4.x does (store.c's repairs of missing ``|:``,
    then genmidi.c's walk; see :func:`_features`, :func:`_fixreps`, :func:`_walk`).

    ``fix`` applies store.c's ``fixreps`` (abc2midi does for a tune without a header ``P:``).

    Examples
    --------
    The Scholar's pattern (O'Neill's no. 1640): the second ending's ``:|`` sends the player back
    a third time, every ending skipped, and the next part's endings are skipped too (pass 3):

    >>> abc = "X:1\\nT:t\\nL:1/4\\nK:C\\nC D|1 E F:|2 G A:|B c|1 d e:|2 f g:|\\n"
    >>> [n.pitch for n in perform(abc).notes]
    [60, 62, 64, 65, 60, 62, 67, 69, 60, 62, 71, 72]
    """
    return _walk(_features(items, fix=fix))


def _neighbour(ev: _Event, step: int, up: int) -> int:
    """The diatonic neighbour (key signature in force) of the note on ``step``, a step up (+1) or down (-1)."""
    octv, li = divmod(step + up, 7)
    return 12 * (octv + 1) + NATURAL[li] + ev.sig[li]


def _play(events: list[_Event], trill_qpm: float) -> list[Note]:
    # abc2midi's trill notes: the power-of-two part of a quarter note lasting more than 50 ms
    # and at most 100 ms at the tune's tempo (1/32 of a whole note at 120 qpm)
    trill_note = Fraction(1, 4)  # whole notes
    quarter_ms = 60000.0 / trill_qpm
    while float(trill_note) * 4 * quarter_ms > 100:
        trill_note /= 2
    while float(trill_note) * 4 * quarter_ms <= 50:
        trill_note *= 2
    notes: list[list] = []  # [onset, pitch, dur] in whole notes
    ties: dict[int, int] = {}
    t = Fraction(0)
    for ev in events:
        d = ev.dur * (2 if ev.fermata else 1)
        if not ev.pitches:
            t += d
            ties = {}
            continue
        g = ev.unit / 4
        sub: list[tuple[Fraction, int, Fraction]] = []  # ornament notes before/around the main one
        main_start = t
        grace_total = sum((gl for _, gl in ev.graces), Fraction(0))
        if ev.graces and grace_total < d:
            for gp, gl in ev.graces:
                sub.append((main_start, gp, gl))
                main_start += gl
        p0 = ev.pitches[0]
        main_len = t + d - main_start
        new_ties: dict[int, int] = {}
        if ev.roll and main_len > g:
            up, down = _neighbour(ev, ev.steps[0], 1), _neighbour(ev, ev.steps[0], -1)
            if d == 3 * ev.unit and not ev.graces:
                u = ev.unit
                parts = [(p0, u), (up, g), (p0, u - g), (down, g), (p0, u - g)]
                s = t
                for pp, ln in parts:
                    sub.append((s, pp, ln))
                    s += ln
                main_start, main_len = None, None
            else:
                sub.append((main_start, up, g))
                main_start, main_len = main_start + g, main_len - g
        elif ev.trill and main_len > g:
            up = _neighbour(ev, ev.steps[0], 1)
            g = trill_note
            s, k = main_start, 0
            while s + g < t + d:
                sub.append((s, up if k % 2 == 0 else p0, g))
                s, k = s + g, k + 1
            sub.append((s, up if k % 2 == 0 else p0, t + d - s))
            main_start, main_len = None, None
        for on, pp, ln in sub:
            notes.append([on, pp, ln])
        if main_start is not None:
            sounding = main_len
            if ev.staccato:  # abc2midi halves the written note, then grace notes take their share
                sounding = main_len - d / 2 if main_len > d / 2 else main_len / 2
            for p, key in zip(ev.pitches, ev.steps):  # a tie holds the note across an accidental change
                prev = ties.get(key)
                if prev is not None and notes[prev][1] != p and ev.explicit:
                    prev = None  # abc2midi: "could not find note to be tied"
                if prev is not None and notes[prev][0] + notes[prev][2] == main_start and not sub:
                    notes[prev][2] += sounding
                    idx = prev
                else:
                    notes.append([main_start, p, sounding])
                    idx = len(notes) - 1
                if ev.tie:
                    new_ties[key] = idx
        ties = new_ties
        t += d
    return [Note(on * 4, p, ln * 4) for on, p, ln in sorted(notes)]


def _read(abc: str, *, lenient: bool = False, as_written: bool = False
          ) -> tuple[dict[str, str], list, Reading, RawTune]:
    """The first tune of ``abc`` read (:func:`folkabc.abc.read_body`) and turned into bar markers
    and played events (written order)."""
    tunes = split_tunes(abc)
    raw = tunes[0] if tunes else RawTune(index=1, line=1)
    if "K" not in raw.header:
        raise RenderError("not an ABC tune: no K: field", tune=raw.index, title=raw.title)
    header = _header(raw)
    reading = read_body(raw, lenient=lenient)
    return header, _Player(reading, header, as_written=as_written).play(reading.events), reading, raw


def measure_endings(abc: str) -> list[str | None]:
    """The ending each written bar belongs to (``"1"``, ``"2"``, ``"1,3"``) or None.

    Bars are counted as written (a bar holds at least one note or rest); an ending runs
    from its ``[n``/``|n`` to the next ``:|``, ``||``, ``|]``, ``|:`` or ending.

    Examples
    --------
    >>> measure_endings("X:1\\nT:t\\nK:G\\nD|:GABc|1 d4:|2 g4|]\\n")
    [None, None, '1', '2']
    """
    _, items, _, _ = _read(abc, lenient=True)
    labels: list[str | None] = []
    current: str | None = None
    filled = False
    for it in items:
        if isinstance(it, _Event):
            filled = True
            continue
        kind = it[0]
        if kind in (_BAR, _END):
            if filled:
                labels.append(current)
                filled = False
            if kind == _END or it[1] in ("||", "|]"):
                current = None
        elif kind == _START:
            current = None
        elif kind == _ENDING:
            if filled:  # an ending written inside a bar starts the next bar
                labels.append(current)
                filled = False
            current = ",".join(str(n) for n in sorted(it[1])) or None
    if filled:
        labels.append(current)
    return labels


def perform(abc: str, *, lenient: bool = False, as_written: bool = False) -> Performance:
    """Play one ABC tune: its notes with repeats, endings and ornaments expanded.

    Parameters
    ----------
    abc : str
        The text of one tune (``X:`` ... ``K:`` header and body). Only the first tune
        is read when there are several.
    lenient : bool
        Play what can be read, and list what cannot in :attr:`Performance.warnings` (with
        line and column), instead of raising :class:`~folkabc.errors.AbcSyntaxError`.
    as_written : bool
        Play only what folk-rnn tokens keep: no ties, grace notes or decorations (rolls, trills,
        fermatas, staccato), no hornpipe lilt, and parts in written order (the header ``P:`` not
        applied). Tokens and their source then play the same notes (``tests/test_render_midi.py``).

    Returns
    -------
    Performance
        Notes in quarter-note time and the tempo (``Q:`` or the default for ``R:``).

    Raises
    ------
    AbcSyntaxError
        For ABC that the reader cannot read (``K:Q#``, ``L:1/0``), as :func:`folkabc.tokenize` does
        (unless ``lenient``).
    RenderError
        When the text has no ``K:`` field (not an ABC tune) or no notes.

    See Also
    --------
    folkabc.render.midi.performance_to_midi : write the performance as a MIDI file.

    Examples
    --------
    >>> p = perform("X:1\\nT:Rep\\nM:2/4\\nL:1/8\\nK:G\\n|:GABc|1 d4:|2 g4|]\\n")
    >>> [n.pitch for n in p.notes]
    [67, 69, 71, 72, 74, 67, 69, 71, 72, 79]
    >>> p.qpm
    120.0
    >>> perform("X:1\\nK:Q#\\nCDE|\\n", lenient=True).warnings[0]
    "line 2, column 3: unreadable key 'Q#'; skipped"
    """
    header, items, reading, raw = _read(abc, lenient=lenient, as_written=as_written)
    unit = reading.unit
    segments = _order_parts(items, "" if as_written else header.get("P", ""))
    # abc2midi repairs missing `|:` across the tune (fixreps) only when the header gives no part order
    played = [ev for seg in segments for ev in _expand(seg, fix=len(segments) == 1)]
    notes = _play(played, _tempo_qpm(header.get("Q"), unit, None))
    if not notes:
        raise RenderError("the tune has no notes to play", tune=raw.index, title=raw.title)
    qpm = _tempo_qpm(header.get("Q"), unit, header.get("R"), header.get("M"))
    return Performance(notes, qpm, raw.title, raw.index, header.get("M", "4/4") or "4/4",
                       list(raw.warnings) + reading.warnings)
