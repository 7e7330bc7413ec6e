"""The test harness of tests/conftest.py for make stress's own tests: the apartment fixtures and the autouse leak
check (every runtime test ends with no live Python COM object and no held reference)."""

from conftest import mta, no_leaks, sta  # noqa: F401  (fixtures, re-exported for this directory)
