"""Tests for folkabc.abc: tunebooks, header fields, keys and modes, meters, body events."""

from __future__ import annotations

from fractions import Fraction

import pytest

from conftest import music21_abc_paths
from folkabc.abc import default_length, parse_key, parse_length, parse_meter, read_body, split_tunes
from folkabc.abc.events import Bar, ChordEnd, Decoration, Ending, FieldChange, Grace, Note, Rest, Tie, Tuplet
from folkabc.abc.lexer import parse_duration


@pytest.mark.parametrize(
    "text, tonic, mode, folk, sig",
    [
        ("D", "D", "maj", "maj", (1, 0, 0, 1, 0, 0, 0)),
        ("Ador", "A", "dor", "dor", (0, 0, 0, 1, 0, 0, 0)),
        ("Gm", "G", "min", "min", (0, 0, -1, 0, 0, 0, -1)),
        ("F#min", "F", "min", "min", (1, 0, 0, 1, 1, 0, 0)),
        ("DMix", "D", "mix", "mix", (0, 0, 0, 1, 0, 0, 0)),
        ("Bb", "B", "maj", "maj", (0, 0, -1, 0, 0, 0, -1)),
        ("Am", "A", "min", "min", (0, 0, 0, 0, 0, 0, 0)),
        ("E Minor", "E", "min", "min", (0, 0, 0, 1, 0, 0, 0)),
        ("A Dorian % comment", "A", "dor", "dor", (0, 0, 0, 1, 0, 0, 0)),
        ("G Lydian", "G", "lyd", "maj", (1, 0, 0, 1, 0, 0, 0)),
        ("E phr bass", "E", "phr", "min", (0, 0, 0, 0, 0, 0, 0)),
        ("Bloc", "B", "loc", "min", (0, 0, 0, 0, 0, 0, 0)),
        ("Gmajor", "G", "maj", "maj", (0, 0, 0, 1, 0, 0, 0)),
        ("Bminor", "B", "min", "min", (1, 0, 0, 1, 0, 0, 0)),
        ("D exp ^f ^c", "D", "maj", "maj", (1, 0, 0, 1, 0, 0, 0)),
        ("D exp _b", "D", "maj", "maj", (0, 0, 0, 0, 0, 0, -1)),
        ("Dmix ^g", "D", "mix", "mix", (0, 0, 0, 1, 1, 0, 0)),
        ("Cb", "C", "maj", "maj", (-1,) * 7),
        ("C#", "C", "maj", "maj", (1,) * 7),
        ("none", "C", "none", "maj", (0,) * 7),
        ("HP", "A", "mix", "mix", (1, 0, 0, 1, 0, 0, 0)),
        ("Hp", "A", "mix", "mix", (1, 0, 0, 1, 0, 0, 0)),
        ("G clef=treble", "G", "maj", "maj", (0, 0, 0, 1, 0, 0, 0)),
    ],
)
def test_parse_key(text, tonic, mode, folk, sig):
    k = parse_key(text)
    assert (k.tonic, k.mode, k.folk_mode, k.signature) == (tonic, mode, folk, sig)


def test_mode_policy_warns():
    assert parse_key("G Lydian").warnings == ("mode lyd reduced to maj",)
    assert parse_key("HP").warnings and not parse_key("D").warnings
    with pytest.raises(ValueError, match="unknown mode 'foo'"):
        parse_key("Dfoo")


@pytest.mark.parametrize(
    "text, value, token",
    [("C", Fraction(1), "M:4/4"), ("C|", Fraction(1), "M:4/4"), ("2/2", Fraction(1), "M:4/4"),
     ("6/8", Fraction(3, 4), "M:6/8"), (" 3/8", Fraction(3, 8), "M:3/8"), ("none", None, "M:none"),
     ("FREI4/4", None, "M:none"), ("2+3/8", Fraction(5, 8), "M:5/8"), ("12/8", Fraction(3, 2), "M:12/8")],
)
def test_parse_meter(text, value, token):
    m = parse_meter(text)
    assert (m.value, m.token) == (value, token)


def test_lengths_and_durations():
    assert parse_length("1/16") == Fraction(1, 16) and parse_length(" 1 ") == 1
    assert default_length(parse_meter("2/4")) == Fraction(1, 16)
    assert default_length(parse_meter("3/4")) == Fraction(1, 8)
    assert default_length(parse_meter("C")) == Fraction(1, 8)
    assert default_length(None) == Fraction(1, 8)
    for text, value in [("", (1, 1)), ("2", (2, 1)), ("/", (1, 2)), ("//", (1, 4)), ("3/2", (3, 2)),
                        ("3/", (3, 2)), ("/8", (1, 8)), ("///", (1, 8))]:
        assert parse_duration(text) == value


def test_split_tunebook_headers_and_blank_lines():
    text = ("% file header\nM:6/8\nL:1/8\n\nX:1\nT:One\nT:Alt\nR:jig\nK:D\nDFA|\n\nfree text here\n\n"
            "X:2\nT:Two\nM:3/4\nK:G\nGAB|\n")
    a, b = split_tunes(text)
    assert (a.index, a.line, a.titles, a.header["R"]) == (1, 5, ["One", "Alt"], ["jig"])
    assert a.fields["K"] == ("D", 9, 3)
    assert a.defaults["M"][0] == "6/8" and a.body == [(10, "DFA|")]
    assert (b.index, b.line, b.fields["M"][0]) == (2, 14, "3/4")
    assert b.abc.startswith("X:2") and b.abc.endswith("GAB|")
    assert read_body(a).meter.token == "M:6/8"  # from the file header


def test_stray_header_lines_are_skipped_with_a_warning():
    (t,) = split_tunes("X:1\nT:Air\nM:6/8\n3/8=120\nL:1/8\nK:G\nGAB|\n")
    assert t.body == [(7, "GAB|")] and t.warnings == ["line 4: stray header line '3/8=120' ignored"]


def test_body_events_carry_accidentals_and_scale_durations():
    (t,) = split_tunes("X:1\nM:2/4\nL:1/16\nK:F\nB2^F2 F4|F4 [CE]2z2|\n")
    ev = read_body(t).events
    assert [type(e).__name__ for e in ev] == ["Note", "Note", "Note", "Bar", "Note", "ChordStart", "Note", "Note",
                                              "ChordEnd", "Rest", "Bar"]
    notes = [e.midi for e in ev if type(e) is Note]
    assert notes == [70, 66, 66, 65, 60, 64]  # Bb, F#, F# (carried), F (new bar), chord C E
    assert [e.accidental for e in ev if type(e) is Note] == [None, 1, None, None, None, None]
    # B2 ^F2 F4 | F4 [CE]2 z2 in sixteenths; a chord's length is on its end
    assert [e.length for e in ev if type(e) in (Note, Rest, ChordEnd)] == [
        Fraction(1, 8), Fraction(1, 8), Fraction(1, 4), Fraction(1, 4), Fraction(1, 16), Fraction(1, 16),
        Fraction(1, 8), Fraction(1, 8)]


def test_voices_first_only_and_continuations():
    text = ("X:1\nT:Duet\nM:2/4\nL:1/8\nV:1\nV:2\nK:C\nV:1\nCD EF|\\\nGA Bc|\nV:2\nC,D, E,F,|\n"
            "w: some lyrics here\nV:1\n[V:2]C,,[V:1]de|\n")
    (t,) = split_tunes(text)
    r = read_body(t)
    notes = [e.midi for e in r.events if type(e) is Note]
    assert notes == [60, 62, 64, 65, 67, 69, 71, 72, 74, 76]
    assert r.warnings == ["multi-voice tune: only the first voice (1) was read"]


def test_every_music21_collection_file_splits():
    counts = {}
    for name in ("oneills1850", "ryansMammoth", "airdsAirs", "miscFolk", "essenFolksong"):
        counts[name] = sum(len(split_tunes(p.read_text(encoding="latin-1"))) for p in music21_abc_paths(name))
    assert counts["oneills1850"] == 2009 and counts["ryansMammoth"] == 1059 and counts["airdsAirs"] == 1180
    assert counts["miscFolk"] == 185 and counts["essenFolksong"] == 8514


def test_fields_between_tunes_are_free_text_as_abc2midi_reads_them():
    """ABC 2.1: only the file header (before the first X:) gives defaults; an M: or L: line between
    two tunes sets nothing (abc2midi plays tune 2 below in L:1/8, not 1/4)."""
    from folkabc import tokenize

    text = "M:6/8\nL:1/4\n\nX:1\nK:C\nCD|\n\nM:2/4\nL:1/16\n\nX:2\nK:C\nCD|\n"
    assert [" ".join(t.tokens) for t in tokenize(text)] == [
        "M:6/8 K:Cmaj C 2 D 2 |", "M:6/8 K:Cmaj C 2 D 2 |"]
    text = "X:1\nM:4/4\nL:1/8\nK:C\nCDEF GABc|\n\nM:6/8\nL:1/4\n\nX:2\nK:C\nCDEF GABc|\n"
    assert " ".join(tokenize(text)[1].tokens) == "M:none K:Cmaj C D E F G A B c |"
