"""folkabc — folk-music transcriptions in ABC and the folk-rnn models that generate them.

The public API, by topic (names load on first use, so ``import folkabc`` is cheap):

Tokens (ABC ↔ folk-rnn v2 tokens)
    ``tokenize(abc_text)`` → list of :class:`TokenizedTune`; ``detokenize(tokens)`` → ABC text;
    ``VOCAB`` the frozen 137-token vocabulary.
Check (bar counting)
    ``check(source)`` → list of :class:`CheckResult`.
Corpus and search
    ``Corpus.open(path=None)``, ``Corpus.search(tokens, ...)``, ``Corpus.novelty(tune, ...)``.
Model
    ``load_model(path=None)`` → :class:`Model` with ``score``, ``generate`` and hooks.
Render
    ``render(tune, to="svg")``.
Errors
    ``FolkabcError`` and its subclasses.

Examples
--------
>>> import folkabc
>>> len(folkabc.VOCAB)
137
"""

from __future__ import annotations

from ._compiled import install_guard
from ._lazy import lazy_names

install_guard()  # before any compiled module can load

__version__ = "0.1.0"

_LAZY = {
    # tokens
    "tokenize": "folkabc.tokens",
    "detokenize": "folkabc.tokens",
    "TokenizedTune": "folkabc.tokens",
    "read_folkrnn": "folkabc.tokens",
    "write_folkrnn": "folkabc.tokens",
    "VOCAB": "folkabc.vocab",
    "Vocabulary": "folkabc.vocab",
    # check
    "check": "folkabc.validate",
    "CheckResult": "folkabc.validate",
    "Finding": "folkabc.validate",
    # corpus / search
    "Corpus": "folkabc.corpus",
    # model
    "load_model": "folkabc.model",
    "Model": "folkabc.model",
    # render
    "render": "folkabc.render",
    # errors
    "FolkabcError": "folkabc.errors",
    "AbcSyntaxError": "folkabc.errors",
    "UnknownTokenError": "folkabc.errors",
    "TokenSequenceError": "folkabc.errors",
    "CorpusError": "folkabc.errors",
    "IndexFileError": "folkabc.errors",
    "ModelFileError": "folkabc.errors",
    "ParameterError": "folkabc.errors",
    "RenderError": "folkabc.errors",
    "LimitError": "folkabc.errors",
    "check_limit": "folkabc.limits",
    "LIMITS": "folkabc.limits",
}

__all__ = sorted(_LAZY) + ["__version__"]


__getattr__, __dir__ = lazy_names("folkabc", _LAZY, globals(), prefix="", listed=__all__)
