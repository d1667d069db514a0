"""The argparse side of the ``folkabc`` command line: the parser class and the help width.

:func:`folkabc.cli.main` imports this module (and with it :mod:`argparse`, :mod:`gettext` and
:mod:`locale`) only for a command line it cannot read by a command's :class:`~folkabc.cli._common.Switches`:
``--help``, ``--version``, a usage error, or a command with other options.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["OneLineParser", "help_width"]


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

    def __init__(self, *args, formatter_class=argparse.HelpFormatter, **kwargs) -> None:
        super().__init__(*args, formatter_class=_at_help_width(formatter_class), **kwargs)

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


def help_width() -> int:
    """The width help text wraps to: the terminal's columns (``$COLUMNS`` first) less 2, as argparse's.

    argparse's formatter asks :func:`shutil.get_terminal_size` when it is given no width, and every
    ``add_argument`` makes a formatter; importing :mod:`shutil` (with bz2, lzma and zlib) is a tenth
    of ``folkabc check``'s start-up, so the parsers here read the same sources themselves:
    ``$COLUMNS``, else the terminal on standard output, else 80 columns.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"COLUMNS": "100"}):
    ...     help_width()
    98
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


def _at_help_width(formatter_class):
    """``formatter_class`` made with :func:`help_width` (argparse calls ``formatter_class(prog=...)``)."""
    def make(prog: str) -> argparse.HelpFormatter:
        return formatter_class(prog, width=help_width())

    return make
