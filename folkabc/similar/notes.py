"""Token ids → note sequences and the symbol strings that the similarity indexes sort.

Everything here works on plain arrays in the corpus layout (``ids`` of
``uint8``, every tune ``[meter, mode, body..., </s>]``, tune ``k`` being
``ids[offsets[k]:offsets[k+1]]``) and knows only the vocabulary.

Rules (the same for corpus tunes and queries; see ``docs/similar.md``):

- A *note* is a pitch token outside a chord, or the first pitch of a chord
  ``[ ... ]``. Rests, durations, bar lines and groupings are dropped.
- Its MIDI pitch reads the token as ABC does: the letter and octave marks
  (``C`` = 60), then the token's own accidental if it has one, else the
  accidental last written on the same letter and octave earlier in the same
  bar, else the tune's key signature (the mode token, tonic C:
  ``K:Cmin`` flattens E A B, ``K:Cdor`` E B, ``K:Cmix`` B).
- Repeated notes are merged (``c 2`` and ``c c`` are one note ``c``), so a
  note split in two, two notes merged, dotted against even rhythm, change
  nothing. What is left is the *pitch sequence* of the tune.
- Representations derived from it, each one symbol per entry, all ``uint8``
  below 138 and never the ``</s>`` id, so that :func:`folkabc.search.suffix_array`
  sorts them as it sorts token ids:

  ``pitch``     the MIDI pitch (clipped to 35..127);
  ``interval``  ``64 + d`` for the step ``d`` in semitones from one note to
                the next, ``d`` clipped to -24..24 (transposition-invariant);
  ``contour``   ``U`` or ``D`` (Parsons code; repeats are merged, so no ``R``).

Examples
--------
>>> from folkabc.search import encode_tunes
>>> ids, offsets = encode_tunes([["M:4/4", "K:Cmin", "c", "2", "B", "c", "c", "|", "E", "^F", "F", "|", "F"]])
>>> notes = note_table(ids, offsets)
>>> notes.pitch.tolist()        # c B c E♭ F♯ F♯ | F
[72, 70, 72, 63, 66, 65]
>>> notes.position.tolist()     # token offset of each note in its tune
[2, 4, 5, 8, 9, 12]
>>> symbols(notes, "interval")[0].tolist()
[62, 66, 55, 67, 63, 34]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..vocab import VOCAB

__all__ = ["NoteTable", "note_table", "symbols", "REPRESENTATIONS", "token_pitches", "INTERVAL_ZERO"]

#: The representations beside the exact one, in order of tolerance.
REPRESENTATIONS = ("pitch", "interval", "contour")
#: Symbol of a zero step in the ``interval`` representation (step ``d`` is ``INTERVAL_ZERO + d``).
INTERVAL_ZERO = 64

_END = VOCAB.id("</s>")
_NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_LETTER_INDEX = {letter: i for i, letter in enumerate("CDEFGAB")}
_SIGNATURES = {"K:Cmaj": (), "K:Cmin": ("E", "A", "B"), "K:Cdor": ("E", "B"), "K:Cmix": ("B",)}
_ACC = {"^": 1, "_": -1, "=": 0}


def _pitch_tables() -> dict[str, np.ndarray]:
    """Per token id: natural MIDI pitch, letter (0..6), letter-and-octave key, explicit accidental."""
    natural = np.zeros(256, dtype=np.int16)
    letter = np.full(256, -1, dtype=np.int8)
    explicit = np.full(256, -9, dtype=np.int8)  # -9: no accidental written
    is_pitch = np.zeros(256, dtype=bool)
    for i, (tok, cat) in enumerate(zip(VOCAB.tokens, VOCAB.categories)):
        if cat != "pitch":
            continue
        acc = tok[0] if tok[0] in _ACC else ""
        body = tok[len(acc):]
        base = body[0]
        midi = 60 + _NATURAL[base.upper()] + (12 if base.islower() else 0)
        midi += 12 * body.count("'") - 12 * body.count(",")
        natural[i], letter[i], is_pitch[i] = midi, _LETTER_INDEX[base.upper()], True
        if acc:
            explicit[i] = _ACC[acc]
    sig = np.zeros((256, 7), dtype=np.int8)  # key-signature alteration per mode token and letter
    for tok, flats in _SIGNATURES.items():
        for f in flats:
            sig[VOCAB.id(tok), _LETTER_INDEX[f]] = -1
    is_mode = np.zeros(256, dtype=bool)
    is_mode[VOCAB.ids_of("mode")] = True
    is_bar = np.zeros(256, dtype=bool)
    is_bar[[VOCAB.id(t) for t in ("|", "|:", ":|", "|1", "|2")]] = True
    return {"natural": natural, "letter": letter, "explicit": explicit, "is_pitch": is_pitch,
            "sig": sig, "is_mode": is_mode, "is_bar": is_bar}


_T = _pitch_tables()


def token_pitches(ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The sounding MIDI pitch of every token (0 for tokens that are not a note).

    Notes inside a chord after its first pitch get 0 too. See the module rules
    for accidentals (written, carried through the bar, key signature).

    Parameters
    ----------
    ids : np.ndarray of uint8 [shape=(N,)]
    offsets : np.ndarray of int [shape=(n_tunes + 1,)]

    Returns
    -------
    np.ndarray of int16 [shape=(N,)]

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmix", "B", "^c", "c", "|", "c", "[", "E", "G", "]"]])
    >>> token_pitches(ids, offsets).tolist()
    [0, 0, 70, 73, 73, 0, 72, 0, 64, 0, 0, 0]
    """
    ids = np.asarray(ids, dtype=np.uint8)
    offsets = np.asarray(offsets, dtype=np.int64)
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int16)
    tune = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    mode_tok = np.zeros(len(offsets) - 1, dtype=np.int64)
    lengths = np.diff(offsets)
    has2 = lengths >= 2
    second = ids[np.minimum(offsets[:-1] + 1, n - 1)]
    mode_tok[has2] = np.where(_T["is_mode"][second[has2]], second[has2], 0)
    is_pitch = _T["is_pitch"][ids]
    # chords: keep the first pitch after "[", drop the others
    depth = np.cumsum((ids == VOCAB.id("[")).astype(np.int32) - (ids == VOCAB.id("]")).astype(np.int32))
    prev = np.empty(n, dtype=np.uint8)
    prev[0] = _END
    prev[1:] = ids[:-1]
    keep = is_pitch & ((depth <= 0) | (prev == VOCAB.id("[")))
    letter = _T["letter"][ids].astype(np.int64)
    explicit = _T["explicit"][ids]
    base = _T["natural"][ids].astype(np.int16)
    sig_alt = _T["sig"][mode_tok[tune], np.maximum(letter, 0)].astype(np.int16)
    # carry: the last explicit accidental on the same pitch letter+octave (natural midi) in the same bar
    bar = np.cumsum(_T["is_bar"][ids] | (ids == _END))
    marked = is_pitch & (explicit != -9)
    alter = sig_alt.copy()
    if np.any(marked):
        cand = np.flatnonzero(is_pitch)
        group = bar[cand].astype(np.int64) * 256 + base[cand]
        order = np.lexsort((cand, group))
        g, c = group[order], cand[order]
        last = np.where(marked[c], np.arange(len(c)), -1)
        start = np.r_[True, g[1:] != g[:-1]]
        seg = np.cumsum(start) - 1
        seg_start = np.flatnonzero(start)[seg]
        last = np.maximum.accumulate(np.where(last >= 0, last, -1))
        ok = last >= seg_start  # an explicit mark earlier in this bar on this note
        alter[c[ok]] = explicit[c[last[ok]]]
    return np.where(keep, base + alter, 0).astype(np.int16)


@dataclass(frozen=True)
class NoteTable:
    """The pitch sequences of a set of tunes (repeats merged), in one flat array.

    Attributes
    ----------
    pitch : np.ndarray of int16 [shape=(n_notes,)]
        MIDI pitch of each note.
    position : np.ndarray of int32 [shape=(n_notes,)]
        Token offset of the note in its tune (from the meter token).
    offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]
        Tune ``k``'s notes are ``pitch[offsets[k]:offsets[k+1]]``.
    """

    pitch: np.ndarray
    position: np.ndarray
    offsets: np.ndarray

    @property
    def n_tunes(self) -> int:
        """Number of tunes."""
        return len(self.offsets) - 1

    def tune(self, k: int) -> np.ndarray:
        """Pitches of tune ``k``.

        Examples
        --------
        >>> from folkabc.search import encode_tunes
        >>> note_table(*encode_tunes([["M:4/4", "K:Cmaj", "C", "D"]])).tune(0).tolist()
        [60, 62]
        """
        return self.pitch[self.offsets[k]:self.offsets[k + 1]]


def note_table(ids: np.ndarray, offsets: np.ndarray) -> NoteTable:
    """The pitch sequence of every tune of ``(ids, offsets)`` (module rules).

    Parameters
    ----------
    ids : np.ndarray of uint8 [shape=(N,)]
    offsets : np.ndarray of int [shape=(n_tunes + 1,)]

    Returns
    -------
    NoteTable

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> t = note_table(*encode_tunes([["M:6/8", "K:Cmaj", "G", "G", "z", "A", "/2", "B", ">", "c"], ["M:6/8", "K:Cmaj"]]))
    >>> t.pitch.tolist(), t.offsets.tolist()
    ([67, 69, 71, 72], [0, 4, 4])
    """
    ids = np.asarray(ids, dtype=np.uint8)
    offsets = np.asarray(offsets, dtype=np.int64)
    pitches = token_pitches(ids, offsets)
    where = np.flatnonzero(pitches)
    p = pitches[where]
    tune = np.searchsorted(offsets, where, side="right") - 1
    first = np.r_[True, tune[1:] != tune[:-1]] if len(where) else np.zeros(0, dtype=bool)
    keep = first | np.r_[True, p[1:] != p[:-1]] if len(where) else first
    where, p, tune = where[keep], p[keep], tune[keep]
    counts = np.bincount(tune, minlength=len(offsets) - 1) if len(offsets) > 1 else np.zeros(0, np.int64)
    note_offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    return NoteTable(p.astype(np.int16), (where - offsets[tune]).astype(np.int32), note_offsets)


def symbols(notes: NoteTable, rep: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``(ids, offsets)`` layout of one representation: symbols, each tune ended by ``</s>``.

    Entry ``j`` of tune ``k`` stands for note ``j`` of the tune (for ``interval``
    and ``contour``: the step from note ``j`` to note ``j + 1``).

    Parameters
    ----------
    notes : NoteTable
    rep : {"pitch", "interval", "contour"}

    Returns
    -------
    ids : np.ndarray of uint8
    offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]

    Raises
    ------
    ParameterError
        An unknown representation.

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> t = note_table(*encode_tunes([["M:4/4", "K:Cmaj", "C", "E", "D"]]))
    >>> [symbols(t, r)[0].tolist() for r in REPRESENTATIONS]
    [[60, 64, 62, 34], [68, 62, 34], [85, 68, 34]]
    """
    if rep not in REPRESENTATIONS:
        raise ParameterError(f"representation {rep!r} is not one of {', '.join(REPRESENTATIONS)}")
    p = notes.pitch.astype(np.int64)
    offs = notes.offsets
    if rep == "pitch":
        sym = np.clip(p, 35, 127)
        lengths = np.diff(offs)
        starts = offs[:-1]
    else:
        d = np.diff(p) if len(p) else np.zeros(0, np.int64)
        lengths = np.maximum(np.diff(offs) - 1, 0)
        # drop the step that crosses from one tune into the next
        valid = np.ones(len(d), dtype=bool)
        cross = offs[1:-1]
        valid[cross[(cross > 0) & (cross < len(p))] - 1] = False
        d = d[valid] if len(d) else d
        starts = np.r_[0, np.cumsum(lengths)[:-1]] if len(lengths) else np.zeros(0, np.int64)
        sym = INTERVAL_ZERO + np.clip(d, -24, 24) if rep == "interval" else np.where(d > 0, ord("U"), ord("D"))
    n_tunes = len(offs) - 1
    out_offsets = np.r_[0, np.cumsum(lengths + 1)].astype(np.int64)
    out = np.full(int(out_offsets[-1]), _END, dtype=np.uint8)
    if len(sym):
        tune_of = np.repeat(np.arange(n_tunes), lengths)
        within = np.arange(len(sym)) - np.repeat(starts, lengths)
        out[out_offsets[:-1][tune_of] + within] = sym.astype(np.uint8)
    return out, out_offsets
