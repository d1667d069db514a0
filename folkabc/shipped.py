"""The models shipped with folkabc, by name (no numpy here: the CLI builds ``--model`` help from it).

``music21``, the default, was trained on all of music21's collections, two thirds of them
Essen's German and Chinese songs. A session-music model trained on the dance collections only
(:data:`folkabc.corpus.sources.DANCE_COLLECTIONS`) has a recipe in ``recipes/session/`` and
joins this table once it counts clean as often as the default (docs/train.md). Each model lives
in ``folkabc/data/models/NAME/`` with its training settings, log and held-out tunes.

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
    "music21": "all of music21's collections (two thirds Essen songs)",
}

#: The model used when none is named.
DEFAULT_MODEL = "music21"

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
