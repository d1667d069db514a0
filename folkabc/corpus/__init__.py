"""The folkabc corpus: build, store and inspect tokenised collections of tunes.

- :mod:`folkabc.corpus.sources` — readers: music21's ABC collections, a
  thesession.org dump (``tunes.csv``/``tunes.json``), folders and files of ABC,
  folk-rnn token files;
- :mod:`folkabc.corpus.build` — :func:`build_corpus` (tokenize, check,
  deduplicate, index; atomic) and the default corpus, built on first use;
- :mod:`folkabc.corpus.store` — the on-disk format (SQLite + numpy arrays) and
  its atomic writer;
- :mod:`folkabc.corpus.core` — :class:`Corpus`, the reader (tunes by id,
  per-row token ids and metadata for :mod:`folkabc.search`).

Examples
--------
>>> import tempfile, pathlib
>>> from folkabc.corpus import Corpus, build_corpus
>>> out = pathlib.Path(tempfile.mkdtemp()) / "misc"
>>> report = build_corpus(["music21:miscFolk"], out, quiet=True)
>>> corpus = Corpus.open(out)
>>> corpus.n_rows == report.counts["rows"], corpus[1].source
(True, 'miscFolk')
"""

from __future__ import annotations

from .build import BuildReport, build_corpus, default_corpus_path, ensure_default_corpus
from .core import Corpus, CorpusTune
from .sources import MUSIC21_COLLECTIONS, Source, SourceItem, open_source

__all__ = [
    "Corpus",
    "CorpusTune",
    "build_corpus",
    "BuildReport",
    "default_corpus_path",
    "ensure_default_corpus",
    "open_source",
    "Source",
    "SourceItem",
    "MUSIC21_COLLECTIONS",
]
