"""Train a folk-rnn-style LSTM with PyTorch and export folkabc's own model format.

The network is the folk-rnn one: a one-hot token input, a stack of LSTM layers
(no peepholes, learnable initial states), dropout after each LSTM layer and a
dense softmax layer over the vocabulary. Training follows folk-rnn: whole
tunes ``<s> meter mode body </s>`` as sequences, cross-entropy on the next
token, RMSprop (or Adam), gradient-norm clipping, a seeded held-out split, and
early stopping on the held-out loss (the best checkpoint is kept). A run can
start from a model's weights (``init``), add that model's own tunes that count
to its training tunes (``self_samples``: self-training) and keep the weights
whose generated tunes most often count (``select_samples``).

One job per module, imports flowing one way (settings ← data ← network ← selfsample ← loop):

- :mod:`folkabc.train.settings` — :class:`TrainSettings` (the settings file);
- :mod:`folkabc.train.data` — corpus selection, id sequences, the held-out split, batching;
- :mod:`folkabc.train.network` — the torch network and numpy ↔ torch conversion, export;
- :mod:`folkabc.train.selfsample` — self-training tunes and the clean share;
- :mod:`folkabc.train.loop` — :func:`train` and :class:`TrainResult`.

PyTorch is an optional extra (``pip install 'folkabc[train]'``): it is imported
only inside the functions that train (:func:`require_torch`), so
``import folkabc.train`` and :class:`TrainSettings` work without it.

Examples
--------
>>> from folkabc.train import TrainSettings
>>> s = TrainSettings(layers=(64, 64), max_epochs=3)
>>> s.layers, s.optimizer, s.learning_rate
((64, 64), 'rmsprop', 0.003)
>>> TrainSettings.from_dict(s.to_dict()) == s
True
>>> split_holdout(20, fraction=0.1, seed=0)[1].size
2
"""

from __future__ import annotations

from .data import (
    corpus_sequences,
    sequences_from_corpus,
    sequences_from_tunes,
    split_holdout,
    tokens_count_clean,
    training_split,
    heldout_split,
)
from .loop import TrainResult, train
from .network import build_network, export_model, network_from_model, network_weights, require_torch
from .selfsample import clean_share, clean_tunes, self_training_tunes
from .settings import TrainSettings

__all__ = [
    "TrainSettings",
    "TrainResult",
    "train",
    "export_model",
    "network_weights",
    "network_from_model",
    "build_network",
    "clean_share",
    "clean_tunes",
    "self_training_tunes",
    "split_holdout",
    "training_split",
    "heldout_split",
    "sequences_from_corpus",
    "corpus_sequences",
    "sequences_from_tunes",
    "tokens_count_clean",
    "require_torch",
]
