"""Statistics for model evaluations: intervals, distances, tune forms and bar periods.

Pure functions over plain numbers, arrays and token lists; nothing here runs a
model or touches a file. :mod:`folkabc.analysis.report` (the ablation study)
and ``bench/evaluate_model.py`` (the evaluation table) use them.

Intervals
    :func:`wilson_interval` — 95% interval of a proportion (Wilson score);
    :func:`bootstrap_interval` — percentile bootstrap of any statistic of a sample.
Distributions
    :func:`tv_distance` — total-variation distance between two count tables.
Forms
    :func:`two_repeated_parts` — does a tune's structure hold two repeated parts
    of ``bars`` bars each (the AABB form of most reels, jigs and hornpipes)?
Bar period
    :func:`steps_between_bar_lines`, :func:`bar_period` — how many steps a bar
    takes in token sequences (its bar line included), and the band of periods
    the "counting" units of :func:`folkabc.analysis.arrays.periodic_units` should
    be looked for in.

Examples
--------
>>> lo, hi = wilson_interval(8, 10)
>>> round(lo, 3), round(hi, 3)
(0.49, 0.943)
>>> tv_distance({"a": 1, "b": 1}, {"a": 3, "b": 1})
0.25
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from ..errors import ParameterError

__all__ = [
    "Z95",
    "BAR_LINES",
    "wilson_interval",
    "bootstrap_interval",
    "tv_distance",
    "two_repeated_parts",
    "steps_between_bar_lines",
    "BarPeriod",
    "bar_period",
]

#: The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054
#: Tokens that close a bar (the vocabulary's measure tokens except the chord brackets ``[`` and ``]``).
BAR_LINES = frozenset({"|", "|:", ":|", "|1", "|2", "||", "|]", "[|", ":|:", "::", "[1", "[2"})


def wilson_interval(k: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n`` (95% by default).

    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = k/n``
    (E. B. Wilson, 1927). Unlike the normal ("Wald") interval it stays inside
    [0, 1] and is not empty at ``k = 0`` or ``k = n``.

    Parameters
    ----------
    k : int >= 0
        Successes.
    n : int >= k
        Trials (``n = 0`` gives the uninformative (0, 1)).
    z : float > 0
        Normal quantile (1.96 for 95%).

    Returns
    -------
    (float, float)
        Lower and upper bound.

    Raises
    ------
    ParameterError
        If not ``0 <= k <= n`` or ``z <= 0``.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(0, 10)]
    [0.0, 0.2775]
    >>> [round(x, 4) for x in wilson_interval(258, 300)]
    [0.8162, 0.8947]
    """
    if not (0 <= k <= n) or int(k) != k or int(n) != n:
        raise ParameterError(f"need integers 0 <= k <= n, got k={k!r}, n={n!r}")
    if not z > 0:
        raise ParameterError(f"z must be > 0, got {z!r}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    den = 1 + z2 / n
    lo = 0.0 if k == 0 else max(0.0, (centre - half) / den)  # exact ends: rounding leaves 1e-17
    hi = 1.0 if k == n else min(1.0, (centre + half) / den)
    return lo, hi


def bootstrap_interval(
    sample,
    statistic: Callable[[np.ndarray], float] = np.median,
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    rng=0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over a sample.

    Draws ``n_boot`` resamples of the sample's rows with replacement,
    computes the statistic of each and returns the ``(1 - level)/2`` and
    ``(1 + level)/2`` quantiles (B. Efron, 1979). Rows may be vectors: a
    statistic such as a ratio of sums (mean log-likelihood per token over
    tunes of different lengths) gets ``(n, 2)`` rows.

    Parameters
    ----------
    sample : array-like [shape=(n, ...)]
        The observations (n >= 1).
    statistic : callable
        ``statistic(resample) -> float``; default the median.
    n_boot : int > 0
        Resamples.
    level : float in (0, 1)
        Coverage.
    rng : None, int or np.random.Generator
        Seed (default 0: the same sample gives the same interval).

    Returns
    -------
    (float, float)

    Raises
    ------
    ParameterError
        On an empty sample or a bad ``n_boot`` or ``level``.

    Examples
    --------
    >>> bootstrap_interval([5.0, 5.0, 5.0])
    (5.0, 5.0)
    >>> lo, hi = bootstrap_interval(np.arange(101.0))
    >>> bool(lo < 50 < hi), bool(hi - lo < 30)
    (True, True)
    """
    x = np.asarray(sample, dtype=float)
    if x.ndim == 0 or len(x) == 0:
        raise ParameterError("the sample is empty")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ParameterError(f"n_boot must be an integer >= 1, got {n_boot!r}")
    if not 0 < level < 1:
        raise ParameterError(f"level must be in (0, 1), got {level!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    idx = gen.integers(0, len(x), size=(n_boot, len(x)))
    stats = np.array([float(statistic(x[i])) for i in idx])
    lo, hi = np.quantile(stats, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def tv_distance(p: Mapping, q: Mapping) -> float:
    """Total-variation distance ``0.5 * sum |p_k - q_k|`` between two count (or share) tables.

    Each table is normalised to sum 1 first; a key missing from one table
    counts 0 there. 0 means the same distribution, 1 disjoint ones.

    Parameters
    ----------
    p, q : mapping of key to count (>= 0, not all zero)

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ParameterError
        If a table is empty or sums to zero, or holds a negative count.

    Examples
    --------
    >>> tv_distance({"M:4/4": 2, "M:6/8": 2}, {"M:4/4": 1, "M:3/4": 1})
    0.5
    """
    sp, sq = float(sum(p.values())), float(sum(q.values()))
    if sp <= 0 or sq <= 0 or any(v < 0 for v in p.values()) or any(v < 0 for v in q.values()):
        raise ParameterError("both count tables need non-negative counts with a positive total")
    keys = set(p) | set(q)
    return 0.5 * sum(abs(p.get(k, 0) / sp - q.get(k, 0) / sq) for k in keys)


def two_repeated_parts(structure, *, bars: int = 8) -> bool:
    """Whether a tune's form is two repeated parts of ``bars`` bars each (AABB, 8+8 bars).

    Reads a :class:`folkabc.validate.Structure` (``check(...)[0].structure``) and
    asks it (:meth:`folkabc.validate.Structure.two_repeated_parts`, where the rule lives).

    Parameters
    ----------
    structure : folkabc.validate.Structure
    bars : int > 0
        Bars per part (8 for reels, jigs, hornpipes and polkas).

    Returns
    -------
    bool

    Examples
    --------
    >>> from folkabc.validate import check
    >>> a = "|: c 2 c 2 c 2 c 2 " + "| c 2 c 2 c 2 c 2 " * 7 + ":| "
    >>> tune = ("M:4/4 K:Cmaj " + a + a).split()
    >>> check(tune)[0].structure.summary, two_repeated_parts(check(tune)[0].structure)
    ('AABB, 8+8 bars', True)
    >>> two_repeated_parts(check(tune)[0].structure, bars=4)
    False
    """
    return structure.two_repeated_parts(int(bars) if isinstance(bars, np.integer) else bars)


def steps_between_bar_lines(tokens: Sequence[str]) -> np.ndarray:
    """Steps from each bar line to the next in one token sequence (the closing bar line counted).

    A bar of 8 notes takes 9 steps of a model's input: the notes and its bar
    line. Only bars between two bar lines count (the opening pickup and a
    last bar with no closing bar line do not).

    Parameters
    ----------
    tokens : sequence of str
        A tune's tokens (``<s>``, meter, mode, body; anything else is a step too).

    Returns
    -------
    np.ndarray [shape=(B,), dtype=int64]
        One entry per bar; empty when the tune has fewer than two bar lines.

    Examples
    --------
    >>> steps_between_bar_lines("M:4/4 K:Cmaj G | c d e f | g 2 a b | c' 4 |".split()).tolist()
    [5, 5, 3]
    """
    at = np.flatnonzero([t in BAR_LINES for t in tokens])
    return np.diff(at).astype(np.int64)


@dataclass(frozen=True)
class BarPeriod:
    """How many steps a bar takes in a set of tunes.

    Attributes
    ----------
    period : float
        Median over tunes of each tune's mean steps per bar (a tune's bar
        period is where its units' spectra peak).
    band : (float, float)
        The periods the counting units are looked for in: the interquartile
        range of the tunes' mean steps per bar, widened to ``period * (1 ± rel)``
        where that is wider.
    tunes : int
        Tunes with at least one whole bar (the others were left out).
    bars : int
        Bars measured.
    median_tokens_per_bar : float
        Median over all bars of the tokens inside a bar (steps minus the bar line).
    """

    period: float
    band: tuple[float, float]
    tunes: int
    bars: int
    median_tokens_per_bar: float

    def to_dict(self) -> dict:
        """JSON form."""
        return {"period": self.period, "band": list(self.band), "tunes": self.tunes, "bars": self.bars,
                "median_tokens_per_bar": self.median_tokens_per_bar}


def bar_period(tunes: Sequence[Sequence[str]], *, rel: float = 0.0333) -> BarPeriod:
    """Measure the bar period (steps per bar) of token sequences and the band around it.

    The published analyses look for "counting" units in periods 8.7–9.3
    steps: a reel's bar of 8 quavers and a bar line, ±3.3%. A model whose bars
    hold other numbers of tokens (crotchets written ``c 2`` take two tokens,
    triplets and broken rhythms more) counts at its own period, measured here.

    Parameters
    ----------
    tunes : sequence of token sequences
        E.g. the tokens of tunes the model generated.
    rel : float >= 0
        Smallest half-width of the band relative to the period (default ±3.33%,
        the published band's 0.3 of 9 steps).

    Returns
    -------
    BarPeriod

    Raises
    ------
    ParameterError
        If no tune has a whole bar, or ``rel`` is negative.

    Examples
    --------
    >>> bp = bar_period([["M:4/4", "K:Cmaj", "|", *"cdefgabc", "|", *"cdefgabc", "|"],
    ...                  ["M:4/4", "K:Cmaj", "|", *"cdefgab", "|"]])
    >>> bp.period, bp.tunes, bp.bars, bp.median_tokens_per_bar
    (8.5, 2, 3, 8.0)
    >>> [round(b, 3) for b in bp.band]
    [8.217, 8.783]
    """
    if not rel >= 0:
        raise ParameterError(f"rel must be >= 0, got {rel!r}")
    per_tune, every = [], []
    for t in tunes:
        d = steps_between_bar_lines(t)
        if len(d):
            per_tune.append(float(d.mean()))
            every.append(d)
    if not per_tune:
        raise ParameterError("no tune has two bar lines: cannot measure a bar period")
    means = np.asarray(per_tune)
    period = float(np.median(means))
    q1, q3 = (float(v) for v in np.quantile(means, [0.25, 0.75]))
    lo, hi = min(q1, period * (1 - rel)), max(q3, period * (1 + rel))
    all_bars = np.concatenate(every)
    return BarPeriod(period, (max(2.0, lo), max(hi, 2.0 + 1e-6)), len(per_tune), int(all_bars.size),
                     float(np.median(all_bars - 1)))
