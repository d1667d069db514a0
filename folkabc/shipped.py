"""The models shipped with folkabc, by name (no numpy here: the CLI builds ``--model`` help from it).

``session``, the default, was trained on the dance collections only
(:data:`folkabc.corpus.sources.DANCE_COLLECTIONS`: O'Neill's, Ryan's, Aird's and the misc folk
tunes) by the recipe in ``recipes/session-cpu/`` (docs/train.md); ``music21`` was trained on all
of music21's collections, two thirds of them Essen's German and Chinese songs. Each model lives in
``folkabc/data/models/NAME/`` with its training settings, logs and held-out tunes.

Examples
--------
>>> DEFAULT_MODEL in SHIPPED_MODELS
True
>>> shipped_model_path("music21").parts[-3:]
('data', 'models', 'music21')
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["SHIPPED_MODELS", "DEFAULT_MODEL", "shipped_model_path", "MODEL_HELP"]

#: Shipped model names and what each was trained on.
SHIPPED_MODELS: dict[str, str] = {
    "session": "the dance-tune collections (O'Neill's, Ryan's, Aird's, the misc folk tunes)",
    "music21": "all of music21's collections (two thirds Essen songs)",
}

#: The model used when none is named.
DEFAULT_MODEL = "session"

#: The ``--model`` help text every command shares.
MODEL_HELP = ("model directory, folk-rnn pickle, or a shipped model's name: "
              + ", ".join(f"{k}{' (default)' if k == DEFAULT_MODEL else ''}" for k in SHIPPED_MODELS))


def shipped_model_path(name: str = DEFAULT_MODEL) -> Path:
    """The directory of a shipped model.

    Parameters
    ----------
    name : str
        One of :data:`SHIPPED_MODELS`.

    Returns
    -------
    Path

    Raises
    ------
    KeyError
        Not a shipped model's name.

    Examples
    --------
    >>> shipped_model_path().name == DEFAULT_MODEL
    True
    """
    if name not in SHIPPED_MODELS:
        raise KeyError(name)
    return Path(str(resources.files("folkabc").joinpath("data", "models", name)))
