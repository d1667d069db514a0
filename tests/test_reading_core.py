"""One reader, one answer: the tokenizer and the performer read ABC through the same events
(folkabc.abc.read_body), checked against abc2midi and ABC 2.1 on the cases of issue 16."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import music21_abc_paths, require_tool
from folkabc.abc import read_body, split_tunes
from folkabc.abc.events import Annotation, Bar, Decoration, Ending, FieldChange, Grace, Note, Slur, Tie, Tuplet
from folkabc.errors import AbcSyntaxError
from folkabc.normalize import DROPPED_SECOND_CLOSE
from folkabc.render import perform, read_midi
from folkabc.tokens import detokenize, tokenize


def _abc2midi_bytes(abc: str, tmp_path) -> bytes:
    abc2midi = require_tool("abc2midi")
    (tmp_path / "t.abc").write_text(abc, encoding="utf-8")
    subprocess.run([abc2midi, "t.abc", "-o", "t.mid"], cwd=tmp_path, capture_output=True, timeout=30, check=False)
    return (tmp_path / "t.mid").read_bytes()


def _abc2midi_pitches(abc: str, tmp_path) -> list[int]:
    return [n[1] for n in read_midi(_abc2midi_bytes(abc, tmp_path)).notes]


def _played(abc: str) -> list[int]:
    return [n.pitch for n in perform(abc).notes]


def _token_pitches(abc: str) -> list[int]:
    """What the tokens play, transposed back to the source's key."""
    (tt,) = tokenize(abc)
    return [p - tt.transpose for p in _played(detokenize(tt.tokens))]


@pytest.mark.external
@pytest.mark.parametrize("body, scope, expected", [
    ("^F f F f2 z4|", None, [66, 78, 66, 78]),  # ABC 2.1 default (pitch) and abc2midi: every octave
    ("^F f F f2 z4|", "octave", [66, 77, 66, 77]),
    ("^F f F f2 z4|", "not", [66, 77, 65, 77]),
])
def test_accidental_scope_is_decided_once(body, scope, expected, tmp_path):
    directive = f"%%propagate-accidentals {scope}\n" if scope else ""
    abc = f"X:1\nT:t\n{directive}M:4/4\nL:1/8\nK:C\n{body}\n"
    assert _played(abc) == expected
    assert _token_pitches(abc) == expected
    if scope is None:
        assert _abc2midi_pitches(abc, tmp_path) == expected
    events = read_body(split_tunes(abc)[0]).events
    assert [e.midi for e in events if type(e) is Note] == expected


@pytest.mark.external
def test_a_grace_notes_accidental_holds_to_the_bar_end(tmp_path):
    """abc2midi reads {^f}g f as F#5 G5 F#5: the tokens drop the grace note but keep the sharp."""
    abc = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n{^f}g f c2 z4|\n"
    assert _played(abc) == _abc2midi_pitches(abc, tmp_path) == [78, 79, 78, 72]
    assert _token_pitches(abc) == [79, 78, 72]


@pytest.mark.external
@pytest.mark.parametrize("key", ["HP", "Hp"])
def test_highland_pipes_play_c_and_f_sharp(key, tmp_path):
    """Case 1: K:HP (no signature printed) and K:Hp both play the pipes' C# and F#, as abc2midi does."""
    abc = f"X:1\nT:pipes\nM:4/4\nL:1/8\nK:{key}\nAB cd|ef g2|]\n"
    expected = [69, 71, 73, 74, 76, 78, 79]
    assert _abc2midi_pitches(abc, tmp_path) == expected
    assert _played(abc) == expected
    (tt,) = tokenize(abc)
    assert " ".join(tt.tokens) == "M:4/4 K:Cmix c d e f | g a b 2 |"
    assert _token_pitches(abc) == expected


def test_meter_in_the_body_before_the_first_note_is_the_opening_meter():
    """Case 4: an M: line before the first note sets the opening meter token (no M:4/4 … M:6/8)."""
    (tt,) = tokenize("X:1\nT:t\nM:4/4\nL:1/8\nK:G\nM:6/8\nGAB cde|\n")
    assert tt.tokens[:3] == ["M:6/8", "K:Cmaj", "c"]
    assert tt.positions[0] == (6, 3)
    (later,) = tokenize("X:1\nT:t\nM:4/4\nL:1/8\nK:G\nGABc|\nM:6/8\nGAB cde|\n")
    assert later.tokens[0] == "M:4/4" and "M:6/8" in later.tokens


def test_a_byte_order_mark_is_ignored():
    """Case 8: a UTF-8 BOM at the start of a file is not a character of the tune."""
    text = "\ufeffX:1\nT:bom\nM:2/4\nL:1/8\nK:D\nDFAd|\n"
    (tt,) = tokenize(text)
    assert tt.error is None and tt.index == 1 and tt.title == "bom"
    assert _played(text) == [62, 66, 69, 74]


@pytest.mark.parametrize("field, line, column, message", [
    ("K:Q#", 4, 3, "unreadable key 'Q#'"),
    ("K:Dxyz", 4, 3, "unknown mode 'xyz'"),
    ("L:1/0\nK:D", 4, 3, "unreadable unit length '1/0'"),
])
def test_unreadable_fields_raise_the_same_located_error_in_tokens_and_performance(field, line, column, message):
    abc = f"X:1\nT:t\nM:4/4\n{field}\nDEF|\n"
    (tt,) = tokenize(abc)
    assert isinstance(tt.error, AbcSyntaxError) and message in str(tt.error)
    with pytest.raises(AbcSyntaxError) as err:
        perform(abc)
    assert str(err.value) == str(tt.error)
    assert (err.value.line, err.value.column) == (line, column) == (tt.error.line, tt.error.column)
    lenient = perform(abc, lenient=True)
    assert lenient.notes and any(f"line {line}, column {column}: {message}" in w for w in lenient.warnings)


def test_the_reader_emits_what_tokens_drop():
    """Ties, grace notes, decorations, slurs, annotations and fields reach the performer as typed events."""
    (raw,) = split_tunes('X:1\nT:t\nM:6/8\nL:1/8\nK:D\nP:A\n"D"~(d2-d) {ag}!trill!(3Bcd :: [1 A B [2 c||\n')
    events = read_body(raw).events
    kinds = [type(e) for e in events]
    assert kinds == [FieldChange, Annotation, Decoration, Slur, Note, Tie, Note, Slur, Grace, Decoration, Tuplet,
                     Note, Note, Note, Bar, Note, Note, Ending, Note, Bar]
    assert events[0] == FieldChange("P", "A", 6, 3)
    assert events[1].text == "D" and events[2].name == "~" and events[9].name == "trill"
    assert [n.midi for n in events[8].notes] == [81, 79]
    assert events[10] == Tuplet(3, 2, 3, True, 7, 23)
    assert (events[14].kind, events[14].ending, events[17].numbers, events[-1].kind) == ("::", "1", "2", "||")
    assert events[4].length == Fraction(1, 4)
    # the tokens keep the notes, the bar lines and the tuplet, and know which bar closes a part
    (tt,) = tokenize(raw.abc)
    assert "~" not in " ".join(tt.tokens) and "(3" in tt.tokens
    assert [tt.tokens[i] for i in sorted(tt.part_ends)] == ["|"]


def test_bar_kinds_are_read_as_written():
    (raw,) = split_tunes("X:1\nT:t\nK:C\n|:C|D:|E||F|]G[|A:|:B::c|1d:|2e|]\n")
    bars = [(e.kind, e.ending) for e in read_body(raw).events if type(e) is Bar]
    assert bars == [("|:", None), ("|", None), (":|", None), ("||", None), ("|]", None), ("[|", None),
                    (":|:", None), ("::", None), ("|", "1"), (":|", "2"), ("|]", None)]


# ---------------------------------------------------------------------------- one reader, one answer


@pytest.fixture(scope="module")
def corpus_tunes():
    """Every tune of the music21 ABC collections that converts, tokenized."""
    tunes = []
    for path in music21_abc_paths():
        tunes += [tt for tt in tokenize(path.read_text(encoding="latin-1")) if tt.error is None]
    assert len(tunes) > 12000
    return tunes


def _notes(abc: str, shift: int = 0) -> list[tuple]:
    return [(n.onset, n.pitch - shift, n.duration) for n in perform(abc, as_written=True).notes]


_SECTION_END = re.compile(r"\|\]|\|\|")


def _section_ends_plain(abc: str) -> str:
    """The tune with its body's ``||`` and ``|]`` written ``|`` (field and comment lines kept)."""
    head, sep, body = abc.partition("\nK:")
    key, nl, rest = body.partition("\n")
    lines = [line if re.match(r"[A-Za-z+]:|%", line) else _SECTION_END.sub("|", line) for line in rest.split("\n")]
    return head + sep + key + nl + "\n".join(lines)


def _section_ends_written_back(tt) -> str:
    """The tokens' ABC with ``||`` written back on the bar tokens that were ``||``/``|]`` in the source."""
    tokens = list(tt.tokens)
    for k in tt.part_ends:
        if tokens[k] == "|":
            tokens[k] = "||"
    return detokenize(tokens)


#: folkabc.normalize's notes for the repeats it makes explicit where abc2midi does not: abc2midi
#: (store.c ``fixreps``) writes a missing ``|:`` only up to the tune's first ending, so a later part
#: with endings and no ``|:`` (``A :| B |1 C :|2 D || E |1 F :|2 G ||``) or a ``:|`` returning to a
#: section end after that ending is played with its endings skipped, and ``|1 … :|2 … :|`` before
#: such a part (The Scholar) sends the player back a third time; the tokens write the ``|:`` the
#: part's endings ask for and play each part twice.
REPEAT_REPAIRS = ("|: added before the part of the ending", "|: written for the section end",
                  DROPPED_SECOND_CLOSE)


def _repaired(tt, written: str, folder) -> bool:
    """The tokens differ from the source by a repeat repair of :mod:`folkabc.normalize` alone:
    the tune carries its note, and the performer plays both the source and the tokens' ABC as
    abc2midi plays them (so the difference is the repair, not the performer)."""
    if not any(w.startswith(REPEAT_REPAIRS) for w in tt.warnings):
        return False
    return all(_played(abc) == _abc2midi_pitches(abc, folder) for abc in (tt.abc, written))


def _mismatches(tunes, folder) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Tunes whose source and tokens play different notes (onset, pitch, duration), in three lists:
    the drop of the part end ``||``/``|]`` that tokens write ``|``, the repeat repairs of
    :data:`REPEAT_REPAIRS`, and the others (none: each would be a bug).

    The tokens' written ABC is played with the transposition undone. Both are played with
    ``as_written=True``, which neutralises what tokens drop by design (docs/tokens.md): ties
    (each tied note sounds alone), grace notes, decorations and ornaments (rolls, trills,
    fermatas, staccato), chord symbols (never played), the hornpipe lilt of ``R:hornpipe``, the
    header ``P:`` order (parts play as written). The v2 vocabulary has no ``||``: a tune differs
    by design when (a) the tokens' ABC with ``||`` written back where the source had it
    (``TokenizedTune.part_ends``) plays as the source, or (b) the source with its ``||`` and ``|]``
    written ``|`` plays as the tokens (two section ends side by side, ``|| ||``, are one token).
    abc2midi, and so the performer, lets a ``||`` do two things a ``|`` does not: a skipped ending
    stops there (on the third pass after ``|1 … :|2 … ||``, the part after the ``||`` is played),
    and a ``:|`` with no ``|:`` returns to it (store.c ``fixreps``, before the tune's first ending).
    """
    section_ends, repairs, other = [], [], []
    for tt in tunes:
        source = _notes(tt.abc)
        written = detokenize(tt.tokens)
        if _notes(written, tt.transpose) != source:
            if (_notes(_section_ends_written_back(tt), tt.transpose) == source
                    or _notes(written, tt.transpose) == _notes(_section_ends_plain(tt.abc))):
                section_ends.append((tt.title, tt.index))
            elif _repaired(tt, written, folder):
                repairs.append((tt.title, tt.index))
            else:
                other.append((tt.title, tt.index))
    return section_ends, repairs, other


@pytest.mark.external
def test_source_and_tokens_play_the_same_notes_on_a_corpus_sample(corpus_tunes, tmp_path):
    """One reader, one answer, on every 40th tune of the music21 collections (about 320 tunes):
    a tune plays differently only where its source's ``||``/``|]`` decided the playing (no token)
    or where the tokens make a repeat explicit that abc2midi plays otherwise."""
    sample = corpus_tunes[::40]
    assert len(sample) >= 300
    section_ends, repairs, other = _mismatches(sample, tmp_path)
    for row in section_ends + repairs + other:
        print("differs:", *row)
    assert other == []


@pytest.mark.external
def test_a_part_end_closing_an_ending_is_a_drop_by_design(tmp_path):
    """``[2 … || B :|``: abc2midi and the performer play the `:|` back to the tune's start, and on
    that pass skip the endings up to the ``||``; the tokens write ``|`` there (no ``||`` token), so
    they skip to the end. Written back, the ``||`` plays as the source."""
    abc = "X:1\nT:t\nM:2/4\nL:1/4\nK:C\n|:C D|1 E F:|2 G A||B c:|\n"
    assert _played(abc) == _abc2midi_pitches(abc, tmp_path)
    (tt,) = tokenize(abc)
    assert _notes(detokenize(tt.tokens)) != _notes(abc)
    assert _notes(_section_ends_written_back(tt)) == _notes(abc)


def test_a_section_end_a_repeat_returns_to_is_written_as_a_start_repeat():
    """``A :| B || C :|``: the second ``:|`` returns to the ``||``; the tokens write it ``|:``."""
    abc = "X:1\nT:t\nM:2/4\nL:1/8\nK:C\nC D:|E F||G A:|\n"
    (tt,) = tokenize(abc)
    assert " ".join(tt.tokens[2:]) == "C D :| E F |: G A :|"
    assert _notes(detokenize(tt.tokens)) == _notes(abc)


@pytest.mark.external
@pytest.mark.parametrize("body", ["|: C D |1 E F :|2 G A :: B c :|",   # issue 16 case 3
                                  "|: C D E F |] |: G A B c :|",        # |: inside an open repeat
                                  "|: C D |1 E F :|2 G A :| B c |]"])   # a skipped ending ends at its :|
def test_repeats_play_as_abc2midi_plays_them(body, tmp_path):
    abc = f"X:1\nT:t\nM:2/4\nL:1/4\nK:C\n{body}\n"
    assert _played(abc) == _abc2midi_pitches(abc, tmp_path)
    assert _token_pitches(abc) == _played(abc)


# abc2midi 4.x (store.c, genmidi.c): a played ending lets a `:|` return until one pass more than
# the ending's, so a `:|` after a second ending sends the player back a third time, with every
# ending skipped; a skipped ending runs to the next `:|`, `|:`, `||`/`|]` or ending (past a plain
# `|`); a missing `|:` is written (fixreps) on the last `||` or `:|` only up to the tune's first
# ending, on the tune's start before that.
@pytest.mark.external
@pytest.mark.parametrize("body", [
    "C D |1 E F :|2 G A :| B c |1 d e :|2 f g :|",        # The Scholar's pattern
    "|: C D |1 E F :|2 G A :| B c :|",                      # a :| after the second ending's :|
    "|: C D |1 E F :|2 G A :| B c |]",
    "|: C D |1 E F :|2 G A :| B c | d e :|",                # a part without |: after a second ending
    "|: C D |1 E F :|2 G A :|2 B c :|",
    "|: C D |1 E F :|2 G A :: B c :|",                      # endings then ::
    "|: C D :: E F |1 G A :|2 B c :|",                      # endings after ::
    "|: C D |1 E F :|2 G A :: B c |1 d e :|2 f g :|",
    "|: C D |1 E F :|2 G A || B c |1 d e :|2 f g :|",       # || then a part with its own endings
    "|: C D |1 E F :|2 G A || |: B c |1 d e :|2 f g :|",    # || then a new |: part with its own endings
    "|: C D |1 E F :|2 G A :| |: B c |1 d e :|2 f g :|",
    "C D :| E F |1 G A :|2 B c :|",                         # the first ending: fixreps's |: on the :|
    "C D :| E F |1 G A :|2 B c || d e :| f g |1 a b :|2 c' d' :|",  # later endings: no repair
    "C D || E F :| G A :|",
    "|: C D |1,3 E F :|2 G A :|4 B c |]",
    "|: C D [1 E F :| [2 G A :| [3 B c |]",
])
def test_endings_play_as_abc2midi_plays_them(body, tmp_path):
    abc = f"X:1\nT:t\nM:2/4\nL:1/4\nK:C\n{body}\n"
    assert _played(abc) == _abc2midi_pitches(abc, tmp_path)


def test_a_third_pass_after_a_second_ending(tmp_path):
    """``|: C D |1 E F :|2 G A :| B c :|`` (abc2midi 4.84): the ``:|`` after the second ending
    returns a third time, both endings skipped; the last ``:|`` then returns no more."""
    abc = "X:1\nT:t\nM:2/4\nL:1/4\nK:C\n|: C D |1 E F :|2 G A :| B c :|\n"
    assert _played(abc) == [60, 62, 64, 65, 60, 62, 67, 69, 60, 62, 71, 72]


@pytest.fixture(scope="module")
def the_scholar() -> str:
    """O'Neill's no. 1640 as the music21 corpus holds it (tests/data/README.md)."""
    return (Path(__file__).parent / "data" / "oneills_1640_the_scholar.abc").read_text(encoding="utf-8")


@pytest.mark.external
def test_the_scholar_plays_as_abc2midi_plays_it(the_scholar, tmp_path):
    """``|1 … :|2 … :|`` then a part with its own endings and no ``|:``: abc2midi plays the first
    part three times (the third without an ending) and the second once with no ending; the
    performer plays every note as abc2midi does (onset, pitch, length)."""
    ref = read_midi(_abc2midi_bytes(the_scholar, tmp_path)).notes  # (onset, pitch, length) in quarters
    mine = perform(the_scholar).notes
    assert len(mine) == len(ref) == 242
    tick = Fraction(2, 480)  # abc2midi starts a note a tick late, ends it a tick early
    assert all(a.pitch == b[1] and abs(a.onset - b[0]) <= tick and abs(a.duration - b[2]) <= tick
               for a, b in zip(mine, ref))


@pytest.mark.external
def test_the_scholars_tokens_repair_the_second_part(the_scholar, tmp_path):
    """The tokens write the ``:|`` closing the first part's second ending as the second part's
    ``|:`` (folkabc.normalize): a repair abc2midi does not make. Both the source and the tokens'
    ABC play as abc2midi plays them; they differ by the repair alone (A A B B, not A A A B)."""
    (tt,) = tokenize(the_scholar)
    written = detokenize(tt.tokens)
    assert any(w.startswith(REPEAT_REPAIRS) for w in tt.warnings)
    assert "|2" in tt.tokens and tt.tokens[tt.tokens.index("|2") + 1:].count("|:") == 1
    assert _repaired(tt, written, tmp_path)
    assert len(perform(written).notes) == 307 and len(perform(the_scholar).notes) == 242


@pytest.mark.external
def test_broken_rhythm_over_unequal_notes_plays_as_written(tmp_path):
    """abc2midi refuses ``>`` over notes of unequal length ("Notes not equal durations") and plays
    both as written; so does the performer, and the tokens write the pair without the sign."""
    abc = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\ng>e/ d2 c2 z2|\n"
    (tt,) = tokenize(abc)
    assert " ".join(tt.tokens[2:]) == "g e /2 d 2 c 2 z 2 |"
    assert [n[1:3] for n in read_midi(_abc2midi_bytes(abc, tmp_path)).notes] == [
        (79, Fraction(239, 480)), (76, Fraction(119, 480)), (74, Fraction(479, 480)), (72, Fraction(479, 480))]
    assert _notes(abc) == _notes(detokenize(tt.tokens)) == [
        (0, 79, Fraction(1, 2)), (Fraction(1, 2), 76, Fraction(1, 4)), (Fraction(3, 4), 74, 1), (Fraction(7, 4), 72, 1)]


@pytest.mark.slow
@pytest.mark.external
def test_source_and_tokens_play_the_same_notes_on_every_corpus_tune(corpus_tunes, tmp_path):
    """One reader, one answer, on all ~13k tunes of the music21 collections: a tune plays
    differently only where its source's ``||``/``|]`` decided the playing, or where the tokens
    make a repeat explicit that abc2midi plays otherwise (docs/tokens.md gives the counts)."""
    section_ends, repairs, other = _mismatches(corpus_tunes, tmp_path)
    print(f"\n{len(corpus_tunes)} tunes: {len(section_ends)} differ by their ||, {len(repairs)} by a repeat "
          f"repair, {len(other)} otherwise")
    for row in section_ends + repairs + other:
        print("differs:", *row)
    assert other == []
