"""Compiled regular expressions kept between runs, as Python keeps compiled modules.

Compiling folkabc's patterns — the ABC lexer's two long alternations above all — is ~6 ms of every
start, a sixth of ``folkabc check one-tune.abc``'s. :func:`compile` is :func:`re.compile`, and it keeps
what the compiler made of each pattern (its program: codes, groups and group names) in a file beside
the package's bytecode, ``folkabc/__pycache__/_regex.<cache tag>.marshal``; at the next start the
pattern is made from the program as :func:`re.compile` ends by making it (``_sre.compile``), without
parsing and compiling again.

The file is as safe to lose as bytecode: it is keyed by the interpreter (its version and the regular
expression engine's ``MAGIC`` and code size), an entry by the pattern's text and flags, so another
interpreter, a changed pattern or a file that cannot be read compiles as :func:`re.compile` does. Like
bytecode it is written only where Python writes bytecode (not under ``PYTHONDONTWRITEBYTECODE`` or
``python -B``) and where the folder is writable, once, at exit, by a run that compiled a pattern the
file did not hold; each program is written only after the pattern it makes has been checked equal
(same text, flags and code) to :func:`re.compile`'s.

Examples
--------
>>> import re
>>> compile(r"(?P<n>\\d+)/(?P<d>\\d+)") == re.compile(r"(?P<n>\\d+)/(?P<d>\\d+)")
True
>>> compile(r"(?P<n>\\d+)").fullmatch("12").group("n")
'12'
"""

from __future__ import annotations

import marshal
import os
import re
import sys

try:
    import _sre
except ImportError:  # pragma: no cover — another implementation: compile as re does
    _sre = None

__all__ = ["compile", "program", "CACHE"]

#: The file the programs are kept in (beside this package's bytecode).
CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__",
                     f"_regex.{sys.implementation.cache_tag}.marshal")
#: What a program depends on besides its pattern: the interpreter and its regular expression engine.
_ENGINE = (sys.hexversion, getattr(_sre, "MAGIC", None), getattr(_sre, "CODESIZE", None))
#: At most this many programs are kept (patterns no run uses any more are dropped beyond it).
_MAX_KEPT = 256

_kept: dict | None = None  # (pattern, flags) → program, from the file
_made: set = set()  # the keys this run compiled or made
_new = False  # this run compiled a pattern the file did not hold


def program(pattern: str, flags: int = 0) -> tuple:
    """What :func:`re.compile` makes ``pattern`` into: ``(flags, code, groups, groupindex, indexgroup)``.

    Read as :func:`re.compile` reads it (its parser and code generator); ``_sre.compile(pattern,
    *program(pattern))`` is then the compiled pattern.

    Examples
    --------
    >>> flags, code, groups, groupindex, indexgroup = program(r"(?P<a>x)(y)")
    >>> groups, groupindex, indexgroup
    (2, {'a': 1}, (None, 'a', None))
    """
    from re import _compiler, _parser

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    # plain ints (the code generator's opcodes are named int constants, which marshal does not write)
    return (int(flags | parsed.state.flags), [int(c) for c in code], parsed.state.groups - 1, groupindex,
            tuple(indexgroup))


def compile(pattern: str, flags: int = 0) -> re.Pattern:
    """:func:`re.compile` ``(pattern, flags)``, made from the program an earlier run kept when there is one."""
    global _kept, _new
    if _kept is None:
        _kept = _read()
    key = (pattern, int(flags))
    _made.add(key)
    got = _kept.get(key)
    if got is not None:
        try:
            return _sre.compile(pattern, *got)
        except Exception:  # noqa: BLE001 — a program this engine refuses: compile it again
            del _kept[key]
    if not _new and _writes():
        import atexit

        atexit.register(_write)
    _new = True
    return re.compile(pattern, flags)


def _writes() -> bool:
    return _sre is not None and not sys.dont_write_bytecode


def _read() -> dict:
    """The programs kept for this interpreter ({} when there are none, or none for it)."""
    if _sre is None:
        return {}
    try:
        with open(CACHE, "rb") as fh:
            engine, programs = marshal.loads(fh.read())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return programs if engine == _ENGINE and type(programs) is dict else {}


def _write() -> None:
    """Keep the programs of the patterns this run compiled (each checked against :func:`re.compile`)."""
    programs = dict(_kept or {})
    for pattern, flags in _made - programs.keys():
        try:
            got = program(pattern, flags)
            if _sre.compile(pattern, *got) != re.compile(pattern, flags):  # pragma: no cover
                continue
        except Exception:  # noqa: BLE001, S112 — re's internals moved: keep nothing for it
            continue
        programs[(pattern, flags)] = got
    if len(programs) > _MAX_KEPT:
        programs = {key: got for key, got in programs.items() if key in _made}
    part = f"{CACHE}.{os.getpid()}"
    try:
        data = marshal.dumps((_ENGINE, programs))
        os.makedirs(os.path.dirname(CACHE), exist_ok=True)
        with open(part, "wb") as fh:
            fh.write(data)
        os.replace(part, CACHE)
    except (OSError, ValueError):  # a folder Python cannot write bytecode to either; nothing kept
        try:
            os.unlink(part)
        except OSError:
            pass
