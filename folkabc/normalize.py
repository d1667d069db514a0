"""Token normalisations that make the written ABC play as its source plays.

:func:`folkabc.tokenize` applies these to every tune after spelling its tokens,
so that the ABC :func:`folkabc.detokenize` writes is read by abc2midi without
an error and reads back to the same tokens. Where repeats are made explicit,
abc2midi plays the result note for note as it plays the tokens left as written
(151 of the 156 such music21 tunes; the others have a first ending after a ``||``,
which the tokens cannot mark). Each change adds a warning to the tune. The rules
(``docs/tokens.md``):

Repeats (:func:`explicit_repeats`), as the music is meant to be played. abc2midi makes
the first repair below itself only up to the tune's first ending (its ending count never
resets), so a later part opened with no ``|:`` -- and a ``:|`` after a played second
ending, which abc2midi takes back a third time (O'Neill's "The Scholar") -- play
differently from the source in abc2midi: 5 of the music21 tunes (``docs/tokens.md``).

- a first ending ``|1`` in a part that no ``|:`` opened (``A :| B |1 C :| |2 D``)
  repeats from the part's start: a ``|:`` is written there, after the ``:|`` or the
  section end (``||``) that closed the part before (``A :| |: B |1 …``), but not on a
  ``||`` that closed an ending (abc2midi's ``:|`` returns past it);
- a second ``:|`` with no ``|:`` since the first returns to a section end ``||`` between
  them (``A :| B || C :|``): a ``|:`` is written on it (the tokens write ``||`` as ``|``);
- a ``|:`` while another ``|:`` is still open closes the first part:
  ``|: A |: B :|`` → ``|: A :| |: B :|``;
- a ``|:`` that nothing closes repeats nothing: it becomes a plain ``|`` (or goes,
  where a bar line stands beside it), and so does a first ending ``|1`` inside it;
- a second ending that follows a first one with no ``:|`` between gets the ``:|``
  (``|1 B |2 C`` → ``|1 B :| |2 C``); an ending with no first ending before it, or
  a first ending inside an ending, is a plain bar line;
- a ``:|`` that closes a second ending straight before a ``|:`` (``|2 C ::``, tokens
  ``|2 C :| |:``) goes: abc2midi plays the part twice, not a third time;
- no empty bars: a plain ``|`` straight before another bar token goes (``D |2 :|``,
  its ending made plain, → ``D :|``), as the tokenizer writes bars.

Tuplets (:func:`nested_tuplet`): a tuplet that starts inside another is refused.

Broken rhythm (:func:`explicit_broken`): ABC 2.1 defines ``>`` for two notes of one
length (``a>b`` is ``a3/2b/2``); abc2midi refuses a pair of unequal lengths ("Cannot apply
broken rhythm. Notes not equal durations") and plays both notes as written, and so does
:func:`folkabc.render.perform`. Such a pair is written as it is played, without the sign:
``g>e/`` → ``g e /2``.

Examples
--------
>>> toks = "M:4/4 K:Cmaj c 8 :| d 8 |1 e 8 :| |2 f 8 |".split()
>>> out, pos, notes = explicit_repeats(toks, [(0, 0)] * len(toks))
>>> " ".join(out[2:]), notes
('c 8 :| |: d 8 |1 e 8 :| |2 f 8 |', ['|: added before the part of the ending |1 (it repeats from there)'])
>>> toks = "M:2/4 K:Cmaj g > e /2 d c |".split()
>>> " ".join(explicit_broken(toks, [(0, 0)] * len(toks))[0][2:])
'g e /2 d c |'
"""

from __future__ import annotations

from fractions import Fraction

from . import _regex
from .abc.keys import BROKEN_RHYTHM
from .grammar import is_bar as _is_bar
from .grammar import meter_of, token_info, tuplet_ratio

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Callable, Collection, Sequence

__all__ = ["explicit_repeats", "explicit_broken", "nested_tuplet", "may_have_repeats"]

Positions = list[tuple[int, int]]

#: The note for a ``:|`` closing a second ending straight before a part's ``|:``.
DROPPED_SECOND_CLOSE = (":| after a second ending dropped before |: (the part is played twice, "
                        "as a second ending closing at :: is; abc2midi would play a written :| there a third time)")

# a cheap text gate only (over tokens joined by spaces); tokens are read by :mod:`folkabc.grammar`. An
# ending (``|2``, ``|[2``, ``[2``) is there when ``|`` or ``[`` is followed by a digit: one character class
# first, which ``re`` scans for faster than two alternatives
_ENDING_TEXT = _regex.compile(r"[|\[]\d")


def _kind(tok: str) -> str | None:
    info = token_info(tok)
    return None if info is None else info.kind


def _ending(tok: str) -> int:
    """The number of the ending a bar token opens (``|2`` → 2), 0 for none (``:|2`` is read as
    a repeat sign here, as :func:`folkabc.tokenize` never writes it)."""
    got = _ENDINGS.get(tok)
    if got is None:
        info = token_info(tok)
        sign = None if info is None else info.sign
        got = sign.ending if sign is not None and not sign.end_repeat else 0
        if len(_ENDINGS) < 65536:
            _ENDINGS[tok] = got
    return got


# the fast paths' view of the grammar, memoised per token: what the note walk needs
_OTHER, _NOTE, _CLOSE, _OPEN, _TUPLET, _BROKEN_LEN, _LEN = range(7)
_CODE_OF_KIND = {"pitch": _NOTE, "rest": _NOTE, "chord-close": _CLOSE, "chord-open": _OPEN, "tuplet": _TUPLET}
_ENDINGS: dict[str, int] = {}
_CODES: dict[str, int] = {}


def _code(tok: str) -> int:
    got = _CODES.get(tok)
    if got is None:
        info = token_info(tok)
        if info is None:
            got = _OTHER
        elif info.length is not None:
            got = _BROKEN_LEN if info.broken else _LEN
        else:
            got = _CODE_OF_KIND.get(info.kind, _OTHER)
        if len(_CODES) < 65536:
            _CODES[tok] = got
    return got


def may_have_repeats(text: str) -> bool:
    """A cheap gate for :func:`explicit_repeats`: False when ``text`` (tokens joined by
    spaces) holds no ``|:``, no ending and at most one ``:|``, so there is nothing for it to do.

    Examples
    --------
    >>> may_have_repeats("M:4/4 K:Cmaj c d e f | g 4 :|"), may_have_repeats("c 4 |1 d 4 :|")
    (False, True)
    >>> may_have_repeats("c 4 :| d 4 | e 4 :|")  # the second `:|` may return to a section end
    True
    """
    return "|:" in text or _ENDING_TEXT.search(text) is not None or text.count(":|") > 1


def explicit_repeats(tokens: Sequence[str], positions: Sequence[tuple[int, int]],
                     section_ends: Collection[int] | Callable[[], Collection[int]] = ()
                     ) -> tuple[list[str], Positions, list[str]]:
    """Make a tune's repeat structure explicit and well formed (see the module doc).

    Parameters
    ----------
    tokens, positions : sequences
        ``[meter, mode, *body]`` and their source positions.
    section_ends : collection of int, or a function returning one
        Indices of bar tokens written ``||``/``|]`` in the source (a part may start there);
        a function is called only when something is to change.

    Returns
    -------
    tokens, positions, notes
        New lists (copies of the inputs when nothing changed) and one note per change.

    Examples
    --------
    >>> t = "M:6/8 K:Cmaj |: c 6 |: d 6 :|".split()
    >>> explicit_repeats(t, [(0, 0)] * len(t))[0][2:]
    ['|:', 'c', '6', ':|', '|:', 'd', '6', ':|']
    >>> t = "M:6/8 K:Cmaj c 6 |: d 6 |".split()
    >>> explicit_repeats(t, [(0, 0)] * len(t))[0][2:]
    ['c', '6', '|', 'd', '6', '|']
    >>> t = "M:6/8 K:Cmaj |: c 6 |1 d 6 |2 e 6 :|".split()
    >>> explicit_repeats(t, [(0, 0)] * len(t))[0][2:]
    ['|:', 'c', '6', '|1', 'd', '6', ':|', '|2', 'e', '6', ':|']
    """
    if _repeats_well_formed(tokens, None if callable(section_ends) else section_ends):
        return list(tokens), list(positions), []
    if callable(section_ends):
        section_ends = section_ends()
    out: list[str] = list(tokens[:2])
    pos: Positions = list(positions[:2])
    notes: list[str] = []
    # start: no |: yet (the tune's start opens); open: after |:; first: inside |1;
    # closed: after :|; closed1: after the :| that ends a first ending; second: inside |2
    state = "start"
    open_at: int | None = None      # out index of the |: that opened the part
    first_at: int | None = None     # out index of the open part's |1
    part_start: int | None = None   # out index of the bar a new part would start after
    second_close: int | None = None  # out index of a `:|` that closed a second ending
    closes_ending = False           # the section end at part_start closed an ending (no part starts)
    in_ending = False               # inside an ending, no `||` `|]` `|:` `:|` since (abc2midi's view)

    def insert(at: int, tok: str) -> None:
        nonlocal open_at, first_at
        out.insert(at, tok)
        pos.insert(at, pos[at - 1] if at > 0 else (0, 0))
        open_at = open_at + 1 if open_at is not None and open_at >= at else open_at
        first_at = first_at + 1 if first_at is not None and first_at >= at else first_at

    for i in range(2, len(tokens)):
        tok = tokens[i]
        ending = _ending(tok)
        if tok == "|:":
            if second_close is not None and second_close == len(out) - 1:
                # `|2 C ::` (tokens `|2 C :| |:`): abc2midi plays the part twice, not a third time
                out.pop()
                pos.pop()
                notes.append(DROPPED_SECOND_CLOSE)
            if state in ("open", "first"):
                out.append(":|")
                pos.append(positions[i])
                notes.append("|: inside an open repeat closes it first (:| |:)")
            state, open_at, first_at, in_ending = "open", len(out), None, False
        elif tok == ":|":
            if (state in ("closed", "closed1") and part_start is not None and out[part_start] == "|"
                    and not closes_ending):
                # `A :| B || C :|`: abc2midi returns to the `||`, which the tokens write `|`
                out[part_start] = "|:"
                notes.append("|: written for the section end a :| returns to")
            second_close = len(out) if state == "second" else None
            in_ending = False
            state = "closed1" if state == "first" else "closed"
            part_start, open_at, first_at, closes_ending = len(out), None, None, False
        elif ending == 1:
            if state in ("closed", "closed1") and part_start is not None and not (
                    closes_ending and out[part_start] == "|"):
                if out[part_start] == "|":   # a section end `||`: it becomes the `|:`
                    out[part_start] = "|:"
                    open_at = part_start
                elif part_start == second_close:  # a `:|` closing a second ending: it becomes the `|:`
                    out[part_start] = "|:"
                    open_at = part_start
                    notes.append(DROPPED_SECOND_CLOSE)
                else:                        # after a `:|`
                    insert(part_start + 1, "|:")
                    open_at = part_start + 1
                notes.append(f"|: added before the part of the ending {tok} (it repeats from there)")
            elif state in ("first", "second"):
                notes.append(f"ending {tok} inside an ending written as a plain bar line")
                tok = "|"
            if tok != "|":
                state, first_at, in_ending = "first", len(out), True
        elif ending:
            if state == "first":
                out.append(":|")
                pos.append(positions[i])
                notes.append(f":| added to close the first ending before {tok}")
                state = "closed1"
            if state == "closed1":
                state, in_ending = "second", True
            else:
                notes.append(f"ending {tok} with no first ending before it written as a plain bar line")
                tok = "|"
        elif (i in section_ends and state in ("closed", "closed1", "second")) or (tok == "|" and state == "second"):
            # a section end; after a later ending the first plain bar ends it (written `||`)
            # a `||` closing an ending starts no part: abc2midi's `:|` returns past it
            merged = tok == "|" and _is_bar(out[-1]) and len(out) > 2  # it joins the bar before
            part_start, closes_ending = len(out) - merged, in_ending
            in_ending = in_ending and i not in section_ends
            state = "closed" if state == "second" else state
        if tok == "|" and out and _is_bar(out[-1]) and len(out) > 2:
            continue  # no empty bars: a plain bar beside another bar token goes
        if out[-1] == "|" and len(out) > 2 and tok != "|" and _is_bar(tok):
            # `D | :|` (an empty ending made plain): the empty bar goes, as the tokenizer writes it
            notes.append(f"empty bar before {tok} dropped")
            out[-1] = tok
            pos[-1] = positions[i]
            # the token took the dropped bar's place: what was set to point past the end points at it
            gone = len(out)
            open_at, first_at, part_start, second_close = (
                x - 1 if x == gone else x for x in (open_at, first_at, part_start, second_close))
            continue
        out.append(tok)
        pos.append(positions[i])
    if state in ("open", "first"):
        if first_at is not None:  # `|: A |1 B` and no `:|`: the ending is a plain bar line
            out[first_at] = "|"
            notes.append("first ending that no :| closes written as a plain bar line")
        if open_at is not None:
            prev = out[open_at - 1] if open_at > 2 else None
            nxt = out[open_at + 1] if open_at + 1 < len(out) else None
            if prev is None or _is_bar(prev) or nxt is None or _is_bar(nxt):
                del out[open_at], pos[open_at]
            else:
                out[open_at] = "|"
            notes.append("|: that no :| closes dropped (nothing repeats)")
    if not notes:
        return list(tokens), list(positions), notes
    return out, pos, notes


_REPEAT_TOKENS = frozenset({"|:", ":|"})


def _repeats_well_formed(tokens: Sequence[str], section_ends: Collection[int] | None = None) -> bool:
    """Fast check: True when :func:`explicit_repeats` would change nothing (the same state
    machine over the bar tokens alone; False wherever section ends may change its decisions).

    ``section_ends`` are :func:`explicit_repeats`' (None: not known, so that any bar may be one).
    A second ``:|`` with no ``|:`` since the first changes something only where a section end
    (or the plain bar line after a second ending) came between them."""
    state = "start"
    endings = _ENDINGS
    unknown = section_ends is None
    ends = () if unknown else section_ends
    since = False  # a section end since the last `:|` (a `:|` may return to it)
    # only bar lines (each starts with one of `|:[]`) and section ends move the state
    at = [k for k, t in enumerate(tokens) if t[:1] in "|:[]"]
    if ends:
        n = len(tokens)
        extra = [k for k in ends if isinstance(k, int) and 0 <= k < n and k not in at]
        if extra:
            at = sorted(at + extra)
    for k in at:
        tok = tokens[k]
        if k > 3 and tokens[k - 1] == "|" and tok != "|" and _is_bar(tok):
            return False  # an empty bar `| :|`
        e = endings.get(tok)
        if e is None:
            e = _ending(tok)
        if tok in _REPEAT_TOKENS:
            if tok == "|:":
                if state in ("open", "first"):
                    return False
                state = "open"
            else:
                if state == "second" and k + 1 < len(tokens) and tokens[k + 1] == "|:":
                    return False
                if (state == "closed" or state == "closed1") and (unknown or since):
                    return False  # a second `:|` with no `|:`: it may return to a section end
                state = "closed1" if state == "first" else "closed"
                since = False
        elif e:
            if e == 1:
                if state != "start" and state != "open":
                    return False
                state = "first"
            elif state == "closed1":
                state = "second"
            else:
                return False
        elif tok == "|" and state == "second":
            state = "closed"
            since = True
        elif ends and k in ends and (state == "closed" or state == "closed1" or state == "second"):
            since = True
    return state not in ("open", "first")


def _dur(tok: str) -> tuple[Fraction, str] | None:
    """``(length, broken)`` of a length token (``2``, ``/2``, ``3/2``, ``2>``, ``>``), else None."""
    info = token_info(tok)
    if info is None or info.length is None:
        return None
    return info.length, info.broken


def _length_token(f: Fraction) -> str:
    if f == 1:
        return ""
    if f.denominator == 1:
        return str(f.numerator)
    return f"/{f.denominator}" if f.numerator == 1 else f"{f.numerator}/{f.denominator}"


def _scan(tokens: Sequence[str]) -> list:
    """The body's notes and rests as ``[i, j, written, broken, tuplet factor]`` (``tokens[i]`` the
    note, ``tokens[i + 1:j]`` its length and broken-rhythm tokens), with None between runs of
    notes (bars, chords, fields)."""
    meter_num = meter_of(tokens[0])[1] if tokens else 0
    recs: list = []
    left, factor = 0, Fraction(1)
    n = len(tokens)
    k = 2
    while k < n:
        tok = tokens[k]
        kind = _kind(tok)
        if kind == "pitch" or kind == "rest":
            j = k + 1
            written, op = Fraction(1), ""
            d = _dur(tokens[j]) if j < n else None
            if d is not None:
                written, op = d
                j += 1
            if not op and j < n and tokens[j] in BROKEN_RHYTHM:
                op = tokens[j]
                j += 1
            recs.append([k, j, written, op, factor if left else Fraction(1)])
            left = max(left - 1, 0)
            k = j
            continue
        if kind == "tuplet":
            p, q, left = tuplet_ratio(tok, meter_num)
            factor = Fraction(q, p)
        elif kind == "chord-open":
            while k < n and tokens[k] != "]":
                k += 1
            left = max(left - 1, 0)
        elif kind == "meter":
            meter_num = meter_of(tok)[1]
        recs.append(None)
        k += 1
    return recs


def _tuplet_notes(tok: str) -> int:
    """How many notes a tuplet token ``(p``/``(p:q:r`` covers (r, else p); 0 for another token."""
    info = token_info(tok)
    return (info.tuplet[2] or info.tuplet[0]) if info is not None and info.tuplet is not None else 0


def nested_tuplet_message(tok: str) -> str:
    """What :func:`folkabc.tokenize` and :func:`folkabc.detokenize` say of a tuplet ``tok`` that
    :func:`nested_tuplet` finds (one message for reading ABC and for writing it).

    Examples
    --------
    >>> nested_tuplet_message("(3")
    'tuplet (3 starts inside another tuplet (abc2midi and the folk-rnn grammar have no nested tuplets)'
    """
    return (f"tuplet {tok} starts inside another tuplet "
            "(abc2midi and the folk-rnn grammar have no nested tuplets)")


def nested_tuplet(tokens: Sequence[str]) -> int | None:
    """Index of the first tuplet token that starts inside another tuplet, or None.

    abc2midi cannot play a tuplet inside a tuplet, and folk-rnn's grammar has none:
    :func:`folkabc.tokenize` refuses such a tune with a located error.

    Examples
    --------
    >>> nested_tuplet("M:6/8 K:Cmaj (3 (3 c d e f g a |".split())
    3
    >>> nested_tuplet("M:6/8 K:Cmaj (3 c d e (3 f g a |".split()) is None
    True
    """
    rem = 0
    in_chord = False
    codes = _CODES  # the grammar's kinds, memoised per token (_code)
    for k in range(2, len(tokens)):
        tok = tokens[k]
        c = codes.get(tok)
        if c is None:
            c = _code(tok)
        if c == _TUPLET:
            if rem:
                return k
            rem = _tuplet_notes(tok)
        elif c == _OPEN:
            in_chord = True
        elif c == _CLOSE:
            in_chord = False
            rem = rem - 1 if rem else 0
        elif c == _NOTE and not in_chord:  # a pitch or a rest
            rem = rem - 1 if rem else 0
    return None


def _is_length(tok: str) -> bool:
    c = _CODES.get(tok)
    return (c if c is not None else _code(tok)) >= _BROKEN_LEN


def _broken_equal(tokens: Sequence[str]) -> bool:
    """Fast check: True when every broken pair is plainly equal (``a > b``, ``a 2> b 2``: no
    tuplet, chain or chord in it), so :func:`explicit_broken` would change nothing."""
    n = len(tokens)
    left_tup = False   # the last note was in a tuplet
    rem = 0            # notes left in the tuplet in force
    in_chord = False
    codes = _CODES
    if "(" not in "".join(tokens):  # no tuplet (a tuplet token starts with `(`): only the broken tokens matter,
        at = [k for k, tok in enumerate(tokens) if k > 1 and (">" in tok or "<" in tok)]  # (each holds > or <)
    else:
        at = range(2, n)
    for k in at:
        tok = tokens[k]
        c = codes.get(tok)
        if c is None:
            c = _code(tok)
        if c == _NOTE or c == _CLOSE:
            if c == _CLOSE or not in_chord:  # a chord counts once, at its `]`
                left_tup = rem > 0
                rem = rem - 1 if rem else 0
            in_chord = in_chord and c != _CLOSE
            continue
        if c == _OPEN:
            in_chord = True
            continue
        if c == _TUPLET:
            rem = _tuplet_notes(tok)
            continue
        if c != _BROKEN_LEN:
            continue
        if left_tup or rem:
            return False
        written = tok[:len(tok) - len(token_info(tok).broken)]
        left = tokens[k - 1]
        if _is_length(left) or left == "]" or k + 1 >= n:
            return False
        right = tokens[k + 1]
        if _is_length(right) or right == "[":
            return False
        after = tokens[k + 2] if k + 2 < n else ""
        if after and _is_length(after):
            if after != written:
                return False
        elif written:
            return False
    return True



def _equal_pairs(run: list) -> bool:
    """True when each pair of a run joins notes of equal length as abc2midi sees them: the
    tuplet in force counted, and a middle note with the previous pair's change applied."""
    cur = run[0][2] * run[0][4]
    for m in range(len(run) - 1):
        nxt = run[m + 1][2] * run[m + 1][4]
        if cur != nxt:
            return False
        cur = nxt * BROKEN_RHYTHM[run[m][3]][1]
    return True


def _played_lengths(run: list) -> list[Fraction]:
    """The written lengths of a run's notes as abc2midi plays them: a pair's ``>``/``<`` applies
    only where its notes are of one length (the tuplet in force counted, a middle note with the
    previous pair's change applied); elsewhere abc2midi refuses it ("Notes not equal durations")
    and plays both notes as written, as :func:`folkabc.render.perform` does."""
    lengths = [r[2] for r in run]
    cur = run[0][2] * run[0][4]
    for m in range(len(run) - 1):
        nxt = run[m + 1][2] * run[m + 1][4]
        a, b = BROKEN_RHYTHM[run[m][3]]
        if cur == nxt:
            lengths[m] *= a
            lengths[m + 1] *= b
            nxt *= b
        cur = nxt
    return lengths


def explicit_broken(tokens: Sequence[str], positions: Sequence[tuple[int, int]]
                    ) -> tuple[list[str], Positions, list[str]]:
    """Write broken rhythm over notes of unequal length with explicit lengths.

    A run of notes joined by ``>``/``<`` (``a > b``, ``a > b > c``) stays as written
    when each pair joins notes of equal length as abc2midi counts them (the tuplet in
    force counted, a middle note with the change of the pair before applied: so a run
    of three or more is always written out); otherwise each note of the run gets the
    length abc2midi plays, written out: a pair of equal notes with its sign applied, a
    pair of unequal ones as written (abc2midi refuses the sign). Chords end a run.

    Returns
    -------
    tokens, positions, notes
        New lists (the inputs when nothing changed) and one note per run rewritten.

    Examples
    --------
    >>> t = "M:4/4 K:Cmaj c < e 3 g 2> a 2 |".split()
    >>> explicit_broken(t, [(0, 0)] * len(t))[0][2:]
    ['c', 'e', '3', 'g', '2>', 'a', '2', '|']
    >>> t = "M:6/8 K:Cmaj (3 c d e > B c 2 |".split()
    >>> explicit_broken(t, [(0, 0)] * len(t))[0][2:]
    ['(3', 'c', 'd', 'e', 'B', 'c', '2', '|']
    >>> t = "M:4/4 K:Cmaj c > d > e f |".split()
    >>> explicit_broken(t, [(0, 0)] * len(t))[0][2:]
    ['c', '3/2', 'd', '/2', 'e', 'f', '|']
    """
    if _broken_equal(tokens):
        return list(tokens), list(positions), []
    recs = _scan(tokens)
    runs: list[list] = []
    run: list = []
    for rec in recs + [None]:
        if rec is not None and run and run[-1][3] and run[-1][1] == rec[0]:
            run.append(rec)
            continue
        if len(run) > 1:
            runs.append(run)
        run = [rec] if rec is not None and rec[3] in BROKEN_RHYTHM else []
    out, pos = list(tokens), list(positions)
    notes: list[str] = []
    for run in reversed(runs):
        if _equal_pairs(run):
            continue
        lengths = _played_lengths(run)
        first, last = run[0][0], run[-1][1]
        new_t: list[str] = []
        new_p: Positions = []
        for r, length in zip(run, lengths):
            new_t.append(out[r[0]])
            new_p.append(pos[r[0]])
            lt = _length_token(length)
            if lt:
                new_t.append(lt)
                new_p.append(pos[r[0]])
        notes.append(f"broken rhythm over unequal notes written out: {' '.join(out[first:last])} → "
                     f"{' '.join(new_t)}")
        out[first:last] = new_t
        pos[first:last] = new_p
    if not notes:
        return list(tokens), list(positions), notes
    notes.reverse()
    return out, pos, notes
