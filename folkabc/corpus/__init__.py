"""The folkabc corpus: build, store and inspect tokenised collections of tunes.

- :mod:`folkabc.corpus.sources` — readers: music21's ABC collections, a
  thesession.org dump (``tunes.csv``/``tunes.json``), folders and files of ABC,
  folk-rnn token files;
- :mod:`folkabc.corpus.build` — :func:`build_corpus` (tokenize, check,
  deduplicate, index; atomic) and the default corpus, built on first use;
- :mod:`folkabc.corpus.store` — the on-disk format (SQLite + numpy arrays) and
  its atomic writer;
- :mod:`folkabc.corpus.manifest` — what built a corpus and whether it is current (cheap);
- :mod:`folkabc.corpus.core` — :class:`Corpus`, the reader (tunes by id,
  per-row token ids and metadata for :mod:`folkabc.search`);
- :mod:`folkabc.corpus.mapped` — a corpus opened for one search with a limit, without numpy.

Names load on first use, so a command that needs one module imports only it.

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

from .._lazy import lazy_names

_LAZY = {
    "Corpus": "core",
    "CorpusTune": "core",
    "build_corpus": "build",
    "BuildReport": "build",
    "default_corpus_path": "manifest",
    "home_dir": "manifest",
    "ensure_default_corpus": "build",
    "open_source": "sources",
    "Source": "sources",
    "SourceItem": "sources",
    "MUSIC21_COLLECTIONS": "sources",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_names("folkabc.corpus", _LAZY, globals(), prefix="folkabc.corpus.")
