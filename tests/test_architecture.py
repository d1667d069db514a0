"""The import graph of folkabc: no cycles (function-level imports included), no upward imports.

Every module under ``folkabc/`` is parsed with :mod:`ast`; each ``import`` / ``from ... import``
naming a folkabc module (absolute or relative, at module level or inside a function) is an edge.
A cycle hidden behind a function-level import is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "folkabc"

# Packages whose modules import folkabc modules at module level only (no function-level import
# of a folkabc module, so no cycle can hide there).
NO_LOCAL_IMPORTS = ("folkabc.search", "folkabc.corpus", "folkabc.model", "folkabc.train")


def _modules() -> dict[str, tuple[Path, bool]]:
    mods = {}
    # .pyx: compiled kernels (folkabc._compiled.KERNELS), nodes of the graph that import no folkabc module
    for path in sorted(ROOT.rglob("*.py")) + sorted(ROOT.rglob("*.pyx")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        mods[".".join(parts)] = (path, is_pkg)
    return mods


MODULES = _modules()


def _targets(module: str, is_pkg: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The module names an import statement names (``from a import b`` → ``a.b`` when that is a module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = module.split(".") if is_pkg else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        where = ".".join(base + ([node.module] if node.module else []))
    else:
        where = node.module or ""
    return [f"{where}.{a.name}" if f"{where}.{a.name}" in MODULES else where for a in node.names]


def _own(name: str) -> str | None:
    """The folkabc module ``name`` refers to (its longest known prefix), or None outside folkabc."""
    if name.split(".")[0] != "folkabc":
        return None
    while name not in MODULES:
        name = name.rsplit(".", 1)[0]
    return name


def _imports() -> list[tuple[str, str, int, bool]]:
    """``(importer, imported name, line, inside a function)`` for every import statement."""
    out = []
    for module, (path, is_pkg) in MODULES.items():
        if path.suffix == ".pyx":  # C for Cython: it may cimport C, never import a folkabc module
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
            assert not [ln for ln in lines if ln.startswith(("import ", "from ", "cimport "))
                        and ("folkabc" in ln or ln.startswith("from ."))], path
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

        def walk(node: ast.AST, local: bool) -> None:
            for child in ast.iter_child_nodes(node):
                inside = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    out.extend((module, t, child.lineno, local) for t in _targets(module, is_pkg, child))
                walk(child, inside)

        walk(tree, False)
    return out


IMPORTS = _imports()


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for importer, name, _, _ in IMPORTS:
        target = _own(name)
        if target is not None and target != importer:
            graph[importer].add(target)
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _reach(start: str) -> set[str]:
    """Every folkabc module that importing ``start`` (or any module of that package) can reach."""
    todo = [m for m in MODULES if m == start or m.startswith(start + ".")]
    seen = set(todo)
    while todo:
        for w in GRAPH[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_sees_relative_absolute_and_function_level_imports():
    # the parser is what every assertion below rests on: check it on imports known to exist
    assert "folkabc.search" in GRAPH["folkabc.corpus.core"]  # from ..search import ... (relative)
    assert "folkabc.model.sampling" in GRAPH["folkabc.model.core"]  # from . import sampling
    assert "folkabc.errors" in GRAPH["folkabc.vocab"]
    local = {(i, _own(n)) for i, n, _, inside in IMPORTS if inside}
    assert ("folkabc.cli.search", "folkabc.corpus.mapped") in local  # the CLI loads its command's modules lazily
    assert len(GRAPH) == len(MODULES) > 50


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_a_cycle_would_be_found():
    graph = {k: set(v) for k, v in GRAPH.items()}
    graph["folkabc.errors"].add("folkabc.search.index")  # search.index imports errors
    assert any("folkabc.errors" in c and "folkabc.search.index" in c for c in _cycles(graph))


@pytest.mark.parametrize("lower, upper", [
    # search is the engine: ids, offsets, suffix arrays and bar tables in, counts and positions out
    ("folkabc.search", ("folkabc.corpus", "folkabc.model", "folkabc.train", "folkabc.render",
                        "folkabc.analysis", "folkabc.demo", "folkabc.cli")),
    # the corpus (the front of search) owns names, files and metadata and calls down into search
    ("folkabc.corpus", ("folkabc.model", "folkabc.train", "folkabc.render", "folkabc.analysis",
                        "folkabc.demo", "folkabc.cli")),
    ("folkabc.model", ("folkabc.corpus", "folkabc.search", "folkabc.train", "folkabc.render",
                       "folkabc.analysis", "folkabc.demo", "folkabc.cli")),
    ("folkabc.train", ("folkabc.render", "folkabc.analysis", "folkabc.demo", "folkabc.cli")),
    # the ABC reader is the bottom of the music stack
    ("folkabc.abc", ("folkabc.tokens", "folkabc.normalize", "folkabc.validate", "folkabc.corpus",
                     "folkabc.search", "folkabc.model", "folkabc.render", "folkabc.cli", "folkabc.train")),
    ("folkabc.errors", ("folkabc.vocab", "folkabc.abc", "folkabc.tokens")),
])
def test_lower_layers_never_import_upward(lower, upper):
    reached = _reach(lower)
    upward = sorted(m for m in reached for u in upper if _in(m, u))
    assert upward == [], f"{lower} reaches {upward}"


def test_only_the_cli_imports_the_cli():
    users = sorted({i for i, n, _, _ in IMPORTS if _own(n) and _in(_own(n), "folkabc.cli")
                    and not _in(i, "folkabc.cli") and i != "folkabc.__main__"})
    assert users == []


@pytest.mark.parametrize("package", NO_LOCAL_IMPORTS)
def test_no_function_level_imports_of_folkabc_modules(package):
    local = sorted(f"{i}:{line} imports {n}" for i, n, line, inside in IMPORTS
                   if inside and _in(i, package) and _own(n) is not None)
    assert local == []

