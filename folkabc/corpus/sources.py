"""Corpus sources: readers that turn collections on disk into a stream of items.

A *source* names where transcriptions come from; :func:`open_source` turns a
source specification into a :class:`Source`, whose :meth:`Source.items`
yields :class:`SourceItem` records one at a time (files are streamed, never
read whole when they can be large). The builder converts each item into
tokens with :func:`folkabc.tokens.tokenize` (or, for a folk-rnn token file,
takes the tokens as they are).

Source specifications (strings, as on the command line):

``default``
    The five ABC collections that music21 installs (:data:`MUSIC21_COLLECTIONS`).
``music21:NAME`` (or just ``NAME``)
    One of those collections, e.g. ``music21:oneills1850``.
``thesession``
    thesession.org's public tunes dump, downloaded into the cache on first use
    (:mod:`folkabc.corpus.download`; ODbL 1.0, the notice kept with every row).
``pyabc2:NAME`` / ``pyabc2:NAME:BOOK``
    A collection pyabc2 fetches (``norbeck``, ``bill_black``, ``hardy:session`` …,
    ``eskin:kss`` …), cached as one ABC file on first use (:func:`folkabc.corpus.download.fetch_pyabc2`).
``PATH.csv`` / ``PATH.json``
    A thesession.org data dump (``tunes.csv`` or ``tunes.json``: one row per
    setting, columns ``tune_id, setting_id, name, type, meter, mode, abc``).
    Each setting's ``abc`` body gets a header made from its row
    (:func:`session_abc_header`); HTML entities (``&amp;``, ``&#039;``) are decoded.
``PATH`` to a folder
    Every ``*.abc`` file below it (sorted, recursive).
``PATH`` to an ABC file
    Every ``X:`` tune in it.
``PATH`` to a folk-rnn token file
    Blocks of meter, mode and body lines (see :func:`folkabc.tokenfile.read_token_file`).

Each item carries its ``source`` (the collection's name: ``oneills1850``,
``thesession``, the folder or file stem) and a ``ref`` saying where inside
the source it is (file name, and for thesession the tune and setting ids);
the builder adds the tune's ``X:`` number to the ref.

Examples
--------
>>> src = open_source("music21:miscFolk")
>>> src.name, src.kind
('miscFolk', 'abc')
>>> first = next(iter(src.items()))
>>> first.ref, first.text.count("X:") > 10
('americanfifeopus.abc', True)
>>> session_abc_header({"name": "The Kesh", "type": "jig", "meter": "6/8", "mode": "Gmajor"}).splitlines()
['X:1', 'T:The Kesh', 'R:jig', 'M:6/8', 'L:1/8', 'K:Gmaj']
"""

from __future__ import annotations

import csv
import html
import json
import re
import sys
from dataclasses import dataclass, field
from importlib import util as importlib_util
from pathlib import Path
from typing import Iterator

from ..errors import CorpusError
from ..tokenfile import is_token_file, read_token_file  # the one token-file reader and sniffer
from .download import THESESSION, THESESSION_NOTICE, fetch, fetch_pyabc2

__all__ = [
    "MUSIC21_COLLECTIONS",
    "LINE_BAR_COLLECTIONS",
    "DANCE_COLLECTIONS",
    "SESSION_COLUMNS",
    "SourceItem",
    "Source",
    "open_source",
    "expand_sources",
    "music21_corpus_dir",
    "decode_text",
    "session_abc_header",
    "session_mode_to_key",
]

#: The ABC collections music21 installs, in the order the default corpus reads them.
MUSIC21_COLLECTIONS: tuple[str, ...] = (
    "oneills1850", "ryansMammoth", "airdsAirs", "essenFolksong", "miscFolk",
)

#: The music21 collections of session (dance) tunes: O'Neill's, Ryan's, Aird's and the
#: miscellaneous folk tunes (``essenFolksong`` holds German and Chinese songs). The
#: session model trains on these; evaluations compare a model's tunes with them.
DANCE_COLLECTIONS: tuple[str, ...] = ("oneills1850", "ryansMammoth", "airdsAirs", "miscFolk")

#: Collections that drop the bar line at the end of a line of music: the builder
#: puts it back where the bar is full (:func:`folkabc.validate.close_line_bars`).
LINE_BAR_COLLECTIONS: tuple[str, ...] = ("essenFolksong",)

#: The columns a thesession.org dump must have (``date, username, composer`` are optional).
SESSION_COLUMNS: tuple[str, ...] = ("tune_id", "setting_id", "name", "type", "meter", "mode", "abc")

_MODE_NAMES = {
    "major": "maj", "ionian": "maj", "minor": "min", "aeolian": "min", "dorian": "dor",
    "mixolydian": "mix", "lydian": "lyd", "phrygian": "phr", "locrian": "loc",
}


@dataclass
class SourceItem:
    """One unit of work read from a source.

    Attributes
    ----------
    source : str
        The source's name (``oneills1850``, ``thesession``, a folder name ...).
    ref : str
        Where in the source: a file name, ``tune 15326 setting 28560``, ``block 3``.
    kind : {'abc', 'tokens'}
        ``abc``: ``text`` is ABC holding one or more ``X:`` tunes;
        ``tokens``: ``tokens`` is one folk-rnn token sequence.
    text : str
        ABC text (kind ``abc``).
    tokens : list of str or None
        The tokens (kind ``tokens``).
    meta : dict
        Extra metadata kept with the tune (thesession: ``tune_id``, ``setting_id``,
        ``name``, ``type``, ``meter``, ``mode``).
    line_bars : bool
        The source drops the bar line at line ends (see :data:`LINE_BAR_COLLECTIONS`).

    Examples
    --------
    >>> SourceItem("demo", "a.abc", text="X:1 K:C CDEF|").kind
    'abc'
    """

    source: str
    ref: str
    kind: str = "abc"
    text: str = ""
    tokens: list[str] | None = None
    meta: dict = field(default_factory=dict)
    line_bars: bool = False


@dataclass
class Source:
    """A parsed source specification; :meth:`items` streams its contents.

    Attributes
    ----------
    spec : str
        The specification as given.
    name : str
        The name stored as each tune's source.
    kind : {'abc', 'session-csv', 'session-json', 'folkrnn'}
    paths : list of Path
        The files read, in order.
    root : Path or None
        The folder that item refs are relative to.
    line_bars : bool
        Line ends may stand for bar lines (see :data:`LINE_BAR_COLLECTIONS`).

    Examples
    --------
    >>> src = open_source("music21:airdsAirs")
    >>> [p.name for p in src.paths][:2]
    ['book1.abc', 'book2.abc']
    """

    spec: str
    name: str
    kind: str
    paths: list[Path]
    root: Path | None = None
    line_bars: bool = False

    def __len__(self) -> int:
        """The number of files (a cheap size for progress bars)."""
        return len(self.paths)

    def items(self) -> Iterator[SourceItem]:
        """Stream the source's items in a fixed order.

        Raises
        ------
        CorpusError
            When a file cannot be read or is not of the expected format.

        Examples
        --------
        >>> next(open_source("music21:oneills1850").items()).ref
        '0001-0050.abc'
        """
        if self.kind == "abc":
            for path in self.paths:
                ref = path.relative_to(self.root).as_posix() if self.root else path.name
                yield SourceItem(self.name, ref, "abc", _read_text(path), line_bars=self.line_bars)
        elif self.kind == "session-csv":
            yield from _session_csv_items(self.paths[0], self.name)
        elif self.kind == "session-json":
            yield from _session_json_items(self.paths[0], self.name)
        elif self.kind == "folkrnn":
            path = self.paths[0]
            for n, block in enumerate(read_token_file(_read_text(path)), start=1):
                yield SourceItem(self.name, f"{path.name} block {n}", "tokens", tokens=list(block.tokens))
        else:  # pragma: no cover - kinds are fixed by open_source
            raise CorpusError(f"unknown source kind {self.kind!r}", path=self.spec)


def _read_text(path: Path) -> str:
    """A text file's contents (see :func:`decode_text`); unreadable → CorpusError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc
    return decode_text(data)


_C1 = re.compile("[\x80-\x9f]")
_HIGH = re.compile("[\x80-\xff]")


def _dos_char(m: re.Match) -> str:
    ch = m.group()
    if ch == "\x9e":  # ß in the Atari ST set the Essen files were typed in (cp437 has ₧ there)
        return "ß"
    dos = ch.encode("latin-1").decode("cp437")
    return dos if ch < "\xa0" or dos.isalpha() else ch


def decode_text(data: bytes) -> str:
    r"""Text of a source file: UTF-8, else Latin-1; DOS text repaired.

    Some of music21's Essen files are DOS (code page 437, ``ü`` = 0x81) text that was read
    as Latin-1 and saved as UTF-8, so they hold C1 control characters (U+0080–U+009F), which
    no real text holds. In a text with any, those characters are read in code page 437 (and
    0x9E as ``ß``, as the Atari ST set writes it), and so are Latin-1 letters whose DOS reading
    is a letter (``Schloá`` → ``Schloß``); the other characters are kept.

    Examples
    --------
    >>> decode_text("T:Die Saufbr\x81der\n".encode("utf-8"))
    'T:Die Saufbrüder\n'
    >>> decode_text("T:Das Schloá in \x99streich, religiöses Lied\n".encode("utf-8"))
    'T:Das Schloß in Östreich, religiöses Lied\n'
    >>> decode_text("T:Slán, Vorschläge\n".encode("latin-1"))
    'T:Slán, Vorschläge\n'
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if _C1.search(text) is None:
        return text
    return _HIGH.sub(_dos_char, text)


def music21_corpus_dir() -> Path:
    """The folder holding music21's corpus collections (found without importing music21).

    Examples
    --------
    >>> (music21_corpus_dir() / "oneills1850").is_dir()
    True
    """
    spec = importlib_util.find_spec("music21")
    if spec is None or not spec.submodule_search_locations:
        raise CorpusError("music21 is not installed, so its ABC collections cannot be read")
    return Path(list(spec.submodule_search_locations)[0]) / "corpus"


def _music21_source(spec: str, name: str) -> Source:
    if name not in MUSIC21_COLLECTIONS:
        raise CorpusError(
            f"unknown music21 collection {name!r}; choose one of {', '.join(MUSIC21_COLLECTIONS)}",
            path=spec,
        )
    folder = music21_corpus_dir() / name
    paths = sorted(folder.glob("*.abc"))
    if not paths:
        raise CorpusError("no .abc files in the music21 collection", path=str(folder))
    return Source(spec, name, "abc", paths, folder, line_bars=name in LINE_BAR_COLLECTIONS)


def open_source(spec: str | Path) -> Source:
    """Turn a source specification into a :class:`Source` (see the module docstring).

    Parameters
    ----------
    spec : str or Path
        ``default`` is not accepted here (it is several sources: use
        :func:`expand_sources`); ``music21:NAME``, a collection name, or a path.

    Returns
    -------
    Source

    Raises
    ------
    CorpusError
        Unknown collection, unreadable path, a folder without ``.abc`` files, or a
        file that is neither ABC, a thesession dump nor a folk-rnn token file.

    Examples
    --------
    >>> open_source("music21:oneills1850").name
    'oneills1850'
    >>> open_source("/no/such/file.abc")
    Traceback (most recent call last):
    ...
    folkabc.errors.CorpusError: /no/such/file.abc: cannot read: no such file or folder
    """
    text = str(spec)
    if text.startswith("music21:"):
        return _music21_source(text, text.split(":", 1)[1])
    if text == "thesession" and not Path(text).exists():
        return Source(text, "thesession", "session-csv", [fetch(THESESSION)])
    if text.startswith("pyabc2:"):
        path = fetch_pyabc2(text)
        return Source(text, text.split(":")[1], "abc", [path])
    path = Path(text).expanduser()
    if not path.exists():
        if text in MUSIC21_COLLECTIONS:
            return _music21_source(text, text)
        raise CorpusError("cannot read: no such file or folder", path=text)
    if path.is_dir():
        paths = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".abc" and p.is_file())
        if not paths:
            raise CorpusError("the folder holds no .abc files", path=text)
        return Source(text, path.resolve().name, "abc", paths, path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return Source(text, "thesession", "session-csv", [path])
    if suffix == ".json":
        return Source(text, "thesession", "session-json", [path])
    head = _read_head(path)
    if re.search(r"^\s*X:", head, re.M):
        return Source(text, path.stem, "abc", [path])
    if is_token_file(head):
        return Source(text, path.stem, "folkrnn", [path])
    raise CorpusError(
        "not a corpus source: no ABC tune (X: line), not a folk-rnn token file "
        "(meter, mode and body lines) and not a thesession dump (.csv/.json)",
        path=text,
    )


def expand_sources(specs) -> list[Source]:
    """Open several source specifications; ``default`` stands for the five music21 collections.

    Parameters
    ----------
    specs : str or iterable of str
        Source specifications (see the module docstring).

    Returns
    -------
    list of Source

    Examples
    --------
    >>> [s.name for s in expand_sources(["default"])]
    ['oneills1850', 'ryansMammoth', 'airdsAirs', 'essenFolksong', 'miscFolk']
    """
    if isinstance(specs, (str, Path)):
        specs = [specs]
    out: list[Source] = []
    for spec in specs:
        if str(spec) == "default":
            out.extend(_music21_source(f"music21:{n}", n) for n in MUSIC21_COLLECTIONS)
        else:
            out.append(open_source(spec))
    if not out:
        raise CorpusError("no sources given")
    return out


def _read_head(path: Path, size: int = 1 << 16) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.read(size)
    except OSError as exc:
        raise CorpusError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc
    if b"\x00" in data:
        raise CorpusError("not a corpus source: binary file", path=str(path))
    return data.decode("utf-8", errors="replace")


def session_mode_to_key(mode: str) -> str:
    """A thesession ``mode`` value (``Gmajor``, ``Edorian``) as an ABC ``K:`` value.

    Raises
    ------
    CorpusError
        When the value is not a root note and a mode name.

    Examples
    --------
    >>> session_mode_to_key("Gmajor"), session_mode_to_key("F#minor"), session_mode_to_key("Bbmixolydian")
    ('Gmaj', 'F#min', 'Bbmix')
    >>> session_mode_to_key("Em")
    'Emin'
    """
    m = re.fullmatch(r"\s*([A-Ga-g][#b]?)\s*([A-Za-z]*)\s*", mode or "")
    if not m:
        raise CorpusError(f"mode {mode!r} is not a root and a mode name")
    root, name = m.group(1), m.group(2).lower()
    if not name:
        return root[0].upper() + root[1:] + "maj"
    if name == "m":  # ABC's short minor (Am), not a prefix of "major"
        return root[0].upper() + root[1:] + "min"
    short = _MODE_NAMES.get(name) or next((v for k, v in _MODE_NAMES.items() if k.startswith(name[:3])), None)
    if short is None:
        raise CorpusError(f"mode {mode!r} has an unknown mode name {name!r}")
    return root[0].upper() + root[1:] + short


def session_abc_header(row: dict) -> str:
    """The ABC header folkabc puts before a thesession setting's ``abc`` body.

    Parameters
    ----------
    row : dict
        A dump row with ``name``, ``type``, ``meter`` and ``mode``.

    Examples
    --------
    >>> session_abc_header({"name": "A", "type": "reel", "meter": "4/4", "mode": "Ador"}).splitlines()[-1]
    'K:Ador'
    """
    lines = ["X:1", f"T:{row.get('name') or ''}".rstrip()]
    if row.get("type"):
        lines.append(f"R:{row['type']}")
    lines.append(f"M:{row.get('meter') or 'none'}")
    lines.append("L:1/8")
    lines.append(f"K:{session_mode_to_key(row.get('mode') or '')}")
    return "\n".join(lines)


def _session_item(row: dict, name: str, where: str) -> SourceItem:
    meta = {k: html.unescape(row.get(k) or "").strip() for k in SESSION_COLUMNS if k != "abc"}
    meta["license"] = THESESSION_NOTICE
    ref = f"tune {meta['tune_id']} setting {meta['setting_id']}"
    try:
        header = session_abc_header(meta)
    except CorpusError as exc:  # a bad mode is this row's failure, not the file's
        return SourceItem(name, ref, "abc", "", meta=dict(meta, error=f"{where}: {exc.message}"))
    body = html.unescape(row.get("abc") or "").replace("\r\n", "\n").replace("\r", "\n")
    return SourceItem(name, ref, "abc", header + "\n" + body + "\n", meta=meta)


def _session_csv_items(path: Path, name: str) -> Iterator[SourceItem]:
    csv.field_size_limit(min(sys.maxsize, (1 << 31) - 1))
    try:
        fh = path.open("r", encoding="utf-8", newline="")
    except OSError as exc:
        raise CorpusError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc
    with fh:
        reader = csv.DictReader(fh)
        try:
            columns = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CorpusError(f"not a CSV file: {exc}", path=str(path)) from exc
        missing = [c for c in SESSION_COLUMNS if c not in columns]
        if missing:
            raise CorpusError(
                f"not a thesession dump: missing column(s) {', '.join(missing)} "
                f"(need {', '.join(SESSION_COLUMNS)})",
                path=str(path),
            )
        try:
            for row in reader:
                yield _session_item(row, name, f"row {reader.line_num}")
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CorpusError(f"bad CSV near line {reader.line_num}: {exc}", path=str(path)) from exc


def _iter_json_array(fh, path: Path, chunk: int = 1 << 20) -> Iterator[dict]:
    """Objects of a top-level JSON array, decoded one at a time (bounded memory)."""
    decoder = json.JSONDecoder()
    buf = fh.read(chunk)
    pos = 0
    while True:  # find the opening bracket
        buf = buf.lstrip()
        if buf:
            break
        more = fh.read(chunk)
        if not more:
            raise CorpusError("not a thesession dump: empty JSON file", path=str(path))
        buf += more
    if buf[0] != "[":
        raise CorpusError("not a thesession dump: JSON is not a list of settings", path=str(path))
    pos = 1
    eof = False
    while True:
        while pos < len(buf) and buf[pos] in " \t\r\n,":
            pos += 1
        if pos < len(buf) and buf[pos] == "]":
            return
        try:
            obj, end = decoder.raw_decode(buf, pos)
        except json.JSONDecodeError as exc:
            if eof:
                raise CorpusError(f"bad JSON: {exc.msg}", path=str(path)) from exc
            more = fh.read(chunk)
            eof = not more
            buf = buf[pos:] + more
            pos = 0
            continue
        if not isinstance(obj, dict):
            raise CorpusError("not a thesession dump: JSON list holds a non-object", path=str(path))
        yield obj
        pos = end
        if pos > chunk:
            buf, pos = buf[pos:], 0


def _session_json_items(path: Path, name: str) -> Iterator[SourceItem]:
    try:
        fh = path.open("r", encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc
    with fh:
        try:
            for n, obj in enumerate(_iter_json_array(fh, path), start=1):
                if n == 1:
                    missing = [c for c in SESSION_COLUMNS if c not in obj]
                    if missing:
                        raise CorpusError(
                            f"not a thesession dump: missing key(s) {', '.join(missing)} in the first setting",
                            path=str(path),
                        )
                yield _session_item({k: str(v) if v is not None else "" for k, v in obj.items()}, name,
                                    f"setting {n}")
        except UnicodeDecodeError as exc:  # read as text in chunks: a Latin-1 dump fails here
            raise CorpusError(f"not UTF-8 text: {exc.reason}", path=str(path)) from exc
