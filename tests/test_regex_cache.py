"""folkabc._regex: patterns made from kept programs are re.compile's patterns, and the file they are kept
in is as safe to lose, change or be unable to write as bytecode."""

from __future__ import annotations

import marshal
import re
import sys

import pytest

from folkabc import _regex, grammar, normalize, tokenfile
from folkabc.abc import keys, lexer, reader

#: Every pattern folkabc compiles through the cache when it loads (and the lexer's lazy BODY_RE).
PATTERNS = [lexer.BODY_FAST_RE, lexer.BODY_ITEMS_RE, lexer.CHORD_RE, lexer.NOTE_RE, lexer.FIELD_LINE_RE,
            lexer.X_LINE_RE, lexer.BODY_RE, keys._KEY_RE, keys._ACC_RE, keys._METER_RE, keys._LENGTH_RE,
            reader._DIRECTIVE_RE, grammar._METER_VALUE, grammar._DIGITS, tokenfile._WORD, normalize._ENDING_TEXT,
            *(rx for _, _, rx in grammar._COMPILED)]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The cache kept in ``tmp_path``, as at the start of a run that writes bytecode."""
    def fresh():
        monkeypatch.setattr(_regex, "_kept", None)
        monkeypatch.setattr(_regex, "_made", set())
        monkeypatch.setattr(_regex, "_new", False)
    path = tmp_path / "__pycache__" / "_regex.marshal"
    monkeypatch.setattr(_regex, "CACHE", str(path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr("atexit.register", lambda fn: None)  # the test writes, not the interpreter's exit
    fresh()
    return path, fresh


@pytest.mark.parametrize("rx", PATTERNS, ids=lambda rx: rx.pattern[:30])
def test_every_pattern_is_re_compiles_and_its_program_makes_it_again(rx):
    import _sre

    assert rx == re.compile(rx.pattern, rx.flags & ~re.UNICODE)  # same text, flags and code
    made = _sre.compile(rx.pattern, *_regex.program(rx.pattern))
    assert made == rx and made.groupindex == rx.groupindex and made.groups == rx.groups


def test_a_kept_program_is_read_instead_of_compiling(cache, monkeypatch):
    path, fresh = cache
    first = [_regex.compile(rx.pattern) for rx in PATTERNS[:6]]
    assert not path.exists()
    _regex._write()
    assert path.exists()
    fresh()
    monkeypatch.setattr(re, "compile", lambda *a: pytest.fail("compiled again"))
    again = [_regex.compile(rx.pattern) for rx in PATTERNS[:6]]
    assert again == first and [a.groupindex for a in again] == [f.groupindex for f in first]
    assert again[0].fullmatch("G2").group("note") == "G2"


def test_another_engine_a_broken_file_or_a_refused_program_compiles_again(cache):
    path, fresh = cache
    rx = lexer.NOTE_RE
    _regex.compile(rx.pattern)
    _regex._write()
    engine, programs = marshal.loads(path.read_bytes())
    for data in (marshal.dumps(((0, 0, 0), programs)), b"not marshal",
                 marshal.dumps((engine, {key: (got[0], [99999] * 5, *got[2:]) for key, got in programs.items()}))):
        path.write_bytes(data)
        fresh()
        assert _regex.compile(rx.pattern) == rx
        assert _regex._new  # it compiled, so it keeps a good program at exit


def test_nothing_is_written_without_bytecode_or_where_it_cannot_be(cache, monkeypatch, tmp_path):
    _, fresh = cache
    registered = []
    monkeypatch.setattr("atexit.register", registered.append)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _regex.compile(r"a+b")
    assert not registered
    fresh()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    _regex.compile(r"a+b")
    assert registered == [_regex._write]
    (tmp_path / "blocked").write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setattr(_regex, "CACHE", str(tmp_path / "blocked" / "_regex.marshal"))
    _regex._write()  # no error, nothing kept
    assert not list(tmp_path.glob("blocked*/*"))
