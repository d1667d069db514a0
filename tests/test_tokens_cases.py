"""Issue 16 cases on the token side, each against abc2midi (``-c`` bar warnings, the MIDI it
plays) or folk-rnn's own tokenizer: the checker, :mod:`folkabc.normalize` and
:func:`folkabc.detokenize` must agree with them."""

from __future__ import annotations

import re
import shutil
import subprocess

import mido
import pytest

from folkabc import check, detokenize, tokenize
from folkabc.tokenfile import is_token_file, read_token_file
from folkabc.tokens import read_folkrnn

HEAD = "X:1\nT:t\nM:{meter}\nL:1/8\nK:C\n"
needs_abc2midi = pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi not installed")


def _abc(body: str, meter: str = "4/4") -> str:
    return HEAD.format(meter=meter) + body + "\n"


def _played(abc: str, tmp_path, name: str) -> list[int]:
    """The MIDI notes abc2midi plays for ``abc``, in order."""
    src, mid = tmp_path / f"{name}.abc", tmp_path / f"{name}.mid"
    src.write_text(abc)
    subprocess.run(["abc2midi", str(src), "-o", str(mid)], capture_output=True, check=True, timeout=60)
    return [m.note for tr in mido.MidiFile(mid).tracks for m in tr if m.type == "note_on" and m.velocity]


def _bar_warnings(abc: str, tmp_path) -> list[int]:
    """The lengths abc2midi -c reports for miscounted bars ("Bar n has N time units")."""
    src = tmp_path / "c.abc"
    src.write_text(abc)
    out = subprocess.run(["abc2midi", str(src), "-c"], capture_output=True, text=True, timeout=60)
    return [int(n) for n in re.findall(r"has (\d+) time units", out.stdout + out.stderr)]


# ----------------------------------------------------------------------------------- case 2


@needs_abc2midi
def test_case2_pickups_complete_only_their_own_parts_closing_bar_as_abc2midi_counts(tmp_path):
    body = "|: E | CDE CDE | DCB,C :| |: EF | GAG FED | DCC C2 :|"
    r = check(_abc(body, "6/8"))[0]
    assert not r.ok
    sums = [int(s) for f in r.errors for s in re.findall(r"with the pickup: (\d+)", f.message)]
    # abc2midi plays A's closing bar into A's pickup (4 + 1) and B's into B's (5 + 2)
    assert sums == _bar_warnings(_abc(body, "6/8"), tmp_path) == [5, 7]


# ----------------------------------------------------------------------------------- case 3


@needs_abc2midi
def test_case3_double_colon_after_a_second_ending_plays_the_part_twice(tmp_path):
    body = "|: C8 |[1 D8 :|[2 E8::FGAB cdef|g8:|]"
    t = tokenize(_abc(body))[0]
    assert " ".join(t.body) == "|: C 8 |1 D 8 :| |2 E 8 |: F G A B c d e f | g 8 :|"
    assert any(":| after a second ending dropped" in w for w in t.warnings)
    written = detokenize(t.tokens)
    assert _played(written, tmp_path, "written") == _played(_abc(body), tmp_path, "source")
    assert tokenize(written)[0].tokens == t.tokens
    # a generated sequence with the same shape is written the same way
    gen = "M:4/4 K:Cmaj |: C 8 |1 D 8 :| |2 E 8 :| |: F 8 :|".split()
    assert _played(detokenize(gen), tmp_path, "gen") == [60, 62, 60, 64, 65, 65]


# ----------------------------------------------------------------------------------- case 5

LONG_SECOND_ENDINGS = [
    # the second ending's first bar is short: the tokens count it a short bar inside the ending
    "M:4/4 K:Cmaj G | c 8 |1 c 8 | c 7 :| |2 c 7 | c 8 |",
    "M:4/4 K:Cmaj G | c 8 |1 c 8 | c 7 :| |2 c 8 | c 7 |",
    "M:6/8 K:Cmaj |: c 6 |1 c 6 :| |2 c 5 | c 6 | c 6 |: d 6 :|",
    "M:4/4 K:Cmaj |: c 8 |1 d 8 :| |2 e 4 | f 8 | g 8 |",
]


@pytest.mark.parametrize("seq", LONG_SECOND_ENDINGS)
def test_case5_written_abc_checks_as_the_tokens_check(seq):
    toks = seq.split()
    written = detokenize(toks)
    back = tokenize(written)[0]
    assert back.tokens == toks

    def seen(r):
        return r.ok, r.ok_strict, [(f.kind, f.bar, f.actual) for f in r.findings], r.structure.summary

    assert seen(check(written)[0]) == seen(check(toks)[0])


def test_case5_the_double_bar_closes_a_later_ending_only_at_the_tunes_end():
    abc = detokenize("M:4/4 K:Cmaj |: c 8 |1 d 8 :| |2 e 8 | f 8 | g 8 |".split())
    assert abc.rstrip().endswith("g8 ||") and abc.count("||") == 1


# ----------------------------------------------------------------------------------- case 6


def _folkrnn_tokens(body: str) -> list[str]:
    """folk-rnn's tokenizer as folkrnn.org runs it (the JavaScript port of the script that made the
    v2 training data, folkrnn.parseABC): characters are read one by one, spaces and line breaks
    ignored, then a fixed list of rewrites joins and splits bar tokens."""
    out: list[str] = []
    w = ""
    in_note = in_dur = expect_note = False

    def push(new: str) -> None:
        nonlocal w
        if w:
            out.append(w)
        w = new

    for c in body:
        if c in " \n\r":
            continue
        if c in "|[]":
            if in_note or in_dur:
                push(c)
            else:
                w += c
            in_note = in_dur = False
        elif c == ":":
            if in_note or in_dur:
                push("")
                in_note = in_dur = False
            w += c
        elif c == "(":
            push(c)
            in_dur, in_note = True, False
        elif c in "123456789":
            if in_note:
                push(c)
                in_note = False
            elif in_dur:
                w += c
            else:
                push(c)
            in_dur = True
        elif c in ",'":
            w += c
        elif c == "/":
            if in_note:
                push(c)
            else:
                w += c
            in_dur, in_note = True, False
        elif c in "=_^":
            if in_note or not expect_note:
                push(c)
            else:
                w += c
            in_dur = in_note = False
            expect_note = True
        elif c in "abcdefgzxABCDEFG":
            if expect_note:
                w += c
                expect_note = False
            else:
                push(c)
            in_note, in_dur = True, False
        elif c in "<>":
            if in_dur:
                w += c
            else:
                push(c)
            in_note, in_dur = False, True
    push("")
    text = " ".join(out)
    for pat, rep in [(r": \|", ":|"), (r"\| :", "|:"), (r"\|\[([0-9])", r"|\1"), (r"\| \[([0-9])", r"|\1"),
                     (r"\|\[ ([0-9])", r"|\1"), (r"\| ([0-9])", r"|\1"), (r":\|:", ":| |:"),
                     (r":\|([0-9])", r":| |\1"), (r"::", ":| |:"), (r"\|\[", "| ["), (r"\]\[", "] ["),
                     (r"\]\|", "] |"), (r"\|:\[", "|: ["), (r"\]:\|", "] :|"), (r":\|\|:", ":| |:"),
                     (r"\[ ([0-9])", r"|\1"), (r"-\|", "- |"), (r"\|\|", "|"), (r"-:\|", "- :|")]:
        text = re.sub(pat, rep, text)
    return text.split()


ENDING_TUNES = [
    "M:6/8 K:Cmaj |: G, C C C 2 E | D 3 C 3 |1 G, A, G, G, 3 :| |2 G, A, B, C 3 |",
    "M:4/4 K:Cmaj |: c 8 |1 d 8 :| |2 e 8 | f 8 | g 8 | a 8 | b 8 | c' 8 |: d 8 |1 e 8 :| |2 f 8 :|",
    "M:4/4 K:Cmaj G | c 2 d 2 e 2 f 2 | [ c e ] 4 (3 c d e f > g |1 g 8 | a 7 :| |2 g 8 | c 7 |",
]


def _body(abc: str) -> str:
    return abc.split("\nK:", 1)[1].split("\n", 1)[1]


@pytest.mark.parametrize("seq", ENDING_TUNES)
def test_case6_folkrnns_tokenizer_reads_our_abc_back_into_the_vocabulary(seq):
    toks = seq.split()
    written = detokenize(toks)
    assert ":|2" in written and ":| |2" not in written
    assert _folkrnn_tokens(_body(written)) == toks[2:]
    assert tokenize(written)[0].tokens == toks  # and so does ours


def test_case6_the_old_writing_reads_out_of_the_vocabulary():
    # the reason for the rule: spaces are ignored, so `:| |2` became the OOV `:|2`
    assert _folkrnn_tokens("c8 :| |2 d8 |") == ["c", "8", ":|2", "d", "8", "|"]


def test_folkrnn_examples_read_back_by_folkrnns_tokenizer(folkrnn_examples):
    for toks in read_folkrnn(folkrnn_examples):
        assert _folkrnn_tokens(_body(detokenize(toks))) == toks[2:]


# ----------------------------------------------------------------------------------- case 7


@needs_abc2midi
def test_case7_empty_repeat_round_trips_exactly(tmp_path):
    t = tokenize(_abc("C8 |: :| D8 |"))[0]
    assert " ".join(t.body) == "C 8 |: :| D 8 |"
    written = detokenize(t.tokens)
    assert tokenize(written)[0].tokens == t.tokens
    assert _played(written, tmp_path, "w") == _played(_abc("C8 |: :| D8 |"), tmp_path, "s") == [60, 62]


@pytest.mark.parametrize("body", ["C8 | D |2 :| E8 |", "C8|D|2:|"])
def test_case7_empty_ending_is_normalised_away_with_a_warning(body):
    t = tokenize(_abc(body))[0]
    assert "| |" not in " ".join(t.body) and t.body.count("|") == body.count("|") - 2
    assert "empty bar before :| dropped" in t.warnings
    assert tokenize(detokenize(t.tokens))[0].tokens == t.tokens
    # a generated sequence with the empty bar is written in the same normal form
    gen = "M:4/4 K:Cmaj C 8 | D | :| E 8 |".split()
    assert tokenize(detokenize(gen))[0].tokens == "M:4/4 K:Cmaj C 8 | D :| E 8 |".split()


# ------------------------------------------------------------------------------ token files


def test_one_token_file_reader_with_and_without_sentence_marks():
    plain = "M:4/4 K:Cmaj C 2 D 2 E 2 F 2 |"
    for text in (plain, f"<s> {plain} </s>", f"<s>\nM:4/4\nK:Cmaj\nC 2 D 2 E 2 F 2 |\n</s>\n",
                 f"<s> {plain} </s> <s> {plain} </s>"):
        assert is_token_file(text), text
        blocks = read_token_file(text)
        assert all(b.tokens == plain.split() for b in blocks) and read_folkrnn(text) == [b.tokens for b in blocks]
        results = check(text)
        assert [r.ok for r in results] == [True] * len(blocks)
    assert len(read_token_file(f"<s> {plain} </s> <s> {plain} </s>")) == 2
    assert not is_token_file("X:1\nM:4/4\nK:C\nCDEF|\n") and not is_token_file("<s> C D E F </s>")
