"""The training loop: :func:`train` and what it returns, :class:`TrainResult`.

Training follows folk-rnn: whole tunes ``<s> meter mode body </s>`` as sequences,
cross-entropy on the next token, RMSprop (or Adam), gradient-norm clipping, a
seeded held-out split, and early stopping on the held-out loss (the best
checkpoint is kept). The run's state lives in one :class:`_Run` object whose
methods validate, checkpoint and step; there are no closures over shared locals.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .._io import atomic_write
from ..errors import FolkabcError
from ..model import load_model
from ..vocab import VOCAB
from .data import length_batches, training_split
from .network import build_network, export_model, network_from_model, numpy_model, pad_batch, require_torch
from .selfsample import clean_share, self_training_tunes
from .settings import TrainSettings

__all__ = ["TrainResult", "train"]


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


def _valid_loss(torch, net, seqs, valid_batches, device: str = "cpu") -> float:
    """Mean negative log-likelihood per predicted token over the held-out tunes."""
    was_training = net.training
    net.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for idx in valid_batches:
            x, y = pad_batch(torch, seqs, idx, device)
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
        after each batch, ``{"event": "write", "done", "total"}`` as the self-training
        tunes are written, and ``{"event": "valid", **record}`` after each validation
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
    seqs, train_idx, valid_idx = training_split(sequences, settings=settings)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    t_start = time.monotonic()
    rng = np.random.default_rng(settings.seed + 1)
    if settings.init is not None:
        init_model = load_model(settings.init)
        torch.manual_seed(settings.seed)
        net = network_from_model(init_model, dropout=settings.dropout, layers=settings.layers)
    else:
        net = build_network(settings.layers, vocab_size=len(VOCAB), dropout=settings.dropout, seed=settings.seed)
    if settings.device != "cpu":  # built on the CPU (the same weights for a seed anywhere), trained there
        net = net.to(_cuda_device(torch, settings.device))
    n_self = 0
    if settings.self_samples:  # the init model's own tunes that count, for the training part only
        own = self_training_tunes(init_model, n=settings.self_samples, seed=settings.self_seed,
                                  forms=settings.self_forms, constrained=settings.self_constrained,
                                  like=[seqs[i] for i in train_idx], workers=settings.workers,
                                  progress=None if callback is None else
                                  lambda done, total: callback({"event": "write", "done": done, "total": total}))
        n_self = len(own)
        train_idx = np.concatenate([train_idx, np.arange(len(seqs), len(seqs) + n_self)])
        seqs = list(seqs) + own
    run = _Run(torch, net, settings, seqs, train_idx, valid_idx, n_self=n_self, t_start=t_start, out=out,
               log=log, callback=callback, provenance=provenance, checkpoint=checkpoint)
    return run.run(rng)


def _cuda_device(torch, device: str):
    """``device`` (``'cuda'`` or ``'cuda:N'``) as a torch device; one clear line when torch has no such GPU."""
    if not torch.cuda.is_available():
        raise FolkabcError(f"device={device!r}: this torch ({torch.__version__}) sees no CUDA GPU; "
                           "train with device 'cpu'")
    index = int(device.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise FolkabcError(f"device={device!r}: torch sees {torch.cuda.device_count()} CUDA GPU(s)")
    return torch.device(device)


class _Run:
    """The state of one training run and its steps (validate, checkpoint, train an epoch).

    Holds what :func:`train` used to share between closures: the network and its
    averaged copy (``judged``, the one validated, kept and exported), the optimizer,
    the best weights so far and the counters since the last validation.
    """

    def __init__(self, torch, net, settings: TrainSettings, seqs: list[np.ndarray], train_idx: np.ndarray,
                 valid_idx: np.ndarray, *, n_self: int, t_start: float, out, log, callback, provenance,
                 checkpoint: bool) -> None:
        self.torch = torch
        self.net = net
        self.settings = settings
        self.seqs = seqs
        self.train_idx = train_idx
        self.valid_idx = valid_idx
        self.t_start = t_start
        self.out = out
        self.callback = callback
        self.provenance = provenance
        self.checkpoint = checkpoint
        self.params = list(net.parameters())
        if settings.optimizer == "adam":
            self.opt = torch.optim.Adam(self.params, lr=settings.learning_rate)
        else:
            self.opt = torch.optim.RMSprop(self.params, lr=settings.learning_rate, alpha=settings.rmsprop_alpha,
                                           eps=1e-6)
        self.train_lengths = [int(seqs[i].size) - 2 for i in train_idx if i < len(seqs) - n_self]  # the corpus's
        self.valid_batches = length_batches(seqs, valid_idx, max(settings.batch_size, 64), None)
        # Polyak averaging: `judged` is the network validated, kept and exported
        self.judged = copy.deepcopy(net) if settings.average is not None else net
        self.averaged = list(self.judged.parameters())
        self.result = TrainResult(
            network=net, settings=settings, n_train=int(train_idx.size), n_valid=int(valid_idx.size),
            n_train_tokens=int(sum(seqs[i].size - 1 for i in train_idx)),
            n_valid_tokens=int(sum(seqs[i].size - 1 for i in valid_idx)), n_self=n_self,
        )
        self.best_key = (math.inf, math.inf)  # (-clean share, held-out loss): lower is better
        try:
            self.log_fh = open(log, "a", encoding="utf-8") if log is not None else None
        except OSError as exc:
            raise FolkabcError(f"cannot open training log: {exc.strerror or exc}", path=str(log)) from exc
        self.best_state = None
        self.since_best = 0
        self.since_valid = 0  # batches since the last validation
        self.step = 0
        self.tokens = 0
        self.run_loss, self.run_tokens = 0.0, 0
        self.side_files_written = False

    def save(self, *, final: bool) -> Path:
        """Export the best weights so far (a checkpoint) or at the end (``final``)."""
        model = self.net
        if not final:
            model = copy.deepcopy(self.net)  # (a fresh network would draw from torch's RNG)
            model.load_state_dict(self.best_state)
        prov = {
            "trainer": "folkabc train",
            "torch": self.torch.__version__,
            "settings": self.settings.to_dict(),
            **self.result.summary(),
            "checkpoint": not final,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **(self.provenance or {}),
        }
        path = export_model(model, self.out, provenance=prov, weights_dtype=self.settings.weights_dtype)
        if not self.side_files_written:  # the settings and held-out tunes do not change: written once
            self.settings.save(path / "train-settings.json")
            held = [self.seqs[i][1:] for i in self.valid_idx]  # meter mode body </s>, as in a corpus
            ids = np.concatenate(held).astype(np.uint8)
            offsets = np.concatenate([[0], np.cumsum([h.size for h in held])]).astype(np.int64)
            atomic_write(path / "heldout.npz", lambda fh: np.savez_compressed(fh, ids=ids, offsets=offsets),
                         what="cannot write held-out tunes")
            self.side_files_written = True
        return path

    def validate(self, epoch: int) -> bool:
        """Measure, record and keep the best; True when training should stop early."""
        settings, result = self.settings, self.result
        self.since_valid = 0
        vl = _valid_loss(self.torch, self.judged, self.seqs, self.valid_batches, settings.device)
        share = None
        if settings.select_samples:
            share = clean_share(numpy_model(self.judged), n=settings.select_samples, seed=settings.select_seed,
                                workers=settings.workers,
                                like_lengths=self.train_lengths if settings.select_lengths else None)
        elapsed = time.monotonic() - self.t_start
        key = (-share if share is not None else 0.0, vl)
        improved = key < self.best_key
        if improved:
            self.best_key = key
            result.best_valid_loss = vl
            result.best_clean_share = share
            self.best_state = {k: t.detach().clone() for k, t in self.judged.state_dict().items()}
            self.since_best = 0
        else:
            self.since_best += 1
        record = {
            "epoch": epoch, "step": self.step, "tokens": self.tokens,
            "train_loss": round(self.run_loss / self.run_tokens, 5) if self.run_tokens else None,
            "valid_loss": round(vl, 5), "valid_perplexity": round(math.exp(vl), 4),
            **({"clean_share": round(share, 4)} if share is not None else {}),
            "lr": self.opt.param_groups[0]["lr"], "elapsed_s": round(elapsed, 1),
            "tokens_per_s": round(self.tokens / elapsed, 1) if elapsed > 0 else None, "best": improved,
        }
        self.run_loss, self.run_tokens = 0.0, 0
        result.history.append(record)
        if self.log_fh is not None:
            self.log_fh.write(json.dumps(record) + "\n")
            self.log_fh.flush()
        if improved and self.out is not None and self.checkpoint:
            result.elapsed_s = elapsed
            self.save(final=False)
        if self.callback is not None:
            self.callback({"event": "valid", **record})
        return self.since_best >= settings.patience

    def train_batch(self, idx: np.ndarray) -> float:
        """One optimizer step on one batch of tunes; the batch's mean loss."""
        torch, settings = self.torch, self.settings
        x, y = pad_batch(torch, self.seqs, idx, settings.device)
        logits = self.net(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(VOCAB)), y.reshape(-1), ignore_index=-100)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if settings.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.params, settings.clip)
        self.opt.step()
        if self.judged is not self.net:  # decay warmed up over the first batches
            weight = 1.0 - min(settings.average, (1 + self.step) / (10 + self.step))
            with torch.no_grad():
                for a, p in zip(self.averaged, self.params):
                    a.lerp_(p.detach(), weight)
        n_tok = int((y >= 0).sum())
        self.step += 1
        self.tokens += n_tok
        value = float(loss.detach())
        self.run_loss += value * n_tok
        self.run_tokens += n_tok
        return value

    def epoch(self, epoch: int, rng: np.random.Generator) -> str:
        """Train one epoch; ``"time_limit"`` or ``"early_stopping"`` when it stopped, else ``""``."""
        settings = self.settings
        decay_epochs = max(0, epoch - settings.lr_decay_after)
        for g in self.opt.param_groups:
            g["lr"] = settings.learning_rate * settings.lr_decay ** decay_epochs
        batches = length_batches(self.seqs, self.train_idx, settings.batch_size, rng)
        for b, idx in enumerate(batches):
            loss = self.train_batch(idx)
            if self.callback is not None:
                self.callback({"event": "batch", "epoch": epoch, "batch": b + 1, "n_batches": len(batches),
                               "loss": loss})
            if settings.time_limit is not None and time.monotonic() - self.t_start >= settings.time_limit:
                return "time_limit"
            self.since_valid += 1
            if settings.eval_every and self.since_valid >= settings.eval_every and b + 1 < len(batches):
                if self.validate(epoch):
                    return "early_stopping"
        return ""

    def run(self, rng: np.random.Generator) -> TrainResult:
        """Train until a stop condition; load the best weights, export when asked, return the result."""
        result, net = self.result, self.net
        try:
            net.train()
            stop = ""
            for epoch in range(1, self.settings.max_epochs + 1):
                stop = self.epoch(epoch, rng)
                if stop == "early_stopping":
                    break
                if self.validate(epoch) and not stop:
                    stop = "early_stopping"
                if stop:
                    break
            result.stop_reason = stop or "max_epochs"
        except KeyboardInterrupt:  # keep what was learnt: the best checkpoint is exported below
            result.stop_reason = "interrupted"
        finally:
            if self.log_fh is not None:
                self.log_fh.close()
        if self.best_state is not None:
            net.load_state_dict(self.best_state)
        elif self.judged is not net:
            net.load_state_dict(self.judged.state_dict())
        net.eval()
        result.elapsed_s = time.monotonic() - self.t_start
        if self.out is not None:
            result.path = self.save(final=True)
        return result
