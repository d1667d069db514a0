"""A suffix array over token ids: exact n-gram counts and positions (knows ids only).

The corpus stores every tune as ``[meter, mode, body..., </s>]`` in one
``uint8`` array ``ids``, tune ``k`` being ``ids[offsets[k]:offsets[k+1]]``.
:class:`SuffixIndex` sorts the suffixes of that array, each suffix cut at the
end of its own tune (after its ``</s>``), so a query that holds no ``</s>``
can never match across two tunes, and the sort never has to look further
than the longest tune.

The sort is prefix doubling in numpy (Manber & Myers, with Larsson &
Sadakane's trick of re-sorting only the groups that are still tied): a first
pass packs the first 8 tokens of each suffix into one ``uint64`` key and
argsorts it; each later pass doubles the compared length but only over the
suffixes still tied with a neighbour, which in folk music shrink fast.

``find`` is a binary search on raw bytes (``bisect`` with a key reading
``ids[p:p+m]``), O(m log N); ``count`` is the width of that range and
``positions`` maps the range back to (tune row, offset in tune).

Files written by :meth:`SuffixIndex.save` (next to the corpus's
``ids.npy`` / ``offsets.npy``): ``sa.npy`` (suffix array, ``uint32`` when
N < 2**32), ``bars.npy`` (per-token bar number, ``uint16``),
``bar_offsets.npy`` (per-token offset in its bar, in tokens, ``uint16``) and
``search.json`` (format, version, sizes, and each array's SHA-256, checked on load).

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

import bisect
import hashlib
import json
import mmap
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .._io import atomic_write
from .._npy import load_npy
from ..errors import IndexFileError, ParameterError, UnknownTokenError
from ..vocab import VOCAB
from .bars import bar_table

__all__ = ["SuffixIndex", "encode_tunes", "suffix_array", "INDEX_FORMAT", "INDEX_VERSION"]

INDEX_FORMAT = "folkabc-suffix-index"
INDEX_VERSION = 1

_END = VOCAB.id("</s>")
_META = "search.json"
_FILES = ("sa.npy", "bars.npy", "bar_offsets.npy")


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


def suffix_array(ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sort the suffixes of ``ids``, each cut after the ``</s>`` that ends its tune.

    Suffixes whose cut strings are equal (e.g. the same tune tail twice) keep
    an arbitrary but fixed order; every query without ``</s>`` sees a
    contiguous, correctly ordered range.

    Parameters
    ----------
    ids : np.ndarray of uint8 [shape=(N,)]
    offsets : np.ndarray of int64 [shape=(n_tunes + 1,)]

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
    # remaining length of each suffix inside its tune (including the </s>)
    lengths = np.diff(offsets)
    rem = np.arange(n, 0, -1, dtype=itype)
    rem -= np.repeat((n - offsets[1:]).astype(itype), lengths)
    max_len = int(lengths.max())
    # base-139 packing of the first 8 symbols (139**8 < 2**64), symbol = id + 1; suffixes
    # shorter than 8 inside their tune are fixed after, with 0 (= past the end) for the rest
    width = 8
    key = np.zeros(n, dtype=np.uint64)
    for j in range(width):
        key *= np.uint64(139)
        cut = max(n - j, 0)
        key[:cut] += ids[j:].astype(np.uint64) + np.uint64(1)
    short = np.flatnonzero(rem < width)
    scale = np.uint64(139) ** (width - rem[short]).astype(np.uint64)
    key[short] = key[short] // scale * scale
    del short, scale
    # ties need no stable order: equal keys form one group, sorted further below
    sa = np.argsort(key).astype(itype)
    skey = key[sa]
    del key
    boundary = np.empty(n, dtype=bool)
    boundary[0] = True
    np.not_equal(skey[1:], skey[:-1], out=boundary[1:])
    del skey
    rank = np.empty(n, dtype=itype)
    rank[sa] = np.maximum.accumulate(np.where(boundary, np.arange(n, dtype=itype), 0))
    k = width
    while k < max_len:
        # positions in sa whose group has more than one member
        end_of_group = np.empty(n, dtype=bool)
        end_of_group[:-1] = boundary[1:]
        end_of_group[-1] = True
        active = np.flatnonzero(~(boundary & end_of_group)).astype(itype)
        del end_of_group
        if len(active) == 0:
            break
        s = sa[active]
        srem = rem[s]
        if int(srem.max()) <= k:
            break  # every tied group is tied over its whole cut suffix
        nxt = np.minimum(s + k, n - 1)
        r2 = np.where(srem > k, rank[nxt].astype(np.int64) + 1, 0)
        del nxt, srem
        comp = rank[s].astype(np.int64) * (n + 1) + r2
        del r2
        sub = np.argsort(comp)
        s = s[sub]
        comp = comp[sub]
        del sub
        sa[active] = s
        nb = np.empty(len(active), dtype=bool)
        nb[0] = True
        np.not_equal(comp[1:], comp[:-1], out=nb[1:])
        del comp
        boundary[active] = nb
        rank[s] = np.maximum.accumulate(np.where(nb, active, 0))
        k *= 2
    return sa.astype(pdtype)


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
                 bars: np.ndarray, bar_offsets: np.ndarray, *, buffer=None) -> None:
        self.ids = ids
        self.offsets = offsets
        self.sa = sa
        self.bars = bars
        self.bar_offsets = bar_offsets
        self._buf = buffer if buffer is not None else ids.tobytes()

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
        sa = suffix_array(ids, offsets)
        bars, bar_offsets = bar_table(ids, offsets)
        return cls(ids, offsets, sa, bars, bar_offsets)

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
            arrays = {"sa.npy": self.sa, "bars.npy": self.bars, "bar_offsets.npy": self.bar_offsets}
            for name, arr in (("ids.npy", self.ids), ("offsets.npy", self.offsets)):
                if not _holds(directory / name, arr):  # never pair new sa.npy with stale ids
                    arrays[name] = arr
            for name, arr in arrays.items():
                atomic_write(directory / name, lambda f, a=arr: np.save(f, np.asarray(a)), error=IndexFileError)
            meta = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "n_tokens": len(self.ids),
                    "n_tunes": len(self.offsets) - 1, "sa_dtype": str(self.sa.dtype),
                    "sha256": {name: _digest(arr) for name, arr in (
                        ("ids.npy", self.ids), ("offsets.npy", self.offsets), ("sa.npy", self.sa),
                        ("bars.npy", self.bars), ("bar_offsets.npy", self.bar_offsets))}}
            atomic_write(directory / _META, json.dumps(meta, indent=2), error=IndexFileError)
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
            (default): when the arrays total at most 256 MB (the default corpus: 9 MB,
            a few ms), so a damaged file of the right size is refused; a larger index
            is checked on ``verify=True`` only (reading it all defeats the memory map).

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
        arrays = {name: _load_array(directory / name, mode)
                  for name in ("ids.npy", "offsets.npy") + _FILES}
        ids, offsets, sa = arrays["ids.npy"], arrays["offsets.npy"], arrays["sa.npy"]
        n = meta.get("n_tokens")
        expect = {"ids.npy": (n, np.uint8), "sa.npy": (n, None), "bars.npy": (n, np.uint16),
                  "bar_offsets.npy": (n, np.uint16), "offsets.npy": ((meta.get("n_tunes") or 0) + 1, None)}
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
        digests = meta.get("sha256") if isinstance(meta.get("sha256"), dict) else {}
        if verify is None:
            verify = sum(a.nbytes for a in arrays.values()) <= _VERIFY_BYTES
        if verify:
            for name, want in digests.items():
                if name in arrays and _digest(arrays[name]) != want:
                    raise IndexFileError("contents differ from the SHA-256 recorded when the index was "
                                         "saved (a damaged file): rebuild the index", path=str(directory / name))
        buffer = _byte_view(directory / "ids.npy", ids) if mmap else None
        return cls(ids, np.asarray(offsets, dtype=np.int64), sa, arrays["bars.npy"],
                   arrays["bar_offsets.npy"], buffer=buffer)

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
        m = len(qb)
        lo, hi = (0, len(self.sa)) if hint is None else (int(hint[0]), int(hint[1]))
        if m == 0 or lo >= hi:
            return lo, (hi if m == 0 else lo)
        buf = self._buf

        def key(p):
            p = int(p)
            return buf[p:p + m]

        lo = bisect.bisect_left(self.sa, qb, lo=lo, hi=hi, key=key)
        hi = bisect.bisect_right(self.sa, qb, lo=lo, hi=hi, key=key)
        return lo, hi

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
    return _OffsetBytes(mm, offset)


class _OffsetBytes:
    """``mm[a:b]`` shifted by a header offset (the ``.npy`` header)."""

    __slots__ = ("_mm", "_off")

    def __init__(self, mm, off: int) -> None:
        self._mm = mm
        self._off = off

    def __getitem__(self, s: slice) -> bytes:
        return self._mm[s.start + self._off:s.stop + self._off]
