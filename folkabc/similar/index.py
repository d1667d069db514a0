"""Suffix-array indexes over the ``pitch``, ``interval`` and ``contour`` representations.

:class:`RepIndex` holds the corpus's :class:`~folkabc.similar.notes.NoteTable`
and, for each representation, a :class:`folkabc.search.SuffixIndex` over its
symbols (the same suffix array and binary search as the exact index: the
symbols are ``uint8`` laid out like token ids, every tune ended by ``</s>``).
Each is built on first use and cached in the corpus directory as ``.npy``
files (``similar_*.npy`` and ``similar.json``, which records the format
version and the SHA-256 of the corpus ``ids`` they were built from), each
written to a temporary file and moved into place with ``os.replace``. A
directory that cannot be written keeps the indexes in memory only.

Examples
--------
>>> from folkabc.search import encode_tunes
>>> from folkabc.vocab import VOCAB
>>> ids, offsets = encode_tunes([["M:4/4", "K:Cmaj", "C", "E", "G", "|"], ["M:4/4", "K:Cmaj", "D", "^F", "A"]])
>>> rep = RepIndex(ids, offsets)
>>> rep.index("interval").count([68, 67])       # up 4 then up 3: in both tunes
2
>>> rep.index("pitch").count([60, 64])
1
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .._io import atomic_write
from .._npy import load_npy
from ..errors import IndexFileError
from ..search import SuffixIndex, suffix_array
from .notes import REPRESENTATIONS, NoteTable, note_table, symbols

__all__ = ["RepIndex", "SIMILAR_FORMAT", "SIMILAR_VERSION"]

SIMILAR_FORMAT = "folkabc-similar-index"
#: Bumped whenever the note rules or symbol alphabets change (old caches are rebuilt).
SIMILAR_VERSION = 1
_META = "similar.json"


def _digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).view(np.uint8).data).hexdigest()


class RepIndex:
    """The note table and per-representation indexes of one corpus (plain arrays in, built lazily).

    Parameters
    ----------
    ids : np.ndarray of uint8 [shape=(N,)]
        The corpus token ids, every tune ended by ``</s>``.
    offsets : np.ndarray of int [shape=(n_tunes + 1,)]
    directory : path or None
        Where to cache the indexes (the corpus directory); None keeps them in memory.

    Examples
    --------
    >>> from folkabc.search import encode_tunes
    >>> RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "C", "C", "D"]])).notes.pitch.tolist()
    [60, 62]
    """

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, *, directory: str | os.PathLike | None = None) -> None:
        self.ids = ids
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.directory = None if directory is None else Path(directory)
        self._indexes: dict[str, SuffixIndex] = {}
        self._notes: NoteTable | None = None
        self._meta: dict | None = None

    # ------------------------------------------------------------------ cache files
    def _path(self, name: str) -> Path:
        return self.directory / f"similar_{name}.npy"

    def _cache_ok(self) -> bool:
        """Whether the directory holds indexes of this version built from these ids."""
        if self.directory is None:
            return False
        if self._meta is None:
            try:
                meta = json.loads((self.directory / _META).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            ok = (isinstance(meta, dict) and meta.get("format") == SIMILAR_FORMAT
                  and meta.get("version") == SIMILAR_VERSION and meta.get("ids_sha256") == _digest(self.ids))
            self._meta = meta if ok else {}
        return bool(self._meta)

    def _load(self, name: str) -> np.ndarray | None:
        if not self._cache_ok() or name not in self._meta.get("files", []):
            return None
        try:  # a damaged cache file is computed again
            return load_npy(self._path(name), mmap_mode="r", error=IndexFileError)
        except IndexFileError:
            return None

    def _save(self, arrays: dict[str, np.ndarray]) -> None:
        """Write ``arrays`` (atomically, file by file), then the meta file that lists them."""
        if self.directory is None:
            return
        try:
            files = set(self._meta.get("files", [])) if self._cache_ok() else set()
            for name, arr in arrays.items():
                atomic_write(self._path(name), lambda f, a=arr: np.save(f, np.asarray(a)), error=IndexFileError)
                files.add(name)
            meta = {"format": SIMILAR_FORMAT, "version": SIMILAR_VERSION, "ids_sha256": _digest(self.ids),
                    "n_tunes": len(self.offsets) - 1, "files": sorted(files)}
            atomic_write(self.directory / _META, json.dumps(meta, indent=2), error=IndexFileError)
            self._meta = meta
        except (OSError, IndexFileError):
            pass  # a read-only corpus: the indexes live in memory for this session

    # ------------------------------------------------------------------ lazy parts
    @property
    def notes(self) -> NoteTable:
        """The corpus's :class:`NoteTable` (built or loaded on first use)."""
        if self._notes is None:
            parts = [self._load(n) for n in ("pitch_notes", "positions", "note_offsets")]
            if all(p is not None for p in parts):
                self._notes = NoteTable(parts[0], parts[1], np.asarray(parts[2], dtype=np.int64))
            else:
                self._notes = note_table(self.ids, self.offsets)
                self._save({"pitch_notes": self._notes.pitch, "positions": self._notes.position,
                            "note_offsets": self._notes.offsets})
        return self._notes

    @property
    def n_tunes(self) -> int:
        """Number of tunes."""
        return len(self.offsets) - 1

    def index(self, rep: str) -> SuffixIndex:
        """The :class:`~folkabc.search.SuffixIndex` over representation ``rep`` (built on first use).

        Its ``ids``/``offsets`` are the representation's symbols (see
        :func:`folkabc.similar.notes.symbols`); ``bars`` are not used and hold zeros.

        Examples
        --------
        >>> from folkabc.search import encode_tunes
        >>> RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "C", "D", "C"]])).index("contour").count([85, 68])
        1
        """
        if rep not in self._indexes:
            sym, offs = symbols(self.notes, rep)  # cheap (tens of ms); validates rep
            sa = self._load(f"{rep}_sa")
            if sa is None or len(sa) != len(sym):
                sa = suffix_array(sym, offs)
                self._save({f"{rep}_sa": sa})
            zeros = np.zeros(len(sym), dtype=np.uint16)
            # in memory (a few MB): the binary search reads sa[mid] a thousand times a query
            self._indexes[rep] = SuffixIndex(sym, offs, np.array(sa), zeros, zeros)
        return self._indexes[rep]

    def row_of(self, rep: str) -> np.ndarray:
        """The tune row of every symbol of representation ``rep`` (``int32``).

        Examples
        --------
        >>> from folkabc.search import encode_tunes
        >>> RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "C", "D"], ["M:4/4", "K:Cmaj", "E"]])).row_of("pitch").tolist()
        [0, 0, 0, 1, 1]
        """
        key = f"_row_of_{rep}"
        if key not in self.__dict__:
            offs = self.index(rep).offsets
            self.__dict__[key] = np.repeat(np.arange(len(offs) - 1, dtype=np.int32), np.diff(offs))
        return self.__dict__[key]

    def build_all(self) -> None:
        """Build (and cache) every representation's index now.

        Examples
        --------
        >>> from folkabc.search import encode_tunes
        >>> RepIndex(*encode_tunes([["M:4/4", "K:Cmaj", "C"]])).build_all()
        """
        for rep in REPRESENTATIONS:
            self.index(rep)
