"""examples/typelib/dictionary.py runs as its README says, with the cache in a temporary directory: the module is
generated there, and the early- and late-bound calls print what the README shows."""

import os
import subprocess
import sys
import threading

import pytest
from testlib import ROOT

pytestmark = pytest.mark.runtime


def test_typelib_example_prints_what_its_readme_says(tmp_path):
    env = dict(os.environ, OLE32B_TYPELIB_CACHE=str(tmp_path))
    # Read until the process exits, not to EOF: a process that makes a window has Wine start its desktop process,
    # which inherits the pipe and holds it open (docs/wine.md, the cscript entry).
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "examples", "typelib", "dictionary.py")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    reader.join(timeout=5)
    assert rc == 0, "".join(out)
    lines = [line.rstrip("\n") for line in out]
    assert lines[0] == f"module ole32_servers.typelibs.Scripting from {tmp_path}"
    assert lines[1] == "interface IDictionary : IDispatch // {42C642C1-97E1-11CF-978F-00A02463E06F}"
    assert lines[2:] == ["early-bound: 2 ['apple', 'pear'] 1", "late-bound: 1 ['plum']"]
    assert os.path.exists(tmp_path / "Scripting.py")
