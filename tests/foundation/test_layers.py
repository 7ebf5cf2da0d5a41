"""The layer rule of ``clickpro/``, read from the source with ``ast``.

Every ``import`` statement counts, at module level and inside functions or methods, so a
function-level import cannot hide a forbidden dependency or a cycle. Only imports under
``if TYPE_CHECKING:`` are left out of the cycle check (they never run); they still obey the
layer rules.

Layers (an arrow is a forbidden import):

- ``clickpro.services*`` -> ``clickpro.tasks*`` / ``clickpro.blueprints*``
  (services enqueue through ``clickpro.jobs`` by job name, and never know about HTTP);
- ``clickpro.models*`` -> ``clickpro.services*`` / ``tasks*`` / ``blueprints*``;
- ``clickpro.integrations*`` -> ``clickpro.services*`` / ``tasks*`` / ``blueprints*``
  (the Meta and OpenAI clients are leaves that services call);
- and no import cycle between any two modules of the package.

An edge goes from the importing module to the module it names: ``from a.b import c``
points at ``a.b.c`` when that is a module of the package, else at ``a.b``. Parent
packages that Python runs on the way are not edges (every module would otherwise depend
on ``clickpro/__init__.py``, the app factory).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "clickpro"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE

FORBIDDEN: list[tuple[str, str, str]] = [
    ("clickpro.services", "clickpro.tasks", "services enqueue by name via clickpro.jobs"),
    ("clickpro.services", "clickpro.blueprints", "services know nothing of the web layer"),
    ("clickpro.models", "clickpro.services", "models are below services"),
    ("clickpro.models", "clickpro.tasks", "models are below tasks"),
    ("clickpro.models", "clickpro.blueprints", "models are below the web layer"),
    ("clickpro.integrations", "clickpro.services", "API clients are leaves"),
    ("clickpro.integrations", "clickpro.tasks", "API clients are leaves"),
    ("clickpro.integrations", "clickpro.blueprints", "API clients are leaves"),
]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    in_function: bool
    type_checking: bool


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package is its ``__init__``)."""
    return {
        _module_name(path, root): path
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Yield (import node, inside a function, under ``if TYPE_CHECKING``)."""

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> Iterator:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function, type_checking
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from visit(child, in_function, True)
            for child in node.orelse:
                yield from visit(child, in_function, type_checking)
            return
        nested = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            yield from visit(child, nested, type_checking)

    yield from visit(tree, False, False)


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _target(name: str, modules: Iterable[str]) -> str | None:
    """The longest module of the package that ``name`` names (or lives in)."""
    known = set(modules)
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def import_edges(modules: dict[str, Path]) -> list[Edge]:
    """All edges between modules of the package, function-level imports included."""
    edges: list[Edge] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node, in_function, type_checking in _imports(tree):
            targets: set[str | None] = set()
            if isinstance(node, ast.Import):
                targets = {_target(alias.name, modules) for alias in node.names}
            else:
                base = _resolve_from(module, is_package, node)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}" if base else alias.name
                    # `from a import b`: b the module a.b, or else a name defined in a.
                    targets.add(submodule if submodule in modules else _target(base, modules))
            for target in targets:
                if target and target != module and target.startswith(PACKAGE):
                    edges.append(Edge(module, target, node.lineno, in_function, type_checking))
    return edges


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_violations(edges: Iterable[Edge]) -> list[str]:
    found = []
    for edge in edges:
        for source, target, why in FORBIDDEN:
            if _within(edge.source, source) and _within(edge.target, target):
                where = "inside a function" if edge.in_function else "at module level"
                found.append(f"{edge.source}:{edge.line} imports {edge.target} ({where}): {why}")
    return sorted(found)


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def runtime_graph(edges: Iterable[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.type_checking:
            graph.setdefault(edge.source, set()).add(edge.target)
    return graph


def _describe(component: list[str], edges: list[Edge]) -> str:
    members = set(component)
    inner = sorted(
        f"  {e.source}:{e.line} -> {e.target}{' (in a function)' if e.in_function else ''}"
        for e in edges
        if e.source in members and e.target in members and not e.type_checking
    )
    return " <-> ".join(component) + "\n" + "\n".join(inner)


pytestmark = pytest.mark.xdist_group("layers")  # one worker builds the module's ``edges``


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_edges(discover_modules())


# --- self-checks: the machinery finds what it must find ---------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_self_check_detects_a_cycle_hidden_in_a_function(tmp_path):
    pkg = tmp_path / PACKAGE
    _write(
        pkg,
        {
            "__init__.py": "",
            "services/__init__.py": "",
            "services/a.py": "from clickpro.services.b import thing\n",
            "services/b.py": "def thing():\n    from . import a\n    return a\n",
            "services/c.py": "from clickpro.services import a\n",
            "tasks/__init__.py": "",
            "tasks/job.py": "import clickpro.services.c\n",
            "models/__init__.py": "",
            "models/m.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from clickpro.models import n\n"
            ),
            "models/n.py": "from clickpro.models import m\n",
            "services/late.py": "class X:\n    def run(self):\n        import clickpro.tasks.job\n",
        },
    )
    found = import_edges(discover_modules(pkg))
    cycles = find_cycles(runtime_graph(found))
    assert cycles == [["clickpro.services.a", "clickpro.services.b"]]
    violations = layer_violations(found)
    assert len(violations) == 1
    assert violations[0].startswith("clickpro.services.late:3 imports clickpro.tasks.job")
    assert "inside a function" in violations[0]


def test_self_check_finds_longer_cycles_and_relative_imports():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"x": {"y"}, "y": set()}) == []


def test_the_real_package_is_walked(edges):
    modules = discover_modules()
    assert len(modules) > 100, "the walk must see the whole package"
    assert any(e.in_function for e in edges), "function-level imports must be counted"
    sources = {e.source for e in edges}
    assert "clickpro.services.campaigns.dispatch" in sources or len(sources) > 80


# --- the rules on the real package ------------------------------------------------------


def test_layer_rule_holds(edges):
    violations = layer_violations(edges)
    assert not violations, "forbidden imports:\n" + "\n".join(violations)


def test_import_graph_has_no_cycle(edges):
    cycles = find_cycles(runtime_graph(edges))
    assert not cycles, "import cycles (function-level imports count):\n" + "\n\n".join(
        _describe(component, edges) for component in cycles
    )
