"""Bad input for the ABC reader and the token layer: clear errors naming where, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import music21_abc_paths
from folkabc.cli import main
from folkabc.errors import AbcSyntaxError, FolkabcError, TokenSequenceError, UnknownTokenError
from folkabc.grammar import token_kind
from folkabc.tokens import detokenize, tokenize

TUNE = "X:{x}\nT:Bad One\nM:6/8\nL:1/8\nK:D\n{body}\n"


@pytest.mark.parametrize(
    "body, line, column, message",
    [
        ("DFA d2#f|", 6, 7, "unexpected character '#'"),
        ('DFA "D d2f|', 6, 5, "unterminated guitar chord"),
        ("DFA {g d2f|", 6, 5, "unterminated grace notes"),
        ("DFA [df d2f|", 6, 5, "unterminated chord"),
        ("DFA d2f|\nAFD D0E|", 7, 5, "zero duration"),
        ("DFA d/0f|", 6, 5, "duration divided by zero 'd/0'"),
        ("DFA z/0 [df]/0|", 6, 5, "duration divided by zero 'z/0'"),
        ("DFA [d/0f]|", 6, 5, "duration divided by zero"),
        ("DFA [K:Q] d2f|", 6, 8, "unreadable key"),
        ("DFA [K:Dfoo] d2f|", 6, 8, "unknown mode 'foo'"),
        ("DFA [M:x/y] d2f|", 6, 8, "unreadable meter"),
        ("DFA [L:0] d2f|", 6, 8, "unreadable unit length"),
        ("DFA [C]]|", 6, 8, "unexpected character ']'"),
    ],
)
def test_syntax_errors_name_tune_line_and_column(body, line, column, message):
    text = TUNE.format(x=7, body=body)
    (t,) = tokenize(text)
    assert isinstance(t.error, AbcSyntaxError)
    assert (t.error.tune, t.error.title, t.error.line, t.error.column) == (7, "Bad One", line, column)
    assert message in t.error.message
    assert t.tokens == [] and not t.in_vocab
    assert str(t.error).startswith(f"tune 7 'Bad One', line {line}, column {column}: ")
    with pytest.raises(AbcSyntaxError, match=message.replace("[", r"\[")):
        tokenize(text, strict=True)


def test_bad_header_fields_are_located():
    (t,) = tokenize("X:3\nT:H\nM:seven\nK:D\nDEF|\n")
    assert (t.error.line, t.error.column) == (3, 3) and "unreadable meter" in t.error.message
    (t,) = tokenize("X:4\nT:H\nM:2/4\nL:1/0\nK:D\nDEF|\n")
    assert (t.error.line, t.error.column) == (4, 3)
    (t,) = tokenize("X:5\nK:H#q\nDEF|\n")
    assert t.error.line == 2 and "key" in t.error.message
    (t,) = tokenize("X:6\nK:D\nDEF|\nM:  seven\nDEF|\n")  # a field line in the body: its value's column
    assert (t.error.line, t.error.column) == (4, 5) and "unreadable meter" in t.error.message
    (t,) = tokenize("M:  seven\n\nX:7\nK:D\nDEF|\n")  # the file header's meter
    assert (t.error.line, t.error.column) == (1, 5)


def test_a_bad_tune_does_not_stop_the_others():
    text = TUNE.format(x=1, body="DFA d2f|") + "\n" + TUNE.format(x=2, body="DF$$A @|") + "\n" + \
        TUNE.format(x=3, body="AFD D3|")
    tunes = tokenize(text)
    assert [t.index for t in tunes] == [1, 2, 3]
    assert [t.error is None for t in tunes] == [True, False, True]
    assert tunes[1].error.line == 13  # relative to the whole text


def test_truncated_tunes():
    (t,) = tokenize("X:1\nT:Cut\nM:4/4\nK:G\n")
    assert isinstance(t.error, AbcSyntaxError) and "no notes" in t.error.message
    (t,) = tokenize("X:1\nT:Cut\nM:4/4\nK:G\nGABc [d")
    assert (t.error.line, t.error.column) == (5, 6)
    assert tokenize("") == [] or all(t.error for t in tokenize(""))


def test_unknown_tokens_and_bad_sequences():
    (t,) = tokenize("X:9\nT:Wide\nM:4/4\nL:1/8\nK:C\nC,,D,,E,,F,, c''|\n")
    with pytest.raises(UnknownTokenError) as info:
        t.ids
    # shifted up an octave to fit the low notes, the top note leaves the range
    assert t.tokens[2:7] == ["C,", "D,", "E,", "F,", "c'''"] and t.transpose == 12
    assert info.value.tune == 9 and info.value.position == 6 and info.value.token == "c'''"
    with pytest.raises(TokenSequenceError, match="token 1"):
        detokenize(["M:4/4", "K:Cfoo", "C"])
    with pytest.raises(TokenSequenceError, match="not a folk-rnn token"):
        detokenize(["M:4/4", "K:Cmaj", "C", "#"])
    with pytest.raises(TokenSequenceError, match="chord"):
        detokenize(["M:4/4", "K:Cmaj", "[", "C", "E"])


def test_cli_bad_input_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.abc"
    bad.write_text("X:1\nT:Junk\nK:G\nGA#B|\n", encoding="utf-8")
    assert main(["tokenize", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("folkabc tokenize: error: ") and "line 4, column 3" in err[0]
    assert main(["tokenize", str(tmp_path / "missing.abc")]) == 2
    assert "cannot read" in capsys.readouterr().err
    for command in ("tokenize", "check", "abc"):  # an empty name is said to be one
        assert main([command, ""]) == 2
        assert capsys.readouterr().err == (f"folkabc {command}: error: empty file name: give a file, "
                                           "or - for standard input\n")
    tok = tmp_path / "bad.txt"
    tok.write_text("M:4/4\nK:Cmaj\n| C # |\n", encoding="utf-8")
    assert main(["abc", str(tok)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "token 4" in err[0]


def test_cli_some_tunes_fail_exit_1(tmp_path, capsys):
    f = tmp_path / "two.abc"
    f.write_text(TUNE.format(x=1, body="DFA d2f|") + "\n" + TUNE.format(x=2, body="DF#A|"), encoding="utf-8")
    assert main(["tokenize", str(f)]) == 1
    out, err = capsys.readouterr()
    assert out == "M:6/8\nK:Cmaj\nC E G c 2 e |\n"
    assert err.strip() == "folkabc tokenize: tune 2 'Bad One', line 13, column 3: unexpected character '#'"


# ------------------------------------------------------------------ fuzz: never a traceback


def _check_never_crashes(text: str) -> None:
    try:
        tunes = tokenize(text)
    except FolkabcError as exc:  # pragma: no cover - tokenize stores errors, never raises
        pytest.fail(f"tokenize raised {exc!r}")
    for t in tunes:
        if t.error is not None:
            assert isinstance(t.error, AbcSyntaxError)
            assert t.error.line is not None and t.error.column is not None
        else:
            assert len(t.positions) == len(t.tokens)
            # detokenize closes an open last bar with `|]`, which tokenize reads as `|`
            closed = t.tokens + (["|"] if len(t.tokens) > 2 and token_kind(t.tokens[-1]) not in ("bar", "ending")
                                 else [])
            assert tokenize(detokenize(t.tokens))[0].tokens == closed


_ABC_CHARS = st.sampled_from(list("ABCDEFGabcdefgzxZ^_=,'/|:[]()<>{}\"!+-~.123456789 \n%\\&XTMLKV#@$*"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ABC_CHARS, max_size=200))
def test_fuzz_random_bodies(body):
    _check_never_crashes("X:1\nT:Fuzz\nM:4/4\nL:1/8\nK:D\n" + body)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_any_text(text):
    _check_never_crashes(text)


_REAL = music21_abc_paths("oneills1850")[0].read_text(encoding="latin-1")[:3000]


_EDIT = st.tuples(st.integers(0, len(_REAL) - 1), st.integers(0, 3),
                  st.sampled_from(list("|:[]\"{}()!^_=/<>0123456789X:K\n ")))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_EDIT, min_size=1, max_size=8))
def test_fuzz_mutated_real_abc(edits):
    text = _REAL
    for pos, op, ch in edits:
        if op == 0:
            text = text[:pos] + text[pos + 1:]  # delete
        elif op == 1:
            text = text[:pos] + ch + text[pos:]  # insert
        elif op == 2:
            text = text[:pos] + ch + text[pos + 1:]  # replace
        else:
            text = text[:pos]  # truncate
    _check_never_crashes(text)
