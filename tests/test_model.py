"""folkabc.model: the network equations, scoring, generation, beam search.

The reference implementation here is deliberately plain (float64, one gate at a time,
file-layout weights) so that it checks the rearranged fast network independently.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from folkabc.model import Model, Params, log_softmax
from folkabc.vocab import VOCAB


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_logprobs(gates_per_layer, W_out, b_out, init, ids_in, ids_target, n_vocab, embed=None):
    """Plain folk-rnn equations.

    gates_per_layer: per layer a dict {"i": (W_x, W_h, b), "f": ..., "c": ..., "o": ...}
    init: per layer (h0, c0). ids_in: inputs ('<s>' first); ids_target: next tokens.
    embed: optional (V, D) input embedding (the input is the token's row).
    """
    hs = [np.asarray(h, np.float64).copy() for h, _ in init]
    cs = [np.asarray(c, np.float64).copy() for _, c in init]
    out = []
    for tok, nxt in zip(ids_in, ids_target):
        x = np.zeros(n_vocab)
        x[tok] = 1.0
        if embed is not None:
            x = np.asarray(embed, np.float64)[tok]
        for li, g in enumerate(gates_per_layer):
            def pre(name):
                Wx, Wh, b = (np.asarray(a, np.float64) for a in g[name])
                return x @ Wx + hs[li] @ Wh + b
            i, f, o = _sig(pre("i")), _sig(pre("f")), _sig(pre("o"))
            cs[li] = f * cs[li] + i * np.tanh(pre("c"))
            hs[li] = o * np.tanh(cs[li])
            x = hs[li]
        logits = x @ np.asarray(W_out, np.float64) + np.asarray(b_out, np.float64)
        logits -= logits.max()
        out.append(logits[nxt] - np.log(np.exp(logits).sum()))
    return np.array(out)


def reference_from_params(params: Params, ids_in, ids_target):
    gates = []
    for lp in params.layers:
        H = lp.size
        gates.append({g: (lp.W_x[:, k * H:(k + 1) * H], lp.W_h[:, k * H:(k + 1) * H], lp.b[k * H:(k + 1) * H])
                      for k, g in enumerate("ifco")})
    init = [(lp.h0, lp.c0) for lp in params.layers]
    return reference_logprobs(gates, params.W_out, params.b_out, init, ids_in, ids_target, params.n_vocab)


def read_blocks(text: str) -> list[list[str]]:
    """folk-rnn token blocks (meter, mode, body lines) → token lists."""
    return [blk.split() for blk in text.strip().split("\n\n") if blk.strip()]


def ending_model(layers=(32, 24), rng=0, end_bias=3.0) -> Model:
    """A random model that ends tunes after a handful of tokens (bias on '</s>')."""
    m = Model.random(layers=layers, rng=rng, scale=0.3)
    m.params.b_out[m.end_id] += end_bias
    return m


@pytest.fixture(scope="module")
def model():
    return Model.random(layers=[48, 32, 40], rng=11, scale=0.3)


@pytest.fixture(scope="module")
def tunes(folkrnn_examples):
    blocks = read_blocks(folkrnn_examples)
    assert len(blocks) >= 2
    return blocks


def test_published_v2_parameter_count():
    m = Model.random(layers=[512, 512, 512], rng=0)
    assert m.params.n_params == 5_599_881
    assert m.params.W_out.size + m.params.b_out.size == 70_281


def test_score_equals_reference_on_real_tunes(model, tunes):
    for toks in tunes + [t[:20] for t in tunes]:
        s = model.score(toks)
        ids = list(model.encode(toks)) + [model.end_id]
        ref = reference_from_params(model.params, [model.start_id] + ids[:-1], ids)
        assert s.tokens == toks + ["</s>"]
        np.testing.assert_allclose(s.token_logprobs, ref, atol=1e-5, rtol=0)
        assert s.nll == pytest.approx(-ref.sum(), abs=1e-4)
        assert s.perplexity == pytest.approx(np.exp(-ref.mean()), rel=1e-5)


def test_float64_model_matches_reference_tightly(model, tunes):
    m64 = model.astype("float64")
    toks = tunes[1]
    ids = list(m64.encode(toks)) + [m64.end_id]
    ref = reference_from_params(m64.params, [m64.start_id] + ids[:-1], ids)
    np.testing.assert_allclose(m64.score(toks).token_logprobs, ref, atol=1e-10, rtol=0)


def test_score_explicit_end_and_prefix(model, tunes):
    toks = tunes[0]
    a = model.score(toks)
    b = model.score(toks + ["</s>"])
    c = model.score(toks, end=False)
    np.testing.assert_array_equal(a.token_logprobs, b.token_logprobs)
    np.testing.assert_allclose(c.token_logprobs, a.token_logprobs[:-1], atol=1e-6)
    assert c.tokens == toks


def test_surprising_tokens_are_the_least_likely(model, tunes):
    s = model.score(tunes[0])
    worst = s.surprising(5)
    assert len(worst) == 5
    lps = [lp for _, _, lp in worst]
    assert lps == sorted(lps)
    assert lps[0] == pytest.approx(s.token_logprobs.min())
    for pos, tok, lp in worst:
        assert s.tokens[pos] == tok and s.token_logprobs[pos] == lp
    assert max(lps) <= np.sort(s.token_logprobs)[4] + 1e-12


def test_batched_scoring_equals_one_at_a_time(model, tunes):
    many = tunes + [t[: 7 + 13 * k] for k, t in itertools.product(range(5), tunes)]
    batched = model.score_many(many, batch_size=4)
    for toks, sc in zip(many, batched):
        single = model.score(toks)
        assert sc.tokens == single.tokens
        np.testing.assert_allclose(sc.token_logprobs, single.token_logprobs, atol=1e-5, rtol=0)


def test_scoring_accepts_ids_strings_and_leading_start(model, tunes):
    toks = tunes[1]
    a = model.score(toks).token_logprobs
    np.testing.assert_array_equal(model.score(" ".join(toks)).token_logprobs, a)
    np.testing.assert_array_equal(model.score(["<s>"] + toks).token_logprobs, a)
    np.testing.assert_array_equal(model.score(model.encode(toks)).token_logprobs, a)


def test_model_vocabulary_order_is_its_own():
    """A model whose table orders tokens differently scores by name, not by folkabc id."""
    perm = np.random.default_rng(3).permutation(len(VOCAB))
    toks = [VOCAB.token(int(i)) for i in perm]
    m = Model.random(vocab=toks, layers=[16], rng=5, scale=0.5)
    tune = ["M:4/4", "K:Cmaj", "|:", "G,", "C", "C", "2", ":|"]
    ids = [m.vocab.id(t) for t in tune] + [m.vocab.id("</s>")]
    ref = reference_from_params(m.params, [m.vocab.id("<s>")] + ids[:-1], ids)
    np.testing.assert_allclose(m.score(tune).token_logprobs, ref, atol=1e-5)
    assert m.vocab.token(m.encode(["C"])[0]) == "C"
    assert m.vocab.id("C") != VOCAB.id("C")


def test_same_seed_same_tune_and_batch_equals_single():
    m = ending_model()
    batch = m.generate(n=12, seed=1234, max_length=60)
    again = m.generate(n=12, seed=1234, max_length=60)
    assert [g.tokens for g in batch] == [g.tokens for g in again]
    assert [g.seed for g in batch] == list(range(1234, 1246))
    assert len({tuple(g.tokens) for g in batch}) > 6  # different tunes in one batch
    for g in batch:
        single = m.generate(n=1, seed=g.seed, max_length=60)[0]
        assert single.tokens == g.tokens
        assert single.ended == g.ended
        assert single.logprob == pytest.approx(g.logprob, abs=1e-4)


def test_generator_seed_is_reproducible():
    m = ending_model()
    a = m.generate(n=3, seed=np.random.default_rng(9), max_length=40)
    b = m.generate(n=3, seed=np.random.default_rng(9), max_length=40)
    assert [g.tokens for g in a] == [g.tokens for g in b]
    assert a[0].seed == b[0].seed


def test_generated_logprob_equals_score():
    m = ending_model()
    gens = m.generate(n=20, seed=5, max_length=80)
    ended = [g for g in gens if g.ended]
    assert len(ended) >= 15
    for g in ended:
        assert g.logprob == pytest.approx(-m.score(g.tokens).nll, abs=1e-4)
    for g in gens:
        if not g.ended:
            assert len(g.tokens) == 80
            assert g.logprob == pytest.approx(float(m.score(g.tokens, end=False).token_logprobs.sum()), abs=1e-4)


def test_meter_mode_prime_are_forced():
    m = ending_model()
    prime = ["|:", "G,", "C", "C", "2"]
    gens = m.generate(n=5, meter="6/8", mode="Cdor", prime=prime, seed=3, max_length=50)
    for g in gens:
        assert g.tokens[:7] == ["M:6/8", "K:Cdor"] + prime
        assert g.meter == "M:6/8" and g.mode == "K:Cdor" and g.body[:5] == prime
    assert m.generate(meter="M:3/4", mode="K:Cmix", seed=0, max_length=5)[0].tokens[:2] == ["M:3/4", "K:Cmix"]
    assert m.generate(mode="min", seed=0, max_length=5)[0].tokens[0] == "K:Cmin"


def test_top_k_one_is_greedy(model):
    g = model.generate(seed=0, top_k=1, max_length=25, meter="4/4")[0]
    tr = model.run(g.tokens)
    greedy = [model.vocab.token(int(i)) for i in np.argmax(np.where(
        np.arange(len(model.vocab)) == model.start_id, -np.inf, tr.posterior[:-1]), axis=1)]
    assert g.tokens[1:] == greedy[1:]


def test_top_p_and_banned_restrict_the_choice(model):
    banned = ["|", "C", "</s>"]
    gens = model.generate(n=6, seed=2, max_length=60, banned=banned, top_p=0.5)
    for g in gens:
        assert not g.ended and len(g.tokens) == 60
        assert not set(g.tokens) & set(banned) and "<s>" not in g.tokens
        tr = model.run(g.tokens)
        for t, tok in enumerate(g.tokens):
            p = tr.posterior[t].astype(np.float64).copy()
            p[[model.vocab.id(b) for b in banned] + [model.start_id]] = 0
            order = np.argsort(-p, kind="stable")
            rank = int(np.flatnonzero(order == model.vocab.id(tok))[0])
            assert p[order[:rank]].sum() < 0.5 * p.sum() + 1e-6


def test_temperature_divides_logits_and_sharpens(model):
    toks = "M:4/4 K:Cmaj |: C D E".split()
    np.testing.assert_allclose(model.run(toks, temperature=0.5).logits, model.run(toks).logits / 0.5, rtol=1e-6)
    cold = model.generate(n=8, seed=4, temperature=1e-4, max_length=30)
    greedy = model.generate(n=1, seed=99, top_k=1, max_length=30)[0]
    assert all(g.tokens == greedy.tokens for g in cold)


def test_record_trace_equals_run():
    m = ending_model()
    g = m.generate(seed=8, max_length=40, record=True)[0]
    tr = m.run(g.tokens)
    assert g.trace.tokens == ["<s>"] + g.tokens == tr.tokens
    np.testing.assert_allclose(g.trace.posterior, tr.posterior, atol=1e-5)
    for li in range(len(m.layers)):
        np.testing.assert_allclose(g.trace.hidden[li], tr.hidden[li], atol=1e-5)
        np.testing.assert_allclose(g.trace.gates[li]["forget"], tr.gates[li]["forget"], atol=1e-5)


def _all_scores(m: Model, max_length: int):
    """Exhaustive: every sequence of length ≤ max_length, with its log-probability."""
    body = [t for t in m.vocab.tokens if t not in ("<s>", "</s>")]
    out = []
    for n in range(max_length):  # ended: at most max_length - 1 tokens, then '</s>'
        for seq in itertools.product(body, repeat=n):
            out.append((list(seq) + ["</s>"], float(m.score(list(seq)).token_logprobs.sum())))
    for seq in itertools.product(body, repeat=max_length):  # cut at max_length, still open
        out.append((list(seq), float(m.score(list(seq), end=False).token_logprobs.sum())))
    return sorted(out, key=lambda x: -x[1])


def test_beam_search_exhaustive_on_tiny_vocabulary():
    m = Model.random(vocab=["<s>", "</s>", "C", "D", "|"], layers=[6], rng=2, scale=1.5)
    truth = _all_scores(m, 3)
    got = m.beam_search(width=len(truth), max_length=3)
    assert [t for t, _ in got] == [t for t, _ in truth]
    np.testing.assert_allclose([lp for _, lp in got], [lp for _, lp in truth], atol=1e-5)


def test_beam_search_is_sorted_and_equals_score(model):
    res = model.beam_search(prefix="M:4/4 K:Cmaj", width=6, max_length=12)
    assert len(res) == 6
    lps = [lp for _, lp in res]
    assert lps == sorted(lps, reverse=True)
    for toks, lp in res:
        assert toks[:2] == ["M:4/4", "K:Cmaj"]
        assert lp == pytest.approx(float(model.score(toks, end=False).token_logprobs.sum()), abs=1e-4)
    gens = model.generate(n=3, beam=6, meter="4/4", mode="Cmaj", max_length=12)
    assert [g.logprob for g in gens] == pytest.approx(lps[:3])


def test_beam_beats_or_ties_greedy():
    m = ending_model(rng=4)
    greedy = m.generate(seed=0, top_k=1, max_length=30)[0]
    best = m.beam_search(width=8, max_length=30)[0]
    assert best[1] >= greedy.logprob - 1e-6


def test_log_softmax_handles_minus_inf():
    lp = log_softmax(np.array([[0.0, -np.inf, 0.0]]))
    assert lp[0, 1] == -np.inf and np.allclose(np.exp(lp).sum(), 1)


def test_forced_tokens_at_later_positions():
    m = ending_model(end_bias=-2.0)
    gens = m.generate(n=4, seed=6, meter="4/4", mode="Cmaj", max_length=30, force={5: "|", 9: ":|"})
    for g in gens:
        if len(g.tokens) > 9:
            assert g.tokens[5] == "|" and g.tokens[9] == ":|"
    g = m.generate(seed=6, meter="4/4", mode="Cmaj", max_length=30, force={4: "</s>"}, banned=["</s>"])[0]
    assert g.ended and len(g.tokens) == 4
    assert g.logprob == pytest.approx(-m.score(g.tokens).nll, abs=1e-4)
    # a forced position uses up its random number: forcing what the model drew changes nothing
    free = m.generate(seed=6, meter="4/4", mode="Cmaj", max_length=8, banned=["</s>"])[0]
    forced = m.generate(seed=6, meter="4/4", mode="Cmaj", max_length=8, banned=["</s>"],
                        force={2: free.tokens[2]})[0]
    assert forced.tokens == free.tokens


def test_real_collection_batched_scores_and_reference(model):
    """O'Neill's 1850 (music21): batched scores equal single ones and the reference."""
    from conftest import music21_abc_paths

    from folkabc.tokens import tokenize

    paths = music21_abc_paths("oneills1850")
    if not paths:
        pytest.skip("music21's oneills1850 collection is not installed")
    tunes = [t.tokens for p in paths[:2] for t in tokenize(p.read_text(encoding="latin-1")) if t.in_vocab]
    assert len(tunes) >= 80
    batched = model.score_many(tunes)
    for toks, sc in list(zip(tunes, batched))[::9]:
        np.testing.assert_allclose(sc.token_logprobs, model.score(toks).token_logprobs, atol=1e-5)
    for toks, sc in list(zip(tunes, batched))[:3]:
        ids = list(model.encode(toks)) + [model.end_id]
        ref = reference_from_params(model.params, [model.start_id] + ids[:-1], ids)
        np.testing.assert_allclose(sc.token_logprobs, ref, atol=1e-5)
    assert sum(len(s.tokens) for s in batched) == sum(len(t) + 1 for t in tunes)


_BODY = [t for t in VOCAB.tokens if t not in ("<s>", "</s>")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_BODY), min_size=0, max_size=40), st.integers(1, 5))
def test_run_score_and_batches_agree(toks, batch_size):
    m = _PROP_MODEL
    s = m.score(toks)
    tr = m.run(toks)
    ids = list(m.encode(toks)) + [m.end_id]
    np.testing.assert_allclose(np.exp(s.token_logprobs), tr.posterior[np.arange(len(ids)), ids], rtol=1e-4)
    np.testing.assert_allclose(m.score(toks, end=False).token_logprobs, s.token_logprobs[:-1], atol=1e-6)
    many = m.score_many([toks, toks[: len(toks) // 2], toks[::-1]], batch_size=batch_size)
    np.testing.assert_allclose(many[0].token_logprobs, s.token_logprobs, atol=1e-5)


_PROP_MODEL = Model.random(layers=[12, 9], rng=17, scale=0.5)


def test_record_traces_of_a_batch_equal_their_runs():
    """Tunes leave the batch at different steps; each keeps its own rows of every recorded step."""
    m = ending_model()
    gens = m.generate(n=4, seed=3, max_length=30, record=True)
    assert len({len(g.tokens) for g in gens}) > 1
    for g in gens:
        tr = m.run(g.tokens)
        assert g.trace.tokens == ["<s>"] + g.tokens == tr.tokens
        np.testing.assert_allclose(g.trace.posterior, tr.posterior, atol=1e-5)
        np.testing.assert_allclose(g.trace.logits, tr.logits, atol=1e-4)
        for li in range(len(m.layers)):
            np.testing.assert_allclose(g.trace.hidden[li], tr.hidden[li], atol=1e-5)
            np.testing.assert_allclose(g.trace.cell[li], tr.cell[li], atol=1e-5)
            for name, a in tr.gates[li].items():
                np.testing.assert_allclose(g.trace.gates[li][name], a, atol=1e-5)
