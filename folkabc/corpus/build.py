"""Building a corpus: read sources, tokenize, check, deduplicate, store, index — atomically.

Steps (:func:`build_corpus`):

1. **read** — each source (:mod:`folkabc.corpus.sources`) streams items: an
   ABC file, a thesession setting (its ``abc`` body under a header made from
   the row), or a folk-rnn token sequence;
2. **convert** — :func:`convert_item` tokenizes each ``X:`` tune
   (:func:`folkabc.tokens.tokenize`) and checks its bars
   (:func:`folkabc.validate.check`); this runs in worker processes, a bounded
   number of batches in flight, so memory stays flat;
3. **store** — :class:`~folkabc.corpus.store.StoreWriter` writes each tune once
   (exact duplicates — the same tokens — become extra *copies* with their
   titles and sources), token ids of the searchable tunes to ``ids.npy``;
4. **index** — :class:`folkabc.search.SuffixIndex` is built over the ids and
   saved beside them;
5. **install** — the temporary directory is renamed over the target.

A tune is *searchable* (gets a row in ``ids.npy``) when it converted without
error and all its tokens are in the vocabulary. Every other tune is stored
too, with its reason, and counted: nothing read is silently dropped.
Failure reasons read like ``syntax error: ...``, ``meter M:3/8 outside
vocabulary``, ``pitch c'' outside vocabulary``.

The default corpus (the music21 collections) lives in ``$FOLKABC_HOME/corpus``
(default ``~/.cache/folkabc/corpus``) and is built on first use by
:func:`ensure_default_corpus`, under a file lock, and rebuilt when the stored
builder version or vocabulary differ from the code's.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "two.abc").write_text("X:1\\nT:A\\nM:2/4\\nL:1/8\\nK:G\\nGABc|d2d2|\\n\\n"
...                              "X:2\\nT:B\\nM:2/4\\nL:1/8\\nK:G\\nGABc|d2d2|\\n")
>>> report = build_corpus([d / "two.abc"], d / "corpus", workers=1, quiet=True)
>>> report.counts["transcriptions"], report.counts["tunes"], report.counts["duplicates"]
(2, 1, 1)
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing as mp
import os
import shutil
import signal
import sqlite3
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .. import validate
from .._progress import progress
from ..errors import CorpusError, FolkabcError
from ..search import SuffixIndex
from ..tokens import tokenize
from ..vocab import VOCAB, token_category
from . import manifest
from .manifest import DEFAULT_SOURCES, default_corpus_path, source_stamps
from .sources import Source, SourceItem, expand_sources
from .store import (
    Entry,
    StoreWriter,
    corpus_folder,
    corpus_lock,
    install,
    read_manifest,
    recover,
    temp_build_dir,
)

__all__ = [
    "BuildReport",
    "build_corpus",
    "convert_item",
    "default_corpus_path",
    "ensure_default_corpus",
    "is_current",
    "DEFAULT_SOURCES",
]


_ERROR_KINDS = {
    "AbcSyntaxError": "syntax error",
    "UnknownTokenError": "unknown token",
    "TokenSequenceError": "token sequence error",
}


@dataclass
class BuildReport:
    """What a build did.

    Attributes
    ----------
    path : Path
        The corpus directory.
    counts : dict
        ``transcriptions`` read, distinct ``tunes``, searchable ``rows``,
        ``duplicates``, ``tokens``, per-``status`` and per-``sources`` counts,
        ``failures`` by reason, ``checked`` and ``check_ok``.
    seconds : dict
        Wall time of each step (``convert_store``, ``index``, ``total``).

    Examples
    --------
    >>> BuildReport(Path("c"), {"tunes": 0}, {"total": 0.1}).to_dict()["path"]
    'c'
    """

    path: Path
    counts: dict
    seconds: dict

    def to_dict(self) -> dict:
        """JSON form.

        Examples
        --------
        >>> sorted(BuildReport(Path("c"), {}, {}).to_dict())
        ['counts', 'path', 'seconds']
        """
        return {"path": str(self.path), "counts": self.counts, "seconds": self.seconds}


def _failure_reason(tune) -> str | None:
    """Why a tokenized tune is not searchable (None when it is)."""
    err = tune.error
    if err is not None:
        kind = _ERROR_KINDS.get(type(err).__name__, "conversion error")
        msg = getattr(err, "message", str(err))
        return f"{kind}: {msg}"
    if not tune.in_vocab:
        _, tok = tune.oov[0]
        return f"{token_category(tok)} {tok} outside vocabulary"
    return None


def _check_json(target) -> tuple[bool | None, str | None]:
    try:
        results = validate.check(target)
    except FolkabcError as exc:
        return False, json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False)
    if not results:
        return None, None
    res = results[0]
    data = res.to_dict() if hasattr(res, "to_dict") else {"ok": res.ok}
    return bool(res.ok), json.dumps(data, ensure_ascii=False, default=str)


def convert_item(item: SourceItem, *, check: bool = True) -> list[Entry]:
    """Convert one source item into store entries (one per tune in it).

    Parameters
    ----------
    item : SourceItem
    check : bool
        Run the bar checker on each tune with tokens.

    Returns
    -------
    list of Entry
        Never empty: a file with no tune gives one ``error`` entry saying so.

    Examples
    --------
    >>> from folkabc.corpus.sources import SourceItem
    >>> abc = "X:3\\nT:Tiny\\nR:polka\\nM:2/4\\nL:1/8\\nK:D\\nDF AF|d2 d2|\\n"
    >>> [e] = convert_item(SourceItem("demo", "tiny.abc", "abc", abc), check=False)
    >>> e.ref, e.titles, e.type, e.key, e.status, e.tokens[:2]
    ('tiny.abc X:3', ['Tiny'], 'polka', 'D', 'ok', ['M:2/4', 'K:Cmaj'])
    >>> [bad] = convert_item(SourceItem("demo", "t.txt block 1", "tokens", tokens=["K:Cmaj", "M:4/4", "C"]))
    >>> bad.status, bad.reason
    ('error', 'token sequence error: a tune starts with its meter and mode tokens')
    """
    try:
        return _convert(item, check)
    except Exception as exc:  # a bug in a converter must cost one item, not the build
        return [Entry(item.source, item.ref, [item.meta.get("name")] if item.meta.get("name") else [],
                      status="error", reason=f"internal error: {type(exc).__name__}: {exc}",
                      type=item.meta.get("type") or None, abc=item.text or None, meta=item.meta)]


def _convert(item: SourceItem, check: bool) -> list[Entry]:
    meta = item.meta
    if item.kind == "tokens":
        toks = list(item.tokens or [])
        if len(toks) < 2 or token_category(toks[0]) != "meter" or token_category(toks[1]) != "mode":
            return [Entry(item.source, item.ref, [], tokens=toks or None, status="error",
                          reason="token sequence error: a tune starts with its meter and mode tokens")]
        oov = [t for t in toks if t not in VOCAB]
        reason = f"{token_category(oov[0])} {oov[0]} outside vocabulary" if oov else None
        e = Entry(item.source, item.ref, [], tokens=toks, status="oov" if oov else "ok", reason=reason)
        if check and toks:
            e.check_ok, e.check_json = _check_json(toks)
        return [e]
    session = "tune_id" in meta
    name = meta.get("name") or None
    if meta.get("error"):
        return [Entry(item.source, item.ref, [name] if name else [], status="error",
                      reason=f"bad row: {meta['error']}", type=meta.get("type") or None, meta=meta)]
    tunes = tokenize(item.text)
    if not tunes:
        return [Entry(item.source, item.ref, status="error", reason="no X: tune in the file",
                      abc=item.text[:10000] or None)]
    if item.line_bars:
        tunes = [validate.close_line_bars(t) for t in tunes]
    out = []
    for t in tunes:
        reason = _failure_reason(t)
        status = "ok" if reason is None else ("error" if t.error is not None else "oov")
        tokens = list(t.tokens) if t.error is None else None
        titles = list(t.titles) or ([name] if name else [])
        rtype = meta.get("type") or next(iter(t.header.get("R", [])), None) or None
        e = Entry(
            item.source, item.ref if session else f"{item.ref} X:{t.index}", titles, tokens=tokens,
            status=status, reason=reason, type=rtype.strip().lower() if rtype else None,
            key=t.key or None, meter_text=t.meter_text or None, abc=t.abc, meta=meta,
        )
        if check and tokens:
            e.check_ok, e.check_json = _check_json(t)
        out.append(e)
    return out


def _worker_init(parent: int) -> None:
    """A pool worker dies with its build (no orphan writing to a closed pipe) and leaves Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool; no KeyboardInterrupt per worker
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux): killed when the build is
    except (OSError, AttributeError):  # not Linux: a worker ends at its next read of the closed queue
        pass
    if os.getppid() != parent:  # the build died before prctl took effect
        os._exit(0)


def _convert_batch(args: tuple[list[SourceItem], bool]) -> list[list[Entry]]:
    items, check = args
    return [convert_item(it, check=check) for it in items]


def _batches(items: Iterator[SourceItem], *, max_items: int, max_chars: int) -> Iterator[list[SourceItem]]:
    batch: list[SourceItem] = []
    size = 0
    for it in items:
        batch.append(it)
        size += len(it.text) + 8 * len(it.tokens or ())
        if len(batch) >= max_items or size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _converted(sources: list[Source], *, workers: int, check: bool, quiet: bool) -> Iterator[list[Entry]]:
    """Entries of every item, in source order, converted by ``workers`` processes."""
    total = sum(len(s) for s in sources) if all(s.kind == "abc" for s in sources) else None

    def all_items() -> Iterator[SourceItem]:
        for s in sources:
            yield from s.items()

    # the bar counts items converted (files, or rows of a dump), not items read ahead
    yield from progress(_convert_all(all_items(), workers=workers, check=check), total=total,
                        desc="building corpus", quiet=quiet)


def _convert_all(items: Iterator[SourceItem], *, workers: int, check: bool) -> Iterator[list[Entry]]:
    """Entries of every item, in order; a bounded number of batches in flight in ``workers`` processes."""
    if workers <= 1:
        for it in items:
            yield convert_item(it, check=check)
        return
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_worker_init, initargs=(os.getpid(),)) as pool:
        pending: deque = deque()
        for batch in _batches(items, max_items=64, max_chars=200_000):
            pending.append(pool.map_async(_convert_batch, [(batch[i::workers], check) for i in range(workers)]))
            while len(pending) > 2 * workers:
                yield from _interleave(pending.popleft().get())
        while pending:
            yield from _interleave(pending.popleft().get())


def _interleave(parts: list[list[list[Entry]]]) -> Iterator[list[Entry]]:
    """Undo the ``batch[i::workers]`` split, restoring item order."""
    n = sum(len(p) for p in parts)
    w = len(parts)
    for k in range(n):
        yield parts[k % w][k // w]


def build_corpus(
    sources: Iterable[str | os.PathLike] | str | os.PathLike,
    out: str | os.PathLike,
    *,
    workers: int | None = None,
    check: bool = True,
    index: bool = True,
    quiet: bool = False,
) -> BuildReport:
    """Build a corpus from ``sources`` into the directory ``out``, atomically.

    Parameters
    ----------
    sources : str, path or list of them
        Source specifications (see :mod:`folkabc.corpus.sources`; ``default`` =
        the music21 collections).
    out : path
        The corpus directory; an existing corpus there is replaced only when
        the new one is complete.
    workers : int or None
        Conversion processes (None: up to 2, by CPU count).
    check : bool
        Store each tune's bar-check result.
    index : bool
        Build the search index (:class:`folkabc.search.SuffixIndex`).
    quiet : bool
        No progress bar (it is drawn only on a TTY anyway).

    Returns
    -------
    BuildReport

    Raises
    ------
    CorpusError
        An unreadable or malformed source, or ``out`` holding something that is
        not a corpus. The previous corpus at ``out`` is left untouched.

    See Also
    --------
    folkabc.corpus.Corpus.open : open the result.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> build_corpus(["music21:miscFolk"], d / "misc", quiet=True).counts["transcriptions"] > 100
    True
    """
    t0 = time.perf_counter()
    requested = [str(s) for s in sources] if not isinstance(sources, (str, os.PathLike)) else [str(sources)]
    srcs = expand_sources(requested)
    target = Path(out).expanduser()
    if target.exists() and not target.is_dir():
        raise CorpusError("the corpus output exists and is not a folder", path=str(target))
    folder, here = corpus_folder(target), Path.cwd()
    if folder == here or folder in here.parents:  # `-o .`: installing renames the whole folder
        raise CorpusError("the corpus output is the current folder or holds it (a build replaces the whole "
                          "folder): name a new folder", path=str(target))
    with corpus_lock(target):
        return _build_locked(srcs, target, t0=t0, workers=workers, check=check, index=index, quiet=quiet,
                             requested=requested)


def _recover(target: Path) -> None:
    """:func:`recover`, with an OSError (a folder it cannot read or rename) as a CorpusError."""
    try:
        recover(target)
    except OSError as exc:
        raise CorpusError(f"cannot recover the corpus folder: {exc.strerror or exc}",
                          path=str(exc.filename or target)) from exc


def _write_error(target: Path, exc: OSError | sqlite3.Error) -> CorpusError:
    return CorpusError(f"cannot write the corpus: {getattr(exc, 'strerror', None) or exc}",
                       path=str(getattr(exc, "filename", None) or target))


def _build_locked(srcs: list[Source], target: Path, *, t0: float, workers: int | None, check: bool,
                  index: bool, quiet: bool, requested: list[str]) -> BuildReport:
    """The build proper; the caller holds :func:`corpus_lock` for ``target``.

    The manifest records the sources as ``requested`` and each source's folder or file stamp
    (:func:`folkabc.corpus.manifest.is_current` compares them).
    """
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    _recover(target)
    try:
        occupied = target.exists() and any(target.iterdir())
    except OSError as exc:  # an unreadable output folder
        raise CorpusError(f"cannot read the corpus folder: {exc.strerror or exc}", path=str(target)) from exc
    if occupied:
        read_manifest(target, any_version=True)  # never replace a folder that is not a corpus
    try:
        tmp = temp_build_dir(target)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    try:
        stamps = source_stamps(srcs)  # before reading: a source changed while read is stale afterwards
        writer = StoreWriter(tmp)
        try:
            for entries in _converted(srcs, workers=workers, check=check, quiet=quiet):
                for e in entries:
                    writer.add(e)
        except BaseException:
            writer.abort()
            raise
        t1 = time.perf_counter()
        counts = writer.finish(sources=[s.spec for s in srcs],
                               extra={"index": bool(index), "requested": requested, "source_stamps": stamps})
        if index:
            _build_index(tmp)
        t2 = time.perf_counter()
        install(tmp, target)
    except (OSError, sqlite3.Error) as exc:  # disk full, permissions: the previous corpus is untouched
        shutil.rmtree(tmp, ignore_errors=True)
        raise _write_error(target, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = {"convert_store": round(t1 - t0, 3), "index": round(t2 - t1, 3),
               "total": round(time.perf_counter() - t0, 3)}
    return BuildReport(target, counts, seconds)


def _build_index(directory: Path) -> None:
    ids = np.load(directory / "ids.npy")
    offsets = np.load(directory / "offsets.npy")
    SuffixIndex.write(ids, offsets, directory)  # array by array: bounded peak memory


def is_current(path: str | os.PathLike, *, sources: Iterable[str] | None = None) -> bool:
    """Whether the corpus at ``path`` exists and was built by this code and vocabulary (from ``sources``).

    :func:`folkabc.corpus.manifest.is_current` (a few stats), with the source readers' expansion
    of ``sources`` when they are not the list the build was asked for.

    Examples
    --------
    >>> is_current("/no/such/corpus")
    False
    """
    return manifest.is_current(path, sources=sources, expand=lambda specs: [s.spec for s in expand_sources(specs)])


def ensure_default_corpus(*, quiet: bool = False) -> Path:
    """The default corpus's path, building it first if it is missing or stale.

    Two processes asking at once build it once: the second waits on the lock,
    then finds it current.

    Returns
    -------
    Path

    Examples
    --------
    >>> ensure_default_corpus(quiet=True) == default_corpus_path()  # builds it once (~10-20 s)
    True
    """
    path = default_corpus_path()
    if is_current(path, sources=DEFAULT_SOURCES):
        return path
    with corpus_lock(path):
        _recover(path)
        if not is_current(path, sources=DEFAULT_SOURCES):
            _build_locked(expand_sources(list(DEFAULT_SOURCES)), path, t0=time.perf_counter(),
                          workers=None, check=True, index=True, quiet=quiet, requested=list(DEFAULT_SOURCES))
    return path
