"""folkabc.validate and ``folkabc check`` on ill-formed input: clear errors naming where, never a traceback."""

from __future__ import annotations

import json

import pytest

from folkabc.cli import main
from folkabc.errors import FolkabcError, ParameterError, TokenSequenceError
from folkabc.validate import check, check_tokens


@pytest.mark.parametrize("tokens, position, words", [
    ("M:4/4 K:Cmaj c d { e |", 4, "unknown token '{'"),
    ("M:4/4 K:Cmaj | 2 c d |", 3, "does not follow a note"),
    ("M:4/4 K:Cmaj c d ] e |", 4, "closes no chord"),
    ("M:4/4 K:Cmaj [ c [ e ] ] |", 4, "chord opened inside a chord"),
    ("M:4/4 K:Cmaj [ c e | ] |", 5, "bar line '|' inside a chord"),
    ("M:4/4 K:Cmaj c 3/0 |", 3, "unknown token '3/0'"),
    ("M:4/4 K:Cmaj c d e (1 f |", 5, "unknown token '(1'"),
])
def test_bad_token_sequence_names_position(tokens, position, words):
    with pytest.raises(TokenSequenceError) as info:
        check(tokens.split())
    assert info.value.position == position
    assert words in str(info.value)
    assert f"token {position}" in str(info.value)


def test_unclosed_chord():
    with pytest.raises(TokenSequenceError, match="chord not closed"):
        check("M:4/4 K:Cmaj [ c e g".split())


def test_missing_meter():
    with pytest.raises(TokenSequenceError, match="starts with a meter token") as info:
        check("K:Cmaj c 8 |".split())
    assert info.value.position == 0


def test_bad_meter_argument():
    with pytest.raises(ParameterError, match="meter must be a meter token"):
        check(["c", "8"], meter="6/8")


def test_unknown_source_type():
    with pytest.raises(FolkabcError, match="cannot check a int"):
        check(42)


def test_positions_must_match_tokens():
    with pytest.raises(TokenSequenceError, match="2 positions for 3 tokens"):
        check_tokens(["M:4/4", "c", "8"], positions=[(1, 1), (1, 7)])


def test_error_with_positions_names_line_and_column():
    with pytest.raises(TokenSequenceError) as info:
        check_tokens(["M:4/4", "K:Cmaj", "c", "}"], positions=[(1, 1), (2, 1), (3, 1), (3, 3)], index=7)
    e = info.value
    assert (e.tune, e.line, e.column, e.position) == (7, 3, 3, 3)
    assert str(e).startswith("tune 7, line 3, column 3, token 3:")


def test_token_file_bad_tune_does_not_stop_the_others():
    text = "M:4/4\nK:Cmaj\nc 8 | c 8 |\n\nM:4/4\nK:Cmaj\nc 8 | c & |\n\nM:6/8\nK:Cdor\nc 6 | c 5 |\n"
    res = check(text)
    assert [r.ok for r in res] == [True, False, False]
    assert res[1].error is not None and "line 7, column 9" in res[1].error and "'&'" in res[1].error
    assert res[2].error is None and res[2].miscounted_bars == [2]


def test_cli_bad_input_exit_2_one_line(tmp_path, capsys):
    f = tmp_path / "bad.txt"
    f.write_text("M:4/4\nK:Cmaj\nc 8 | c & |\n")
    assert main(["check", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("folkabc check: error:") and "line 3, column 9" in err[0]


def test_cli_missing_and_empty_file(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.abc")]) == 2
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "empty.abc").write_text("\n\n")
    assert main(["check", str(tmp_path / "empty.abc")]) == 2
    assert "empty input" in capsys.readouterr().err


def test_cli_exit_codes_and_json(tmp_path, capsys, folkrnn_examples):
    good = tmp_path / "good.txt"
    good.write_text(folkrnn_examples)
    assert main(["check", str(good)]) == 0
    assert "2 tunes: 2 ok" in capsys.readouterr().out
    bad = tmp_path / "short.txt"
    bad.write_text("M:4/4\nK:Cmaj\nc 8 | c 7 | c 8 |\n")
    assert main(["check", "--json", str(bad)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data[0]["ok"] is False and data[0]["findings"][0]["bar"] == 2
    assert data[0]["findings"][0]["line"] == 3 and data[0]["findings"][0]["column"] == 7


# random token soup: either counted or a TokenSequenceError naming a position, never a traceback
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SOUP = ["c", "D,", "^f'", "z", "2", "/2", "3/2", ">", "2<", ">>", "(3", "(5", "(3:2:2", "[", "]", "|",
        "|:", ":|", "|1", "|2", "::", "M:3/4", "M:none", "K:Cdor", "Z", "{", "x", "7/0", "3//2", "(1"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SOUP), max_size=40), st.sampled_from(["M:4/4", "M:6/8", "M:5/8"]))
def test_token_soup_never_crashes(body, meter):
    try:
        res = check([meter, "K:Cmaj", *body])
    except TokenSequenceError as exc:
        assert exc.position is not None and 0 <= exc.position < len(body) + 2
        return
    r = res[0]
    assert r.ok == (not r.errors)
    assert all(f.bar >= 0 and f.expected > 0 for f in r.findings)
    r.to_dict()


def test_cli_errors_only(tmp_path, capsys, folkrnn_examples):
    f = tmp_path / "two.txt"
    f.write_text(folkrnn_examples + "\nM:4/4\nK:Cmaj\nc 8 | c 7 | c 8 |\n")
    assert main(["check", "--errors-only", str(f)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == ["tune 3: 1 problem (M:4/4, A, 3 bars)",
                   "  line 11, column 7: bar 2 (part A) is short: 7 units of 1/8 instead of 8",
                   "3 tunes: 2 ok, 1 with miscounted bars, 0 unreadable"]
