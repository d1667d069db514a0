"""pytest cannot collect doctests from a compiled module (its ``__file__`` is not the ``.py``): the
doctests of the modules folkabc compiles run in tests/test_compiled.py, compiled or not."""

from folkabc._compiled import MODULES

collect_ignore = [name.replace(".", "/") + ".py" for name in MODULES]
