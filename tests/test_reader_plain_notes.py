"""read_body's ``plain_notes`` (the tokenizer's cheaper stream) is the same reading as its Note events,
and a note read once in one reading state (its cache) is read afresh in another."""

from __future__ import annotations

import pytest

from folkabc.abc.events import Note
from folkabc.abc.reader import length_text, read_body, split_tunes

TEXTS = [
    "X:1\nM:6/8\nL:1/8\nK:G\n|:GAB ^c2f|[DFA]2 [G,B]/ F>G|{ga}f=f F,,| (3fga [K:D]F [L:1/4]F2 F/|\n",
    "X:2\n%%propagate-accidentals octave\nK:C\n^F f F ^f,|_B b [^cC] c|\n",
    "X:3\n%%propagate-accidentals not\nK:Bb\nB ^B B =B|[M:3/4]E e _e e|\n",
    "X:4\nL:1/16\nK:F#m\nF^^FF__F2|c3/2c//c'|\nL:1/8\nK:Ddor\nFfB2|\n",
    "X:5\nK:C\nV:1\nCDE|\nV:2\nFGA|\nV:1\n^c c|\n",
]


def _plain(events):
    return [tuple(e) if type(e) is Note else e for e in events]


@pytest.mark.parametrize("text", TEXTS)
def test_plain_notes_are_the_note_fields(text):
    for raw in split_tunes(text):
        full = read_body(raw).events
        plain = read_body(raw, plain_notes=True).events
        assert any(type(e) is Note for e in full)
        assert not any(type(e) is Note for e in plain)  # grace notes stay inside Grace
        assert _plain(full) == plain


def _token_form(events):
    return [((e.step, e.midi), length_text(e.length), (e.line, e.col)) if type(e) is Note else e for e in events]


@pytest.mark.parametrize("text", TEXTS)
def test_token_notes_are_the_note_fields_the_tokenizer_reads(text):
    for raw in split_tunes(text):
        full = read_body(raw).events
        stream = read_body(raw, token_notes=True).events
        assert not any(type(e) is Note for e in stream)
        assert _token_form(full) == stream
        again = read_body(raw, token_notes=True).events  # the notes' cached readings give the same
        assert again == stream


def test_a_note_is_read_in_each_state():
    # the same notes as written, read under other signatures, units and scopes, in one process
    first = [e.midi for e in read_body(split_tunes("X:1\nK:G\nF f F2|\n")[0]).events if type(e) is Note]
    second = [e.midi for e in read_body(split_tunes("X:1\nK:C\nF f F2|\n")[0]).events if type(e) is Note]
    third = read_body(split_tunes("X:1\nL:1/4\nK:G\nF f F2|\n")[0]).events
    assert first == [66, 78, 66] and second == [65, 77, 65]
    assert [e.length for e in third if type(e) is Note][-1] == 1 / 2
    again = [e.midi for e in read_body(split_tunes("X:1\nK:G\n^E F =F F|\n")[0]).events if type(e) is Note]
    assert again == [65, 66, 65, 65]


# what a body is made of: notes with accidentals, octaves and lengths, chords, grace notes, ties, slurs,
# broken rhythm, tuplets, decorations, annotations, rests, bar lines with endings, inline K: and L:
_PIECES = ["A", "^c", "=F", "_B,", "^^g'", "__E", "d2", "e/", "f3/2", "G//", "c'", "[CEG]2", "[^Fa]", "{ga}",
           "{^f}", "-", "(", ")", ">", "<", "(3", "~", "!trill!", '"Am"', "z2", "x", " ", " ", "|", "||", ":|",
           "|:", "|1", ":|2", "[K:D]", "[K:Bb]", "[L:1/16]", "[L:1/8]", "[M:3/4]"]


def test_token_notes_are_the_note_fields_on_any_body():
    # read twice (the second time from the notes cached in the first), in the tokenizer's stream and as
    # Note events: the same notes, pitches (accidentals carried in a bar), lengths and positions
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=24), min_size=1, max_size=3),
           st.sampled_from(["C", "G", "Bb", "F#m", "Ddor"]), st.sampled_from(["pitch", "octave", "not"]))
    def same(lines, key, scope):
        text = f"X:1\nM:4/4\nL:1/8\n%%propagate-accidentals {scope}\nK:{key}\n" + "\n".join(
            "".join(line) for line in lines) + "\n"
        raw = split_tunes(text)[0]
        try:
            full = read_body(raw, lenient=True).events
        except Exception as exc:  # a limit, say: the stream fails alike
            with pytest.raises(type(exc)):
                read_body(raw, lenient=True, token_notes=True)
            return
        for _ in range(2):
            assert read_body(raw, lenient=True, token_notes=True).events == _token_form(full)

    same()
