"""Build folkabc; where Cython and a C compiler are at hand, also compile the reading path and kernels.

Everything but the extension modules is declared in pyproject.toml. What is compiled is listed
once, in ``folkabc/_compiled.py``: the reading path's modules, each from its own ``.py`` file with
type annotations ignored (the compiled module means exactly what the source says), and C kernels
from ``.pyx`` (each with a numpy reference that runs without it). Compiling is optional: without a
compiler, or with ``FOLKABC_PURE_PYTHON=1``, folkabc installs as plain Python.
"""

import os
import runpy

from setuptools import Extension, setup

#: annotations are ignored (``x: float`` would make x a C double); no ``__test__`` dict (its copies
#: of the docstrings would run every doctest twice)
DIRECTIVES = {"language_level": 3, "annotation_typing": False, "autotestdict": False}
#: no debug info (5× smaller); -fno-trapping-math lets gcc vectorise a kernel's clamps
#: (folkabc/model/_cell.h), no other floating-point licence
FLAGS = ["-g0", "-fno-trapping-math"]


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
    listed = runpy.run_path(os.path.join(here, "folkabc", "_compiled.py"))
    out = []
    # one at a time: a module Cython cannot compile stays plain Python, a kernel its numpy reference
    for name, suffix in [(n, ".py") for n in listed["MODULES"]] + [(n, ".pyx") for n in listed["KERNELS"]]:
        try:
            out += cythonize([Extension(name, [name.replace(".", "/") + suffix], optional=True,
                                        extra_compile_args=FLAGS)],
                             build_dir="build/cython", quiet=True, compiler_directives=DIRECTIVES)
        except CompileError as exc:
            print(f"folkabc: {name} is not compiled (Cython: {exc})")  # noqa: T201
    return out


# parallel: the C compiler runs on every core (the four modules take ~1 min on one)
setup(ext_modules=ext_modules(), options={"build_ext": {"parallel": os.cpu_count() or 1}})
