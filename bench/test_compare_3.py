"""The second native implementation of rows 3 and 3s (native/bench/xapt.c, bench/compare_3.py; issue 14, item 6)
runs both rows through a real proxy, in the object's apartment, with the contract's results."""

import os
import sys

import pytest

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def typelib_registered():
    from bench import run as R

    R.register_servers()  # (BenchTargetLib among them: IBenchTarget's proxy and stub)


@pytest.mark.parametrize("row", ["mta_to_sta", "sta_to_mta"])
def test_xapt_calls_through_a_proxy_in_the_objects_apartment(typelib_registered, row):
    from bench.compare_3 import XAPT, xapt

    assert os.path.exists(XAPT), "make native builds build/native/xapt.exe"
    per_call = xapt(row, 50)  # raises unless proxy, ran in the object's apartment, Work(100) == 4950
    assert 0 < per_call < 1.0


def test_xapt_refuses_bad_arguments():
    import subprocess

    from bench.compare_3 import XAPT

    assert sys.platform == "win32"
    done = subprocess.run([XAPT, "sideways", "10", "1"], capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 2 and b"usage" in done.stderr
