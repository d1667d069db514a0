"""A corpus opened for one search with a limit: memory maps and a few SQLite rows, no numpy.

``folkabc search FIGURE`` on the default corpus is a one-shot command: what the user feels is
start-up. :meth:`MappedCorpus.open` checks the corpus the cheap way
(:func:`folkabc.corpus.manifest.is_current`: a few stats), maps the index
(:class:`folkabc.search.mapped.MappedIndex`) and ``tune_ids.npy``, and reads the title and
source of the listed rows only. Whenever anything is not plainly in order — a stale or
missing default corpus (to build), a damaged or changed file (to report), another vocabulary —
it answers None and the caller opens :class:`folkabc.corpus.Corpus`, which builds, checks
and names what is wrong.

Examples
--------
>>> import tempfile, pathlib
>>> from folkabc.corpus.build import build_corpus
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "t.txt").write_text("M:4/4\\nK:Cmaj\\n|: G, C C 2 G, C E C | G, C C 2 E 4 :|\\n")
>>> _ = build_corpus([d / "t.txt"], d / "corpus", quiet=True, workers=1)
>>> res = MappedCorpus.open(d / "corpus").search(["G,", "C", "C", "2"])
>>> res.occurrences, [(m.tune_id, m.source, m.bar, m.offset) for m in res.matches]
(2, [(1, 't', 1, 0), (1, 't', 2, 0)])
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

from ..errors import FolkabcError
from ..search.mapped import MappedIndex, map_npy
from ..search.results import SearchResult
from .manifest import DEFAULT_SOURCES, default_corpus_path, is_current, read_manifest, vocabulary_sha256

__all__ = ["MappedCorpus"]


class MappedCorpus:
    """A built corpus mapped for searches without filters (see the module notes). Use :meth:`open`.

    Attributes
    ----------
    path : Path
    index : MappedIndex
    tune_ids : memoryview
        The corpus tune id of each row.
    """

    def __init__(self, path: Path, index: MappedIndex, tune_ids: memoryview) -> None:
        self.path = path
        self.index = index
        self.tune_ids = tune_ids
        self._db: sqlite3.Connection | None = None

    @classmethod
    def open(cls, path: str | os.PathLike | None = None) -> "MappedCorpus | None":
        """Map the corpus at ``path`` (None: the default corpus, when current); None when it needs the full reader.

        Examples
        --------
        >>> MappedCorpus.open("/no/such/corpus") is None
        True
        """
        if path is None:
            path = default_corpus_path()
            if not is_current(path, sources=DEFAULT_SOURCES):
                return None  # to build (Corpus.open does, under the lock)
        p = Path(path).expanduser()
        try:
            manifest = read_manifest(p)
        except FolkabcError:
            return None
        if manifest.get("vocabulary_sha256") != vocabulary_sha256() or not (p / "tunes.sqlite").is_file():
            return None
        index = MappedIndex.open(p)
        got = map_npy(p / "tune_ids.npy", "q")
        if index is None or got is None or len(got[0]) != index.n_tunes:
            return None
        return cls(p, index, got[0])

    def describe(self, row: int) -> tuple[str | None, str | None]:
        """``(title, source)`` of a row (its tune's first title and source), read when asked.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from folkabc.corpus.build import build_corpus
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "a.abc").write_text("X:1\\nT:Tune A\\nM:6/8\\nL:1/8\\nK:C\\nCDE CDE|\\n")
        >>> _ = build_corpus([d / "a.abc"], d / "corpus", quiet=True, workers=1, check=False)
        >>> MappedCorpus.open(d / "corpus").describe(0)
        ('Tune A', 'a')
        """
        if self._db is None:
            uri = f"file:{quote(str(self.path / 'tunes.sqlite'))}?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True)
        found = self._db.execute("SELECT title, source FROM tunes WHERE row = ?", (int(row),)).fetchone()
        return (found[0], found[1]) if found else (None, None)

    def search(self, tokens: Sequence[str], *, limit: int | None = 20) -> SearchResult:
        """:meth:`MappedIndex.search` with the corpus's tune ids, titles and sources.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from folkabc.corpus.build import build_corpus
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "a.abc").write_text("X:1\\nT:Tune A\\nM:6/8\\nL:1/8\\nK:C\\nCDE CDE|\\n")
        >>> _ = build_corpus([d / "a.abc"], d / "corpus", quiet=True, workers=1, check=False)
        >>> res = MappedCorpus.open(d / "corpus").search(["C", "D"])
        >>> res.tunes, res.occurrences, res.matches[0].title
        (1, 2, 'Tune A')
        """
        return self.index.search(tokens, limit=limit, tune_ids=self.tune_ids, describe=self.describe)

