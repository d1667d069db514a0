"""Training data: corpus selection, tune id sequences, the seeded held-out split and batching.

Every function here works on numpy id arrays over :data:`~folkabc.vocab.VOCAB`
(``<s> meter mode body </s>`` per tune); nothing here needs torch.

Examples
--------
>>> seqs = sequences_from_tunes([["M:4/4", "K:Cmaj", "C", "|"], ["M:6/8", "K:Cdor", "D", "|"]])
>>> [VOCAB.decode(s)[1] for s in seqs]
['M:4/4', 'M:6/8']
>>> split_holdout(20, fraction=0.1, seed=0)[1].size
2
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..corpus import Corpus
from ..errors import CorpusError, ParameterError
from ..model.io import read_heldout
from ..validate import bars_count
from ..vocab import VOCAB
from .settings import TrainSettings, check_value, is_int

__all__ = [
    "model_sequence",
    "sequences_from_corpus",
    "corpus_sequences",
    "tokens_count_clean",
    "sequences_from_tunes",
    "split_holdout",
    "training_split",
    "heldout_split",
    "length_batches",
]

START = VOCAB.id("<s>")
END = VOCAB.id("</s>")


def model_sequence(seq: Sequence[int] | np.ndarray) -> np.ndarray:
    """``[meter, mode, body..., (</s>)]`` ids → ``<s> meter mode body </s>`` as int64.

    Examples
    --------
    >>> VOCAB.decode(model_sequence(VOCAB.encode(["M:4/4", "K:Cmaj", "C"])))
    ['<s>', 'M:4/4', 'K:Cmaj', 'C', '</s>']
    """
    a = np.asarray(seq, dtype=np.int64).ravel()
    if a.size == 0 or a[0] != START:
        a = np.concatenate([[START], a])
    if a[-1] != END:
        a = np.concatenate([a, [END]])
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
    return [model_sequence(ids[offsets[k]:offsets[k + 1]]) for k in range(offsets.size - 1)
            if offsets[k + 1] > offsets[k]]


def corpus_sequences(path: str | Path | None = None, *, only_clean: bool = False,
                     sources: Sequence[str] | None = None) -> tuple[list[np.ndarray], dict[str, Any]]:
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
    sources : sequence of str or None
        Keep only the tunes from these sources (as ``folkabc corpus info`` names
        them, e.g. ``oneills1850``); None: all. A name the corpus does not hold
        is a :class:`ParameterError` naming the ones it does.

    Returns
    -------
    sequences : list of numpy.ndarray
        As :func:`sequences_from_corpus`.
    provenance : dict
        ``{"corpus": {"path", "tunes", "tokens", "manifest"}}``.
    """
    corpus = Corpus.open(path)
    seqs = sequences_from_corpus(corpus)
    keep = np.ones(len(seqs), dtype=bool)
    if sources is not None:
        have = corpus.meta_array("source")
        unknown = sorted(set(sources) - set(have.tolist()))
        if unknown:
            raise ParameterError(f"sources {', '.join(unknown)} not in the corpus; it holds "
                                 f"{', '.join(sorted(set(have.tolist())))}")
        keep &= np.isin(have, list(sources))
    if only_clean:
        keep &= corpus.meta_array("check_ok") == 1
    seqs = [s for s, k in zip(seqs, keep) if k and (not only_clean or tokens_count_clean(s))]
    manifest = getattr(corpus, "manifest", None)
    info = {
        "path": "default" if path is None else str(path),
        "only_clean": bool(only_clean),
        "sources": None if sources is None else list(sources),
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
    return bars_count(VOCAB.decode([int(i) for i in seq if int(i) not in (START, END)]))


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
        out.append(model_sequence(VOCAB.encode(toks)))
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
    if not is_int(n) or n < 2:
        raise ParameterError(f"n={n!r} must be an int >= 2 (need tunes to train and to hold out)")
    check_value(0 < fraction < 1, "fraction", fraction, "in (0, 1)")
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
    seqs = [model_sequence(s) for s in sequences]
    if settings.max_length is not None:
        seqs = [s for s in seqs if s.size <= settings.max_length]
    seqs = [s for s in seqs if s.size >= 3]
    if len(seqs) < 2:
        raise ParameterError(f"need at least 2 tunes to train on, got {len(seqs)}")
    for k, s in enumerate(seqs):
        if s.min() < 0 or s.max() >= v:
            raise ParameterError(f"tune {k} has ids outside the vocabulary (0..{v - 1})")
    if settings.heldout is None:
        train_idx, valid_idx = split_holdout(len(seqs), fraction=settings.validation_fraction, seed=settings.seed)
    else:
        train_idx, valid_idx = heldout_split(seqs, settings.heldout)
    return seqs, train_idx, valid_idx


def heldout_split(seqs: Sequence[np.ndarray], heldout: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Split tunes by a saved held-out file: the tunes it holds are held out, the rest trained on.

    Parameters
    ----------
    seqs : sequence of numpy.ndarray
        ``<s> meter mode body </s>`` id arrays.
    heldout : str or Path
        A ``heldout.npz`` (or a model directory holding one), read by
        :func:`folkabc.model.io.read_heldout`.

    Returns
    -------
    train, valid : numpy.ndarray [dtype=int64]

    Raises
    ------
    ParameterError
        None of the file's tunes, or all of the tunes, are among ``seqs``.

    Examples
    --------
    >>> import tempfile, os
    >>> seqs = [model_sequence(VOCAB.encode(["M:4/4", "K:Cmaj"] + ["C"] * n)) for n in range(1, 6)]
    >>> d = tempfile.mkdtemp()
    >>> np.savez(os.path.join(d, "heldout.npz"), ids=seqs[2][1:], offsets=np.array([0, seqs[2].size - 1]))
    >>> [a.tolist() for a in heldout_split(seqs, d)]
    [[0, 1, 3, 4], [2]]
    """
    ids, offsets = read_heldout(heldout)
    held = {model_sequence(ids[offsets[k]:offsets[k + 1]]).tobytes() for k in range(offsets.size - 1)}
    is_held = np.array([np.asarray(s, dtype=np.int64).tobytes() in held for s in seqs], dtype=bool)
    if not is_held.any() or is_held.all():
        raise ParameterError(f"heldout {str(heldout)!r}: {int(is_held.sum())} of its {len(held)} tunes are among "
                             f"the {len(seqs)} training tunes; need some held out and some to train on")
    return np.flatnonzero(~is_held).astype(np.int64), np.flatnonzero(is_held).astype(np.int64)


def length_batches(seqs: list[np.ndarray], order: np.ndarray, batch_size: int, rng: np.random.Generator | None):
    """Index batches of tunes of similar length (shuffled when ``rng`` is given).

    Examples
    --------
    >>> seqs = [np.zeros(n) for n in (5, 9, 6, 8)]
    >>> [b.tolist() for b in length_batches(seqs, np.arange(4), 2, None)]
    [[0, 2], [3, 1]]
    """
    lengths = np.array([seqs[i].size for i in order], dtype=np.float64)
    if rng is not None:
        lengths = lengths * rng.uniform(0.9, 1.1, size=lengths.size)  # vary the buckets per epoch
    by_len = order[np.argsort(lengths, kind="stable")]
    batches = [by_len[k:k + batch_size] for k in range(0, by_len.size, batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches
