"""The compiled reading path: its doctests, its equivalence to the source, and the stale-build guard.

``setup.py`` compiles the modules of :data:`folkabc._compiled.MODULES` with Cython when it can. The
suite runs whatever the install gives (compiled in CI: ``.ci/run`` sets ``FOLKABC_EXPECT_COMPILED``);
here the other mode is run too, so both the compiled modules and their plain-Python source are tested
against the saved reading fingerprint of every music21 tune.
"""

from __future__ import annotations

import doctest
import gc
import importlib
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from folkabc import _compiled
from folkabc._compiled import MODULES, SourceFinder, compiled_file, sourced

COMPILED = all(v == "compiled" for v in _compiled.status().values())


def _doctests():
    for name in MODULES:
        module = importlib.import_module(name)
        for test in doctest.DocTestFinder().find(module):
            if test.examples:
                yield pytest.param(test, id=test.name)


@pytest.mark.parametrize("test", list(_doctests()))
def test_doctests_of_the_compiled_modules(test):
    # conftest.py keeps pytest's own doctest collection away from these modules (it cannot import a
    # compiled module by its .py path); the same examples run here, on the module as imported
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=lambda s: None)
    assert runner.summarize(verbose=False).failed == 0, f"{test.name}: an example failed (run it with doctest)"


def test_each_compiled_module_has_doctests():
    found = {p.values[0].name for p in _doctests()}
    for name in MODULES:
        assert any(n == name or n.startswith(name + ".") for n in found), name


def test_ci_runs_the_compiled_modules():
    if not os.environ.get("FOLKABC_EXPECT_COMPILED"):
        pytest.skip("FOLKABC_EXPECT_COMPILED is not set (.ci/run sets it)")
    assert COMPILED, _compiled.status()
    for name in MODULES:
        assert importlib.import_module(name).__file__.endswith(".so"), name


def test_the_other_mode_reads_every_music21_tune_as_saved():
    # tests/test_reading_fingerprint.py checks the mode this process runs; this runs the other one
    if not COMPILED:
        pytest.skip("not compiled here: the source is the only mode (tests/test_reading_fingerprint.py)")
    env = dict(os.environ, FOLKABC_PURE_PYTHON="1", PYTHONPATH=str(ROOT))
    probe = subprocess.run([sys.executable, "-c", "import folkabc._compiled as c; print(c.status())"],
                           env=env, capture_output=True, text=True, check=True)
    assert "compiled" not in probe.stdout.replace("source: ", "")
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "reading_fingerprint.py")], env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout.startswith("same (")


def test_a_reading_leaves_no_reference_cycles():
    # compiled, read_body's helpers shared a closure object that referred to them: every reading
    # stayed alive until the cyclic collector ran (and check paid for tokenize's garbage)
    from folkabc.tokens import tokenize

    text = "".join(f"X:{i}\nT:T{i}\nM:6/8\nL:1/8\nK:Ador\n|:eAA e2f|g>fe (3dcB A2:|\n\n" for i in range(1, 50))
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        tokenize(text)
        found = gc.collect()
    finally:
        if was:
            gc.enable()
    assert found < 50, f"{found} objects in reference cycles after tokenizing 49 tunes"


def _fake_package(tmp_path, compiled_first: bool):
    """``pkg/mod.py`` and a ``pkg/mod`` extension file that is not a real module (it fails to load)."""
    from importlib.machinery import EXTENSION_SUFFIXES

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    source, ext = tmp_path / "pkg" / "mod.py", tmp_path / "pkg" / ("mod" + EXTENSION_SUFFIXES[0])
    source.write_text("WHERE = 'source'\n")
    ext.write_bytes(b"not a shared object")
    older, newer = (ext, source) if compiled_first else (source, ext)
    os.utime(older, ns=(1_000_000_000, 1_000_000_000))
    os.utime(newer, ns=(2_000_000_000, 2_000_000_000))
    return str(tmp_path)


def test_a_source_newer_than_its_compiled_module_is_imported(tmp_path):
    root = _fake_package(tmp_path, compiled_first=True)
    assert compiled_file(root, "pkg.mod").endswith(".so")
    why = sourced(root, ("pkg.mod",), pure=False)
    assert list(why) == ["pkg.mod"] and "changed after it was compiled" in why["pkg.mod"]
    sys.path.insert(0, root)
    sys.meta_path.insert(0, SourceFinder(root, why))
    try:
        assert importlib.import_module("pkg.mod").WHERE == "source"  # the broken extension was not loaded
    finally:
        sys.meta_path.pop(0)
        sys.path.remove(root)
        for name in ("pkg.mod", "pkg"):
            sys.modules.pop(name, None)


def test_a_fresh_compiled_module_is_kept_unless_pure(tmp_path):
    root = _fake_package(tmp_path, compiled_first=False)
    assert sourced(root, ("pkg.mod",), pure=False) == {}
    assert sourced(root, ("pkg.mod",), pure=True) == {"pkg.mod": "FOLKABC_PURE_PYTHON is set"}
    os.remove(os.path.join(root, "pyproject.toml"))  # an installed wheel: no mtime comparison
    os.utime(os.path.join(root, "pkg", "mod.py"))
    assert sourced(root, ("pkg.mod",), pure=False) == {}
