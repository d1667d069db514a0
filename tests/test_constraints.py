"""Constrained decoding (folkabc.model.constraints) with the shipped default model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from folkabc.analysis.stats import two_repeated_parts
from folkabc.errors import FolkabcError, ParameterError
from folkabc.model import Model, load_model
from folkabc.model.constraints import (BarsConstraint, FormConstraint, GrammarConstraint, make_constraint,
                                       parse_form)
from folkabc.tokens import detokenize
from folkabc.validate import check
from folkabc.validate.peer import abc2midi_bar_warnings

SEED = 70000  # seeds 70000-79999: these tests only


@pytest.fixture(scope="module")
def model():
    return load_model()


def _readable(tokens) -> bool:
    try:
        check(list(tokens))
        detokenize(list(tokens))
    except FolkabcError:
        return False
    return True


def _abc2midi_clean(tunes) -> list[bool]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.abc"
        path.write_text("".join(detokenize(list(t), title=f"t{k}", index=k + 1).rstrip("\n") + "\n\n"
                                for k, t in enumerate(tunes)), encoding="utf-8")
        warn = abc2midi_bar_warnings(path, timeout=600)
    return [not warn.get(k) for k in range(len(tunes))]


# -- the automata alone ------------------------------------------------------------------------
def _walk(con, model, rng, steps=400):
    """A random walk over allowed ids: never a dead end."""
    s = con.start()
    ids = []
    for _ in range(steps):
        ok = con.allowed(s)
        assert ok.any(), (con.kind, model.vocab.decode(ids))
        assert not ok[model.start_id]
        i = int(rng.choice(np.flatnonzero(ok)))
        if i == model.end_id:
            return ids, True
        ids.append(i)
        s = con.advance(s, i)
    return ids, False


@pytest.mark.parametrize("kind", ["grammar", "bars", "form"])
def test_random_walks_have_no_dead_end_and_stay_valid(model, kind):
    con = make_constraint(model.vocab, kind, max_length=160 if kind == "bars" else None)
    rng = np.random.default_rng(1)
    ended = 0
    for _ in range(150):
        ids, done = _walk(con, model, rng, steps=160 if kind == "bars" else 2000)
        toks = model.vocab.decode(ids)
        assert _readable(toks), toks
        if kind != "grammar" and done:
            assert check(toks, strict=True)[0].ok, toks
        ended += done
    assert ended > 0


def test_grammar_rules(model):
    g = GrammarConstraint(model.vocab, model.start_id, model.end_id)
    ix = model.vocab.index

    def state(text):
        s = g.start()
        for t in text.split():
            s = g.advance(s, ix[t])
        return s

    ok = g.allowed(state("M:4/4 K:Cmaj"))
    assert not ok[ix["2"]] and not ok[ix[">"]] and not ok[ix["]"]] and not ok[model.end_id]
    ok = g.allowed(state("M:4/4 K:Cmaj c >"))  # the second note of a broken rhythm must come
    assert ok[ix["d"]] and not ok[ix["|"]] and not ok[model.end_id] and not ok[ix["2"]]
    ok = g.allowed(state("M:4/4 K:Cmaj (3 c"))  # a tuplet needs its notes
    assert not ok[ix["|"]] and not ok[model.end_id] and not ok[ix[">"]]
    ok = g.allowed(state("M:4/4 K:Cmaj ["))
    assert not ok[ix["]"]] and not ok[ix["|"]]
    with pytest.raises(ParameterError, match="breaks the grammar constraint"):
        g.advance(state("M:4/4 K:Cmaj"), ix["/2"])


def test_bars_rules(model):
    b = BarsConstraint(model.vocab, model.start_id, model.end_id)
    ix = model.vocab.index

    def allowed(text):
        s = b.start()
        for t in text.split():
            s = b.advance(s, ix[t])
        return b.allowed(s)

    ok = allowed("M:6/8 K:Cmaj c 2 c c 2")  # 5 of 6 eighths: only durations that fit, no bar line
    assert not ok[ix["|"]] and not ok[ix["4"]] and ok[ix["c"]]
    ok = allowed("M:6/8 K:Cmaj c 6 | c 2 c c 2 c")
    assert ok[ix["|"]] and ok[ix[":|"]] and not ok[ix["c"]] and not ok[ix["2"]] and ok[model.end_id]
    ok = allowed("M:6/8 K:Cmaj c 6 | c 6 |1 c 6 :|")  # a first ending is followed by the second
    assert [model.vocab.token(i) for i in np.flatnonzero(ok)] == ["|2"]


def test_parse_form_refuses_other_spellings():
    assert parse_form("aabbcc") == (True, True, True)
    for bad in ("ABAB", "BA", "AAA", "", "A1"):
        with pytest.raises(ParameterError):
            parse_form(bad)
    with pytest.raises(ParameterError, match="constrain"):
        make_constraint(Model.random(layers=[4], rng=0).vocab, "meter")


# -- generation with the shipped model ---------------------------------------------------------
def test_generate_small_batch_every_kind_and_cost(model):
    for kw in ({"constrain": "grammar"}, {"constrain": "bars"}, {"form": "AB", "part_bars": 4}):
        gens = model.generate(n=16, seed=SEED, **kw)
        for g in gens:
            assert g.cost is not None and g.cost.steps > 0 and g.cost.total >= 0
            assert g.cost.mean == pytest.approx(g.cost.total / g.cost.steps)
            assert "cost" in g.to_dict()
            assert _readable(g.tokens), g.tokens
            if "constrain" not in kw or kw["constrain"] != "grammar":
                assert g.ended and check(g.tokens, strict=True)[0].ok, g.to_folkrnn()
    # a constrained tune is the same alone or in a batch
    one = model.generate(n=1, seed=SEED + 3, constrain="bars")[0]
    assert one.tokens == model.generate(n=5, seed=SEED, constrain="bars")[3].tokens
    assert model.generate(n=1, seed=SEED)[0].cost is None


def test_cost_is_zero_when_nothing_is_masked(model):
    # with the grammar, the model's own choices are mostly allowed: the cost is small but it is
    # measured (a tune whose masked mass is 0 at every step has cost 0)
    gens = model.generate(n=32, seed=SEED + 100, constrain="grammar")
    totals = np.array([g.cost.total for g in gens])
    bars = np.array([g.cost.total for g in model.generate(n=32, seed=SEED + 100, constrain="bars")])
    assert (totals >= 0).all() and totals.mean() < bars.mean()


def test_beam_search_constrained(model):
    gens = model.generate(n=2, beam=3, meter="6/8", mode="Cmaj", constrain="bars", max_length=80)
    for g in gens:
        assert g.cost is not None
        assert check(g.tokens, strict=True)[0].ok
    res = model.beam_search(prefix="M:4/4 K:Cmaj", width=2, max_length=40, form="AB", part_bars=2)
    assert all(check([t for t in toks if t != "</s>"], strict=True)[0].ok for toks, _ in res)


def test_prime_that_breaks_the_constraint_is_refused(model):
    with pytest.raises(ParameterError, match="breaks the bars constraint"):
        model.generate(seed=1, meter="4/4", mode="Cmaj", prime="c 2 |", constrain="bars")
    with pytest.raises(ParameterError, match="force"):
        model.generate(seed=1, force={5: "|"}, constrain="grammar")


def test_cli_constrain_and_form_json(model):
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-m", "folkabc", "generate", "-n", "2", "--seed", "5", "--form",
                          "AABB", "--json"], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    recs = json.loads(out.stdout)
    assert len(recs) == 2 and all("cost" in r and r["cost"]["steps"] > 0 for r in recs)
    for r in recs:
        toks = r["tokens"].split()
        assert two_repeated_parts(check(toks)[0].structure)
    out = subprocess.run([sys.executable, "-m", "folkabc", "generate", "--seed", "5", "--form", "ABAB"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode != 0 and "Traceback" not in out.stderr and "ABAB" in out.stderr


# -- the acceptance numbers (issue 20): 1,000 tunes each ---------------------------------------
N = 1000


@pytest.mark.slow
def test_grammar_1000_tunes_all_readable(model):
    gens = model.generate(n=N, seed=SEED + 1000, constrain="grammar")
    bad = [g.to_folkrnn() for g in gens if not _readable(g.tokens)]
    assert not bad, bad[:3]


@pytest.mark.slow
@pytest.mark.external
def test_bars_1000_tunes_clean_by_folkabc_and_abc2midi(model):
    if shutil.which("abc2midi") is None:
        pytest.skip("abc2midi not installed")
    gens = model.generate(n=N, seed=SEED + 2000, constrain="bars")
    bad = [g.to_folkrnn() for g in gens if not check(g.tokens, strict=True)[0].ok]
    assert not bad, bad[:3]
    peer = _abc2midi_clean([g.tokens for g in gens])
    assert sum(peer) >= 0.99 * N, sum(peer)


@pytest.mark.slow
def test_form_aabb_1000_tunes(model):
    gens = model.generate(n=N, seed=SEED + 3000, form="AABB")
    two = sum(two_repeated_parts(check(g.tokens)[0].structure) for g in gens)
    assert two >= 0.95 * N, two
    assert all(g.cost is not None for g in gens)


# -- ending by max_length (bars) ----------------------------------------------------------------
def test_first_ending_holds_at_most_max_ending_bars(model):
    from folkabc.model.constraints import MAX_ENDING_BARS
    b = make_constraint(model.vocab, "bars")
    ix = model.vocab.index
    s = b.start()
    for t in "M:2/4 K:Cmaj c 4 | c 4 |1".split() + ["c", "4", "|"] * (MAX_ENDING_BARS - 1) + ["c", "4"]:
        s = b.advance(s, ix[t])
    ok = b.allowed(s)
    assert ok[ix[":|"]] and not ok[ix["|"]]


@pytest.mark.parametrize("max_length", [40, 200])
def test_walks_that_avoid_the_end_still_end_clean_by_max_length(model, max_length):
    from folkabc.model.constraints import WIND_DOWN
    con = make_constraint(model.vocab, "bars", max_length=max_length)
    rng = np.random.default_rng(SEED + 4000 + max_length)
    worst = 0
    for _ in range(40):
        s, ids, ended = con.start(), [], False
        while s.pos < max_length:
            ok = con.allowed(s)
            assert ok.any()
            if s.pos >= 2:
                worst = max(worst, con._need(s))
            c = np.flatnonzero(ok)
            c = c[c != model.end_id] if (c != model.end_id).any() else c  # </s> only when forced
            i = int(rng.choice(c))
            if i == model.end_id:
                ended = True
                break
            ids.append(i)
            s = con.advance(s, i)
        toks = [model.vocab.token(i) for i in ids]
        assert ended and check(toks, strict=True)[0].ok, " ".join(toks)
    assert 0 < worst <= WIND_DOWN
