"""Fail unless a pytest JUnit XML report exists, counts at least one test, and has no failure or error.

    python tools/check_junit.py build/test-results/wine.xml

Under Wine a Python process that crashes (an access violation) can end with exit status 0 after Wine's debugger
handles it; pytest's own report is the proof that the run finished. `make test` checks it after the Wine run.
"""

import sys
import xml.etree.ElementTree as ET


def main(path: str) -> int:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"check_junit: no complete pytest report at {path} ({e}): the test process did not finish")
        return 1
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(s.get("tests", 0)) for s in suites)
    bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    if tests == 0 or bad:
        print(f"check_junit: {path}: {tests} tests, {bad} failures or errors")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
