"""The one token grammar (folkabc/grammar.py): every token classified, every consumer agreeing."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from folkabc import grammar, normalize, tokens, vocab
from folkabc.grammar import KINDS, token_info
from folkabc.search import bars as search_bars
from folkabc.search.lengths import LENGTHS
from folkabc.validate import _bars
from folkabc.vocab import VOCAB

EXTENDED = ["M:3/8", "M:5/4", "M:2+3/8", "M:none", "7/2", "/8", "//", "3/4>", "/2<", "2>", "2>>", "<<",
            "(9", "(3:2", "(3:2:3", "(8", "^^F", "__B,", "c''", "C,,", "=a'", "x", "Z", "||", "|]", "[|",
            "::", ":|2", "|1,2", "[2", "K:Clyd", "<s>", "</s>"]
NOT_TOKENS = ["0", "1/0", "3//4", "(1", "{", "C2", "%", "", "<>", "H"]


@pytest.mark.parametrize("tok", list(VOCAB.tokens) + EXTENDED)
def test_every_vocabulary_and_extended_token_is_classified(tok):
    info = token_info(tok)
    assert info is not None and info.kind in KINDS and info.text == tok


@pytest.mark.parametrize("tok", NOT_TOKENS)
def test_non_tokens_are_refused_by_every_consumer(tok):
    assert token_info(tok) is None
    assert vocab.token_category(tok) == "unknown"
    assert _bars.classify(tok) is None
    assert normalize._dur(tok) is None and tokens._note_ticks(tok) is None


def test_vocabulary_categories_are_the_grammars():
    for tok, cat in zip(VOCAB.tokens, VOCAB.categories):
        assert grammar.token_category(tok) == cat == vocab.token_category(tok), tok


DURATIONS = [t for t in list(VOCAB.tokens) + EXTENDED if token_info(t).length is not None]


@pytest.mark.parametrize("tok", DURATIONS)
def test_every_consumer_reads_the_same_length(tok):
    info = token_info(tok)
    length, broken = info.length, info.broken
    # normalize
    assert normalize._dur(tok) == (length, broken)
    assert normalize._is_length(tok)
    # detokenize's duration reading (ticks per eighth: tokens._TICKS)
    if info.kind == "duration":
        assert tokens._note_ticks(tok) == (tokens._TICKS * length, broken)
    # the bar counter: one note with this length, alone in a bar, broken rhythm on the first note
    first = grammar.BROKEN[broken][0]
    seg = _bars.segment(["M:4/4", "K:Cmaj", "C", tok, "|"], start=2)
    assert Fraction(seg.bars[0].length, seg.scale) == length * first
    # search bar tables (broken marks ignored there, as documented)
    if tok in VOCAB:
        assert LENGTHS.duration[VOCAB.id(tok)] == float(length)
        assert search_bars.token_durations(VOCAB.encode(["C", tok]))[0] == float(length)


@pytest.mark.parametrize("meter", ["M:2/4", "M:4/4", "M:6/8", "M:9/8", "M:3/2", "M:12/8"])
@pytest.mark.parametrize("p", range(2, 8))
def test_every_consumer_reads_the_same_tuplet(meter, p):
    tok = f"({p}"
    num = grammar.meter_of(meter)[1]
    _, q, r = grammar.tuplet_ratio(tok, num)
    body = ["C"] * r
    want = Fraction(q * 1, p) * r  # r eighths in the time of q
    seg = _bars.segment([meter, "K:Cmaj", tok, *body, "|"], start=2)
    assert Fraction(seg.bars[0].length, seg.scale) == want
    scan = [rec for rec in normalize._scan([meter, "K:Cmaj", tok, *body]) if rec is not None]
    assert sum(rec[2] * rec[4] for rec in scan) == want
    got = search_bars.token_durations(VOCAB.encode([meter, tok, *body])).sum()
    assert got == pytest.approx(float(want))


def test_search_tuplets_know_compound_meter():
    # (5 in 6/8: five in the time of three (ABC 2.1 4.13), not of two
    six = search_bars.token_durations(VOCAB.encode(["M:6/8", "(5", *["C"] * 5])).sum()
    four = search_bars.token_durations(VOCAB.encode(["M:4/4", "(5", *["C"] * 5])).sum()
    assert (six, four) == (3.0, 2.0)


@pytest.mark.parametrize("tok", [t for t in list(VOCAB.tokens) + EXTENDED if token_info(t).sign is not None])
def test_bar_tokens_agree(tok):
    sign = token_info(tok).sign
    assert _bars.classify(tok)[1] == sign
    assert normalize._is_bar(tok)
    if tok in VOCAB:
        assert tok in search_bars.MEASURE_TOKENS
    assert vocab.token_category(tok) == "measure"


def test_meters_agree():
    for tok in ["M:4/4", "M:6/8", "M:3/8", "M:2+3/8", "M:none", "M:C"]:
        bar, num = grammar.meter_of(tok)
        assert _bars.parse_meter(tok) == (bar, num)
        assert tokens._meter_num(tok) == num
        if tok in VOCAB:
            assert search_bars.bar_length(tok) == bar


def test_detokenize_reads_extended_tokens_by_the_grammar():
    abc = tokens.detokenize("M:3/8 K:Cmaj (3:2:3 c d e c 7/2 | [ C E ] //".split())
    assert abc.splitlines()[-1] == "(3:2:3cde c7/2 | [CE]// |]"
    assert np.all(search_bars.MEASURE_IDS == np.sort(search_bars.MEASURE_IDS))
