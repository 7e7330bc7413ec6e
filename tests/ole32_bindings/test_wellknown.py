"""Every IID_ constant matches mingw-w64's headers (the SDK's values)."""

import glob
import re

from ole32_bindings import wellknown
from ole32_bindings.guid import Guid

INCLUDE = "/usr/share/mingw-w64/include"
DEFINE = re.compile(
    r"DEFINE_GUID\((IID_\w+|CLSID_\w+),\s*0x([0-9a-fA-F]+),\s*0x([0-9a-fA-F]+),\s*0x([0-9a-fA-F]+),"
    r"((?:\s*0x[0-9a-fA-F]+\s*,?){8})\)"
)
MIDL = re.compile(r'MIDL_INTERFACE\("([0-9a-fA-F-]{36})"\)\s*\n\s*(\w+)\s*:')


def _sdk_guids():
    found = {}
    for path in glob.glob(INCLUDE + "/*.h"):
        with open(path, encoding="latin-1") as f:
            text = f.read()
        for m in DEFINE.finditer(text):
            d4 = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]+)", m.group(5)))
            found.setdefault(
                m.group(1), Guid.from_fields(int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16), d4)
            )
        for m in MIDL.finditer(text):
            found.setdefault("IID_" + m.group(2), Guid(m.group(1)))
    return found


def test_iids_match_the_sdk_headers():
    sdk = _sdk_guids()
    assert len(sdk) > 500
    checked = 0
    for name in wellknown.__all__:
        if name in sdk:
            assert getattr(wellknown, name) == sdk[name], name
            checked += 1
    # Everything but the few the mingw headers only declare extern (context callback, object context, ...).
    assert checked >= 30, checked
