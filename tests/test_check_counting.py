"""``check`` of ABC text counts through ``tokenize(..., pitches=False)``: the same reader, the same
normalisation and the same counter as ``check(tokenize(text))``, without spelling pitches or
choosing a transposition. These tests prove the two give the same answers, tune for tune, over
every tune of music21's ABC collections, and that the counting tokens differ from the full ones
in their pitch tokens only.
"""

from __future__ import annotations

import pytest
from conftest import music21_abc_paths

from folkabc.grammar import token_kind
from folkabc.tokens import COUNT_PITCH, tokenize
from folkabc.validate import check


def _texts() -> list[tuple[str, str]]:
    return [(f"{p.parent.name}/{p.name}", p.read_text(encoding="latin-1")) for p in music21_abc_paths()]


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    got = _texts()
    assert len(got) > 1000
    return got


def test_check_of_text_is_check_of_tokenized_tunes_for_every_music21_tune(texts):
    tunes = errors = 0
    for name, text in texts:
        full = tokenize(text)
        want = [r.to_dict() for r in check(full)] if full else []
        got = [r.to_dict() for r in check(text)] if full else []
        assert got == want, name
        tunes += len(got)
        errors += sum(r["error"] is not None for r in got)
    assert tunes > 12000 and errors > 0  # the unreadable tunes are compared too


def test_counting_tokens_differ_from_the_full_ones_only_in_pitches(texts):
    pitches = 0
    for name, text in texts[::7]:
        for full, fast in zip(tokenize(text), tokenize(text, pitches=False), strict=True):
            where = f"{name} tune {full.index}"
            assert str(fast.error) == str(full.error), where
            assert fast.positions == full.positions and fast.part_ends == full.part_ends, where
            assert fast.unit == full.unit and fast.line == full.line, where
            assert len(fast.tokens) == len(full.tokens), where
            for a, b in zip(full.tokens, fast.tokens):
                if token_kind(a) == "pitch":
                    assert b == COUNT_PITCH, where
                    pitches += 1
                else:
                    assert b == a, where
            assert fast.transpose == 0
    assert pitches > 100000


def test_a_tune_the_full_reading_refuses_is_refused_by_check():
    # a nested tuplet and a body with no notes are refused by tokenize; check says so, located
    text = ("X:1\nT:Nested\nM:6/8\nK:G\n(3(3GAB cde|\n\nX:2\nT:Empty\nM:2/4\nK:D\n|\n\n"
            "X:3\nT:Fine\nM:2/4\nL:1/8\nK:A\nA2B2|c4|\n")
    got = check(text)
    want = check(tokenize(text))
    assert [r.to_dict() for r in got] == [r.to_dict() for r in want]
    assert [r.error is not None for r in got] == [True, True, False]
    assert "tuplet" in got[0].error and "line 5" in got[0].error
    assert got[2].ok and got[2].structure.summary == "A, 2 bars"
