"""The published folk-rnn analyses as pure numpy functions: arrays in, arrays out.

Every function here takes plain arrays (a model's outputs, activations or
softmax parameters) and returns arrays; none touches a file or a figure. The
figures live in :mod:`folkabc.analysis.figures`, the report pipeline in
:mod:`folkabc.analysis.report`.

Topics (after B. L. Sturm's "Making sense of the folk-rnn v2 model"):

Posterior
    :func:`posterior_log10` — log10 of the next-token distribution, floored.
Similarity
    :func:`gramian` — cosine similarity of every pair of steps of a (T, D) matrix.
Periodicity
    :func:`unit_spectra`, :func:`layer_mean_spectrum`, :func:`band_power_fraction`,
    :func:`periodic_units` — per-unit DFT, per-layer mean spectrum, "counting" units.
Activations
    :func:`activation_sparsity` — share of near-zero and saturated activations.
Softmax layer
    :func:`softmax_columns`, :func:`softmax_gramian`, :func:`softmax_svd`,
    :func:`svd_reconstruct`, :func:`bias_shift_distribution`.
Logit bias
    :func:`delta_to_alpha` and its inverse :func:`alpha_to_delta` (from
    :mod:`folkabc.model.hooks`, re-exported).
Beam search
    :func:`beam_coverage` — probability mass missed by keeping the top branches.

Examples
--------
>>> import numpy as np
>>> from folkabc.analysis.arrays import gramian, delta_to_alpha
>>> g = gramian(np.eye(3))
>>> g.tolist()
[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
>>> round(float(delta_to_alpha(np.log(2.0), 0.25)), 4)
1.6
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..errors import ParameterError
from ..limits import check_limit
from ..model.hooks import alpha_to_delta, delta_to_alpha

__all__ = [
    "POSTERIOR_FLOOR",
    "COUNTING_BAND",
    "N_FFT",
    "posterior_log10",
    "gramian",
    "unit_spectra",
    "layer_mean_spectrum",
    "band_power_fraction",
    "periodic_units",
    "activation_sparsity",
    "softmax_columns",
    "softmax_gramian",
    "softmax_svd",
    "svd_reconstruct",
    "bias_shift_distribution",
    "softmax",
    "delta_to_alpha",
    "alpha_to_delta",
    "BeamCoverage",
    "beam_coverage",
]

#: Smallest probability the posterior map shows (the published figures stop at 1e-10).
POSTERIOR_FLOOR = 1e-10
#: The published period band, in steps, of the "counting" units (8 notes and a bar line in a reel);
#: the ablation study measures a model's own band (:func:`folkabc.analysis.stats.bar_period`).
COUNTING_BAND = (8.7, 9.3)
#: DFT length: each unit's sequence is zero-padded to this many steps.
N_FFT = 512


def _as_2d(x, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise ParameterError(f"{name} must be a 2-D array (steps, features), got shape {arr.shape}")
    return arr


# --------------------------------------------------------------------------- posterior


def posterior_log10(posterior, *, floor: float = POSTERIOR_FLOOR) -> np.ndarray:
    """log10 of a next-token distribution, with probabilities below ``floor`` set to ``log10(floor)``.

    The published posterior maps show log10 of the softmax output at every
    step and leave everything below 1e-10 blank; a figure can mask the values
    equal to ``log10(floor)``.

    Parameters
    ----------
    posterior : np.ndarray [shape=(..., V)]
        Probabilities (each row a distribution over the vocabulary).
    floor : float > 0
        The smallest probability kept.

    Returns
    -------
    np.ndarray [shape=(..., V)]
        ``log10(max(posterior, floor))``; every value is ``>= log10(floor)``.

    Raises
    ------
    ParameterError
        If ``floor`` is not in (0, 1).

    Examples
    --------
    >>> posterior_log10(np.array([[0.1, 1.0, 0.0]])).tolist()
    [[-1.0, 0.0, -10.0]]
    """
    if not 0 < floor < 1:
        raise ParameterError(f"floor must be in (0, 1), got {floor!r}")
    return np.log10(np.maximum(np.asarray(posterior, dtype=float), floor))


# --------------------------------------------------------------------------- similarity


def gramian(x) -> np.ndarray:
    """Cosine similarity between every pair of steps (rows) of a matrix.

    Used on one-hot inputs, softmax outputs, hidden states and gate
    activations: ``G[s, t] = <x_s, x_t> / (|x_s| |x_t|)``. A row of zeros is
    similar to nothing (0) except itself (1), so the diagonal is always 1.

    Parameters
    ----------
    x : np.ndarray [shape=(T, D)]
        One row per step (e.g. a layer's hidden states over a tune).

    Returns
    -------
    np.ndarray [shape=(T, T)]
        Symmetric, unit diagonal, values in [-1, 1].

    Raises
    ------
    ParameterError
        If ``x`` is not 2-D.

    See Also
    --------
    softmax_gramian : the same over the columns of the softmax weights.

    Examples
    --------
    >>> gramian([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]).round(3).tolist()
    [[1.0, 0.707, 0.0], [0.707, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    arr = _as_2d(x, "x")
    norms = np.linalg.norm(arr, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    unit = arr / safe[:, None]
    g = unit @ unit.T
    g = np.clip((g + g.T) / 2, -1.0, 1.0)
    np.fill_diagonal(g, 1.0)
    return g


# --------------------------------------------------------------------------- periodicity


def _unit_dft(x, *, n_fft: int, detrend: bool) -> tuple[np.ndarray, np.ndarray]:
    """Periods (F,) and magnitudes (D, F) of the Hann-windowed, zero-padded DFT, DC dropped."""
    arr = _as_2d(x, "x")
    steps = arr.shape[0]
    if not isinstance(n_fft, (int, np.integer)) or n_fft < 4:
        raise ParameterError(f"n_fft must be an integer >= 4, got {n_fft!r}")
    if steps < 2:
        raise ParameterError(f"x needs at least 2 steps, got {steps}")
    if steps > n_fft:
        raise ParameterError(f"x has {steps} steps, more than n_fft={n_fft}; raise n_fft")
    if detrend:
        arr = arr - arr.mean(axis=0, keepdims=True)
    window = np.hanning(steps + 2)[1:-1]  # strictly positive Hann of length T
    mag = np.abs(np.fft.rfft(arr * window[:, None], n=n_fft, axis=0))[1:]  # drop DC
    k = np.arange(1, n_fft // 2 + 1)
    return n_fft / k, mag.T


def unit_spectra(x, *, n_fft: int = N_FFT, detrend: bool = True, floor_db: float = -120.0):
    """Magnitude spectrum of each unit's sequence, in dB relative to the unit's maximum.

    Each column of ``x`` (one unit over ``T`` steps) has its mean removed
    (``detrend``), is multiplied by a Hann window, zero-padded to ``n_fft``
    steps and transformed. The DC bin is dropped, so the frequency axis
    becomes a period axis in steps, ``n_fft / k`` for ``k = 1 … n_fft/2``
    (from ``n_fft`` steps down to 2).

    Parameters
    ----------
    x : np.ndarray [shape=(T, D)]
        One row per step, one column per unit; ``2 <= T <= n_fft``.
    n_fft : int >= 4
        DFT length (the published analyses use 512).
    detrend : bool
        Remove each unit's mean first, so a constant offset does not leak
        into the longest periods.
    floor_db : float
        Value for bins with zero magnitude (and for constant units).

    Returns
    -------
    periods : np.ndarray [shape=(n_fft // 2,)]
        Period of each bin in steps, decreasing.
    spectra_db : np.ndarray [shape=(D, n_fft // 2)]
        ``20 log10(|X| / max |X|)`` per unit: 0 dB at each unit's peak.

    Raises
    ------
    ParameterError
        If ``x`` is not 2-D, has fewer than 2 or more than ``n_fft`` steps.

    Examples
    --------
    >>> t = np.arange(90)
    >>> periods, db = unit_spectra(np.sin(2 * np.pi * t / 9)[:, None])
    >>> db.shape
    (1, 256)
    >>> round(float(periods[np.argmax(db[0])]), 2)
    8.98
    """
    periods, mag = _unit_dft(x, n_fft=n_fft, detrend=detrend)
    peak = mag.max(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        db = 20 * np.log10(mag / np.where(peak > 0, peak, 1.0))
    db = np.where(np.isfinite(db), db, floor_db)
    return periods, np.maximum(db, floor_db)


def layer_mean_spectrum(spectra_db) -> tuple[np.ndarray, np.ndarray]:
    """Mean spectrum over a layer's units and its standard error.

    Parameters
    ----------
    spectra_db : np.ndarray [shape=(D, F)]
        Per-unit spectra from :func:`unit_spectra`.

    Returns
    -------
    mean : np.ndarray [shape=(F,)]
        Mean over units (dB).
    sem : np.ndarray [shape=(F,)]
        Standard error of that mean, ``std(ddof=1) / sqrt(D)`` (zeros when ``D == 1``).

    Examples
    --------
    >>> mean, sem = layer_mean_spectrum(np.array([[0.0, -10.0], [0.0, -20.0]]))
    >>> mean.tolist(), sem.tolist()
    ([0.0, -15.0], [0.0, 5.0])
    """
    arr = _as_2d(spectra_db, "spectra_db")
    n = arr.shape[0]
    mean = arr.mean(axis=0)
    if n < 2:
        return mean, np.zeros_like(mean)
    return mean, arr.std(axis=0, ddof=1) / math.sqrt(n)


def _check_band(band) -> tuple[float, float]:
    lo, hi = (float(b) for b in band)
    if not 2 <= lo < hi:
        raise ParameterError(f"band must be (lo, hi) periods in steps with 2 <= lo < hi, got {band!r}")
    return lo, hi


def band_power_fraction(x, *, band=COUNTING_BAND, n_fft: int = N_FFT, detrend: bool = True) -> np.ndarray:
    """Fraction of each unit's spectral power that lies in a band of periods.

    Power is ``|X|^2`` of the Hann-windowed, zero-padded DFT (as in
    :func:`unit_spectra`), summed over the bins whose period is within
    ``band`` (inclusive) and divided by the power of all non-DC bins.

    Parameters
    ----------
    x : np.ndarray [shape=(T, D)]
        One row per step, one column per unit.
    band : (float, float)
        Periods in steps, ``2 <= lo < hi``; default (8.7, 9.3), the bar
        period of a reel.
    n_fft : int
        DFT length.
    detrend : bool
        Remove each unit's mean first.

    Returns
    -------
    np.ndarray [shape=(D,)]
        Values in [0, 1]; 0 for a constant unit.

    Raises
    ------
    ParameterError
        If ``band`` is not two increasing periods >= 2, or no DFT bin falls in it.

    Examples
    --------
    >>> t = np.arange(180)
    >>> x = np.stack([np.sin(2 * np.pi * t / 9), np.sin(2 * np.pi * t / 4)], axis=1)
    >>> (band_power_fraction(x) > 0.5).tolist()
    [True, False]
    """
    lo, hi = _check_band(band)
    periods, mag = _unit_dft(x, n_fft=n_fft, detrend=detrend)
    in_band = (periods >= lo) & (periods <= hi)
    if not in_band.any():
        raise ParameterError(f"no DFT bin of n_fft={n_fft} has a period in band {band!r}; widen it")
    power = mag**2
    total = power.sum(axis=1)
    part = power[:, in_band].sum(axis=1)
    return np.where(total > 0, part / np.where(total > 0, total, 1.0), 0.0)


def periodic_units(
    x, *, band=COUNTING_BAND, threshold: float = 0.1, n_fft: int = N_FFT, detrend: bool = True
) -> np.ndarray:
    """Indices of the units with more than ``threshold`` of their power in ``band``.

    These are the "counting" candidates of the published analyses: units whose
    activation repeats about every 9 steps (a bar of 8 notes and a bar line).
    White noise puts about ``3/256`` ≈ 1.2% of its power in the default band,
    so the default threshold (10%) is well above chance.

    Parameters
    ----------
    x : np.ndarray [shape=(T, D)]
        One row per step, one column per unit.
    band : (float, float)
        Periods in steps (default (8.7, 9.3)).
    threshold : float in [0, 1)
        Smallest fraction of power in the band.
    n_fft : int
        DFT length.
    detrend : bool
        Remove each unit's mean first.

    Returns
    -------
    np.ndarray [shape=(K,), dtype=int64]
        Unit indices, sorted by decreasing fraction.

    Raises
    ------
    ParameterError
        If ``threshold`` is not in [0, 1) (and as :func:`band_power_fraction`).

    See Also
    --------
    band_power_fraction : the fractions themselves.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(200)
    >>> x = rng.normal(size=(200, 5))
    >>> x[:, 3] += 2 * np.sin(2 * np.pi * t / 9)
    >>> periodic_units(x).tolist()
    [3]
    """
    if not 0 <= threshold < 1:
        raise ParameterError(f"threshold must be in [0, 1), got {threshold!r}")
    frac = band_power_fraction(x, band=band, n_fft=n_fft, detrend=detrend)
    idx = np.flatnonzero(frac > threshold)
    return idx[np.argsort(-frac[idx], kind="stable")].astype(np.int64)


def activation_sparsity(x, *, low: float = 0.07, high: float = 0.8) -> tuple[float, float]:
    """Shares of activations near zero (``|x| < low``) and saturated (``|x| > high``).

    The published v2 analysis finds layer 3's hidden states very sparse:
    about 80% below 0.07 in magnitude and about 2% above 0.8.

    Parameters
    ----------
    x : np.ndarray [shape=(...)]
        Activations (any shape).
    low, high : float
        Thresholds on ``|x|``, ``0 <= low <= high``.

    Returns
    -------
    (float, float)
        The fraction below ``low`` and the fraction above ``high``.

    Examples
    --------
    >>> activation_sparsity(np.array([0.0, 0.05, -0.5, 0.9]))
    (0.5, 0.25)
    """
    if not 0 <= low <= high:
        raise ParameterError(f"need 0 <= low <= high, got low={low!r}, high={high!r}")
    a = np.abs(np.asarray(x, dtype=float))
    if a.size == 0:
        raise ParameterError("x is empty")
    return float((a < low).mean()), float((a > high).mean())


# --------------------------------------------------------------------------- softmax layer


def softmax(logits, *, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """Numerically stable ``softmax(logits / temperature)`` along ``axis``.

    Examples
    --------
    >>> softmax(np.log([1.0, 3.0])).tolist()
    [0.25, 0.75]
    """
    if not temperature > 0:
        raise ParameterError(f"temperature must be > 0, got {temperature!r}")
    z = np.asarray(logits, dtype=float) / temperature
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_columns(V) -> tuple[np.ndarray, np.ndarray]:
    """The columns of the softmax weights, unit-normalised, and their norms.

    Column ``n`` of ``V`` (shape ``(H, vocab)``) is the direction in the last
    hidden layer's space that raises token ``n``'s logit.

    Parameters
    ----------
    V : np.ndarray [shape=(H, N)]
        Softmax weights (hidden units × vocabulary).

    Returns
    -------
    columns : np.ndarray [shape=(H, N)]
        ``V`` with each column divided by its norm (zero columns stay zero).
    norms : np.ndarray [shape=(N,)]
        Euclidean norm of each column.

    Examples
    --------
    >>> cols, norms = softmax_columns(np.array([[3.0, 0.0], [4.0, 0.0]]))
    >>> cols.tolist(), norms.tolist()
    ([[0.6, 0.0], [0.8, 0.0]], [5.0, 0.0])
    """
    arr = _as_2d(V, "V")
    norms = np.linalg.norm(arr, axis=0)
    return arr / np.where(norms > 0, norms, 1.0), norms


def softmax_gramian(V) -> np.ndarray:
    """Gramian of the column-normalised softmax weights (token × token cosine similarity).

    Parameters
    ----------
    V : np.ndarray [shape=(H, N)]
        Softmax weights.

    Returns
    -------
    np.ndarray [shape=(N, N)]
        Symmetric, unit diagonal.

    Examples
    --------
    >>> softmax_gramian(np.array([[1.0, 1.0], [0.0, 1.0]])).round(3).tolist()
    [[1.0, 0.707], [0.707, 1.0]]
    """
    return gramian(_as_2d(V, "V").T)


def softmax_svd(V) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Singular value decomposition of the softmax weights, ``V = U @ diag(s) @ Wt``.

    The published v2 model has a first singular value of about 509 and then
    65.8 and 63.5. Row ``k`` of ``Wt`` is a direction over the vocabulary:
    adding it (scaled) to the bias is what :func:`bias_shift_distribution` does.

    Parameters
    ----------
    V : np.ndarray [shape=(H, N)]
        Softmax weights.

    Returns
    -------
    U : np.ndarray [shape=(H, K)]
        Left singular vectors (hidden space), ``K = min(H, N)``.
    s : np.ndarray [shape=(K,)]
        Singular values, decreasing.
    Wt : np.ndarray [shape=(K, N)]
        Right singular vectors (vocabulary space), one per row.

    See Also
    --------
    svd_reconstruct : the inverse.

    Examples
    --------
    >>> U, s, Wt = softmax_svd(np.diag([3.0, 4.0]))
    >>> s.tolist()
    [4.0, 3.0]
    """
    return np.linalg.svd(_as_2d(V, "V"), full_matrices=False)


def svd_reconstruct(U, s, Wt, *, rank: int | None = None) -> np.ndarray:
    """Rebuild ``V`` from its SVD, optionally from the ``rank`` largest singular values only.

    Parameters
    ----------
    U : np.ndarray [shape=(H, K)]
    s : np.ndarray [shape=(K,)]
    Wt : np.ndarray [shape=(K, N)]
        As returned by :func:`softmax_svd`.
    rank : int or None
        Keep only the first ``rank`` components (None: all).

    Returns
    -------
    np.ndarray [shape=(H, N)]

    Examples
    --------
    >>> V = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> np.allclose(svd_reconstruct(*softmax_svd(V)), V)
    True
    """
    s = np.asarray(s, dtype=float)
    k = len(s) if rank is None else int(rank)
    if not 0 <= k <= len(s):
        raise ParameterError(f"rank must be in [0, {len(s)}], got {rank!r}")
    return (np.asarray(U)[:, :k] * s[:k]) @ np.asarray(Wt)[:k]


def bias_shift_distribution(logits, direction, scales, *, temperature: float = 1.0) -> np.ndarray:
    """Next-token distributions after adding ``s * direction`` to the softmax bias, for each scale.

    Adding to the bias ``v`` adds the same vector to the logits ``h V + v``,
    so this takes the logits directly.

    Parameters
    ----------
    logits : np.ndarray [shape=(..., N)]
        Pre-softmax values (e.g. a trace's logits, one row per step).
    direction : np.ndarray [shape=(N,)]
        A direction over the vocabulary (e.g. a row of ``Wt`` from :func:`softmax_svd`).
    scales : np.ndarray [shape=(S,)]
        Multipliers of ``direction`` (use ``-s`` and ``+s`` for "±s·u").
    temperature : float > 0

    Returns
    -------
    np.ndarray [shape=(S, ..., N)]
        One distribution per scale and per row of ``logits``.

    Examples
    --------
    >>> p = bias_shift_distribution(np.zeros(2), np.array([np.log(3.0), 0.0]), [0.0, 1.0])
    >>> p.round(2).tolist()
    [[0.5, 0.5], [0.75, 0.25]]
    """
    z = np.asarray(logits, dtype=float)
    d = np.asarray(direction, dtype=float)
    if d.shape != z.shape[-1:]:
        raise ParameterError(f"direction must have shape {z.shape[-1:]}, got {d.shape}")
    sc = np.atleast_1d(np.asarray(scales, dtype=float))
    if sc.ndim != 1:
        raise ParameterError(f"scales must be 1-D, got shape {sc.shape}")
    shifted = z[None, ...] + sc.reshape((-1,) + (1,) * z.ndim) * d
    return softmax(shifted, temperature=temperature)


# --------------------------------------------------------------------------- logit bias
# delta_to_alpha / alpha_to_delta live with the logit-bias hook (folkabc.model.hooks) and are
# re-exported here: alpha = e^delta / (1 - (1 - e^delta) p), delta = log alpha + log((1 - p)/(1 - alpha p)).


# --------------------------------------------------------------------------- beam search


@dataclass(frozen=True)
class BeamCoverage:
    """Probability mass kept and missed by a pruned expansion of continuations.

    Attributes
    ----------
    depths : np.ndarray [shape=(D,)]
        1, 2, …, D (number of tokens after the prefix).
    missed : np.ndarray [shape=(D,)]
        Probability mass of the length-``d`` continuations that were pruned
        (at depth ``d`` or before), ``1 - kept``.
    kept : np.ndarray [shape=(D,)]
        Joint probability summed over the kept branches at each depth.
    branches : np.ndarray [shape=(D,)]
        How many branches were kept at each depth.
    approx : bool
        True when ``max_branches`` cut a depth shorter than ``keep`` asked.
    """

    depths: np.ndarray
    missed: np.ndarray
    kept: np.ndarray
    branches: np.ndarray
    approx: bool

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "depths": self.depths.tolist(),
            "missed": self.missed.tolist(),
            "kept": self.kept.tolist(),
            "branches": self.branches.tolist(),
            "approx": self.approx,
        }


def check_depth(depth) -> None:
    """Refuse a beam-coverage ``depth`` that is no integer >= 1 or is over the limit ``max_beam_depth``
    (the work grows with the depth: checked before any other work of an analysis).

    Examples
    --------
    >>> check_depth(3)
    >>> check_depth(10**12)
    Traceback (most recent call last):
    ...
    folkabc.errors.LimitError: beam depth: 1000000000000 levels is over the limit max_beam_depth = 8 (depth of \
the beam-coverage expansion (each level scores up to 4,096 prefixes)); raise it with FOLKABC_MAX_BEAM_DEPTH=N
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ParameterError(f"depth must be an integer >= 1, got {depth!r}")
    check_limit("max_beam_depth", int(depth), where="beam depth")


def beam_coverage(
    next_dist: Callable[[list[tuple[int, ...]]], np.ndarray],
    prefix: Sequence[int] = (),
    *,
    depth: int = 3,
    keep: float = 0.2,
    scope: str = "depth",
    max_branches: int | None = None,
) -> BeamCoverage:
    """Probability mass missed when only the top ``keep`` fraction of branches survives each depth.

    Starting from ``prefix``, every kept branch is expanded over the whole
    vocabulary; each child's joint probability is its parent's times the
    next-token probability. Then only the most probable children are kept:

    - ``scope="depth"``: the top ``ceil(keep * n)`` of all ``n`` children at
      that depth (a beam whose width grows by ``keep * vocab`` per depth);
    - ``scope="node"``: the top ``ceil(keep * vocab)`` children of each parent.

    The mass missed at depth ``d`` is ``1 -`` the joint probability of the
    kept length-``d`` branches; it includes what was pruned at earlier depths.

    Parameters
    ----------
    next_dist : callable
        ``next_dist(prefixes) -> np.ndarray [shape=(len(prefixes), N)]``: the
        next-token distribution after each prefix (a list of id tuples, each
        ``prefix`` plus the continuation so far).
    prefix : sequence of int
        The ids already given (e.g. ``<s>`` and a tune's opening).
    depth : int >= 1
        How many tokens to expand (the published analysis looks at 2–4).
    keep : float in (0, 1]
        Fraction of branches kept.
    scope : {"depth", "node"}
        Whether ``keep`` applies to all branches of a depth or to each parent's children.
    max_branches : int or None
        Never keep more than this many branches at a depth (bounds the work;
        sets ``approx`` when it cuts).

    Returns
    -------
    BeamCoverage
        ``missed[d - 1]`` is the mass missed at depth ``d``.

    Raises
    ------
    ParameterError
        On a bad ``depth``, ``keep``, ``scope`` or ``max_branches``, or when
        ``next_dist`` returns the wrong shape.

    Examples
    --------
    A model that always says "token 0: 0.5, token 1: 0.3, token 2: 0.2";
    keeping one of three branches keeps 0.5, then 0.25:

    >>> f = lambda prefixes: np.tile([0.5, 0.3, 0.2], (len(prefixes), 1))
    >>> cov = beam_coverage(f, depth=2, keep=1 / 3)
    >>> cov.missed.round(6).tolist(), cov.branches.tolist()
    ([0.5, 0.75], [1, 1])
    """
    check_depth(depth)
    if not 0 < keep <= 1:
        raise ParameterError(f"keep must be in (0, 1], got {keep!r}")
    if scope not in ("depth", "node"):
        raise ParameterError(f"scope must be 'depth' or 'node', got {scope!r}")
    if max_branches is not None and max_branches < 1:
        raise ParameterError(f"max_branches must be >= 1 or None, got {max_branches!r}")
    base = tuple(int(i) for i in prefix)
    branches: list[tuple[int, ...]] = [()]
    joint = np.ones(1)
    kept, counts = [], []
    approx = False
    for _ in range(depth):
        dist = np.asarray(next_dist([base + b for b in branches]), dtype=float)
        if dist.ndim != 2 or dist.shape[0] != len(branches):
            raise ParameterError(
                f"next_dist returned shape {dist.shape}, expected ({len(branches)}, vocabulary size)"
            )
        n_tok = dist.shape[1]
        child = joint[:, None] * dist  # (B, N)
        if scope == "depth":
            flat = child.ravel()
            n_keep = math.ceil(keep * flat.size - 1e-9)
            order = np.argsort(-flat, kind="stable")[:n_keep]
        else:
            per = math.ceil(keep * n_tok - 1e-9)
            top = np.argsort(-child, axis=1, kind="stable")[:, :per]
            order = (np.arange(len(branches))[:, None] * n_tok + top).ravel()
            order = order[np.argsort(-child.ravel()[order], kind="stable")]
        if max_branches is not None and len(order) > max_branches:
            order = order[:max_branches]
            approx = True
        parent, tok = np.divmod(order, n_tok)
        branches = [branches[p] + (int(t),) for p, t in zip(parent, tok)]
        joint = child.ravel()[order]
        kept.append(float(joint.sum()))
        counts.append(len(branches))
    kept_arr = np.array(kept)
    return BeamCoverage(
        depths=np.arange(1, depth + 1),
        missed=np.clip(1.0 - kept_arr, 0.0, 1.0),
        kept=kept_arr,
        branches=np.array(counts, dtype=np.int64),
        approx=approx,
    )
