"""Build folkabc; where Cython and a C compiler are at hand, also compile the reading path.

Everything but the extension modules is declared in pyproject.toml. The modules compiled are
listed once, in ``folkabc/_compiled.py``; each is compiled from its own ``.py`` file, with type
annotations ignored, so that the compiled module means exactly what the source says. Compiling
is optional: without a compiler, or with ``FOLKABC_PURE_PYTHON=1``, folkabc installs as plain Python.
"""

import os
import runpy

from setuptools import Extension, setup

#: annotations are ignored (``x: float`` would make x a C double); no ``__test__`` dict (its copies
#: of the docstrings would run every doctest twice)
DIRECTIVES = {"language_level": 3, "annotation_typing": False, "autotestdict": False}


def ext_modules() -> list:
    if os.environ.get("FOLKABC_PURE_PYTHON"):
        return []
    try:
        from Cython.Build import cythonize
        from Cython.Compiler.Errors import CompileError
    except ImportError:
        print("folkabc: Cython is not installed; installing plain Python")  # noqa: T201
        return []
    here = os.path.dirname(os.path.abspath(__file__))
    names = runpy.run_path(os.path.join(here, "folkabc", "_compiled.py"))["MODULES"]
    out = []
    for name in names:  # one at a time: a module Cython cannot compile stays plain Python
        try:
            out += cythonize([Extension(name, [name.replace(".", "/") + ".py"], optional=True,
                                        extra_compile_args=["-g0"])],  # no debug info: 5× smaller
                             build_dir="build/cython", quiet=True, compiler_directives=DIRECTIVES)
        except CompileError as exc:
            print(f"folkabc: {name} stays plain Python (Cython: {exc})")  # noqa: T201
    return out


# parallel: the C compiler runs on every core (the four modules take ~1 min on one)
setup(ext_modules=ext_modules(), options={"build_ext": {"parallel": os.cpu_count() or 1}})
