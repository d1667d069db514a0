"""ABC ↔ folk-rnn v2 tokens: :func:`tokenize` and its inverse :func:`detokenize`.

:func:`tokenize` reads every tune of an ABC text (with :mod:`folkabc.abc`) and
turns it into folk-rnn v2 tokens: ``[meter, mode, *body]``, e.g.
``["M:4/4", "K:Cmaj", "|:", "G,", "C", "C", "2", ...]``. The rules (documented in
``docs/tokens.md``):

- transposed to root C, by letter steps, keeping each sounding interval; of the
  octave choices, the one keeping the most notes inside the vocabulary range
  ``C,`` … ``b'`` wins, then the one whose notes written with an accidental have
  more of their tokens in the vocabulary, then the smallest shift;
- the key reduced to ``K:Cmaj K:Cmin K:Cdor K:Cmix``; pitches written against
  that C-mode signature, with ``^ _ =`` wherever a note differs from the
  signature or from an earlier accidental in the bar (on the same letter in any
  octave, so every ABC reader agrees); double accidentals respelled;
- durations in eighths (``L:1/8``); ``M:C``, ``M:C|`` and ``M:2/2`` → ``M:4/4``;
- no empty bars: a plain ``|`` next to another bar token merges into it (``| |1`` → ``|1``);
- dropped: titles, chord symbols, decorations, grace notes, slurs, ties, line
  breaks, comments; kept: bars, repeats, endings, tuplets, broken rhythm, chords.

:func:`detokenize` writes a token sequence back as a complete ABC tune that
abc2midi reads, with the notes of each beat beamed together, and that
:func:`tokenize` reads back to the same tokens. :func:`read_folkrnn` and
:func:`write_folkrnn` read and write the folk-rnn token file format.

Examples
--------
>>> t = tokenize("X:1\\nT:Kesh\\nM:6/8\\nK:G\\n|:GAG GAB|ABA ABd|gfg age:|\\n")[0]
>>> " ".join(t.tokens)
"M:6/8 K:Cmaj |: c d c c d e | d e d d e g | c' b c' d' c' a :|"
>>> t.transpose, t.in_vocab
(5, True)
>>> tokenize(detokenize(t.tokens))[0].tokens == t.tokens
True
"""

from __future__ import annotations

import gc
from collections import Counter
from fractions import Fraction

from .abc.keys import FOLK_SIGNATURES, LETTERS, NATURAL, WrittenKey, parse_key, written_key
from .abc.events import (Annotation, Bar, Broken, ChordEnd, ChordStart, Decoration, Ending, FieldChange, Grace, Note, Rest,
                          Slur, Tie, Tuplet, closes_part)
from .abc.reader import RawTune, length_text, read_body, split_tunes, tune_limits
from ._record import Record
from .errors import AbcSyntaxError, FolkabcError, TokenSequenceError, UnknownTokenError
from .limits import check_limit
from .normalize import (explicit_broken, explicit_repeats, may_have_repeats, nested_tuplet,
                        nested_tuplet_message)
from .grammar import BROKEN, meter_of, token_info, token_kind, tuplet_ratio
from .tokenfile import is_token_file, read_token_file

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:  # numpy loads on first use of .ids (through VOCAB.encode), not on tokenize
    from typing import Callable, Iterable, Sequence

    import numpy as np

__all__ = [
    "TokenizedTune",
    "tokenize",
    "tokenize_tune",
    "detokenize",
    "key_of",
    "original_key",
    "abc_in_key",
    "read_tokenize_json",
    "read_folkrnn",
    "write_folkrnn",
    "pitch_token",
    "PITCH_RANGE",
    "COUNT_PITCH",
]

#: MIDI range of the vocabulary's plain pitches (``C,`` = 48 … ``b'`` = 95).
PITCH_RANGE = (48, 95)

_ACC_TEXT = {1: "^", -1: "_", 0: "=", 2: "^^", -2: "__"}


class TokenizedTune(Record):
    """One tune of an ABC text as folk-rnn tokens (see ``docs/design.md``).

    A record (:class:`folkabc._record.Record`): the fields below, keyword or positional, ``repr``
    and ``==`` field by field, ``_replace(**changes)`` for a copy with changes.

    Examples
    --------
    >>> t = tokenize("X:7\\nT:Reel\\nM:C|\\nK:Ddor\\nDEFG ABcd|\\n")[0]
    >>> t.index, t.title, t.meter, t.mode, t.body[:3]
    (7, 'Reel', 'M:4/4', 'K:Cdor', ['C', 'D', 'E'])
    """

    __slots__ = ("index", "title", "titles", "tokens", "positions", "header", "key", "meter_text", "transpose",
                 "warnings", "error", "abc", "line", "part_ends", "unit")

    index: int
    title: str | None
    titles: list[str]
    tokens: list[str]
    positions: list[tuple[int, int]]
    header: dict[str, list[str]]
    key: str
    meter_text: str
    transpose: int
    warnings: list[str]
    error: FolkabcError | None
    abc: str
    line: int
    #: Indices (into ``tokens``) of the bar tokens that close a part in the source: bar lines written
    #: ``||``, ``|]`` or ``[|``, which tokens write as ``|``. Later stages ask this, never the source text.
    part_ends: frozenset[int]
    #: The tune's unit note length (its first ``L:``, else the default from ``M:``).
    unit: Fraction

    def __init__(self, index: int, title: str | None, titles: list[str], tokens: list[str],
                 positions: list[tuple[int, int]], header: dict[str, list[str]], key: str, meter_text: str,
                 transpose: int, warnings: list[str] | None = None, error: FolkabcError | None = None,
                 abc: str = "", line: int = 1, part_ends: frozenset[int] = frozenset(),
                 unit: Fraction = Fraction(1, 8)) -> None:
        self.index, self.title, self.titles, self.tokens, self.positions = index, title, titles, tokens, positions
        self.header, self.key, self.meter_text, self.transpose = header, key, meter_text, transpose
        self.warnings = [] if warnings is None else warnings  # a new list per tune
        self.error, self.abc, self.line, self.part_ends, self.unit = error, abc, line, part_ends, unit

    @property
    def meter(self) -> str:
        """The meter token (``M:4/4``), or ``""`` when the tune failed."""
        return self.tokens[0] if self.tokens else ""

    @property
    def mode(self) -> str:
        """The mode token (``K:Cmaj``), or ``""`` when the tune failed."""
        return self.tokens[1] if len(self.tokens) > 1 else ""

    @property
    def body(self) -> list[str]:
        """The tokens after meter and mode."""
        return self.tokens[2:]

    @property
    def oov(self) -> list[tuple[int, str]]:
        """``(position, token)`` of every token outside the 137-token vocabulary.

        Examples
        --------
        >>> tokenize("X:1\\nM:3/8\\nK:C\\nCDE|\\n")[0].oov
        [(0, 'M:3/8')]
        """
        from .vocab import VOCAB  # here: reading and checking never load the vocabulary

        index = VOCAB.index
        return [(i, t) for i, t in enumerate(self.tokens) if t not in index]

    @property
    def in_vocab(self) -> bool:
        """True when the tune converted and every token is in the vocabulary."""
        if self.error is not None or not self.tokens:
            return False
        from .vocab import VOCAB

        index = VOCAB.index
        return all(t in index for t in self.tokens)

    @property
    def ids(self) -> np.ndarray:
        """Token ids (``uint8``, ``[shape=(len(tokens),)]``).

        Raises
        ------
        UnknownTokenError
            Naming the tune, the token and its position.

        Examples
        --------
        >>> tokenize("X:1\\nM:2/4\\nK:C\\nCD|\\n")[0].ids.dtype
        dtype('uint8')
        """
        from .vocab import VOCAB

        try:
            return VOCAB.encode(self.tokens)
        except UnknownTokenError as exc:
            raise UnknownTokenError(exc.token, tune=self.index, title=self.title,
                                    position=exc.position) from None

    def to_dict(self) -> dict:
        """The JSON form: index, title, tokens (space-joined), error (str or None), …

        Examples
        --------
        >>> tokenize("X:2\\nT:A\\nM:2/4\\nL:1/8\\nK:C\\nCD|\\n")[0].to_dict()["tokens"]
        'M:2/4 K:Cmaj C D |'
        """
        return {
            "index": self.index,
            "title": self.title,
            "titles": list(self.titles),
            "tokens": " ".join(self.tokens),
            "error": None if self.error is None else str(self.error),
            "warnings": list(self.warnings),
            "in_vocab": self.in_vocab,
            "oov": [t for _, t in self.oov],
            "key": self.key,
            "meter_text": self.meter_text,
            "transpose": self.transpose,
            "part_ends": sorted(self.part_ends),
            "line": self.line,
        }


def pitch_token(step: int, alter: int | None) -> str:
    """The token of diatonic ``step`` (C4 = 28, ABC ``C``) with accidental ``alter``.

    ``alter`` is ``None`` for no accidental, else -1, 0, 1 (``_ = ^``).

    Examples
    --------
    >>> pitch_token(28, None), pitch_token(21 + 4, -1), pitch_token(36, 1), pitch_token(42, None)
    ('C', '_G,', '^d', "c'")
    """
    octv, li = divmod(step, 7)
    letter = LETTERS[li]
    if octv >= 5:
        text = letter.lower() + "'" * (octv - 5)
    else:
        text = letter + "," * (4 - octv)
    return text if alter is None else _ACC_TEXT[alter] + text


_VOCAB_INDEX: list = []


def _vocab_index() -> dict[str, int]:
    """The vocabulary's token → id, loaded on first use (checking spells no pitch: it never loads it)."""
    if not _VOCAB_INDEX:
        from .vocab import VOCAB

        _VOCAB_INDEX.append(VOCAB.index)
    return _VOCAB_INDEX[0]


def _choose_shift(distinct: set[tuple[int, int]], counted: Callable[[], Counter], steps: int, semis: int,
                  mode: str) -> tuple[int, int]:
    """(letter steps, semitones) of the transposition to C; see the module docstring.

    Of the shifts ``semis + 12k`` (k = -3..3), the one with the most notes inside
    :data:`PITCH_RANGE` wins; then the one with the most notes written with an accidental
    whose token is in the vocabulary; then the one nearest zero. ``distinct`` are the tune's notes
    ``(step, midi)``; ``counted()`` counts them (a tune has few distinct notes: how often each comes
    is asked only when it counts).
    """
    lo, hi = PITCH_RANGE
    ks = (-3, -2, -1, 0, 1, 2, 3)
    if distinct:  # the shifts that keep every note in range keep the most (any other loses one)
        midis = [m for _, m in distinct]
        up, down = lo - min(midis), hi - max(midis)  # the shifts s with up <= s <= down keep them all
        whole = [k for k in ks if up <= semis + 12 * k <= down]
    else:  # rests only: every shift keeps every note
        whole = list(ks)
    sig = FOLK_SIGNATURES[mode]
    marked = []  # notes written with ^ _ = whatever the octave (the alteration differs from sig), moved
    for d, m in distinct:
        octv, li = divmod(d + steps, 7)
        if m + semis - 12 * (octv + 1) - NATURAL[li] != sig[li]:
            marked.append((d + steps, m + semis, (d, m)))
    if whole:  # only they compete: then by the notes with an accidental whose token is in the vocabulary
        if len(whole) > 1 and marked:
            index = _vocab_index()
            kept = [frozenset(p for d, m, p in marked if _spelled(d + 7 * k, m + 12 * k)[4] in index)
                    for k in whole]
            if any(x != kept[0] for x in kept):  # they differ: count the notes
                counts = counted()
                k = min(zip(whole, kept), key=lambda kk: (-sum(counts[p] for p in kk[1]), abs(semis + 12 * kk[0]),
                                                          kk[0]))[0]
                return steps + 7 * k, semis + 12 * k
        k = min(whole, key=lambda k: abs(semis + 12 * k))  # the nearest to zero (the first, lower, of two)
        return steps + 7 * k, semis + 12 * k
    from bisect import bisect_left, bisect_right

    index = _vocab_index()
    counts = counted()
    by_midi = Counter()
    for (_, m), c in counts.items():
        by_midi[m] += c
    midis = sorted(by_midi)
    below = [0]  # below[i]: how many notes are lower than midis[i]
    for m in midis:
        below.append(below[-1] + by_midi[m])
    best = None
    for k in ks:
        s = semis + 12 * k
        n = below[bisect_right(midis, hi - s)] - below[bisect_left(midis, lo - s)]
        nm = sum(counts[p] for d, m, p in marked if _spelled(d + 7 * k, m + 12 * k)[4] in index)
        cand = (-n, -nm, abs(s), s, steps + 7 * k)
        if best is None or cand < best:
            best = cand
    return best[4], best[3]


_SPELLED: dict[tuple[int, int], tuple[int, int, int, str, str]] = {}
_SPELLED_MAX = 32768


def _spelled(d: int, m: int) -> tuple[int, int, int, str, str]:
    """:func:`_spelling` of (d, m), cached (bounded: :data:`_SPELLED_MAX`)."""
    key = (d, m)
    info = _SPELLED.get(key)
    if info is None:
        info = _spelling(d, m)
        if len(_SPELLED) < _SPELLED_MAX:
            _SPELLED[key] = info
    return info


def _spelling(d: int, m: int) -> tuple[int, int, int, str, str]:
    """Spell MIDI ``m`` on diatonic step ``d``: (step, letter index, alteration, plain token,
    token with its accidental); a double accidental moves to the nearest letter."""
    octv, li = divmod(d, 7)
    a = m - 12 * (octv + 1) - NATURAL[li]
    if a > 1 or a < -1:
        d = min((d - 2, d - 1, d + 1, d + 2),
                key=lambda dd: abs(m - 12 * (dd // 7 + 1) - NATURAL[dd % 7]))
        octv, li = divmod(d, 7)
        a = m - 12 * (octv + 1) - NATURAL[li]
    return d, li, a, pitch_token(d, None), pitch_token(d, a)


# a written bar line (``|``), or one with its ending (``(":|", "2")``) → :func:`_bar_tokens` (a bar line's
# text alone for most: a string's hash is kept, a tuple's is computed at each lookup)
_BAR_CACHE: dict[str | tuple[str, str], tuple[tuple[str, ...], bool]] = {}
#: Reader events that tokens do not carry.
_NOT_TOKENS = frozenset({Tie, Grace, Decoration, Slur, Annotation})


def _bar_tokens(kind: str, ending: str | None) -> tuple[tuple[str, ...], bool]:
    """The bar tokens of a written bar line (``::`` → ``:|``, ``|:``; ``:|2`` → ``:|``, ``|2``), and whether
    it closes a part (:func:`folkabc.abc.events.closes_part`), cached."""
    key = (kind, ending) if ending else kind
    got = _BAR_CACHE.get(key)
    if got is None:
        left, right = kind.startswith(":"), kind.endswith(":")
        toks = [":|", "|:"] if left and right else [":|"] if left else ["|:"] if right else ["|"]
        if ending:
            e = "|" + ending
            toks = toks[:-1] + [e] if toks[-1] == "|" else toks + [e]
        got = (tuple(toks), closes_part(kind))
        if len(_BAR_CACHE) < 1024:
            _BAR_CACHE[key] = got
    return got


#: The pitch token every note gets under ``tokenize(..., pitches=False)``.
COUNT_PITCH = "C"


def _spell(events: list, steps: int, semis: int, mode: str, tonic_pc: int,
           tokens: list[str], positions: list[tuple[int, int]], warnings: list[str],
           pitches: bool = True) -> tuple[set[tuple[int, int]], set[int]]:
    """Append the body tokens of ``events`` transposed by (steps, semis); return the positions of the
    bar lines that close a part (``||``, ``|]``, ``[|``), and the indices of the tokens that hold them
    (the bar tokens whose position is one of those: :func:`_part_ends` of the tokens).

    The events a token does not carry (ties, grace notes, decorations, slurs, annotations, ``P:``
    ``Q:`` ``L:`` changes) are passed over. With ``pitches`` False every note is written
    :data:`COUNT_PITCH` (no spelling); every other token is the same.
    """
    sig = FOLK_SIGNATURES[mode]
    bar_oct: dict[int, int] = {}
    bar_letter: dict[int, int] = {}
    cur_mode = mode
    cur_meter = tokens[0]
    last_kind = None
    in_chord = False
    part_ends: set[tuple[int, int]] = set()
    closing: set[int] = set()  # indices of the tokens written at those positions
    append = tokens.append
    pappend = positions.append
    _Bar = Bar
    bar_cache = _BAR_CACHE
    spelled: dict[tuple[int, int], tuple[int, int, int, str, str]] = {}  # (step, midi) as read → spelling
    for ev in events:
        kind = type(ev)
        if kind is tuple:  # a note: ((step, midi), duration text, (line, col)) (read_body's token_notes)
            pair, t, at = ev
            if not pitches:
                append(COUNT_PITCH)
            else:
                info = spelled.get(pair)
                if info is None:
                    key = (pair[0] + steps, pair[1] + semis)
                    info = _SPELLED.get(key)
                    if info is None:
                        info = _spelling(*key)
                        if len(_SPELLED) < _SPELLED_MAX:
                            _SPELLED[key] = info
                    spelled[pair] = info
                d, li, a, plain, marked = info
                s_li = sig[li]
                if a != s_li if not bar_oct else a != bar_oct.get(d, s_li) or a != bar_letter.get(li, s_li):
                    bar_oct[d] = a
                    bar_letter[li] = a
                    append(marked)
                else:
                    append(plain)
            pappend(at)
            if in_chord:
                last_kind = Note
                continue
            if t:
                append(t)
                pappend(at)
                last_kind = str
                continue
            last_kind = Note
            continue
        elif kind is _Bar:
            if bar_oct:  # (bar_letter is filled and cleared with it)
                bar_oct.clear()
                bar_letter.clear()
            got = bar_cache.get(ev[0]) if ev[1] is None else None  # (kind, ending)
            toks, closes = got or _bar_tokens(ev[0], ev[1])
            if closes:
                part_ends.add((ev.line, ev.col))
            if len(toks) == 1 and last_kind is not Bar:  # the common case: `|` after a note
                append(toks[0])
                pappend(ev[2:])  # (line, col)
                last_kind = Bar
                if closes:
                    closing.add(len(tokens) - 1)
                continue
            for tok in toks:
                if last_kind is Bar:  # no empty bars: `| |1` → `|1`, `|: |` → `|:`
                    if tok == "|":
                        continue
                    if tokens[-1] == "|":
                        tokens[-1] = tok
                        positions[-1] = (ev.line, ev.col)
                        if closes:
                            closing.add(len(tokens) - 1)
                        else:
                            closing.discard(len(tokens) - 1)
                        continue
                append(tok)
                pappend((ev.line, ev.col))
                last_kind = Bar
                if closes:
                    closing.add(len(tokens) - 1)
            continue
        elif kind in _NOT_TOKENS:  # ties, grace notes, decorations, slurs, annotations
            continue
        elif kind is Rest:
            append("z")
            pappend((ev.line, ev.col))
            t = length_text(ev.length)
            if t:
                append(t)
                pappend((ev.line, ev.col))
                last_kind = str
            else:
                last_kind = Rest
            continue
        elif kind is Broken:
            if last_kind is str:
                tokens[-1] += ev.symbol
                last_kind = Broken
                continue
            append(ev.symbol)
        elif kind is ChordStart:
            in_chord = True
            append("[")
        elif kind is ChordEnd:
            in_chord = False
            append("]")
            pappend((ev.line, ev.col))
            t = length_text(ev.length)
            if t:
                append(t)
                pappend((ev.line, ev.col + 1))
                last_kind = str
            else:
                last_kind = ChordEnd
            continue
        elif kind is Tuplet:
            append(f"({ev.p}" if ev.plain else f"({ev.p}:{ev.q}:{ev.r}")
        elif kind is Ending:
            bar_oct.clear()
            bar_letter.clear()
            if last_kind is Bar and tokens[-1] == "|":
                tokens[-1] = "|" + ev.numbers
                continue
            append("|" + ev.numbers)
            kind = Bar
        elif kind is FieldChange:
            letter = ev.letter
            if letter == "M":
                tok = ev.value.token
                if tok == cur_meter:
                    continue
                cur_meter = tok
                append(tok)
            elif letter == "K":
                k = ev.value
                if k.tonic_pc == tonic_pc and k.folk_mode != cur_mode:
                    cur_mode = k.folk_mode
                    sig = FOLK_SIGNATURES[cur_mode]
                    bar_oct.clear()
                    bar_letter.clear()
                    append("K:C" + cur_mode)
                elif k.tonic_pc != tonic_pc:
                    acc = "#" if k.tonic_alter > 0 else "b" if k.tonic_alter < 0 else ""
                    warnings.append(f"line {ev.line}: key change to K:{k.tonic}{acc}"
                                    f"{k.mode} written in the first key's transposition")
                    continue
                else:
                    continue
            else:
                continue
        else:  # ties, grace notes, decorations, slurs, annotations: not in the tokens
            continue
        pappend((ev.line, ev.col))
        last_kind = kind
    return part_ends, closing


def tokenize_tune(raw: RawTune, *, strict: bool = False, pitches: bool = True,
                  limits: tuple[int, int] | None = None) -> TokenizedTune:
    """Tokenize one tune cut by :func:`folkabc.abc.split_tunes` (see :func:`tokenize`, and its
    ``pitches``; ``limits`` as :func:`folkabc.abc.read_body` takes them).

    Examples
    --------
    >>> from folkabc.abc import split_tunes
    >>> tokenize_tune(split_tunes("X:1\\nM:2/4\\nK:A\\nAB|\\n")[0]).tokens
    ['M:2/4', 'K:Cmaj', 'c', '/2', 'd', '/2', '|']
    """
    kf = raw.fields.get("K")
    mf = raw.fields.get("M") or raw.defaults.get("M")
    header = raw.header
    if "L" not in header and "L" in raw.defaults:  # the file header's L: is the tune's unit
        header = {**header, "L": [raw.defaults["L"][0]]}
    tt = TokenizedTune(
        index=raw.index, title=raw.title, titles=list(raw.titles), tokens=[], positions=[],
        header=header, key=kf[0] if kf else "", meter_text=mf[0] if mf else "", transpose=0,
        abc=raw.abc, line=raw.line, warnings=list(raw.warnings),
    )
    try:
        reading = read_body(raw, token_notes=True, limits=limits)  # notes as the tokenizer reads them: cheaper
        tt.warnings.extend(reading.warnings)
        events = reading.events
        if pitches:
            notes = {ev[0] for ev in events if type(ev) is tuple}  # (step, midi) of the notes
            sounds = bool(notes)
        else:
            sounds = any(type(ev) is tuple for ev in events)
        if not sounds and not any(type(ev) is Rest for ev in events):
            raise AbcSyntaxError("no notes in the tune body", tune=raw.index, title=raw.title,
                                 line=raw.body[0][0] if raw.body else raw.line, column=1)
        key = reading.key
        if pitches:
            li = LETTERS.index(key.tonic)
            steps0 = (7 - li) % 7  # the tonic's letter up to the next C (C stays)
            semis0 = (12 if li else 0) - NATURAL[li] - key.tonic_alter  # the same move in semitones (C#: -1)
            steps, semis = _choose_shift(notes, lambda: Counter(ev[0] for ev in events if type(ev) is tuple),
                                         steps0, semis0, key.folk_mode)
        else:
            steps = semis = 0
        tt.transpose = semis
        if reading.meter is None:
            tt.warnings.append("no M: field; meter token M:none")
            tt.tokens.append("M:none")
            tt.positions.append((0, 0))
        else:
            tt.tokens.append(reading.meter.token)
            tt.positions.append(reading.meter_at or (0, 0))
            if reading.meter.token == "M:4/4" and reading.meter.text not in ("4/4",):
                tt.warnings.append(f"M:{reading.meter.text} mapped to M:4/4")
        tt.tokens.append("K:C" + key.folk_mode)
        tt.positions.append((kf[1], kf[2]) if kf else (0, 0))
        ends, closing = _spell(events, steps, semis, key.folk_mode, key.tonic_pc, tt.tokens, tt.positions,
                               tt.warnings, pitches)
        tt.unit = reading.unit
        tt.part_ends = frozenset(closing)
        if _normalise(tt, raw) and ends:  # the same bar lines, found again by their positions
            tt.part_ends = frozenset(_part_ends(tt.tokens, tt.positions, ends))
    except AbcSyntaxError as exc:
        if strict:
            raise
        tt.error = exc
        tt.tokens = []
        tt.positions = []
    return tt


def _part_ends(tokens: Sequence[str], positions: Sequence[tuple[int, int]],
               ends: set[tuple[int, int]]) -> set[int]:
    """Indices of the bar tokens read from a bar line that closes a part (positions in ``ends``)."""
    if not ends:
        return set()
    return {i for i, tok in enumerate(tokens) if "|" in tok and positions[i] in ends}


def _normalise(tt: TokenizedTune, raw: RawTune) -> bool:
    """Apply :mod:`folkabc.normalize` (repeats abc2midi would repair, unequal broken pairs);
    a nested tuplet raises :class:`AbcSyntaxError`. True when a pass changed the tokens (each
    change is noted in the warnings)."""
    toks = tt.tokens
    joined = " ".join(toks)  # cheap gates: most tunes need none of the passes
    changed = False
    if may_have_repeats(joined):
        tt.tokens, tt.positions, notes = explicit_repeats(toks, tt.positions, tt.part_ends)
        tt.warnings.extend(notes)
        changed = bool(notes)
    if joined.count(" (") > 1:
        at = nested_tuplet(tt.tokens)
        if at is not None:
            line, col = tt.positions[at]
            raise AbcSyntaxError(nested_tuplet_message(tt.tokens[at]), tune=raw.index, title=raw.title,
                                 line=line, column=col)
    if ">" in joined or "<" in joined:
        tt.tokens, tt.positions, notes = explicit_broken(tt.tokens, tt.positions)
        tt.warnings.extend(notes)
        changed = changed or bool(notes)
    return changed


def tokenize(abc_text: str, *, strict: bool = False, pitches: bool = True) -> list[TokenizedTune]:
    """Read every tune of an ABC text into folk-rnn v2 tokens.

    Parameters
    ----------
    abc_text : str
        ABC text: a tunebook with ``X:`` tunes, one tune, or a bare body fragment.
    strict : bool
        Raise the first tune's error instead of storing it in ``.error``.
    pitches : bool
        False: every pitch token is written :data:`COUNT_PITCH` (``C``) and no transposition is
        chosen (``transpose`` 0), for a reader that needs only durations, bar lines and the
        structure (:func:`folkabc.check` counts bars so); every other token, position, part end
        and error is what ``pitches=True`` gives, at about half the cost after reading.

    Returns
    -------
    list of TokenizedTune
        One per tune, in order. A tune that cannot be read has ``tokens == []``
        and ``error`` set to an :class:`~folkabc.errors.AbcSyntaxError` naming
        tune, line and column (relative to ``abc_text``).

    Raises
    ------
    AbcSyntaxError
        Only with ``strict=True``.

    See Also
    --------
    detokenize : the inverse.

    Examples
    --------
    >>> tunes = tokenize("X:1\\nM:C\\nL:1/16\\nK:Em\\nE2F2 G4|]\\n")
    >>> tunes[0].tokens
    ['M:4/4', 'K:Cmin', 'C', 'D', 'E', '2', '|']
    >>> tokenize("X:1\\nK:G\\nG#A|\\n")[0].error.column
    2
    >>> tokenize("X:1\\nM:C\\nL:1/16\\nK:Em\\nE2F2 G4|]\\n", pitches=False)[0].tokens
    ['M:4/4', 'K:Cmin', 'C', 'C', 'C', '2', '|']
    """
    # The reader allocates many small tuples and no reference cycles: pausing the cyclic
    # garbage collector for the call makes a whole collection ~1.5x faster.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        limits = tune_limits()  # once for the text, not once a tune (an environment variable each)
        return [tokenize_tune(raw, strict=strict, pitches=pitches, limits=limits) for raw in split_tunes(abc_text)]
    finally:
        if paused:
            gc.enable()


# ---------------------------------------------------------------------------- tokens → abc

_MODE_KEY = {"K:Cmaj": "C", "K:Cmin": "Cmin", "K:Cdor": "Cdor", "K:Cmix": "Cmix"}
_MODE_KEY_MODE = {"K:Cmaj": "maj", "K:Cmin": "min", "K:Cdor": "dor", "K:Cmix": "mix"}
# broken rhythm in eighths of the pair's plain length: ">" → 12/8 and 4/8 (from the grammar's table)
_BROKEN = {k: (int(a * 8), int(b * 8)) for k, (a, b) in BROKEN.items() if k}


#: Ticks per eighth note in :func:`detokenize`'s clock (divisible by 2..9, 16 and 32).
_TICKS = 10080


def _beat(meter: str) -> int:
    """Beat length in ticks: a dotted quarter in 6/8 9/8 12/8, the bar in other /8 meters, else a quarter."""
    bar, n = meter_of(meter)
    if bar is not None and bar == n:  # an eighth-note meter: n/8
        return (3 if n % 3 == 0 and n > 3 else n) * _TICKS
    return 2 * _TICKS


def _meter_num(meter: str) -> int:
    """The written numerator of a meter token (6 for ``M:6/8``), 0 when free or unreadable."""
    return meter_of(meter)[1]


def _written_meter(tok: str) -> bool:
    """A meter token detokenize can write: readable (``M:6/8``, ``M:2+3/8``) or ``M:none``."""
    return token_kind(tok) == "meter" and (meter_of(tok)[0] is not None or tok == "M:none")


def _note_ticks(tok: str) -> tuple[int, str] | None:
    """(ticks, broken mark) a duration token gives the note before it, from the grammar; None
    for a token that is no duration."""
    info = token_info(tok)
    if info is None or info.kind != "duration":
        return None
    return _TICKS * info.length.numerator // info.length.denominator, info.broken


_PITCH_PARTS = {"^": 1, "_": -1, "=": 0, "^^": 2, "__": -2}


def _pitch_of(tok: str, sig: tuple[int, ...], bar: dict[int, int]) -> tuple[int, int]:
    """(diatonic step, MIDI) of a pitch token read against ``sig``, with the bar's accidentals
    ``bar`` (per letter, in every octave, as :mod:`folkabc.render.perform` reads them)."""
    j = 0
    while j < len(tok) and tok[j] in "^_=":
        j += 1
    acc, letter, marks = tok[:j], tok[j], tok[j + 1:]
    li = LETTERS.index(letter.upper())
    octv = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
    if acc:
        bar[li] = _PITCH_PARTS[acc]
    return 7 * octv + li, 12 * (octv + 1) + NATURAL[li] + bar.get(li, sig[li])


def _respell(toks: list[str], keys: dict[str, WrittenKey]) -> list[str]:
    """Each token of ``toks`` as written in ``keys[mode]`` (pitches moved and spelled against that
    key's signature, an accidental wherever a note differs from it or from an earlier one in the
    bar); other tokens unchanged."""
    mode = _MODE_KEY_MODE[toks[1]]
    src_bar: dict[int, int] = {}
    bar_oct: dict[int, int] = {}
    bar_letter: dict[int, int] = {}
    out = list(toks)
    for i in range(2, len(toks)):
        t = toks[i]
        kind = token_kind(t)
        if kind == "pitch":
            wk = keys[mode]
            d, m = _pitch_of(t, FOLK_SIGNATURES[mode], src_bar)
            d2, li, a, plain, marked = _spelling(d + wk.steps, m + wk.semis)
            s_li = wk.signature[li]
            if a != bar_oct.get(d2, s_li) or a != bar_letter.get(li, s_li):
                bar_oct[d2] = a
                bar_letter[li] = a
                out[i] = marked
            else:
                out[i] = plain
        elif kind in ("bar", "ending") or t in _MODE_KEY:
            src_bar.clear()
            bar_oct.clear()
            bar_letter.clear()
            if t in _MODE_KEY:
                mode = _MODE_KEY_MODE[t]
    return out


def original_key(key: str, mode: str) -> str:
    """The key a tune came in, from its ``K:`` text and its mode token: the folk-rnn mode on the
    source's tonic (``Ddor``, ``G``), for :func:`detokenize`'s ``key``.

    Examples
    --------
    >>> original_key("E dorian", "K:Cdor"), original_key("F#m", "K:Cmin"), original_key("G lyd", "K:Cmaj")
    ('Edor', 'F#min', 'G')
    """
    k = parse_key(key)
    acc = "#" if k.tonic_alter > 0 else "b" if k.tonic_alter < 0 else ""
    folk = _MODE_KEY_MODE.get(mode, k.folk_mode)
    return k.tonic + acc + ("" if folk == "maj" else folk)


def key_of(tune: TokenizedTune) -> str:
    """The key a tokenized tune came in (see :func:`original_key`), for :func:`detokenize`'s
    ``key`` with ``transpose=tune.transpose``.

    Examples
    --------
    >>> t = tokenize("X:1\\nM:4/4\\nK:E dorian\\nEFGA B4|\\n")[0]
    >>> key_of(t), t.transpose
    ('Edor', -4)
    """
    return original_key(tune.key, tune.mode)


def detokenize(tokens: Sequence[str] | str, *, title: str | None = None, index: int = 1,
               key: str | None = None, transpose: int | None = None,
               part_ends: Iterable[int] = ()) -> str:
    """Write a token sequence as a complete ABC tune.

    The tune has ``X:``, ``T:``, ``M:``, ``L:1/8`` and ``K:`` (``C``, ``Cmin``,
    ``Cdor`` or ``Cmix``); the notes of one beat (a quarter, or a dotted quarter
    in 6/8 9/8 12/8) are written together so they beam, beats are separated by
    spaces, and a line break follows every fourth bar line. Inline meter and
    mode tokens become ``[M:…]`` and ``[K:…]``. A later ending (``|2``) lasts until the
    next repeat sign or ending, as :func:`folkabc.check` counts it; one that runs to the
    end of the tune is closed ``||`` (:func:`tokenize` reads it back as ``|``). A ``:|``
    straight before an ending is written ``:|2``, so that folk-rnn's own tokenizer
    (which ignores spaces) reads it back as ``:| |2``, as :func:`tokenize` does. The
    sequence is first put in the
    form :func:`tokenize` writes (:mod:`folkabc.normalize`: repeats made explicit,
    broken rhythm over unequal notes written out), so that abc2midi reads the ABC
    of any sequence, a generated one included, without an error.

    Parameters
    ----------
    tokens : sequence of str, or str
        ``[meter, mode, *body]`` (a string is split on whitespace; ``<s>`` and
        ``</s>`` are ignored).
    title : str or None
        ``T:`` line (default ``Tune <index>``).
    index : int
        ``X:`` number.
    key : str or None
        Write the tune in this key (see :func:`folkabc.abc.keys.written_key`): a tonic (``D``,
        ``Bb``: the tune keeps its mode) or a key of the tune's mode (``Ador`` for ``K:Cdor``).
        The notes are moved there and spelled against its signature. Default: C.
    transpose : int or None
        With ``key``: the semitones :func:`tokenize` moved the tune by (``TokenizedTune.transpose``);
        the notes move back by as much, to the octave they came from.
    part_ends : iterable of int
        Indices into ``tokens`` of plain bar lines that close a part
        (``TokenizedTune.part_ends``), written ``||``.

    Returns
    -------
    str
        ABC text ending with a newline.

    Raises
    ------
    TokenSequenceError
        When the sequence does not start with a meter and a mode token, or holds a
        token that is not a folk-rnn token shape, or a duration with no note
        before it (names the token position), or ``key`` is not a key of its mode.

    See Also
    --------
    tokenize : the inverse.

    Examples
    --------
    >>> print(detokenize("M:6/8 K:Cmaj |: G, C C 2 E | D 3 C 3 :|", title="Jig"))
    X:1
    T:Jig
    M:6/8
    L:1/8
    K:C
    |: G,C C2 E | D3 C3 :|
    <BLANKLINE>
    >>> print(detokenize("M:4/4 K:Cdor C 2 _E 2 G 2 _B 2 | =B 4 c 4", key="A"))
    X:1
    T:Tune 1
    M:4/4
    L:1/8
    K:Ador
    A,2 C2 E2 G2 | ^G4 A4 |]
    <BLANKLINE>
    """
    toks = tokens.split() if isinstance(tokens, str) else list(tokens)
    toks = [t for t in toks if t not in ("<s>", "</s>")]
    if len(toks) < 2 or not _written_meter(toks[0]):
        raise TokenSequenceError(f"expected a meter token first, got {toks[0] if toks else 'nothing'!r}",
                                 tune=index, title=title, position=0)
    if toks[1] not in _MODE_KEY:
        raise TokenSequenceError(f"expected a mode token (K:Cmaj K:Cmin K:Cdor K:Cmix), got {toks[1]!r}",
                                 tune=index, title=title, position=1)
    # the normalised form tokenize writes (repeats explicit, unequal broken pairs written out),
    # so that abc2midi reads any sequence; `origin` keeps each token's index for error messages
    origin = [(k, 0) for k in range(len(toks))]
    toks, origin, _ = explicit_repeats(toks, origin)
    toks, origin, _ = explicit_broken(toks, origin)
    nested = nested_tuplet(toks)
    if nested is not None:  # ABC that no reader (this one, abc2midi) would take back
        raise TokenSequenceError(nested_tuplet_message(toks[nested]), tune=index, title=title,
                                 position=origin[nested][0])
    if key is None:
        written = toks
        names = {m: "C" + ("" if m == "maj" else m) for m in _MODE_KEY_MODE.values()}
    else:
        first = _MODE_KEY_MODE[toks[1]]
        semis = None if transpose is None else -transpose
        try:
            keys = {first: written_key(key, first, semis=semis)}
            tonic = keys[first].name[:-3] if first != "maj" else keys[first].name
            for m in {_MODE_KEY_MODE[t] for t in toks[2:] if t in _MODE_KEY_MODE}:
                if m != first:
                    keys[m] = written_key(tonic, m, semis=semis)
        except ValueError as e:
            raise TokenSequenceError(str(e), tune=index, title=title, position=1) from None
        written = _respell(toks, keys)
        names = {m: k.name for m, k in keys.items()}
    ends = {k for k in part_ends}
    beat = _beat(toks[0])
    meter_num = _meter_num(toks[0])
    out: list[str] = []
    pos = 0  # in ticks (_TICKS per eighth)
    bars = 0
    tuplet_left = 0
    tuplet_q, tuplet_p = 1, 1
    next_mult = 8  # eighths of the written length for the next note (broken rhythm)
    glued = False  # no space before the next note (inside a tuplet or broken pair)
    last_dur = 0
    ending_open = False
    crossed = False
    n = len(toks)
    i = 2

    def fail(msg: str, at: int) -> TokenSequenceError:
        return TokenSequenceError(msg, tune=index, title=title, position=origin[at][0] if at < len(origin) else at)

    def space() -> None:
        if out and not out[-1].endswith((" ", "\n")):
            out.append(" ")

    while i < n:
        t = toks[i]
        info = token_info(t)
        kind = info.kind if info is not None else None
        if kind == "bar" or kind == "ending":
            sign = info.sign
            space()
            nxt = toks[i + 1] if i + 1 < n else ""
            if t == "|" and ending_open and i == n - 1:  # a later ending that runs to the end
                out.append("||")
                ending_open = False
            elif t == "|" and i == n - 1:  # the tune's last bar line
                out.append("|]")
            elif t == "|" and origin[i][0] in ends:  # a part's end
                out.append("||")
            elif t == ":|" and nxt[:1] == "|" and token_kind(nxt) == "ending":
                # `:|2`, not `:| |2`: folk-rnn's tokenizer ignores spaces and reads `:||2` as `:|2`
                # (outside the vocabulary), `:|2` as `:| |2`; so does :func:`tokenize`
                t = ":" + nxt
                i += 1
                out.append(t)
                ending_open = token_info(nxt).sign.ending != 1
            else:
                out.append(t)
                if sign.ending:
                    ending_open = sign.ending != 1
                elif t != "|":
                    ending_open = False
            bars += 1
            pos = 0
            glued = False
            tuplet_left = 0
            next_mult = 8
            if bars >= 4 and t in ("|", ":|"):  # never break right after |: or an ending
                out.append("\n")
                bars = 0
            else:
                out.append(" ")
            i += 1
            continue
        if t in _MODE_KEY:
            space()
            out.append(f"[K:{names[_MODE_KEY_MODE[t]]}] ")
            i += 1
            continue
        if kind == "meter" and _written_meter(t):
            space()
            out.append(f"[{t}] ")
            beat = _beat(t)
            meter_num = _meter_num(t)
            i += 1
            continue
        if kind == "tuplet":
            if not glued:
                space()
            out.append(t)
            tuplet_p, tuplet_q, tuplet_left = tuplet_ratio(t, meter_num)
            glued = True
            i += 1
            continue
        if kind == "broken":
            if out and out[-1].endswith((">", "<")):  # keep `> >` two tokens, not one `>>`
                out.append(" ")
            out.append(t)
            this, nxt = _BROKEN[t]
            pos += last_dur * (this - 8) // 8
            next_mult = nxt
            glued = True
            i += 1
            continue
        # a note, rest or chord
        if kind == "chord-open":
            j = i + 1
            while j < n and token_kind(toks[j]) == "pitch":
                j += 1
            if j >= n or toks[j] != "]" or j == i + 1:
                raise fail("chord '[' without pitches and a closing ']'", i)
            text = "[" + "".join(written[i + 1:j]) + "]"
            i = j + 1
        elif kind == "pitch" or t == "z":
            text = written[i]
            i += 1
        elif kind == "duration":
            raise fail(f"duration {t!r} with no note before it", i)
        else:
            raise fail(f"not a folk-rnn token: {t!r}", i)
        dur = _TICKS
        broken = ""
        if i < n:
            got = _note_ticks(toks[i])
            if got is not None:
                dur, broken = got
                text += toks[i]
                i += 1
        if tuplet_left:
            dur = dur * tuplet_q // tuplet_p
        d = dur * next_mult // 8
        if broken:
            this, nxt = _BROKEN[broken]
            d = dur * this // 8
        crosses = pos + d > (pos // beat + 1) * beat  # ends past the beat it starts in
        if not glued and (pos % beat == 0 or crosses or crossed):
            space()
        out.append(text)
        crossed = crosses
        next_mult = 8
        glued = False
        if broken:
            next_mult = nxt
            glued = True
        last_dur = dur
        if tuplet_left:
            tuplet_left -= 1
            glued = glued or tuplet_left > 0
        pos += d
    if not any(token_kind(t) in ("pitch", "rest") for t in toks[2:]):  # what tokenize reads as no tune
        raise TokenSequenceError("no note or rest in the tune body: nothing to write", tune=index,
                                 title=title, position=len(toks))
    if n > 2 and token_kind(toks[-1]) not in ("bar", "ending"):  # close the last bar, so that
        space()  # engravers draw it
        out.append("|]")
    body = "".join(out).strip()
    lines = [ln.strip() for ln in body.split("\n") if ln.strip()]
    head = [f"X:{index}", f"T:{title if title is not None else f'Tune {index}'}", toks[0], "L:1/8",
            f"K:{names[_MODE_KEY_MODE[toks[1]]]}"]
    return "\n".join(head + lines) + "\n"


def abc_in_key(text: str, key: str) -> str:
    """ABC of every tune of ``text`` written in ``key`` (for ``--key`` of the command line).

    ``text`` is ABC, a folk-rnn token file, or the JSON of ``folkabc tokenize --json`` (which
    carries each tune's title, key and transposition). ``key`` is a key for :func:`detokenize`
    (a tonic, or a key of the tune's mode), or ``original``: the key each tune came in (ABC is
    then returned unchanged; a token file has no original key). ABC in another key is read into
    tokens first, so what tokens drop (chord symbols, decorations, grace notes) is dropped.

    Raises
    ------
    TokenSequenceError
        One line: a key the tune's mode does not allow (naming the allowed keys), ``original``
        for tokens that carry no key, or a tune that cannot be written.

    Examples
    --------
    >>> print(abc_in_key("M:6/8\\nK:Cmaj\\nC E G c 3 |\\n", "A"), end="")
    X:1
    T:Tune 1
    M:6/8
    L:1/8
    K:A
    A,CE A3 |]
    >>> abc_in_key('[{"index": 3, "title": "Jig", "tokens": "M:6/8 K:Cmaj C E G c 3 |", '
    ...            '"key": "G", "transpose": 5}]', "original").splitlines()[4:]
    ['K:G', 'G,B,D G3 |]']
    """
    rows = read_tokenize_json(text)
    if rows is not None:
        out = []
        for r in rows:
            toks, key_r, transpose = r["tokens"], key, None
            if key == "original":
                try:
                    key_r = original_key(r["key"], toks[1] if len(toks) > 1 else "")
                except ValueError as exc:
                    raise TokenSequenceError(str(exc), tune=r["index"], title=r["title"]) from None
                transpose = r["transpose"]
            out.append(detokenize(toks, title=r["title"], index=r["index"], key=key_r, transpose=transpose))
        return "\n".join(out)
    if is_token_file(text):
        if key == "original":
            raise TokenSequenceError("--key original: folk-rnn tokens carry no key (they are in C); "
                                     "give a key, or tokenize --json output, which records it")
        return "\n".join(detokenize(b.tokens, index=k, key=key)
                         for k, b in enumerate(read_token_file(text), 1))
    if key == "original":
        return text
    out = []
    for t in tokenize(text):
        if t.error is None:
            out.append(detokenize(t.tokens, title=t.title, index=t.index, key=key, part_ends=t.part_ends))
    return "\n".join(out)


def read_tokenize_json(text: str) -> list[dict] | None:
    """The tunes of ``folkabc tokenize --json`` output (tokens as a list; tunes that failed left
    out), or None when ``text`` is not that JSON.

    Each row has ``tokens`` (a list), ``index``, ``title`` (or None), ``key``, ``transpose`` and
    ``part_ends`` (token indices of bar lines that close a part, or None when the JSON has none).

    Examples
    --------
    >>> import json
    >>> rows = read_tokenize_json(json.dumps([t.to_dict() for t in tokenize("X:2\\nT:A\\nK:G\\nGAB|\\n")]))
    >>> rows[0]["tokens"][:3], rows[0]["title"], rows[0]["key"], rows[0]["transpose"]
    (['M:none', 'K:Cmaj', 'c'], 'A', 'G', 5)
    >>> read_tokenize_json("M:4/4 K:Cmaj C |") is None
    True
    """
    if not text.lstrip().startswith("["):
        return None
    import json  # here, not at the top: ABC and token files (``folkabc check``) never load it

    from ._io import json_depth

    check_limit("max_json_depth", json_depth(text), where="JSON nesting")  # before json.loads recurses
    try:
        rows = json.loads(text)
    except ValueError:
        return None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("tokens"), str) for r in rows):
        return None
    out = []
    for r in rows:
        if r.get("error") or not r["tokens"].strip():
            continue
        out.append({"tokens": r["tokens"].split(), "index": r["index"] if isinstance(r.get("index"), int) else None,
                    "title": r.get("title") if isinstance(r.get("title"), str) else None,
                    "key": r.get("key") if isinstance(r.get("key"), str) else "C",
                    "transpose": r.get("transpose") if isinstance(r.get("transpose"), int) else 0,
                    "part_ends": frozenset(p for p in r.get("part_ends") or () if isinstance(p, int))
                    if isinstance(r.get("part_ends"), list) else None})
    for k, r in enumerate(out, 1):
        if r["index"] is None:
            r["index"] = k
    return out


# ---------------------------------------------------------------------------- folk-rnn files


def read_folkrnn(text: str) -> list[list[str]]:
    """Read a folk-rnn token file: blocks (meter line, mode line, body line) separated by blank lines.

    ``<s>`` and ``</s>`` are dropped; each block becomes one token list
    ``[meter, mode, *body]``. A tune written on one line (``M:4/4 K:Cmaj C D |``), or a
    meter line with no blank line before it, starts a new tune. The tokens of
    :func:`folkabc.tokenfile.read_token_file` (the one token-file reader), without positions.

    See Also
    --------
    write_folkrnn : the inverse.

    Examples
    --------
    >>> read_folkrnn("M:4/4\\nK:Cmaj\\nC D E F |\\n\\nM:6/8\\nK:Cmin\\nC 3 |\\n")
    [['M:4/4', 'K:Cmaj', 'C', 'D', 'E', 'F', '|'], ['M:6/8', 'K:Cmin', 'C', '3', '|']]
    >>> read_folkrnn("M:4/4 K:Cmaj C D |\\nM:6/8 K:Cmin C 6 |\\n")
    [['M:4/4', 'K:Cmaj', 'C', 'D', '|'], ['M:6/8', 'K:Cmin', 'C', '6', '|']]
    """
    return [block.tokens for block in read_token_file(text)]


def write_folkrnn(seqs: Iterable[Sequence[str]]) -> str:
    """Write token lists as a folk-rnn token file (meter, mode, body lines; blank line between).

    See Also
    --------
    read_folkrnn : the inverse.

    Examples
    --------
    >>> print(write_folkrnn([["M:4/4", "K:Cmaj", "C", "D", "|"]]), end="")
    M:4/4
    K:Cmaj
    C D |
    """
    blocks = []
    for s in seqs:
        s = list(s)
        blocks.append("\n".join([s[0] if s else "", s[1] if len(s) > 1 else "", " ".join(s[2:])]) + "\n")
    return "\n".join(blocks)
