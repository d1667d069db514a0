"""Training settings: :class:`TrainSettings`, everything that determines a run (saved beside the model).

Examples
--------
>>> s = TrainSettings(layers=(64, 64), max_epochs=3)
>>> s.layers, s.optimizer, s.learning_rate
((64, 64), 'rmsprop', 0.003)
>>> TrainSettings.from_dict(s.to_dict()) == s
True
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write
from ..errors import FolkabcError, ParameterError
from ..limits import check_limit

__all__ = ["TrainSettings", "is_int", "check_value"]

_OPTIMIZERS = ("rmsprop", "adam")


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
    device : str
        Where torch trains: ``'cpu'``, ``'cuda'`` or ``'cuda:N'`` (an NVIDIA GPU; the
        exported model is the same numpy model either way).
    workers : int > 0
        Processes that write the self-training and selection tunes (numpy, on the
        CPU; each tune has its own seed, so the tunes are the same for any count).
    corpus : str or None
        The corpus trained on (a corpus directory; None = the default corpus).
        Used by the CLI; :func:`train` takes sequences.
    only_clean : bool
        Train only on corpus tunes whose bars all count (``folkabc check``), as ABC
        and as tokens: a model learns bar counting from tunes that count. Used by
        the CLI with ``corpus``; :func:`train` takes sequences.
    sources : list of str or None
        Train only on the corpus tunes from these sources (collection names as
        ``folkabc corpus info`` lists them, e.g. ``oneills1850``); None: all.
        Used by the CLI with ``corpus``.
    heldout : str or None
        A ``heldout.npz`` file (or a model directory holding one): the tunes it
        holds that are among the tunes trained on are the held-out part, instead of
        a seeded split, and are never trained on. Two models held out on one file
        are compared on the same tunes, neither of which either model saw.
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
    self_forms : bool
        Self-training also keeps the training tunes' share of two repeated 8-bar
        parts (AABB) among the tunes it adds (``forms`` of :func:`self_training_tunes`).
    self_constrained : bool
        Self-training tunes are written under the bars constraint, and with
        ``self_forms`` the training tunes' share of them under the AABB form
        (``constrained`` of :func:`self_training_tunes`): the model learns from its own
        tunes as the constraints correct them.
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
    select_lengths : bool
        With ``select_samples``: the clean share is taken per length group (the training
        tunes' length quartiles) and weighted by the training tunes' share of each
        (:func:`~folkabc.train.selfsample.length_weighted_share`), so weights whose tunes
        are shorter, which count clean more easily, earn no credit for it.

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
    device: str = "cpu"
    workers: int = 1
    corpus: str | None = None
    only_clean: bool = False
    sources: tuple[str, ...] | None = None
    heldout: str | None = None
    average: float | None = None
    weights_dtype: str = "float32"
    init: str | None = None
    self_samples: int = 0
    self_seed: int = 1_000_000
    self_forms: bool = False
    self_constrained: bool = False
    select_samples: int = 0
    select_seed: int = 2_000_000
    select_lengths: bool = False

    def __post_init__(self) -> None:
        layers = tuple(self.layers) if isinstance(self.layers, (list, tuple)) else self.layers
        if (not isinstance(layers, tuple) or not layers
                or not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in layers)):
            raise ParameterError(f"layers={self.layers!r} must be a non-empty list of positive ints")
        object.__setattr__(self, "layers", layers)
        check_value(0 <= self.dropout < 1, "dropout", self.dropout, "in [0, 1)")
        check_value(self.optimizer in _OPTIMIZERS, "optimizer", self.optimizer, f"one of {_OPTIMIZERS}")
        check_value(self.learning_rate > 0, "learning_rate", self.learning_rate, "> 0")
        check_value(0 < self.lr_decay <= 1, "lr_decay", self.lr_decay, "in (0, 1]")
        check_value(is_int(self.lr_decay_after) and self.lr_decay_after >= 0,
               "lr_decay_after", self.lr_decay_after, "an int >= 0")
        check_value(0 < self.rmsprop_alpha < 1, "rmsprop_alpha", self.rmsprop_alpha, "in (0, 1)")
        check_value(is_int(self.batch_size) and self.batch_size > 0, "batch_size", self.batch_size, "an int > 0")
        check_value(self.clip is None or self.clip > 0, "clip", self.clip, "> 0 or null")
        check_value(0 < self.validation_fraction < 1, "validation_fraction", self.validation_fraction, "in (0, 1)")
        check_value(is_int(self.max_epochs) and self.max_epochs > 0, "max_epochs", self.max_epochs, "an int > 0")
        check_value(is_int(self.patience) and self.patience > 0, "patience", self.patience, "an int > 0")
        check_value(self.eval_every is None or (is_int(self.eval_every) and self.eval_every > 0),
               "eval_every", self.eval_every, "an int > 0 or null")
        check_value(self.time_limit is None or self.time_limit > 0, "time_limit", self.time_limit, "> 0 or null")
        check_value(self.max_length is None or (is_int(self.max_length) and self.max_length > 2),
               "max_length", self.max_length, "an int > 2 or null")
        check_value(is_int(self.seed), "seed", self.seed, "an int")
        check_value(self.weights_dtype in ("float32", "float16"), "weights_dtype", self.weights_dtype,
               "'float32' or 'float16'")
        check_value(self.average is None or 0 < self.average < 1, "average", self.average, "in (0, 1) or null")
        check_value(self.threads is None or (is_int(self.threads) and self.threads > 0),
               "threads", self.threads, "an int > 0 or null")
        check_value(isinstance(self.device, str) and re.fullmatch(r"cpu|cuda(:\d+)?", self.device) is not None,
                    "device", self.device, "'cpu', 'cuda' or 'cuda:N'")
        check_value(is_int(self.workers) and self.workers > 0, "workers", self.workers, "an int > 0")
        check_limit("max_workers", self.workers, where="workers")  # each is a forked process
        check_value(self.init is None or (isinstance(self.init, str) and self.init != ""),
               "init", self.init, "a model directory or null")
        check_value(self.heldout is None or (isinstance(self.heldout, str) and self.heldout != ""),
               "heldout", self.heldout, "a heldout.npz file, a model directory or null")
        sources = tuple(self.sources) if isinstance(self.sources, (list, tuple)) else self.sources
        check_value(sources is None or (bool(sources) and all(isinstance(x, str) and x for x in sources)),
               "sources", self.sources, "a non-empty list of source names or null")
        object.__setattr__(self, "sources", sources)
        for name in ("self_samples", "self_seed", "select_samples", "select_seed"):
            value = getattr(self, name)
            check_value(is_int(value) and value >= 0, name, value, "an int >= 0")
        for name in ("self_samples", "select_samples"):  # held in memory and written before any time limit
            check_limit("max_self_samples", getattr(self, name), where=name)
        for name in ("self_forms", "self_constrained", "select_lengths"):
            check_value(isinstance(getattr(self, name), bool), name, getattr(self, name), "true or false")
        check_value(not self.self_samples or self.init is not None, "self_samples", self.self_samples,
               "0 unless init names the model that writes the tunes")

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data (the settings-file form)."""
        d = dataclasses.asdict(self)
        d["layers"] = list(self.layers)
        if self.sources is not None:
            d["sources"] = list(self.sources)
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


def is_int(x: Any) -> bool:
    """Whether ``x`` is an int (numpy ints too, bools not).

    Examples
    --------
    >>> is_int(3), is_int(np.int64(3)), is_int(True), is_int(3.0)
    (True, True, False, False)
    """
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def check_value(ok: bool, name: str, value: Any, allowed: str) -> None:
    """Raise ``ParameterError("name=value must be allowed")`` unless ``ok``.

    Examples
    --------
    >>> check_value(0 < 2, "n", 2, "> 0")
    >>> check_value(0 < -1, "n", -1, "> 0")
    Traceback (most recent call last):
    ...
    folkabc.errors.ParameterError: n=-1 must be > 0
    """
    try:
        good = bool(ok)
    except TypeError:  # pragma: no cover - comparisons on odd types
        good = False
    if not good:
        raise ParameterError(f"{name}={value!r} must be {allowed}")
