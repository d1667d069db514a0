"""Hooks: recording, ablation, logit bias (δ and α), forced and mixed inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from folkabc.model import LogitBias, Mix, Model, Params, alpha_to_delta, delta_to_alpha, log_softmax
from test_model import ending_model, read_blocks, reference_from_params

LAYERS = [20, 16, 12]


@pytest.fixture(scope="module")
def model():
    return Model.random(layers=LAYERS, rng=21, scale=0.4)


@pytest.fixture(scope="module")
def tune(folkrnn_examples):
    return read_blocks(folkrnn_examples)[0]


def test_recorded_shapes(model, tune):
    tr = model.run(tune)
    T, V = len(tune) + 1, len(model.vocab)
    assert tr.tokens == ["<s>"] + tune and len(tr) == T
    assert tr.logits.shape == tr.posterior.shape == (T, V)
    assert [h.shape for h in tr.hidden] == [c.shape for c in tr.cell] == [(T, H) for H in LAYERS]
    for g, H in zip(tr.gates, LAYERS):
        assert set(g) == {"input", "forget", "output", "candidate", "candidate_tanh"}
        assert all(a.shape == (T, H) for a in g.values())
    np.testing.assert_allclose(tr.posterior.sum(axis=1), 1.0, atol=1e-5)
    bare = model.run(tune, record=False)
    assert bare.hidden == [] and bare.gates == []
    np.testing.assert_array_equal(bare.posterior, tr.posterior)


def test_recorded_arrays_obey_the_equations(model, tune):
    tr = model.run(tune)
    p = model.params
    for li, lp in enumerate(p.layers):
        g, c, h = tr.gates[li], tr.cell[li], tr.hidden[li]
        c_prev = np.vstack([lp.c0[None], c[:-1]])
        np.testing.assert_allclose(g["candidate_tanh"], np.tanh(g["candidate"]), atol=1e-6)
        np.testing.assert_allclose(c, g["forget"] * c_prev + g["input"] * g["candidate_tanh"], atol=1e-5)
        np.testing.assert_allclose(h, g["output"] * np.tanh(c), atol=1e-6)
        for name in ("input", "forget", "output"):
            assert np.all((g[name] > 0) & (g[name] < 1))
    np.testing.assert_allclose(tr.logits, tr.hidden[-1] @ p.W_out + p.b_out, atol=1e-5)


def test_all_last_layer_units_ablated_gives_softmax_of_output_bias(model, tune):
    tr = model.run(tune, ablate={2: range(LAYERS[2])})
    expected = np.exp(log_softmax(model.params.b_out))
    np.testing.assert_allclose(tr.posterior, np.broadcast_to(expected, tr.posterior.shape), atol=1e-7)
    tr2 = model.run(tune, ablate={-1: np.ones(LAYERS[2], dtype=bool)})
    np.testing.assert_allclose(tr2.posterior, tr.posterior, atol=1e-7)
    g = model.generate(n=3, seed=1, max_length=15, ablate={2: range(LAYERS[2])}, record=True)
    for x in g:
        np.testing.assert_allclose(x.trace.posterior, np.broadcast_to(expected, x.trace.posterior.shape), atol=1e-6)


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_ablation_equals_cutting_outgoing_weights(model, tune, layer):
    """Ablating units equals a model whose rows for those units' outputs are zero."""
    units = np.random.default_rng(layer).choice(LAYERS[layer], size=LAYERS[layer] // 3, replace=False)
    arrays = {k: v.copy() for k, v in model.params.to_arrays().items()}
    arrays[f"layer{layer}.W_h"][units] = 0
    nxt = f"layer{layer + 1}.W_x" if layer + 1 < len(LAYERS) else "softmax.W"
    arrays[nxt][units] = 0
    cut = Params.from_arrays(arrays)
    ids = list(model.encode(tune)) + [model.end_id]
    ref = reference_from_params(cut, [model.start_id] + ids[:-1], ids)
    tr = model.run(tune, ablate={layer: units})
    got = np.log(tr.posterior[np.arange(len(ids)), ids].astype(np.float64))
    np.testing.assert_allclose(got, ref, atol=1e-5)
    assert not np.allclose(tr.posterior, model.run(tune).posterior, atol=1e-4)
    # the ablated units still compute; only their influence is gone
    assert np.abs(tr.hidden[layer][:, units]).max() > 0


def test_ablated_generation_is_reproducible_and_differs():
    m = ending_model(layers=(32, 32))
    units = list(range(0, 32, 3))
    a = m.generate(n=4, seed=3, max_length=40, ablate={1: units})
    b = m.generate(n=4, seed=3, max_length=40, ablate={1: units})
    c = m.generate(n=4, seed=3, max_length=40)
    assert [g.tokens for g in a] == [g.tokens for g in b]
    assert [g.tokens for g in a] != [g.tokens for g in c]


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5, 2.0, 5.0])
def test_alpha_bias_multiplies_probability(model, tune, alpha):
    tok = "|"
    k = model.vocab.id(tok)
    p0 = model.run(tune).posterior.astype(np.float64)
    alpha_ok = alpha * p0[:, k].max() < 1
    assert alpha_ok
    p1 = model.run(tune, logit_bias=LogitBias(alpha={tok: alpha})).posterior.astype(np.float64)
    np.testing.assert_allclose(p1[:, k], alpha * p0[:, k], rtol=1e-6, atol=1e-9)
    others = np.delete(np.arange(len(model.vocab)), k)
    scale = (1 - alpha * p0[:, k]) / (1 - p0[:, k])
    np.testing.assert_allclose(p1[:, others], p0[:, others] * scale[:, None], rtol=2e-6, atol=1e-9)


def test_alpha_bias_on_several_tokens_and_with_temperature(model, tune):
    alphas = {"C": 3.0, "D": 0.5, "M:4/4": 0.0}
    ids = [model.vocab.id(t) for t in alphas]
    for temp in (1.0, 0.7):
        p0 = model.run(tune, temperature=temp).posterior.astype(np.float64)
        p1 = model.run(tune, temperature=temp, logit_bias=LogitBias(alpha=alphas)).posterior.astype(np.float64)
        np.testing.assert_allclose(p1[:, ids], p0[:, ids] * np.array(list(alphas.values())), rtol=1e-6, atol=1e-9)


def test_delta_bias_forms_agree_and_follow_the_formula(model, tune):
    V = len(model.vocab)
    k = model.vocab.id("K:Cdor")
    vec = np.zeros(V)
    vec[k] = 1.5
    a = model.run(tune, logit_bias=vec)
    b = model.run(tune, logit_bias={"K:Cdor": 1.5})
    c = model.run(tune, logit_bias=LogitBias(delta={k: 1.5}))
    np.testing.assert_array_equal(a.posterior, b.posterior)
    np.testing.assert_array_equal(a.posterior, c.posterior)
    p0 = model.run(tune).posterior.astype(np.float64)[:, k]
    ratio = a.posterior.astype(np.float64)[:, k] / p0
    np.testing.assert_allclose(ratio, delta_to_alpha(1.5, p0), rtol=1e-5)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 0.999), st.floats(0.0, 1.0))
@example(p=2.225073858507203e-309, frac=0.375)  # a huge delta once overflowed e^delta into nan
def test_delta_alpha_are_inverses(p, frac):
    alpha = frac / p if p > 0 else frac * 10
    if alpha * p >= 1 or alpha == 0:
        return
    d = alpha_to_delta(alpha, p)
    assert delta_to_alpha(d, p) == pytest.approx(alpha, rel=1e-9, abs=1e-12)


def test_delta_alpha_vectorised_and_exact_on_softmax():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=10)
    p = np.exp(log_softmax(logits))
    deltas = np.linspace(-3, 3, 10)
    alphas = delta_to_alpha(deltas, p)
    for n in range(10):
        z = logits.copy()
        z[n] += deltas[n]
        assert np.exp(log_softmax(z))[n] / p[n] == pytest.approx(alphas[n], rel=1e-12)
    np.testing.assert_allclose(alpha_to_delta(alphas, p), deltas, atol=1e-10)
    assert alpha_to_delta(0.0, 0.3) == -np.inf


def test_one_hot_inputs_equal_tokens(model, tune):
    ids = np.concatenate([[model.start_id], model.encode(tune)])
    x = np.eye(len(model.vocab), dtype=np.float32)[ids]
    a = model.run(tune)
    b = model.run(tune, inputs=x)
    np.testing.assert_allclose(b.posterior, a.posterior, atol=1e-6)
    c = model.run(None, inputs=x)
    assert c.tokens == a.tokens


def test_mixed_input_is_linear_in_the_first_layer(model, tune):
    """At the first mixed step, layer 0's pre-activations are the mix of the two tokens'."""
    t = 6
    ids = np.concatenate([[model.start_id], model.encode(tune)])
    V = len(model.vocab)
    other = model.vocab.id("c'")
    x = np.eye(V, dtype=np.float32)[ids]
    x_other = x.copy()
    x_other[t] = 0
    x_other[t, other] = 1
    mixed = x.copy()
    mixed[t] = 0.7 * x[t] + 0.3 * x_other[t]
    a, b, m = (model.run(tune, inputs=z) for z in (x, x_other, mixed))
    np.testing.assert_allclose(m.posterior[:t], a.posterior[:t], atol=1e-6)
    np.testing.assert_allclose(m.gates[0]["candidate"][t],
                               0.7 * a.gates[0]["candidate"][t] + 0.3 * b.gates[0]["candidate"][t], atol=1e-5)
    assert np.abs(m.posterior[t] - a.posterior[t]).max() > 1e-6
    assert np.abs(m.hidden[0][t] - a.hidden[0][t]).max() > 1e-3


def test_generation_with_mix_is_reproducible_and_feeds_two_hot():
    m = ending_model(layers=(24, 24))
    plain = m.generate(n=3, seed=10, max_length=40)
    zero = m.generate(n=3, seed=10, max_length=40, mix=Mix(weight=0.0))
    assert [g.tokens for g in zero] == [g.tokens for g in plain]
    mix = Mix(weight=0.3, tokens="pitch", start=1)
    a = m.generate(n=3, seed=10, max_length=40, mix=mix, record=True)
    b = m.generate(n=3, seed=10, max_length=40, mix=mix)
    assert [g.tokens for g in a] == [g.tokens for g in b]
    assert [g.tokens for g in a] != [g.tokens for g in plain]
    g = next(g for g in a if len(g.tokens) > 5)
    # up to the first mixed input (body position 1 = token 3), the run over the tokens agrees
    tr = m.run(g.tokens)
    np.testing.assert_allclose(g.trace.posterior[:4], tr.posterior[:4], atol=1e-5)
    assert not np.allclose(g.trace.posterior[4:], tr.posterior[4:len(g.trace.posterior)], atol=1e-4)


def test_forced_inputs_change_only_what_follows(model, tune):
    ids = np.concatenate([[model.start_id], model.encode(tune)])
    x = np.eye(len(model.vocab), dtype=np.float32)[ids]
    x[10] = 0  # a silent input: nothing fed at step 10
    tr = model.run(tune, inputs=x)
    base = model.run(tune)
    np.testing.assert_allclose(tr.posterior[:10], base.posterior[:10], atol=1e-6)
    assert np.abs(tr.posterior[10] - base.posterior[10]).max() > 1e-6
    assert np.abs(tr.hidden[0][10] - base.hidden[0][10]).max() > 1e-3


def test_beam_search_runs_in_the_ablated_and_biased_model():
    """Beam search honours ablate and logit_bias: width 1 is the greedy path of the changed model
    (generate with top_k=1 and the same hooks), and the hooks change what is found."""
    from folkabc.model import load_model

    m = load_model()
    hooks = {"ablate": {0: list(range(0, m.layers[0], 2))}, "logit_bias": {"z": 3.0, "|": -1.0}}
    [(beam_tokens, beam_lp)] = m.beam_search(prefix="M:6/8 K:Cmaj", width=1, max_length=60, **hooks)
    [greedy] = m.generate(meter="M:6/8", mode="K:Cmaj", top_k=1, seed=0, max_length=60, **hooks)
    assert beam_tokens[:len(greedy.tokens)] == greedy.tokens
    assert beam_lp == pytest.approx(greedy.logprob, abs=1e-3)
    [(plain, _)] = m.beam_search(prefix="M:6/8 K:Cmaj", width=1, max_length=60)
    assert plain != beam_tokens
    # a bias of 20 nats makes a rest the best next token everywhere (whatever the model)
    [(rests, _)] = m.beam_search(prefix="M:6/8 K:Cmaj", width=1, max_length=14, logit_bias={"z": 20.0})
    assert rests == ["M:6/8", "K:Cmaj"] + ["z"] * 12 and "z" not in plain[:4]
    # and through generate(beam=...)
    [g] = m.generate(meter="M:6/8", mode="K:Cmaj", beam=1, max_length=60, **hooks)
    assert g.tokens == [t for t in beam_tokens if t != "</s>"]
