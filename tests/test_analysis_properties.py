"""Property tests for folkabc.analysis.arrays: round trips and invariants.

No deadlines: the machines these run on are shared, and a slow example is not a wrong one.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from folkabc.analysis import arrays as A

probs = st.floats(min_value=1e-6, max_value=1 - 1e-6)
finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)


@settings(deadline=None)
@given(delta=st.floats(min_value=-20, max_value=20), p=probs)
def test_delta_alpha_round_trip(delta, p):
    alpha = A.delta_to_alpha(delta, p)
    assert 0 <= alpha <= 1 / p * (1 + 1e-12)
    back = A.alpha_to_delta(min(alpha, 1 / p), p)
    # where alpha saturates at 1/p (or 0) the inverse is ±inf or very large; compare in alpha space
    np.testing.assert_allclose(A.delta_to_alpha(back, p), alpha, rtol=1e-7, atol=1e-12)
    if abs(delta) < 10 and p < 0.99:
        np.testing.assert_allclose(back, delta, rtol=1e-6, atol=1e-6)


@settings(deadline=None)
@given(frac=st.floats(min_value=0.0, max_value=1.0), p=probs)
def test_alpha_delta_round_trip(frac, p):
    alpha = frac / p  # anywhere in [0, 1/p]
    delta = A.alpha_to_delta(alpha, p)
    np.testing.assert_allclose(A.delta_to_alpha(delta, p), alpha, rtol=1e-6, atol=1e-9)


@settings(deadline=None)
@given(
    delta=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-8, 8)),
    p=hnp.arrays(np.float64, st.integers(1, 6), elements=probs),
)
def test_delta_alpha_vectorised_matches_scalar(delta, p):
    grid = A.delta_to_alpha(delta[:, None], p[None, :])
    assert grid.shape == (len(delta), len(p))
    for i, d in enumerate(delta):
        for j, q in enumerate(p):
            assert grid[i, j] == A.delta_to_alpha(float(d), float(q))


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 6)), elements=finite))
def test_gramian_invariants(x):
    g = A.gramian(x)
    assert g.shape == (x.shape[0],) * 2
    np.testing.assert_array_equal(g, g.T)
    np.testing.assert_array_equal(np.diag(g), 1.0)
    assert np.all(np.abs(g) <= 1.0)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 8)), elements=finite))
def test_svd_reconstructs(V):
    U, s, Wt = A.softmax_svd(V)
    np.testing.assert_allclose(A.svd_reconstruct(U, s, Wt), V, atol=1e-9 * (1 + np.abs(V).max()))


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda n: hnp.arrays(np.float64, (n,), elements=st.floats(0.01, 1.0))
    ),
    st.integers(1, 3),
    st.floats(0.1, 1.0),
)
def test_beam_coverage_monotone(weights, depth, keep):
    dist = weights / weights.sum()
    cov = A.beam_coverage(lambda prefixes: np.tile(dist, (len(prefixes), 1)), depth=depth, keep=keep)
    # the mass missed never shrinks with depth, and keeping everything misses nothing
    assert np.all(np.diff(cov.missed) >= -1e-12)
    assert np.all((cov.missed >= 0) & (cov.missed <= 1))
    full = A.beam_coverage(lambda prefixes: np.tile(dist, (len(prefixes), 1)), depth=depth, keep=1.0)
    np.testing.assert_allclose(full.missed, 0.0, atol=1e-12)
