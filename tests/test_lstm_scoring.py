"""folkabc.model.lstm: the scoring path (``Network.logprobs``) against float64 and the step-by-step path.

``Network.logprobs`` computes the gates with ``exp`` on states scaled by −2 and runs only
the rows still active at each step; generation keeps :class:`Stepper`'s arithmetic. The
two must agree to float32 rounding. The bound used here, ``TOL_EPS`` machine epsilons
relative to ``1 + |log p|``, comes from the rounding of a few operations per gate and per
step (damped by the forget gates): the shipped model on its own tunes stays within about
25 ε, the step-by-step path within about 20 ε; the rest is room for other CPUs' BLAS kernels.
"""

from __future__ import annotations

import numpy as np
import pytest

from folkabc.errors import ParameterError
from folkabc.model import Model, Params, load_model, log_softmax
from folkabc.model import lstm
from folkabc.model.lstm import Network

TOL_EPS = 64


def batch(model: Model, tunes):
    """Padded inputs, targets and lengths (longest first) as ``score_many`` builds them."""
    seqs = sorted((np.append(model._sequence_ids(t), model.end_id) for t in tunes), key=lambda s: -s.size)
    lens = np.array([s.size for s in seqs])
    T = int(lens.max())
    inp = np.full((len(seqs), T), model.start_id, dtype=np.int64)
    tgt = np.zeros((len(seqs), T), dtype=np.int64)
    for r, s in enumerate(seqs):
        inp[r, 1:s.size] = s[:-1]
        tgt[r, :s.size] = s
    return inp, tgt, lens


def forward_logprobs(net: Network, inp, tgt, lens):
    """The step-by-step path: ``forward`` then a full log-softmax."""
    logits, _ = net.forward(inp, lengths=lens)
    return np.take_along_axis(log_softmax(logits), tgt[:, :, None], axis=2)[:, :, 0]


def assert_close_eps(got, ref, mask, dtype):
    eps = np.finfo(dtype).eps
    err = np.abs(got - ref)[mask] / (1 + np.abs(ref[mask]))
    assert err.max() <= TOL_EPS * eps, f"{err.max() / eps:.1f} eps"


@pytest.fixture(scope="module")
def tunes(folkrnn_examples):
    return [blk.split() for blk in folkrnn_examples.strip().split("\n\n") if blk.strip()]


@pytest.fixture(scope="module")
def shipped():
    return load_model()


@pytest.mark.parametrize("layers,scale", [([48, 32, 40], 0.3), ([64, 64], 0.3), ([32], 1.0), ([96, 96, 96], 0.1)])
def test_logprobs_match_float64_within_float32_rounding(tunes, layers, scale):
    m = Model.random(layers=layers, rng=11, scale=scale)
    mix = [g.tokens for g in m.generate(n=12, seed=1, max_length=150)] + tunes + [tunes[0][:3]]
    inp, tgt, lens = batch(m, mix)
    mask = np.arange(inp.shape[1])[None, :] < lens[:, None]
    ref = forward_logprobs(m.astype("float64").network(), inp, tgt, lens)
    got = m.network().logprobs(inp, tgt, lens)
    assert got.dtype == np.float64 and np.all(got[~mask] == 0)
    assert_close_eps(got, ref, mask, np.float32)
    assert_close_eps(forward_logprobs(m.network(), inp, tgt, lens), ref, mask, np.float32)


def test_shipped_model_scores_as_before_within_float32_rounding(shipped, tunes):
    """The shipped 2 × 384 model on its own tunes and the folk-rnn examples: new path, old path, float64."""
    mix = [g.tokens for g in shipped.generate(n=6, seed=1)] + tunes
    inp, tgt, lens = batch(shipped, mix)
    mask = np.arange(inp.shape[1])[None, :] < lens[:, None]
    ref = forward_logprobs(shipped.astype("float64").network(), inp, tgt, lens)
    old = forward_logprobs(shipped.network(), inp, tgt, lens)
    new = shipped.network().logprobs(inp, tgt, lens)
    assert_close_eps(new, ref, mask, np.float32)
    assert_close_eps(old, ref, mask, np.float32)
    assert_close_eps(new, old, mask, np.float32)
    scored = shipped.score_many(mix)
    for r, s in enumerate(sorted(scored, key=lambda s: -len(s.tokens))):
        np.testing.assert_array_equal(s.token_logprobs, new[r, :lens[r]])


def test_float64_model_logprobs_match_to_float64_rounding(tunes):
    m = Model.random(layers=[40, 24], rng=3, scale=0.5, dtype="float64")
    inp, tgt, lens = batch(m, tunes + [tunes[1][:9]])
    mask = np.arange(inp.shape[1])[None, :] < lens[:, None]
    got = m.network().logprobs(inp, tgt, lens)
    assert_close_eps(got, forward_logprobs(m.network(), inp, tgt, lens), mask, np.float64)


def test_chunked_input_projections_equal_one_chunk(monkeypatch, tunes):
    """Input projections taken a few steps at a time (chunk boundaries inside and between steps)."""
    m = Model.random(layers=[24, 16], rng=5, scale=0.4)
    mix = tunes + [t[:k] for k in (1, 5, 17) for t in tunes]
    inp, tgt, lens = batch(m, mix)
    mask = np.arange(inp.shape[1])[None, :] < lens[:, None]
    whole = m.network().logprobs(inp, tgt, lens)
    for rows in (1, 7, 64):
        monkeypatch.setattr(lstm, "_CHUNK_ROWS", rows)
        part = Network(m.params).logprobs(inp, tgt, lens)
        assert_close_eps(part, whole, mask, np.float32)


def test_rows_that_end_early_leave_the_batch_without_changing_others(tunes):
    """A row's log-probabilities do not depend on the other rows of its batch."""
    m = Model.random(layers=[32, 32], rng=2, scale=0.3)
    mix = [tunes[0], tunes[1][:12], tunes[1][:3]]
    inp, tgt, lens = batch(m, mix)
    net = m.network()
    together = net.logprobs(inp, tgt, lens)
    for r in range(len(mix)):
        alone = net.logprobs(inp[r:r + 1, :lens[r]], tgt[r:r + 1, :lens[r]], lens[r:r + 1])
        mask = np.ones((1, lens[r]), bool)
        assert_close_eps(alone, together[r:r + 1, :lens[r]], mask, np.float32)


def test_saturated_gates_stay_finite():
    """Huge pre-activations overflow ``exp`` to inf: the gates are then exactly 0 or 1, never NaN."""
    p = Params.random(n_vocab=6, layers=[5, 4], rng=0, scale=60.0)
    net = Network(p)
    ids = np.array([[0, 1, 2, 3, 4, 5, 0, 1]])
    lp = net.logprobs(ids, np.roll(ids, -1, axis=1))
    ref = forward_logprobs(net, ids, np.roll(ids, -1, axis=1), np.array([8]))
    assert np.all(np.isfinite(lp) | np.isneginf(ref))
    np.testing.assert_allclose(lp, ref, atol=1e-3 * (1 + np.abs(ref).max()))


def test_zero_length_rows_and_bad_lengths():
    net = Network(Params.random(n_vocab=4, layers=[3], rng=0))
    ids = np.zeros((2, 3), dtype=np.int64)
    assert np.array_equal(net.logprobs(ids, ids, np.array([0, 0])), np.zeros((2, 3)))
    assert net.logprobs(ids, ids, np.array([2, 0]))[1].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ParameterError, match="decreasing"):
        net.logprobs(ids, ids, np.array([1, 3]))
    with pytest.raises(ParameterError, match="0..3"):
        net.logprobs(ids, ids, np.array([4, 1]))
    with pytest.raises(ParameterError, match="one shape"):
        net.logprobs(ids, ids[:, :2])
