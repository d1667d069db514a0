"""Search's query primitives over plain buffers, and a saved index read through memory maps, without numpy.

A one-shot ``folkabc search`` spends most of its time starting up: importing numpy alone costs
several times Python's own start. Everything a search *with a limit* does after the index is
built is a handful of binary searches and reads of a few short runs of the arrays, so this
module does it on ``memoryview`` / ``mmap`` buffers in pure Python:

- :func:`find_range` — the suffix-array range of a query (binary search on raw bytes);
- :func:`count_tunes` — distinct tunes of a range from the blocked ``tune_prev`` arrays;
- :func:`places` — row, bar, offset in the bar, onset and bar tokens of the listed matches,
  each in O(log N + bar length), never a scan of the whole tune;
- :class:`MappedIndex` — a saved :class:`~folkabc.search.index.SuffixIndex` opened through
  memory maps (None when anything about the files asks for the careful numpy path).

:class:`~folkabc.search.index.SuffixIndex` and :func:`~folkabc.search.figures.search_index`
use the same functions on memoryviews of their numpy arrays, so both paths give the same
answers from one implementation; only the bulk work (building, filters over every hit)
needs numpy.

Examples
--------
>>> from folkabc.search.index import SuffixIndex, encode_tunes
>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> _ = SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "G,", "C", "C", "2", "|"]])).save(d)
>>> ix = MappedIndex.open(d)
>>> lo, hi = ix.find(bytes(VOCAB.id(t) for t in ["C", "C"]))
>>> hi - lo, ix.tunes_in_range(lo, hi)
(1, 1)
"""

from __future__ import annotations

import ast
import bisect
import json
import mmap
import os
import sys
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import Callable, Sequence

from ..grammar import is_bar
from ..vocab import VOCAB
from .lengths import LENGTHS, NO_METER
from .results import Match, Place, SearchResult, list_matches
from .tokenquery import check_query_tokens

__all__ = ["MEASURE_TOKENS", "MEASURE_ID_SET", "TUNE_BLOCK", "MappedIndex", "find_range", "count_tunes",
           "places", "bar_span", "lead_of", "span_durations", "unstamped", "map_npy", "OffsetBytes"]

#: Tokens that are bar lines (``[`` and ``]`` are chord brackets, not bar lines).
MEASURE_TOKENS = frozenset(t for t in VOCAB if is_bar(t))
#: Their ids.
MEASURE_ID_SET = frozenset(VOCAB.id(t) for t in MEASURE_TOKENS)
TUNE_BLOCK = 1 << 16  # slots per sorted block of ``tune_prev``

_END = VOCAB.id("</s>")
_OPEN, _CLOSE = VOCAB.id("["), VOCAB.id("]")


# ---------------------------------------------------------------------- token lengths


_DUR, _SOUNDING, _IS_METER, _TUPLET = LENGTHS


def span_durations(ids: Sequence[int]) -> list[float]:
    """Length each token of ``ids`` contributes, in units of L, read as a span on its own.

    The rules of :func:`folkabc.search.bars.token_durations` (which does the same over whole
    arrays in numpy; a test holds the two equal): a pitch, rest or chord end lasts the duration
    token after it (1 without one); pitches inside a chord contribute nothing; a tuplet opener
    carries its group's correction, (q - n) times the note after it, q for the meter in force.

    Examples
    --------
    >>> span_durations(VOCAB.encode(["C", "2", "[", "C", "E", "]", "/2", "(3", "C", "D", "E"]))
    [2.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, -1.0, 1.0, 1.0, 1.0]
    """
    ids = [int(i) for i in ids]
    n = len(ids)
    out = [0.0] * n
    depth = 0
    for k, t in enumerate(ids):
        depth += (t == _OPEN) - (t == _CLOSE)
        if _SOUNDING[t] and (depth == 0 or t == _CLOSE):
            d = _DUR[ids[k + 1]] if k + 1 < n else None
            out[k] = 1.0 if d is None else d
    meter = NO_METER
    fixed = []
    for k, t in enumerate(ids):
        if _IS_METER[t]:
            meter = t
        corr = _TUPLET.get((meter, t))
        if corr is not None:
            f = min(k + 1, n - 1)
            fixed.append((k, corr * (out[f] if _SOUNDING[ids[f]] else 1.0)))
    for k, v in fixed:
        out[k] = v
    return out


# ---------------------------------------------------------------------- queries on buffers


class OffsetBytes:
    """``mm[a:b]`` (``bytes``) shifted by a header offset (the ``.npy`` header), for :func:`find_range`.

    Examples
    --------
    >>> OffsetBytes(b"headCDE", 4)[0:2]
    b'CD'
    """

    __slots__ = ("_mm", "_off")

    def __init__(self, mm, off: int) -> None:
        self._mm = mm
        self._off = off

    def __getitem__(self, s: slice) -> bytes:
        return self._mm[s.start + self._off:s.stop + self._off]


def find_range(buf, sa: Sequence[int], query: bytes, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """The range ``[lo, hi)`` of ``sa`` whose suffixes of ``buf`` start with ``query``.

    ``buf[a:b]`` must give ``bytes`` (``bytes``, ``mmap`` or :class:`OffsetBytes`); ``sa`` any
    sequence of positions. O(m log N) byte comparisons; an empty query matches everything.

    Examples
    --------
    >>> buf = b"abab"
    >>> find_range(buf, [2, 0, 3, 1], b"ab")  # suffixes sorted: ab, abab, b, bab
    (0, 2)
    """
    m = len(query)
    hi = len(sa) if hi is None else hi
    if m == 0 or lo >= hi:
        return lo, (hi if m == 0 else lo)

    def key(p):
        p = int(p)
        return buf[p:p + m]

    lo = bisect_left(sa, query, lo, hi, key=key)
    return lo, bisect_right(sa, query, lo, hi, key=key)


def _count_le_py(arr, a: int, b: int, x: int) -> int:
    return sum(1 for v in arr[a:b] if v <= x)


def _sorted_le_py(arr, a: int, b: int, x: int) -> int:
    return bisect_right(arr, x, a, b) - a


def count_tunes(prev, prev_sorted, lo: int, hi: int, *, block: int = TUNE_BLOCK,
                count_le: Callable = _count_le_py, sorted_le: Callable = _sorted_le_py) -> int:
    """Distinct tunes among the suffix-array slots ``[lo, hi)`` from the ``tune_prev`` arrays.

    A slot is the first of its tune in the range when ``prev[j] <= lo`` (see
    :func:`folkabc.search.index.tune_prev`). Whole blocks of :data:`TUNE_BLOCK` slots are counted
    (``block``) by one binary search in ``prev_sorted``; the two partial blocks by ``count_le(arr, a, b, x)``
    (numbers ``<= x`` in ``arr[a:b]``). ``count_le`` and ``sorted_le`` default to pure Python;
    the numpy index passes vectorised ones.

    Examples
    --------
    >>> count_tunes([0, 0, 1, 2], [0, 0, 1, 2], 0, 4)  # slots 0, 1 open a tune; 2, 3 repeat them
    2
    """
    lo, hi = int(lo), int(hi)
    if hi <= lo:
        return 0
    B = block
    b1, b2 = -(-lo // B), hi // B
    if b1 >= b2:
        return count_le(prev, lo, hi, lo)
    n = count_le(prev, lo, b1 * B, lo) + count_le(prev, b2 * B, hi, lo)
    for b in range(b1, b2):
        n += sorted_le(prev_sorted, b * B, (b + 1) * B, lo)
    return n


def lead_of(query_ids: Sequence[int]) -> int:
    """How many bar lines open a query (a match is placed at its first other token).

    Examples
    --------
    >>> lead_of(VOCAB.encode(["|", "D"])), lead_of(VOCAB.encode(["|"]))
    (1, 0)
    """
    for k, t in enumerate(query_ids):
        if int(t) not in MEASURE_ID_SET:
            return k
    return 0


def bar_span(bars: Sequence[int], a: int, b: int, bar: int) -> tuple[int, int]:
    """``[start, stop)`` of bar number ``bar`` in the tune at ``[a, b)`` of the corpus layout.

    Bar numbers never decrease along a tune (:func:`folkabc.search.bars.bar_table`), so the bar
    is one run found by two binary searches; the meter and mode tokens and ``</s>`` are left out.

    Examples
    --------
    >>> bar_span([1, 1, 1, 1, 1, 2, 2, 2, 2], 0, 9, 2)
    (5, 8)
    """
    a, b = a + 2, b - 1
    if b <= a:
        return a, a
    return bisect_left(bars, bar, a, b), bisect_right(bars, bar, a, b)


def places(ids, offsets, bars, bar_offsets, starts: Sequence[int], lead: int) -> list[Place]:
    """Row, position, bar, offset, onset and bar token ids of matches starting at global positions ``starts``.

    Each match is placed at its first token that is not a bar line (``lead`` tokens in). Work per
    match: a binary search for the row, two for the bar, and the tokens of that one bar.
    ``ids``, ``offsets``, ``bars``, ``bar_offsets`` are any integer sequences (memoryviews of
    the arrays).

    Examples
    --------
    >>> from folkabc.search.index import encode_tunes
    >>> from folkabc.search.bars import bar_table
    >>> ids, offsets = encode_tunes([["M:3/4", "K:Cmaj", "C", "6", "|", "D", "2", "E", "4", "|"]])
    >>> bars, offs = bar_table(ids, offsets)
    >>> p = places(ids.tolist(), offsets.tolist(), bars.tolist(), offs.tolist(), [7], 0)[0]
    >>> p.row, p.position, p.bar, p.offset, p.onset, VOCAB.decode(p.bar_ids)
    (0, 7, 2, 2, 2.0, ['D', '2', 'E', '4', '|'])
    """
    out = []
    n_rows = len(offsets) - 1
    for s in starts:
        s = int(s)
        row = min(bisect_right(offsets, s) - 1, n_rows - 1)
        a, b = int(offsets[row]), int(offsets[row + 1])
        at = s + lead
        bar, off = int(bars[at]), int(bar_offsets[at])
        onset = 0.0
        if off:
            onset = round(sum(span_durations(ids[at - off:at + 1])[:off]), 4)
        x, y = bar_span(bars, a, b, bar)
        out.append(Place(row, s - a, bar, off, onset, [int(t) for t in ids[x:y]]))
    return out


# ---------------------------------------------------------------------- files

_CODES = {"|u1": "B", "<u2": "H", "<u4": "I", "<u8": "Q", "<i8": "q", "<i4": "i"}


def map_npy(path: str | os.PathLike, code: str | None = None) -> tuple[memoryview, object] | None:
    """A 1-d little-endian integer ``.npy`` file as a typed memoryview of its mapped data, and the mmap.

    None when the file is missing, empty, not such an array, of another type than ``code``
    (a :mod:`struct` format character), or shorter than its header says: the caller then reads
    it the careful way (``folkabc._npy.load_npy``), which names what is wrong.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> p = Path(tempfile.mkdtemp()) / "a.npy"
    >>> np.save(p, np.arange(3, dtype=np.uint16))
    >>> map_npy(p)[0].tolist(), map_npy(p, "I")
    ([0, 1, 2], None)
    """
    if sys.byteorder != "little":
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:6] != b"\x93NUMPY" or head[6] not in (1, 2, 3):
                return None
            if head[6] == 1:
                hlen, start = int.from_bytes(head[8:10], "little"), 10
            else:
                hlen, start = int.from_bytes(head[8:12], "little"), 12
            if hlen > 4096:
                return None
            fh.seek(start)
            meta = ast.literal_eval(fh.read(hlen).decode("latin-1"))
            fmt = _CODES.get(meta.get("descr")) if isinstance(meta, dict) else None
            shape = meta.get("shape") if fmt else None
            if (fmt is None or (code is not None and fmt != code) or meta.get("fortran_order")
                    or not isinstance(shape, tuple) or len(shape) != 1 or not isinstance(shape[0], int)):
                return None
            data = start + hlen
            nbytes = shape[0] * {"B": 1, "H": 2, "I": 4, "Q": 8, "q": 8, "i": 4}[fmt]
            if os.fstat(fh.fileno()).st_size != data + nbytes:
                return None
            if nbytes == 0:  # no map of 0 bytes
                return memoryview(b"").cast(fmt), b""
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, SyntaxError, MemoryError):
        return None
    return memoryview(mm)[data:].cast(fmt), mm


def stamps(directory: Path, names: Sequence[str]) -> dict[str, list[int]]:
    """``{name: [size, mtime_ns]}`` of files in ``directory`` (recorded with an index; see :func:`unstamped`).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "a").write_bytes(b"xy")
    >>> stamps(d, ["a"])["a"][0]
    2
    """
    out = {}
    for name in names:
        st = os.stat(os.path.join(directory, name))
        out[name] = [st.st_size, st.st_mtime_ns]
    return out


def unstamped(directory: Path, meta: dict, names: Sequence[str], *, meta_name: str = "search.json") -> list[str]:
    """The files of ``names`` whose SHA-256 must still be checked: all but those unchanged since the index was saved.

    A file counts as unchanged when its size and modification time are those recorded in
    ``meta["stamps"]`` *and* that time is older than ``meta_name``'s own (git's rule for racily
    clean files: a file rewritten within the same clock tick as its first write keeps its time,
    so only a file older than the record can be trusted by its time). Anything else — no
    record, a copy that changed the times, a rewrite — is hashed.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "a").write_bytes(b"xy")
    >>> _ = (d / "search.json").write_text("{}")
    >>> t = os.stat(d / "a").st_mtime_ns
    >>> os.utime(d / "search.json", ns=(t, t))
    >>> unstamped(d, {"stamps": stamps(d, ["a"])}, ["a"])  # written in the same tick: still hashed
    ['a']
    >>> os.utime(d / "search.json", ns=(t, t + 1))
    >>> unstamped(d, {"stamps": stamps(d, ["a"])}, ["a"]), unstamped(d, {}, ["a"])
    ([], ['a'])
    """
    recorded = meta.get("stamps") if isinstance(meta.get("stamps"), dict) else {}
    try:
        meta_time = os.stat(os.path.join(directory, meta_name)).st_mtime_ns
    except OSError:
        return list(names)
    left = []
    for name in names:
        want = recorded.get(name)
        try:
            st = os.stat(os.path.join(directory, name))
        except OSError:
            left.append(name)
            continue
        if not (isinstance(want, list) and want == [st.st_size, st.st_mtime_ns] and st.st_mtime_ns < meta_time):
            left.append(name)
    return left


class MappedIndex:
    """A saved suffix index opened through memory maps, for searches with a limit, without numpy.

    Use :meth:`open`; it gives None whenever the careful path should run instead (a file
    missing, damaged, of another version, or changed since the index was saved, so that its
    SHA-256 must be checked): :meth:`folkabc.search.index.SuffixIndex.load` then opens it and
    says what is wrong.

    Attributes
    ----------
    ids, offsets, sa, bars, bar_offsets, prev, prev_sorted : memoryview
        The arrays of :class:`~folkabc.search.index.SuffixIndex`, typed.
    """

    _FILES = {"ids.npy": "B", "offsets.npy": "q", "sa.npy": None, "bars.npy": "H", "bar_offsets.npy": "H",
              "tune_prev.npy": None, "tune_prev_sorted.npy": None}

    def __init__(self, arrays: dict[str, memoryview], buf) -> None:
        self.ids = arrays["ids.npy"]
        self.offsets = arrays["offsets.npy"]
        self.sa = arrays["sa.npy"]
        self.bars = arrays["bars.npy"]
        self.bar_offsets = arrays["bar_offsets.npy"]
        self.prev = arrays["tune_prev.npy"]
        self.prev_sorted = arrays["tune_prev_sorted.npy"]
        self._buf = buf

    @classmethod
    def open(cls, directory: str | os.PathLike, *, version: int = 1,
             index_format: str = "folkabc-suffix-index") -> "MappedIndex | None":
        """Map the index in ``directory``; None when the numpy path must open it (see the class).

        Examples
        --------
        >>> MappedIndex.open("/no/such/index") is None
        True
        """
        try:
            with open(os.path.join(directory, "search.json"), encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != index_format or meta.get("version") != version:
            return None
        digests = meta.get("sha256")
        if not isinstance(digests, dict) or set(digests) != set(cls._FILES) or unstamped(directory, meta, list(digests)):
            return None
        arrays, maps = {}, {}
        for name, code in cls._FILES.items():
            got = map_npy(os.path.join(directory, name), code)
            if got is None:
                return None
            arrays[name], maps[name] = got
        n, n_tunes = meta.get("n_tokens"), meta.get("n_tunes")
        sa = arrays["sa.npy"]
        if (any(len(arrays[k]) != n for k in ("ids.npy", "sa.npy", "bars.npy", "bar_offsets.npy", "tune_prev.npy"))
                or not isinstance(n_tunes, int) or len(arrays["offsets.npy"]) != n_tunes + 1
                or sa.format not in ("I", "Q") or arrays["tune_prev.npy"].format != sa.format
                or arrays["tune_prev_sorted.npy"].format != sa.format
                or len(arrays["tune_prev_sorted.npy"]) != n // TUNE_BLOCK * TUNE_BLOCK
                or arrays["offsets.npy"][0] != 0 or arrays["offsets.npy"][-1] != n):
            return None
        ids_map = maps["ids.npy"]
        return cls(arrays, OffsetBytes(ids_map, len(ids_map) - n))

    @property
    def n_tunes(self) -> int:
        """Number of tunes (rows) indexed."""
        return len(self.offsets) - 1

    def find(self, query: bytes) -> tuple[int, int]:
        """The suffix-array range of the token ids ``query`` (bytes); see :func:`find_range`."""
        return find_range(self._buf, self.sa, query)

    def tunes_in_range(self, lo: int, hi: int) -> int:
        """Distinct tunes of the range; see :func:`count_tunes`."""
        return count_tunes(self.prev, self.prev_sorted, lo, hi)

    def places(self, starts: Sequence[int], lead: int) -> list[Place]:
        """The listed matches' places; see :func:`places`."""
        return places(self.ids, self.offsets, self.bars, self.bar_offsets, starts, lead)

    def search(self, tokens: Sequence[str], *, limit: int | None = 20, tune_ids: Sequence[int] | None = None,
               describe: Callable[[int], tuple[str | None, str | None]] | None = None) -> SearchResult:
        """Count and list a figure's occurrences, as :func:`folkabc.search.search_index` without filters.

        Exact counts from the range alone (:func:`count_tunes`); the first ``limit`` occurrences in
        suffix-array order are listed, in corpus order. ``tokens`` are vocabulary tokens.

        Examples
        --------
        >>> from folkabc.search.index import SuffixIndex, encode_tunes
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> _ = SuffixIndex.build(*encode_tunes([["M:4/4", "K:Cmaj", "G,", "C", "C", "2", "|"]])).save(d)
        >>> res = MappedIndex.open(d).search(["C", "2", "|"])
        >>> res.occurrences, res.matches[0].bar_tokens
        (1, ['G,', 'C', 'C', '2', '|'])
        """
        tokens = list(tokens)
        check_query_tokens(tokens)
        q = bytes(VOCAB.id(t) for t in tokens)
        lo, hi = self.find(q)
        n_occ = hi - lo
        shown = n_occ if limit is None else min(limit, n_occ)
        found = self.places(sorted(self.sa[lo:lo + shown].tolist()), lead_of(q))
        return SearchResult(query_tokens=tokens, tunes=self.tunes_in_range(lo, hi), occurrences=n_occ,
                            matches=list_matches(found, tune_ids=tune_ids, describe=describe),
                            approx=shown < n_occ, limit=limit)
