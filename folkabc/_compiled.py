"""Which modules folkabc compiles, and the guard that keeps a stale compiled module from running.

The reading path (lexer, reader, normalizer, tokenizer, bar counter) is plain Python. When a C
compiler is at hand, ``setup.py`` also compiles these same files with Cython (annotations ignored, so
the compiled module means what the source says) and Python imports the compiled module before the
source beside it. That is the trap this module closes: in a source checkout (an editable install,
``pyproject.toml`` beside the package), a module edited after it was compiled would still run its old
compiled code. :func:`install_guard` (called by ``folkabc/__init__.py``, before anything else loads)
compares modification times, as Python's own bytecode cache does, and imports the source of any module
whose file is newer than its compiled one. ``FOLKABC_PURE_PYTHON=1`` imports all of them from source
(to profile them, or to compare the two) and makes ``setup.py`` compile nothing.

Examples
--------
>>> "folkabc.tokens" in MODULES
True
>>> sorted(status())[:2]
['folkabc.abc.lexer', 'folkabc.abc.reader']
"""

from __future__ import annotations

import os
import sys

__all__ = ["MODULES", "SourceFinder", "compiled_file", "install_guard", "sourced", "status"]

#: The modules setup.py compiles (dotted names; each is ``name.replace(".", "/") + ".py"``).
MODULES = (
    "folkabc.abc.lexer",
    "folkabc.abc.reader",
    "folkabc.normalize",
    "folkabc.tokens",
)

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder that holds folkabc/
_SOURCED: dict[str, str] = {}  # module -> why it is imported from source although compiled


def compiled_file(root: str, name: str) -> str | None:
    """The compiled module's file for the dotted ``name`` under ``root``, or None when there is none."""
    from importlib.machinery import EXTENSION_SUFFIXES

    base = os.path.join(root, *name.split("."))
    for suffix in EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            return base + suffix
    return None


def sourced(root: str, modules: tuple[str, ...], pure: bool) -> dict[str, str]:
    """Which compiled modules under ``root`` must be imported from source, and why.

    All of them when ``pure``; else, in a source checkout (``pyproject.toml`` in ``root``), each one
    whose ``.py`` was modified after it was compiled. An installed wheel is left alone: its files are
    written in any order, and never edited.

    Examples
    --------
    >>> sourced(_ROOT, ("folkabc.no_such_module",), pure=True)
    {}
    """
    if not pure and not os.path.exists(os.path.join(root, "pyproject.toml")):
        return {}
    out = {}
    for name in modules:
        compiled = compiled_file(root, name)
        if compiled is None:
            continue
        if pure:
            out[name] = "FOLKABC_PURE_PYTHON is set"
        elif os.stat(os.path.join(root, *name.split(".")) + ".py").st_mtime_ns > os.stat(compiled).st_mtime_ns:
            out[name] = "the source changed after it was compiled (rebuild: pip install -e .)"
    return out


class SourceFinder:
    """A meta path finder that imports the named modules from their ``.py`` files under ``root``."""

    def __init__(self, root: str, names) -> None:
        self.root, self.names = root, frozenset(names)

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            return None
        from importlib.util import spec_from_file_location

        return spec_from_file_location(name, os.path.join(self.root, *name.split(".")) + ".py")


def install_guard() -> None:
    """Import from source each compiled module that :func:`sourced` names (called once, on import)."""
    _SOURCED.update(sourced(_ROOT, MODULES, bool(os.environ.get("FOLKABC_PURE_PYTHON"))))
    if _SOURCED:
        sys.meta_path.insert(0, SourceFinder(_ROOT, _SOURCED))


def status() -> dict[str, str]:
    """How each of :data:`MODULES` runs here: ``"compiled"``, ``"source"``, or ``"source: "`` and why.

    It reads the files, not ``sys.modules``: a module not yet imported reports what it will load.
    """
    return {name: "source: " + _SOURCED[name] if name in _SOURCED
            else "compiled" if compiled_file(_ROOT, name) else "source" for name in MODULES}
