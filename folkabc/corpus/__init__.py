"""The folkabc corpus: build, store and inspect tokenised collections of tunes.

- :mod:`folkabc.corpus.sources` — readers: music21's ABC collections, a
  thesession.org dump (``tunes.csv``/``tunes.json``), folders and files of ABC,
  folk-rnn token files;
- :mod:`folkabc.corpus.store` — the on-disk format (SQLite + numpy arrays) and
  its atomic writer;
- :mod:`folkabc.corpus.core` — :class:`Corpus`, the reader (tunes by id,
  per-row token ids and metadata for :mod:`folkabc.search`).

Examples
--------
>>> from folkabc.corpus import open_source
>>> open_source("music21:oneills1850").name
'oneills1850'
"""

from __future__ import annotations

from .core import Corpus, CorpusTune
from .sources import MUSIC21_COLLECTIONS, Source, SourceItem, open_source

__all__ = ["Corpus", "CorpusTune", "open_source", "Source", "SourceItem", "MUSIC21_COLLECTIONS"]
