"""The README is true: every command of its tour prints what the README shows.

The tour (the ```console blocks) runs in order in a scratch folder holding ``examples/``,
through the same runner that pasted the output (``tools/readme_tour.py``); timings are masked.
The README's two commands (main job, tests) are run verbatim by ``.ci/run``.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import readme_tour  # noqa: E402

README = (ROOT / "README.md").read_text(encoding="utf-8")
TOUR = readme_tour.commands(README)


def test_readme_has_both_commands_and_a_tour():
    assert "<!-- main-command -->" in README and "<!-- test-command -->" in README
    main = re.search(r"<!-- main-command -->\n```\n(.*)\n```", README).group(1)
    assert "folkabc demo" in main
    shown = {m for cmd, _ in TOUR for m in re.findall(r"\bfolkabc (\w+)", cmd)}
    # every subcommand of the CLI appears in the tour
    from folkabc.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) <= shown, set(sub.choices) - shown


def test_every_tour_command_prints_what_the_readme_shows():
    """One test, in order: later commands read what earlier ones wrote (e.g. ``mycorpus``)."""
    has_torch = importlib.util.find_spec("torch") is not None
    scratch = readme_tour.scratch()
    wrong = []
    for cmd, shown in TOUR:
        if cmd.startswith("folkabc train") and not has_torch:
            continue  # the train extra; CI installs it
        code, text = readme_tour.run(cmd, scratch)
        got = readme_tour.normalize(text.rstrip("\n").splitlines())
        if code != 0 or got != readme_tour.normalize(shown):
            wrong.append(f"$ {cmd}\n(exit {code})\n" + "\n".join(got))
    assert not wrong, "\n\n".join(wrong)


def test_python_examples_run_as_shown():
    """The README's Python block is a doctest (run from the repository root)."""
    import doctest
    import os

    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        runner.run(test)
    finally:
        os.chdir(cwd)
    assert runner.failures == 0 and runner.tries > 10
