"""A suffix array over token ids: exact n-gram counts and positions (knows ids only).

The corpus stores every tune as ``[meter, mode, body..., </s>]`` in one
``uint8`` array ``ids``, tune ``k`` being ``ids[offsets[k]:offsets[k+1]]``.
:class:`SuffixIndex` sorts the suffixes of that array, each suffix cut at the
end of its own tune (after its ``</s>``), so a query that holds no ``</s>``
can never match across two tunes, and the sort never has to look further
than the longest tune.

The sort is prefix doubling in numpy (Manber & Myers, with Larsson &
Sadakane's trick of re-sorting only the groups that are still tied): a
counting sort on the first two tokens, then each two-token bucket sorted on its
first 8 tokens packed into one ``uint64`` key; each later pass doubles the
compared length but only over the suffixes still tied with a neighbour,
which in folk music shrink fast. Memory stays lean: positions and ranks are
``int32`` when they fit, and every step works on one bucket or one run of
whole tied groups of about ``chunk`` suffixes, so besides ``ids``, ``sa`` and
the ranks (9 bytes a token) the scratch is bounded by the chunk or the largest
bucket, not by N.

``find`` is a binary search on raw bytes (``bisect`` with a key reading
``ids[p:p+m]``), O(m log N); ``count`` is the width of that range and
``positions`` maps the range back to (tune row, offset in tune).

``tunes_in_range`` counts the *distinct tunes* of a range without visiting
it: with ``prev[j]`` = 1 + the last suffix-array slot before ``j`` holding a
suffix of the same tune (0 when none), the tunes of ``sa[lo:hi]`` are the
slots ``j`` in the range with ``prev[j] <= lo`` (the first of their tune in
the range). The range is cut into blocks of 65,536 slots whose ``prev``
values are also stored sorted (``prev_sorted``), so each whole block costs
one binary search and only the two partial blocks are scanned:
O((hits / 65,536) · log + 65,536) whatever the hit count (Muthukrishnan's
document-listing array with a blocked dominance count).

Files written by :meth:`SuffixIndex.save` (next to the corpus's
``ids.npy`` / ``offsets.npy``): ``sa.npy`` (suffix array, ``uint32`` when
N < 2**32), ``bars.npy`` (per-token bar number, ``uint16``),
``bar_offsets.npy`` (per-token offset in its bar, in tokens, ``uint16``),
``tune_prev.npy`` / ``tune_prev_sorted.npy`` (the tune-count arrays above, same
dtype as ``sa``; optional: an index saved without them computes them on first
use) and ``search.json`` (format, version, sizes, each array's SHA-256, checked on load, and
each array's size and time, so that an array untouched since the save need not be read to be
trusted: :func:`folkabc.search.mapped.unstamped`).

The queries themselves (``find``, ``tunes_in_range``, the places of listed matches) are
:mod:`folkabc.search.mapped`'s pure-Python functions run on memoryviews of these arrays, the
same code the numpy-free one-shot search runs.

Examples
--------
>>> import numpy as np
>>> from folkabc.vocab import VOCAB
>>> tunes = [["M:4/4", "K:Cmaj", "G,", "C", "C", "2", "|", "G,", "C", "E", "C", "|"],
...          ["M:6/8", "K:Cmaj", "C", "C", "2", "G,", "C", "|"]]
>>> ids, offsets = encode_tunes(tunes)
>>> index = SuffixIndex.build(ids, offsets)
>>> index.count(VOCAB.encode(["C", "C", "2"]))
2
>>> rows, offs = index.positions(VOCAB.encode(["G,", "C"]))
>>> rows.tolist(), offs.tolist()
([0, 0, 1], [2, 7, 5])
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .._io import atomic_write
from .._npy import load_npy
from ..errors import IndexFileError, ParameterError, UnknownTokenError
from ..vocab import VOCAB
from .bars import bar_table
from .mapped import TUNE_BLOCK, OffsetBytes, count_tunes, find_range, places, stamps, unstamped
from .results import Place

__all__ = ["SuffixIndex", "encode_tunes", "suffix_array", "tune_prev", "TUNE_BLOCK", "INDEX_FORMAT",
           "INDEX_VERSION"]

INDEX_FORMAT = "folkabc-suffix-index"
INDEX_VERSION = 1

_END = VOCAB.id("</s>")
_META = "search.json"
_FILES = ("sa.npy", "bars.npy", "bar_offsets.npy")
_TUNE_FILES = ("tune_prev.npy", "tune_prev_sorted.npy")


def encode_tunes(tunes: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Token lists → the corpus layout ``(ids, offsets)``, each tune followed by ``</s>``.

    Parameters
    ----------
    tunes : iterable of sequence of str
        Each tune as ``[meter, mode, *body]`` (vocabulary tokens only).

    Returns
    -------
    ids : np.ndarray of uint8
        All tunes concatenated, each ending with ``</s>``.
    offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]
        Tune ``k`` is ``ids[offsets[k]:offsets[k+1]]``.

    Raises
    ------
    UnknownTokenError
        A token outside the vocabulary (naming tune, token and position).

    Examples
    --------
    >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C"]])
    >>> offsets.tolist(), VOCAB.decode(ids)
    ([0, 4], ['M:4/4', 'K:Cmaj', 'C', '</s>'])
    """
    parts: list[np.ndarray] = []
    lengths = [0]
    for k, toks in enumerate(tunes):
        try:
            enc = VOCAB.encode(toks)
        except UnknownTokenError as exc:
            raise UnknownTokenError(exc.token, tune=k + 1, position=exc.position) from None
        parts.append(enc)
        parts.append(np.array([_END], dtype=np.uint8))
        lengths.append(len(enc) + 1)
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
    return ids.astype(np.uint8, copy=False), np.cumsum(lengths, dtype=np.int64)


def _check_layout(ids: np.ndarray, offsets: np.ndarray) -> None:
    """Raise :class:`ParameterError` unless ``(ids, offsets)`` is the corpus layout."""
    if ids.ndim != 1 or ids.dtype != np.uint8:
        raise ParameterError(f"ids must be a 1-d uint8 array, got {ids.dtype} with shape {ids.shape}")
    if offsets.ndim != 1 or len(offsets) < 1 or not np.issubdtype(offsets.dtype, np.integer):
        raise ParameterError("offsets must be a 1-d integer array of n_tunes + 1 entries")
    if offsets[0] != 0 or offsets[-1] != len(ids):
        raise ParameterError(
            f"offsets must run from 0 to len(ids)={len(ids)}, got {int(offsets[0])}..{int(offsets[-1])}")
    if len(offsets) > 1 and np.any(np.diff(offsets) < 1):
        raise ParameterError("offsets must be strictly increasing (every tune ends with </s>)")
    if len(offsets) > 1 and np.any(ids[offsets[1:] - 1] != _END):
        k = int(np.flatnonzero(ids[offsets[1:] - 1] != _END)[0])
        raise ParameterError(f"tune row {k} does not end with </s>")


def suffix_array(ids: np.ndarray, offsets: np.ndarray, *, chunk: int = 1 << 21) -> np.ndarray:
    """Sort the suffixes of ``ids``, each cut after the ``</s>`` that ends its tune.

    Suffixes whose cut strings are equal (e.g. the same tune tail twice) keep
    an arbitrary but fixed order; every query without ``</s>`` sees a
    contiguous, correctly ordered range.

    Parameters
    ----------
    ids : np.ndarray of uint8 [shape=(N,)]
    offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]
    chunk : int
        Suffixes handled per numpy step (scratch memory is a few dozen bytes per
        suffix of a chunk, or of the largest first-token bucket or tied group).

    Returns
    -------
    np.ndarray [shape=(N,)]
        Start positions of the sorted suffixes, ``uint32`` when N < 2**32
        else ``int64``.

    Examples
    --------
    >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"]])
    >>> sa = suffix_array(ids, offsets)
    >>> suffixes = [ids[p:].tobytes() for p in sa]
    >>> suffixes == sorted(suffixes), sa.dtype
    (True, dtype('uint32'))
    """
    n = len(ids)
    pdtype = np.uint32 if n < 2**32 - 1 else np.int64
    if n == 0:
        return np.zeros(0, dtype=pdtype)
    itype = np.int32 if n < 2**31 - 2 else np.int64  # working positions and ranks
    offsets = np.asarray(offsets, dtype=np.int64)
    max_len = int(np.diff(offsets).max())

    def rem_of(pos: np.ndarray) -> np.ndarray:
        """Tokens from each position to the end of its tune, its </s> included."""
        return offsets[np.searchsorted(offsets, pos, side="right")] - pos

    # 1. counting sort on the first two symbols (symbol = id + 1, 0 past the end of the tune),
    #    a chunk of positions at a time: buckets of suffixes that share their first two tokens
    def two(a: int, b: int) -> np.ndarray:
        first = ids[a:b].astype(np.int32) + 1
        second = ids[a + 1:b + 1].astype(np.int32) + 1
        if len(second) < len(first):
            second = np.append(second, 0)
        second[first == _END + 1] = 0  # </s> ends its suffix
        return first * 257 + second

    counts = np.zeros(257 * 257, dtype=np.int64)
    for a in range(0, n, chunk):
        counts += np.bincount(two(a, min(n, a + chunk)), minlength=257 * 257)
    bucket_lo = np.concatenate([[0], np.cumsum(counts)])
    fill = bucket_lo[:-1].copy()
    sa = np.empty(n, dtype=itype)
    for a in range(0, n, chunk):
        c = two(a, min(n, a + chunk))
        order = np.argsort(c, kind="stable").astype(itype)
        cnt = np.bincount(c, minlength=257 * 257)
        del c
        cut = np.concatenate([[0], np.cumsum(cnt)])
        for v in np.flatnonzero(cnt):
            sa[fill[v]:fill[v] + cnt[v]] = order[cut[v]:cut[v + 1]] + a
            fill[v] += cnt[v]
        del order
    # 2. each bucket sorted on its first 8 tokens packed base 139 into a uint64 (the same
    #    symbols); equal keys form one tied group
    width = 8
    rank = np.empty(n, dtype=itype)
    boundary = np.empty(n, dtype=bool)  # True where a tied group starts
    for v in np.flatnonzero(counts):
        lo_b, hi_b = int(bucket_lo[v]), int(bucket_lo[v + 1])
        pos = sa[lo_b:hi_b].astype(np.int64)
        nb = boundary[lo_b:hi_b]
        if len(pos) == 1:
            nb[0] = True
            rank[pos] = lo_b
            continue
        r = rem_of(pos)
        key = np.zeros(len(pos), dtype=np.uint64)
        for j in range(width):
            tok = ids[np.minimum(pos + j, n - 1)].astype(np.uint64) + np.uint64(1)
            tok[r <= j] = 0
            key *= np.uint64(139)
            key += tok
            del tok
        del r
        sub = np.argsort(key)
        key = key[sub]
        pos = pos[sub]
        del sub
        sa[lo_b:hi_b] = pos
        nb[0] = True
        np.not_equal(key[1:], key[:-1], out=nb[1:])
        del key
        rank[pos] = np.maximum.accumulate(np.where(nb, np.arange(lo_b, hi_b, dtype=itype), 0))
        del pos
    # 3. prefix doubling over the tied groups only, a run of whole groups at a time
    k = width

    def next_start(x: int) -> int:
        """The first group start at or after slot ``x`` (``n`` when none)."""
        while x < n:
            w = boundary[x:x + chunk]
            i = int(np.argmax(w))
            if w[i]:
                return x + i
            x += chunk
        return n

    while k < max_len:
        progress = False
        a = 0
        while a < n:
            # the run [a, e): whole groups, about ``chunk`` slots (one big group may exceed it)
            e = next_start(a + chunk)
            bnd = boundary[a:e]
            single = bnd.copy()
            single[:-1] &= bnd[1:]  # a group of one: starts here and the next slot starts another
            act = np.flatnonzero(~single)
            del single
            if len(act) == 0:
                a = e
                continue
            act += a
            s = sa[act].astype(np.int64)
            srem = rem_of(s)
            if int(srem.max()) > k:
                progress = True
            r2 = np.where(srem > k, rank[np.minimum(s + k, n - 1)].astype(np.int64) + 1, 0)
            del srem
            comp = rank[s].astype(np.int64) * (n + 1) + r2
            del r2
            sub = np.argsort(comp)
            s = s[sub]
            comp = comp[sub]
            del sub
            sa[act] = s
            nb = np.empty(len(act), dtype=bool)
            nb[0] = True
            np.not_equal(comp[1:], comp[:-1], out=nb[1:])
            del comp
            boundary[act] = nb
            rank[s] = np.maximum.accumulate(np.where(nb, act.astype(itype), 0))
            del s, nb, act
            a = e
        if not progress:
            break  # every tied group is tied over its whole cut suffix
        k *= 2
    del rank, boundary
    if sa.dtype == np.int32 and pdtype == np.uint32:
        return sa.view(np.uint32)  # positions are non-negative: no copy
    return sa.astype(pdtype)


def tune_prev(sa: np.ndarray, offsets: np.ndarray, *, chunk: int = 1 << 21, sorted_blocks: bool = True):
    """The tune-count arrays of a suffix array: ``prev`` and ``prev`` sorted block by block.

    ``prev[j]`` is 1 + the largest slot ``i < j`` whose suffix ``sa[i]`` lies in
    the same tune as ``sa[j]``, or 0 when ``j`` is that tune's first slot. The
    distinct tunes of ``sa[lo:hi]`` are then ``#{j in [lo, hi): prev[j] <= lo}``.
    Built in chunks of ``chunk`` slots (memory O(chunk + n_tunes) besides the output).

    Parameters
    ----------
    sa : np.ndarray [shape=(N,)]
    offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]
    chunk : int
    sorted_blocks : bool
        Also return ``prev_sorted`` (default); False returns ``prev`` alone.

    Returns
    -------
    prev : np.ndarray [shape=(N,)]
        ``uint32`` when N < 2**32 - 1, else ``int64``.
    prev_sorted : np.ndarray [shape=(N // TUNE_BLOCK * TUNE_BLOCK,)]
        Each whole block of :data:`TUNE_BLOCK` slots of ``prev``, sorted.

    Examples
    --------
    >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C"], ["M:4/4", "K:Cmaj", "C"]])
    >>> sa = suffix_array(ids, offsets)
    >>> prev, _ = tune_prev(sa, offsets)
    >>> lo, hi = 0, len(sa)  # every slot: two tunes start their run of slots here
    >>> int(np.count_nonzero(prev[lo:hi] <= lo))
    2
    """
    n = len(sa)
    pdtype = np.uint32 if n < 2**32 - 1 else np.int64
    offsets = np.asarray(offsets, dtype=np.int64)
    prev = np.empty(n, dtype=pdtype)
    last = np.zeros(max(len(offsets) - 1, 0), dtype=pdtype)  # 1 + the last slot seen of each tune
    for a in range(0, n, chunk):
        s = np.asarray(sa[a:a + chunk], dtype=np.int64)
        rows = np.searchsorted(offsets, s, side="right") - 1
        del s
        order = np.argsort(rows, kind="stable")
        rs = rows[order]
        del rows
        first = np.empty(len(rs), dtype=bool)
        first[0] = True
        np.not_equal(rs[1:], rs[:-1], out=first[1:])
        pv = np.empty(len(rs), dtype=pdtype)
        pv[1:] = order[:-1] + (a + 1)  # the slot before in the same tune (stable: smaller)
        pv[first] = last[rs[first]]
        prev[order + a] = pv
        del pv
        last_of = np.empty(len(rs), dtype=bool)
        last_of[-1] = True
        last_of[:-1] = first[1:]
        last[rs[last_of]] = order[last_of] + (a + 1)
        del order, rs, first, last_of
    del last
    if not sorted_blocks:
        return prev
    return prev, _sorted_blocks(prev, chunk=chunk)


def _tune_prev_only(sa, offsets, *, chunk: int = 1 << 21) -> np.ndarray:
    """``prev`` of :func:`tune_prev` alone (write drops ``sa`` before sorting the blocks)."""
    return tune_prev(sa, offsets, chunk=chunk, sorted_blocks=False)


def _sorted_blocks(prev: np.ndarray, *, chunk: int = 1 << 21) -> np.ndarray:
    """Each whole block of :data:`TUNE_BLOCK` slots of ``prev``, sorted (a few blocks at a time)."""
    nb = len(prev) // TUNE_BLOCK
    prev_sorted = np.empty(nb * TUNE_BLOCK, dtype=prev.dtype)
    step = max(1, chunk // TUNE_BLOCK)
    for b in range(0, nb, step):
        e = min(nb, b + step)
        block = prev[b * TUNE_BLOCK:e * TUNE_BLOCK].reshape(e - b, TUNE_BLOCK)
        prev_sorted[b * TUNE_BLOCK:e * TUNE_BLOCK] = np.sort(block, axis=1).ravel()
    return prev_sorted


def _bar_table_chunked(ids: np.ndarray, offsets: np.ndarray, *, chunk: int = 1 << 21) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~folkabc.search.bars.bar_table` over runs of whole tunes of about ``chunk`` tokens.

    Tunes are independent, so the result equals one call over everything while the
    scratch memory is bounded by the run, not by N.
    """
    n = len(ids)
    bars = np.empty(n, dtype=np.uint16)
    bar_offsets = np.empty(n, dtype=np.uint16)
    n_tunes = len(offsets) - 1
    r = 0
    while r < n_tunes:
        e = int(np.searchsorted(offsets, offsets[r] + chunk, side="right")) - 1
        e = min(max(e, r + 1), n_tunes)
        a, b = int(offsets[r]), int(offsets[e])
        bars[a:b], bar_offsets[a:b] = bar_table(ids[a:b], offsets[r:e + 1] - a)
        r = e
    return bars, bar_offsets


class SuffixIndex:
    """Exact n-gram index over the corpus token ids (a suffix array).

    Build one with :meth:`build`, store it with :meth:`save`, open it with
    :meth:`load` (memory-mapped). Query with :meth:`find`, :meth:`count`,
    :meth:`positions` and :meth:`tunes_containing`.

    Attributes
    ----------
    ids : np.ndarray of uint8 [shape=(N,)]
    offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]
    sa : np.ndarray [shape=(N,)]
        Suffix start positions in sorted order.
    bars, bar_offsets : np.ndarray of uint16 [shape=(N,)]
        Bar number of each token (pickup = bar 0) and its offset in the bar,
        in tokens (see :func:`folkabc.search.bars.bar_table`).

    Examples
    --------
    >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "|", "C", "D"]])
    >>> index = SuffixIndex.build(ids, offsets)
    >>> lo, hi = index.find(VOCAB.encode(["C", "D"]))
    >>> hi - lo, index.count(VOCAB.encode(["D", "C"]))
    (2, 0)
    """

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, sa: np.ndarray,
                 bars: np.ndarray, bar_offsets: np.ndarray, *, buffer=None,
                 tune_arrays: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.ids = ids
        self.offsets = offsets
        self.sa = sa
        self.bars = bars
        self.bar_offsets = bar_offsets
        self._buf = buffer if buffer is not None else ids.tobytes()
        self._tune_arrays = tune_arrays  # (prev, prev_sorted) of :func:`tune_prev`, made on first use
        self._mv: dict[str, memoryview] | None = None

    # ------------------------------------------------------------------ build / io
    @classmethod
    def build(cls, ids: np.ndarray, offsets: np.ndarray) -> "SuffixIndex":
        """Build the index over ``ids`` split into tunes by ``offsets``.

        Parameters
        ----------
        ids : np.ndarray of uint8 [shape=(N,)]
            Token ids, each tune ending with ``</s>``.
        offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]

        Returns
        -------
        SuffixIndex

        Raises
        ------
        ParameterError
            When ``ids``/``offsets`` are not the corpus layout.

        See Also
        --------
        load : open a saved index.

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "|"]])
        >>> len(SuffixIndex.build(ids, offsets))
        5
        """
        ids = np.ascontiguousarray(ids)
        offsets = np.asarray(offsets, dtype=np.int64)
        _check_layout(ids, offsets)
        bars, bar_offsets = _bar_table_chunked(ids, offsets)
        sa = suffix_array(ids, offsets)
        return cls(ids, offsets, sa, bars, bar_offsets, tune_arrays=tune_prev(sa, offsets))

    @classmethod
    def write(cls, ids: np.ndarray, offsets: np.ndarray, directory: str | os.PathLike) -> "SuffixIndex":
        """Build the index straight into ``directory`` and open it (memory-mapped).

        The same files as ``build(ids, offsets).save(directory)``, but each array is
        written and dropped as soon as it is made, so the peak memory is that of
        the suffix-array sort (about 10 bytes a token plus bounded scratch) or of
        the tune-count arrays (9 bytes a token), never all arrays at once.

        Returns
        -------
        SuffixIndex
            :meth:`load` of ``directory``.

        Raises
        ------
        ParameterError
            When ``ids``/``offsets`` are not the corpus layout.
        IndexFileError
            When a file cannot be written.

        Examples
        --------
        >>> import tempfile
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"]])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     SuffixIndex.write(ids, offsets, d).count(VOCAB.encode(["C"]))
        2
        """
        ids = np.ascontiguousarray(ids)
        offsets = np.asarray(offsets, dtype=np.int64)
        _check_layout(ids, offsets)
        directory = Path(directory)
        digests: dict[str, str] = {}

        def put(name: str, arr: np.ndarray, *, unless_held: bool = False) -> None:
            digests[name] = _digest(arr)
            if not (unless_held and _holds(directory / name, arr)):
                atomic_write(directory / name, lambda f: np.save(f, np.asarray(arr)), error=IndexFileError)

        try:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / _META).unlink(missing_ok=True)  # no stale index while the files change
            put("ids.npy", ids, unless_held=True)
            put("offsets.npy", offsets, unless_held=True)
            bars, bar_offsets = _bar_table_chunked(ids, offsets)
            put("bars.npy", bars)
            put("bar_offsets.npy", bar_offsets)
            del bars, bar_offsets
            sa = suffix_array(ids, offsets)
            put("sa.npy", sa)
            sa_dtype = str(sa.dtype)
            prev = _tune_prev_only(sa, offsets)
            del sa
            put("tune_prev.npy", prev)
            prev_sorted = _sorted_blocks(prev)
            put("tune_prev_sorted.npy", prev_sorted)
            del prev, prev_sorted
            meta = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "n_tokens": len(ids),
                    "n_tunes": len(offsets) - 1, "sa_dtype": sa_dtype, "sha256": digests}
            _write_meta(directory, meta)
        except OSError as exc:
            raise IndexFileError(f"cannot write index: {exc.strerror or exc}", path=str(directory)) from exc
        return cls.load(directory, mmap=True)

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the index files into ``directory`` (atomically, file by file).

        ``ids.npy`` and ``offsets.npy`` are written too unless the directory
        already holds the same arrays (the corpus writes its own).

        Returns
        -------
        Path
            The directory.

        See Also
        --------
        load : the inverse.

        Examples
        --------
        >>> import tempfile
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"]])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = SuffixIndex.build(ids, offsets).save(d)
        ...     SuffixIndex.load(d).count(VOCAB.encode(["C"]))
        2
        """
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            prev, prev_sorted = self.tune_arrays
            arrays = {"sa.npy": self.sa, "bars.npy": self.bars, "bar_offsets.npy": self.bar_offsets,
                      "tune_prev.npy": prev, "tune_prev_sorted.npy": prev_sorted}
            for name, arr in (("ids.npy", self.ids), ("offsets.npy", self.offsets)):
                if not _holds(directory / name, arr):  # never pair new sa.npy with stale ids
                    arrays[name] = arr
            for name, arr in arrays.items():
                atomic_write(directory / name, lambda f, a=arr: np.save(f, np.asarray(a)), error=IndexFileError)
            meta = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "n_tokens": len(self.ids),
                    "n_tunes": len(self.offsets) - 1, "sa_dtype": str(self.sa.dtype),
                    "sha256": {name: _digest(arr) for name, arr in (
                        ("ids.npy", self.ids), ("offsets.npy", self.offsets), ("sa.npy", self.sa),
                        ("bars.npy", self.bars), ("bar_offsets.npy", self.bar_offsets),
                        ("tune_prev.npy", prev), ("tune_prev_sorted.npy", prev_sorted))}}
            _write_meta(directory, meta)
        except OSError as exc:
            raise IndexFileError(f"cannot write index: {exc.strerror or exc}", path=str(directory)) from exc
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike, *, mmap: bool = True,
             verify: bool | None = None) -> "SuffixIndex":
        """Open an index written by :meth:`save`.

        Parameters
        ----------
        directory : path
            Holds ``ids.npy``, ``offsets.npy``, ``sa.npy``, ``bars.npy``,
            ``bar_offsets.npy`` and ``search.json``.
        mmap : bool
            Memory-map the arrays (default) instead of reading them.
        verify : bool or None
            Check each array against the SHA-256 that :meth:`save` recorded. None
            (default): when the arrays total at most 256 MB, each array not known
            unchanged since the save (its size and time as recorded, and older than
            ``search.json``: :func:`folkabc.search.mapped.unstamped`), so a damaged or
            rewritten file of the right size is refused while an untouched index opens
            without reading it all; a larger index is checked on ``verify=True`` only
            (every array then; reading it all defeats the memory map).

        Raises
        ------
        IndexFileError
            A file missing, unreadable, of another format or version, of
            sizes that disagree, or (verified) whose contents changed (naming the file).

        Examples
        --------
        >>> import tempfile
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"]])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = SuffixIndex.build(ids, offsets).save(d)
        ...     SuffixIndex.load(d, mmap=False).positions(VOCAB.encode(["D"]))[1].tolist()
        [3]
        """
        directory = Path(directory)
        meta_path = directory / _META
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexFileError("no search index here (search.json missing)", path=str(directory)) from None
        except (OSError, ValueError) as exc:
            raise IndexFileError(f"unreadable: {exc}", path=str(meta_path)) from exc
        if not isinstance(meta, dict) or meta.get("format") != INDEX_FORMAT:
            raise IndexFileError(f"not a {INDEX_FORMAT} file", path=str(meta_path))
        if meta.get("version") != INDEX_VERSION:
            raise IndexFileError(
                f"index version {meta.get('version')!r}, this folkabc reads version {INDEX_VERSION}",
                path=str(meta_path))
        mode = "r" if mmap else None
        digests = meta.get("sha256") if isinstance(meta.get("sha256"), dict) else {}
        names = ("ids.npy", "offsets.npy") + _FILES
        if all(name in digests for name in _TUNE_FILES):  # indexes saved before them lack them
            names += _TUNE_FILES
        arrays = {name: _load_array(directory / name, mode) for name in names}
        ids, offsets, sa = arrays["ids.npy"], arrays["offsets.npy"], arrays["sa.npy"]
        n = meta.get("n_tokens")
        expect = {"ids.npy": (n, np.uint8), "sa.npy": (n, None), "bars.npy": (n, np.uint16),
                  "bar_offsets.npy": (n, np.uint16), "offsets.npy": ((meta.get("n_tunes") or 0) + 1, None)}
        if "tune_prev.npy" in arrays:
            expect["tune_prev.npy"] = (n, sa.dtype)
            expect["tune_prev_sorted.npy"] = ((n or 0) // TUNE_BLOCK * TUNE_BLOCK, sa.dtype)
        for name, (size, dtype) in expect.items():
            arr = arrays[name]
            if arr.ndim != 1 or len(arr) != size or (dtype is not None and arr.dtype != dtype):
                raise IndexFileError(
                    f"holds {arr.dtype} {arr.shape}, expected {size} entries"
                    + (f" of {np.dtype(dtype)}" if dtype else ""), path=str(directory / name))
        if not np.issubdtype(sa.dtype, np.integer) or not np.issubdtype(offsets.dtype, np.integer):
            raise IndexFileError("holds non-integer positions", path=str(directory / "sa.npy"))
        if len(offsets) and (offsets[0] != 0 or offsets[-1] != n):
            raise IndexFileError("offsets do not span ids", path=str(directory / "offsets.npy"))
        held = [name for name in digests if name in arrays]
        if verify is None:  # small: every array not known unchanged since the save
            check = unstamped(directory, meta, held) if sum(a.nbytes for a in arrays.values()) <= _VERIFY_BYTES else []
        else:
            check = held if verify else []  # on request (a large index), or never
        for name in check:
            if _digest(arrays[name]) != digests[name]:
                raise IndexFileError("contents differ from the SHA-256 recorded when the index was "
                                     "saved (a damaged file): rebuild the index", path=str(directory / name))
        buffer = _byte_view(directory / "ids.npy", ids) if mmap else None
        tune_arrays = ((arrays["tune_prev.npy"], arrays["tune_prev_sorted.npy"])
                       if "tune_prev.npy" in arrays else None)
        return cls(ids, np.asarray(offsets, dtype=np.int64), sa, arrays["bars.npy"],
                   arrays["bar_offsets.npy"], buffer=buffer, tune_arrays=tune_arrays)

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_tunes(self) -> int:
        """Number of tunes (rows) indexed."""
        return len(self.offsets) - 1

    def _query_bytes(self, query_ids) -> bytes:
        q = np.asarray(query_ids)
        if q.ndim != 1:
            raise ParameterError(f"query_ids must be 1-d, got shape {q.shape}")
        if len(q) and (not np.issubdtype(q.dtype, np.integer) or q.min() < 0 or q.max() > 255):
            raise ParameterError("query_ids must be token ids (integers 0..255)")
        q = q.astype(np.uint8)
        if np.any(q == _END):
            raise ParameterError(
                f"query_ids hold </s> at position {int(np.flatnonzero(q == _END)[0])}; "
                "a figure cannot span the end of a tune")
        return q.tobytes()

    def find(self, query_ids, *, hint: tuple[int, int] | None = None) -> tuple[int, int]:
        """The suffix-array range ``[lo, hi)`` of suffixes starting with ``query_ids``.

        O(m log N) byte comparisons. An empty query matches everything.

        Parameters
        ----------
        query_ids : array-like of int [shape=(m,)]
            Token ids, without ``</s>``.
        hint : (int, int) or None
            A range known to hold every match, e.g. the range of a prefix of
            ``query_ids``; the search stays inside it.

        Returns
        -------
        (int, int)
            ``lo, hi``; ``hi - lo`` is the number of occurrences.

        Raises
        ------
        ParameterError
            A query that is not 1-d ids, or that holds ``</s>``.

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"]])
        >>> lo, hi = SuffixIndex.build(ids, offsets).find(VOCAB.encode(["C"]))
        >>> hi - lo
        2
        """
        qb = self._query_bytes(query_ids)
        lo, hi = (0, len(self.sa)) if hint is None else (int(hint[0]), int(hint[1]))
        return find_range(self._buf, self.views["sa"], qb, lo, hi)

    def count(self, query_ids) -> int:
        """Number of occurrences of ``query_ids`` in the corpus.

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"], ["M:4/4", "K:Cmaj", "C"]])
        >>> SuffixIndex.build(ids, offsets).count(VOCAB.encode(["C"]))
        3
        """
        lo, hi = self.find(query_ids)
        return hi - lo

    def positions(self, query_ids) -> tuple[np.ndarray, np.ndarray]:
        """Every occurrence as (tune row, token offset within the tune), in corpus order.

        Returns
        -------
        rows : np.ndarray of int64
            Row of the tune (index into ``offsets``).
        offsets_in_tune : np.ndarray of int64
            Token offset of the match start from the tune's first token
            (its meter token).

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"], ["M:4/4", "K:Cmaj", "C"]])
        >>> rows, offs = SuffixIndex.build(ids, offsets).positions(VOCAB.encode(["C"]))
        >>> rows.tolist(), offs.tolist()
        ([0, 0, 1], [2, 4, 2])
        """
        lo, hi = self.find(query_ids)
        return self.range_positions(lo, hi)

    def range_positions(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(tune row, offset in tune) of the suffixes ``sa[lo:hi]``, in corpus order.

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C"]])
        >>> [a.tolist() for a in SuffixIndex.build(ids, offsets).range_positions(0, 4)]
        [[0, 0, 0, 0], [0, 1, 2, 3]]
        """
        starts = np.sort(np.asarray(self.sa[lo:hi], dtype=np.int64))
        rows = self.rows_of(starts)
        return rows, starts - self.offsets[rows]

    def rows_of(self, starts: np.ndarray) -> np.ndarray:
        """The tune row of each global token position in ``starts``.

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj"], ["M:4/4", "K:Cmaj"]])
        >>> SuffixIndex.build(ids, offsets).rows_of(np.array([0, 3])).tolist()
        [0, 1]
        """
        return np.searchsorted(self.offsets, np.asarray(starts, dtype=np.int64), side="right") - 1

    @property
    def tune_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(prev, prev_sorted)`` of :func:`tune_prev` (computed on first use when not stored)."""
        if self._tune_arrays is None:
            self._tune_arrays = tune_prev(self.sa, self.offsets)
        return self._tune_arrays

    def tunes_in_range(self, lo: int, hi: int) -> int:
        """Number of distinct tunes among the suffixes ``sa[lo:hi]``, without visiting every one.

        Whole blocks of :data:`TUNE_BLOCK` slots cost one binary search each, the
        two partial blocks at most 2 · ``TUNE_BLOCK`` comparisons.

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "C"], ["M:4/4", "K:Cmaj", "C"]])
        >>> index = SuffixIndex.build(ids, offsets)
        >>> index.tunes_in_range(*index.find(VOCAB.encode(["C"])))
        2
        """
        prev, prev_sorted = self.tune_arrays
        # whole blocks: a bisect on a memoryview of each (no numpy call per block); partial ones in numpy
        return count_tunes(prev, memoryview(np.ascontiguousarray(prev_sorted)), lo, hi, block=TUNE_BLOCK,
                           count_le=_count_le)

    @property
    def views(self) -> dict[str, memoryview]:
        """Typed memoryviews of the arrays: element reads in Python without numpy scalars."""
        if self._mv is None:
            self._mv = {name: memoryview(np.ascontiguousarray(getattr(self, name)))
                        for name in ("ids", "offsets", "sa", "bars", "bar_offsets")}
        return self._mv

    def places(self, starts, lead: int = 0) -> list[Place]:
        """Row, position, bar, offset, onset and bar token ids of matches at global positions ``starts``.

        O(log N + bar length) a match (:func:`folkabc.search.mapped.places`).

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:3/4", "K:Cmaj", "C", "6", "|", "D", "E"]])
        >>> p = SuffixIndex.build(ids, offsets).places([6])[0]
        >>> p.row, p.bar, p.offset, p.onset, VOCAB.decode(p.bar_ids)
        (0, 2, 1, 1.0, ['D', 'E'])
        """
        v = self.views
        return places(v["ids"], v["offsets"], v["bars"], v["bar_offsets"], [int(s) for s in starts], lead)

    def tunes_containing(self, query_ids) -> np.ndarray:
        """Rows of the tunes that contain ``query_ids``, ascending and unique.

        Examples
        --------
        >>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "C"], ["M:4/4", "K:Cmaj", "D"]])
        >>> SuffixIndex.build(ids, offsets).tunes_containing(VOCAB.encode(["C"])).tolist()
        [0]
        """
        rows, _ = self.positions(query_ids)
        return np.unique(rows)


_VERIFY_BYTES = 256 << 20


def _digest(arr: np.ndarray) -> str:
    """SHA-256 of an array's data (its bytes in memory, not the ``.npy`` header)."""
    return hashlib.sha256(np.ascontiguousarray(arr).view(np.uint8).data).hexdigest()


def _holds(path: Path, arr: np.ndarray) -> bool:
    """Whether the ``.npy`` file at ``path`` holds exactly ``arr`` (False when missing or unreadable)."""
    try:
        have = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return False
    return have.dtype == arr.dtype and have.shape == arr.shape and bool(np.array_equal(have, arr))


def _load_array(path: Path, mode: str | None) -> np.ndarray:
    return load_npy(path, mmap_mode=mode, error=IndexFileError, what="index file")


def _byte_view(path: Path, arr: np.ndarray):
    """A sliceable byte view of a memory-mapped ``.npy`` array (slices give ``bytes``)."""
    offset = getattr(arr, "offset", None)
    if offset is None or len(arr) == 0:
        return None
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if offset == 0:
        return mm
    return OffsetBytes(mm, offset)


def _count_le(arr: np.ndarray, a: int, b: int, x: int) -> int:
    return int(np.count_nonzero(arr[a:b] <= arr.dtype.type(x)))  # x in the array's type: no cast of the block


#: Seconds :func:`_write_meta` waits before writing ``search.json``, so that the arrays written
#: before it are older than it by the file system's clock (whose ticks can be 10 ms coarse).
_TICK = 0.02


def _write_meta(directory: Path, meta: dict) -> None:
    """Write ``search.json`` with the arrays' size and time (:func:`folkabc.search.mapped.stamps`)."""
    time.sleep(_TICK)
    meta = dict(meta, stamps=stamps(directory, list(meta["sha256"])))
    atomic_write(directory / _META, json.dumps(meta, indent=2), error=IndexFileError)
