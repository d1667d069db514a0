"""Self-training and selection: the model's own tunes that end and whose bars all count.

:func:`clean_share` is what ``select_samples`` keeps the weights by;
:func:`self_training_tunes` is what ``self_samples`` adds to the training part.

Examples
--------
>>> from folkabc.model import Model
>>> m = Model.random(layers=[8], rng=0)
>>> 0.0 <= clean_share(m, n=4, seed=0, max_length=20) <= 1.0
True
"""

from __future__ import annotations

import multiprocessing
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import FolkabcError
from ..validate import bars_count, check
from ..vocab import VOCAB
from .data import model_sequence

__all__ = ["clean_share", "clean_tunes", "length_weighted_share", "self_training_tunes"]


_FORKED_MODEL: Any = None  # the model a forked writer process generates from (set before the fork)
_CHUNK = 500  # tunes written in one batch: progress is reported, and the batch limit kept, chunk by chunk


def _write_chunk(chunk: tuple) -> list:
    seed, n, kw = chunk
    return _FORKED_MODEL.generate(n=n, seed=seed, temperature=1.0, **kw)


def _generate(model: Any, *, n: int, seed: int, workers: int = 1,
              progress: Callable[[int, int], None] | None = None, **kw: Any) -> list:
    """``model.generate(n=n, seed=seed, temperature=1.0, **kw)`` in chunks of at most 500 tunes, the
    chunks shared out among ``workers`` forked processes (each tune has its own seed, so the tunes
    are the same for any count or chunking; one process where the platform cannot fork).
    ``progress(done, n)`` is called after each chunk.

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> forked = _generate(m, n=6, seed=3, workers=2, max_length=12)
    >>> [g.tokens for g in forked] == [g.tokens for g in m.generate(n=6, seed=3, temperature=1.0, max_length=12)]
    True
    """
    global _FORKED_MODEL
    fork = workers > 1 and n > 1 and "fork" in multiprocessing.get_all_start_methods()
    step = min(_CHUNK, -(-n // (4 * workers)) if fork else n)  # forked: four chunks a process at least
    chunks = [(seed + lo, min(step, n - lo), kw) for lo in range(0, n, step)]
    out: list = []
    _FORKED_MODEL = model
    try:
        if fork:
            with multiprocessing.get_context("fork").Pool(min(workers, len(chunks))) as pool:
                parts = pool.imap(_write_chunk, chunks)
                for part in parts:
                    out += part
                    if progress is not None:
                        progress(len(out), n)
        else:
            for chunk in chunks:
                out += _write_chunk(chunk)
                if progress is not None:
                    progress(len(out), n)
    finally:
        _FORKED_MODEL = None
    return out


def _ends_and_counts(tune: Any) -> bool:
    """Whether a generated tune ended with ``</s>`` and its bars all count."""
    return bool(tune.ended) and bars_count(list(tune.tokens))


def clean_share(model: Any, *, n: int, seed: int, max_length: int = 1000, workers: int = 1,
                like_lengths: Sequence[int] | None = None) -> float:
    """Share of ``n`` tunes generated at temperature 1 (seeds ``seed`` on) that end and check clean.

    Parameters
    ----------
    model : folkabc.model.Model
    n : int > 0
    seed : int >= 0
    max_length : int
    workers : int > 0
        Processes that write the tunes (the same tunes for any count).
    like_lengths : sequence of int, optional
        Token counts (meter, mode and body) of reference tunes: the share is then taken
        length group by length group (the reference's quartiles) and weighted by the
        reference's share of each group, so a model earns no credit for writing shorter
        tunes, which count clean more easily; a group it writes no tune in counts 0.

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> from folkabc.model import load_model
    >>> 0.5 < clean_share(load_model(), n=20, seed=1000) <= 1.0
    True
    """
    gen = _generate(model, n=n, seed=seed, workers=workers, max_length=max_length)
    if like_lengths is None:
        return sum(map(_ends_and_counts, gen)) / n
    return length_weighted_share([len(g.tokens) for g in gen], [_ends_and_counts(g) for g in gen], like_lengths)


def length_quartiles(like_lengths: Sequence[int]) -> Callable[[Any], Any]:
    """A function giving the length group (0-3: the quartiles of ``like_lengths``) of a length or lengths.

    Examples
    --------
    >>> quartile = length_quartiles([10, 20, 30, 40])
    >>> quartile([5, 20, 29, 400]).tolist(), int(quartile(35))
    ([0, 1, 2, 3], 3)
    """
    cuts = np.quantile(np.asarray(like_lengths, dtype=float), [0.25, 0.5, 0.75])
    return lambda lengths: np.searchsorted(cuts, lengths, side="right")


def length_weighted_share(lengths: Sequence[int], ok: Sequence[bool], like_lengths: Sequence[int]) -> float:
    """The share of ``ok`` taken per length group (quartiles of ``like_lengths``), weighted by the
    reference's share of each group; a group with no tune counts 0.

    Examples
    --------
    >>> like = [10, 20, 30, 40]  # one reference tune per quartile group
    >>> length_weighted_share([10, 10, 40, 40], [True, True, False, False], like)  # short ones count
    0.25
    >>> length_weighted_share([10, 20, 30, 40], [True, True, False, False], like)
    0.5
    """
    quartile = length_quartiles(like_lengths)
    ref = np.bincount(quartile(like_lengths), minlength=4) / len(like_lengths)
    groups = quartile(lengths)
    n = np.bincount(groups, minlength=4)
    good = np.bincount(groups, weights=np.asarray(ok, dtype=float), minlength=4)
    return float(np.sum(np.where(n > 0, ref * good / np.maximum(n, 1), 0.0)))


def _two_repeated_parts(tokens: Sequence[str]) -> bool:
    """Whether a tune (``meter mode body``, ``<s>``/``</s>`` allowed) is AABB with 8-bar parts."""
    body = [t for t in tokens if t not in ("<s>", "</s>")]
    try:
        return check(body)[0].structure.two_repeated_parts()
    except FolkabcError:  # an unreadable tune has no form
        return False


def _write(model: Any, *, n: int, seed: int, max_length: int, constrained: bool, form_share: float,
           workers: int = 1, progress: Callable[[int, int], None] | None = None) -> list:
    """``n`` tunes at temperature 1 (seeds ``seed`` on); constrained: ``form_share`` of them
    under the AABB form (8-bar parts), the rest under the bars constraint."""
    if not constrained:
        return _generate(model, n=n, seed=seed, workers=workers, max_length=max_length, progress=progress)
    n_form = round(n * form_share)
    tell = (lambda done, _: progress(done, n)) if progress is not None else None
    out = _generate(model, n=n_form, seed=seed, workers=workers, max_length=max_length, form="AABB",
                    progress=tell) if n_form else []
    if n > n_form:
        tell = (lambda done, _: progress(n_form + done, n)) if progress is not None else None
        out += _generate(model, n=n - n_form, seed=seed + n_form, workers=workers, max_length=max_length,
                         constrain="bars", progress=tell)
    return out


def self_training_tunes(model: Any, *, n: int, seed: int, like: Sequence[np.ndarray] | None = None,
                        max_length: int = 1000, max_repeats: int = 4, forms: bool = False,
                        constrained: bool = False, workers: int = 1,
                        progress: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """The model's own tunes that count, drawn in the proportions of a reference set of tunes.

    Generates ``n`` tunes at temperature 1 (seeds ``seed`` on), keeps those that end and
    whose bars all count, and draws from them as many tunes as count, so that their meters,
    modes and lengths (quartiles of the reference's token counts) fall in the reference's
    proportions. Filtering on the bar check alone would favour what counts most easily
    (short tunes, 2/4 songs) and a model trained on that drifts that way. Within a group every
    clean tune is drawn once before any is repeated (seeded), and at most ``max_repeats``
    times; a group with no clean tune contributes none. With ``forms``, the form is a
    proportion kept too: whether a tune is two repeated 8-bar parts (AABB, the dance
    tunes' commonest form), so a model that writes that form less often than its
    training tunes is trained on its own tunes in the training tunes' share of it.
    With ``constrained``, the tunes are written under the bars constraint
    (:mod:`folkabc.model.constraints`), so each counts by construction where the model would
    have miscounted, and, with ``forms``, the reference's share of them under the AABB form:
    the model is trained on its own tunes as the constraints correct them (distilling the
    constraints into the weights) rather than only on those it got right alone.
    Other parameters as for :func:`clean_share`.

    Parameters
    ----------
    like : sequence of int arrays, optional
        ``<s> meter mode body </s>`` ids whose proportions to keep (the training tunes);
        None: the proportions of everything the model wrote.
    max_repeats : int > 0
    forms : bool
        Also keep the reference's share of two repeated 8-bar parts.
    constrained : bool
        Write the tunes under the bars constraint (and the form, with ``forms`` and ``like``).
    workers : int > 0
        Processes that write the tunes (the same tunes for any count).
    progress : callable, optional
        Called as ``progress(done, n)`` as the tunes are written.

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
    form = _two_repeated_parts if forms else (lambda tokens: False)
    like_groups = None if like is None else [(tuple(VOCAB.decode(s[1:3])), int(s.size) - 2,
                                              form(VOCAB.decode(s))) for s in like]
    form_share = sum(aabb for *_, aabb in like_groups) / len(like_groups) if like_groups else 0.0
    gen = _write(model, n=n, seed=seed, max_length=max_length, constrained=constrained, form_share=form_share,
                 workers=workers, progress=progress)
    ok = [_ends_and_counts(g) for g in gen]
    own = [(tuple(g.tokens[:2]), len(g.tokens), ok[k] and form(g.tokens)) for k, g in enumerate(gen)]
    ref = own if like_groups is None else like_groups
    quartile = length_quartiles([length for _, length, _ in ref])

    def group(head: tuple, length: int, aabb: bool) -> tuple:
        return head, int(quartile(length)), aabb

    wanted: dict[tuple, int] = {}
    for head, length, aabb in ref:
        key = group(head, length, aabb)
        wanted[key] = wanted.get(key, 0) + 1
    clean: dict[tuple, list[int]] = {}
    for k in range(len(gen)):
        if ok[k]:
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
    return [model_sequence(VOCAB.encode(list(gen[k].tokens))) for k in sorted(chosen)]


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
    gen = _generate(model, n=n, seed=seed, max_length=max_length)
    return [model_sequence(VOCAB.encode(list(g.tokens))) for g in gen if _ends_and_counts(g)]
