"""bench/evaluate_model.py: its functions on a few hand-made tunes, and a whole run on a small
corpus (music21's miscFolk) with a small random model."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from folkabc.corpus import build_corpus
from folkabc.model import Model

from conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("evaluate_model", ROOT / "bench" / "evaluate_model.py")
E = importlib.util.module_from_spec(_spec)
sys.modules["evaluate_model"] = E
_spec.loader.exec_module(E)

A8 = "|: " + " | ".join(["c 2 d 2 e 2 f 2"] * 8) + " :| "
AABB = ("M:4/4 K:Cmaj " + A8 + A8).split()
PICKUP = "M:4/4 K:Cmaj G | c 8 | c 8 |".split()          # an opening pickup nothing completes
LONG = "M:2/4 K:Cmin c 4 | c 5 |".split()                 # bar 2 is long
UNREADABLE = "M:4/4 K:Cmaj 2 c |".split()                  # a duration with no note before it


def test_judge_by_hand():
    v = E.judge(AABB)
    assert (v.readable, v.clean_strict, v.clean_pickup_free, v.aabb) == (True, True, True, True)
    assert (v.meter, v.mode, v.body, v.structure) == ("M:4/4", "K:Cmaj", len(AABB) - 2, "AABB, 8+8 bars")
    p = E.judge(PICKUP)
    assert (p.readable, p.clean_strict, p.clean_pickup_free, p.aabb) == (True, False, True, False)
    long_ = E.judge(LONG)
    assert (long_.readable, long_.clean_strict, long_.clean_pickup_free, long_.mode) == (True, False, False, "K:Cmin")
    u = E.judge(UNREADABLE)
    assert (u.readable, u.clean_strict, u.clean_pickup_free, u.structure) == (False, False, False, "unreadable")
    assert E.judge(["K:Cmaj", "c"]).meter == "(no meter)"


def test_by_meter_by_hand():
    got = E.by_meter([E.judge(t) for t in (AABB, PICKUP, LONG, LONG[:4] + ["|"])])
    assert got == {"M:4/4": {"tunes": 2, "median_body": (len(AABB) - 2 + len(PICKUP) - 2) / 2, "aabb": 0.5},
                   "M:2/4": {"tunes": 2, "median_body": (len(LONG) - 2 + 3) / 2, "aabb": 0.0}}
    line = E._meter_cells("M:4/4", got["M:4/4"], {"tunes": 10, "median_body": 120.0, "aabb": 0.4})
    assert line == f"M:4/4 2/10 tunes, median {got['M:4/4']['median_body']:.0f}/120 tokens, AABB 50/40%"
    assert E._meter_cells("M:3/4", None, {"tunes": 7, "median_body": 1.0, "aabb": 0.0}) == "M:3/4 0/7 tunes"


def test_abc2midi_clean_by_hand():
    require_tool("abc2midi")
    assert E.abc2midi_clean([AABB, LONG, UNREADABLE, "M:6/8 K:Cmaj c 6 | c 6 |".split()]) == [
        True, False, False, True]


def test_length_bins():
    assert [E.length_bin(b) for b in (0, 24, 25, 399, 400, 5000)] == [0, 0, 1, 15, 16, 16]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("eval")
    build_corpus(["music21:miscFolk"], d / "corpus", workers=1, quiet=True)
    Model.random(layers=[16], rng=2, scale=0.3).save(d / "model")
    return d


def test_evaluate_small_run(small):
    require_tool("abc2midi")
    r = E.evaluate(small / "model", n=4, seed=5000, max_length=80, corpus_path=str(small / "corpus"),
                   perplexity=False, conditions=[E.CONDITIONS[0], E.Condition("bars", {"constrain": "bars"})])
    c, bars = r["conditions"]
    assert "cost" not in c and bars["cost"]["total"]["median"] >= 0 and bars["clean_strict"]["k"] == 4
    assert c["condition"] == "unconstrained" and c["n"] == 4 and c["seeds"] == [5000, 5003]
    # the shares are the judged tunes' shares, inside their Wilson intervals
    from folkabc.model import load_model

    tunes = [g.tokens for g in load_model(small / "model").generate(n=4, seed=5000, max_length=80)]
    verdicts = [E.judge(t) for t in tunes]
    assert c["readable"]["k"] == sum(v.readable for v in verdicts)
    assert c["clean_strict"]["k"] == sum(v.clean_strict for v in verdicts)
    for key in ("readable", "clean_strict", "clean_pickup_free", "clean_abc2midi", "aabb", "copies_16"):
        lo, hi = c[key]["ci"]
        assert lo <= c[key]["share"] <= hi
    assert c["length"]["median"] == float(np.median([v.body for v in verdicts]))
    assert c["by_meter"] == E.by_meter(verdicts)
    assert sum(g["tunes"] for g in r["references"]["corpus"]["by_meter"].values()) == r["corpus"]["tunes"]
    assert "unconstrained, by meter (generated/corpus): M:" in E._report({**r, "seconds": 1.0})
    ref = r["references"]["corpus"]
    assert ref["tunes"] == r["corpus"]["tunes"] > 100
    # miscFolk is one of the dance collections (folkabc.corpus.sources.DANCE_COLLECTIONS)
    assert r["references"]["dance tunes"]["tunes"] == ref["tunes"] and r["reference"] == "corpus"
    table = E.markdown_table(r)
    lines = table.splitlines()
    assert lines[0].startswith("| measure | unconstrained | bars | corpus (")
    assert len({line.count("|") for line in lines}) == 1  # every row has every column
    assert f"| readable (`folkabc check` reads it) | {100 * c['readable']['share']:.1f}%" in table
    assert "| constraint cost: median removed log-mass per tune, nats (mean per step) | — | " in table


def test_conditions_are_rows():
    assert [c.name for c in E.CONDITIONS] == ["unconstrained", "grammar", "bars", "form AABB"]
    assert all(isinstance(c.generate, dict) for c in E.CONDITIONS)


def test_tv_rows_by_hand():
    from collections import Counter

    # generated a a a b (3/4, 1/4) against a reference of 1:3 -> 0.5 * (0.5 + 0.5) = 0.5
    r = E._tv_with_ci(["a", "a", "a", "b"], Counter({"a": 1, "b": 3}), 0)
    assert r["tv"] == 0.5 and 0.0 <= r["tv_ci"][0] <= r["tv_ci"][1] <= 1.0
    # the same distribution as the reference: 0, and a narrow interval above it
    same = E._tv_with_ci(["a"] * 150 + ["b"] * 50 + ["c"] * 100, Counter({"a": 3, "b": 1, "c": 2}), 1)
    assert same["tv"] == 0.0 and same["tv_ci"][1] < 0.1
