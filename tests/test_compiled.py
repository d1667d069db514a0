"""What setup.py compiles: its doctests, its equivalence to the source, and the stale-build guard.

``setup.py`` compiles the modules of :data:`folkabc._compiled.MODULES` and the kernels of
:data:`~folkabc._compiled.KERNELS` with Cython when it can. The suite runs whatever the install gives
(compiled in CI: ``.ci/run`` sets ``FOLKABC_EXPECT_COMPILED``); here the other mode is run too, so both
the compiled modules and their plain-Python source are tested against the saved reading fingerprint
of every music21 tune, and the compiled scoring cell against its numpy reference.
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
from folkabc._compiled import KERNELS, MODULES, SourceFinder, compiled_file, sourced

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
    for name in MODULES + KERNELS:
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


def _fake_package(tmp_path, compiled_first: bool, source: str = "mod.py"):
    """``pkg/SOURCE`` (a module's ``.py``, or a kernel's ``.pyx``) and a compiled file of the same name
    that is not a real module (it fails to load), the one older than the other."""
    from importlib.machinery import EXTENSION_SUFFIXES

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    src = tmp_path / "pkg" / source
    ext = src.with_name(src.stem + EXTENSION_SUFFIXES[0])
    src.write_text("WHERE = 'source'\n")
    ext.write_bytes(b"not a shared object")
    older, newer = (ext, src) if compiled_first else (src, ext)
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


# -- the compiled scoring cell (folkabc/model/_cell.h) against its numpy reference -----------------

def _cell_or_skip():
    from folkabc.model import lstm

    if lstm._compiled_cell is None:
        pytest.skip("the scoring cell is not compiled here: the numpy reference is the only one")
    return lstm


@pytest.mark.parametrize("scale", [0.01, 1.0, 5.0, 60.0, 1e4])
def test_the_compiled_cell_matches_the_numpy_reference(scale):
    import numpy as np

    lstm = _cell_or_skip()
    rng = np.random.default_rng(int(scale * 100))
    n, H = 37, 13  # odd sizes: the vector loop's tail is used
    z = (rng.standard_normal((n, 4 * H)) * scale).astype(np.float32)
    p = (rng.standard_normal((n, 4 * H)) * scale).astype(np.float32)
    c = (rng.standard_normal((n, H)) * scale).astype(np.float32)
    want_c, want_h, th = c.copy(), np.empty((n, H), np.float32), np.empty((n, H), np.float32)
    zz = z + p
    with np.errstate(over="ignore"):
        lstm._lstm_cell_scaled(zz, want_c, want_h, th, H)
    got_c, got_h = c.copy(), np.full((n, H), np.nan, np.float32)
    lstm._compiled_cell(z, p, got_c, got_h)
    # the gates are within a few float32 ulps of numpy's; the cell state within that of its size
    assert np.all(np.isfinite(got_h)) and np.abs(got_h - want_h).max() <= 4e-6
    assert np.abs(got_c - want_c).max() <= 4e-6 * max(1.0, float(np.abs(want_c).max()))


def test_the_compiled_cell_refuses_mismatched_shapes():
    import numpy as np

    lstm = _cell_or_skip()
    z, c = np.zeros((2, 8), np.float32), np.zeros((2, 2), np.float32)
    with pytest.raises(ValueError, match="shapes"):
        lstm._compiled_cell(z, np.zeros((3, 8), np.float32), c, np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError):  # float64 is not what it computes
        lstm._compiled_cell(z.astype(np.float64), z, c, c.copy())
    lstm._compiled_cell(z[:0], z[:0], c[:0], c[:0])  # no rows: nothing to do


def test_scoring_is_the_same_with_the_compiled_cell_and_without(monkeypatch):
    import numpy as np

    lstm = _cell_or_skip()
    from folkabc.model.lstm import Network, Params

    net = Network(Params.random(n_vocab=20, layers=[24, 16], rng=3, scale=0.5))
    rng = np.random.default_rng(4)
    ids, targets = rng.integers(0, 20, (9, 30)), rng.integers(0, 20, (9, 30))
    lengths = np.sort(rng.integers(1, 31, 9))[::-1]
    fused = net.logprobs(ids, targets, lengths)
    monkeypatch.setattr(lstm, "_compiled_cell", None)
    reference = Network(net.params).logprobs(ids, targets, lengths)
    assert np.abs(fused - reference).max() < 1e-5 and (fused == 0).sum() == (reference == 0).sum()


def test_a_stale_kernel_is_refused_so_the_reference_runs(tmp_path):
    root = _fake_package(tmp_path, compiled_first=True, source="kern.pyx")
    why = sourced(root, ("pkg.kern",), pure=False)
    assert list(why) == ["pkg.kern"]
    with pytest.raises(ImportError, match="changed after it was compiled"):
        SourceFinder(root, why).find_spec("pkg.kern")
