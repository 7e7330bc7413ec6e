"""Which copy of the packages this run imports, and that an installed wheel is whole.

``make test`` runs the runtime suite with the wheel installed into a fresh copy of the Windows Python
(tools/install-wheel) and sets ``OLE32B_EXPECT_INSTALLED=1``: then every package must come from that Python's
site-packages, never from the checkout, with its DLLs, ``py.typed``, metadata and entry points. A run from the
checkout (``tools/winpy``, or Linux with ``PYTHONPATH=src``) checks the opposite, so this test always asserts
where the code under test lives.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from importlib import metadata

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKOUT_SRC = os.path.join(ROOT, "src")
PACKAGES = ("ole32_bindings", "vtables", "ole32_servers", "ole32_marshalling")
EXPECT_INSTALLED = os.environ.get("OLE32B_EXPECT_INSTALLED") == "1"


#: The checks of the installed wheel need the Windows Python it was installed into (make test's runtime run).
needs_install = pytest.mark.skipif(
    not EXPECT_INSTALLED, reason="checks the installed wheel: make test sets OLE32B_EXPECT_INSTALLED=1"
)


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.normcase(os.path.abspath(path)), os.path.normcase(os.path.abspath(folder))
    return os.path.commonpath([path, folder]) == folder


def _location(package: str) -> str:
    module = importlib.import_module(package)
    assert module.__file__ is not None
    return os.path.dirname(os.path.abspath(module.__file__))


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_comes_from_where_this_run_expects(package):
    where = _location(package)
    if EXPECT_INSTALLED:
        assert not _inside(where, CHECKOUT_SRC), f"{package} imported from the checkout: {where}"
        assert _inside(where, os.path.join(sys.prefix, "Lib", "site-packages")), where
    else:
        assert _inside(where, CHECKOUT_SRC), f"{package} imported from {where}, not the checkout's src/"
    assert os.path.exists(os.path.join(where, "py.typed"))


@needs_install
def test_the_installed_distribution_is_whole():
    import ole32_bindings

    dist = metadata.distribution("ole32-bindings")
    assert dist.version == ole32_bindings.__version__
    files = {str(f).replace("\\", "/") for f in dist.files or ()}
    for needed in (
        "ole32_bindings/_ffi.py",
        "vtables/vtables_core.dll",
        "ole32_servers/python_inproc.dll",
        "ole32_bindings/py.typed",
    ):
        assert needed in files, f"{needed} missing from the installed RECORD"
    tops = set(dist.read_text("top_level.txt").split())
    assert tops == set(PACKAGES)
    # Nothing from the dev harness or the tests was installed.
    assert not any(f.startswith(("tests/", "bench/", "tools/", "native/")) for f in files)
    commands = {ep.name: ep.value for ep in dist.entry_points if ep.group == "ole32_bindings.commands"}
    assert commands == {
        "trace": "ole32_marshalling.trace_script:register",
        "typelib": "ole32_servers.tlbimport:register",
    }
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts == {"ole32-bindings": "ole32_bindings.cli:main"}


@needs_install
def test_the_installed_console_script_and_version_agree():
    # pip made a launcher for the console script; it runs the installed CLI, whose --version is the metadata's.
    import ole32_bindings

    launcher = os.path.join(sys.prefix, "Scripts", "ole32-bindings.exe")
    assert os.path.exists(launcher), launcher
    out = subprocess.run([launcher, "--version"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"ole32-bindings {ole32_bindings.__version__}"
    # The trace command arrives through the installed entry point, with no checkout metadata around.
    out = subprocess.run(
        [sys.executable, "-m", "ole32_bindings", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    assert "trace" in out.stdout and "typelib" in out.stdout


def test_version_agrees_with_the_metadata_it_is_built_from(capsys):
    # pyproject.toml takes the version from ole32_bindings.__version__ (dynamic); the CLI prints the same, and the
    # changelog has a section for it.
    import ole32_bindings
    from ole32_bindings import cli

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ole32-bindings {ole32_bindings.__version__}"
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        assert 'version = { attr = "ole32_bindings.__version__" }' in f.read()
    with open(os.path.join(ROOT, "CHANGELOG.md"), encoding="utf-8") as f:
        assert f"## {ole32_bindings.__version__} " in f.read()
