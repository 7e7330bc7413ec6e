"""comtypes.client.GetModule cannot read Wine 8's mshtml.tlb: a parameter's [defaultvalue] is a VARIANT whose vt is
VT_VARIANT, and comtypes' tlbparser raises NotImplementedError("typecode 12 = 0xc)"). ole32_servers.tlbimport reads
the same library (the parameter stays [optional], without a default).

Run: tools/winpy bench/repros/comtypes_getmodule_mshtml.py"""

import sys

sys.coinit_flags = 0
import comtypes.client  # noqa: E402

try:
    comtypes.client.GetModule("mshtml.tlb")
except NotImplementedError as exc:
    print(f"comtypes GetModule('mshtml.tlb'): NotImplementedError: {exc}")
else:
    print("comtypes read mshtml.tlb: this runtime's library differs (the row can include comtypes)")
