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
