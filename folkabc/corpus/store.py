"""The corpus store on disk: one SQLite file, numpy arrays beside it, written atomically.

A corpus directory holds

``manifest.json``
    (:mod:`folkabc.corpus.manifest`) ``format`` ("folkabc-corpus"), ``format_version``,
    ``builder_version`` and ``builder_files`` (the size and time of each file it hashes),
    ``vocabulary_sha256`` and ``vocabulary`` (the 137 tokens in id order), the
    ``sources`` read and the build ``counts``.
``tunes.sqlite``
    Tables ``tunes`` (one row per distinct tune), ``copies`` (one row per
    transcription read: exact duplicates point at the same tune), ``titles``
    (every distinct title of a tune, over all its copies) — see :data:`SCHEMA`.
``ids.npy``
    ``uint8`` token ids of every searchable tune concatenated, each as
    ``[meter, mode, body..., </s>]``.
``offsets.npy``
    ``int64``, ``n_rows + 1``: row ``k`` is ``ids[offsets[k]:offsets[k+1]]``.
``tune_ids.npy``
    ``int64``, ``n_rows``: the tune id (``tunes.id``) of each row.
(index files)
    Written by :mod:`folkabc.search` when it is installed.

A *row* is a searchable tune (all tokens in the vocabulary, no conversion
error); every tune has an *id* (1-based, in order of first appearance).

Writes are atomic: :class:`StoreWriter` fills a temporary directory beside the
target, then :func:`install` renames it into place (the previous corpus is
first renamed aside and removed only once the new one is in place;
:func:`recover` puts it back if a build died between the two renames).
:func:`corpus_lock` serialises builders across processes (``fcntl``).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp()) / "c"
>>> w = StoreWriter(d)
>>> w.add(Entry("demo", "a.abc X:1", ["A"], tokens=["M:4/4", "K:Cmaj", "C", "D", "|"])).tune_id
1
>>> w.add(Entry("demo", "b.abc X:1", ["B"], tokens=["M:4/4", "K:Cmaj", "C", "D", "|"])).duplicate
True
>>> counts = w.finish(sources=["demo"])
>>> counts["transcriptions"], counts["tunes"], counts["rows"], counts["duplicates"]
(2, 1, 1, 1)
>>> sorted(p.name for p in d.iterdir())
['ids.npy', 'manifest.json', 'offsets.npy', 'tune_ids.npy', 'tunes.sqlite']
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from array import array
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from .._io import current_umask
from ..errors import CorpusError
from ..vocab import VOCAB
from .manifest import FORMAT, FORMAT_VERSION, builder_files, builder_version, read_manifest, vocabulary_sha256

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SCHEMA",
    "Entry",
    "Added",
    "StoreWriter",
    "builder_version",
    "vocabulary_sha256",
    "install",
    "recover",
    "corpus_lock",
    "read_manifest",
    "temp_build_dir",
]


#: The SQLite schema of ``tunes.sqlite``.
SCHEMA = """
CREATE TABLE tunes (
    id INTEGER PRIMARY KEY,   -- corpus tune id, 1-based, order of first appearance
    row INTEGER,              -- row in ids/offsets/tune_ids; NULL when not searchable
    status TEXT NOT NULL,     -- 'ok', 'oov' (a token outside the vocabulary) or 'error'
    reason TEXT,              -- why it is not searchable (status oov/error)
    source TEXT NOT NULL,     -- source name of the first copy read
    ref TEXT NOT NULL,        -- where in that source (file and X:, tune/setting ids)
    title TEXT,               -- first title
    type TEXT,                -- tune type (R: or the dump's type)
    meter TEXT,               -- meter token, e.g. M:6/8 (NULL without tokens)
    mode TEXT,                -- mode token, e.g. K:Cdor
    key TEXT,                 -- the original K: value
    meter_text TEXT,          -- the original M: value
    abc TEXT,                 -- the original ABC of the first copy
    tokens TEXT,              -- tokens, space-joined (extended tokens kept as text)
    n_tokens INTEGER,
    digest BLOB UNIQUE,       -- sha1 of the tokens (exact-duplicate key)
    check_ok INTEGER,         -- bar check: 1 clean, 0 findings, NULL not checked
    check_json TEXT,          -- the check result as JSON
    n_copies INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE copies (
    tune_id INTEGER NOT NULL, -- the tune this transcription is (a copy of)
    source TEXT NOT NULL,
    ref TEXT NOT NULL,
    title TEXT,
    type TEXT,
    key TEXT,
    meta_json TEXT            -- source metadata (thesession tune_id, setting_id, ...)
);
CREATE TABLE titles (
    tune_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    UNIQUE (tune_id, title)
);
"""

_INDEXES = """
CREATE INDEX copies_tune ON copies (tune_id);
CREATE INDEX copies_source ON copies (source);
CREATE UNIQUE INDEX tunes_row ON tunes (row);
"""

@dataclass
class Entry:
    """One converted transcription, ready to store.

    Parameters
    ----------
    source, ref : str
        Source name and where in it.
    titles : list of str
    tokens : list of str or None
        ``[meter, mode, body...]``; None when the tune could not be converted.
    status : {'ok', 'oov', 'error'}
    reason : str or None
        Why it is not searchable.
    type, key, meter_text, abc : str or None
    check_ok : bool or None
    check_json : str or None
    meta : dict

    Examples
    --------
    >>> Entry("demo", "a.abc X:1", ["A"], tokens=["M:4/4", "K:Cmaj", "C", "|"]).status
    'ok'
    """

    source: str
    ref: str
    titles: list[str] = field(default_factory=list)
    tokens: list[str] | None = None
    status: str = "ok"
    reason: str | None = None
    type: str | None = None
    key: str | None = None
    meter_text: str | None = None
    abc: str | None = None
    check_ok: bool | None = None
    check_json: str | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class Added:
    """What :meth:`StoreWriter.add` did: the tune id, and whether it was a duplicate.

    Examples
    --------
    >>> Added(3, False)
    Added(tune_id=3, duplicate=False)
    """

    tune_id: int
    duplicate: bool


def temp_build_dir(target: Path) -> Path:
    """A fresh temporary directory beside ``target`` (same filesystem, so rename is atomic).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "corpus"
    >>> temp_build_dir(target).name.startswith(".corpus.build-")
    True
    >>> oct(temp_build_dir(target).stat().st_mode & 0o777) == oct(0o777 & ~current_umask())
    True
    """
    target = corpus_folder(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700; the installed corpus gets a usual folder's mode
    return tmp


class StoreWriter:
    """Write a corpus store into ``directory`` (which must not exist or be empty).

    Tunes stream in through :meth:`add`; token ids go to a raw file as they come,
    SQLite rows go in one transaction, so memory stays flat however many
    transcriptions are read. :meth:`finish` writes the arrays and the manifest.

    Parameters
    ----------
    directory : Path
    batch : int
        Copy and title rows kept in memory before an ``executemany`` flush.

    Examples
    --------
    See the module example.
    """

    def __init__(self, directory: Path, *, batch: int = 2000) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.directory / "tunes.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.executescript(SCHEMA)
        self.db.execute("BEGIN")
        self._ids = open(self.directory / "ids.bin", "wb")  # noqa: SIM115 - closed in finish
        self._offsets = array("q", [0])
        self._tune_ids = array("q")
        self._end = np.array([VOCAB.id("</s>")], dtype=np.uint8)
        self._copies: list[tuple] = []
        self._titles: list[tuple] = []
        self._batch = batch
        self.next_id = 1
        self.counts = {
            "transcriptions": 0, "tunes": 0, "rows": 0, "duplicates": 0, "tokens": 0,
            "status": Counter(), "failures": Counter(), "sources": {}, "checked": 0, "check_ok": 0,
        }

    def add(self, e: Entry) -> Added:
        """Store one transcription (a new tune, or a copy of one already stored).

        Raises
        ------
        UnknownTokenError
            An ``ok`` entry whose tokens are not all in the vocabulary.

        Examples
        --------
        >>> import tempfile
        >>> w = StoreWriter(Path(tempfile.mkdtemp()) / "c")
        >>> w.add(Entry("s", "1", status="error", reason="syntax error: x"))
        Added(tune_id=1, duplicate=False)
        >>> w.abort()
        """
        c = self.counts
        c["transcriptions"] += 1
        per_source = c["sources"].setdefault(e.source, {"transcriptions": 0, "tunes": 0, "duplicates": 0,
                                                       "failures": 0, "rows": 0})
        per_source["transcriptions"] += 1
        digest = None
        if e.tokens is not None:
            digest = hashlib.sha1(" ".join(e.tokens).encode("utf-8")).digest()
            hit = self.db.execute("SELECT id FROM tunes WHERE digest = ?", (digest,)).fetchone()
            if hit is not None:
                tid = hit[0]
                self.db.execute("UPDATE tunes SET n_copies = n_copies + 1 WHERE id = ?", (tid,))
                self._copy(tid, e)
                c["duplicates"] += 1
                per_source["duplicates"] += 1
                return Added(tid, True)
        tid = self.next_id
        self.next_id += 1
        row = None
        if e.status == "ok" and e.tokens is not None:
            ids = VOCAB.encode(e.tokens)  # raises UnknownTokenError if the caller lied about status
            self._ids.write(ids.tobytes())
            self._ids.write(self._end.tobytes())
            row = len(self._tune_ids)
            self._tune_ids.append(tid)
            self._offsets.append(self._offsets[-1] + len(ids) + 1)
            c["rows"] += 1
            c["tokens"] += len(ids)
            per_source["rows"] += 1
        else:
            c["failures"][e.reason or e.status] += 1
            per_source["failures"] += 1
        c["tunes"] += 1
        per_source["tunes"] += 1
        c["status"][e.status] += 1
        if e.check_ok is not None:
            c["checked"] += 1
            c["check_ok"] += bool(e.check_ok)
        toks = e.tokens
        self.db.execute(
            "INSERT INTO tunes (id, row, status, reason, source, ref, title, type, meter, mode, key,"
            " meter_text, abc, tokens, n_tokens, digest, check_ok, check_json)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (tid, row, e.status, e.reason, e.source, e.ref, e.titles[0] if e.titles else None, e.type,
             toks[0] if toks else None, toks[1] if toks and len(toks) > 1 else None, e.key, e.meter_text,
             e.abc, " ".join(toks) if toks is not None else None, len(toks) if toks is not None else None,
             digest, None if e.check_ok is None else int(bool(e.check_ok)), e.check_json),
        )
        self._copy(tid, e)
        return Added(tid, False)

    def _copy(self, tid: int, e: Entry) -> None:
        self._copies.append((tid, e.source, e.ref, e.titles[0] if e.titles else None, e.type, e.key,
                             json.dumps(e.meta, ensure_ascii=False) if e.meta else None))
        self._titles.extend((tid, t) for t in e.titles if t)
        if len(self._copies) >= self._batch:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany("INSERT INTO copies VALUES (?,?,?,?,?,?,?)", self._copies)
        self.db.executemany("INSERT OR IGNORE INTO titles VALUES (?,?)", self._titles)
        self._copies.clear()
        self._titles.clear()

    def finish(self, *, sources: list[str], extra: dict | None = None) -> dict:
        """Write ``ids.npy``, ``offsets.npy``, ``tune_ids.npy``, indexes and ``manifest.json``.

        Returns
        -------
        dict
            The build counts (also stored in the manifest).

        Examples
        --------
        >>> import tempfile
        >>> w = StoreWriter(Path(tempfile.mkdtemp()) / "c")
        >>> _ = w.add(Entry("s", "1", tokens=["M:4/4", "K:Cmaj", "C", "|"]))
        >>> w.finish(sources=["s"])["tokens"]
        4
        """
        self._flush()
        self.db.execute("COMMIT")
        self.db.executescript(_INDEXES)
        self.db.close()
        self._ids.close()
        raw = self.directory / "ids.bin"
        n = raw.stat().st_size
        with open(self.directory / "ids.npy", "wb") as out, open(raw, "rb") as src:
            np.lib.format.write_array_header_1_0(
                out, {"descr": np.dtype(np.uint8).str, "fortran_order": False, "shape": (n,)})
            shutil.copyfileobj(src, out, 1 << 20)
        raw.unlink()
        np.save(self.directory / "offsets.npy", np.frombuffer(self._offsets, dtype=np.int64))
        np.save(self.directory / "tune_ids.npy", np.frombuffer(self._tune_ids, dtype=np.int64))
        counts = dict(self.counts)
        counts["status"] = dict(counts["status"])
        counts["failures"] = dict(counts["failures"].most_common())
        files = builder_files()  # stats first: a file edited while hashing then reads as changed
        version = builder_version()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "builder_version": version,
            "builder_files": {"version": version, "files": files},
            "vocabulary_sha256": vocabulary_sha256(),
            "vocabulary": list(VOCAB.tokens),
            "sources": list(sources),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "counts": counts,
            **(extra or {}),
        }
        (self.directory / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False),
                                                      encoding="utf-8")
        return counts

    def abort(self) -> None:
        """Close the files without finishing (the caller removes the directory).

        Examples
        --------
        >>> import tempfile
        >>> StoreWriter(Path(tempfile.mkdtemp()) / "c").abort()
        """
        try:
            self.db.close()
        finally:
            self._ids.close()


def _fsync_tree(path: Path) -> None:
    for f in path.iterdir():
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def corpus_folder(target: str | Path) -> Path:
    """``target`` as an absolute path with a name: what builds, locks and the aside copy sit beside
    (``.``, ``..`` or ``mycorpus/`` name a folder as well as ``/home/me/mycorpus``).

    Raises
    ------
    CorpusError
        For the root folder, which nothing sits beside.

    Examples
    --------
    >>> corpus_folder("/data/tunes/../corpus/")
    PosixPath('/data/corpus')
    >>> corpus_folder(".") == Path.cwd()
    True
    """
    p = Path(os.path.abspath(Path(target).expanduser()))
    if not p.name:
        raise CorpusError("the root folder cannot hold a corpus: name a folder", path=str(target))
    return p


def aside(target: str | Path) -> Path:
    """The previous corpus's place while a new one is installed: ``.NAME.old`` beside ``target``.

    Examples
    --------
    >>> aside("/data/corpus")
    PosixPath('/data/.corpus.old')
    """
    p = corpus_folder(target)
    return p.with_name(f".{p.name}.old")


def install(tmp: Path, target: Path) -> None:
    """Move a finished build ``tmp`` to ``target``, replacing any corpus there.

    The old corpus is renamed aside, the new one renamed in, then the old one
    removed: at every moment either ``target`` or its aside copy is a whole
    corpus (see :func:`recover`).
    Call under :func:`corpus_lock`.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "corpus"
    >>> tmp = temp_build_dir(target)
    >>> StoreWriter(tmp).finish(sources=[])["tunes"]
    0
    >>> install(tmp, target)
    >>> sorted(p.name for p in target.parent.iterdir())
    ['corpus']
    """
    tmp, target = Path(tmp), corpus_folder(target)
    _fsync_tree(tmp)
    old = aside(target)
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        else:
            read_manifest(target, any_version=True)  # never replace something that is not a corpus
            os.rename(target, old)
    os.rename(tmp, target)
    _fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path) -> bool:
    """Put back the previous corpus if a build died between its two renames; clean leftovers.

    Call under :func:`corpus_lock` (so no build is running). Returns True when
    something was put back.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "corpus"
    >>> _ = StoreWriter(target.with_name(".corpus.old")).finish(sources=[])  # as if killed mid-install
    >>> recover(target), (target / "manifest.json").exists()
    (True, True)
    """
    target = corpus_folder(target)
    for stale in target.parent.glob(f".{target.name}.build-*"):
        shutil.rmtree(stale, ignore_errors=True)
    old = aside(target)
    if old.exists():
        if not target.exists() and (old / "manifest.json").exists():
            os.rename(old, target)
            return True
        shutil.rmtree(old, ignore_errors=True)
    return False


@contextmanager
def corpus_lock(target: Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock for ``target`` (a file beside it) while building.

    Raises
    ------
    CorpusError
        When ``timeout`` seconds pass without getting the lock.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "corpus"
    >>> with corpus_lock(target, timeout=5):
    ...     target.with_name(".corpus.lock").exists()
    True
    """
    target = corpus_folder(target)
    lock_path = target.with_name(f".{target.name}.lock")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CorpusError(f"cannot write here: {exc.strerror or exc}", path=str(target)) from exc
    try:
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if timeout is not None else 0))
                break
            except BlockingIOError:
                if time.monotonic() - start > timeout:  # type: ignore[operator]
                    raise CorpusError("another process is building this corpus", path=str(target)) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing releases the lock
