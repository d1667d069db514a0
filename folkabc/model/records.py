"""The records and helpers the model modules share: token names, :class:`Trace`, :class:`Score`.

:mod:`folkabc.model.core` (the :class:`~folkabc.model.Model`) and
:mod:`folkabc.model.sampling` both import from here, so imports flow one way
(records ← sampling ← core) and neither reaches back into the other.

Examples
--------
>>> import numpy as np
>>> s = Score(["C", "D"], np.log(np.array([0.5, 0.25])))
>>> round(s.nll, 4), START, END
(2.0794, '<s>', '</s>')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["START", "END", "Trace", "Score", "log_softmax", "check_temperature"]

START, END = "<s>", "</s>"


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Natural-log softmax along the last axis, in float64.

    Parameters
    ----------
    logits : np.ndarray [shape=(..., V)]

    Returns
    -------
    np.ndarray [shape=(..., V)], float64

    Examples
    --------
    >>> np.exp(log_softmax(np.array([0.0, 0.0]))).tolist()
    [0.5, 0.5]
    """
    z = np.asarray(logits, dtype=np.float64)
    m = z.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    z = z - m
    with np.errstate(divide="ignore"):
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@dataclass
class Trace:
    """What the network did over one input sequence (see :meth:`Model.run`).

    Attributes
    ----------
    tokens : list of str
        The input tokens, starting with ``'<s>'``; T of them.
    logits : np.ndarray [shape=(T, V)]
        Pre-softmax values after the logit bias and the temperature.
    posterior : np.ndarray [shape=(T, V)]
        Softmax of ``logits``: the distribution of the *next* token after each input.
    hidden, cell : list of np.ndarray [shape=(T, H_l)]
        Per layer, the hidden and cell state after each step (empty when not recorded).
    gates : list of dict of str to np.ndarray [shape=(T, H_l)]
        Per layer, ``"input"``, ``"forget"``, ``"output"`` (after the sigmoid),
        ``"candidate"`` (pre-tanh) and ``"candidate_tanh"``.

    Examples
    --------
    >>> from folkabc.model import Model
    >>> tr = Model.random(layers=[4, 6], rng=0).run("M:6/8 K:Cmix")
    >>> [h.shape for h in tr.hidden], sorted(tr.gates[1])
    ([(3, 4), (3, 6)], ['candidate', 'candidate_tanh', 'forget', 'input', 'output'])
    """

    tokens: list[str]
    logits: np.ndarray
    posterior: np.ndarray
    hidden: list[np.ndarray] = field(default_factory=list)
    cell: list[np.ndarray] = field(default_factory=list)
    gates: list[dict[str, np.ndarray]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)

    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Flat named arrays (e.g. for ``np.savez``): ``tokens``, ``logits``, ``posterior``,
        ``hidden{l}``, ``cell{l}``, ``gates{l}.{name}``, each name behind ``prefix``.

        Examples
        --------
        >>> from folkabc.model import Model
        >>> a = Model.random(layers=[4], rng=0).run("M:4/4").to_arrays("tune1.")
        >>> sorted(a)[:4], a["tune1.tokens"].tolist()
        (['tune1.cell0', 'tune1.gates0.candidate', 'tune1.gates0.candidate_tanh', 'tune1.gates0.forget'], ['<s>', 'M:4/4'])
        """
        out = {f"{prefix}tokens": np.array(self.tokens), f"{prefix}logits": self.logits,
               f"{prefix}posterior": self.posterior}
        for li, (h, c, g) in enumerate(zip(self.hidden, self.cell, self.gates)):
            out[f"{prefix}hidden{li}"] = h
            out[f"{prefix}cell{li}"] = c
            for name, a in g.items():
                out[f"{prefix}gates{li}.{name}"] = a
        return out


@dataclass
class Score:
    """How likely a tune is under a model (see :meth:`Model.score`).

    Attributes
    ----------
    tokens : list of str
        The scored tokens (meter, mode, body, ``'</s>'``), without ``'<s>'``.
    token_logprobs : np.ndarray [shape=(len(tokens),)], float64
        Natural log of the probability of each token given those before it.
    nll : float
        Total negative log-likelihood, ``-token_logprobs.sum()``.
    perplexity : float
        ``exp(nll / len(tokens))``.

    Examples
    --------
    >>> from folkabc.model import Model
    >>> s = Model.random(layers=[8], rng=0).score("M:4/4 K:Cmaj C D E")
    >>> round(s.nll, 6) == round(-float(s.token_logprobs.sum()), 6), len(s.tokens)
    (True, 6)
    """

    tokens: list[str]
    token_logprobs: np.ndarray

    @property
    def nll(self) -> float:
        """Total negative log-likelihood (nats)."""
        return float(-self.token_logprobs.sum())

    @property
    def perplexity(self) -> float:
        """Per-token perplexity."""
        n = len(self.tokens)
        return float(np.exp(self.nll / n)) if n else float("nan")

    def surprising(self, k: int = 5) -> list[tuple[int, str, float]]:
        """The ``k`` least likely tokens as ``(position, token, logprob)``, least likely first.

        Positions are 0-based indices into :attr:`tokens` (0 = the meter).

        Examples
        --------
        >>> s = Score(["C", "D", "</s>"], np.log(np.array([0.5, 0.1, 0.9])))
        >>> [(i, t) for i, t, _ in s.surprising(2)]
        [(1, 'D'), (0, 'C')]
        """
        order = np.argsort(self.token_logprobs, kind="stable")[: max(0, int(k))]
        return [(int(i), self.tokens[i], float(self.token_logprobs[i])) for i in order]

    def to_dict(self, *, k: int = 5) -> dict[str, Any]:
        """JSON form: tokens, token_logprobs, nll, perplexity, surprising.

        Examples
        --------
        >>> d = Score(["C", "</s>"], np.log(np.array([0.5, 0.25]))).to_dict(k=1)
        >>> round(d["perplexity"], 4), d["surprising"][0]["token"]
        (2.8284, '</s>')
        """
        return {
            "tokens": " ".join(self.tokens),
            "token_logprobs": [float(x) for x in self.token_logprobs],
            "nll": self.nll,
            "perplexity": self.perplexity,
            "surprising": [{"position": i, "token": t, "logprob": lp} for i, t, lp in self.surprising(k)],
        }



def check_temperature(temperature) -> None:
    """Raise ParameterError unless ``temperature`` is a finite number > 0.

    Examples
    --------
    >>> check_temperature(0.5)
    >>> check_temperature(0)
    Traceback (most recent call last):
    ...
    folkabc.errors.ParameterError: temperature=0 must be a finite number > 0
    """
    try:
        t = float(temperature)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"temperature={temperature!r} is not a number") from exc
    if not (t > 0 and np.isfinite(t)):
        raise ParameterError(f"temperature={temperature!r} must be a finite number > 0")
