"""Command start-up: only the chosen command is imported and built; the check path never imports numpy;
search reads the metadata of the rows it prints, not every row's. Behaviour tests, not timings."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import folkabc.cli as cli
from folkabc.cli import COMMANDS, build_parser, chosen_command, main

ROOT = Path(__file__).resolve().parent.parent

ONE_TUNE = "X:1\nT:t\nM:6/8\nL:1/8\nK:D\nAFD DFA|dfa afd|AFD DFA|B2A AFD:|\n"


def modules_after(argv: list[str], tmp_path: Path) -> list[str]:
    """The folkabc and numpy modules loaded after ``folkabc ARGV`` in a fresh interpreter."""
    code = ("import sys, json\nfrom folkabc.cli import main\ncode = main(sys.argv[1:])\n"
            "print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] in ('folkabc', 'numpy'))]))")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=False)
    code, mods = json.loads(out.stdout.strip().splitlines()[-1])
    assert code in (0, 1), out.stderr
    return mods


def test_check_one_tune_imports_no_numpy_and_no_other_command(tmp_path):
    (tmp_path / "one.abc").write_text(ONE_TUNE, encoding="utf-8")
    mods = modules_after(["check", "one.abc"], tmp_path)
    assert "folkabc.validate" in mods and "folkabc.tokens" in mods  # it did read and count the tune
    assert not [m for m in mods if m.split(".")[0] == "numpy"]
    others = {f"folkabc.cli.{c.module}" for name, c in COMMANDS.items() if name != "check"}
    assert not others & set(mods)
    assert not [m for m in mods if m.startswith(("folkabc.render", "folkabc.model", "folkabc.corpus"))]


def test_check_of_a_token_file_and_tokenize_import_no_numpy(tmp_path):
    (tmp_path / "one.txt").write_text("M:2/4\nK:Cmaj\nc 4 | c 4 |\n", encoding="utf-8")
    (tmp_path / "one.abc").write_text(ONE_TUNE, encoding="utf-8")
    assert not [m for m in modules_after(["check", "one.txt"], tmp_path) if m.startswith("numpy")]
    assert not [m for m in modules_after(["tokenize", "one.abc"], tmp_path) if m.startswith("numpy")]


def test_version_imports_no_command_module(tmp_path):
    code = ("import sys\nfrom folkabc.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('folkabc.cli.', 'numpy'))\n"
            "             and m != 'folkabc.cli._parser'))")  # argparse's side of the CLI, not a command
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert out.stdout.startswith("folkabc ")


def test_every_command_module_is_registered():
    found = set()
    for info in pkgutil.iter_modules(cli.__path__):
        if not info.name.startswith("_") and hasattr(importlib.import_module(f"folkabc.cli.{info.name}"),
                                                     "add_parser"):
            found.add(info.name)
    assert found == {c.module for c in COMMANDS.values()}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_registry_help_and_example_are_the_commands_own(name):
    """The top-level listing (no import) says what the command's own parser says."""
    parser = build_parser(name)
    sub = next(a for a in parser._actions if a.dest == "command")
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert helps[name] == COMMANDS[name].help
    assert COMMANDS[name].example in sub.choices[name].format_help()
    assert sub.choices[name].get_default("func") is not None  # built, not only listed


def test_help_lists_every_command_with_its_example(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, c in COMMANDS.items():
        assert f"    {name} " in out and c.example in out


def test_chosen_command_and_the_errors_stay_the_same(capsys):
    assert chosen_command(["--version", "check", "x"]) == "check"
    assert chosen_command(["chek", "x"]) is None
    assert main(["chek", "x"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'chek'" in err and "'check'" in err and err.count("\n") == 1
    assert main([]) == 2


def test_search_prints_matches_reading_only_their_titles(tmp_path):
    from folkabc.corpus import Corpus, build_corpus

    build_corpus(["music21:miscFolk"], tmp_path / "c", workers=1, quiet=True)
    corpus = Corpus.open(tmp_path / "c")
    res = corpus.search("|", limit=3)
    view = corpus.search_view()
    assert len(res.matches) == 3 and corpus.n_rows > 3
    assert view.titles.reads <= 3 and view.sources.reads <= 3
    assert "_meta_cache" not in corpus.__dict__ or "title" not in corpus.__dict__["_meta_cache"]
    whole = corpus.meta_array("title")
    assert [m.title for m in res.matches] == [whole[m.row] for m in res.matches]
    assert [m.source for m in res.matches] == [corpus.meta_array("source")[m.row] for m in res.matches]
