"""What a command imports at start-up: ``folkabc check`` loads none of the standard-library modules
that only other commands need (json, pathlib, shutil, tempfile) and no numpy, so its start-up gain
cannot silently come back. Behaviour tests, not timings (bench/startup.py times it).

Each run is a bare interpreter (``python -S``: no site, so no ``.pth`` file, such as setuptools'
editable-install finder, has loaded pathlib and friends before folkabc starts); folkabc comes from
this checkout through PYTHONPATH. The check path needs no third-party package, so ``-S`` runs it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from folkabc.cli import build_parser, help_width
from folkabc.cli._common import to_jsonable

ROOT = Path(__file__).resolve().parent.parent

ONE_TUNE = "X:1\nT:t\nM:6/8\nL:1/8\nK:D\nAFD DFA|dfa afd|AFD DFA|B2A AFD:|\n"

#: Modules ``folkabc check`` (text report) must not import: other commands' needs.
NOT_ON_CHECK = ("json", "pathlib", "shutil", "tempfile", "numpy")


def loaded_by(argv: list[str], cwd: Path) -> tuple[int, set[str], str]:
    """(exit code, modules loaded by ``folkabc ARGV`` in a bare interpreter, stdout)."""
    code = ("import sys\nbefore = set(sys.modules)\nfrom folkabc.cli import main\n"
            "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exc:\n    code = exc.code\n"
            "sys.stdout.flush()\nprint(repr((code, sorted(set(sys.modules) - before))), file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-S", "-c", code, *argv], capture_output=True, text=True, env=env,
                         cwd=cwd, check=False, timeout=60)
    rc, mods = ast.literal_eval(out.stderr.strip().splitlines()[-1])
    return rc, set(mods), out.stdout


def top(mods: set[str]) -> set[str]:
    return {m.split(".")[0] for m in mods}


@pytest.fixture
def files(tmp_path):
    (tmp_path / "one.abc").write_text(ONE_TUNE, encoding="utf-8")
    (tmp_path / "bad.abc").write_text("X:1\nT:t\nM:4/4\nL:1/8\nK:D\nABcd efga|ABc|\n", encoding="utf-8")
    (tmp_path / "one.txt").write_text("M:2/4\nK:Cmaj\nc 4 | c 4 |\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("argv, want_rc", [(["check", "one.abc"], 0), (["check", "one.txt"], 0),
                                           (["check", "bad.abc"], 1), (["check", "--errors-only", "bad.abc"], 1)])
def test_check_imports_no_json_pathlib_shutil_tempfile_or_numpy(files, argv, want_rc):
    rc, mods, out = loaded_by(argv, files)
    assert rc == want_rc, out
    assert "folkabc.validate" in mods  # it did read and count
    assert out.startswith("tune 1") and "1 tune: " in out
    assert not top(mods) & set(NOT_ON_CHECK), sorted(top(mods) & set(NOT_ON_CHECK))


def test_check_json_loads_json_but_not_numpy(files):
    rc, mods, out = loaded_by(["check", "--json", "one.abc"], files)
    assert rc == 0 and '"ok": true' in out
    assert "json" in mods
    assert not top(mods) & {"numpy", "pathlib", "shutil", "tempfile"}


def test_a_missing_file_is_still_one_line_without_them(files):
    rc, mods, out = loaded_by(["check", "nope.abc"], files)
    assert rc == 2
    assert not top(mods) & set(NOT_ON_CHECK)


def test_version_imports_no_reader_and_none_of_them(files):
    rc, mods, out = loaded_by(["--version"], files)
    assert rc == 0 and out.startswith("folkabc ")
    assert not [m for m in mods if m.startswith(("folkabc.cli.", "folkabc.tokens", "folkabc.validate"))]
    assert not top(mods) & {*NOT_ON_CHECK, "dataclasses", "fractions", "inspect"}


@pytest.mark.parametrize("columns", ["", "40", "100", "0", "wide"])
def test_help_width_is_the_width_argparse_would_ask_shutil_for(monkeypatch, columns):
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    else:
        monkeypatch.delenv("COLUMNS", raising=False)
    assert help_width() == shutil.get_terminal_size().columns - 2


def test_help_wraps_as_argparse_would(monkeypatch, capsys):
    """The check parser's --help, built with help_width, equals argparse's own wrapping at that width."""
    import argparse

    from folkabc.cli import check

    monkeypatch.setenv("COLUMNS", "52")
    ours = build_parser("check")
    sub = next(a for a in ours._actions if a.dest == "command").choices["check"]
    plain = argparse.ArgumentParser(prog="folkabc", formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_parser(plain.add_subparsers())
    theirs = next(a for a in plain._actions if isinstance(a, argparse._SubParsersAction)).choices["check"]
    assert sub.format_help() == theirs.format_help()
    assert sub.format_usage().count("\n") > 1  # 52 columns: the usage line wrapped


def test_to_jsonable_turns_numpy_values_into_python_ones_when_numpy_is_there():
    np = pytest.importorskip("numpy")
    got = to_jsonable({"a": np.arange(3), "b": np.float32(1.5), "c": np.int64(7), "d": [np.bool_(True)]})
    assert got == {"a": [0, 1, 2], "b": 1.5, "c": 7, "d": [True]}
    assert type(got["c"]) is int and type(got["b"]) is float and type(got["d"][0]) is bool
