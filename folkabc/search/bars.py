"""Bar numbers of every token of the corpus, computed in numpy at index build time.

Rules (the same for every tune, see ``docs/search.md``):

- A *bar* is what lies between two measure tokens (``| |: :| |1 |2``), or
  between the tune's mode token and its first measure token, when it holds a
  note, rest or chord; runs of measure tokens with no note between them
  (``:| |:``) start one bar, not two. A tuplet opener or inline meter before
  a bar's first note belongs to that bar. ``[`` and ``]`` are
  chord brackets, not bar lines.
- The first bar is bar 0 (a pickup) when it is shorter than the meter's bar
  (and not the only bar), else bar 1; bars are then numbered on from there,
  first and second endings included, as :func:`folkabc.check` counts them.
- A short bar right after a repeat sign (``:|`` or ``|:``), neither first nor
  last, is the pickup into a part: it keeps the number of the bar before it,
  as musicians count (``... C 3 :| |: D | E C C 2`` — the ``D`` is in bar 8
  when ``C 3`` ends bar 8).
- A measure token belongs to the bar it closes; the tune's meter and mode
  tokens, and any measure tokens before its first note, belong to its first
  bar at offset 0.
- A token's offset in its bar is counted in tokens from the bar's first token
  (a part pickup continues the count of the bar before it).

The pickup test sums note lengths in units of L:1/8 (a note without a
duration token lasts 1, broken rhythm keeps the pair's total, a chord counts
once, a tuplet ``(n`` puts its n notes in the time of q, q as
:func:`folkabc.abc.keys.tuplet_q` says for the meter in force (3 for ``(2`` and
``(4``; 2 for ``(3``; 3 for ``(5`` and ``(7`` in compound meter, else 2) —
approximated as the first note's length times n). Token kinds and lengths come
from the token grammar, :mod:`folkabc.grammar`.

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

from ..grammar import meter_of
from ..vocab import VOCAB
from .lengths import LENGTHS, NO_METER
from .mapped import MEASURE_TOKENS

__all__ = ["MEASURE_IDS", "MEASURE_TOKENS", "bar_table", "bar_length", "token_durations", "tune_rows"]

#: Their ids (of :data:`folkabc.search.mapped.MEASURE_TOKENS`, the bar lines), ascending.
MEASURE_IDS = np.array(sorted(VOCAB.id(t) for t in MEASURE_TOKENS), dtype=np.uint8)


def bar_length(meter: str) -> Fraction:
    """Length of one bar of ``meter`` (a token ``M:n/d``) in units of L:1/8.

    Examples
    --------
    >>> bar_length("M:6/8"), bar_length("M:3/2")
    (Fraction(6, 1), Fraction(12, 1))
    """
    bar = meter_of(meter)[0]
    if bar is None:
        raise ValueError(f"not a meter token with a bar length: {meter!r}")
    return bar


#: Row of the tuplet table for tokens before any meter token (read as a simple meter).
_NO_METER = NO_METER  # (the lengths module's)


def _tables() -> dict[str, np.ndarray]:
    """The token-length tables of :mod:`folkabc.search.lengths` as numpy arrays, and the bar facts."""
    v = len(VOCAB)
    cats = np.array(VOCAB.categories)
    is_bar = np.zeros(256, dtype=bool)
    is_bar[MEASURE_IDS] = True
    is_note = np.zeros(256, dtype=bool)
    is_note[:v] = (cats == "pitch") | (cats == "rest")
    is_note[VOCAB.id("[")] = True  # a chord starts with "[", counts as one note at "]"
    is_dur = np.array([d is not None for d in LENGTHS.duration])
    dur = np.array([1.0 if d is None else d for d in LENGTHS.duration], dtype=np.float64)
    sounding = np.array(LENGTHS.sounding, dtype=bool)  # tokens that carry a length: pitch, rest, chord end
    is_meter = np.array(LENGTHS.is_meter, dtype=bool)
    # [meter in force, tuplet opener]: (length factor minus one) times p = q - p
    tuplet = np.zeros((256, 256), dtype=np.float64)
    is_tuplet = np.zeros(256, dtype=bool)
    for (m, t), corr in LENGTHS.tuplet.items():
        tuplet[m, t] = corr
        is_tuplet[t] = True
    is_repeat = np.zeros(256, dtype=bool)
    is_repeat[[VOCAB.id("|:"), VOCAB.id(":|")]] = True
    meter_len = np.zeros(256, dtype=np.float64)
    for i in VOCAB.ids_of("meter"):
        meter_len[i] = float(bar_length(VOCAB.token(int(i))))
    return {"is_bar": is_bar, "is_note": is_note, "is_dur": is_dur, "dur": dur,
            "sounding": sounding, "tuplet": tuplet, "is_tuplet": is_tuplet, "is_meter": is_meter,
            "meter_len": meter_len, "is_repeat": is_repeat}


_T = _tables()


def token_durations(ids: np.ndarray) -> np.ndarray:
    """Length contributed by each token, in units of L (see the module rules).

    Pitches inside a chord contribute nothing; the closing ``]`` carries the
    chord's length. Tuplet openers carry the correction for their group.

    Examples
    --------
    >>> token_durations(VOCAB.encode(["C", "2", "[", "C", "E", "]", "/2", "(3", "C", "D", "E"])).tolist()
    [2.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, -1.0, 1.0, 1.0, 1.0]
    >>> float(token_durations(VOCAB.encode(["M:6/8", "(5", "C", "D", "E", "F", "G"]))[1])  # 5 in the time of 3
    -2.0
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
    # tuplet correction: (q - n) times the length of the note that follows the opener, q for
    # the meter in force (the last meter token before the opener)
    where = np.flatnonzero(_T["is_tuplet"][ids])
    if len(where):
        meter_at = np.flatnonzero(_T["is_meter"][ids])
        k = np.searchsorted(meter_at, where, side="right") - 1
        rows = np.full(len(where), _NO_METER, dtype=np.int64)
        if len(meter_at):
            rows = np.where(k >= 0, ids[meter_at[np.maximum(k, 0)]], _NO_METER)
        tup = _T["tuplet"][rows, ids[where]]
        follow = np.minimum(where + 1, n - 1)
        out[where] = tup * np.where(_T["sounding"][ids[follow]], out[follow], 1.0)
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
    itype = np.int32 if n < 2**31 - 2 else np.int64
    row = tune_rows(offsets).astype(itype)
    is_bar = _T["is_bar"][ids]
    # segment = number of bar lines seen so far (global; rows keep segments apart)
    seg = np.cumsum(is_bar, dtype=itype)
    notes = np.flatnonzero(_T["is_note"][ids]).astype(itype)
    if len(notes) == 0:
        return np.ones(n, dtype=np.uint16), np.zeros(n, dtype=np.uint16)
    first = np.ones(len(notes), dtype=bool)
    first[1:] = (seg[notes[1:]] != seg[notes[:-1]]) | (row[notes[1:]] != row[notes[:-1]])
    # a written bar starts at the first token after its bar line (a tuplet opener or an
    # inline meter before its first note belongs to it), never before the tune's body
    first_notes = notes[first]
    srow = row[first_notes]
    idx = np.arange(n, dtype=itype)
    last_bar_line = np.maximum.accumulate(np.where(is_bar, idx, -1))
    starts = np.maximum(last_bar_line[first_notes] + 1, offsets[:-1][srow] + 2).astype(itype)
    del seg, notes, first, last_bar_line
    opens = np.ones(len(starts), dtype=bool)  # first bar of its tune
    opens[1:] = srow[1:] != srow[:-1]
    closes = np.ones(len(starts), dtype=bool)  # last bar of its tune
    closes[:-1] = srow[1:] != srow[:-1]
    ends = np.where(closes, offsets[1:][srow], np.append(starts[1:], n))
    csum = np.concatenate(([0.0], np.cumsum(token_durations(ids))))
    short = csum[ends] - csum[starts] < _T["meter_len"][ids[offsets[:-1]][srow]] - 1e-9
    # a short bar right after a repeat sign opens a part: it keeps the previous bar's number
    rep = np.concatenate(([0], np.cumsum(_T["is_repeat"][ids])))
    after_repeat = np.zeros(len(starts), dtype=bool)
    after_repeat[1:] = rep[starts[1:]] > rep[starts[:-1]]
    part_pickup = short & after_repeat & ~opens & ~closes
    counted = ~part_pickup
    # bar number of each written bar: 0 for an opening pickup, else counted from 1
    pickup_tune = np.zeros(len(offsets) - 1, dtype=bool)
    pickup_tune[srow[opens]] = short[opens] & ~closes[opens]
    cum = np.cumsum(counted)
    number = cum - cum[opens][np.cumsum(opens) - 1] + 1 - pickup_tune[srow]
    # spread to tokens: each token takes the last bar start at or before it; tokens before
    # their tune's first bar start (meter, mode, leading bar lines) take the first bar, offset 0
    marker = np.zeros(n, dtype=itype)
    marker[starts] = 1
    k = np.cumsum(marker, dtype=itype)
    k -= 1
    del marker
    first_start = np.full(len(offsets) - 1, n, dtype=itype)
    first_start[srow[opens]] = starts[opens]
    inside = idx >= first_start[row]
    np.maximum(k, 0, out=k)
    bars = np.where(inside, np.minimum(number, 65535).astype(np.uint16)[k],
                    np.where(pickup_tune, 0, 1).astype(np.uint16)[row])
    # offset from the start of the counted bar (a part pickup continues the bar before it)
    counted_start = np.maximum.accumulate(np.where(counted, starts, 0))
    offs = np.where(inside, np.minimum(idx - counted_start[k], 65535), 0).astype(np.uint16)
    return bars, offs


def tune_rows(offsets: np.ndarray) -> np.ndarray:
    """The tune row of every token of the corpus layout.

    Examples
    --------
    >>> tune_rows(np.array([0, 2, 5])).tolist()
    [0, 0, 1, 1, 1]
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
