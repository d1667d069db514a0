"""The analysis pipeline: ablation study, beam coverage on a model, and the ``analyze`` report.

:func:`ablation_study` generates tunes from fixed seeds with (a) no ablation,
(b) a fraction of a layer's periodic ("counting") units ablated and (c) as many
random units of that layer ablated, and reports for each the share of tunes
whose bars all count (:func:`folkabc.validate.check`) and their mean
log-likelihood under the intact model. :func:`model_beam_coverage` measures the
probability mass a pruned expansion misses. :func:`analyze` runs every
analysis of :mod:`folkabc.analysis.arrays` on one tune and writes the figures
(PNG) and a short Markdown report (plus the numbers as JSON) into a folder.

Examples
--------
>>> from folkabc.model import Model
>>> m = Model.random(layers=[16], rng=0)
>>> study = ablation_study(m, n=2, seed=0, max_length=40, threshold=0.0)
>>> [c.label for c in study.conditions]
['no ablation', 'periodic units', 'random units']
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError, RenderError
from ..limits import check_limit
from ..validate import bars_count
from . import arrays as A
from . import stats as S

__all__ = [
    "AblationCondition",
    "AblationStudy",
    "ablation_study",
    "model_next_dist",
    "model_beam_coverage",
    "AnalysisReport",
    "analyze",
    "FIGURES",
]

#: The figures :func:`analyze` writes (file stem → what it shows).
FIGURES: dict[str, str] = {
    "posterior": "log10 posterior over the tune, sampled tokens marked",
    "activations": "hidden states of every layer over the tune",
    "gramians": "Gramians of the inputs, each layer's hidden states and the softmax output",
    "gate_gramians": "Gramians of every layer's gates (input, forget, output, candidate, tanh of candidate)",
    "spectra": "mean spectrum of each layer's units (± standard error)",
    "unit_spectra": "per-unit spectra of the ablation layer, periodic units marked",
    "softmax": "softmax weights V: columns, Gramian of normalised columns, singular values",
    "bias_shift": "mean next-token distribution after adding ±s·u1 to the bias",
    "delta_alpha": "the δ↔α relation",
    "ablation": "ablation study: bars that count and log-likelihood per condition",
    "beam_coverage": "probability mass missed by keeping the top branches, by depth",
}


# --------------------------------------------------------------------------- helpers


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _layer_index(model, layer: int) -> int:
    L = len(model.layers)
    if not isinstance(layer, (int, np.integer)) or not -L <= layer < L:
        raise ParameterError(f"layer must be an integer in [{-L}, {L - 1}] (model has {L} layers), got {layer!r}")
    return int(layer) % L


def _n_fft(steps: int) -> int:
    return max(A.N_FFT, 1 << max(0, math.ceil(math.log2(max(steps, 2)))))


def _mean_band_fraction(hidden: Sequence[np.ndarray], *, band) -> np.ndarray:
    """Band-power fraction per unit, averaged over the given (T, H) runs (those with >= 2 steps)."""
    fr = [A.band_power_fraction(h, band=band, n_fft=_n_fft(len(h))) for h in hidden if len(h) >= 2]
    if not fr:
        raise ParameterError("no run has 2 or more steps to measure periodicity on")
    return np.mean(fr, axis=0)


# --------------------------------------------------------------------------- ablation


@dataclass
class AblationCondition:
    """One condition of an ablation study.

    Attributes
    ----------
    label : str
    units : np.ndarray [shape=(K,)]
        Ablated units of the study's layer (empty for "no ablation").
    counted : float
        Share of the tunes whose bars all count.
    loglik : float
        Mean log-likelihood per token (nats) of the tunes under the intact model
        (their tokens, and ``</s>`` for those that ended).
    ended : float
        Share of the tunes that ended with ``</s>`` before ``max_length``.
    ok : list of bool
        Per tune (same seeds in every condition): do its bars all count?
    tunes : list of list of str
        The generated tokens (meter, mode, body).
    counted_ci : (float, float)
        Wilson 95% interval of ``counted``.
    loglik_ci : (float, float)
        Percentile-bootstrap 95% interval of ``loglik`` (tunes resampled).
    """

    label: str
    units: np.ndarray
    counted: float
    loglik: float
    ended: float
    ok: list[bool]
    tunes: list[list[str]] = field(repr=False, default_factory=list)
    counted_ci: tuple[float, float] = (0.0, 1.0)
    loglik_ci: tuple[float, float] = (float("nan"), float("nan"))

    def to_dict(self) -> dict[str, Any]:
        """JSON form (without the tunes)."""
        return {"label": self.label, "units": self.units.tolist(), "counted": self.counted,
                "counted_ci": list(self.counted_ci), "loglik": self.loglik, "loglik_ci": list(self.loglik_ci),
                "ended": self.ended, "ok": list(self.ok)}


@dataclass
class AblationStudy:
    """The result of :func:`ablation_study`.

    Attributes
    ----------
    layer : int
        0-based index of the layer whose units were ablated (reports, JSON included, number
        layers from 1: ``to_dict()["layer"]`` is ``layer + 1``).
    fraction : float
        Fraction of the periodic units ablated in condition (b).
    n : int
        Tunes per condition.
    seed : int
        Base seed: tune k uses seed ``seed + k`` in every condition.
    band : (float, float)
        The period band (steps) the units' power was measured in.
    threshold : float
    bar_period : folkabc.analysis.stats.BarPeriod or None
        The unablated tunes' measured steps per bar (None when ``band`` was given).
    band_fraction : np.ndarray [shape=(H,)]
        Each unit's share of power in ``band``, averaged over the unablated tunes.
    periodic : np.ndarray [shape=(P,)]
        Units over ``threshold``, by decreasing share.
    conditions : list of AblationCondition
        (a) no ablation, (b) periodic units, (c) random units.
    """

    layer: int
    fraction: float
    n: int
    seed: int
    band: tuple[float, float]
    threshold: float
    band_fraction: np.ndarray
    periodic: np.ndarray
    conditions: list[AblationCondition]
    bar_period: S.BarPeriod | None = None

    @property
    def rates(self) -> dict[str, float]:
        """Condition label → share of tunes whose bars all count."""
        return {c.label: c.counted for c in self.conditions}

    @property
    def paired(self) -> dict[str, int]:
        """Tunes (same seed) that count with the random units cut but not the periodic ones, and the reverse."""
        p, r = self.conditions[1].ok, self.conditions[2].ok
        return {"random_only": sum(b and not a for a, b in zip(p, r)),
                "periodic_only": sum(a and not b for a, b in zip(p, r))}

    def difference_ci(self, *, n_boot: int = 2000) -> tuple[float, float, float]:
        """Clean share with the random units cut minus with the periodic units cut, and its
        paired-bootstrap 95% interval (tunes resampled by seed)."""
        d = np.array(self.conditions[2].ok, float) - np.array(self.conditions[1].ok, float)
        lo, hi = S.bootstrap_interval(d, np.mean, n_boot=n_boot, rng=self.seed)
        return float(d.mean()), lo, hi

    def to_dict(self) -> dict[str, Any]:
        """JSON form; ``layer`` counts from 1, as every report does."""
        diff, lo, hi = self.difference_ci()
        return {"layer": self.layer + 1, "fraction": self.fraction, "n": self.n, "seed": self.seed,
                "band": list(self.band), "bar_period": self.bar_period.to_dict() if self.bar_period else None,
                "threshold": self.threshold, "units_in_layer": int(len(self.band_fraction)),
                "units_over_threshold": int(len(self.periodic)),
                "periodic": self.periodic.tolist(), "conditions": [c.to_dict() for c in self.conditions],
                "random_minus_periodic": {"counted": diff, "ci": [lo, hi], **self.paired}}


def ablation_study(
    model,
    *,
    layer: int = -1,
    fraction: float = 0.33,
    n: int = 200,
    seed: int = 0,
    meter: str | None = "M:4/4",
    mode: str | None = None,
    max_length: int = 400,
    band=None,
    period: float | None = None,
    threshold: float = 0.05,
    rng=None,
) -> AblationStudy:
    """Does cutting a layer's periodic units stop the model counting bars? Cutting random ones?

    1. Generate ``n`` tunes (seeds ``seed … seed + n - 1``) with hidden states
       recorded, measure their bar period (:func:`~folkabc.analysis.stats.bar_period`:
       the median steps per bar and a band around it) unless ``band`` or ``period``
       is given, and measure each unit's share of power in the band
       (:func:`~folkabc.analysis.arrays.band_power_fraction`, averaged over the tunes).
    2. The periodic units are those over ``threshold``; condition (b) ablates
       the ``round(fraction * P)`` most periodic of them (at least one when
       there are any), condition (c) as many units drawn at random from the
       whole layer (``rng``).
    3. Regenerate from the same seeds under (b) and (c). For each condition
       report the share of tunes whose bars all count, the share that ended,
       and the mean log-likelihood per token under the *intact* model, with
       95% intervals (Wilson; bootstrap over the tunes).

    Parameters
    ----------
    model : folkabc.model.Model
    layer : int
        Layer to ablate (0-based; negative counts from the top; default the last).
    fraction : float in (0, 1]
        Fraction of the periodic units to ablate.
    n : int > 0
        Tunes per condition (default 200: at 85% clean, a Wilson interval of about
        ±5 points, enough to see a 15-point effect).
    seed : int >= 0
        Base seed of the tunes.
    meter, mode : str or None
        Forced first tokens (default ``M:4/4``, where a bar is 8 quavers and a bar line: period 9).
    max_length : int > 0
        Most tokens per tune.
    band : (float, float) or None
        Period band in steps; None: measured from the unablated tunes (or around ``period``).
    period : float or None
        Bar period in steps; the band is ``period * (1 ± 0.0333)`` (the published
        8.7–9.3 is ``9 * (1 ± 0.0333)``). Ignored when ``band`` is given.
    threshold : float in [0, 1)
        Smallest band share of a periodic unit (0 ranks every unit of the layer).
        The default, 0.05, is four times what white noise averages (about 1.2%);
        the shares are averaged over the ``n`` tunes, so chance rarely passes it.
    rng : None, int or np.random.Generator
        Draws the random units (default: seeded with ``seed``).

    Returns
    -------
    AblationStudy

    Raises
    ------
    ParameterError
        On a bad layer, fraction, n or threshold.

    Examples
    --------
    >>> from folkabc.model import Model
    >>> study = ablation_study(Model.random(layers=[8, 8], rng=1), n=2, max_length=30, threshold=0.0)
    >>> len(study.conditions[1].units) == len(study.conditions[2].units) == round(0.33 * 8)
    True
    """
    from ..model import log_softmax

    li = _layer_index(model, layer)
    _check_study(fraction=fraction, n=n, threshold=threshold, period=period)
    rng = _rng(seed if rng is None else rng)
    opts = dict(n=int(n), meter=meter, mode=mode, seed=int(seed), max_length=int(max_length))
    base = model.generate(record=True, **opts)
    # the unablated tunes' traces give both the hidden states and their log-likelihood
    traces = [g.trace for g in base]
    band, bp = _band(band, period, [g.tokens for g in base])
    frac = _mean_band_fraction([tr.hidden[li] for tr in traces], band=band)
    periodic = np.flatnonzero(frac > threshold)
    periodic = periodic[np.argsort(-frac[periodic], kind="stable")]
    k = max(1, round(fraction * len(periodic))) if len(periodic) else 0
    cut = np.sort(periodic[:k])
    rand = np.sort(rng.choice(model.layers[li], size=k, replace=False)) if k else np.empty(0, np.int64)
    ablated = {label: model.generate(ablate={li: units}, **opts) if len(units) else base
               for label, units in (("periodic units", cut), ("random units", rand))}
    # intact-model log-likelihood of each tune: its tokens, and </s> when it ended
    seqs = [list(g.tokens) + (["</s>"] if g.ended else []) for g in base]
    base_ll = [float(log_softmax(np.asarray(tr.logits, dtype=np.float64))[np.arange(len(sq)), model.encode(sq)].sum())
               for tr, sq in zip(traces, seqs)]
    others = [list(g.tokens) + (["</s>"] if g.ended else []) for tunes in ablated.values() for g in tunes]
    other_ll = [-s.nll for s in model.score_many(others, end=False)] if others else []
    lls = {"no ablation": (base_ll, seqs)}
    for j, label in enumerate(ablated):
        lls[label] = (other_ll[j * len(base):(j + 1) * len(base)], others[j * len(base):(j + 1) * len(base)])

    def condition(label: str, units: np.ndarray, tunes) -> AblationCondition:
        toks = [list(g.tokens) for g in tunes]
        ok = [bars_count(t) for t in toks]
        ll, sq = lls[label]
        rows = np.array([[a, max(len(x), 1)] for a, x in zip(ll, sq)], dtype=float)
        ll_ci = S.bootstrap_interval(rows, lambda r: r[:, 0].sum() / r[:, 1].sum(), rng=int(seed))
        return AblationCondition(label, units.astype(np.int64), float(np.mean(ok)),
                                 float(sum(ll) / max(sum(len(x) for x in sq), 1)),
                                 float(np.mean([g.ended for g in tunes])), ok, toks,
                                 S.wilson_interval(int(sum(ok)), len(ok)), ll_ci)

    conds = [condition("no ablation", np.empty(0, np.int64), base),
             condition("periodic units", cut, ablated["periodic units"]),
             condition("random units", rand, ablated["random units"])]
    return AblationStudy(li, float(fraction), int(n), int(seed), tuple(float(b) for b in band), float(threshold),
                         frac, periodic.astype(np.int64), conds, bp)


def _check_study(*, fraction: float, n: int, threshold: float, period: float | None) -> None:
    """Refuse an ablation study's bad options before any tune is written (:func:`analyze` asks first,
    so that a bad option costs no work)."""
    if not 0 < fraction <= 1:
        raise ParameterError(f"fraction must be in (0, 1], got {fraction!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n must be an integer >= 1, got {n!r}")
    check_limit("max_batch", int(n), where=f"n={n}")
    if not 0 <= threshold < 1:
        raise ParameterError(f"threshold must be in [0, 1), got {threshold!r}")
    _check_period(period)


def _check_period(period: float | None) -> None:
    """A bar period (steps) is a number over 2 (NaN is not), or None (measured)."""
    if period is not None and not period > 2:
        raise ParameterError(f"period must be > 2 steps, got {period!r}")


def _band(band, period, tunes) -> tuple[tuple[float, float], S.BarPeriod | None]:
    """The band to look for counting units in: given, around ``period``, or measured from ``tunes``."""
    if band is not None:
        return tuple(float(b) for b in band), None
    if period is not None:
        _check_period(period)
        return (float(period) * (1 - 0.0333), float(period) * (1 + 0.0333)), None
    try:
        bp = S.bar_period([list(t) for t in tunes])
    except ParameterError:  # no tune has two bar lines (an untrained model): the published band
        return A.COUNTING_BAND, None
    return bp.band, bp


# --------------------------------------------------------------------------- beam coverage


class model_next_dist:  # noqa: N801 (a callable used like a function)
    """A ``next_dist`` for :func:`~folkabc.analysis.arrays.beam_coverage` backed by a model.

    Each call steps the network one token from the states of the previous
    call's prefixes (the parents), so a beam expansion costs one step per
    depth; prefixes whose parent is unknown are run from the start (they must
    then all have the same length).

    Parameters
    ----------
    model : folkabc.model.Model
    temperature : float > 0

    Examples
    --------
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> f = model_next_dist(m)
    >>> s = m.start_id
    >>> p = f([(s,)])
    >>> bool(np.allclose(p[0], m.run([]).posterior[0], atol=1e-5))
    True
    >>> f([(s, 3), (s, 5)]).shape
    (2, 137)
    """

    def __init__(self, model, *, temperature: float = 1.0) -> None:
        self.model = model
        self.temperature = float(temperature)
        self._stepper = None
        self._rows: dict[tuple[int, ...], int] = {}

    def __call__(self, prefixes: Sequence[Sequence[int]]) -> np.ndarray:
        from ..model.lstm import Stepper

        prefixes = [tuple(int(i) for i in p) for p in prefixes]
        parents = [self._rows.get(p[:-1]) for p in prefixes]
        if self._stepper is not None and all(r is not None for r in parents) and all(prefixes):
            st = self._stepper
            st.keep(np.array(parents, dtype=np.int64))
            logits = st.step(np.array([p[-1] for p in prefixes], dtype=np.int64))
        else:
            lengths = {len(p) for p in prefixes}
            if len(lengths) != 1 or 0 in lengths:
                raise ParameterError("prefixes run from the start must be non-empty and of one length")
            arr = np.array(prefixes, dtype=np.int64)
            st = Stepper(self.model.network(), batch=len(prefixes))
            for t in range(arr.shape[1]):
                logits = st.step(arr[:, t])
        self._stepper = st
        self._rows = {p: i for i, p in enumerate(prefixes)}
        return A.softmax(np.array(logits, dtype=np.float64), temperature=self.temperature)


def model_beam_coverage(model, prefix: Sequence[str] = (), *, depth: int = 3, keep: float = 0.2,
                        scope: str = "depth", max_branches: int | None = 4096) -> A.BeamCoverage:
    """:func:`~folkabc.analysis.arrays.beam_coverage` after ``<s>`` + ``prefix`` under ``model``.

    Parameters
    ----------
    model : folkabc.model.Model
    prefix : sequence of str
        Tokens after ``<s>`` (e.g. ``["M:4/4", "K:Cmaj"]``).
    depth, keep, scope, max_branches
        As for :func:`~folkabc.analysis.arrays.beam_coverage` (``max_branches``
        defaults to 4096 to bound the work at depth 4).

    Returns
    -------
    BeamCoverage

    Examples
    --------
    >>> from folkabc.model import Model
    >>> cov = model_beam_coverage(Model.random(layers=[8], rng=0), ["M:4/4"], depth=2, keep=1.0,
    ...                           max_branches=None)
    >>> cov.missed.round(6).tolist()
    [0.0, 0.0]
    """
    ids = [model.start_id] + [int(i) for i in model.encode(list(prefix), what="prefix")]
    return A.beam_coverage(model_next_dist(model), ids, depth=depth, keep=keep, scope=scope,
                           max_branches=max_branches)


# --------------------------------------------------------------------------- analyze


@dataclass
class AnalysisReport:
    """What :func:`analyze` wrote.

    Attributes
    ----------
    out_dir : Path
    figures : dict of str to Path
        Figure name (see :data:`FIGURES`) → PNG file.
    markdown : Path
        ``report.md``.
    numbers_path : Path
        ``report.json`` (the same numbers).
    numbers : dict
        Every number the report states.
    """

    out_dir: Path
    figures: dict[str, Path]
    markdown: Path
    numbers_path: Path
    numbers: dict[str, Any]


def _tune_and_trace(model, tokens, *, seed: int, meter: str | None, max_length: int):
    if tokens is None:
        g = model.generate(n=1, meter=meter, seed=int(seed), max_length=max_length)[0]
        return list(g.tokens), model.run(g.tokens, record=True), g.ended, f"generated with seed {seed}" + (f", meter {meter}" if meter else "")
    toks = [t for t in (tokens.split() if isinstance(tokens, str) else list(tokens)) if t not in ("<s>", "</s>")]
    if len(toks) < 2:
        raise ParameterError(f"the tune needs at least a meter and a mode token, got {toks!r}")
    return toks, model.run(toks, record=True), True, "given"


def _fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}"


def analyze(
    model=None,
    out_dir=".",
    *,
    tune: Sequence[str] | str | None = None,
    seed: int = 0,
    meter: str | None = "M:4/4",
    max_length: int = 400,
    layer: int = -1,
    band=None,
    period: float | None = None,
    threshold: float = 0.05,
    fraction: float = 0.33,
    n_ablation: int = 200,
    beam_depth: int = 3,
    beam_keep: Sequence[float] = (0.1, 0.2),
    max_branches: int | None = 4096,
    dpi: int = 100,
) -> AnalysisReport:
    """Run every published analysis on one tune and write figures, ``report.md`` and ``report.json``.

    The tune is ``tune`` (tokens: meter, mode, body) or, when None, one tune
    generated from ``seed``. On it: the posterior map, hidden-state Gramians,
    per-unit and per-layer spectra, activation sparsity and the periodic
    units; on the model: the softmax-layer SVD and the effect of ``±s·u1`` on
    the bias, beam coverage after the tune's first tokens, and an ablation
    study (:func:`ablation_study`) with ``n_ablation`` tunes from seeds
    ``seed …``.

    Parameters
    ----------
    model : folkabc.model.Model, str, path or None
        A model, or a model path for :func:`folkabc.model.load_model` (None: the default model).
    out_dir : str or path
        Created if missing; existing figures of the same names are replaced.
    tune : sequence of str, str or None
        Tokens to analyse (a string is split on whitespace).
    seed : int >= 0
        Seed of the generated tune and base seed of the ablation study.
    meter : str or None
        Forced meter of generated tunes.
    max_length : int
        Most tokens per generated tune.
    layer : int
        Layer of the unit spectra figure and the ablation study (0-based index; the
        report numbers layers from 1).
    band, period, threshold, fraction, n_ablation
        As for :func:`ablation_study` (``n_ablation=0`` skips the study). When neither
        ``band`` nor ``period`` is given the band follows the bar period measured on the
        ablation study's unablated tunes (or, with ``n_ablation=0``, on 50 tunes from
        ``seed``).
    beam_depth : int
        Depth of the beam-coverage expansion.
    beam_keep : sequence of float
        Kept fractions (one line each).
    max_branches : int or None
        Cap on the branches kept per depth.
    dpi : int

    Returns
    -------
    AnalysisReport

    Raises
    ------
    ParameterError, ModelFileError, UnknownTokenError
        Bad options, model file or tune tokens.
    RenderError
        A figure or report that cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from folkabc.model import Model
    >>> m = Model.random(layers=[8], rng=0)
    >>> rep = analyze(m, tempfile.mkdtemp(), max_length=30, n_ablation=0, beam_depth=1)
    >>> sorted(rep.figures) == sorted(k for k in FIGURES if k != "ablation")
    True
    """
    from . import figures as F

    if model is None or isinstance(model, (str, Path)):
        from ..model import load_model

        model = load_model(model)
    li = _layer_index(model, layer)
    A.check_depth(beam_depth)  # before the tunes and the study
    if n_ablation:
        _check_study(fraction=fraction, n=n_ablation, threshold=threshold, period=period)
    else:
        _check_period(period)
    band_given = band is not None
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create the output folder: {exc.strerror or exc}", path=str(out)) from exc

    tokens, trace, ended, origin = _tune_and_trace(model, tune, seed=seed, meter=meter, max_length=max_length)
    study = None
    if n_ablation:
        study = ablation_study(model, layer=li, fraction=fraction, n=n_ablation, seed=seed, meter=meter,
                               max_length=max_length, band=band, period=period, threshold=threshold)
        band, bp = study.band, study.bar_period
    else:
        band, bp = _band(band, period, [g.tokens for g in model.generate(
            n=50, meter=meter, seed=int(seed), max_length=max_length)] if band is None and period is None else [])
    vocab_tokens = [model.vocab.token(i) for i in range(len(model.vocab))]
    T = len(trace.tokens)
    nums: dict[str, Any] = {"tune": {"origin": origin, "tokens": " ".join(tokens), "steps": T, "ended": ended}}
    figs: dict[str, Path] = {}

    def save(name: str, fig) -> None:
        figs[name] = F.save_figure(fig, out / f"{name}.png", dpi=dpi)

    # -- posterior
    sampled = [int(i) for i in model.encode(tokens)] + ([model.end_id] if ended else [])
    post = np.asarray(trace.posterior, dtype=np.float64)
    save("posterior", F.plot_posterior(post, vocab_tokens, steps=trace.tokens, sampled=sampled[:T]))
    p_sampled = post[np.arange(len(sampled[:T])), sampled[:T]]
    nums["posterior"] = {
        "mean_log10_p_sampled": float(np.mean(np.log10(np.maximum(p_sampled, A.POSTERIOR_FLOOR)))),
        "share_above_floor": float(np.mean(post > A.POSTERIOR_FLOOR)),
    }
    measure_ids = [i for i, t in enumerate(vocab_tokens) if model.vocab.category(t) == "measure"] \
        if hasattr(model.vocab, "category") else []
    if measure_ids and T >= 4:
        per, db = A.unit_spectra(post[:, measure_ids].sum(axis=1, keepdims=True), n_fft=_n_fft(T))
        nums["posterior"]["measure_mass_peak_period"] = float(per[np.argmax(db[0])])

    # -- activations, Gramians, sparsity
    hidden = [np.asarray(h, dtype=np.float64) for h in trace.hidden]
    save("activations", F.plot_activations(hidden))
    onehot = np.eye(len(vocab_tokens))[model.encode(trace.tokens)]
    grams = {"one-hot inputs": A.gramian(onehot)}
    grams.update({f"layer {k + 1} hidden": A.gramian(h) for k, h in enumerate(hidden)})
    grams["softmax output"] = A.gramian(post)
    save("gramians", F.plot_gramians(grams))
    gate_grams = {f"layer {k + 1} {name}": A.gramian(np.asarray(g, dtype=np.float64))
                  for k, gates in enumerate(trace.gates) for name, g in gates.items()}
    save("gate_gramians", F.plot_gramians(gate_grams, title="Gramians of each layer's gates",
                                          cols=max(1, len(trace.gates[0]))))
    nums["sparsity"] = [dict(zip(("below_0.07", "above_0.8"), A.activation_sparsity(h))) for h in hidden]

    # -- periodicity
    n_fft = _n_fft(T)
    spectra = [A.unit_spectra(h, n_fft=n_fft) for h in hidden]
    periods = spectra[0][0]
    means_sems = [A.layer_mean_spectrum(db) for _, db in spectra]
    save("spectra", F.plot_layer_spectra(periods, [m for m, _ in means_sems], [s for _, s in means_sems], band=band))
    fracs = [A.band_power_fraction(h, band=band, n_fft=n_fft) for h in hidden]
    per_layer = []
    for k, ((m, _), fr) in enumerate(zip(means_sems, fracs)):
        short = periods <= 64
        top = np.argsort(-m[short], kind="stable")[:3]
        per_layer.append({"layer": k + 1, "units": int(len(fr)), "periodic_units": int(np.sum(fr > threshold)),
                          "mean_band_fraction": float(fr.mean()),
                          "top_periods": [float(round(periods[short][i], 2)) for i in top]})
    nums["periodicity"] = {"band": list(band), "bar_period": bp.to_dict() if bp else None,
                           "band_source": "measured" if bp else "given" if (band_given or period is not None)
                           else "published (no generated tune had two bar lines)",
                           "threshold": threshold, "n_fft": n_fft, "layers": per_layer}
    fr = fracs[li]
    order = np.argsort(-fr, kind="stable")
    save("unit_spectra", F.plot_unit_spectrogram(
        periods, spectra[li][1], order=order, highlight=np.flatnonzero(fr > threshold),
        title=f"Per-unit spectra, layer {li + 1}", ylabel=f"unit (by share of power in {band[0]:.2f}–{band[1]:.2f} steps)"))

    # -- softmax layer
    V = np.asarray(model.params.W_out, dtype=np.float64)
    U, s, Wt = A.softmax_svd(V)
    save("softmax", F.plot_softmax(V, vocab_tokens))
    u1 = Wt[0]
    scale = 4.0 / float(np.abs(u1).max())
    scales = np.array([-scale, 0.0, scale])
    shifted = A.bias_shift_distribution(np.asarray(trace.logits, dtype=np.float64), u1, scales)
    save("bias_shift", F.plot_bias_shift(shifted, scales.round(2).tolist(), vocab_tokens))
    mean_shift = shifted.mean(axis=1)
    nums["softmax"] = {
        "singular_values_top3": [float(x) for x in s[:3]],
        "rank1_relative_error": float(np.linalg.norm(A.svd_reconstruct(U, s, Wt, rank=1) - V) / np.linalg.norm(V)),
        "bias_shift_scale": scale,
        "bias_shift_most_raised": vocab_tokens[int(np.argmax(mean_shift[2] - mean_shift[1]))],
        "bias_shift_most_lowered": vocab_tokens[int(np.argmin(mean_shift[2] - mean_shift[1]))],
    }
    save("delta_alpha", F.plot_delta_alpha())

    # -- beam coverage
    prefix = tokens[: min(len(tokens), 4)]
    covs = {f"keep {k:.0%}": model_beam_coverage(model, prefix, depth=beam_depth, keep=k,
                                                   max_branches=max_branches) for k in beam_keep}
    save("beam_coverage", F.plot_beam_coverage(covs, title=f"Beam coverage after <s> {' '.join(prefix)}"))
    nums["beam"] = {"prefix": " ".join(prefix), **{lab: c.to_dict() for lab, c in covs.items()}}

    # -- ablation
    if study is not None:
        labels = [f"{c.label}\n({len(c.units)} cut)" for c in study.conditions]
        save("ablation", F.plot_ablation(labels, [c.counted for c in study.conditions],
                                         [c.loglik for c in study.conditions], n=study.n,
                                         counted_ci=[c.counted_ci for c in study.conditions],
                                         loglik_ci=[c.loglik_ci for c in study.conditions],
                                         title=f"Ablation study, layer {li + 1}, band {band[0]:.2f}–{band[1]:.2f} steps"))
        nums["ablation"] = study.to_dict()

    nums["model"] = {"layers": list(model.layers), "vocabulary": len(vocab_tokens),
                     "source": (lambda pv: pv.get("source") or pv.get("trainer") or "unknown")(
                         getattr(model, "provenance", {}) or {})}
    md = _markdown(nums, figs)
    try:
        (out / "report.md").write_text(md, encoding="utf-8")
        (out / "report.json").write_text(json.dumps(nums, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot write the report: {exc.strerror or exc}", path=str(out)) from exc
    return AnalysisReport(out, figs, out / "report.md", out / "report.json", nums)


def _markdown(nums: dict[str, Any], figs: dict[str, Path]) -> str:
    tune = nums["tune"]
    lines = [
        "# folkabc analysis report",
        "",
        f"Model: layers {nums['model']['layers']}, {nums['model']['vocabulary']} tokens "
        f"(source: {nums['model']['source']}).",
        f"Tune ({tune['origin']}; {tune['steps']} steps including `<s>`"
        + ("" if tune["origin"] == "given" else
           "; ended with `</s>`" if tune["ended"] else "; stopped at the length limit") + "):",
        "",
        "```",
        tune["tokens"][:600] + (" …" if len(tune["tokens"]) > 600 else ""),
        "```",
        "",
        "## Posterior",
        "",
        f"Mean log10 probability of the token that followed: {_fmt(nums['posterior']['mean_log10_p_sampled'])}; "
        f"share of (step, token) probabilities above 1e-10: {_fmt(nums['posterior']['share_above_floor'])}.",
    ]
    if "measure_mass_peak_period" in nums["posterior"]:
        lines.append(f"The probability of measure tokens peaks every "
                     f"{_fmt(nums['posterior']['measure_mass_peak_period'])} steps.")
    lines += ["", "![posterior](posterior.png)", "", "## Activations", "",
              "| layer | units | share \\|h\\| < 0.07 | share \\|h\\| > 0.8 | periodic units | "
              "mean share in band | strongest periods (steps) |",
              "|---|---|---|---|---|---|---|"]
    for sp, pl in zip(nums["sparsity"], nums["periodicity"]["layers"]):
        lines.append(f"| {pl['layer']} | {pl['units']} | {_fmt(sp['below_0.07'])} | {_fmt(sp['above_0.8'])} | "
                     f"{pl['periodic_units']} | {_fmt(pl['mean_band_fraction'])} | "
                     f"{', '.join(f'{p:g}' for p in pl['top_periods'])} |")
    per = nums["periodicity"]
    bp = per.get("bar_period")
    how = (f"the generated tunes' bar period, {bp['period']:.2f} steps (median over {bp['tunes']} tunes of their "
           f"mean steps from one bar line to the next; median {bp['median_tokens_per_bar']:g} tokens inside a bar), "
           "band from the tunes' interquartile range, at least ±3.33%" if bp else per.get("band_source", "given"))
    lines += ["", f"Periodic units: more than {per['threshold']:g} of their power in periods "
              f"{per['band'][0]:.2f}–{per['band'][1]:.2f} steps ({how}; Hann window, DFT of {per['n_fft']} points).", "",
              "![activations](activations.png)", "", "![gramians](gramians.png)", "",
              "![gate gramians](gate_gramians.png)", "", "![spectra](spectra.png)", "",
              "![unit spectra](unit_spectra.png)", "", "## Softmax layer", ""]
    sm = nums["softmax"]
    lines += [f"Largest singular values of V: {', '.join(_fmt(x, 4) for x in sm['singular_values_top3'])}; "
              f"a rank-1 reconstruction leaves {_fmt(sm['rank1_relative_error'])} of V's norm. "
              f"Adding {_fmt(sm['bias_shift_scale'])}·u1 to the bias raises `{sm['bias_shift_most_raised']}` most "
              f"and lowers `{sm['bias_shift_most_lowered']}` most.", "",
              "![softmax](softmax.png)", "", "![bias shift](bias_shift.png)", "", "![delta alpha](delta_alpha.png)",
              "", "## Beam coverage", "", f"After `<s> {nums['beam']['prefix']}`:", "",
              "| kept | " + " | ".join(f"depth {d}" for d in next(
                  v for k, v in nums["beam"].items() if k != "prefix")["depths"]) + " |",
              "|---|" + "---|" * len(next(v for k, v in nums["beam"].items() if k != "prefix")["depths"])]
    for lab, cov in nums["beam"].items():
        if lab == "prefix":
            continue
        cells = " | ".join(f"{m:.3g} missed ({b} branches)" for m, b in zip(cov["missed"], cov["branches"]))
        lines.append(f"| {lab}{' (capped)' if cov['approx'] else ''} | {cells} |")
    lines += ["", "![beam coverage](beam_coverage.png)", ""]
    if "ablation" in nums:
        ab = nums["ablation"]
        d = ab["random_minus_periodic"]
        lines += ["## Ablation", "",
                  f"{ab['n']} tunes per condition from seeds {ab['seed']}…{ab['seed'] + ab['n'] - 1}, layer "
                  f"{ab['layer']}: {ab['units_over_threshold']} of its {ab['units_in_layer']} units pass the "
                  f"threshold (more than {ab['threshold']:g} of their power in periods {ab['band'][0]:.2f}–"
                  f"{ab['band'][1]:.2f} steps); {ab['fraction']:.0%} of them "
                  "cut in (b), as many random units in (c). Log-likelihood: per token, under the intact model. "
                  "Brackets: 95% intervals (Wilson for shares; bootstrap over the tunes for the log-likelihood)."
                  + ("" if ab["periodic"] else f" No unit has more than {ab['threshold']:g} of its power in the band, "
                     "so nothing was cut: lower the threshold to rank the units instead."), "",
                  "| condition | units cut | bars all count | ended | mean log-likelihood |", "|---|---|---|---|---|"]
        for c in ab["conditions"]:
            lo, hi = c["counted_ci"]
            llo, lhi = c["loglik_ci"]
            lines.append(f"| {c['label']} | {len(c['units'])} | {c['counted']:.1%} [{lo:.1%}–{hi:.1%}] | "
                         f"{c['ended']:.0%} | {c['loglik']:.3f} [{llo:.3f}, {lhi:.3f}] |")
        lines += ["", f"Same seeds, paired: bars count in {d['random_only']} tunes with the random units cut but not "
                  f"with the periodic ones, in {d['periodic_only']} the other way; random minus periodic "
                  f"{100 * d['counted']:+.1f} points [{100 * d['ci'][0]:+.1f}, {100 * d['ci'][1]:+.1f}] "
                  "(paired bootstrap).", "", "![ablation](ablation.png)", ""]
    return "\n".join(lines)
