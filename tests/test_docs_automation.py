"""docs/automation.md's examples, run as the page writes them, so the page cannot silently fall behind the code.

The examples are the ```python blocks right after a ``<!-- example: NAME -->`` line. ``calc`` is calc.py, the dual
class the others import; ``dispinterface``, ``undeclared``, ``words``, ``calling``, ``values`` and ``spy`` run in
one namespace, in page order; ``server`` is calc_server.py, written next to calc.py and run as the page says
(-RegServer, a client through both ProgIDs, -UnregServer)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "automation.md")
_BLOCK = re.compile(r"^<!-- example: (\w+) -->\n```python\n(.*?)^```$", re.S | re.M)
IN_PROCESS = ["dispinterface", "undeclared", "words", "calling", "values", "spy"]


def examples() -> dict[str, str]:
    with open(PAGE, encoding="utf-8") as f:
        found = _BLOCK.findall(f.read())
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), f"example names repeat: {names}"
    return dict(found)


def test_the_page_has_its_examples():
    """Every ```python block of the page is a marked example, and each one runs below."""
    assert set(examples()) == {"calc", *IN_PROCESS, "server"}
    with open(PAGE, encoding="utf-8") as f:
        assert f.read().count("```python\n") == len(examples())


@pytest.fixture
def calc_module(tmp_path):
    """The page's calc.py in a directory of its own, importable as ``calc`` for the test (then forgotten)."""
    (tmp_path / "calc.py").write_text(examples()["calc"], encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        while str(tmp_path) in sys.path:  # (the InprocServer32 host may have added it too)
            sys.path.remove(str(tmp_path))
        for name in ("calc", "calc_server"):
            sys.modules.pop(name, None)


@pytest.mark.runtime
def test_examples_run_in_process(mta, calc_module):
    blocks = examples()
    namespace: dict = {"__name__": "docs_automation_examples"}
    for name in IN_PROCESS:
        exec(compile(blocks[name], f"docs/automation.md example {name!r}", "exec"), namespace)


def _run(cwd, script, *args):
    return subprocess.run(
        [sys.executable, script, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.runtime
def test_server_registers_both_progids_and_unregisters_everything(mta, calc_module):
    from ole32_bindings.guid import Guid
    from ole32_bindings.registry import HKEY_CLASSES_ROOT, key_exists
    from ole32_servers.inproc import release_class_objects
    from vtables.latebound import Dispatch, DispatchError, type_members

    (calc_module / "calc_server.py").write_text(examples()["server"], encoding="utf-8")
    inproc = Guid("{26C70C31-BE0B-4959-8E6B-6D57A0745603}")
    keys = [
        "CLSID\\{26C70C31-BE0B-4959-8E6B-6D57A0745602}",
        f"CLSID\\{inproc}",
        "Docs.Calc",
        "Docs.Calc.1",
        "Docs.Calc.InProc",
        "Docs.Calc.InProc.1",
    ]
    done = _run(calc_module, "calc_server.py", "-RegServer")
    assert done.returncode == 0, done.stderr
    try:
        assert all(key_exists(HKEY_CLASSES_ROOT, k) for k in keys)
        for progid in ("Docs.Calc.InProc", "Docs.Calc"):  # in this process, then a server COM starts
            with Dispatch(progid) as calc:
                assert "Squares" in type_members(calc)
                assert calc.Add(2, 3) == 5 and calc.Join("a", c="z") == "a-z" and calc.Squares(3) == [0, 1, 4]
                calc.Name = progid
                assert calc.Name == progid
                with calc.Self as me:
                    assert me == calc
                with calc.Items(2) as items:
                    assert list(items) == ["item0", "item1"]
                with pytest.raises(DispatchError) as failed:
                    calc.Fail("from " + progid)
                assert (failed.value.source, failed.value.description) == ("Docs.Calc", "from " + progid)
                del failed  # (its traceback holds the frame, and the frame the Dispatch)
    finally:
        release_class_objects(inproc)
        done = _run(calc_module, "calc_server.py", "-UnregServer")
        assert done.returncode == 0, done.stderr
    assert not any(key_exists(HKEY_CLASSES_ROOT, k) for k in keys)
