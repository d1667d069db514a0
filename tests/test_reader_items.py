"""The reader's hot loop reads a body line as the texts of its items (``lexer.BODY_ITEMS_RE``), telling
most kinds by their first character and matching the rest again; a line longer than the token limit
is read item by item under the limit's watch. Both read every kind as ``BODY_FAST_RE`` does."""

from __future__ import annotations

from folkabc.abc.lexer import BODY_FAST_RE, BODY_ITEMS_RE
from folkabc.abc.reader import read_body, split_tunes

LINE = ('|:"G"~G2>A [CE]2 (3Bc :|2 ^^f __e =g ^ _ = : [|[1 c !trill!d +fermata+e {ga}f- f) z2 Z '
        "x [K:D] F & G || y$* `c\\ |] [2 d |1 e :: f ::| %comment")


def test_the_items_cover_the_line_end_to_end_as_the_fast_pattern_cuts_it():
    items = BODY_ITEMS_RE.findall(LINE)
    assert "".join(items) == LINE
    assert [m.group() for m in BODY_FAST_RE.finditer(LINE)] == items


def test_a_line_longer_than_the_token_limit_reads_as_a_short_one(monkeypatch):
    text = "X:1\nM:4/4\nL:1/8\nK:G\n" + LINE.replace(" %comment", "").replace(" & G", "") + "\n"
    want = read_body(split_tunes(text)[0], lenient=True)
    assert len(want.events) > 30
    monkeypatch.setenv("FOLKABC_MAX_TOKENS", "60")  # the line (≈130 characters) is read the long way
    got = read_body(split_tunes(text)[0], lenient=True)
    assert got.events == want.events and got.warnings == want.warnings


def test_rests_are_told_by_their_first_character_and_read_as_the_fast_pattern_cuts_them():
    from fractions import Fraction

    import pytest

    from folkabc.abc.events import Bar, Rest
    from folkabc.errors import AbcSyntaxError, LimitError

    body = "z2 x/ Z2 |z3/y z|\n"
    events = read_body(split_tunes("X:1\nM:2/4\nL:1/8\nK:C\n" + body)[0]).events
    rests = [(e.length, e.col) for e in events if type(e) is Rest]
    assert rests == [(Fraction(1, 4), 1), (Fraction(1, 16), 4), (Fraction(1, 2), 7), (Fraction(1, 2), 7),
                     (Fraction(3, 16), 11), (Fraction(1, 8), 16)]
    assert [e.kind for e in events if type(e) is Bar] == ["|", "|", "|"]  # Z2: two bars, then the written one
    with pytest.raises(AbcSyntaxError, match="column 4: multi-bar rest Z in free meter"):
        read_body(split_tunes("X:1\nM:none\nK:C\nCD Z2|\n")[0])
    with pytest.raises(LimitError, match="column 4: Z2000: 2000 bars is over the limit max_rest_bars"):
        read_body(split_tunes("X:1\nM:2/4\nK:C\nCD Z2000|\n")[0])


def test_the_duration_pattern_matches_what_its_grouped_form_matched():
    # lexer.DUR is written with single-character repeats (faster in `re`); it must match as much as the
    # grouped form `\d*(?:/+\d*)?` did, on every text, since every note, rest and chord length is cut with it
    import re

    from hypothesis import given, strategies as st

    from folkabc.abc.lexer import DUR

    old, new = re.compile(r"\d*(?:/+\d*)?"), re.compile(DUR)

    @given(st.text(alphabet="0123/ab 9", max_size=12))
    def same(text):
        for at in range(len(text) + 1):
            assert new.match(text, at).group() == old.match(text, at).group()

    same()
