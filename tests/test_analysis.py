"""folkabc.analysis.arrays: hand-checked values and planted signals."""

from __future__ import annotations

import numpy as np
import pytest

from folkabc.analysis import arrays as A
from folkabc.errors import ParameterError


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# --------------------------------------------------------------------------- posterior


def test_posterior_log10_floor_and_values():
    p = np.array([[0.5, 0.5 - 1e-12, 1e-12], [1.0, 0.0, 0.0]])
    out = A.posterior_log10(p)
    assert out.shape == (2, 3)
    assert out[0, 0] == pytest.approx(np.log10(0.5))
    assert out[0, 2] == -10.0  # below the floor
    assert out[1].tolist() == [0.0, -10.0, -10.0]
    assert A.posterior_log10(p, floor=1e-3)[0, 2] == pytest.approx(-3.0)


@pytest.mark.parametrize("floor", [0.0, 1.0, -1e-3])
def test_posterior_log10_bad_floor(floor):
    with pytest.raises(ParameterError, match="floor"):
        A.posterior_log10(np.ones((1, 2)) / 2, floor=floor)


# --------------------------------------------------------------------------- gramian


def test_gramian_symmetric_unit_diagonal(rng):
    x = rng.normal(size=(40, 7))
    x[5] = 0.0  # a silent step
    g = A.gramian(x)
    assert g.shape == (40, 40)
    np.testing.assert_array_equal(g, g.T)
    np.testing.assert_array_equal(np.diag(g), np.ones(40))
    assert g.min() >= -1 and g.max() <= 1
    assert np.all(np.delete(g[5], 5) == 0.0)
    # cosine similarity of two given rows
    expected = x[0] @ x[1] / np.linalg.norm(x[0]) / np.linalg.norm(x[1])
    assert g[0, 1] == pytest.approx(expected)


def test_gramian_of_one_hot_is_token_equality():
    ids = np.array([3, 1, 3, 2, 1])
    onehot = np.eye(4)[ids]
    g = A.gramian(onehot)
    np.testing.assert_array_equal(g, (ids[:, None] == ids[None, :]).astype(float))


def test_gramian_rejects_1d():
    with pytest.raises(ParameterError, match="2-D"):
        A.gramian(np.ones(5))


# --------------------------------------------------------------------------- periodicity


def _planted(rng, steps=180, units=30, period=9, unit=17):
    """Noise units plus one unit that fires every ``period`` steps (the bar line of a reel)."""
    x = rng.normal(scale=0.3, size=(steps, units))
    t = np.arange(steps)
    x[:, unit] = np.where(t % period == period - 1, 1.0, 0.0) + rng.normal(scale=0.05, size=steps)
    return x


def test_unit_spectra_axes_and_peak():
    t = np.arange(150)
    x = np.stack([np.sin(2 * np.pi * t / 9), np.cos(2 * np.pi * t / 4.5)], axis=1)
    periods, db = A.unit_spectra(x)
    assert periods.shape == (256,) and db.shape == (2, 256)
    assert periods[0] == 512 and periods[-1] == 2
    assert np.all(np.diff(periods) < 0)
    assert db.max(axis=1).tolist() == [0.0, 0.0]
    assert periods[np.argmax(db[0])] == pytest.approx(9, abs=0.1)
    assert periods[np.argmax(db[1])] == pytest.approx(4.5, abs=0.05)


def test_unit_spectra_constant_unit_is_floor():
    x = np.ones((20, 2))
    x[:, 1] = np.arange(20)
    _, db = A.unit_spectra(x, floor_db=-90)
    assert np.all(db[0] == -90)
    assert db[1].max() == 0


def test_unit_spectra_too_long_raises():
    with pytest.raises(ParameterError, match="n_fft"):
        A.unit_spectra(np.zeros((600, 2)))


def test_layer_mean_spectrum_standard_error(rng):
    spectra = rng.normal(size=(25, 10))
    mean, sem = A.layer_mean_spectrum(spectra)
    np.testing.assert_allclose(mean, spectra.mean(axis=0))
    np.testing.assert_allclose(sem, spectra.std(axis=0, ddof=1) / 5)


def test_periodic_unit_found_among_noise(rng):
    x = _planted(rng)
    frac = A.band_power_fraction(x)
    assert frac.shape == (30,)
    assert frac[17] > 0.1
    assert A.periodic_units(x).tolist() == [17]


def test_periodic_unit_lost_in_time_shuffled_copy(rng):
    x = _planted(rng)
    shuffled = x[rng.permutation(len(x))]
    assert 17 not in A.periodic_units(shuffled).tolist()
    assert A.band_power_fraction(shuffled)[17] < 0.1


def test_periodic_units_other_band(rng):
    t = np.arange(200)
    x = rng.normal(scale=0.2, size=(200, 4))
    x[:, 2] += np.sin(2 * np.pi * t / 4.5)
    assert A.periodic_units(x).tolist() == []
    assert A.periodic_units(x, band=(4.3, 4.7)).tolist() == [2]


@pytest.mark.parametrize("band", [(9.3, 8.7), (1.0, 3.0), (100.0, 100.1)])
def test_band_errors(band):
    with pytest.raises(ParameterError, match="band"):
        A.band_power_fraction(np.random.default_rng(0).normal(size=(50, 2)), band=band)


def test_periodic_units_bad_threshold():
    with pytest.raises(ParameterError, match="threshold"):
        A.periodic_units(np.zeros((20, 2)), threshold=1.0)


def test_activation_sparsity():
    h = np.array([[0.0, 0.06, 0.07, -0.9], [0.81, 0.5, -0.01, 0.8]])
    low, high = A.activation_sparsity(h)
    assert low == pytest.approx(3 / 8)
    assert high == pytest.approx(2 / 8)


# --------------------------------------------------------------------------- softmax layer


def test_softmax_svd_reconstructs(rng):
    V = rng.normal(size=(16, 11))
    U, s, Wt = A.softmax_svd(V)
    assert U.shape == (16, 11) and s.shape == (11,) and Wt.shape == (11, 11)
    assert np.all(np.diff(s) <= 0)
    np.testing.assert_allclose(A.svd_reconstruct(U, s, Wt), V, atol=1e-12)
    # a rank-1 reconstruction is the best rank-1 approximation: its error is the 2nd singular value
    err = np.linalg.norm(A.svd_reconstruct(U, s, Wt, rank=1) - V, ord=2)
    assert err == pytest.approx(s[1])
    with pytest.raises(ParameterError, match="rank"):
        A.svd_reconstruct(U, s, Wt, rank=12)


def test_softmax_columns_and_gramian(rng):
    V = rng.normal(size=(8, 5))
    cols, norms = A.softmax_columns(V)
    np.testing.assert_allclose(np.linalg.norm(cols, axis=0), np.ones(5))
    np.testing.assert_allclose(cols * norms, V)
    g = A.softmax_gramian(V)
    np.testing.assert_allclose(g, cols.T @ cols, atol=1e-12)
    np.testing.assert_array_equal(np.diag(g), np.ones(5))


def test_bias_shift_distribution(rng):
    logits = rng.normal(size=(6, 5))
    u = rng.normal(size=5)
    p = A.bias_shift_distribution(logits, u, [-2.0, 0.0, 2.0])
    assert p.shape == (3, 6, 5)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[1], A.softmax(logits))
    np.testing.assert_allclose(p[2], A.softmax(logits + 2 * u))
    # the token the direction favours most gains probability at +s and loses at -s
    k = int(np.argmax(u - u.mean()))
    assert np.all(p[2, :, k] > p[1, :, k]) and np.all(p[0, :, k] < p[1, :, k])
    with pytest.raises(ParameterError, match="direction"):
        A.bias_shift_distribution(logits, np.ones(4), [1.0])


# --------------------------------------------------------------------------- delta <-> alpha


def test_delta_to_alpha_matches_softmax():
    logits = np.array([0.3, -1.0, 2.0, 0.0])
    p = A.softmax(logits)
    for delta in (-3.0, -0.5, 0.7, 4.0):
        shifted = logits.copy()
        shifted[1] += delta
        alpha = A.delta_to_alpha(delta, p[1])
        assert A.softmax(shifted)[1] == pytest.approx(alpha * p[1])


def test_alpha_to_delta_hand_values():
    # p = 1/4, alpha = 2: delta = log 2 + log(3/4 / (1/2)) = log 3
    assert A.alpha_to_delta(2.0, 0.25) == pytest.approx(np.log(3.0))
    assert A.alpha_to_delta(1.0, 0.6) == pytest.approx(0.0)
    assert A.alpha_to_delta(0.0, 0.5) == -np.inf
    assert A.alpha_to_delta(2.0, 0.5) == np.inf
    out = A.alpha_to_delta(np.array([[0.5], [2.0]]), np.array([0.1, 0.2, 0.4]))
    assert out.shape == (2, 3)


@pytest.mark.parametrize("alpha,p", [(-0.1, 0.5), (2.5, 0.5), (1.0, -0.1), (1.0, 1.0)])
def test_alpha_to_delta_out_of_range(alpha, p):
    with pytest.raises(ParameterError):
        A.alpha_to_delta(alpha, p)


# --------------------------------------------------------------------------- beam coverage


def _fixed(dist):
    dist = np.asarray(dist, dtype=float)
    calls = []

    def next_dist(prefixes):
        calls.append(list(prefixes))
        return np.tile(dist, (len(prefixes), 1))

    return next_dist, calls


def test_beam_coverage_hand_checked_depth_scope():
    f, calls = _fixed([0.6, 0.3, 0.1])
    cov = A.beam_coverage(f, prefix=[7], depth=3, keep=0.5)
    # depth 1: keep ceil(1.5)=2 of 3 -> 0.6 + 0.3
    # depth 2: children 0.36 .18 .06 .18 .09 .03; keep ceil(3)=3 -> .36 + .18 + .18 = .72
    # depth 3: 9 children of (.36, .18, .18); keep 5: .216 .108 .108 .108 .054 -> .594
    np.testing.assert_allclose(cov.kept, [0.9, 0.72, 0.594])
    np.testing.assert_allclose(cov.missed, [0.1, 0.28, 0.406])
    assert cov.branches.tolist() == [2, 3, 5]
    assert cov.depths.tolist() == [1, 2, 3]
    assert not cov.approx
    assert calls[0] == [(7,)]
    assert sorted(calls[1]) == [(7, 0), (7, 1)]


def test_beam_coverage_node_scope():
    f, _ = _fixed([0.6, 0.3, 0.1])
    cov = A.beam_coverage(f, depth=2, keep=0.5, scope="node")
    # each parent keeps its two best children: (0.6 + 0.3) * 0.9
    np.testing.assert_allclose(cov.kept, [0.9, 0.81])
    assert cov.branches.tolist() == [2, 4]


def test_beam_coverage_prefix_dependent_and_capped():
    def f(prefixes):
        # after token 0 the model is sure of token 1; otherwise uniform over 4
        out = np.full((len(prefixes), 4), 0.25)
        for i, p in enumerate(prefixes):
            if p and p[-1] == 0:
                out[i] = [0.0, 1.0, 0.0, 0.0]
        return out

    cov = A.beam_coverage(f, depth=2, keep=0.25)
    # depth 1: keep 1 of 4 (token 0, 0.25); depth 2: children of 0 -> 0.25 on token 1; keep 1
    np.testing.assert_allclose(cov.kept, [0.25, 0.25])
    full = A.beam_coverage(f, depth=2, keep=1.0)
    np.testing.assert_allclose(full.missed, [0.0, 0.0], atol=1e-12)
    capped = A.beam_coverage(f, depth=2, keep=1.0, max_branches=3)
    assert capped.approx and capped.branches.tolist() == [3, 3]


@pytest.mark.parametrize(
    "kwargs,match",
    [({"depth": 0}, "depth"), ({"keep": 0}, "keep"), ({"scope": "x"}, "scope"), ({"max_branches": 0}, "max_branches")],
)
def test_beam_coverage_bad_arguments(kwargs, match):
    f, _ = _fixed([0.5, 0.5])
    with pytest.raises(ParameterError, match=match):
        A.beam_coverage(f, **kwargs)


def test_a_beam_depth_over_the_limit_is_refused_before_any_work(tmp_path):
    """`--beam-depth 1000000000000` once ran for minutes (each level scores up to 4,096 prefixes);
    analyze refuses it against max_beam_depth before it writes a tune or a figure."""
    from folkabc.analysis.report import analyze
    from folkabc.errors import LimitError
    from folkabc.limits import limit
    from folkabc.model import Model

    calls = []
    f, _ = _fixed([0.5, 0.5])
    with pytest.raises(LimitError, match="max_beam_depth"):
        A.beam_coverage(lambda p: calls.append(p) or f(p), depth=limit("max_beam_depth") + 1)
    assert calls == []
    m = Model.random(layers=[8], rng=0)
    for depth in (10**12, True, 0):
        with pytest.raises((LimitError, ParameterError), match="depth"):
            analyze(m, tmp_path / "out", max_length=30, n_ablation=0, beam_depth=depth)
    # the ablation study's options too (they were checked only after its tunes were written)
    for bad, match in (({"n_ablation": 10**12}, "max_batch"), ({"fraction": 5.0}, "fraction"),
                       ({"threshold": -1.0}, "threshold"), ({"period": float("nan")}, "period"),
                       ({"n_ablation": 0, "period": 1.0}, "period")):
        with pytest.raises((LimitError, ParameterError), match=match):
            analyze(m, tmp_path / "out", max_length=30, **{"n_ablation": 2, **bad})
    assert not (tmp_path / "out").exists()  # not even its folder


def test_beam_coverage_bad_next_dist_shape():
    with pytest.raises(ParameterError, match="next_dist"):
        A.beam_coverage(lambda prefixes: np.ones(3) / 3)


# --------------------------------------------------------------------------- figures


def test_figures_reject_bad_shapes_and_paths(tmp_path):
    from folkabc.analysis import figures as F
    from folkabc.errors import RenderError

    with pytest.raises(ParameterError, match="posterior"):
        F.plot_posterior(np.full((3, 4), 0.25), list("abc"))
    with pytest.raises(ParameterError, match="V must"):
        F.plot_softmax(np.zeros((5, 4)), list("abc"))
    with pytest.raises(ParameterError, match="same length"):
        F.plot_ablation(["a", "b"], [0.5], [-1.0, -2.0])
    with pytest.raises(RenderError, match="cannot write figure"):
        F.save_figure(F.new_figure(figsize=(1, 1)), tmp_path / "missing" / "x.png")


def test_posterior_figure_marks_sampled_tokens():
    from folkabc.analysis import figures as F

    post = np.full((4, 5), 0.2)
    fig = F.plot_posterior(post, list("abcde"), steps=list("wxyz"), sampled=[4, 0, 2, 1])
    ax = fig.axes[0]
    marks = [ln for ln in ax.get_lines() if ln.get_label() == "token that followed"]
    assert len(marks) == 1
    assert marks[0].get_xdata().tolist() == [0, 1, 2, 3]
    assert marks[0].get_ydata().tolist() == [4, 0, 2, 1]
    assert [t.get_text() for t in ax.get_xticklabels()] == list("wxyz")
