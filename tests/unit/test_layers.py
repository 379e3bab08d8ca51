"""The layers of the code: imports flow one way and never in a circle (late imports count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import ticketing

ROOT = Path(ticketing.__file__).parent
# Layers a module may not import from, by the package it lives in.
FORBIDDEN = {
    "ticketing.services": ("ticketing.realtime", "ticketing.state", "ticketing.pages", "ticketing.api",
                           "ticketing.payments", "ticketing.notifications", "ticketing.components", "ticketing.jobs"),
    "ticketing.models": ("ticketing.services", "ticketing.realtime", "ticketing.state", "ticketing.pages",
                         "ticketing.api", "ticketing.payments", "ticketing.notifications"),
    "ticketing.realtime": ("ticketing.state", "ticketing.pages", "ticketing.api"),
    "ticketing.payments": ("ticketing.state", "ticketing.pages", "ticketing.api", "ticketing.realtime"),
    "ticketing.notifications": ("ticketing.state", "ticketing.pages", "ticketing.api", "ticketing.realtime",
                                "ticketing.payments", "ticketing.jobs"),
    "ticketing.jobs": ("ticketing.state", "ticketing.pages", "ticketing.api", "ticketing.realtime",
                       "ticketing.components"),
    "ticketing.state": ("ticketing.pages", "ticketing.api"),
    "ticketing.components": ("ticketing.db", "ticketing.api"),
}


def _module_name(path: Path) -> str:
    parts = ["ticketing", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every ticketing module that `path` imports, at module level or inside a function."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("ticketing"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ticketing"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in modules else node.module)
    return out & set(modules)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_no_module_imports_from_a_higher_layer():
    wrong = [
        f"{name} imports {target}"
        for name, targets in _graph().items()
        for layer, banned in FORBIDDEN.items()
        if name == layer or name.startswith(layer + ".")
        for target in targets
        if any(target == b or target.startswith(b + ".") for b in banned)
    ]
    assert wrong == []


def test_no_import_circles():
    graph = _graph()
    circles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    assert circles == []


def test_every_service_package_says_what_it_owns():
    for init in (ROOT / "services").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init} has no docstring"
