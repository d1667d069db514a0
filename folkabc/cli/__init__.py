"""The ``folkabc`` command line.

Each subcommand lives in its own module of this package and exposes
``add_parser(subparsers)``, which registers the subcommand and sets
``func`` (``args -> int`` exit code) on it, and an ``ORDER`` number for
``--help``. :func:`main` discovers them, so adding a command never touches
this file.

Exit codes: 0 ok, 1 findings (e.g. miscounted bars), 2 usage or input error.
A :class:`folkabc.errors.FolkabcError`, a usage error and an output that cannot be
written (``> /dev/full``) each become one line on stderr and exit 2; a reader that
goes away (``| head -1``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import sys

from ..errors import FolkabcError

__all__ = ["main", "build_parser", "OneLineParser"]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: ``folkabc CMD: error: …`` (exit 2).

    ``--help`` still prints the full usage; only errors are shortened, and they point at it.

    Examples
    --------
    >>> p = OneLineParser(prog="folkabc demo")
    >>> _ = p.add_argument("-n", type=int)
    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     try:
    ...         p.parse_args(["-n", "x"])
    ...     except SystemExit as exc:
    ...         print(exc.code)
    2
    >>> err.getvalue()
    "folkabc demo: error: argument -n: invalid int value: 'x' (see folkabc demo --help)\\n"
    """

    def error(self, message: str):  # noqa: D102
        message = " ".join(str(message).split())  # argparse messages may hold newlines
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def exit(self, status: int = 0, message: str | None = None):  # noqa: D102
        if message and sys.stderr is not None:
            try:
                sys.stderr.write(message)
            except OSError:
                pass
        sys.exit(status)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every discovered subcommand."""
    parser = OneLineParser(
        prog="folkabc",
        description="Folk-music transcriptions in ABC and the folk-rnn models that generate them.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"folkabc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "add_parser"):
            modules.append(mod)
    for mod in sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__)):
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 findings, 2 error)."""
    parser = build_parser()
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
