"""Figures of the folk-rnn analyses (matplotlib, Agg; PNG).

Each ``plot_*`` function takes the arrays computed by
:mod:`folkabc.analysis.arrays` and returns a :class:`matplotlib.figure.Figure`
drawn on an Agg canvas (no pyplot, no global state, no display needed);
:func:`save_figure` writes it. matplotlib is imported inside the functions, so
importing this module is cheap.

Examples
--------
>>> import numpy as np
>>> from folkabc.analysis.arrays import gramian
>>> fig = plot_gramians({"noise": gramian(np.random.default_rng(0).normal(size=(20, 4)))})
>>> len(fig.axes) >= 1
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..errors import ParameterError, RenderError
from .arrays import POSTERIOR_FLOOR, delta_to_alpha

__all__ = [
    "PUBLISHED_PEAKS",
    "new_figure",
    "save_figure",
    "plot_posterior",
    "plot_gramians",
    "plot_layer_spectra",
    "plot_unit_spectrogram",
    "plot_activations",
    "plot_softmax",
    "plot_bias_shift",
    "plot_delta_alpha",
    "plot_ablation",
    "plot_beam_coverage",
]

#: Periods (steps) where the v2 model's mean layer spectra peak (folkrnn-facts.md).
PUBLISHED_PEAKS = (2.25, 3.0, 4.5, 6.0, 8.8, 11.5, 18.0, 36.0)


def new_figure(*, figsize=(8.0, 5.0)):
    """A :class:`~matplotlib.figure.Figure` on an Agg canvas (works without a display).

    Examples
    --------
    >>> new_figure(figsize=(2, 2)).get_size_inches().tolist()
    [2.0, 2.0]
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path, *, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG file and return its path.

    Raises
    ------
    RenderError
        If the file cannot be written.

    Examples
    --------
    >>> import tempfile, os
    >>> fig = new_figure(figsize=(1, 1))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_figure(fig, os.path.join(d, "x.png"))
    ...     p.read_bytes()[:4]
    b'\\x89PNG'
    """
    path = Path(path)
    try:
        fig.savefig(path, dpi=dpi, format="png")
    except OSError as exc:
        raise RenderError(f"cannot write figure: {exc.strerror or exc}", path=str(path)) from exc
    return path


def plot_posterior(
    posterior,
    tokens: Sequence[str],
    *,
    steps: Sequence[str] | None = None,
    sampled: Sequence[int] | None = None,
    floor: float = POSTERIOR_FLOOR,
    title: str = "Posterior (log10 probability)",
):
    """Heatmap of log10 of the next-token distribution at every step, sampled tokens marked.

    Parameters
    ----------
    posterior : np.ndarray [shape=(T, V)]
        Next-token distribution after each input step.
    tokens : sequence of str [len V]
        Vocabulary, in id order (the y axis).
    steps : sequence of str [len T] or None
        Input token of each step (x tick labels; shown when T <= 400).
    sampled : sequence of int [len T] or None
        Id of the token that followed each step; drawn as a dot. With more than 40
        tokens in the vocabulary only the rows of these tokens are labelled.
    floor : float
        Probabilities below it are left blank.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> p = np.full((3, 4), 0.25)
    >>> fig = plot_posterior(p, list("abcd"), sampled=[0, 1, 2])
    >>> fig.axes[0].get_title()
    'Posterior (log10 probability)'
    """
    from .arrays import posterior_log10

    post = np.asarray(posterior, dtype=float)
    if post.ndim != 2 or post.shape[1] != len(tokens):
        raise ParameterError(f"posterior must have shape (T, {len(tokens)}), got {post.shape}")
    T, V = post.shape
    logp = np.ma.masked_less_equal(posterior_log10(post, floor=floor), np.log10(floor))
    fig = new_figure(figsize=(max(8.0, min(T * 0.09, 40.0)), max(6.0, min(V * 0.12, 18.0))))
    ax = fig.add_subplot()
    im = ax.imshow(logp.T, aspect="auto", origin="lower", cmap="viridis", interpolation="nearest",
                   vmin=np.log10(floor), vmax=0.0)
    if sampled is not None:
        s = np.asarray(sampled, dtype=int)
        ax.plot(np.arange(len(s)), s, "o", ms=2.5, mfc="none", mec="red", mew=0.7, label="token that followed")
        ax.legend(loc="upper right", fontsize=7)
    # label the tokens the tune uses (a tick for every other token): 137 labels do not fit
    used = sorted(set(int(i) for i in sampled)) if sampled is not None and V > 40 else list(range(V))
    ax.set_yticks(np.arange(V), minor=True)
    ax.set_yticks(used)
    ax.set_yticklabels([tokens[i] for i in used], fontsize=7.5 if V > 40 else 9)
    ax.tick_params(axis="y", which="minor", length=2)
    if steps is not None and T <= 400:
        ax.set_xticks(np.arange(T))
        ax.set_xticklabels(steps, fontsize=5, rotation=90)
    ax.set_xlabel("step (input token)")
    ax.set_ylabel("next token")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="log10 p", shrink=0.6)
    return fig


def plot_gramians(mats: Mapping[str, np.ndarray], *, title: str = "Gramians (cosine similarity across steps)",
                  cols: int = 3):
    """One panel per Gramian (e.g. inputs, each layer's hidden states, softmax output).

    Parameters
    ----------
    mats : mapping of str to np.ndarray [shape=(T, T)]
        Panel title → Gramian from :func:`~folkabc.analysis.arrays.gramian`.
    title : str
    cols : int > 0
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_gramians({"a": np.eye(3), "b": np.ones((3, 3))})
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['a', 'b']
    """
    if not mats:
        raise ParameterError("mats is empty")
    n = len(mats)
    cols = min(n, max(1, int(cols)))
    rows = (n + cols - 1) // cols
    fig = new_figure(figsize=(3.6 * cols + 1.0, 3.6 * rows + 0.6))
    axes = []
    for k, (name, g) in enumerate(mats.items()):
        ax = fig.add_subplot(rows, cols, k + 1)
        im = ax.imshow(np.asarray(g), cmap="RdBu_r", vmin=-1, vmax=1, origin="lower", interpolation="nearest")
        ax.set_title(name, fontsize=10)
        if k >= n - cols:
            ax.set_xlabel("step")
        if k % cols == 0:
            ax.set_ylabel("step")
        axes.append(ax)
    fig.colorbar(im, ax=axes, label="cosine similarity", shrink=0.8)
    fig.suptitle(title)
    return fig


def _period_axis(ax, peaks: bool = True) -> None:
    ax.set_xscale("log")
    ax.set_xlabel("period (steps)")
    ticks = [2, 3, 4.5, 6, 9, 12, 18, 36, 72, 144]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    if peaks:
        for p in PUBLISHED_PEAKS:
            ax.axvline(p, color="0.6", lw=0.6, ls=":", zorder=0)


def plot_layer_spectra(periods, means: Sequence[np.ndarray], sems: Sequence[np.ndarray], *,
                       labels: Sequence[str] | None = None, band=None):
    """Mean spectrum of each layer's units (dB re each unit's max) with a standard-error band.

    Dotted vertical lines mark the periods where the published v2 spectra peak;
    ``band`` is shaded (the counting band).

    Parameters
    ----------
    periods : np.ndarray [shape=(F,)]
    means, sems : sequence of np.ndarray [shape=(F,)]
        One per layer, from :func:`~folkabc.analysis.arrays.layer_mean_spectrum`.
    labels : sequence of str or None
    band : (float, float) or None

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> per = 512 / np.arange(1, 257)
    >>> fig = plot_layer_spectra(per, [np.zeros(256)], [np.ones(256)], band=(8.7, 9.3))
    >>> fig.axes[0].get_xlabel()
    'period (steps)'
    """
    periods = np.asarray(periods, dtype=float)
    if len(means) != len(sems) or not means:
        raise ParameterError("means and sems must be non-empty and of equal length")
    labels = list(labels) if labels is not None else [f"layer {k + 1}" for k in range(len(means))]
    fig = new_figure(figsize=(9.0, 4.8))
    ax = fig.add_subplot()
    for m, s, lab in zip(means, sems, labels):
        line, = ax.plot(periods, m, lw=1.2, label=lab)
        ax.fill_between(periods, m - s, m + s, color=line.get_color(), alpha=0.25, lw=0)
    if band is not None:
        ax.axvspan(band[0], band[1], color="orange", alpha=0.3, label=f"counting band {band[0]:.2f}–{band[1]:.2f}")
    _period_axis(ax)
    ax.set_xlim(2, min(float(periods.max()), 160.0))
    ax.set_ylabel("mean magnitude (dB re unit max)")
    ax.set_title("Mean spectrum of each layer's hidden units (± s.e.)")
    ax.legend(fontsize=8)
    return fig


def plot_unit_spectrogram(periods, spectra_db, *, order=None, highlight=None, title: str = "Per-unit spectra",
                          ylabel: str = "unit (reordered)", floor_db: float = -60.0):
    """Image of every unit's spectrum (units × period), optionally reordered, periodic units marked.

    Parameters
    ----------
    periods : np.ndarray [shape=(F,)]
    spectra_db : np.ndarray [shape=(D, F)]
        From :func:`~folkabc.analysis.arrays.unit_spectra`.
    order : np.ndarray [shape=(D,)] or None
        Row order (e.g. by decreasing band fraction).
    highlight : sequence of int or None
        Units to mark on the right edge (indices before reordering).
    ylabel : str
    floor_db : float
        Lower end of the colour scale.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_unit_spectrogram(512 / np.arange(1, 257), np.zeros((3, 256)), highlight=[1])
    >>> fig.axes[0].get_ylabel()
    'unit (reordered)'
    """
    periods = np.asarray(periods, dtype=float)
    spec = np.asarray(spectra_db, dtype=float)
    D = spec.shape[0]
    order = np.arange(D) if order is None else np.asarray(order, dtype=int)
    keep = periods <= 160
    fig = new_figure(figsize=(9.0, max(4.0, min(0.02 * D + 3, 12.0))))
    ax = fig.add_subplot()
    # pcolormesh on the log period axis; columns run from long to short periods
    edges = np.concatenate([[periods[keep][0] * 1.01], (periods[keep][1:] + periods[keep][:-1]) / 2, [2.0]])
    im = ax.pcolormesh(edges, np.arange(D + 1) - 0.5, spec[order][:, keep], cmap="magma", vmin=floor_db, vmax=0,
                       shading="flat")
    if highlight is not None and len(highlight):
        pos = np.flatnonzero(np.isin(order, np.asarray(highlight, dtype=int)))
        # a lime band beside the image and a thick marker at the left edge of every periodic unit's row
        ax.plot(np.full(len(pos), edges[0] * 1.06), pos, ">", color="lime", mec="black", mew=1.0,
                ms=max(4.0, min(9.0, 500 / max(D, 1))), clip_on=False, zorder=5,
                label=f"over the threshold on this tune ({len(pos)} of {D})")
        for p in pos:
            ax.axhspan(p - 0.5, p + 0.5, xmin=0.985, xmax=1.0, color="lime", zorder=4)
        if len(pos) and np.array_equal(pos, np.arange(len(pos))):  # sorted rows: one boundary
            ax.axhline(len(pos) - 0.5, color="lime", lw=1.6, ls="--", zorder=5)
        ax.legend(loc="upper right", fontsize=9, framealpha=0.9)
    _period_axis(ax, peaks=False)
    ax.set_xlim(2, edges[0])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="dB re unit max")
    return fig


def plot_activations(layers: Sequence[np.ndarray], *, labels: Sequence[str] | None = None,
                     title: str = "Hidden-state activations"):
    """Each layer's activations over the steps (units × steps), colour = value in [-1, 1].

    Parameters
    ----------
    layers : sequence of np.ndarray [shape=(T, H_l)]
    labels : sequence of str or None

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_activations([np.zeros((5, 3)), np.ones((5, 2))])
    >>> len([a for a in fig.axes if a.get_title()])
    2
    """
    if not layers:
        raise ParameterError("layers is empty")
    labels = list(labels) if labels is not None else [f"layer {k + 1}" for k in range(len(layers))]
    fig = new_figure(figsize=(10.0, 2.8 * len(layers)))
    axes = []
    for k, (h, lab) in enumerate(zip(layers, labels)):
        ax = fig.add_subplot(len(layers), 1, k + 1)
        im = ax.imshow(np.asarray(h).T, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-1, vmax=1,
                       interpolation="nearest")
        ax.set_title(lab)
        ax.set_ylabel("unit")
        axes.append(ax)
    axes[-1].set_xlabel("step")
    fig.colorbar(im, ax=axes, label="activation", shrink=0.8)
    fig.suptitle(title)
    return fig


def plot_softmax(V, tokens: Sequence[str], *, title: str = "Softmax layer"):
    """The softmax weights: columns (hidden × token), Gramian of normalised columns, singular values.

    Parameters
    ----------
    V : np.ndarray [shape=(H, N)]
    tokens : sequence of str [len N]

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_softmax(np.random.default_rng(0).normal(size=(6, 4)), list("abcd"))
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['columns of V', 'Gramian of normalised columns', 'singular values']
    """
    from .arrays import softmax_gramian, softmax_svd

    V = np.asarray(V, dtype=float)
    if V.ndim != 2 or V.shape[1] != len(tokens):
        raise ParameterError(f"V must have shape (H, {len(tokens)}), got {V.shape}")
    s = softmax_svd(V)[1]
    fig = new_figure(figsize=(16.0, 5.6))
    ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=[1.3, 1.3, 1.0])
    lim = float(np.abs(V).max()) or 1.0
    im1 = ax1.imshow(V, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    ax1.set_title("columns of V")
    ax1.set_xlabel("token id")
    ax1.set_ylabel("hidden unit (last layer)")
    fig.colorbar(im1, ax=ax1, shrink=0.8)
    im2 = ax2.imshow(softmax_gramian(V), cmap="RdBu_r", vmin=-1, vmax=1, origin="lower", interpolation="nearest")
    ax2.set_title("Gramian of normalised columns")
    step = max(1, len(tokens) // 40)
    ticks = np.arange(0, len(tokens), step)
    for ax in (ax2,):
        ax.set_xticks(ticks)
        ax.set_xticklabels([tokens[i] for i in ticks], rotation=90, fontsize=5)
        ax.set_yticks(ticks)
        ax.set_yticklabels([tokens[i] for i in ticks], fontsize=5)
    fig.colorbar(im2, ax=ax2, shrink=0.8)
    ax3.semilogy(np.arange(1, len(s) + 1), np.maximum(s, 1e-12), "o-", ms=3)
    ax3.text(0.97, 0.97, "\n".join(f"s{k + 1} = {s[k]:.3g}" for k in range(min(3, len(s)))),
             transform=ax3.transAxes, ha="right", va="top", fontsize=9)
    ax3.set_title("singular values")
    ax3.set_xlabel("index")
    ax3.set_ylabel("singular value")
    fig.suptitle(title)
    return fig


def plot_bias_shift(dists, scales, tokens: Sequence[str], *, top: int = 25,
                    title: str = "Adding ±s·u (first right singular vector) to the bias"):
    """Mean next-token distribution for each bias shift ``s·u``: bars over the most affected tokens.

    Parameters
    ----------
    dists : np.ndarray [shape=(S, T, N)] or [shape=(S, N)]
        From :func:`~folkabc.analysis.arrays.bias_shift_distribution` (averaged over T).
    scales : sequence of float [len S]
    tokens : sequence of str [len N]
    top : int
        How many tokens to show (those whose mean probability changes most).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> d = np.array([[0.5, 0.5], [0.9, 0.1]])
    >>> fig = plot_bias_shift(d, [0.0, 1.0], ["a", "b"])
    >>> fig.axes[0].get_ylabel()
    'mean probability'
    """
    d = np.asarray(dists, dtype=float)
    if d.ndim == 3:
        d = d.mean(axis=1)
    if d.ndim != 2 or d.shape != (len(scales), len(tokens)):
        raise ParameterError(f"dists must have shape ({len(scales)}, [T,] {len(tokens)}), got {np.shape(dists)}")
    change = d.max(axis=0) - d.min(axis=0)
    pick = np.sort(np.argsort(-change, kind="stable")[: min(top, len(tokens))])
    fig = new_figure(figsize=(11.0, 4.5))
    ax = fig.add_subplot()
    width = 0.8 / len(scales)
    x = np.arange(len(pick))
    for k, s in enumerate(scales):
        ax.bar(x + (k - (len(scales) - 1) / 2) * width, d[k, pick], width, label=f"s = {s:+g}")
    ax.set_xticks(x)
    ax.set_xticklabels([tokens[i] for i in pick], rotation=90, fontsize=8)
    ax.set_ylabel("mean probability")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_delta_alpha(*, ps=(0.01, 0.1, 0.3, 0.5, 0.9), deltas=None):
    """The δ↔α relation: probability ratio α against logit change δ, for several starting p.

    Parameters
    ----------
    ps : sequence of float in (0, 1)
        Starting probabilities (one curve each).
    deltas : np.ndarray or None
        The δ axis (default −6 … 6).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_delta_alpha(ps=(0.5,))
    >>> fig.axes[0].get_xlabel()
    'δ (added to the logit)'
    """
    d = np.linspace(-6, 6, 241) if deltas is None else np.asarray(deltas, dtype=float)
    fig = new_figure(figsize=(10.0, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    for p in ps:
        a = delta_to_alpha(d, p)
        ax1.plot(d, a * p, label=f"p = {p:g}")
        ax2.plot(d, a, label=f"p = {p:g} (max 1/p = {1 / p:.3g})")
    ax1.set_xlabel("δ (added to the logit)")
    ax1.set_ylabel("new probability α·p")
    ax1.set_title("probability after the bias")
    ax2.set_yscale("log")
    ax2.set_xlabel("δ (added to the logit)")
    ax2.set_ylabel("α = e^δ / (1 − (1 − e^δ) p)")
    ax2.set_title("ratio α (log scale)")
    for ax in (ax1, ax2):
        ax.axvline(0, color="0.7", lw=0.6)
        ax.legend(fontsize=7)
    return fig


def plot_ablation(labels: Sequence[str], counted: Sequence[float], loglik: Sequence[float], *,
                  n: int | None = None, counted_ci=None, loglik_ci=None, title: str = "Ablation study"):
    """Bar chart: share of tunes whose bars all count, and mean log-likelihood, per condition.

    Parameters
    ----------
    labels : sequence of str [len C]
    counted : sequence of float [len C]
        Shares in [0, 1].
    loglik : sequence of float [len C]
        Mean log-likelihood per token (or per tune) of each condition.
    n : int or None
        Tunes per condition (shown in the title).
    counted_ci, loglik_ci : sequence of (float, float) or None
        95% intervals of each bar (drawn as error bars and printed under the value).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_ablation(["none", "periodic", "random"], [0.9, 0.2, 0.8], [-1.0, -2.0, -1.1], n=10,
    ...                     counted_ci=[(0.6, 0.98), (0.06, 0.5), (0.5, 0.94)])
    >>> bool(fig.axes[0].get_ylim()[1] >= 1.0), len(fig.axes[0].lines) > 0
    (True, True)
    """
    if not len(labels) == len(counted) == len(loglik):
        raise ParameterError("labels, counted and loglik must have the same length")
    fig = new_figure(figsize=(10.0, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"][: len(labels)]
    x = np.arange(len(labels))

    def errbar(ax, values, ci):
        if ci is None:
            return None
        ci = np.asarray(ci, dtype=float)
        v = np.asarray(values, dtype=float)
        yerr = np.abs(np.stack([v - ci[:, 0], ci[:, 1] - v]))
        ax.errorbar(x, v, yerr=yerr, fmt="none", ecolor="black", elinewidth=1.4, capsize=7, capthick=1.4)
        return ci

    ci1 = errbar(ax1, counted, counted_ci)
    ax1.bar(x, counted, color=colors, zorder=0)
    for k, c in enumerate(counted):
        text = f"{c:.1%}" + (f"\n[{ci1[k, 0]:.1%}–{ci1[k, 1]:.1%}]" if ci1 is not None else "")
        ax1.text(x[k], 0.04, text, ha="center", va="bottom", fontsize=9, color="white", fontweight="bold")
    ax1.set_ylim(0, 1.1)
    ax1.set_ylabel("share of tunes whose bars all count (95% CI)")
    ci2 = errbar(ax2, loglik, loglik_ci)
    ax2.bar(x, loglik, color=colors, zorder=0)
    lo = min(np.min(loglik), np.min(ci2) if ci2 is not None else np.inf)
    ax2.set_ylim(min(lo * 1.15, 0), 0)
    for k, v in enumerate(loglik):
        text = f"{v:.3f}" + (f"\n[{ci2[k, 0]:.3f}, {ci2[k, 1]:.3f}]" if ci2 is not None else "")
        ax2.text(x[k], lo * 0.08, text, ha="center", va="top", fontsize=9, color="white", fontweight="bold")
    ax2.set_ylabel("mean log-likelihood per token (nats, 95% CI)")
    for ax in (ax1, ax2):
        ax.set_xticks(x)
        ax.set_xticklabels(labels, fontsize=8)
    fig.suptitle(title + (f" ({n} tunes per condition, same seeds)" if n else ""))
    return fig


def plot_beam_coverage(results: Mapping[str, object], *, title: str = "Beam coverage"):
    """Probability mass missed at each depth, one line per kept fraction.

    Parameters
    ----------
    results : mapping of str to BeamCoverage
        Label (e.g. ``"keep 20%"``) → :class:`~folkabc.analysis.arrays.BeamCoverage`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from folkabc.analysis.arrays import beam_coverage
    >>> cov = beam_coverage(lambda pre: np.tile([0.7, 0.2, 0.1], (len(pre), 1)), depth=2, keep=0.4)
    >>> plot_beam_coverage({"keep 40%": cov}).axes[0].get_xlabel()
    'depth (tokens after the prefix)'
    """
    if not results:
        raise ParameterError("results is empty")
    fig = new_figure(figsize=(7.0, 4.2))
    ax = fig.add_subplot()
    for label, cov in results.items():
        missed = np.maximum(np.asarray(cov.missed, dtype=float), 1e-16)
        ax.semilogy(cov.depths, missed, "o-", label=label + (" (capped)" if cov.approx else ""))
    ax.set_xlabel("depth (tokens after the prefix)")
    ax.set_ylabel("probability mass missed")
    ax.set_xticks(list(next(iter(results.values())).depths))
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig
