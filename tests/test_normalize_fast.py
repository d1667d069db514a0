""":func:`folkabc.normalize.explicit_repeats` skips its full pass when a quick look over the bar
tokens says nothing changes; told the tune's section ends (the bar lines written ``||``/``|]``),
that look lets a second ``:|`` pass when no section end stands between it and the first. On any
grammar sequence and any choice of section ends the full pass agrees (changes nothing either)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_tokens_properties import tunes

import folkabc.normalize as N


@st.composite
def tunes_with_ends(draw):
    toks = draw(tunes())
    bars = [k for k, t in enumerate(toks) if k >= 2 and "|" in t]
    ends = frozenset(draw(st.lists(st.sampled_from(bars), unique=True)) if bars else [])
    return toks, ends


def _full(toks, pos, ends):
    real = N._repeats_well_formed
    N._repeats_well_formed = lambda tokens, *a: False
    try:
        return N.explicit_repeats(toks, pos, ends)
    finally:
        N._repeats_well_formed = real


@settings(max_examples=500, deadline=None)
@given(tunes_with_ends())
def test_the_quick_look_with_section_ends_agrees_with_the_full_pass(drawn):
    toks, ends = drawn
    pos = [(0, k) for k in range(len(toks))]
    if N._repeats_well_formed(toks, ends):
        assert _full(toks, pos, ends) == (toks, pos, [])
    # a known collection of section ends never makes the look more cautious than not knowing them
    assert N._repeats_well_formed(toks, ends) or not N._repeats_well_formed(toks, None)


def test_a_second_repeat_sign_with_no_section_end_between_passes_the_quick_look():
    toks = "M:4/4 K:Cmaj c 8 :| d 8 | e 8 :|".split()
    assert N._repeats_well_formed(toks, frozenset())
    assert not N._repeats_well_formed(toks, None)  # any bar may be a section end
    assert not N._repeats_well_formed(toks, frozenset({7}))  # `A :| B || C :|`
    pos = [(0, k) for k in range(len(toks))]
    assert N.explicit_repeats(toks, pos, frozenset())[2] == []
    assert N.explicit_repeats(toks, pos, frozenset({7}))[0][7] == "|:"


def _full_broken(toks, pos):
    real = N._broken_equal
    N._broken_equal = lambda tokens: False
    try:
        return N.explicit_broken(toks, pos)
    finally:
        N._broken_equal = real


@settings(max_examples=500, deadline=None)
@given(tunes())
def test_the_quick_look_at_broken_pairs_agrees_with_the_full_pass(toks):
    pos = [(0, k) for k in range(len(toks))]
    quick = N._broken_equal(toks)
    if quick:
        assert _full_broken(toks, pos)[0] == toks
    # with no tuplet it looks at the broken tokens alone: the same answer as walking every token
    # (a tuplet put last, where no broken pair follows it, makes it walk every token)
    assert quick == N._broken_equal([*toks, "(3"])


def test_the_quick_look_at_broken_pairs_sees_unequal_pairs_with_no_tuplet():
    assert N._broken_equal("M:4/4 K:Cmaj c > d e 2> f 2 |".split())
    assert not N._broken_equal("M:4/4 K:Cmaj c 2 > d |".split())
    assert not N._broken_equal("M:4/4 K:Cmaj c > d > e |".split())
    assert not N._broken_equal("M:4/4 K:Cmaj (3 c d e > f |".split())


def test_the_ending_gate_finds_what_its_two_alternatives_found():
    # _ENDING_TEXT is one character class (`[|\[]\d`); it must find an ending where `\|\[?\d|\[\d` did
    import re

    from hypothesis import given, settings, strategies as st

    old = re.compile(r"\|\[?\d|\[\d")

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet="|[]:1 2a٣", max_size=12))
    def same(text):
        assert (N._ENDING_TEXT.search(text) is None) == (old.search(text) is None)

    same()
