"""The layering stays one-way: bindings → object model → servers → marshalling, and no module imports itself back.

Read from the sources with ``ast`` (no import, no COM runtime): every ``import`` and ``from ... import`` in
``src/``, at module level or inside a function (a lazy import is still an import), except those under
``if TYPE_CHECKING:`` (never executed). An edge goes to the module named, or to the submodule when
``from package import name`` names one.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

#: The import names the wheel installs, lowest layer first. A module may import its own layer or those below.
LAYERS = {"ole32_bindings": 0, "vtables": 1, "ole32_servers": 2, "ole32_marshalling": 3}


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover(src: Path = SRC) -> dict[str, Path]:
    """Every module of the installed packages: dotted name -> file."""
    found = {}
    for package in LAYERS:
        for path in sorted((src / package).rglob("*.py")):
            found[_module_name(path, src)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that module ``name`` (file ``path``) imports."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    edges: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in modules else base)
        for target in targets:
            # `import a.b.c` names a.b.c; keep the longest prefix that is one of ours.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
    return edges


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    modules = discover(src)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def connect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    layer = {name: LAYERS[name.partition(".")[0]] for name in graph}
    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets if layer[b] > layer[a])


GRAPH = import_graph()


def test_the_sources_are_all_seen():
    # A discovery that found nothing would pass every check below.
    assert {"ole32_bindings.hresult", "vtables.object", "ole32_servers.inproc", "ole32_marshalling.sta"} <= set(GRAPH)
    assert "ole32_bindings.guid" in GRAPH["vtables.object"]
    assert "vtables.declare" in GRAPH["vtables.object"]
    assert "ole32_servers.classobjects" in GRAPH["ole32_marshalling.byvalue"]  # a lazy import counts


def test_no_module_imports_a_layer_above_it():
    assert upward_imports(GRAPH) == []


def test_no_import_cycle_between_modules():
    assert cycles(GRAPH) == []


def test_top_level_names_are_the_layers():
    # What the wheel installs is exactly the layers' packages: nothing else at the top of src/.
    tops = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    assert tops == set(LAYERS)


# The checker itself, on small trees: it must see what it claims to forbid.


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in LAYERS:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    return tmp_path


def test_checker_sees_a_lazy_cycle_and_an_upward_import(tmp_path):
    src = _tree(
        tmp_path,
        {
            "vtables/a.py": "from . import b\n",
            "vtables/b.py": "def f():\n    from vtables.a import x\n",
            "ole32_bindings/low.py": "def f():\n    import ole32_servers.high\n",
            "ole32_servers/high.py": "from ole32_bindings import low\n",
        },
    )
    graph = import_graph(src)
    assert cycles(graph) == [["ole32_bindings.low", "ole32_servers.high"], ["vtables.a", "vtables.b"]]
    assert upward_imports(graph) == ["ole32_bindings.low -> ole32_servers.high"]


def test_checker_ignores_type_checking_imports(tmp_path):
    src = _tree(
        tmp_path,
        {
            "vtables/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ole32_servers import x\n",
        },
    )
    assert upward_imports(import_graph(src)) == []


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_every_package_is_typed(package):
    assert os.path.exists(SRC / package / "py.typed")
