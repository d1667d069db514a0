"""Bar numbers of every token of the corpus, computed in numpy at index build time.

Rules (the same for every tune, see ``docs/search.md``):

- A *bar* starts at the first note, rest or chord after a measure token
  (``| |: :| |1 |2``) or after the tune's start; runs of measure tokens with
  no note between them (``:| |:``) start one bar, not two. ``[`` and ``]`` are
  chord brackets, not bar lines.
- The first bar is bar 0 (a pickup) when it is shorter than the meter's bar,
  else bar 1; bars are then numbered on from there.
- A measure token belongs to the bar it closes; the tune's meter and mode
  tokens, and any measure tokens before its first note, belong to its first
  bar at offset 0.
- A token's offset in its bar is counted in tokens from the bar's first token.

The pickup test sums note lengths in units of L:1/8 (a note without a
duration token lasts 1, broken rhythm keeps the pair's total, a chord counts
once, a tuplet ``(n`` scales its notes by 2/n, or 3/2 for ``(2`` and 3/4 for
``(4`` — approximated as the first note's length times n).

Examples
--------
>>> from folkabc.search.index import encode_tunes
>>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "B,", "|", "G,", "C", "C", "2", "|:", "E", "4", "|"]])
>>> bars, offs = bar_table(ids, offsets)
>>> bars.tolist()
[0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2]
>>> offs.tolist()
[0, 0, 0, 1, 0, 1, 2, 3, 4, 0, 1, 2, 3]
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..vocab import VOCAB

__all__ = ["bar_table", "bar_length", "token_durations"]

_BAR_LINES = ("|", "|:", ":|", "|1", "|2")


def bar_length(meter: str) -> Fraction:
    """Length of one bar of ``meter`` (a token ``M:n/d``) in units of L:1/8.

    Examples
    --------
    >>> bar_length("M:6/8"), bar_length("M:3/2")
    (Fraction(6, 1), Fraction(12, 1))
    """
    num, den = meter[2:].split("/")
    return Fraction(8 * int(num), int(den))


def _duration_value(token: str) -> float:
    """The note length a duration token gives, broken-rhythm marks ignored."""
    t = token.rstrip("<>")
    if not t:
        return 1.0
    if "/" in t:
        a, b = t.split("/")
        return (int(a) if a else 1) / (int(b) if b else 2)
    return float(t)


def _tables() -> dict[str, np.ndarray]:
    v = len(VOCAB)
    cats = np.array(VOCAB.categories)
    is_bar = np.zeros(256, dtype=bool)
    is_bar[[VOCAB.id(t) for t in _BAR_LINES]] = True
    is_note = np.zeros(256, dtype=bool)
    is_note[:v] = (cats == "pitch") | (cats == "rest")
    is_note[VOCAB.id("[")] = True  # a chord starts with "[", counts as one note at "]"
    is_dur = np.zeros(256, dtype=bool)
    is_dur[:v] = cats == "duration"
    dur = np.ones(256, dtype=np.float64)
    for i in np.flatnonzero(is_dur[:v]):
        dur[i] = _duration_value(VOCAB.token(int(i)))
    sounding = np.zeros(256, dtype=bool)  # tokens that carry a length: pitch, rest, chord end
    sounding[:v] = (cats == "pitch") | (cats == "rest")
    sounding[VOCAB.id("]")] = True
    tuplet = np.zeros(256, dtype=np.float64)  # (n: length factor minus one, times n
    for n in range(2, 8):
        q = 3 if n in (2, 4) else 2
        tuplet[VOCAB.id(f"({n}")] = q - n
    meter_len = np.zeros(256, dtype=np.float64)
    for i in VOCAB.ids_of("meter"):
        meter_len[i] = float(bar_length(VOCAB.token(int(i))))
    return {"is_bar": is_bar, "is_note": is_note, "is_dur": is_dur, "dur": dur,
            "sounding": sounding, "tuplet": tuplet, "meter_len": meter_len}


_T = _tables()


def token_durations(ids: np.ndarray) -> np.ndarray:
    """Length contributed by each token, in units of L (see the module rules).

    Pitches inside a chord contribute nothing; the closing ``]`` carries the
    chord's length. Tuplet openers carry the correction for their group.

    Examples
    --------
    >>> token_durations(VOCAB.encode(["C", "2", "[", "C", "E", "]", "/2", "(3", "C", "D", "E"])).tolist()
    [2.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, -1.0, 1.0, 1.0, 1.0]
    """
    ids = np.asarray(ids, dtype=np.uint8)
    n = len(ids)
    nxt = np.empty(n, dtype=np.uint8)
    nxt[:-1] = ids[1:]
    if n:
        nxt[-1] = VOCAB.id("</s>")
    length = np.where(_T["is_dur"][nxt], _T["dur"][nxt], 1.0)
    depth = np.cumsum((ids == VOCAB.id("[")).astype(np.int32) - (ids == VOCAB.id("]")).astype(np.int32))
    out = np.where(_T["sounding"][ids] & ((depth == 0) | (ids == VOCAB.id("]"))), length, 0.0)
    # tuplet correction: (q - n) times the length of the note that follows the opener
    tup = _T["tuplet"][ids]
    if np.any(tup):
        where = np.flatnonzero(tup)
        follow = np.minimum(where + 1, n - 1)
        out[where] = tup[where] * np.where(_T["sounding"][ids[follow]], out[follow], 1.0)
    return out


def bar_table(ids: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bar number (pickup = 0) and offset in the bar (in tokens) of every token.

    Parameters
    ----------
    ids : np.ndarray of uint8 [shape=(N,)]
    offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]

    Returns
    -------
    bars : np.ndarray of uint16 [shape=(N,)]
    bar_offsets : np.ndarray of uint16 [shape=(N,)]
        Saturate at 65535 (no real tune comes near).

    Examples
    --------
    >>> from folkabc.search.index import encode_tunes
    >>> ids, offsets = encode_tunes([["M:3/4", "K:Cmaj", "C", "6", "|", "D", "E"]])
    >>> [a.tolist() for a in bar_table(ids, offsets)]
    [[1, 1, 1, 1, 1, 2, 2, 2], [0, 0, 0, 1, 2, 0, 1, 2]]
    """
    ids = np.asarray(ids, dtype=np.uint8)
    offsets = np.asarray(offsets, dtype=np.int64)
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.uint16), np.zeros(0, dtype=np.uint16)
    n_tunes = len(offsets) - 1
    lengths = np.diff(offsets)
    row = np.repeat(np.arange(n_tunes, dtype=np.int64), lengths)
    is_bar = _T["is_bar"][ids]
    is_note = _T["is_note"][ids]
    # segment = number of bar lines seen so far (global; rows keep segments apart)
    seg = np.cumsum(is_bar)
    notes = np.flatnonzero(is_note)
    start = np.zeros(n, dtype=bool)
    if len(notes):
        first = np.ones(len(notes), dtype=bool)
        first[1:] = (seg[notes[1:]] != seg[notes[:-1]]) | (row[notes[1:]] != row[notes[:-1]])
        start[notes[first]] = True
    count = np.cumsum(start)  # bar starts up to and including each token
    before = np.concatenate(([0], count))[offsets[:-1]]  # starts before each tune
    local = count - before[row]  # 0 before the tune's first note
    # pickup test on each tune's first bar
    starts = np.flatnonzero(start)
    n_starts = len(starts)
    pickup = np.zeros(n_tunes, dtype=bool)
    if n_starts:
        csum = np.concatenate(([0.0], np.cumsum(token_durations(ids))))
        k0 = np.searchsorted(starts, offsets[:-1])
        first_start = starts[np.minimum(k0, n_starts - 1)]
        has = (k0 < n_starts) & (first_start < offsets[1:])
        second = np.where(k0 + 1 < n_starts, starts[np.minimum(k0 + 1, n_starts - 1)], n)
        second = np.minimum(second, offsets[1:])
        first_len = csum[second] - csum[np.where(has, first_start, second)]
        meter_len = _T["meter_len"][ids[offsets[:-1]]]
        pickup = has & (meter_len > 0) & (first_len < meter_len - 1e-9)
    tune_pickup = pickup[row]
    bars = np.where(local == 0, np.where(tune_pickup, 0, 1), local - tune_pickup)
    # offset in bar: distance to the latest bar start at or before the token
    idx = np.arange(n, dtype=np.int64)
    last_start = np.maximum.accumulate(np.where(start, idx, -1))
    tune_start = offsets[:-1][row]
    offs = np.where(last_start >= tune_start, idx - last_start, 0)
    return (np.minimum(bars, 65535).astype(np.uint16), np.minimum(offs, 65535).astype(np.uint16))
