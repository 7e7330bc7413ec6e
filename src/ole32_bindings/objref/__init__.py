"""OBJREF codec and explainer for the marshalling debugger ([MS-DCOM] 2.2.18), pure Python.

``decode``/``encode`` convert between bytes and frozen dataclasses (``ObjrefStandard``, ``ObjrefHandler``,
``ObjrefCustom``, ``ObjrefExtended``, ``InterfacePointer`` for an MInterfacePointer wrapper);
``parse_input`` reads hex/base64/``OBJREF:<base64>:`` text; ``explain``, ``to_json`` and ``render_text``
describe a decoded OBJREF. Malformed input raises only ``ObjrefError`` (a ValueError with ``offset`` and
``field``). Nothing here loads a DLL.
"""

from __future__ import annotations

from .codec import (
    EMPTY_DUALSTRINGARRAY,
    EXTENDED_SIGNATURE,
    OBJREF_CUSTOM,
    OBJREF_EXTENDED,
    OBJREF_HANDLER,
    OBJREF_SIGNATURE,
    OBJREF_STANDARD,
    CLSID_InProcFreeMarshaler,
    CLSID_PyMarshalByValue,
    CLSID_StdMarshal,
    DataElement,
    DualStringArray,
    InterfacePointer,
    Objref,
    ObjrefCustom,
    ObjrefError,
    ObjrefExtended,
    ObjrefHandler,
    ObjrefStandard,
    SecurityBinding,
    StdObjref,
    StringBinding,
    decode,
    decode_any,
    decode_interface_pointer,
    encode,
)
from .explain import JSON_SCHEMA_ID, FieldSpan, explain, field_spans, notes, render_text, to_json
from .names import SORF_NOPING, authn_id_from_name, authn_name, tower_id_from_name, tower_name
from .textforms import parse_input, to_moniker_text

__all__ = [
    "CLSID_InProcFreeMarshaler",
    "CLSID_PyMarshalByValue",
    "CLSID_StdMarshal",
    "EMPTY_DUALSTRINGARRAY",
    "EXTENDED_SIGNATURE",
    "OBJREF_CUSTOM",
    "OBJREF_EXTENDED",
    "OBJREF_HANDLER",
    "OBJREF_SIGNATURE",
    "OBJREF_STANDARD",
    "SORF_NOPING",
    "DataElement",
    "DualStringArray",
    "FieldSpan",
    "InterfacePointer",
    "JSON_SCHEMA_ID",
    "Objref",
    "ObjrefCustom",
    "ObjrefError",
    "ObjrefExtended",
    "ObjrefHandler",
    "ObjrefStandard",
    "SecurityBinding",
    "StdObjref",
    "StringBinding",
    "authn_id_from_name",
    "authn_name",
    "decode",
    "decode_any",
    "decode_interface_pointer",
    "encode",
    "explain",
    "field_spans",
    "notes",
    "parse_input",
    "render_text",
    "to_json",
    "to_moniker_text",
    "tower_id_from_name",
    "tower_name",
]
