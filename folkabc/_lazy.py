"""Package names that load on first use (PEP 562), so a command imports only what it needs.

Examples
--------
>>> getattr_, dir_ = lazy_names("demo", {"sqrt": "math"}, {})
>>> getattr_("sqrt")(9.0), dir_()
(3.0, ['sqrt'])
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["lazy_names"]


def lazy_names(package: str, table: dict[str, str], namespace: dict[str, Any], *, prefix: str = "",
               listed: list[str] | None = None) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for names that load on first use.

    Parameters
    ----------
    package : str
        The package's name (for the AttributeError).
    table : dict
        Name -> the module that defines it (``prefix`` + module is imported).
    namespace : dict
        The package's ``globals()``: a loaded name is stored there, so it loads once.
    prefix : str
        Prepended to each module name (e.g. ``"folkabc.corpus."``).
    listed : list of str or None
        What ``dir()`` lists (default: the table's names and what is loaded).

    Returns
    -------
    __getattr__, __dir__ : callables
    """
    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(prefix + module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return list(listed) if listed is not None else sorted(set(table) | set(namespace))

    return __getattr__, __dir__
