"""docs/events.md's runnable examples (the ```python blocks right after a ``<!-- example: NAME -->`` line), run as
the page writes them, in page order in one namespace, so the page cannot fall behind the code."""

from __future__ import annotations

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "events.md")
_BLOCK = re.compile(r"^<!-- example: (\w+) -->\n```python\n(.*?)^```$", re.S | re.M)


def examples() -> list[tuple[str, str]]:
    with open(PAGE, encoding="utf-8") as f:
        return _BLOCK.findall(f.read())


def test_the_page_has_its_server_examples():
    assert [name for name, _ in examples()][:2] == ["sources", "advise"]


@pytest.mark.runtime
def test_examples_run(mta):
    namespace: dict = {"__name__": "docs_events_examples"}
    for name, code in examples():
        exec(compile(code, f"docs/events.md example {name!r}", "exec"), namespace)
