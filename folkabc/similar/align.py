"""Alignment of pitch sequences: many candidates at once in numpy, one traceback in Python.

Scores: a note aligned with the same pitch gains ``MATCH`` (1), with another
pitch loses ``MISMATCH`` (1); a note of either sequence left unaligned (an
ornament note added, a note dropped) loses ``GAP`` (0.5). Gaps are linear, so
the horizontal recurrence of each DP row is one ``np.maximum.accumulate``.

- ``local=False`` (whole tunes): *semi-global* — every note of the query is
  aligned, the candidate may start and end anywhere (free end gaps in it).
- ``local=True`` (figures): Smith–Waterman, both ends free.

The normalised score is the raw score divided by the query length, clipped to
0..1: 1 means every query note was found, in order, with no edit.

Examples
--------
>>> import numpy as np
>>> q = np.array([60, 62, 64, 65, 67])
>>> cands = [np.array([55, 60, 62, 64, 65, 67, 72]), np.array([60, 62, 63, 65, 67]), np.array([70, 71])]
>>> align_scores(q, cands).round(2).tolist()
[1.0, 0.6, 0.0]
>>> align_pairs(q, cands[1])
[(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["align_scores", "align_pairs", "MATCH", "MISMATCH", "GAP"]

MATCH = 1.0
MISMATCH = 1.0
GAP = 0.5
_PAD = -10_000


def _pad(cands: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(c) for c in cands], dtype=np.int64)
    width = int(lengths.max()) if len(cands) else 0
    mat = np.full((len(cands), width), _PAD, dtype=np.int32)
    for k, c in enumerate(cands):
        mat[k, :len(c)] = c
    return mat, lengths


def align_scores(query: np.ndarray, cands: Sequence[np.ndarray], *, local: bool = False) -> np.ndarray:
    """Normalised alignment score (0..1) of ``query`` against each candidate.

    Parameters
    ----------
    query : np.ndarray of int [shape=(m,)]
        Pitches of the query (already transposed as wanted).
    cands : sequence of np.ndarray of int
        Pitches of each candidate.
    local : bool
        Smith–Waterman (figures) instead of semi-global (whole tunes).

    Returns
    -------
    np.ndarray of float [shape=(len(cands),)]

    Examples
    --------
    >>> align_scores(np.array([60, 62, 64]), [np.array([60, 61, 62, 64])]).tolist()
    [0.8333333333333334]
    >>> align_scores(np.array([1, 60, 62, 64, 2]), [np.array([60, 62, 64])], local=True).tolist()
    [0.6]
    """
    q = np.asarray(query, dtype=np.int32)
    m = len(q)
    if m == 0 or len(cands) == 0:
        return np.zeros(len(cands))
    mat, lengths = _pad(cands)
    k, n = mat.shape
    ramp = (GAP * np.arange(n + 1)).astype(np.float32)
    h = np.zeros((k, n + 1), dtype=np.float32)  # row 0: the candidate may start anywhere
    best = np.zeros(k, dtype=np.float32)
    valid = np.arange(1, n + 1)[None, :] <= lengths[:, None]
    subs = {int(v): np.where(mat == v, np.float32(MATCH), np.float32(-MISMATCH)) for v in np.unique(q)}
    t = np.empty((k, n + 1), dtype=np.float32)
    up = np.empty((k, n), dtype=np.float32)
    for i in range(m):
        t[:, 0] = 0.0 if local else -GAP * (i + 1)
        np.add(h[:, :-1], subs[int(q[i])], out=t[:, 1:])
        np.subtract(h[:, 1:], np.float32(GAP), out=up)
        np.maximum(t[:, 1:], up, out=t[:, 1:])
        if local:
            np.maximum(t, 0.0, out=t)
        t += ramp
        np.maximum.accumulate(t, axis=1, out=h)
        h -= ramp
        if local:
            best = np.maximum(best, np.where(valid, h[:, 1:], 0).max(axis=1))
    if not local:
        best = np.where(valid, h[:, 1:], -np.inf).max(axis=1) if n else np.full(k, -np.inf)
        best = np.maximum(best, h[:, 0])
    return np.clip(best.astype(np.float64) / m, 0.0, 1.0)


def align_pairs(query: np.ndarray, cand: np.ndarray, *, local: bool = False) -> list[tuple[int, int]]:
    """The aligned (query note, candidate note) pairs of the best alignment, in order.

    Pairs are both matches and substitutions; notes in gaps are left out.

    Examples
    --------
    >>> align_pairs(np.array([60, 62, 61, 64]), np.array([60, 62, 64]))
    [(0, 0), (1, 1), (3, 2)]
    """
    q = np.asarray(query, dtype=np.int64)
    c = np.asarray(cand, dtype=np.int64)
    m, n = len(q), len(c)
    if m == 0 or n == 0:
        return []
    sub = np.where(q[:, None] == c[None, :], MATCH, -MISMATCH)
    h = np.zeros((m + 1, n + 1))
    if not local:
        h[:, 0] = -GAP * np.arange(m + 1)
    ramp = GAP * np.arange(n + 1)
    for i in range(1, m + 1):
        t = np.empty(n + 1)
        t[0] = h[i, 0]
        np.maximum(h[i - 1, :-1] + sub[i - 1], h[i - 1, 1:] - GAP, out=t[1:])
        if local:
            np.maximum(t, 0.0, out=t)
        h[i] = np.maximum.accumulate(t + ramp) - ramp
    if local:
        i, j = np.unravel_index(int(np.argmax(h)), h.shape)
    else:
        i, j = m, int(np.argmax(h[m]))
    pairs = []
    hl, sl = h.tolist(), sub.tolist()
    i, j = int(i), int(j)
    while i > 0 and j > 0:
        if local and hl[i][j] <= 0:
            break
        if abs(hl[i][j] - (hl[i - 1][j - 1] + sl[i - 1][j - 1])) < 1e-6:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif abs(hl[i][j] - (hl[i - 1][j] - GAP)) < 1e-6:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]
