"""A corpus's ``manifest.json``: what built it, and whether that still holds (cheaply, without numpy).

The manifest names the format, the builder (:func:`builder_version`: a release number plus a
SHA-256 of the code whose output a corpus stores), the vocabulary, the sources and the counts.
A corpus is *current* (:func:`is_current`) when all of these still hold for the running code.
Opening the default corpus asks this on every command, so the answer must cost a few stats,
not a read of the code:

- the build records each code file's size and modification time beside the version they
  hash to (``builder_files``: ``{"version", "files"}``); when the version is the manifest's
  ``builder_version`` and the files are all unchanged the builder is the same, and only when
  one differs is the code hashed again and compared with ``builder_version`` (so a touched but
  unchanged file still counts as current, and a changed one as stale, exactly as comparing the
  hashes says);
- the build records the source specifications as asked (``requested``, e.g. ``["default"]``)
  beside their expansion (``sources``), so asking for the same list needs no look at the
  sources' folders; another list is expanded and compared;
- the build records the size and time of each source's folder or file (``source_stamps``):
  a collection that gained, lost or renamed files, or a file rewritten, makes the corpus stale.

Examples
--------
>>> import tempfile, json
>>> d = Path(tempfile.mkdtemp())
>>> _ = (d / "manifest.json").write_text(json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION,
...     "builder_version": builder_version(), "vocabulary_sha256": vocabulary_sha256(), "sources": []}))
>>> is_current(d), is_current(d, sources=["music21:miscFolk"])
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable

from ..errors import CorpusError, FolkabcError
from ..vocab import VOCAB

__all__ = [
    "home_dir",
    "DEFAULT_SOURCES",
    "FORMAT",
    "FORMAT_VERSION",
    "builder_version",
    "builder_files",
    "vocabulary_sha256",
    "read_manifest",
    "default_corpus_path",
    "source_stamps",
    "is_current",
]

#: The sources of the default corpus.
DEFAULT_SOURCES: tuple[str, ...] = ("default",)

FORMAT = "folkabc-corpus"
FORMAT_VERSION = 1
_BUILDER_BASE = "1"

# What a stored corpus depends on: the reader, tokenizer, token grammar, checker, index writer and this package.
_CODE_MODULES = ("abc", "tokens", "grammar", "validate", "search/index", "search/bars", "vocab", "corpus")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folkabc package (a str: stats, not pathlib)


def _py_files(folder: str) -> list[str]:
    """``*.py`` under ``folder`` (a path relative to the package, posix), recursively, sorted."""
    out = []
    try:
        entries = list(os.scandir(os.path.join(_ROOT, folder)))
    except OSError:  # not a folder (a module file) or none
        return out
    for e in entries:
        rel = f"{folder}/{e.name}"
        if e.is_dir():
            out += _py_files(rel)
        elif e.name.endswith(".py") and e.is_file():
            out.append(rel)
    return sorted(out)


def _code_files() -> list[str]:
    """The files :func:`builder_version` hashes, relative to the package (a few ``scandir`` calls, no pathlib walk)."""
    files = []
    for name in _CODE_MODULES:
        files += _py_files(name)
        if os.path.isfile(os.path.join(_ROOT, f"{name}.py")):
            files.append(f"{name}.py")
    return files


def builder_version() -> str:
    """The builder's version: a release number plus a fingerprint of the code that builds.

    The fingerprint hashes the source of the modules whose output a corpus
    stores (ABC reader, tokenizer, token grammar, checker, search index writer,
    the corpus package), so a corpus built by other code is seen as stale and the
    default corpus is rebuilt.

    Examples
    --------
    >>> builder_version().startswith("1+")
    True
    """
    h = hashlib.sha256()
    for rel in _code_files():
        h.update(rel.encode())
        with open(os.path.join(_ROOT, rel), "rb") as f:
            h.update(f.read())
    return f"{_BUILDER_BASE}+{h.hexdigest()[:12]}"


def builder_files() -> dict[str, list[int]]:
    """``{path: [size, mtime_ns]}`` of the files :func:`builder_version` hashes (a few stats).

    Examples
    --------
    >>> "corpus/manifest.py" in builder_files()
    True
    """
    out = {}
    for rel in _code_files():
        st = os.stat(os.path.join(_ROOT, rel))
        out[rel] = [st.st_size, st.st_mtime_ns]
    return out


def vocabulary_sha256() -> str:
    """sha256 of the frozen vocabulary TSV (as in the manifest).

    Examples
    --------
    >>> len(vocabulary_sha256())
    64
    """
    return hashlib.sha256(VOCAB.to_tsv().encode("utf-8")).hexdigest()


def read_manifest(path: Path, *, any_version: bool = False) -> dict:
    """The manifest of the corpus at ``path``; :class:`CorpusError` when there is none or it is bad.

    Parameters
    ----------
    path : Path
    any_version : bool
        Accept a corpus of another format version (to replace it).

    Examples
    --------
    >>> read_manifest(Path("/no/such/corpus"))
    Traceback (most recent call last):
    ...
    folkabc.errors.CorpusError: /no/such/corpus: not a corpus: no manifest.json
    """
    f = Path(path) / "manifest.json"
    try:
        text = f.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorpusError("not a corpus: no manifest.json", path=str(path)) from None
    except OSError as exc:
        raise CorpusError(f"cannot read manifest.json: {exc.strerror or exc}", path=str(path)) from exc
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"manifest.json is not JSON: {exc.msg}", path=str(path)) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CorpusError("not a corpus: manifest.json is not a folkabc-corpus manifest", path=str(path))
    if not any_version and manifest.get("format_version") != FORMAT_VERSION:
        raise CorpusError(
            f"corpus format version {manifest.get('format_version')} is not {FORMAT_VERSION}; rebuild it",
            path=str(path))
    return manifest


def home_dir() -> Path:
    """The folkabc home folder: ``$FOLKABC_HOME``, else ``~/.cache/folkabc`` (the default corpus,
    the download cache and the server's tunebook live in it).

    Examples
    --------
    >>> home_dir() / "corpus" == default_corpus_path()
    True
    """
    home = os.environ.get("FOLKABC_HOME")
    return Path(home).expanduser() if home else Path.home() / ".cache" / "folkabc"


def default_corpus_path() -> Path:
    """Where the default corpus lives: ``$FOLKABC_HOME/corpus``, else ``~/.cache/folkabc/corpus``.

    Examples
    --------
    >>> default_corpus_path().name
    'corpus'
    """
    return home_dir() / "corpus"


def _stamp(path: str) -> list:
    st = os.stat(path)
    return [str(path), st.st_size, st.st_mtime_ns]


def source_stamps(sources) -> list[list]:
    """``[path, size, mtime_ns]`` of each source's folder (or its one file), as a build records them.

    Parameters
    ----------
    sources : list of folkabc.corpus.sources.Source

    Examples
    --------
    >>> from folkabc.corpus.sources import open_source
    >>> source_stamps([open_source("music21:miscFolk")])[0][0].endswith("miscFolk")
    True
    """
    out = []
    for s in sources:
        where = s.root if s.root is not None else (s.paths[0] if len(s.paths) == 1 else None)
        if where is not None:
            out.append(_stamp(str(where)))
    return out


def _builder_holds(m: dict) -> bool:
    recorded = m.get("builder_files")
    if isinstance(recorded, dict) and recorded.get("version") == m.get("builder_version"):
        try:
            if recorded.get("files") == builder_files():
                return True  # the files that version hashed, untouched since the build: the same builder
        except OSError:
            pass
    return m.get("builder_version") == builder_version()


def _sources_hold(m: dict, sources: Iterable[str], expand: Callable[[list[str]], list[str]] | None) -> bool:
    sources = [str(s) for s in sources]
    if m.get("requested") == sources:
        return True
    return expand is not None and list(m.get("sources", [])) == list(expand(sources))


def _stamps_hold(m: dict) -> bool:
    for rec in m.get("source_stamps") or []:
        try:
            if _stamp(rec[0]) != list(rec):
                return False
        except (OSError, TypeError, IndexError):
            return False
    return True


def is_current(path: str | os.PathLike, *, sources: Iterable[str] | None = None,
               expand: Callable[[list[str]], list[str]] | None = None) -> bool:
    """Whether the corpus at ``path`` exists and was built by this code and vocabulary (from these sources).

    A few stats and one small JSON read when nothing changed; see the module notes.

    Parameters
    ----------
    path : path
    sources : iterable of str or None
        The source specifications it must have been built from (None: any).
    expand : callable or None
        Source specifications → their expansion (``Source.spec`` of each), asked when
        ``sources`` is not the list the build was asked for; None answers False then
        (:func:`folkabc.corpus.build.is_current` passes the source readers' expansion).

    Examples
    --------
    >>> is_current("/no/such/corpus")
    False
    """
    try:
        m = read_manifest(Path(path))
    except FolkabcError:
        return False
    if m.get("vocabulary_sha256") != vocabulary_sha256() or not _builder_holds(m):
        return False
    if sources is not None and not _sources_hold(m, sources, expand):
        return False
    return _stamps_hold(m)
