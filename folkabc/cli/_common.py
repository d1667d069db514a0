"""Helpers shared by the CLI subcommands: input, JSON output, a command's switches.

:mod:`json` loads when a command prints JSON, not when it starts (``folkabc check`` imports no
:mod:`json`, :mod:`pathlib` or :mod:`dataclasses` here; ``tests/test_cli_imports.py`` holds it).
"""

from __future__ import annotations

import os
import sys
from fractions import Fraction

from .._record import NamedTuple
from ..errors import FolkabcError
from ..limits import check_limit, limit

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

__all__ = ["path_arg", "read_input", "require_text",
           "name_input", "print_json", "to_jsonable", "example_epilog", "Switches"]


class Switches(NamedTuple):
    """A command's options when they are on/off switches and one positional argument, said once.

    :meth:`add_to` gives them to the command's argparse parser; :meth:`read` reads a command line
    of them without argparse, for :func:`folkabc.cli.quick_args` (a command module names its
    ``SWITCHES``), and leaves anything argparse would read otherwise or refuse to argparse.

    Examples
    --------
    >>> form = Switches("file", "FILE", "the input", {"--json": "print JSON", "--errors-only": "errors"})
    >>> form.read(["--json", "t.abc"])
    {'file': 't.abc', 'json': True, 'errors_only': False}
    >>> form.read(["-", "--errors-only", "--errors-only"])
    {'file': '-', 'json': False, 'errors_only': True}
    >>> [form.read(w) for w in (["--js", "t.abc"], ["-h"], ["a", "b"], [], ["--", "t.abc"], ["--json=1", "t"])]
    [None, None, None, None, None, None]
    """

    positional: str
    metavar: str
    help: str
    switches: dict[str, str]  # the option, spelt out → its help line

    def add_to(self, parser) -> None:
        """Add the positional argument, then each switch (``store_true``), to an argparse parser."""
        parser.add_argument(self.positional, metavar=self.metavar, help=self.help)
        for option, text in self.switches.items():
            parser.add_argument(option, action="store_true", help=text)

    def read(self, words: list[str]) -> dict[str, Any] | None:
        """``{dest: value}`` as argparse reads ``words``, or None where argparse must read them.

        Read here: each switch spelt out (any number of times), and one positional argument that
        does not start with ``-`` (or is ``-``, standard input), in any order. Anything else — an
        abbreviation argparse would expand, ``-h``, ``--``, ``--opt=value``, a word argparse might
        take for a negative number, no or a second positional argument — is None.
        """
        values: dict[str, Any] = {self.positional: None}
        values.update((option.lstrip("-").replace("-", "_"), False) for option in self.switches)
        seen = False
        for word in words:
            if word in self.switches:
                values[word.lstrip("-").replace("-", "_")] = True
            elif word == "-" or not word.startswith("-"):
                if seen:
                    return None
                values[self.positional], seen = word, True
            else:
                return None
        return values if seen else None


def path_arg(text: str) -> str:
    """An argparse ``type`` for a file or folder name: an empty one is refused while the line is
    read (one line, exit 2), not taken as "not given" (``-o ''`` would write the default corpus).

    Examples
    --------
    >>> path_arg("tunes.abc")
    'tunes.abc'
    >>> path_arg("")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: empty path
    """
    if not text:
        import argparse

        raise argparse.ArgumentTypeError("empty path")
    return text


def read_input(path: str) -> str:
    """Read a text file, or stdin when ``path`` is ``-``; errors become :class:`FolkabcError`."""
    if path == "-":
        if sys.stdin is None:  # `folkabc tokenize - <&-`
            raise FolkabcError("cannot read standard input: it is closed", path="-")
        try:
            data = sys.stdin.buffer.read(limit("max_file_bytes") + 1)
        except (OSError, ValueError) as exc:
            raise FolkabcError(f"cannot read standard input: {getattr(exc, 'strerror', None) or exc}",
                               path="-") from exc
        check_limit("max_file_bytes", len(data), where="standard input", path="-")
    elif not path:  # `folkabc check ""`: no name to open (the error line would name nothing)
        raise FolkabcError("empty file name: give a file, or - for standard input")
    else:
        try:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                check_limit("max_file_bytes", size, path=path)
                data = fh.read(limit("max_file_bytes") + 1)  # a growing file or a pipe: read at most this
        except OSError as exc:
            raise FolkabcError(f"cannot read: {exc.strerror or exc}", path=path) from exc
        check_limit("max_file_bytes", len(data), path=path)
    for enc in ("utf-8", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise FolkabcError("cannot decode file", path=path)  # pragma: no cover (latin-1 never fails)


def name_input(exc: FolkabcError, path: str) -> FolkabcError:
    """Name the input file ``path`` in an error that names no file (not for stdin ``-``).

    Examples
    --------
    >>> str(name_input(FolkabcError("no tune found"), "t.abc"))
    't.abc: no tune found'
    """
    if exc.path is None and path != "-":
        exc.path = path
        exc.args = (str(exc),)
    return exc


def require_text(text: str, path: str) -> str:
    """``text``, or a :class:`FolkabcError` "empty input" naming ``path`` when it holds only blanks.

    Examples
    --------
    >>> require_text("X:1", "tune.abc")
    'X:1'
    >>> require_text("  \\n", "-")
    Traceback (most recent call last):
    ...
    folkabc.errors.FolkabcError: -: empty input
    """
    if not text.strip():
        raise FolkabcError("empty input", path=path)
    return text


def to_jsonable(obj: Any) -> Any:
    """Turn records, numpy values, Fractions and paths into JSON-ready data.

    A record — a dataclass, a :class:`typing.NamedTuple` or a :class:`folkabc._record.Record` —
    becomes its ``to_dict()`` when it has one, else an object of its fields by name (a NamedTuple
    too: it is a record, not a list); other tuples and lists become lists. A value can only be a
    dataclass or a numpy value if its module is loaded, so neither module is imported here:
    ``folkabc check --json`` stays without numpy, :mod:`dataclasses` and :mod:`inspect`.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from pathlib import Path
    >>> to_jsonable({"bar": Fraction(3, 8), 2: [Path("a/b"), (Fraction(4), "x", None)]})
    {'bar': '3/8', '2': ['a/b', [4, 'x', None]]}
    >>> from folkabc.abc.keys import parse_meter
    >>> to_jsonable([parse_meter("6/8")])
    [{'text': '6/8', 'value': '3/4', 'token': 'M:6/8'}]
    """
    if obj is None or type(obj) in (str, int, float, bool):
        return obj
    fields = getattr(type(obj), "_fields", None)  # a NamedTuple or a Record, before the tuples below
    if type(fields) is tuple and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return {name: to_jsonable(getattr(obj, name)) for name in fields}
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is not None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Fraction):
        return str(obj) if obj.denominator != 1 else int(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, BaseException):
        return str(obj)
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, np.generic):
            return obj.item()
    return obj


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout."""
    import json

    json.dump(to_jsonable(obj), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def example_epilog(*lines: str) -> str:
    """An ``Example:`` block for a subcommand's ``--help``."""
    return "example:\n" + "\n".join(f"  {ln}" for ln in lines)


def fail(message: str, **where: Any) -> FolkabcError:
    """A :class:`FolkabcError` for the CLI to raise."""
    return FolkabcError(message, **where)
