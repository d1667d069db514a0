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

PyTorch is an optional extra (``pip install 'folkabc[train]'``): this module
imports it only inside the functions that train, so ``import folkabc.train``
and :class:`TrainSettings` work without it.

Exported weights follow ``docs/design.md`` (Model): ``torch.nn.LSTM`` keeps
its gates in the order i, f, g, o, which is folk-rnn's i, f, c, o; its input
weights ``(4H, n_in)`` are transposed to ``W_x (n_in, 4H)``, and its two
biases ``b_ih + b_hh`` are summed into ``b``.

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

import copy
import dataclasses
import functools
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ._io import atomic_write
from .errors import CorpusError, FolkabcError, ParameterError
from .vocab import VOCAB

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
    "sequences_from_corpus",
    "corpus_sequences",
    "sequences_from_tunes",
    "tokens_count_clean",
    "require_torch",
]

_START = VOCAB.id("<s>")
_END = VOCAB.id("</s>")
_OPTIMIZERS = ("rmsprop", "adam")


def require_torch():
    """Import and return :mod:`torch`, or raise a :class:`FolkabcError` saying how to get it.

    Raises
    ------
    FolkabcError
        When PyTorch is not installed.
    """
    try:
        import torch
    except ImportError as exc:
        raise FolkabcError(
            "training needs PyTorch, an optional extra: pip install 'folkabc[train]'"
        ) from exc
    return torch


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class TrainSettings:
    """Everything that determines a training run (saved beside the model).

    The defaults are folk-rnn v2's recipe (``shared/spec/folkrnn-facts.md``)
    with a smaller network; every field is keyword-only.

    Parameters
    ----------
    layers : tuple of int > 0
        LSTM layer sizes, input side first.
    dropout : float in [0, 1)
        Dropout after each LSTM layer (training only).
    optimizer : {'rmsprop', 'adam'}
    learning_rate : float > 0
    lr_decay : float in (0, 1]
        The learning rate is multiplied by this once per epoch after epoch
        ``lr_decay_after``.
    lr_decay_after : int >= 0
    rmsprop_alpha : float in (0, 1)
        RMSprop's moving-average factor (Lasagne's ``rho``).
    batch_size : int > 0
        Tunes per batch; batches hold tunes of similar length.
    clip : float > 0 or None
        Gradient-norm clipping threshold (None: no clipping).
    validation_fraction : float in (0, 1)
        Share of tunes held out (seeded by ``seed``).
    max_epochs : int > 0
    patience : int > 0
        Stop after this many validations without a better held-out loss.
    eval_every : int > 0 or None
        Also validate after this many batches since the last validation (besides
        at each epoch's end).
    time_limit : float > 0 or None
        Wall-clock budget in seconds; training stops (keeping the best
        checkpoint) when it is spent.
    max_length : int > 0 or None
        Tunes longer than this many tokens (with ``<s>``/``</s>``) are left out.
    seed : int
        Seeds the split, the initial weights, batch order and dropout.
    threads : int > 0 or None
        ``torch.set_num_threads`` (None: torch's default).
    corpus : str or None
        The corpus trained on (a corpus directory; None = the default corpus).
        Used by the CLI; :func:`train` takes sequences.
    only_clean : bool
        Train only on corpus tunes whose bars all count (``folkabc check``), as ABC
        and as tokens: a model learns bar counting from tunes that count. Used by
        the CLI with ``corpus``; :func:`train` takes sequences.
    weights_dtype : {'float32', 'float16'}
        How the exported weights are stored: float16 halves the file (a 2 x 512
        network in 7 MB) at a precision far below what sampling notices; the model
        computes in float32 either way.
    average : float in (0, 1) or None
        Keep an exponential moving average of the weights with this decay per
        batch (Polyak averaging); it is what is validated, kept and exported.
        None: the raw weights.
    init : str or None
        A model directory (folkabc's format, same layer sizes) whose weights the
        run starts from instead of fresh ones: fine-tuning or continuing a run.
    self_samples : int >= 0
        Self-training (needs ``init``): generate this many tunes from the ``init``
        model at temperature 1 (seeds ``self_seed`` on), keep those that end and
        whose bars all count, drawn in the training tunes' proportions of meter,
        mode and length (:func:`self_training_tunes`), and add them to the training
        part (never to the held-out part). The model is then trained on corpus tunes
        and on its own tunes that count: rejection-sampling fine-tuning towards the
        bar check.
    self_seed : int >= 0
        First seed of the self-training tunes (kept apart from the seeds used to
        evaluate: 0..499 to report, 1000..1499 to choose).
    select_samples : int >= 0
        0: keep the weights with the lowest held-out loss. N > 0: keep the weights
        whose N tunes generated at temperature 1 (seeds ``select_seed`` on) most
        often check clean (ties: lower held-out loss); early stopping counts
        validations without a better share.
    select_seed : int >= 0
        First seed of the selection tunes.

    Examples
    --------
    >>> TrainSettings(layers=(32,), dropout=0.0).to_dict()["layers"]
    [32]
    >>> TrainSettings(layers=())
    Traceback (most recent call last):
    ...
    folkabc.errors.ParameterError: layers=() must be a non-empty list of positive ints
    """

    layers: tuple[int, ...] = (256, 256)
    dropout: float = 0.5
    optimizer: str = "rmsprop"
    learning_rate: float = 0.003
    lr_decay: float = 0.97
    lr_decay_after: int = 20
    rmsprop_alpha: float = 0.9
    batch_size: int = 64
    clip: float | None = 5.0
    validation_fraction: float = 0.05
    max_epochs: int = 100
    patience: int = 5
    eval_every: int | None = None
    time_limit: float | None = None
    max_length: int | None = None
    seed: int = 0
    threads: int | None = None
    corpus: str | None = None
    only_clean: bool = False
    average: float | None = None
    weights_dtype: str = "float32"
    init: str | None = None
    self_samples: int = 0
    self_seed: int = 1_000_000
    select_samples: int = 0
    select_seed: int = 2_000_000

    def __post_init__(self) -> None:
        layers = tuple(self.layers) if isinstance(self.layers, (list, tuple)) else self.layers
        if (not isinstance(layers, tuple) or not layers
                or not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in layers)):
            raise ParameterError(f"layers={self.layers!r} must be a non-empty list of positive ints")
        object.__setattr__(self, "layers", layers)
        _check(0 <= self.dropout < 1, "dropout", self.dropout, "in [0, 1)")
        _check(self.optimizer in _OPTIMIZERS, "optimizer", self.optimizer, f"one of {_OPTIMIZERS}")
        _check(self.learning_rate > 0, "learning_rate", self.learning_rate, "> 0")
        _check(0 < self.lr_decay <= 1, "lr_decay", self.lr_decay, "in (0, 1]")
        _check(_is_int(self.lr_decay_after) and self.lr_decay_after >= 0,
               "lr_decay_after", self.lr_decay_after, "an int >= 0")
        _check(0 < self.rmsprop_alpha < 1, "rmsprop_alpha", self.rmsprop_alpha, "in (0, 1)")
        _check(_is_int(self.batch_size) and self.batch_size > 0, "batch_size", self.batch_size, "an int > 0")
        _check(self.clip is None or self.clip > 0, "clip", self.clip, "> 0 or null")
        _check(0 < self.validation_fraction < 1, "validation_fraction", self.validation_fraction, "in (0, 1)")
        _check(_is_int(self.max_epochs) and self.max_epochs > 0, "max_epochs", self.max_epochs, "an int > 0")
        _check(_is_int(self.patience) and self.patience > 0, "patience", self.patience, "an int > 0")
        _check(self.eval_every is None or (_is_int(self.eval_every) and self.eval_every > 0),
               "eval_every", self.eval_every, "an int > 0 or null")
        _check(self.time_limit is None or self.time_limit > 0, "time_limit", self.time_limit, "> 0 or null")
        _check(self.max_length is None or (_is_int(self.max_length) and self.max_length > 2),
               "max_length", self.max_length, "an int > 2 or null")
        _check(_is_int(self.seed), "seed", self.seed, "an int")
        _check(self.weights_dtype in ("float32", "float16"), "weights_dtype", self.weights_dtype,
               "'float32' or 'float16'")
        _check(self.average is None or 0 < self.average < 1, "average", self.average, "in (0, 1) or null")
        _check(self.threads is None or (_is_int(self.threads) and self.threads > 0),
               "threads", self.threads, "an int > 0 or null")
        _check(self.init is None or (isinstance(self.init, str) and self.init != ""),
               "init", self.init, "a model directory or null")
        for name in ("self_samples", "self_seed", "select_samples", "select_seed"):
            value = getattr(self, name)
            _check(_is_int(value) and value >= 0, name, value, "an int >= 0")
        _check(not self.self_samples or self.init is not None, "self_samples", self.self_samples,
               "0 unless init names the model that writes the tunes")

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data (the settings-file form)."""
        d = dataclasses.asdict(self)
        d["layers"] = list(self.layers)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainSettings":
        """Settings from a dict; unknown keys raise :class:`ParameterError`.

        Examples
        --------
        >>> TrainSettings.from_dict({"layers": [8], "epochs": 3})
        Traceback (most recent call last):
        ...
        folkabc.errors.ParameterError: unknown training setting(s) 'epochs'; known: layers, dropout, ...
        """
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ParameterError(
                f"unknown training setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(names[:2])}, ..."
            )
        kw = dict(data)
        if "layers" in kw and isinstance(kw["layers"], list):
            kw["layers"] = tuple(kw["layers"])
        try:
            return cls(**kw)
        except TypeError as exc:  # e.g. a string where a number belongs
            raise ParameterError(f"bad training settings: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path) -> "TrainSettings":
        """Read a settings file (JSON) written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise FolkabcError(f"cannot read settings: {exc.strerror or exc}", path=str(path)) from exc
        except json.JSONDecodeError as exc:
            raise ParameterError(f"settings file is not JSON: {exc}", path=str(path)) from exc
        if not isinstance(data, dict):
            raise ParameterError("settings file must hold a JSON object", path=str(path))
        return cls.from_dict(data)

    def save(self, path: str | Path) -> None:
        """Write the settings as JSON (the inverse of :meth:`load`)."""
        atomic_write(path, json.dumps(self.to_dict(), indent=2) + "\n", what="cannot write settings")

    def replace(self, **changes: Any) -> "TrainSettings":
        """A copy with some fields changed (None values are ignored).

        Examples
        --------
        >>> TrainSettings().replace(max_epochs=2, seed=None).max_epochs
        2
        """
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _check(ok: bool, name: str, value: Any, allowed: str) -> None:
    try:
        good = bool(ok)
    except TypeError:  # pragma: no cover - comparisons on odd types
        good = False
    if not good:
        raise ParameterError(f"{name}={value!r} must be {allowed}")


# --------------------------------------------------------------------------- data


def _model_sequence(seq: Sequence[int] | np.ndarray) -> np.ndarray:
    """``[meter, mode, body..., (</s>)]`` ids → ``<s> meter mode body </s>`` as int64."""
    a = np.asarray(seq, dtype=np.int64).ravel()
    if a.size == 0 or a[0] != _START:
        a = np.concatenate([[_START], a])
    if a[-1] != _END:
        a = np.concatenate([a, [_END]])
    return a


def sequences_from_corpus(corpus: Any) -> list[np.ndarray]:
    """The tunes of a corpus as id arrays ``<s> meter mode body </s>``.

    Parameters
    ----------
    corpus : folkabc.Corpus or tuple of (ids, offsets)
        Anything with ``ids`` and ``offsets`` arrays (tune k is
        ``ids[offsets[k]:offsets[k+1]]``), or the two arrays.

    Returns
    -------
    list of numpy.ndarray [shape=(n_tokens,), dtype=int64]

    Examples
    --------
    >>> ids = VOCAB.encode(["M:4/4", "K:Cmaj", "C", "</s>", "M:6/8", "K:Cdor", "D", "</s>"])
    >>> seqs = sequences_from_corpus((ids, np.array([0, 4, 8])))
    >>> VOCAB.decode(seqs[1])
    ['<s>', 'M:6/8', 'K:Cdor', 'D', '</s>']
    """
    if isinstance(corpus, tuple) and len(corpus) == 2:
        ids, offsets = corpus
    else:
        try:
            ids, offsets = corpus.ids, corpus.offsets
        except AttributeError as exc:
            raise CorpusError(f"{type(corpus).__name__} has no ids/offsets arrays") from exc
    ids = np.asarray(ids)
    offsets = np.asarray(offsets, dtype=np.int64)
    if offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0 or offsets[-1] != ids.size \
            or np.any(np.diff(offsets) < 0):
        raise CorpusError("corpus offsets do not partition its ids")
    return [_model_sequence(ids[offsets[k]:offsets[k + 1]]) for k in range(offsets.size - 1)
            if offsets[k + 1] > offsets[k]]


def corpus_sequences(path: str | Path | None = None, *, only_clean: bool = False
                     ) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The training sequences of a corpus and a description of it for the model's provenance.

    Parameters
    ----------
    path : str or Path or None
        A corpus directory; None = the default corpus (built on first use).
    only_clean : bool
        Keep only the tunes whose bars all count, both in their ABC (the corpus's
        stored check result) and in their token form, which is what a model reads
        and what its own tunes are checked in: tokens write ``||`` as ``|``, so a
        tune whose part closes its pickup at a ``||`` counts clean as ABC but shows
        two short bars as tokens (~7% of the clean tunes of the default corpus).

    Returns
    -------
    sequences : list of numpy.ndarray
        As :func:`sequences_from_corpus`.
    provenance : dict
        ``{"corpus": {"path", "tunes", "tokens", "manifest"}}``.
    """
    from .corpus import Corpus

    corpus = Corpus.open(path)
    seqs = sequences_from_corpus(corpus)
    if only_clean:
        clean = corpus.meta_array("check_ok")
        seqs = [s for s, ok in zip(seqs, clean) if ok == 1 and tokens_count_clean(s)]
    manifest = getattr(corpus, "manifest", None)
    info = {
        "path": "default" if path is None else str(path),
        "only_clean": bool(only_clean),
        "tunes": len(seqs),
        "tokens": int(sum(s.size for s in seqs)),
    }
    if isinstance(manifest, dict):
        info["manifest"] = {k: manifest[k] for k in ("builder_version", "vocabulary_sha256", "sources",
                                                      "counts") if k in manifest}
    return seqs, {"corpus": info}


def tokens_count_clean(seq: Sequence[int] | np.ndarray) -> bool:
    """Whether a tune's token form (ids, with or without ``<s>``/``</s>``) checks clean.

    Examples
    --------
    >>> tokens_count_clean(VOCAB.encode(["M:2/4", "K:Cmaj", "C", "D", "|", "E", "F", "|"]))
    True
    >>> tokens_count_clean(VOCAB.encode(["M:2/4", "K:Cmaj", "C", "D", "|", "E", "|", "F", "|"]))
    False
    """
    from .validate import bars_count

    return bars_count(VOCAB.decode([int(i) for i in seq if int(i) not in (_START, _END)]))


def sequences_from_tunes(tunes: Iterable[Any], *, dedupe: bool = True) -> list[np.ndarray]:
    """Id arrays of the tokenized tunes that can be trained on.

    Keeps tunes with no error, a body, and every token in :data:`~folkabc.vocab.VOCAB`.

    Parameters
    ----------
    tunes : iterable of TokenizedTune or of token lists
        ``[meter, mode, *body]`` each.
    dedupe : bool
        Keep the first of tunes with identical tokens only (as the corpus does).

    Returns
    -------
    list of numpy.ndarray [shape=(n_tokens,), dtype=int64]
        ``<s> meter mode body </s>`` each.

    Examples
    --------
    >>> seqs = sequences_from_tunes([["M:4/4", "K:Cmaj", "C", "|"], ["M:4/4", "K:Cmaj", "C", "|"],
    ...                              ["M:7/8", "K:Cmaj", "C"]])
    >>> len(seqs), VOCAB.decode(seqs[0])
    (1, ['<s>', 'M:4/4', 'K:Cmaj', 'C', '|', '</s>'])
    """
    out, seen = [], set()
    index = VOCAB.index
    for t in tunes:
        if getattr(t, "error", None) is not None:
            continue
        toks = list(getattr(t, "tokens", t))
        if len(toks) < 3 or not all(tok in index for tok in toks):
            continue
        key = tuple(toks)
        if dedupe:
            if key in seen:
                continue
            seen.add(key)
        out.append(_model_sequence(VOCAB.encode(toks)))
    return out


def split_holdout(n: int, *, fraction: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of ``n`` items into training and held-out indices.

    Parameters
    ----------
    n : int >= 2
    fraction : float in (0, 1)
        Share held out (at least one item on each side).
    seed : int

    Returns
    -------
    train, valid : numpy.ndarray [dtype=int64]
        Sorted, disjoint, together ``range(n)``.

    Examples
    --------
    >>> tr, va = split_holdout(10, fraction=0.2, seed=1)
    >>> len(tr), len(va), sorted(np.concatenate([tr, va]).tolist()) == list(range(10))
    (8, 2, True)
    """
    if not _is_int(n) or n < 2:
        raise ParameterError(f"n={n!r} must be an int >= 2 (need tunes to train and to hold out)")
    _check(0 < fraction < 1, "fraction", fraction, "in (0, 1)")
    n_valid = min(n - 1, max(1, int(round(fraction * n))))
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_valid:]).astype(np.int64), np.sort(perm[:n_valid]).astype(np.int64)


def training_split(sequences: Sequence[Sequence[int] | np.ndarray], *, settings: TrainSettings | None = None
                  ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The tunes a training run uses and its seeded training / held-out split.

    :func:`train` splits with this, so an evaluation can score exactly the tunes
    a model never saw.

    Parameters
    ----------
    sequences : sequence of int arrays
        Tune ids (``<s>``/``</s>`` added where missing).
    settings : TrainSettings or None
        Uses ``max_length``, ``validation_fraction`` and ``seed``.

    Returns
    -------
    sequences : list of numpy.ndarray [dtype=int64]
        ``<s> meter mode body </s>`` each; tunes over ``max_length`` left out.
    train, valid : numpy.ndarray [dtype=int64]
        Indices into ``sequences``.

    Raises
    ------
    ParameterError
        Fewer than 2 tunes, or ids outside the vocabulary.

    Examples
    --------
    >>> seqs = [VOCAB.encode(["M:4/4", "K:Cmaj"] + ["C"] * n) for n in range(1, 41)]
    >>> kept, tr, va = training_split(seqs, settings=TrainSettings(max_length=30))
    >>> len(kept), len(tr), len(va), VOCAB.token(kept[0][0])
    (26, 25, 1, '<s>')
    """
    settings = settings or TrainSettings()
    v = len(VOCAB)
    seqs = [_model_sequence(s) for s in sequences]
    if settings.max_length is not None:
        seqs = [s for s in seqs if s.size <= settings.max_length]
    seqs = [s for s in seqs if s.size >= 3]
    if len(seqs) < 2:
        raise ParameterError(f"need at least 2 tunes to train on, got {len(seqs)}")
    for k, s in enumerate(seqs):
        if s.min() < 0 or s.max() >= v:
            raise ParameterError(f"tune {k} has ids outside the vocabulary (0..{v - 1})")
    train_idx, valid_idx = split_holdout(len(seqs), fraction=settings.validation_fraction, seed=settings.seed)
    return seqs, train_idx, valid_idx


# --------------------------------------------------------------------------- network


@functools.cache
def _network_class():
    torch = require_torch()
    nn = torch.nn

    class FolkRNN(nn.Module):
        """One-hot input → LSTM layers (dropout after each) → linear softmax layer."""

        def __init__(self, layers: tuple[int, ...], vocab_size: int, dropout: float) -> None:
            super().__init__()
            self.sizes = tuple(layers)
            self.vocab_size = vocab_size
            self.lstms = nn.ModuleList()
            n_in = vocab_size
            for h in layers:
                lstm = nn.LSTM(n_in, h, batch_first=True)
                with torch.no_grad():  # forget-gate bias 1 (gate order i, f, g, o)
                    lstm.bias_ih_l0[h:2 * h].fill_(1.0)
                    lstm.bias_hh_l0[h:2 * h].zero_()
                self.lstms.append(lstm)
                n_in = h
            self.h0 = nn.ParameterList([nn.Parameter(torch.zeros(h)) for h in layers])
            self.c0 = nn.ParameterList([nn.Parameter(torch.zeros(h)) for h in layers])
            self.drop = nn.Dropout(dropout)
            self.out = nn.Linear(n_in, vocab_size)

        def forward(self, ids):
            """Logits ``(batch, steps, vocab)`` for input ids ``(batch, steps)``."""
            x = torch.nn.functional.one_hot(ids, self.vocab_size).to(self.out.weight.dtype)
            b = ids.shape[0]
            for lstm, h0, c0 in zip(self.lstms, self.h0, self.c0):
                state = (h0.expand(1, b, -1).contiguous(), c0.expand(1, b, -1).contiguous())
                x, _ = lstm(x, state)
                x = self.drop(x)
            return self.out(x)

    return FolkRNN


def build_network(layers: Sequence[int], *, vocab_size: int = len(VOCAB), dropout: float = 0.5, seed: int = 0):
    """A fresh, seeded PyTorch folk-rnn network (needs torch).

    Parameters
    ----------
    layers : sequence of int > 0
        LSTM sizes.
    vocab_size : int > 0
    dropout : float in [0, 1)
    seed : int

    Returns
    -------
    torch.nn.Module
        ``net(ids)`` maps ``(batch, steps)`` int64 ids to logits ``(batch, steps, vocab)``.
    """
    torch = require_torch()
    settings = TrainSettings(layers=tuple(layers), dropout=dropout)
    torch.manual_seed(seed)
    return _network_class()(settings.layers, int(vocab_size), float(dropout))


def network_weights(net) -> dict[str, np.ndarray]:
    """The network's weights under the own-format names (float32).

    Returns
    -------
    dict of str to numpy.ndarray
        ``layer{l}.W_x (n_in, 4H)``, ``layer{l}.W_h (H, 4H)``, ``layer{l}.b (4H,)``,
        ``layer{l}.h0``/``c0 (H,)``, ``softmax.W (H_last, V)``, ``softmax.b (V,)``;
        gates i, f, c, o along the 4H axis.
    """
    def arr(t) -> np.ndarray:
        return t.detach().cpu().double().numpy()

    out: dict[str, np.ndarray] = {}
    for l, (lstm, h0, c0) in enumerate(zip(net.lstms, net.h0, net.c0)):
        out[f"layer{l}.W_x"] = arr(lstm.weight_ih_l0).T
        out[f"layer{l}.W_h"] = arr(lstm.weight_hh_l0).T
        out[f"layer{l}.b"] = arr(lstm.bias_ih_l0) + arr(lstm.bias_hh_l0)
        out[f"layer{l}.h0"] = arr(h0)
        out[f"layer{l}.c0"] = arr(c0)
    out["softmax.W"] = arr(net.out.weight).T
    out["softmax.b"] = arr(net.out.bias)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def network_from_model(model: Any, *, dropout: float = 0.0, layers: Sequence[int] | None = None):
    """A PyTorch network holding a folkabc model's weights (the inverse of :func:`network_weights`).

    Parameters
    ----------
    model : folkabc.model.Model or str or Path
        A loaded model or a model directory.
    dropout : float in [0, 1)
        The new network's dropout (training only).
    layers : sequence of int, optional
        The sizes the caller expects; a model of other sizes is a :class:`ParameterError`.

    Returns
    -------
    torch.nn.Module
        Same outputs as the model (to float32 rounding).

    Examples
    --------
    >>> from folkabc.model import Model, Params
    >>> m = Model(VOCAB.tokens, Params.random(n_vocab=len(VOCAB), layers=[8], rng=0))
    >>> net = network_from_model(m)  # doctest: +SKIP
    >>> bool(np.allclose(network_weights(net)["layer0.W_x"], m.params.to_arrays()["layer0.W_x"]))  # doctest: +SKIP
    True
    """
    torch = require_torch()
    if isinstance(model, (str, Path)):
        from .model import load_model

        model = load_model(model)
    sizes = tuple(int(h) for h in model.params.sizes)
    if layers is not None and tuple(layers) != sizes:
        raise ParameterError(f"the model has layers {list(sizes)}; the settings say {list(layers)}")
    if list(model.vocab.tokens) != list(VOCAB.tokens):
        raise ParameterError("the model's vocabulary is not folk-rnn v2's; folkabc trains on that one")
    arrays = model.params.to_arrays()
    net = _network_class()(sizes, len(VOCAB), float(dropout))

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

    with torch.no_grad():
        for l, (lstm, h0, c0) in enumerate(zip(net.lstms, net.h0, net.c0)):
            lstm.weight_ih_l0.copy_(t(arrays[f"layer{l}.W_x"].T))
            lstm.weight_hh_l0.copy_(t(arrays[f"layer{l}.W_h"].T))
            lstm.bias_ih_l0.copy_(t(arrays[f"layer{l}.b"]))
            lstm.bias_hh_l0.zero_()
            h0.copy_(t(arrays[f"layer{l}.h0"]))
            c0.copy_(t(arrays[f"layer{l}.c0"]))
        net.out.weight.copy_(t(arrays["softmax.W"].T))
        net.out.bias.copy_(t(arrays["softmax.b"]))
    return net


def _numpy_model(net):
    """The network as a numpy :class:`~folkabc.model.Model` (in memory)."""
    from .model import Model, Params

    return Model(list(VOCAB.tokens), Params.from_arrays(network_weights(net), n_vocab=net.vocab_size))


def _ends_and_counts(tune: Any) -> bool:
    """Whether a generated tune ended with ``</s>`` and its bars all count."""
    from .validate import bars_count

    return bool(tune.ended) and bars_count(list(tune.tokens))


def clean_share(model: Any, *, n: int, seed: int, max_length: int = 1000) -> float:
    """Share of ``n`` tunes generated at temperature 1 (seeds ``seed`` on) that end and check clean.

    Parameters
    ----------
    model : folkabc.model.Model
    n : int > 0
    seed : int >= 0
    max_length : int

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> from folkabc.model import load_model
    >>> 0.5 < clean_share(load_model(), n=20, seed=1000) <= 1.0
    True
    """
    gen = model.generate(n=n, seed=seed, temperature=1.0, max_length=max_length)
    return sum(map(_ends_and_counts, gen)) / n


def self_training_tunes(model: Any, *, n: int, seed: int, like: Sequence[np.ndarray] | None = None,
                        max_length: int = 1000, max_repeats: int = 4) -> list[np.ndarray]:
    """The model's own tunes that count, drawn in the proportions of a reference set of tunes.

    Generates ``n`` tunes at temperature 1 (seeds ``seed`` on), keeps those that end and
    whose bars all count, and draws from them as many tunes as count, so that their meters,
    modes and lengths (quartiles of the reference's token counts) fall in the reference's
    proportions. Filtering on the bar check alone would favour what counts most easily
    (short tunes, 2/4 songs) and a model trained on that drifts that way. Within a group every
    clean tune is drawn once before any is repeated (seeded), and at most ``max_repeats``
    times; a group with no clean tune contributes none. Other parameters as for
    :func:`clean_share`.

    Parameters
    ----------
    like : sequence of int arrays, optional
        ``<s> meter mode body </s>`` ids whose proportions to keep (the training tunes);
        None: the proportions of everything the model wrote.
    max_repeats : int > 0

    Returns
    -------
    list of numpy.ndarray
        ``<s> meter mode body </s>`` ids.

    Examples
    --------
    >>> from folkabc.model import load_model
    >>> tunes = self_training_tunes(load_model(), n=50, seed=1000)
    >>> 30 < len(tunes) <= 50
    True
    """
    gen = model.generate(n=n, seed=seed, temperature=1.0, max_length=max_length)
    own = [(tuple(g.tokens[:2]), len(g.tokens)) for g in gen]
    ref = own if like is None else [(tuple(VOCAB.decode(s[1:3])), int(s.size) - 2) for s in like]
    cuts = np.quantile([length for _, length in ref], [0.25, 0.5, 0.75])

    def group(head: tuple, length: int) -> tuple:
        return head, int(np.searchsorted(cuts, length, side="right"))

    wanted: dict[tuple, int] = {}
    for head, length in ref:
        key = group(head, length)
        wanted[key] = wanted.get(key, 0) + 1
    clean: dict[tuple, list[int]] = {}
    for k, g in enumerate(gen):
        if _ends_and_counts(g):
            clean.setdefault(group(*own[k]), []).append(k)
    total = sum(map(len, clean.values()))
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for key in sorted(wanted, key=str):
        ok = clean.get(key, [])
        if ok:
            order = rng.permutation(len(ok))
            count = min(round(total * wanted[key] / len(ref)), max_repeats * len(ok))
            chosen += [ok[order[i % len(ok)]] for i in range(count)]
    return [_model_sequence(VOCAB.encode(list(gen[k].tokens))) for k in sorted(chosen)]


def clean_tunes(model: Any, *, n: int, seed: int, max_length: int = 1000) -> list[np.ndarray]:
    """The tunes out of ``n`` generated at temperature 1 (seeds ``seed`` on) that end and check clean.

    Returns
    -------
    list of numpy.ndarray
        ``<s> meter mode body </s>`` ids, in seed order.

    Examples
    --------
    >>> from folkabc.model import load_model
    >>> tunes = clean_tunes(load_model(), n=10, seed=1000)
    >>> all(VOCAB.token(int(t[-1])) == "</s>" for t in tunes)
    True
    """
    gen = model.generate(n=n, seed=seed, temperature=1.0, max_length=max_length)
    return [_model_sequence(VOCAB.encode(list(g.tokens))) for g in gen if _ends_and_counts(g)]


def export_model(net, path: str | Path, *, vocabulary: Sequence[str] = VOCAB.tokens,
                 provenance: dict[str, Any] | None = None, weights_dtype: str = "float32") -> Path:
    """Write a trained network in folkabc's own model format.

    Parameters
    ----------
    net : torch.nn.Module
        From :func:`build_network` / :func:`train`.
    path : str or Path
        Directory to write ``model.json`` and ``weights.npz`` into (created).
    vocabulary : sequence of str
        Tokens in id order (the network's input/output size).
    provenance : dict or None
        Stored under ``"provenance"`` in ``model.json``.
    weights_dtype : {'float32', 'float16'}
        How the weights are stored (float16: half the size; read back as float32).

    Returns
    -------
    Path
        The directory; :func:`folkabc.load_model` reads it back.

    See Also
    --------
    folkabc.load_model : the inverse.
    """
    if len(vocabulary) != net.vocab_size:
        raise ParameterError(f"vocabulary has {len(vocabulary)} tokens; the network has {net.vocab_size}")
    from .model import Model, Params

    model = Model(list(vocabulary), Params.from_arrays(network_weights(net), n_vocab=len(vocabulary)),
                  provenance=provenance or {})
    return model.save(path, weights_dtype=weights_dtype)


# --------------------------------------------------------------------------- training


@dataclass
class TrainResult:
    """What a training run did.

    Attributes
    ----------
    network : torch.nn.Module
        The network with the best held-out weights, in eval mode.
    settings : TrainSettings
    history : list of dict
        One record per validation (also written to the log): ``epoch``, ``step``,
        ``tokens``, ``train_loss``, ``valid_loss``, ``valid_perplexity``, ``lr``,
        ``elapsed_s``, ``tokens_per_s``, ``best``.
    best_valid_loss : float
        Mean held-out negative log-likelihood per token (nats).
    stop_reason : str
        ``"max_epochs"``, ``"early_stopping"``, ``"time_limit"`` or ``"interrupted"``.
    n_train, n_valid : int
        Tunes in each part (``n_train`` includes the self-training tunes).
    n_train_tokens, n_valid_tokens : int
        Predicted tokens in each part.
    elapsed_s : float
    path : Path or None
        Where the model was exported, if anywhere.
    n_self : int
        Self-training tunes added to the training part (``settings.self_samples``;
        a tune drawn twice counts twice).
    best_clean_share : float or None
        With ``settings.select_samples``: the kept weights' share of clean tunes.
    """

    network: Any
    settings: TrainSettings
    history: list[dict[str, Any]] = field(default_factory=list)
    best_valid_loss: float = math.inf
    stop_reason: str = ""
    n_train: int = 0
    n_valid: int = 0
    n_train_tokens: int = 0
    n_valid_tokens: int = 0
    elapsed_s: float = 0.0
    path: Path | None = None
    n_self: int = 0
    best_clean_share: float | None = None

    @property
    def best_valid_perplexity(self) -> float:
        """``exp(best_valid_loss)``."""
        return math.exp(self.best_valid_loss)

    def summary(self) -> dict[str, Any]:
        """The run in a few numbers (JSON-ready)."""
        return {
            "stop_reason": self.stop_reason,
            "epochs": self.history[-1]["epoch"] if self.history else 0,
            "steps": self.history[-1]["step"] if self.history else 0,
            # None until a validation has run (JSON has no Infinity)
            "best_valid_loss": round(self.best_valid_loss, 5) if math.isfinite(self.best_valid_loss) else None,
            "best_valid_perplexity": (round(self.best_valid_perplexity, 4)
                                      if math.isfinite(self.best_valid_perplexity) else None),
            "n_train": self.n_train,
            "n_valid": self.n_valid,
            "n_train_tokens": self.n_train_tokens,
            "n_valid_tokens": self.n_valid_tokens,
            "n_self": self.n_self,
            "best_clean_share": None if self.best_clean_share is None else round(self.best_clean_share, 4),
            "elapsed_s": round(self.elapsed_s, 1),
        }


def _batches(seqs: list[np.ndarray], order: np.ndarray, batch_size: int, rng: np.random.Generator | None):
    """Index batches of tunes of similar length (shuffled when ``rng`` is given)."""
    lengths = np.array([seqs[i].size for i in order], dtype=np.float64)
    if rng is not None:
        lengths = lengths * rng.uniform(0.9, 1.1, size=lengths.size)  # vary the buckets per epoch
    by_len = order[np.argsort(lengths, kind="stable")]
    batches = [by_len[k:k + batch_size] for k in range(0, by_len.size, batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def _pad(torch, seqs: list[np.ndarray], idx: np.ndarray):
    """Inputs, targets (-100 where padded) as int64 tensors ``(batch, max_len - 1)``."""
    n = max(seqs[i].size for i in idx) - 1
    x = np.full((idx.size, n), _END, dtype=np.int64)
    y = np.full((idx.size, n), -100, dtype=np.int64)
    for r, i in enumerate(idx):
        s = seqs[i]
        x[r, :s.size - 1] = s[:-1]
        y[r, :s.size - 1] = s[1:]
    return torch.from_numpy(x), torch.from_numpy(y)


def _valid_loss(torch, net, seqs, valid_batches) -> float:
    """Mean negative log-likelihood per predicted token over the held-out tunes."""
    was_training = net.training
    net.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for idx in valid_batches:
            x, y = _pad(torch, seqs, idx)
            logits = net(x)
            total += float(torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100, reduction="sum"))
            count += int((y >= 0).sum())
    net.train(was_training)
    return total / max(count, 1)


def train(
    sequences: Sequence[Sequence[int] | np.ndarray],
    *,
    settings: TrainSettings | None = None,
    out: str | Path | None = None,
    log: str | Path | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
    provenance: dict[str, Any] | None = None,
    checkpoint: bool = True,
) -> TrainResult:
    """Train a folk-rnn-style network on tunes given as token ids (needs torch).

    Each tune is one sequence ``<s> meter mode body </s>`` (missing ``<s>`` and
    ``</s>`` are added), trained on as a whole. A seeded share is held out;
    after each epoch (and every ``eval_every`` batches) the held-out loss is
    measured, the best weights kept, and training stops after ``patience``
    validations without improvement, after ``max_epochs``, or when
    ``time_limit`` is spent.

    Parameters
    ----------
    sequences : sequence of int arrays
        Tune ids over :data:`~folkabc.vocab.VOCAB` (see :func:`sequences_from_corpus`,
        :func:`sequences_from_tunes`).
    settings : TrainSettings or None
        None: the defaults.
    out : str or Path or None
        Export the best model here (own format), with ``train-settings.json`` and
        ``heldout.npz`` (the held-out tunes as corpus-style ``ids``/``offsets``, so an
        evaluation can score exactly the tunes the model never saw).
    log : str or Path or None
        Append one JSON line per validation here.
    callback : callable or None
        Called with ``{"event": "batch", "epoch", "batch", "n_batches", "loss"}``
        after each batch and ``{"event": "valid", **record}`` after each validation
        (the CLI draws its progress bar from these).
    provenance : dict or None
        Extra facts for ``model.json`` (e.g. the corpus).
    checkpoint : bool
        With ``out``: also export after every improvement of the held-out loss,
        so an interrupted run leaves its best model behind. (Ctrl-C stops training
        and exports the best weights; ``stop_reason`` is then ``"interrupted"``.)

    Returns
    -------
    TrainResult

    Raises
    ------
    FolkabcError
        When torch is missing.
    ParameterError
        Too few tunes, or ids outside the vocabulary.

    See Also
    --------
    export_model, TrainSettings
    """
    torch = require_torch()
    settings = settings or TrainSettings()
    v = len(VOCAB)
    seqs, train_idx, valid_idx = training_split(sequences, settings=settings)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    t_start = time.monotonic()
    rng = np.random.default_rng(settings.seed + 1)
    if settings.init is not None:
        from .model import load_model

        init_model = load_model(settings.init)
        torch.manual_seed(settings.seed)
        net = network_from_model(init_model, dropout=settings.dropout, layers=settings.layers)
    else:
        net = build_network(settings.layers, vocab_size=v, dropout=settings.dropout, seed=settings.seed)
    n_self = 0
    if settings.self_samples:  # the init model's own tunes that count, for the training part only
        own = self_training_tunes(init_model, n=settings.self_samples, seed=settings.self_seed,
                                  like=[seqs[i] for i in train_idx])
        n_self = len(own)
        train_idx = np.concatenate([train_idx, np.arange(len(seqs), len(seqs) + n_self)])
        seqs = list(seqs) + own
    params = list(net.parameters())
    if settings.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=settings.learning_rate)
    else:
        opt = torch.optim.RMSprop(params, lr=settings.learning_rate, alpha=settings.rmsprop_alpha, eps=1e-6)
    valid_batches = _batches(seqs, valid_idx, max(settings.batch_size, 64), None)
    # Polyak averaging: `judged` is the network validated, kept and exported
    judged = copy.deepcopy(net) if settings.average is not None else net
    averaged = list(judged.parameters())
    result = TrainResult(
        network=net, settings=settings, n_train=int(train_idx.size), n_valid=int(valid_idx.size),
        n_train_tokens=int(sum(seqs[i].size - 1 for i in train_idx)),
        n_valid_tokens=int(sum(seqs[i].size - 1 for i in valid_idx)), n_self=n_self,
    )
    best_key = (math.inf, math.inf)  # (-clean share, held-out loss): lower is better
    try:
        log_fh = open(log, "a", encoding="utf-8") if log is not None else None
    except OSError as exc:
        raise FolkabcError(f"cannot open training log: {exc.strerror or exc}", path=str(log)) from exc
    best_state = None
    since_best = 0
    since_valid = 0  # batches since the last validation
    step = 0
    tokens = 0
    run_loss, run_tokens = 0.0, 0

    side_files_written: list[bool] = []

    def save(*, final: bool) -> Path:
        """Export the best weights so far (a checkpoint) or at the end (``final``)."""
        model = net
        if not final:
            model = copy.deepcopy(net)  # (a fresh network would draw from torch's RNG)
            model.load_state_dict(best_state)
        prov = {
            "trainer": "folkabc train",
            "torch": torch.__version__,
            "settings": settings.to_dict(),
            **result.summary(),
            "checkpoint": not final,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **(provenance or {}),
        }
        path = export_model(model, out, provenance=prov, weights_dtype=settings.weights_dtype)
        if not side_files_written:  # the settings and held-out tunes do not change: written once
            settings.save(path / "train-settings.json")
            held = [seqs[i][1:] for i in valid_idx]  # meter mode body </s>, as in a corpus
            ids = np.concatenate(held).astype(np.uint8)
            offsets = np.concatenate([[0], np.cumsum([h.size for h in held])]).astype(np.int64)
            atomic_write(path / "heldout.npz", lambda fh: np.savez_compressed(fh, ids=ids, offsets=offsets),
                         what="cannot write held-out tunes")
            side_files_written.append(True)
        return path

    def validate(epoch: int) -> bool:
        """Measure, record and keep the best; True when training should stop early."""
        nonlocal best_state, since_best, since_valid, run_loss, run_tokens
        since_valid = 0
        nonlocal best_key
        vl = _valid_loss(torch, judged, seqs, valid_batches)
        share = None
        if settings.select_samples:
            share = clean_share(_numpy_model(judged), n=settings.select_samples, seed=settings.select_seed)
        elapsed = time.monotonic() - t_start
        key = (-share if share is not None else 0.0, vl)
        improved = key < best_key
        if improved:
            best_key = key
            result.best_valid_loss = vl
            result.best_clean_share = share
            best_state = {k: t.detach().clone() for k, t in judged.state_dict().items()}
            since_best = 0
        else:
            since_best += 1
        record = {
            "epoch": epoch, "step": step, "tokens": tokens,
            "train_loss": round(run_loss / run_tokens, 5) if run_tokens else None,
            "valid_loss": round(vl, 5), "valid_perplexity": round(math.exp(vl), 4),
            **({"clean_share": round(share, 4)} if share is not None else {}),
            "lr": opt.param_groups[0]["lr"], "elapsed_s": round(elapsed, 1),
            "tokens_per_s": round(tokens / elapsed, 1) if elapsed > 0 else None, "best": improved,
        }
        run_loss, run_tokens = 0.0, 0
        result.history.append(record)
        if log_fh is not None:
            log_fh.write(json.dumps(record) + "\n")
            log_fh.flush()
        if improved and out is not None and checkpoint:
            result.elapsed_s = elapsed
            save(final=False)
        if callback is not None:
            callback({"event": "valid", **record})
        return since_best >= settings.patience

    try:
        net.train()
        stop = ""
        for epoch in range(1, settings.max_epochs + 1):
            decay_epochs = max(0, epoch - settings.lr_decay_after)
            for g in opt.param_groups:
                g["lr"] = settings.learning_rate * settings.lr_decay ** decay_epochs
            batches = _batches(seqs, train_idx, settings.batch_size, rng)
            for b, idx in enumerate(batches):
                x, y = _pad(torch, seqs, idx)
                logits = net(x)
                loss = torch.nn.functional.cross_entropy(
                    logits.reshape(-1, v), y.reshape(-1), ignore_index=-100)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if settings.clip is not None:
                    torch.nn.utils.clip_grad_norm_(params, settings.clip)
                opt.step()
                if judged is not net:  # decay warmed up over the first batches
                    weight = 1.0 - min(settings.average, (1 + step) / (10 + step))
                    with torch.no_grad():
                        for a, p in zip(averaged, params):
                            a.lerp_(p.detach(), weight)
                n_tok = int((y >= 0).sum())
                step += 1
                tokens += n_tok
                run_loss += float(loss.detach()) * n_tok
                run_tokens += n_tok
                if callback is not None:
                    callback({"event": "batch", "epoch": epoch, "batch": b + 1, "n_batches": len(batches),
                              "loss": float(loss.detach())})
                out_of_time = (settings.time_limit is not None
                               and time.monotonic() - t_start >= settings.time_limit)
                if out_of_time:
                    stop = "time_limit"
                    break
                since_valid += 1
                if settings.eval_every and since_valid >= settings.eval_every and b + 1 < len(batches):
                    if validate(epoch):
                        stop = "early_stopping"
                        break
            if stop == "early_stopping":
                break
            if validate(epoch) and not stop:
                stop = "early_stopping"
            if stop:
                break
        result.stop_reason = stop or "max_epochs"
    except KeyboardInterrupt:  # keep what was learnt: the best checkpoint is exported below
        result.stop_reason = "interrupted"
    finally:
        if log_fh is not None:
            log_fh.close()
    if best_state is not None:
        net.load_state_dict(best_state)
    elif judged is not net:
        net.load_state_dict(judged.state_dict())
    net.eval()
    result.elapsed_s = time.monotonic() - t_start
    if out is not None:
        result.path = save(final=True)
    return result
