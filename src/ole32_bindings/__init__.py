"""ole32-bindings: Windows COM at the level of vtables, from Python.

This package is import-light: ``guid``, ``hresult``, ``constants`` and ``objref`` work anywhere (Linux CPython
included); the modules that call the runtime (``apartments``, ``activation``, ``marshaling``, ``streams``,
``memory``, ``errorinfo``, ``security``, ``typelib``, ``registry``, ``win32``) load it through ``dlls`` when
imported, on Windows (or Wine).

Re-exported here: ``Guid`` and ``GUID_NULL`` (from ``guid``), ``ComError`` and ``check`` (from ``hresult``).
"""

from .guid import GUID_NULL, Guid
from .hresult import ComError, check

__all__ = ["Guid", "GUID_NULL", "ComError", "check"]
__version__ = "0.2.0"
