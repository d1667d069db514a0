"""The ``folkabc`` command line.

Each subcommand lives in its own module of this package and exposes
``add_parser(subparsers)``, which registers the subcommand and sets
``func`` (``args -> int`` exit code) on it. :data:`COMMANDS` names them in
``--help`` order with their help line and one example; :func:`main` imports
and builds only the chosen command's module and parser (the others are listed,
not loaded), so ``folkabc check one.abc`` never imports the render package,
numpy or the model. Adding a command adds one line to :data:`COMMANDS`.
A command of switches and one file (``folkabc check``) also names them in
``SWITCHES``, and :func:`quick_args` reads a plain command line of it without
argparse, whose side of the CLI is :mod:`folkabc.cli._parser`.

Exit codes: 0 ok, 1 findings (e.g. miscounted bars), 2 usage or input error.
A :class:`folkabc.errors.FolkabcError`, a usage error and an output that cannot be
written (``> /dev/full``) each become one line on stderr and exit 2; a reader that
goes away (``| head -1``) ends the command quietly.
"""

from __future__ import annotations

import errno
import gc
import importlib
import os
import sys
from types import SimpleNamespace

from .._record import NamedTuple
from ..errors import FolkabcError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import argparse
    from typing import Sequence

    from ._parser import OneLineParser, help_width

__all__ = ["main", "build_parser", "quick_args", "OneLineParser", "Command", "COMMANDS", "chosen_command",
           "help_width"]


def __getattr__(name: str):
    """:class:`OneLineParser` and :func:`help_width` load with :mod:`argparse`, on first use (PEP 562)."""
    if name in ("OneLineParser", "help_width"):
        from . import _parser

        return getattr(_parser, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Command(NamedTuple):
    """One subcommand: the module under ``folkabc.cli`` that builds and runs it, its help line, an example."""

    module: str
    help: str
    example: str


#: Every subcommand, in ``--help`` order. The help line and example are the ones the command's
#: own parser shows (``tests/test_cli_startup.py`` holds them equal), so the top-level listing
#: needs no import of the command modules.
COMMANDS: dict[str, Command] = {
    "demo": Command("demo", "run the main job on the embedded corpus and model, writing a tunebook to a folder",
                    "folkabc demo -o out"),
    "tokenize": Command("tokenize", "ABC → folk-rnn v2 tokens (meter, mode, body)", "folkabc tokenize tunes.abc"),
    "abc": Command("abc", "folk-rnn tokens → ABC", "folkabc abc generated.txt > generated.abc"),
    "check": Command("check", "count the bars of every tune (pickups, repeats, endings)", "folkabc check tunes.abc"),
    "corpus": Command("corpus", "build, inspect and export tune corpora", "folkabc corpus info"),
    "search": Command("search", "find a figure in the corpus (counts, tunes, bars, positions)",
                      'folkabc search "G, C C 2"'),
    "novelty": Command("novelty", "plagiarism report: which bars and figures of a tune the corpus already holds",
                       "folkabc novelty generated.txt"),
    "similar": Command("similar", "nearest corpus tunes of a tune: transposed, rhythm varied, ornamented or with "
                                  "notes changed", "folkabc similar generated.abc"),
    "score": Command("score", "score tunes under a model: log-probabilities, perplexity, surprising tokens",
                     "folkabc score tunes.abc"),
    "train": Command("train", "train an LSTM model on a corpus (needs: pip install 'folkabc[train]')",
                     "folkabc train --out mymodel --layers 128,128 --time-limit 600"),
    "generate": Command("generate", "generate tunes from a folk-rnn model (tokens or ABC, optionally checked)",
                        "folkabc generate -n 10 --meter 6/8 --mode Cdor --seed 42"),
    "render": Command("render", "render tunes as SVG, PNG, PDF, MIDI, MusicXML or an HTML tunebook",
                      "folkabc render tunes.abc --to svg -o out/"),
    "tunebook": Command("tunebook", "write an HTML tunebook (notation, play button, bar check, novelty)",
                        "folkabc tunebook tunes.abc -o book.html"),
    "analyze": Command("analyze", "posterior, Gramians, periodicity, softmax SVD, ablation and beam figures + a "
                                  "report", "folkabc analyze --seed 7 -o report/"),
    "serve": Command("serve", "a local web page to generate, hear, check, compare and keep tunes (and its JSON API)",
                     "folkabc serve"),
}


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option), or None.

    Examples
    --------
    >>> chosen_command(["check", "--json", "t.abc"]), chosen_command(["--version"]), chosen_command(["nope"])
    ('check', None, None)
    """
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(command: str | None = None, *, every: bool = False) -> argparse.ArgumentParser:
    """The top-level parser with ``command``'s subparser built (with ``every``, all of them).

    With no ``command`` every subcommand is listed by its name and help line (an empty subparser),
    so ``folkabc --help`` and a misspelt command's error show them all without importing any
    command module; with one, only that one is there (each parser costs argparse's gettext lookups).

    Examples
    --------
    >>> p = build_parser("check")
    >>> p.parse_args(["check", "--json", "t.abc"]).json
    True
    >>> list(next(a for a in p._actions if a.dest == "command").choices)
    ['check']
    >>> len(next(a for a in build_parser()._actions if a.dest == "command").choices) == len(COMMANDS)
    True
    """
    import argparse

    from .. import __version__
    from ._parser import OneLineParser

    parser = OneLineParser(
        prog="folkabc",
        description="Folk-music transcriptions in ABC and the folk-rnn models that generate them.",
        epilog="examples:\n" + "\n".join(f"  {c.example}" for c in COMMANDS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"folkabc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, cmd in COMMANDS.items():
        if every or name == command:
            importlib.import_module(f"{__name__}.{cmd.module}").add_parser(sub)
        elif command is None:  # --help, --version or a misspelt command: list them all
            sub.add_parser(name, help=cmd.help)
    return parser


def quick_args(argv: Sequence[str]) -> SimpleNamespace | None:
    """``argv`` read without :mod:`argparse`, or None when argparse must read it.

    A command whose options are all on/off switches and one positional argument says so in its
    module's ``SWITCHES`` (a :class:`folkabc.cli._common.Switches`, which also gives argparse those
    options); a command line of that command, its switches spelt out in full and the one positional
    argument is read here to the namespace argparse would make. Anything else — ``--help``, an
    abbreviated or unknown option, ``--``, a missing or second positional argument, an option before
    the command — is None, for argparse to read (or refuse). Importing :mod:`argparse`,
    :mod:`gettext` and :mod:`locale` and building the parser is ~5 ms of ``folkabc check``'s start-up.

    Examples
    --------
    >>> args = quick_args(["check", "--json", "t.abc"])
    >>> args.command, args.file, args.json, args.strict, args.errors_only, args.func.__module__
    ('check', 't.abc', True, False, False, 'folkabc.cli.check')
    >>> quick_args(["check", "--js", "t.abc"]), quick_args(["check", "-h"]), quick_args(["--version"])
    (None, None, None)
    """
    cmd = COMMANDS.get(argv[0]) if argv else None
    if cmd is None:
        return None
    module = importlib.import_module(f"{__name__}.{cmd.module}")
    switches = getattr(module, "SWITCHES", None)
    values = switches.read(argv[1:]) if switches is not None else None
    if values is None:
        return None
    return SimpleNamespace(command=argv[0], **values, func=module.run)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 findings, 2 error).

    A plain command line of a command with ``SWITCHES`` (``folkabc check [--json] FILE``) is read by
    :func:`quick_args`; any other by the command's argparse parser (:func:`build_parser`).

    When main is the program (no ``argv``: ``python -m folkabc``, the ``folkabc`` script) and such a
    command has run and flushed its output, what is left lives until the interpreter exits: it is
    frozen (:func:`gc.freeze`) so that the interpreter's garbage collection at exit does not walk
    it again (~5 ms of ``folkabc check one-tune.abc``'s ~40). Such a command holds no open file or
    other object whose finalizer that collection would run; other commands are left as they are.
    """
    program = argv is None
    if program:
        argv = sys.argv[1:]
    args = quick_args(argv)
    frozen_at_exit = program and args is not None
    if args is None:
        parser = build_parser(chosen_command(argv))
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse: --help (0) or usage error (2)
            return int(exc.code or 0)
    if not getattr(args, "func", None):
        _say("folkabc: error: no command given (folkabc --help lists them)")
        return 2
    try:
        code = int(args.func(args) or 0)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full device or a closed pipe shows here, not at exit
        if frozen_at_exit:
            gc.freeze()
        return code
    except FolkabcError as exc:
        _say(f"folkabc {args.command}: error: {exc}")
        return 2
    except BrokenPipeError:  # `| head -1`: the reader has what it wanted
        _drop_stdout()
        return 0
    except OSError as exc:
        _drop_stdout()
        if exc.errno == errno.EPIPE:
            return 0
        where = f"{exc.filename}: " if exc.filename else "standard output: " if _is_stdout_error(exc) else ""
        _say(f"folkabc {args.command}: error: {where}cannot write: {exc.strerror or exc}")
        return 2
    except KeyboardInterrupt:
        _say("folkabc: interrupted")
        return 130


def _say(line: str) -> None:
    """One line on stderr, if there is a stderr to write to."""
    if sys.stderr is None:
        return
    try:
        print(line, file=sys.stderr)
        sys.stderr.flush()
    except OSError:
        pass


def _is_stdout_error(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG) or exc.filename is None


def _drop_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's flush at exit cannot fail again."""
    if sys.stdout is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
