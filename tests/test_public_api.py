"""The public API of each package is its ``__all__``, and everything in it has a docstring.

Read statically (``ast`` for ``__all__``, griffe for members and docstrings, as ``make docs`` reads them): nothing is
imported, so the modules that load the COM runtime are checked on Linux too. A public module is one whose path
has no part starting with ``_`` (``__init__.py`` stands for its package). A name in ``__all__`` must be statically
visible in its module (defined, imported, a submodule, or imported under ``if TYPE_CHECKING:`` for what a module
``__getattr__`` loads lazily), and its docstring is the one griffe reads: a class's or function's own, the module's
for a submodule, the string literal right after the assignment for a value (a ``#:`` comment is not one), the
target's for a re-export.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

# griffe is a docs tool of the Linux venv (requirements-dev.txt): this check of the sources runs in the Linux pass of
# make test; the Windows run tests the installed wheel, which has no sources to read this way.
griffe = pytest.importorskip("griffe", reason="a static check of src/, run on Linux where make docs' griffe is")

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGES = ("ole32_bindings", "vtables", "ole32_servers", "ole32_marshalling")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def public_modules() -> dict[str, Path]:
    """Dotted name -> file, for every public module of the packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((SRC / package).rglob("*.py")):
            parts = path.relative_to(SRC).parts
            if any(p.startswith("_") for p in parts if p != "__init__.py"):
                continue
            found[_module_name(path)] = path
    return found


def static_all(path: Path) -> list[str] | None:
    """``__all__`` as written at module level, or None when the module has none. Every assignment to it (``=``,
    ``+=``) must be a list or tuple of string literals: anything computed is invisible to static readers."""
    names: list[str] | None = None
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            value, added = node.value, False
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__":
            value, added = node.value, True
        else:
            continue
        if not (
            isinstance(value, (ast.List, ast.Tuple))
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)
        ):
            raise AssertionError(f"{path}:{node.lineno}: __all__ is not a literal list of strings")
        elts = [e.value for e in value.elts]  # type: ignore[attr-defined]
        names = (names or []) + elts if added else elts
    return names


@pytest.fixture(scope="module")
def loaded() -> griffe.GriffeLoader:
    loader = griffe.GriffeLoader(search_paths=[str(SRC)], allow_inspection=False)
    for package in PACKAGES:
        loader.load(package)
    loader.resolve_aliases(implicit=False, external=False)
    return loader


def _docstring(obj: griffe.Object | griffe.Alias) -> str:
    if obj.is_alias:
        obj = obj.final_target  # type: ignore[union-attr]  # raises AliasResolutionError when the target is unknown
    return obj.docstring.value.strip() if obj.docstring else ""


def test_every_package_has_public_modules():
    modules = public_modules()
    assert set(PACKAGES) <= set(modules)
    assert len(modules) > 50, sorted(modules)


def test_every_public_module_has_all_and_a_docstring(loaded):
    problems = []
    for name, path in public_modules().items():
        if static_all(path) is None:
            problems.append(f"{name}: no __all__")
        if not _docstring(loaded.modules_collection[name]):
            problems.append(f"{name}: no module docstring")
    assert not problems, "\n".join(problems)


def test_every_exported_name_exists_and_has_a_docstring(loaded):
    problems = []
    checked = 0
    for name, path in public_modules().items():
        module = loaded.modules_collection[name]
        exported = static_all(path) or []
        if len(set(exported)) != len(exported):
            problems.append(f"{name}: __all__ names something twice")
        for export in exported:
            checked += 1
            member = module.members.get(export)
            if member is None:
                problems.append(f"{name}.{export}: in __all__ but not in the module")
                continue
            try:
                doc = _docstring(member)
            except griffe.AliasResolutionError as exc:
                problems.append(f"{name}.{export}: cannot resolve the re-export ({exc})")
                continue
            if not doc:
                problems.append(f"{name}.{export}: no docstring")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
    assert checked > 400, f"only {checked} exported names found: is the scan still finding the modules?"


def test_the_checks_can_fail(tmp_path):
    """The rules above, on a module that breaks each one."""
    bad = tmp_path / "bad.py"
    bad.write_text("__all__ = ['a']\n__all__ += [n for n in ('b',)]\n")
    with pytest.raises(AssertionError, match="not a literal list"):
        static_all(bad)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(
        '"""A package."""\n__all__ = ["documented", "bare", "commented", "missing"]\n'
        'documented = 1\n"""Documented."""\nbare = 2\n#: a comment is not a docstring\ncommented = 3\n'
    )
    module = griffe.load("pkg", search_paths=[str(tmp_path)], allow_inspection=False)
    assert static_all(tmp_path / "pkg" / "__init__.py") == ["documented", "bare", "commented", "missing"]
    assert _docstring(module["documented"]) == "Documented."
    assert _docstring(module["bare"]) == ""
    assert _docstring(module["commented"]) == ""
    assert "missing" not in module.members


def test_every_well_known_guid_is_exported():
    """``wellknown.__all__`` is written out: every ``IID_``/``CLSID_`` the module defines must be in it."""
    path = SRC / "ole32_bindings" / "wellknown.py"
    defined = [
        t.id
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name) and t.id.startswith(("IID_", "CLSID_"))
    ]
    assert len(defined) > 30
    assert defined == static_all(path)


def test_every_typed_error_is_exported():
    """``hresult.__all__`` spells out the typed errors (static readers cannot run a comprehension): it must keep
    up with the table ``error_from_hresult`` uses. ``hresult`` loads no DLL, so it is imported here."""
    from ole32_bindings import hresult

    typed = [cls.__name__ for cls in hresult._BY_HRESULT.values()]
    assert len(typed) > 20
    assert set(typed) <= set(hresult.__all__)
    assert static_all(SRC / "ole32_bindings" / "hresult.py") == hresult.__all__
