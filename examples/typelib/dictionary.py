"""Type library import, end to end: the module for Scripting's type library (scrrun.dll) generated once into the
cache, then a Scripting.Dictionary called early-bound through its declarations and late-bound through their DISPIDs.

    py examples/typelib/dictionary.py            (tools/winpy examples/typelib/dictionary.py under Wine)

The cache is ole32_servers.tlbimport.cache_directory(); set OLE32B_TYPELIB_CACHE to put it elsewhere.
"""

from __future__ import annotations

import vtables.variant  # noqa: F401 - the Automation conversions the client uses
from ole32_bindings import apartments
from ole32_bindings.activation import create_instance
from ole32_servers.tlbimport import cache_directory, module_for
from vtables.client import client_class
from vtables.latebound import DISPATCH_METHOD, DISPATCH_PROPERTYGET, Dispatch, invoke


def main() -> None:
    apartments.co_initialize()
    try:
        Scripting = module_for("Scripting.Dictionary")  # the ProgID names its library: scrrun.dll
        print(f"module {Scripting.__name__} from {cache_directory()}")
        IDictionary = Scripting.IDictionary
        print(IDictionary.describe().splitlines()[0])

        # early-bound: the vtable the generated declaration describes
        with client_class(IDictionary).from_raw(create_instance(Scripting.Dictionary.clsid, IDictionary.iid)) as d:
            d.put_CompareMode(Scripting.CompareMethod.TextCompare)
            d.Add("apple", 1)
            d.Add("pear", 2)
            print("early-bound:", d.get_Count(), d.Keys(), d.get_Item("APPLE"))

        # late-bound: IDispatch::Invoke with the DISPIDs the same module declares
        with Dispatch("Scripting.Dictionary") as d:
            invoke(d, IDictionary.Add.memid, DISPATCH_METHOD, "plum", 3)
            count = invoke(d, IDictionary.get_Count.memid, DISPATCH_PROPERTYGET)
            print("late-bound:", count, invoke(d, IDictionary.Keys.memid, DISPATCH_METHOD))
    finally:
        apartments.co_uninitialize()


if __name__ == "__main__":
    main()
