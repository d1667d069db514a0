"""Hooks into the network: logit bias (δ or target ratio α), mixed inputs, ablation.

Ablation is an argument of :meth:`folkabc.model.Model.run` and
:meth:`~folkabc.model.Model.generate` (``ablate={layer: units}``, applied by
:class:`folkabc.model.lstm.Network`); recording is ``record=True`` on the same calls.
This module holds the pieces that need more than an argument:

- :func:`delta_to_alpha` / :func:`alpha_to_delta`: adding δ to the pre-softmax value of a
  token whose probability is p multiplies p by α = e^δ / (1 − (1 − e^δ)·p); inversely
  δ = log α + log((1 − p)/(1 − α·p)), for 0 ≤ α ≤ 1/p (``folkrnn-facts.md``).
- :class:`LogitBias`: a bias per token, as fixed δ (added to the logits) and/or as target
  ratios α (converted to δ at every step from that step's probabilities, so the chosen
  tokens' probabilities are multiplied by exactly α).
- :class:`Mix`: "two-hot" inputs during generation, e.g. 0.7 × the sampled token + 0.3 × a
  random pitch token.

Examples
--------
>>> import numpy as np
>>> d = alpha_to_delta(2.0, 0.1)
>>> round(float(delta_to_alpha(d, 0.1)), 6)
2.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..errors import ParameterError, UnknownTokenError
from ..vocab import CATEGORIES, Vocabulary

__all__ = ["delta_to_alpha", "alpha_to_delta", "LogitBias", "Mix", "resolve_bias"]


def delta_to_alpha(delta, p):
    """The factor α by which adding δ to a token's logit multiplies its probability p.

    α = e^δ / (1 − (1 − e^δ)·p)

    Parameters
    ----------
    delta : float or np.ndarray
        Added logit (may be ±inf).
    p : float or np.ndarray
        The token's probability before the bias, 0 ≤ p ≤ 1 (broadcast with ``delta``).

    Returns
    -------
    float or np.ndarray
        α, same broadcast shape.

    Raises
    ------
    ParameterError
        ``p`` outside [0, 1].

    See Also
    --------
    alpha_to_delta : the inverse.

    Examples
    --------
    >>> float(delta_to_alpha(0.0, 0.3))
    1.0
    >>> delta_to_alpha(np.log(2.0), np.array([0.0, 0.5])).round(4).tolist()
    [2.0, 1.3333]
    """
    d = np.asarray(delta, dtype=np.float64)
    pp = _check_p(p, upper_open=False)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # the same as e^δ / (1 − (1 − e^δ)·p), written so that a large δ cannot overflow into nan
        a = 1.0 / ((1.0 - pp) * np.exp(-d) + pp)
    return a if a.ndim else float(a)


def alpha_to_delta(alpha, p):
    """The logit δ that multiplies a token's probability p by α.

    δ = log α + log((1 − p)/(1 − α·p)), for 0 ≤ α ≤ 1/p.

    Parameters
    ----------
    alpha : float or np.ndarray
        Target ratio, 0 ≤ α ≤ 1/p (α = 0 gives −inf; α·p = 1 gives +inf).
    p : float or np.ndarray
        The token's probability before the bias, 0 ≤ p < 1.

    Returns
    -------
    float or np.ndarray

    Raises
    ------
    ParameterError
        ``p`` outside [0, 1) or ``alpha`` outside [0, 1/p].

    See Also
    --------
    delta_to_alpha : the inverse.

    Examples
    --------
    >>> round(float(alpha_to_delta(1.0, 0.4)), 12)
    0.0
    >>> alpha_to_delta([0.5, 2.0], 0.25).round(4).tolist()
    [-0.8473, 1.0986]
    """
    a = np.asarray(alpha, dtype=np.float64)
    pp = _check_p(p, upper_open=True)
    a, pp = np.broadcast_arrays(a, pp)
    bad = ~((a >= 0) & (a * pp <= 1.0 + 1e-12))
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        raise ParameterError(f"alpha={float(a.ravel()[i])!r} is outside [0, 1/p] for p={float(pp.ravel()[i])!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log(a) + np.log1p(-pp) - np.log1p(-np.minimum(a * pp, 1.0))
    return d if d.ndim else float(d)


def _check_p(p, *, upper_open: bool) -> np.ndarray:
    pp = np.asarray(p, dtype=np.float64)
    bad = ~((pp >= 0) & ((pp < 1) if upper_open else (pp <= 1)))
    if np.any(bad):
        allowed = "[0, 1)" if upper_open else "[0, 1]"
        raise ParameterError(f"p={float(pp.ravel()[np.flatnonzero(bad.ravel())[0]])!r} is outside {allowed}")
    return pp


@dataclass(frozen=True)
class LogitBias:
    """A bias on the pre-softmax values, per token.

    Parameters
    ----------
    delta : mapping of token (str) or id (int) to float, or np.ndarray [shape=(V,)], optional
        Fixed δ added to the logits (after division by the temperature), so a token's
        probability is multiplied by ``delta_to_alpha(δ, p)``.
    alpha : mapping of token or id to float, optional
        Target ratios: at every step, the chosen tokens' probabilities (after temperature
        and ``delta``) are multiplied by exactly α, the other tokens share what is left in
        proportion. For one token this is δ = :func:`alpha_to_delta` (α, p) at each step.
        Exact while Σ α·p < 1 at a step (for one token: α ≤ 1/p).

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> bias = LogitBias(alpha={"K:Cdor": 2.0})
    >>> p0 = m.run(["M:4/4"]).posterior[-1]
    >>> p1 = m.run(["M:4/4"], logit_bias=bias).posterior[-1]
    >>> k = m.vocab.id("K:Cdor")
    >>> round(float(p1[k] / p0[k]), 5)
    2.0
    """

    delta: Mapping | np.ndarray | None = None
    alpha: Mapping | None = None


def unknown_token(token: str, position: int | None, what: str) -> UnknownTokenError:
    """An :class:`UnknownTokenError` saying where the token was given (prime, banned, …).

    Examples
    --------
    >>> str(unknown_token("X", 3, "prime"))
    "token 3: unknown token 'X' in prime (not in the model's vocabulary)"
    """
    exc = UnknownTokenError(token, position=position)
    exc.message = f"unknown token {token!r} in {what} (not in the model's vocabulary)"
    exc.args = (str(exc),)
    return exc


def _token_ids(vocab: Vocabulary, keys, what: str) -> np.ndarray:
    out = []
    for k in keys:
        if isinstance(k, (int, np.integer)):
            if not 0 <= int(k) < len(vocab):
                raise ParameterError(f"{what}: token id {int(k)} out of range (vocabulary of {len(vocab)})")
            out.append(int(k))
        elif k in vocab.index:
            out.append(vocab.index[k])
        else:
            raise unknown_token(str(k), None, what)
    return np.array(out, dtype=np.int64)


class _ResolvedBias:
    """A :class:`LogitBias` resolved against a vocabulary, applied to (B, V) logits."""

    def __init__(self, delta: np.ndarray | None, alpha_ids: np.ndarray, alpha: np.ndarray) -> None:
        self.delta = delta
        self.alpha_ids = alpha_ids
        self.alpha = alpha

    def apply(self, logits: np.ndarray) -> np.ndarray:
        """Add the bias to ``logits`` [shape=(B, V)] in place and return it."""
        if self.delta is not None:
            logits += self.delta
        if self.alpha_ids.size:
            z = logits.astype(np.float64)
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            pc = p[:, self.alpha_ids]
            P = pc.sum(axis=1)
            A = (pc * self.alpha).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                shift = np.log(np.maximum(1.0 - P, 1e-300)) - np.log(np.maximum(1.0 - A, 1e-300))
                d = np.log(self.alpha)[None, :] + shift[:, None]
            logits[:, self.alpha_ids] += d.astype(logits.dtype)
        return logits


def _numbers(values, what: str) -> np.ndarray:
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{what}: values must be numbers, got {list(values)!r}") from None


def resolve_bias(bias, vocab: Vocabulary) -> _ResolvedBias | None:
    """Turn a ``logit_bias`` argument into something applied to logits.

    Parameters
    ----------
    bias : None, np.ndarray [shape=(V,)], mapping of token to δ, or LogitBias
    vocab : Vocabulary
        The model's vocabulary (tokens are mapped by name).

    Raises
    ------
    ParameterError, UnknownTokenError

    Examples
    --------
    >>> from folkabc.vocab import Vocabulary
    >>> v = Vocabulary.from_tokens(["<s>", "</s>", "C"])
    >>> rb = resolve_bias({"C": 1.0}, v)
    >>> rb.apply(np.zeros((1, 3), dtype="float32")).tolist()
    [[0.0, 0.0, 1.0]]
    """
    if bias is None:
        return None
    if not isinstance(bias, LogitBias):
        bias = LogitBias(delta=bias)
    V = len(vocab)
    delta = None
    if bias.delta is not None:
        if isinstance(bias.delta, Mapping):
            delta = np.zeros(V, dtype=np.float64)
            ids = _token_ids(vocab, bias.delta.keys(), "logit_bias")
            delta[ids] = _numbers(bias.delta.values(), "logit_bias")
        else:
            try:
                delta = np.asarray(bias.delta, dtype=np.float64)
            except (TypeError, ValueError):
                raise ParameterError("logit_bias must be an array of V numbers, a {token: delta} dict "
                                     "or a LogitBias") from None
            if delta.shape != (V,):
                raise ParameterError(f"logit_bias has shape {delta.shape}, expected ({V},)")
        if np.any(np.isnan(delta)):
            raise ParameterError("logit_bias holds NaN")
    alpha_ids = np.empty(0, dtype=np.int64)
    alpha = np.empty(0, dtype=np.float64)
    if bias.alpha:
        alpha_ids = _token_ids(vocab, bias.alpha.keys(), "logit_bias alpha")
        alpha = _numbers(bias.alpha.values(), "logit_bias alpha")
        if np.any(~(alpha >= 0)) or not np.all(np.isfinite(alpha)):
            raise ParameterError(f"logit_bias alpha values must be finite and >= 0, got {alpha.tolist()}")
        if len(set(alpha_ids.tolist())) != len(alpha_ids):
            raise ParameterError("logit_bias alpha names a token twice")
    return _ResolvedBias(delta, alpha_ids, alpha)


@dataclass(frozen=True)
class Mix:
    """Mixed ("two-hot") inputs during generation.

    After each sampled token, the network is fed ``(1 − weight) × one-hot(sampled) +
    weight × one-hot(other)`` instead of the one-hot sampled token, where *other* is drawn
    uniformly from ``tokens`` by a generator seeded from the tune's seed (so the tune stays
    reproducible). The tune's tokens are still the sampled ones.

    Parameters
    ----------
    weight : float in [0, 1]
        Share of the other token (0.3 in the published forcing experiment).
    tokens : str or sequence of str
        A vocabulary category (``"pitch"``, ``"duration"``, …) or a list of tokens.
    start : int
        First body position (0-based, counted after meter and mode) where mixing applies.

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> g = m.generate(seed=1, max_length=12, mix=Mix(weight=0.3, tokens="pitch"))[0]
    >>> len(g.tokens) <= 12
    True
    """

    weight: float = 0.3
    tokens: str | Sequence[str] = "pitch"
    start: int = 0

    def ids(self, vocab: Vocabulary) -> np.ndarray:
        """The candidate ids in ``vocab``.

        Raises
        ------
        ParameterError
            Bad weight, or no candidate token.

        Examples
        --------
        >>> from folkabc.vocab import VOCAB
        >>> len(Mix(tokens="mode").ids(VOCAB)), Mix(tokens=["C", "D"]).ids(VOCAB).tolist() == [VOCAB.id("C"), VOCAB.id("D")]
        (4, True)
        """
        if not 0.0 <= float(self.weight) <= 1.0:
            raise ParameterError(f"mix weight={self.weight!r} is outside [0, 1]")
        if isinstance(self.tokens, str):
            if self.tokens not in CATEGORIES:
                raise ParameterError(f"mix tokens={self.tokens!r}: not a category ({', '.join(CATEGORIES)})")
            ids = np.array([i for i, c in enumerate(vocab.categories) if c == self.tokens], dtype=np.int64)
        else:
            ids = _token_ids(vocab, self.tokens, "mix")
        if ids.size == 0:
            raise ParameterError(f"mix tokens={self.tokens!r} selects no token of the model's vocabulary")
        return ids
