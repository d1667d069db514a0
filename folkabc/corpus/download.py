"""Downloading public collections: thesession.org's data dump, with a cache and a checksum.

:func:`fetch` streams a URL into the download cache (``$FOLKABC_HOME/downloads``, else
``~/.cache/folkabc/downloads``) with a progress bar on a terminal (quiet when piped), writes
the file atomically with its SHA-256 beside it (``NAME.sha256``), and on later calls uses the
cached file when its checksum still holds, without the network. With no network it fails with
one line saying what to do instead.

:data:`THESESSION` is thesession.org's tunes dump (one row per setting), published by the site
in the GitHub repository ``adactio/TheSession-data`` under the Open Database License (ODbL 1.0):
:data:`THESESSION_NOTICE` travels with every row read from it.

Examples
--------
>>> THESESSION.url
'https://raw.githubusercontent.com/adactio/TheSession-data/main/csv/tunes.csv'
>>> THESESSION.filename
'thesession-tunes.csv'
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import socket
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .._io import atomic_write
from ..errors import CorpusError
from .manifest import home_dir

__all__ = ["Download", "THESESSION", "THESESSION_NOTICE", "PYABC2_SOURCES", "downloads_dir", "fetch",
           "sha256_of", "cached", "store", "fetch_pyabc2", "join_tunes"]

#: The licence notice kept with every thesession.org row (the dump is ODbL 1.0).
THESESSION_NOTICE = ("thesession.org tune data, (c) thesession.org contributors, made available under the "
                     "Open Database License (ODbL 1.0): https://opendatacommons.org/licenses/odbl/1-0/")

#: Most bytes one download may bring (thesession's tunes.csv is about 50 MB).
MAX_BYTES = 1 << 30


@dataclass(frozen=True)
class Download:
    """A public file to download: its URL and the name it is cached under.

    Examples
    --------
    >>> Download("http://127.0.0.1:1/t.csv", "t.csv").filename
    't.csv'
    """

    url: str
    filename: str


#: thesession.org's public tunes dump.
THESESSION = Download("https://raw.githubusercontent.com/adactio/TheSession-data/main/csv/tunes.csv",
                      "thesession-tunes.csv")


def downloads_dir() -> Path:
    """The download cache: ``$FOLKABC_HOME/downloads``, else ``~/.cache/folkabc/downloads``.

    Examples
    --------
    >>> downloads_dir().name
    'downloads'
    """
    return home_dir() / "downloads"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x"; _ = p.write_bytes(b"abc")
    >>> sha256_of(p)[:16]
    'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cached(path: Path) -> bool:
    """True when ``path`` and its ``PATH.sha256`` exist and the checksum holds.

    Examples
    --------
    >>> cached(Path("/no/such/file"))
    False
    """
    return _cached(path)


def store(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, with its checksum beside it.

    Examples
    --------
    >>> import tempfile
    >>> p = store(Path(tempfile.mkdtemp()) / "x.abc", "X:1\\nK:C\\nC|\\n")
    >>> cached(p)
    True
    """
    data = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, error=CorpusError, what="cannot write the download")
    atomic_write(path.with_name(path.name + ".sha256"), f"{hashlib.sha256(data).hexdigest()}  {path.name}\n",
                 error=CorpusError, what="cannot write the checksum")
    return path


#: pyabc2's collections (``pyabc2:NAME`` or ``pyabc2:NAME:BOOK``) and the books each has.
PYABC2_SOURCES = {"norbeck": (), "bill_black": (), "hardy": ("session", "annex", "basic", "xmas", "possible"),
                  "eskin": ("kss", "cce_dublin_2001", "cce_san_diego_jan2025")}


def _pyabc2_texts(name: str, book: str | None) -> list[str]:
    """The ABC of a pyabc2 collection, fetched by pyabc2's own loaders (they use the network)."""
    if name == "norbeck":
        from pyabc2.sources import norbeck  # pyabc2's loaders import requests: only when asked for

        norbeck._maybe_download()
        return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(norbeck.SAVE_TO.glob("*.abc"))]
    if name == "hardy":
        from pyabc2.sources import hardy

        return list(hardy.load_meta(book or "session"))
    if name == "bill_black":
        from pyabc2.sources import bill_black

        return list(bill_black.load_meta())
    from pyabc2.sources import eskin

    return list(eskin.load_meta(book or "kss")["abc"])


def fetch_pyabc2(spec: str, *, folder: Path | None = None) -> Path:
    """The cached ABC of a pyabc2 collection (``pyabc2:norbeck``, ``pyabc2:hardy:session`` ...),
    fetched with pyabc2's loaders on first use and kept with its checksum.

    Raises
    ------
    CorpusError
        One line: an unknown collection or book, or a fetch that failed (no network).

    Examples
    --------
    >>> fetch_pyabc2("pyabc2:nobody")
    Traceback (most recent call last):
    ...
    folkabc.errors.CorpusError: unknown pyabc2 collection 'nobody'; choose one of norbeck, bill_black, hardy, eskin
    """
    parts = spec.split(":")
    name = parts[1] if len(parts) > 1 else ""
    book = parts[2] if len(parts) > 2 else None
    if name not in PYABC2_SOURCES:
        raise CorpusError(f"unknown pyabc2 collection {name!r}; choose one of {', '.join(PYABC2_SOURCES)}")
    if book is not None and book not in PYABC2_SOURCES[name]:
        books = ", ".join(PYABC2_SOURCES[name]) or "none"
        raise CorpusError(f"unknown book {book!r} of pyabc2's {name}; its books: {books}")
    folder = Path(folder) if folder is not None else downloads_dir()
    path = folder / f"pyabc2-{name}{'-' + book if book else ''}.abc"
    if cached(path):
        return path
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # pyabc2 prints "downloading..." on stdout
            texts = _pyabc2_texts(name, book)
    except Exception as exc:  # noqa: BLE001 - pyabc2 raises requests', zipfile's and its own errors
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise CorpusError(f"cannot fetch pyabc2's {name} (pyabc2 downloads it; no network?): {reason}") from None
    if not texts:
        raise CorpusError(f"pyabc2's {name} gave no tunes")
    return store(path, join_tunes(texts))


def join_tunes(texts: list[str]) -> str:
    """ABC tune blocks as one ABC file: blank lines between, ``X:`` added where a block has none.

    Examples
    --------
    >>> print(join_tunes(["T:A\\nK:G\\nGAB|", "X:7\\nT:B\\nK:D\\nDEF|"]), end="")
    X:1
    T:A
    K:G
    GAB|
    <BLANKLINE>
    X:7
    T:B
    K:D
    DEF|
    """
    blocks = []
    for k, t in enumerate(texts, 1):
        t = t.strip()
        blocks.append((t if t.startswith("X:") else f"X:{k}\n{t}") + "\n")
    return "\n".join(blocks)


def _cached(path: Path) -> bool:
    side = path.with_name(path.name + ".sha256")
    if not path.is_file() or not side.is_file():
        return False
    try:
        want = side.read_text(encoding="ascii").split()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return False
    return sha256_of(path) == want


def fetch(item: Download, *, folder: Path | None = None, quiet: bool = False, refresh: bool = False,
          timeout: float = 30.0) -> Path:
    """The cached copy of ``item``, downloaded first when there is none (or ``refresh``).

    Parameters
    ----------
    item : Download
    folder : Path or None
        The cache folder (default :func:`downloads_dir`).
    quiet : bool
        No progress bar (there is none when stderr is not a terminal either).
    refresh : bool
        Download again even when the cached copy's checksum holds.
    timeout : float
        Seconds to wait for the server.

    Returns
    -------
    Path
        The file; ``PATH.sha256`` beside it holds its checksum.

    Raises
    ------
    CorpusError
        One line: no network (or the server refused), a download over :data:`MAX_BYTES`, or a
        cache that cannot be written.
    """
    folder = Path(folder) if folder is not None else downloads_dir()
    path = folder / item.filename
    if not refresh and _cached(path):
        return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"cannot create the download cache: {exc.strerror or exc}", path=str(folder)) from exc
    show = not quiet and sys.stderr is not None and sys.stderr.isatty() and not os.environ.get("FOLKABC_QUIET")
    digest = hashlib.sha256()

    def stream(out) -> None:
        try:
            with urllib.request.urlopen(item.url, timeout=timeout) as resp:  # noqa: S310 - https/http URLs only
                total = int(resp.headers.get("Content-Length") or 0)
                got = 0
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    got += len(chunk)
                    if got > MAX_BYTES:
                        raise CorpusError(f"download of {item.url} is over {MAX_BYTES >> 20} MiB; stopped")
                    digest.update(chunk)
                    out.write(chunk)
                    if show:
                        mb = f"{got / 1e6:.1f}" + (f"/{total / 1e6:.1f}" if total else "")
                        sys.stderr.write(f"\rdownloading {item.filename}: {mb} MB")
                        sys.stderr.flush()
                if total and got != total:
                    raise CorpusError(f"download of {item.url} stopped at {got} of {total} bytes")
        except urllib.error.HTTPError as exc:
            raise CorpusError(f"cannot download {item.url}: the server answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise CorpusError(f"cannot download {item.url}: no network ({reason}); download it on a machine "
                              f"that has one and give the file's path instead") from None
        finally:
            if show:
                sys.stderr.write("\n")

    if not item.url.startswith(("https://", "http://")):
        raise CorpusError(f"cannot download {item.url!r}: only http and https URLs")
    atomic_write(path, stream, error=CorpusError, what="cannot write the download")
    atomic_write(path.with_name(path.name + ".sha256"), f"{digest.hexdigest()}  {item.filename}\n",
                 error=CorpusError, what="cannot write the checksum")
    return path
