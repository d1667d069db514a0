"""``folkabc check``'s command line read without argparse (:func:`folkabc.cli.quick_args`) is the one
argparse reads: the same namespace for every command line it reads, and the same output, errors and
exit code as the argparse path for normal input, ``--json``, a missing file, a bad option and ``--help``."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from folkabc import cli
from folkabc.cli import build_parser, chosen_command, main, quick_args
from folkabc.cli.check import SWITCHES

ONE_TUNE = "X:1\nT:t\nM:6/8\nL:1/8\nK:D\nAFD DFA|dfa afd|AFD DFA|B2A AFD:|\n"
BAD_TUNE = "X:1\nT:t\nM:4/4\nL:1/8\nK:D\nABcd efga|ABc|\n|: C4 C4 :|\n"

#: Words a check command line is made of: its switches, files, stdin, and what argparse reads
#: otherwise (abbreviations, help, ``--``, ``--opt=value``, negative numbers, words with blanks).
WORDS = [*SWITCHES.switches, "one.abc", "b.txt", "-", "", "x y", "--js", "--err", "--st", "-h", "--help",
         "--", "-1", "-x", "--json=1", "--version", "check", "-x y", "--strict=", "—json"]


def argparse_args(argv: list[str]) -> dict | None:
    """What argparse reads from ``argv`` (its namespace as a dict), or None when it refuses or exits."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return vars(build_parser(chosen_command(argv)).parse_args(argv))
    except SystemExit:
        return None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=5))
def test_a_command_line_read_without_argparse_is_read_as_argparse_reads_it(words):
    argv = ["check", *words]
    quick = quick_args(argv)
    if quick is not None:
        assert vars(quick) == argparse_args(argv)


@pytest.mark.parametrize("words", [["one.abc"], ["--json", "one.abc"], ["one.abc", "--strict", "--errors-only"],
                                   ["-"], ["--json", "--json", "x y"], [""], ["one.abc", "--errors-only"]])
def test_plain_command_lines_are_read_without_argparse(words):
    argv = ["check", *words]
    quick = quick_args(argv)
    assert quick is not None and vars(quick) == argparse_args(argv)


@pytest.mark.parametrize("argv", [["check"], ["check", "a", "b"], ["check", "--js", "a"], ["check", "-h"],
                                  ["check", "--", "a"], ["check", "-1"], ["--version"], ["check", "--json=1", "a"],
                                  ["tokenize", "a.abc"], [], ["nope", "a"]])
def test_anything_else_is_left_to_argparse(argv):
    assert quick_args(argv) is None


def run(argv: list[str], capsys, monkeypatch, *, quick: bool, stdin: str = "") -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``folkabc ARGV`` in this process, by quick_args or by argparse."""
    if not quick:
        monkeypatch.setattr(cli, "quick_args", lambda argv: None)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8"))
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    monkeypatch.undo()
    return code, out, err


@pytest.mark.parametrize("words, want", [
    (["one.abc"], 0), (["bad.abc"], 1), (["--json", "one.abc"], 0), (["--json", "bad.abc"], 1),
    (["bad.abc", "--errors-only"], 1), (["--strict", "one.abc"], 0), (["one.txt"], 0), (["-"], 0),
    (["nope.abc"], 2), (["empty.abc"], 2), (["--bad", "one.abc"], 2), (["--help"], 0), (["-h"], 0),
    (["--js", "one.abc"], 0), (["one.abc", "bad.abc"], 2), ([], 2),
])
def test_the_output_is_the_argparse_paths_byte_for_byte(tmp_path, capsys, monkeypatch, words, want):
    (tmp_path / "one.abc").write_text(ONE_TUNE, encoding="utf-8")
    (tmp_path / "bad.abc").write_text(BAD_TUNE, encoding="utf-8")
    (tmp_path / "one.txt").write_text("M:2/4\nK:Cmaj\nc 4 | c 4 |\n", encoding="utf-8")
    (tmp_path / "empty.abc").write_text("\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    argv = ["check", *words]
    fast = run(argv, capsys, monkeypatch, quick=True, stdin=ONE_TUNE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    slow = run(argv, capsys, monkeypatch, quick=False, stdin=ONE_TUNE)
    assert fast == slow
    assert fast[0] == want, fast
    assert fast[1] or fast[2]  # it said something


@pytest.mark.parametrize("argv, frozen", [(["check", "one.abc"], True), (["check", "--json", "one.abc"], True),
                                          (["check", "--js", "one.abc"], False), (["check", "nope.abc"], False)])
def test_only_a_quick_command_run_as_the_program_freezes_what_is_left(tmp_path, argv, frozen):
    """main() with no argv (the program) freezes the objects left after a quick-read command has run
    and flushed (gc.freeze: the collection at exit skips them); main(argv) and other runs do not."""
    (tmp_path / "one.abc").write_text(ONE_TUNE, encoding="utf-8")
    code = ("import gc, sys\nfrom folkabc.cli import main\n"
            "explicit = main(sys.argv[1:]), gc.get_freeze_count()\n"
            "program = main(), gc.get_freeze_count()\n"
            "print(repr((explicit, program)), file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(Path(cli.__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-S", "-c", code, *argv], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True, timeout=60)
    (_, explicit_frozen), (_, program_frozen) = ast.literal_eval(out.stderr.strip().splitlines()[-1])
    assert explicit_frozen == 0
    assert (program_frozen > 0) == frozen
