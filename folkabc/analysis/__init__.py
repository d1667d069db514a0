"""Analyses of folk-rnn models: arrays, figures and the ``analyze`` report.

Modules
    :mod:`folkabc.analysis.arrays` — pure numpy functions (posterior maps, Gramians,
    periodicity, softmax-layer SVD, δ↔α, beam coverage);
    :mod:`folkabc.analysis.figures` — matplotlib figures of those arrays (PNG);
    :mod:`folkabc.analysis.stats` — intervals (Wilson, bootstrap), distances, tune forms and
    the measured bar period;
    :mod:`folkabc.analysis.report` — the ablation study and the ``analyze`` pipeline.

Examples
--------
>>> from folkabc.analysis import gramian
>>> gramian([[1.0, 0.0], [0.0, 2.0]]).tolist()
[[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

from .arrays import (
    COUNTING_BAND,
    N_FFT,
    POSTERIOR_FLOOR,
    BeamCoverage,
    activation_sparsity,
    alpha_to_delta,
    band_power_fraction,
    beam_coverage,
    bias_shift_distribution,
    delta_to_alpha,
    gramian,
    layer_mean_spectrum,
    periodic_units,
    posterior_log10,
    softmax,
    softmax_columns,
    softmax_gramian,
    softmax_svd,
    svd_reconstruct,
    unit_spectra,
)

__all__ = [
    "COUNTING_BAND",
    "N_FFT",
    "POSTERIOR_FLOOR",
    "BeamCoverage",
    "activation_sparsity",
    "alpha_to_delta",
    "band_power_fraction",
    "beam_coverage",
    "bias_shift_distribution",
    "delta_to_alpha",
    "gramian",
    "layer_mean_spectrum",
    "periodic_units",
    "posterior_log10",
    "softmax",
    "softmax_columns",
    "softmax_gramian",
    "softmax_svd",
    "svd_reconstruct",
    "unit_spectra",
]
