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

#: What ``folkabc check`` may use of the standard library: these and what they import is all it may load
#: besides folkabc (and json for ``--json``) — no typing, argparse, gettext, locale, bisect, dataclasses.
CHECK_NEEDS = ("re", "fractions", "collections", "gc", "errno", "types", "keyword", "importlib", "os", "marshal",
               "__future__", "importlib.machinery")
#: folkabc's modules that ``folkabc check`` of ABC or token text does not load: the vocabulary, JSON input,
#: the progress bar, and argparse's side of the command line.
NOT_ON_CHECK_FOLKABC = ("folkabc.vocab", "folkabc._io", "folkabc._progress", "folkabc.cli._parser")


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


@pytest.mark.parametrize("argv", [["check", "one.abc"], ["check", "one.txt"], ["check", "bad.abc"],
                                  ["check", "--json", "one.abc"], ["check", "--json", "one.txt"]])
def test_check_imports_no_dataclasses_or_inspect(files, argv):
    """The check path's records are NamedTuples and folkabc._record.Record classes: importing
    :mod:`dataclasses` (and with it :mod:`inspect`) cost ~10 ms and decorating 17 classes ~13 ms."""
    rc, mods, out = loaded_by(argv, files)
    assert rc in (0, 1), out
    assert {"folkabc.validate", "folkabc.tokens" if argv[-1].endswith(".abc") else "folkabc.tokenfile"} <= mods
    assert "1 tune" in out or '"index": 1' in out  # it did read and count
    assert not top(mods) & {"dataclasses", "inspect"}, sorted(top(mods) & {"dataclasses", "inspect"})


def stdlib_of(names: tuple[str, ...]) -> set[str]:
    """The modules a bare interpreter has after importing ``names`` and not before."""
    code = f"import sys\nbefore = set(sys.modules)\nimport {', '.join(names)}\nprint(sorted(set(sys.modules) - before))"
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(ast.literal_eval(out.stdout.strip()))


@pytest.mark.parametrize("argv", [["check", "one.abc"], ["check", "one.txt"], ["check", "bad.abc"],
                                  ["check", "--errors-only", "--strict", "bad.abc"], ["check", "nope.abc"],
                                  ["check", "--json", "one.abc"]])
def test_check_loads_only_the_standard_library_it_needs(files, argv):
    """Not typing (~5 ms: records are folkabc._record.NamedTuple), not argparse, gettext or locale
    (~5 ms: cli.quick_args reads the command line), nor bisect and the vocabulary (pitch spelling's)."""
    rc, mods, out = loaded_by(argv, files)
    assert rc in (0, 1, 2), out
    allowed = stdlib_of(CHECK_NEEDS + (("json",) if "--json" in argv else ()))
    # _cython_3_x and cython_runtime: what folkabc's compiled modules (folkabc._compiled) share
    assert not {m for m in mods if not m.startswith(("folkabc", "_cython_", "cython_runtime"))} - allowed
    assert not set(NOT_ON_CHECK_FOLKABC) & mods
    assert {"typing", "argparse", "gettext", "locale", "bisect"}.isdisjoint(mods)  # (said plainly)


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
    assert not [m for m in mods if m.startswith(("folkabc.cli.", "folkabc.tokens", "folkabc.validate"))
                and m != "folkabc.cli._parser"]  # argparse's side of the CLI, not a command
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


def test_to_jsonable_writes_records_as_objects_by_field_name():
    """A NamedTuple record is an object of its fields, not a list; a Record too; a to_dict() wins;
    a plain tuple stays a list."""
    from fractions import Fraction

    from folkabc._record import Record
    from folkabc.abc.keys import parse_key, parse_meter
    from folkabc.tokens import tokenize
    from folkabc.validate._parts import PartPlan

    assert to_jsonable(parse_meter("6/8")) == {"text": "6/8", "value": "3/4", "token": "M:6/8"}
    key = to_jsonable([parse_key("Bb")])[0]
    assert key == {"tonic": "B", "tonic_alter": -1, "mode": "maj", "signature": [0, 0, -1, 0, 0, 0, -1],
                   "warnings": []}
    assert to_jsonable(PartPlan(0, [1, 2], endings=[1, 2])) == {"index": 0, "bars": [1, 2], "pickup": None,
                                                               "repeated": False, "endings": [1, 2], "n_bars": 0}
    tune = tokenize("X:3\nT:A\nM:2/4\nL:1/8\nK:C\nCD|\n")[0]
    assert isinstance(tune, Record) and to_jsonable(tune) == to_jsonable(tune.to_dict())
    assert to_jsonable((Fraction(1, 2), ("x", 1))) == ["1/2", ["x", 1]]
