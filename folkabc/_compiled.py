"""What folkabc compiles, and the guard that keeps a stale compiled module from running.

Two kinds of compiled module, both built by ``setup.py`` with Cython where a C compiler is at hand:

- :data:`MODULES`, the reading path (lexer, reader, normalizer, tokenizer): plain Python that is
  also compiled from the same ``.py`` files (annotations ignored, so the compiled module means what
  the source says); Python imports the compiled module before the source beside it.
- :data:`KERNELS`, numeric kernels written in C (``.pyx`` and ``.h``) that have a numpy reference
  in the module that uses them (``folkabc/model/_cell.pyx``: the scoring LSTM cell, whose
  reference is ``lstm._lstm_cell_scaled``); where one cannot be imported, the reference runs.

The trap this module closes: in a source checkout (an editable install, ``pyproject.toml`` beside the
package), a file edited after it was compiled would still run its old compiled code.
:func:`install_guard` (called by ``folkabc/__init__.py``, before anything else loads) compares
modification times, as Python's own bytecode cache does: a stale module is imported from its
source, a stale kernel is not imported at all (its user falls back to the reference).
``FOLKABC_PURE_PYTHON=1`` does that to every one of them (to profile, or to compare the two) and
makes ``setup.py`` compile nothing.

Examples
--------
>>> "folkabc.tokens" in MODULES, "folkabc.model._cell" in KERNELS
(True, True)
>>> sorted(status())[:2]
['folkabc.abc.lexer', 'folkabc.abc.reader']
"""

from __future__ import annotations

import os
import sys

__all__ = ["KERNELS", "MODULES", "SourceFinder", "compiled_file", "install_guard", "sourced", "status"]

#: The modules setup.py compiles from their own ``.py`` files (dotted names).
MODULES = (
    "folkabc.abc.lexer",
    "folkabc.abc.reader",
    "folkabc.normalize",
    "folkabc.tokens",
)
#: The kernels setup.py compiles from ``.pyx`` (with a ``.h`` of the same name, where there is one).
KERNELS = ("folkabc.model._cell",)

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder that holds folkabc/
_SOURCED: dict[str, str] = {}  # module -> why its compiled file is not used


def compiled_file(root: str, name: str) -> str | None:
    """The compiled module's file for the dotted ``name`` under ``root``, or None when there is none."""
    from importlib.machinery import EXTENSION_SUFFIXES

    base = os.path.join(root, *name.split("."))
    for suffix in EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            return base + suffix
    return None


def _sources(root: str, name: str) -> list[str]:
    """The files a compiled module is built from: its ``.py``, or its ``.pyx`` and ``.h``."""
    base = os.path.join(root, *name.split("."))
    return [base + s for s in (".py", ".pyx", ".h") if os.path.exists(base + s)]


def sourced(root: str, names: tuple[str, ...], pure: bool) -> dict[str, str]:
    """Which compiled modules under ``root`` must not be used, and why.

    All of them when ``pure``; else, in a source checkout (``pyproject.toml`` in ``root``), each one
    with a source file modified after it was compiled. An installed wheel is left alone: its files
    are written in any order, and never edited.

    Examples
    --------
    >>> sourced(_ROOT, ("folkabc.no_such_module",), pure=True)
    {}
    """
    if not pure and not os.path.exists(os.path.join(root, "pyproject.toml")):
        return {}
    out = {}
    for name in names:
        compiled = compiled_file(root, name)
        if compiled is None:
            continue
        if pure:
            out[name] = "FOLKABC_PURE_PYTHON is set"
        elif any(os.stat(s).st_mtime_ns > os.stat(compiled).st_mtime_ns for s in _sources(root, name)):
            out[name] = "the source changed after it was compiled (rebuild: pip install -e .)"
    return out


class SourceFinder:
    """A meta path finder for the named modules under ``root``: a module is imported from its ``.py``
    file; a kernel (no ``.py``) is refused with ImportError, so that its user runs the reference."""

    def __init__(self, root: str, why: dict[str, str]) -> None:
        self.root, self.why = root, dict(why)

    def find_spec(self, name, path=None, target=None):
        if name not in self.why:
            return None
        source = os.path.join(self.root, *name.split(".")) + ".py"
        if not os.path.exists(source):
            raise ImportError(f"{name} is not used: {self.why[name]}", name=name)
        from importlib.util import spec_from_file_location

        return spec_from_file_location(name, source)


def install_guard() -> None:
    """Keep out each compiled module that :func:`sourced` names (called once, on import)."""
    _SOURCED.update(sourced(_ROOT, MODULES + KERNELS, bool(os.environ.get("FOLKABC_PURE_PYTHON"))))
    if _SOURCED:
        sys.meta_path.insert(0, SourceFinder(_ROOT, _SOURCED))


def status() -> dict[str, str]:
    """How each of :data:`MODULES` and :data:`KERNELS` runs here: ``"compiled"``, ``"source"`` (a
    kernel: its numpy reference), or ``"source: "`` and why.

    It reads the files, not ``sys.modules``: a module not yet imported reports what it will load.
    """
    return {name: "source: " + _SOURCED[name] if name in _SOURCED
            else "compiled" if compiled_file(_ROOT, name) else "source" for name in MODULES + KERNELS}
