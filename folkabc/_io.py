"""Atomic file writes: a temp file in the same folder, then ``os.replace`` (nothing half-written).

Also JSON read under the nesting limit. :func:`json_depth` is on the tokenizer's path (``folkabc
check``), so :mod:`json`, :mod:`pathlib` and :mod:`tempfile` load in the functions that use them.
"""

from __future__ import annotations

import os

from . import _regex
from .errors import FolkabcError
from .limits import check_limit

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO, Callable

_JSON_STRING = _regex.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = _regex.compile(r"[\[\]{}]")

__all__ = ["atomic_write", "json_depth", "load_json", "current_umask"]


def atomic_write(path: str | os.PathLike, data: str | bytes | Callable[[IO[bytes]], None], *,
                 error: type[FolkabcError] = FolkabcError, what: str = "cannot write") -> Path:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new one, never a part.

    Parameters
    ----------
    path : path
        The file to write (its folder must exist).
    data : str, bytes, or callable
        Text (written as UTF-8), bytes, or a function that writes into the open binary file.
    error : FolkabcError subclass
        Raised, naming the path, when the file cannot be written (the temp file is removed).
    what : str
        The start of that error's message (``"<what>: <reason>"``).

    The new file gets the usual mode for new files (``0o666`` less the umask), as ``open`` gives.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, os
    >>> p = atomic_write(os.path.join(tempfile.mkdtemp(), "x.txt"), "hello")
    >>> p.read_text(), oct(p.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())
    ('hello', True)
    >>> atomic_write("/nonexistent-folder/x.txt", "hello")
    Traceback (most recent call last):
    ...
    folkabc.errors.FolkabcError: /nonexistent-folder/x.txt: cannot write: No such file or directory
    """
    import tempfile
    from pathlib import Path

    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise error(f"{what}: {exc.strerror or exc}", path=str(path)) from exc
    try:
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600; give the file the mode open() would
        with os.fdopen(fd, "wb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise error(f"{what}: {exc.strerror or exc}", path=str(path)) from exc
        raise
    return path


def current_umask() -> int:
    """The process's umask (read without changing it for longer than the call).

    Examples
    --------
    >>> 0 <= current_umask() <= 0o777
    True
    """
    mask = os.umask(0)
    os.umask(mask)
    return mask


def json_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text (strings skipped), without parsing it.

    Linear in the text and without recursion, so it can measure text that :func:`json.loads`
    would overflow the stack on.

    Examples
    --------
    >>> json_depth('{"a": [1, {"b": "[[["}]}')
    3
    >>> json_depth("[" * 100000 + "]" * 100000)
    100000
    """
    depth = top = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            top = max(top, depth)
        else:
            depth -= 1
    return top


def load_json(text: str, *, path: str | None = None, error: type[FolkabcError] = FolkabcError):
    """``json.loads(text)``, refusing text nested deeper than the ``max_json_depth`` limit first.

    Errors (bad JSON, too deep) become one ``error`` naming ``path`` and the line and column.

    Examples
    --------
    >>> load_json('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> load_json("[" * 1000 + "]" * 1000, path="model.json")
    Traceback (most recent call last):
    ...
    folkabc.errors.FolkabcError: model.json: JSON nesting: 1000 levels is over the limit max_json_depth = 64 (nesting of JSON in a model.json or index file); raise it with FOLKABC_MAX_JSON_DEPTH=N
    """
    import json

    check_limit("max_json_depth", json_depth(text), where="JSON nesting", path=path, error=error)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno) from exc
    except (ValueError, RecursionError) as exc:
        raise error(f"not valid JSON: {exc}", path=path) from exc
