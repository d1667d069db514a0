"""The :class:`Corpus` reader: tunes, metadata and token ids of a built corpus.

What the search layer uses (all per *row*, i.e. per searchable tune):

- ``corpus.ids`` — ``uint8`` memmap of all rows' token ids (each ends with ``</s>``);
- ``corpus.offsets`` — ``int64``, ``n_rows + 1``; row ``k`` is ``ids[offsets[k]:offsets[k+1]]``;
- ``corpus.tune_ids`` — ``int64``, the tune id of each row;
- ``corpus.meta_array(field)`` — one value per row for ``meter``, ``mode``,
  ``type``, ``source``, ``title``, ``key`` (numpy object array, ``None`` where unknown);
- ``corpus.mask(meter=, mode=, type=, source=, title=)`` — boolean filter per row;
- ``corpus.titles_of(row)``, ``corpus.tune_at(row)``, ``corpus.row_tokens(row)``;
- ``corpus.index`` — the :class:`folkabc.search.SuffixIndex` stored with the corpus.

Every tune (searchable or not) is a :class:`CorpusTune`, looked up by id with
``corpus[tune_id]`` / :meth:`Corpus.tune`; iterating a corpus yields them in id order.

Examples
--------
>>> import tempfile, pathlib
>>> from folkabc.corpus.store import StoreWriter, Entry
>>> d = pathlib.Path(tempfile.mkdtemp()) / "c"
>>> w = StoreWriter(d)
>>> _ = w.add(Entry("demo", "a X:1", ["Tune A"], tokens=["M:6/8", "K:Cdor", "C", "D", "E", "|"], type="jig"))
>>> _ = w.add(Entry("demo", "b X:1", ["Tune B"], tokens=["M:4/4", "K:Cmaj", "c''", "|"], status="oov",
...                 reason="pitch c'' outside vocabulary"))
>>> _ = w.finish(sources=["demo"])
>>> c = Corpus.open(d)
>>> len(c), c.n_rows, c[1].title, c[2].reason
(2, 1, 'Tune A', "pitch c'' outside vocabulary")
>>> c.row_tokens(0), c.meta_array("meter").tolist(), c.mask(mode="dor").tolist()
(['M:6/8', 'K:Cdor', 'C', 'D', 'E', '|'], ['M:6/8'], [True])
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import quote

import numpy as np

from .._npy import load_npy
from ..errors import CorpusError, ParameterError
from ..search import SearchView, SuffixIndex, novelty, search_corpus
from ..similar import RepIndex, similar_ids, tune_families
from ..tokens import write_folkrnn
from ..vocab import VOCAB, meter_token, mode_token
from .build import ensure_default_corpus
from .store import Entry, StoreWriter, aside, corpus_lock, read_manifest, recover, vocabulary_sha256

__all__ = ["Corpus", "CorpusTune", "normalize_meter", "normalize_mode"]

_META_FIELDS = ("meter", "mode", "type", "source", "title", "key", "status", "check_ok")


@dataclass
class CorpusTune:
    """One tune of a corpus (exact duplicates merged: ``sources`` and ``titles`` list them all).

    Examples
    --------
    >>> t = _example_corpus()[2]
    >>> t.status, t.row, t.tokens[2], t.sources[0]["ref"]
    ('oov', None, "c''", 'b X:1')

    Attributes
    ----------
    id : int
        Corpus tune id (1-based).
    row : int or None
        Row in ``ids``/``offsets`` when searchable.
    status : {'ok', 'oov', 'error'}
    reason : str or None
        Why it is not searchable.
    source, ref : str
        The first copy's source name and place in it.
    sources : list of dict
        Every copy: ``source``, ``ref``, ``title``, ``type``, ``key`` and source ``meta``.
    title : str or None
    titles : list of str
    type, meter, mode, key, meter_text : str or None
        Tune type; meter and mode tokens; original ``K:`` and ``M:`` values.
    abc : str or None
        Original ABC of the first copy.
    tokens : list of str
        Empty when the tune could not be converted.
    check_ok : bool or None
    check : dict or None
        The bar-check result (:meth:`folkabc.validate.CheckResult.to_dict`).
    """

    id: int
    row: int | None
    status: str
    reason: str | None
    source: str
    ref: str
    title: str | None
    type: str | None
    meter: str | None
    mode: str | None
    key: str | None
    meter_text: str | None
    abc: str | None
    tokens: list[str]
    check_ok: bool | None
    check: dict | None
    n_copies: int = 1
    titles: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON form (tokens space-joined).

        Examples
        --------
        >>> _example_corpus().tune(1).to_dict()["tokens"]
        'M:6/8 K:Cdor C D E |'
        """
        d = dict(self.__dict__)
        d["tokens"] = " ".join(self.tokens)
        return d


#: A meter filter value as a meter token (``6/8`` → ``M:6/8``); see :func:`folkabc.vocab.meter_token`.
normalize_meter = meter_token
#: A mode filter value as a mode token (``dorian`` → ``K:Cdor``); see :func:`folkabc.vocab.mode_token`.
normalize_mode = mode_token


class _RowsBySource(Mapping):
    """Source → sorted rows with a copy from it; each source is read from the database once, when asked.

    Examples
    --------
    >>> rows = _example_corpus()._copy_rows
    >>> rows["demo"].tolist(), list(rows), rows.get("elsewhere") is None
    ([0], ['demo'], True)
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, source: str) -> np.ndarray:
        if source not in self._cache:
            rows = [r for (r,) in self._db.execute(
                "SELECT DISTINCT t.row FROM copies c JOIN tunes t ON t.id = c.tune_id"
                " WHERE t.row IS NOT NULL AND c.source = ? ORDER BY t.row", (source,))]
            if not rows:
                raise KeyError(source)
            self._cache[source] = np.asarray(rows, dtype=np.int64)
        return self._cache[source]

    def __iter__(self) -> Iterator[str]:
        return iter([s for (s,) in self._db.execute(
            "SELECT DISTINCT c.source FROM copies c JOIN tunes t ON t.id = c.tune_id"
            " WHERE t.row IS NOT NULL ORDER BY c.source")])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _RowColumn(Sequence):
    """One metadata column (``title``, ``source``, …) read a row at a time, when asked.

    Search prints a few matches of a corpus of thousands of rows: it reads their titles and
    sources, not every row's (:meth:`Corpus.meta_array` reads the whole column, for filters).
    Once the whole column has been read, rows come from it. ``reads`` counts the rows fetched.

    Examples
    --------
    >>> col = _RowColumn(_example_corpus(), "title")
    >>> len(col), col[0], col[0], col.reads
    (1, 'Tune A', 'Tune A', 1)
    """

    def __init__(self, corpus: "Corpus", name: str) -> None:
        if name not in _META_FIELDS:
            raise ParameterError(f"meta field {name!r} is not one of {', '.join(_META_FIELDS)}")
        self._corpus = corpus
        self._name = name
        self._cache: dict[int, object] = {}
        self.reads = 0

    def __len__(self) -> int:
        return self._corpus.n_rows

    def __getitem__(self, row):
        whole = self._corpus.__dict__.get("_meta_cache", {}).get(self._name)
        if whole is not None or not isinstance(row, (int, np.integer)):
            return (whole if whole is not None else self._corpus.meta_array(self._name))[row]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} is not in the corpus ({len(self)} rows)")
        if row not in self._cache:
            found = self._corpus.db.execute(f"SELECT {self._name} FROM tunes WHERE row = ?", (row,)).fetchone()
            self._cache[row] = found[0] if found else None
            self.reads += 1
        return self._cache[row]


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its ``%`` and ``_`` taken literally.

    Examples
    --------
    >>> _like("50%_off")
    '%50\\\\%\\\\_off%'
    """
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _example_corpus() -> "Corpus":
    """A two-tune corpus in a temporary folder, written once per process (for the examples)."""
    global _EXAMPLE_DIR
    if _EXAMPLE_DIR is None:
        d = Path(tempfile.mkdtemp()) / "example"
        w = StoreWriter(d)
        w.add(Entry("demo", "a X:1", ["Tune A"], tokens=["M:6/8", "K:Cdor", "C", "D", "E", "|"], type="jig"))
        w.add(Entry("demo", "b X:1", ["Tune B"], tokens=["M:4/4", "K:Cmaj", "c''", "|"], status="oov",
                    reason="pitch c'' outside vocabulary"))
        w.finish(sources=["demo"])
        SuffixIndex.build(np.load(d / "ids.npy"), np.load(d / "offsets.npy")).save(d)
        _EXAMPLE_DIR = d
    return Corpus.open(_EXAMPLE_DIR)


_EXAMPLE_DIR: Path | None = None


def _load(path: Path) -> np.ndarray:
    return load_npy(path, mmap_mode="r", error=CorpusError, what="corpus array file")


class Corpus:
    """A built corpus, opened read-only. Use :meth:`open`.

    Examples
    --------
    >>> c = _example_corpus()
    >>> len(c), c.n_rows, [t.title for t in c]
    (2, 1, ['Tune A', 'Tune B'])

    Attributes
    ----------
    path : Path
    manifest : dict
    ids : np.ndarray of uint8 [shape=(N,)]
    offsets : np.ndarray of int64 [shape=(n_rows + 1,)]
    tune_ids : np.ndarray of int64 [shape=(n_rows,)]
    """

    def __init__(self, path: Path, manifest: dict) -> None:
        self.path = Path(path)
        self.manifest = manifest
        try:
            self.ids = _load(self.path / "ids.npy")
            self.offsets = np.asarray(_load(self.path / "offsets.npy"), dtype=np.int64)
            self.tune_ids = np.asarray(_load(self.path / "tune_ids.npy"), dtype=np.int64)
        except (OSError, ValueError) as exc:
            raise CorpusError(f"corpus arrays unreadable: {exc}", path=str(path)) from exc
        if self.ids.ndim != 1 or self.offsets.ndim != 1 or self.tune_ids.ndim != 1:
            raise CorpusError("corpus arrays are not one-dimensional (ids, offsets, tune_ids)", path=str(path))
        if len(self.offsets) != len(self.tune_ids) + 1 or (len(self.offsets) and self.offsets[-1] != len(self.ids)):
            raise CorpusError("corpus arrays disagree in size (ids, offsets, tune_ids)", path=str(path))
        uri = f"file:{quote(str(self.path / 'tunes.sqlite'))}?mode=ro&immutable=1"
        try:
            self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self.db.execute("SELECT count(*) FROM tunes").fetchone()
        except sqlite3.Error as exc:
            raise CorpusError(f"tunes.sqlite unreadable: {exc}", path=str(path)) from exc

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, quiet: bool = False) -> "Corpus":
        """Open the corpus at ``path``, or the default corpus (built on first use).

        Parameters
        ----------
        path : path or None
            A corpus directory written by :func:`folkabc.corpus.build_corpus`;
            None for the default corpus (``$FOLKABC_HOME/corpus``).
        quiet : bool
            No progress bar if the default corpus has to be built.

        Raises
        ------
        CorpusError
            Not a corpus, or built with another vocabulary.

        Examples
        --------
        >>> Corpus.open("/no/such/corpus")
        Traceback (most recent call last):
        ...
        folkabc.errors.CorpusError: /no/such/corpus: not a corpus: no manifest.json
        """
        if path is None:
            path = ensure_default_corpus(quiet=quiet)
        p = Path(path).expanduser()
        if not (p / "manifest.json").exists() and aside(p).exists():
            with corpus_lock(p):  # a build died between its renames: put the old corpus back
                recover(p)
        manifest = read_manifest(p)
        if manifest.get("vocabulary_sha256") != vocabulary_sha256():
            raise CorpusError("corpus was built with another vocabulary; rebuild it", path=str(p))
        return cls(p, manifest)

    def close(self) -> None:
        """Close the database.

        Examples
        --------
        >>> with _example_corpus() as c:
        ...     n = len(c)
        """
        self.db.close()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r}, tunes={len(self)}, rows={self.n_rows})"

    # ------------------------------------------------------------------ tunes
    def __len__(self) -> int:
        """Number of distinct tunes stored (searchable or not)."""
        return self.db.execute("SELECT count(*) FROM tunes").fetchone()[0]

    @property
    def n_rows(self) -> int:
        """Number of searchable tunes (rows of ``ids``).

        Examples
        --------
        >>> _example_corpus().n_rows
        1
        """
        return len(self.tune_ids)

    _COLS = ("id, row, status, reason, source, ref, title, type, meter, mode, key, meter_text, abc,"
             " tokens, check_ok, check_json, n_copies")

    def _record(self, r: tuple, *, full: bool = True) -> CorpusTune:
        t = CorpusTune(
            id=r[0], row=r[1], status=r[2], reason=r[3], source=r[4], ref=r[5], title=r[6], type=r[7],
            meter=r[8], mode=r[9], key=r[10], meter_text=r[11], abc=r[12],
            tokens=r[13].split(" ") if r[13] else [], check_ok=None if r[14] is None else bool(r[14]),
            check=json.loads(r[15]) if r[15] else None, n_copies=r[16],
        )
        if full:
            t.titles = [x for (x,) in self.db.execute(
                "SELECT title FROM titles WHERE tune_id = ? ORDER BY rowid", (t.id,))]
            t.sources = [
                {"source": s, "ref": ref, "title": title, "type": ty, "key": key,
                 "meta": json.loads(meta) if meta else {}}
                for s, ref, title, ty, key, meta in self.db.execute(
                    "SELECT source, ref, title, type, key, meta_json FROM copies WHERE tune_id = ?"
                    " ORDER BY rowid", (t.id,))
            ]
        return t

    def tune(self, tune_id: int) -> CorpusTune:
        """The tune with id ``tune_id`` (also ``corpus[tune_id]``).

        Raises
        ------
        CorpusError
            No such tune.

        Examples
        --------
        >>> t = _example_corpus().tune(1)
        >>> t.title, t.meter, t.mode, t.type, t.row
        ('Tune A', 'M:6/8', 'K:Cdor', 'jig', 0)
        """
        r = self.db.execute(f"SELECT {self._COLS} FROM tunes WHERE id = ?", (int(tune_id),)).fetchone()
        if r is None:
            raise CorpusError(f"no tune with id {tune_id} (ids run 1..{len(self)})", path=str(self.path))
        return self._record(r)

    __getitem__ = tune

    def __iter__(self) -> Iterator[CorpusTune]:
        """Every tune, in id order, read a few hundred at a time (flat memory on any corpus)."""
        cur = self.db.execute(f"SELECT {self._COLS} FROM tunes ORDER BY id")
        while rows := cur.fetchmany(256):
            for r in rows:
                yield self._record(r)

    def tune_at(self, row: int) -> CorpusTune:
        """The tune of a row (a searchable tune).

        Examples
        --------
        >>> _example_corpus().tune_at(0).id
        1
        """
        return self.tune(int(self.tune_ids[self._row(row)]))

    def _row(self, row: int) -> int:
        row = int(row)
        if not 0 <= row < self.n_rows:
            raise ParameterError(f"row {row} is outside 0..{self.n_rows - 1}")
        return row

    def row_of(self, tune_id: int) -> int | None:
        """The row of a tune id (None when the tune is not searchable).

        Examples
        --------
        >>> c = _example_corpus()
        >>> c.row_of(1), c.row_of(2)
        (0, None)
        """
        r = self.db.execute("SELECT row FROM tunes WHERE id = ?", (int(tune_id),)).fetchone()
        return None if r is None else r[0]

    def row_ids(self, row: int) -> np.ndarray:
        """Token ids of a row, without its ``</s>``.

        Examples
        --------
        >>> VOCAB.decode(_example_corpus().row_ids(0))
        ['M:6/8', 'K:Cdor', 'C', 'D', 'E', '|']
        """
        row = self._row(row)
        return np.asarray(self.ids[self.offsets[row]:self.offsets[row + 1] - 1])

    def row_tokens(self, row: int) -> list[str]:
        """Tokens of a row (``[meter, mode, body...]``).

        Examples
        --------
        >>> _example_corpus().row_tokens(0)[:3]
        ['M:6/8', 'K:Cdor', 'C']
        """
        return VOCAB.decode(self.row_ids(row))

    def titles_of(self, row: int) -> list[str]:
        """Every title of a row's tune (all its copies).

        Examples
        --------
        >>> _example_corpus().titles_of(0)
        ['Tune A']
        """
        tid = int(self.tune_ids[self._row(row)])
        return [t for (t,) in self.db.execute("SELECT title FROM titles WHERE tune_id = ? ORDER BY rowid", (tid,))]

    # ------------------------------------------------------------------ metadata, vectorised
    def meta_array(self, name: str) -> np.ndarray:
        """One value per row of ``meter``, ``mode``, ``type``, ``source``, ``title``, ``key``, ``status``
        or ``check_ok`` (1 when every bar of the tune counts, else 0).

        Returns
        -------
        np.ndarray of object [shape=(n_rows,)]

        Examples
        --------
        >>> _example_corpus().meta_array("type").tolist()
        ['jig']
        """
        if name not in _META_FIELDS:
            raise ParameterError(f"meta field {name!r} is not one of {', '.join(_META_FIELDS)}")
        cache = self.__dict__.setdefault("_meta_cache", {})
        if name not in cache:
            out = np.empty(self.n_rows, dtype=object)
            rows = self.db.execute(f"SELECT row, {name} FROM tunes WHERE row IS NOT NULL").fetchall()
            if rows:
                idx, vals = zip(*rows)
                out[list(idx)] = list(vals)
            cache[name] = out
        return cache[name]

    def mask(self, *, meter: str | None = None, mode: str | None = None, type: str | None = None,
             source: str | None = None, title: str | None = None) -> np.ndarray:
        """Boolean filter over rows: every given condition holds.

        ``meter`` ``6/8`` or ``M:6/8``; ``mode`` ``dor``/``Cdor``/``K:Cdor``;
        ``type`` (case-insensitive); ``source`` (any copy from that source);
        ``title`` (case-insensitive substring of any title).

        Examples
        --------
        >>> c = _example_corpus()
        >>> c.mask(meter="6/8", title="tune").tolist(), c.mask(source="elsewhere").tolist()
        ([True], [False])
        """
        keep = np.ones(self.n_rows, dtype=bool)
        if meter:
            keep &= self.meta_array("meter") == normalize_meter(meter)
        if mode:
            keep &= self.meta_array("mode") == normalize_mode(mode)
        if type:
            keep &= np.array([(t or "").lower() == type.lower() for t in self.meta_array("type")], dtype=bool)
        if source:
            hit = np.zeros(self.n_rows, dtype=bool)
            hit[self._copy_rows.get(source, np.zeros(0, dtype=np.int64))] = True
            keep &= hit
        if title:
            hit = np.zeros(self.n_rows, dtype=bool)
            hit[[r for (r,) in self.db.execute(
                "SELECT DISTINCT t.row FROM titles x JOIN tunes t ON t.id = x.tune_id"
                " WHERE t.row IS NOT NULL AND x.title LIKE ? ESCAPE '\\'", (_like(title),))]] = True
            keep &= hit
        return keep

    @cached_property
    def _copy_rows(self) -> "_RowsBySource":
        """For each source, the rows with a copy from it (read per source on first use)."""
        return _RowsBySource(self.db)

    def select(self, *, meter: str | None = None, mode: str | None = None, type: str | None = None,
               source: str | None = None, title: str | None = None, status: str | None = None,
               limit: int | None = None) -> list[CorpusTune]:
        """Tunes (searchable or not) matching every given filter, in id order (for listing).

        Examples
        --------
        >>> c = _example_corpus()
        >>> [t.title for t in c.select(meter="6/8")], [t.id for t in c.select(status="oov")]
        (['Tune A'], [2])
        """
        where, args = [], []
        if meter:
            where.append("t.meter = ?")
            args.append(normalize_meter(meter))
        if mode:
            where.append("t.mode = ?")
            args.append(normalize_mode(mode))
        if type:
            where.append("lower(t.type) = lower(?)")
            args.append(type)
        if status:
            where.append("t.status = ?")
            args.append(status)
        if source:
            where.append("t.id IN (SELECT tune_id FROM copies WHERE source = ?)")
            args.append(source)
        if title:
            where.append("t.id IN (SELECT tune_id FROM titles WHERE title LIKE ? ESCAPE '\\')")
            args.append(_like(title))
        sql = f"SELECT {', '.join('t.' + c.strip() for c in self._COLS.split(','))} FROM tunes t"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY t.id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._record(r) for r in self.db.execute(sql, args).fetchall()]

    # ------------------------------------------------------------------ summaries and export
    def info(self) -> dict:
        """Counts: per source, meter, mode and status; tokens; failures by reason; check results.

        Examples
        --------
        >>> info = _example_corpus().info()
        >>> info["tunes"], info["searchable"], info["tokens"], info["failures"]
        (2, 1, 6, {"pitch c'' outside vocabulary": 1})
        """
        q = self.db.execute
        counts = self.manifest.get("counts", {})

        def grouped(sql: str) -> dict:
            return {k if k is not None else "(none)": n for k, n in q(sql).fetchall()}

        return {
            "path": str(self.path),
            "builder_version": self.manifest.get("builder_version"),
            "created": self.manifest.get("created"),
            "sources": self.manifest.get("sources", []),
            "transcriptions": counts.get("transcriptions"),
            "tunes": len(self),
            "searchable": self.n_rows,
            "duplicates": counts.get("duplicates"),
            "tokens": int(len(self.ids) - self.n_rows),
            "per_source": counts.get("sources", {}),
            "per_meter": grouped("SELECT meter, count(*) FROM tunes WHERE row IS NOT NULL"
                                 " GROUP BY meter ORDER BY count(*) DESC"),
            "per_mode": grouped("SELECT mode, count(*) FROM tunes WHERE row IS NOT NULL"
                                " GROUP BY mode ORDER BY count(*) DESC"),
            "per_status": grouped("SELECT status, count(*) FROM tunes GROUP BY status ORDER BY count(*) DESC"),
            "failures": grouped("SELECT reason, count(*) FROM tunes WHERE status != 'ok'"
                                " GROUP BY reason ORDER BY count(*) DESC, reason"),
            "checked": q("SELECT count(*) FROM tunes WHERE check_ok IS NOT NULL").fetchone()[0],
            "check_ok": q("SELECT count(*) FROM tunes WHERE check_ok = 1").fetchone()[0],
            "index": (self.path / "search.json").exists(),
        }

    def iter_row_tokens(self, rows: Sequence[int] | np.ndarray | None = None) -> Iterator[list[str]]:
        """Tokens of each row (all rows by default), in row order.

        Examples
        --------
        >>> [len(t) for t in _example_corpus().iter_row_tokens()]
        [6]
        """
        rows = range(self.n_rows) if rows is None else rows
        for r in rows:
            yield self.row_tokens(int(r))

    def export_folkrnn(self, *, rows: Sequence[int] | np.ndarray | None = None) -> str:
        """The searchable tunes in the folk-rnn training file format (one block per tune).

        See Also
        --------
        folkabc.tokens.write_folkrnn, folkabc.tokens.read_folkrnn : the format's writer and reader.

        Examples
        --------
        >>> print(_example_corpus().export_folkrnn())
        M:6/8
        K:Cdor
        C D E |
        <BLANKLINE>
        """
        return write_folkrnn(self.iter_row_tokens(rows))

    # ------------------------------------------------------------------ search fronts
    @cached_property
    def index(self):
        """The :class:`folkabc.search.SuffixIndex` stored with the corpus (memory-mapped).

        Examples
        --------
        >>> _example_corpus().index.count(VOCAB.encode(["D", "E"]))
        1
        """
        return SuffixIndex.load(self.path, mmap=True)

    def search_view(self) -> SearchView:
        """What search needs, as plain arrays: the index, tune ids, titles, sources, rows per source.

        Built once per open corpus; search works on it and never calls back.

        Examples
        --------
        >>> v = _example_corpus().search_view()
        >>> v.tune_ids.tolist(), v.describe(0), {s: r.tolist() for s, r in v.copy_rows.items()}
        ([1], ('Tune A', 'demo'), {'demo': [0]})
        """
        return self._search_view

    @cached_property
    def _search_view(self) -> SearchView:
        return SearchView(self.index, np.asarray(self.tune_ids, dtype=np.int64), _RowColumn(self, "title"),
                          _RowColumn(self, "source"), self._copy_rows)

    def search(self, tokens, **kw):
        """Find a figure: :func:`folkabc.search.search_corpus` on this corpus's :meth:`search_view`.

        Examples
        --------
        >>> _example_corpus().search("C D E").occurrences
        1
        """
        return search_corpus(self.search_view(), tokens, **kw)

    @cached_property
    def rep_index(self):
        """The :class:`folkabc.similar.RepIndex` of the corpus (pitch/interval/contour indexes, built lazily).

        Examples
        --------
        >>> _example_corpus().rep_index.n_tunes
        1
        """
        return RepIndex(self.ids, self.offsets, directory=self.path)

    def similar(self, tune, *, limit: int = 10, **kw):
        """The nearest corpus tunes of ``tune`` (tokens, ids, or a TokenizedTune), with ids and titles.

        Delegates to :func:`folkabc.similar.similar_ids`; see ``docs/similar.md``.

        Examples
        --------
        >>> res = _example_corpus().similar(["M:6/8", "K:Cmaj", "D", "E", "F", "|"])  # C D E-flat, a tone up
        >>> [(h.tune_id, h.score) for h in res.hits]
        [(1, 1.0)]
        """
        tokens = getattr(tune, "tokens", tune)
        res = similar_ids(self.rep_index, tokens, limit=limit, **kw)
        titles = self.meta_array("title")
        sources = self.meta_array("source")
        res.hits = [replace(h, tune_id=int(self.tune_ids[h.row]), title=titles[h.row], source=sources[h.row])
                    for h in res.hits]
        return res

    def families(self, **kw):
        """Tune families of the corpus: delegates to :func:`folkabc.similar.tune_families`.

        Examples
        --------
        >>> _example_corpus().families()
        []
        """
        titles = self.meta_array("title")
        return [replace(f, tune_ids=[int(self.tune_ids[r]) for r in f.rows], titles=[titles[r] for r in f.rows])
                for f in tune_families(self.rep_index, **kw)]

    def novelty(self, tune, **kw):
        """Plagiarism report for a tune: :func:`folkabc.search.novelty` on :meth:`search_view`.

        Examples
        --------
        >>> report = _example_corpus().novelty(["M:6/8", "K:Cdor", "C", "D", "E", "|"])
        >>> type(report).__name__
        'NoveltyReport'
        """
        return novelty(self.search_view(), tune, **kw)
