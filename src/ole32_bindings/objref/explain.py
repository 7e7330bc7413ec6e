"""Explaining a decoded OBJREF: plain-language lines, a stable JSON form, an annotated byte layout.

``explain(x)`` returns lines for someone learning COM marshaling; ``to_json(x)`` a dict with the schema
documented in docs/objref.md (``"schema": "ole32-bindings.objref/1"``); ``field_spans(x)`` where every field
sits in the encoded bytes; ``render_text(x)`` all of that as one printable report; ``notes(x)`` the list of
oddities (truncated custom data, non-canonical layouts, values the spec forbids...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..guid import GUID_NULL, Guid
from .codec import (
    EXTENDED_SIGNATURE,
    OBJREF_SIGNATURE,
    CLSID_PyMarshalByValue,
    DataElement,
    DualStringArray,
    InterfacePointer,
    Objref,
    ObjrefCustom,
    ObjrefError,
    ObjrefExtended,
    ObjrefHandler,
    StdObjref,
    encode,
)
from .names import (
    COM_C_AUTHZ_NONE,
    SORF_FLAGS,
    authn_help,
    authn_name,
    clsid_info,
    iid_name,
    sorf_flag_names,
    tower_name,
)

__all__ = ["JSON_SCHEMA_ID", "FieldSpan", "notes", "explain", "to_json", "field_spans", "render_text"]

JSON_SCHEMA_ID = "ole32-bindings.objref/1"
"""The ``schema`` value of :func:`to_json` documents (docs/objref.md)."""

_FORM_TITLES = {
    "standard": "OBJREF_STANDARD (flags=1): a reference to an object living in another apartment/process",
    "handler": "OBJREF_HANDLER (flags=2): a standard reference plus a client-side handler class",
    "custom": "OBJREF_CUSTOM (flags=4): an opaque blob for a custom unmarshaler",
    "extended": "OBJREF_EXTENDED (flags=8): a standard reference plus an envoy context",
}

_SORF_HELP = {
    "SORF_NOPING": "the client must not send garbage-collection pings for this OID; the exporter will not "
    "reclaim it when clients die (MSHLFLAGS_NOPING)",
    "SORF_OXRES1": "reserved for the object exporter, ignored by importers (Wine uses it to mark a table-weak marshal)",
    "SORF_OXRES2": "reserved for the object exporter, ignored by importers (Wine: 'no lifetime management')",
}


def _guid_text(g: Guid) -> str:
    name = iid_name(g) or (clsid_info(g) or (None,))[0]
    return f"{g} ({name})" if name else str(g)


def _dsa_notes(dsa: DualStringArray, where: str) -> list[str]:
    out: list[str] = []
    if dsa.num_entries == 0:
        out.append(
            f"{where}: empty DUALSTRINGARRAY (wNumEntries=0, no terminators): no network or security bindings; "
            "Wine writes this for same-machine marshals, the spec's smallest form is 4 zero entries"
        )
    elif not dsa.is_canonical:
        out.append(
            f"{where}: DUALSTRINGARRAY layout differs from the canonical one (padding, a gap before "
            f"wSecurityOffset={dsa.wire_security_offset}, or extra entries); the exact bytes are kept"
        )
    for i, sec in enumerate(dsa.security_bindings):
        if sec.authz_svc != COM_C_AUTHZ_NONE:
            out.append(f"{where}: SECURITYBINDING[{i}] Reserved/wAuthzSvc is 0x{sec.authz_svc:04X} (spec: 0xFFFF)")
        if sec.authn_svc == 0xFFFF:
            out.append(f"{where}: SECURITYBINDING[{i}] is RPC_C_AUTHN_DEFAULT, which the spec forbids on the wire")
    return out


def _objref_notes(obj: Objref) -> list[str]:
    out: list[str] = []
    if obj.iid == GUID_NULL:
        out.append("iid is GUID_NULL, which the spec forbids")
    if isinstance(obj, ObjrefCustom):
        if obj.truncated:
            out.append(
                f"OBJREF_CUSTOM.size declares {obj.declared_size} bytes but only {len(obj.object_data)} follow "
                f"({obj.missing_bytes} missing): Windows and Wine write IMarshal::GetMarshalSizeMax here, an "
                "upper bound, so this is usually harmless; the bytes present were decoded"
            )
        elif obj.excess_bytes:
            out.append(
                f"{obj.excess_bytes} bytes follow beyond the declared size {obj.declared_size} (stream padding, "
                "or data a later read would see)"
            )
        if obj.cb_extension:
            out.append(
                f"OBJREF_CUSTOM.cbExtension is {obj.cb_extension}; the spec says it MUST be 0 when sent and "
                "ignored on receipt, so no extension bytes were split off pObjectData"
            )
        return out
    unknown = obj.std.flags & ~sum(SORF_FLAGS.values())
    if unknown:
        out.append(f"STDOBJREF.flags has bits 0x{unknown:X} with no SORF_* name (clients ignore them)")
    if obj.std.public_refs == 0:
        out.append(
            "cPublicRefs is 0: the client holds no public reference yet (a table marshal, or it must "
            "call IRemUnknown::RemAddRef before relying on the IPID)"
        )
    out.extend(_dsa_notes(obj.resolver_address, "saResAddr"))
    if isinstance(obj, ObjrefExtended):
        el = obj.element
        if el.data_id == GUID_NULL:
            out.append("DATAELEMENT.dataID is GUID_NULL, which the spec forbids")
        if el.cb_size == 0:
            out.append("DATAELEMENT.cbSize is 0, which the spec forbids")
        if el.cb_rounded != (el.cb_size + 7) // 8 * 8:
            out.append(
                f"DATAELEMENT.cbRounded is {el.cb_rounded}, not cbSize {el.cb_size} rounded up to 8 "
                f"({(el.cb_size + 7) // 8 * 8})"
            )
    if obj.trailing:
        out.append(f"{len(obj.trailing)} trailing bytes after the OBJREF (kept, not interpreted)")
    return out


def notes(obj: Objref | InterfacePointer) -> list[str]:
    """Oddities worth a reader's attention, one sentence each (empty for a tidy, spec-conforming OBJREF)."""
    if isinstance(obj, InterfacePointer):
        out = _objref_notes(obj.objref)
        if obj.trailing:
            out.append(f"{len(obj.trailing)} bytes follow the MInterfacePointer's abData (kept, not interpreted)")
        return out
    return _objref_notes(obj)


# ---------------------------------------------------------------------------------------------------- explain


def _explain_std(std: StdObjref) -> list[str]:
    lines = ["STDOBJREF: who to call and how many references come with this pointer"]
    names = sorf_flag_names(std.flags)
    lines.append(f"  flags = 0x{std.flags:08X} ({', '.join(names) if names else 'SORF_NULL'})")
    if not std.flags & 0x1000:
        lines.append(
            "    no SORF_NOPING: the client pings the exporter's resolver so the object stays alive only "
            "while clients do (distributed garbage collection)"
        )
    for name in names:
        lines.append(f"    {name}: {_SORF_HELP.get(name, 'reserved for the object exporter, ignored by importers')}")
    lines.append(
        f"  cPublicRefs = {std.public_refs}: references on the interface handed over with this OBJREF; "
        "the importer owns them and must give them back (IRemUnknown::RemRelease) when its proxy dies. "
        "A normal marshal typically carries 5 (Wine's NORMALEXTREFS); table marshals carry 0 and the "
        "importer asks for its own with IRemUnknown::RemAddRef"
    )
    lines.append(
        f"  oxid = 0x{std.oxid:016X}: OXID, the object exporter (roughly: the server apartment); the "
        "client's resolver turns it into RPC bindings (IObjectExporter::ResolveOxid)"
    )
    lines.append(
        f"  oid = 0x{std.oid:016X}: OID, the object itself (its identity for pinging and for 'same object?' checks)"
    )
    d1, d2, d3, _ = std.ipid.fields
    lines.append(
        f"  ipid = {std.ipid}: IPID, one interface on that object inside that exporter; every ORPC "
        "call names its target by IPID"
    )
    lines.append(
        f"    hint only: Wine builds IPIDs as Data1=per-apartment counter (0x{d1:X}), Data2=apartment "
        f"thread id (0x{d2:04X}, 0 for the MTA), Data3=process id (0x{d3:04X}); Windows also puts "
        "process/thread ids in Data2/Data3, but do not rely on any layout"
    )
    return lines


def _explain_dsa(dsa: DualStringArray) -> list[str]:
    lines = [
        f"saResAddr (DUALSTRINGARRAY): how to reach the server's object resolver; wNumEntries="
        f"{dsa.num_entries}, wSecurityOffset={dsa.wire_security_offset}"
    ]
    if dsa.num_entries == 0:
        lines.append("  empty: no bindings (same machine; the importer already knows how to reach the exporter)")
    for i, sb in enumerate(dsa.string_bindings):
        proto = tower_name(sb.tower_id) or "unknown protocol"
        lines.append(f"  STRINGBINDING[{i}]: wTowerId=0x{sb.tower_id:04X} ({proto}) address {sb.network_addr!r}")
    for i, sec in enumerate(dsa.security_bindings):
        name = authn_name(sec.authn_svc) or "unknown security provider"
        extra = authn_help(sec.authn_svc)
        lines.append(
            f"  SECURITYBINDING[{i}]: wAuthnSvc={sec.authn_svc} ({name}{', ' + extra if extra else ''}), "
            f"Reserved=0x{sec.authz_svc:04X}, principal {sec.principal_name!r}"
            + (" (no SPN)" if not sec.principal_name else "")
        )
    return lines


def _explain_element(el: DataElement) -> list[str]:
    return [
        "DATAELEMENT: a marshaled envoy context (COM+ context properties the client must apply)",
        f"  dataID = {el.data_id}, cbSize = {el.cb_size}, cbRounded = {el.cb_rounded}",
        f"  Data: {el.data[:32].hex(' ')}{' ...' if len(el.data) > 32 else ''}",
    ]


def _explain_by_value(data: bytes) -> list[str]:
    """The marshal-by-value payload (objref.byvalue): which class rebuilds the object, and how much state."""
    from .byvalue import decode_payload

    try:
        payload, used = decode_payload(data)
    except ObjrefError as exc:
        return [f"  by-value payload does not decode: {exc}"]
    lines = [
        f"  by-value payload: class {payload.name!r} is rebuilt in the receiving apartment from "
        f"{len(payload.state)} bytes of state (a copy: no proxy, no references held, nothing to release)"
    ]
    if used != len(data):
        lines.append(f"  {len(data) - used} bytes follow the payload")
    return lines


def _explain_objref(obj: Objref) -> list[str]:
    lines = [_FORM_TITLES[obj.FORM]]
    lines.append(f"signature = 0x{OBJREF_SIGNATURE:08X} ('MEOW'), flags = {obj.FLAGS}")
    lines.append(f"iid = {_guid_text(obj.iid)}: the interface this pointer was marshaled as")
    if isinstance(obj, ObjrefCustom):
        info = clsid_info(obj.clsid)
        who = f"{info[0]}: {info[1]}" if info else "not a class this tool knows; look it up under HKCR\\CLSID"
        lines.append(f"clsid = {obj.clsid}: the unmarshaler CoUnmarshalInterface creates to read the data ({who})")
        lines.append(f"cbExtension = {obj.cb_extension} (spec: 0 when sent, ignored on receipt)")
        lines.append(
            f"size = {obj.declared_size}: declared length of pObjectData ({len(obj.object_data)} bytes present)"
        )
        if obj.truncated:
            lines.append(
                f"  declared size exceeds the bytes present by {obj.missing_bytes}: the marshaler wrote "
                "GetMarshalSizeMax (an upper bound), not the exact size; the data was decoded as is"
            )
        lines.append(f"pObjectData: {obj.object_data[:32].hex(' ')}{' ...' if len(obj.object_data) > 32 else ''}")
        if obj.clsid == CLSID_PyMarshalByValue:
            lines.extend(_explain_by_value(obj.object_data))
    else:
        lines.extend(_explain_std(obj.std))
        if isinstance(obj, ObjrefHandler):
            info = clsid_info(obj.clsid)
            lines.append(
                f"clsid = {obj.clsid}: handler class the client creates in-process to front the proxy"
                + (f" ({info[0]})" if info else "")
            )
        if isinstance(obj, ObjrefExtended):
            lines.append(f"Signature1 = 0x{EXTENDED_SIGNATURE:08X}")
        lines.extend(_explain_dsa(obj.resolver_address))
        if isinstance(obj, ObjrefExtended):
            lines.append(f"nElms = 1, Signature2 = 0x{EXTENDED_SIGNATURE:08X}")
            lines.extend(_explain_element(obj.element))
    return lines


def explain(obj: Objref | InterfacePointer) -> list[str]:
    """Plain-language lines describing every field, then ``note: ...`` lines for anything unusual."""
    if isinstance(obj, InterfacePointer):
        lines = [f"MInterfacePointer: ulCntData = {len(encode(obj.objref))} bytes of abData holding an OBJREF"]
        lines.extend("  " + line for line in _explain_objref(obj.objref))
    else:
        lines = _explain_objref(obj)
    lines.extend(f"note: {n}" for n in notes(obj))
    return lines


# ---------------------------------------------------------------------------------------------------- JSON


def _guid_json(g: Guid) -> dict[str, Any]:
    return {"guid": str(g), "name": iid_name(g) or (clsid_info(g) or (None,))[0]}


def _dsa_json(dsa: DualStringArray) -> dict[str, Any]:
    return {
        "num_entries": dsa.num_entries,
        "security_offset": dsa.wire_security_offset,
        "canonical": dsa.is_canonical,
        "string_bindings": [
            {"tower_id": sb.tower_id, "protocol": tower_name(sb.tower_id), "network_addr": sb.network_addr}
            for sb in dsa.string_bindings
        ],
        "security_bindings": [
            {
                "authn_svc": sec.authn_svc,
                "authn_name": authn_name(sec.authn_svc),
                "authz_svc": sec.authz_svc,
                "principal_name": sec.principal_name,
            }
            for sec in dsa.security_bindings
        ],
        "raw_entries": dsa.entries.hex(),
    }


def _objref_json(obj: Objref) -> dict[str, Any]:
    out: dict[str, Any] = {"form": obj.FORM, "flags": obj.FLAGS, "iid": _guid_json(obj.iid)}
    if isinstance(obj, ObjrefCustom):
        out["custom"] = {
            "clsid": _guid_json(obj.clsid),
            "cb_extension": obj.cb_extension,
            "declared_size": obj.declared_size,
            "present_size": len(obj.object_data),
            "truncated": obj.truncated,
            "object_data": obj.object_data.hex(),
        }
        if obj.clsid == CLSID_PyMarshalByValue:
            from .byvalue import decode_payload

            try:
                payload, _ = decode_payload(obj.object_data)
                out["custom"]["by_value"] = {"name": payload.name, "state": payload.state.hex()}
            except ObjrefError as exc:
                out["custom"]["by_value"] = {"error": str(exc)}
    else:
        std = obj.std
        out["std"] = {
            "flags": std.flags,
            "flag_names": sorf_flag_names(std.flags),
            "public_refs": std.public_refs,
            "oxid": f"0x{std.oxid:016x}",
            "oid": f"0x{std.oid:016x}",
            "ipid": str(std.ipid),
        }
        if isinstance(obj, ObjrefHandler):
            out["handler_clsid"] = _guid_json(obj.clsid)
        out["resolver_address"] = _dsa_json(obj.resolver_address)
        if isinstance(obj, ObjrefExtended):
            el = obj.element
            out["element"] = {
                "data_id": str(el.data_id),
                "cb_size": el.cb_size,
                "cb_rounded": el.cb_rounded,
                "data": el.data.hex(),
            }
        out["trailing"] = obj.trailing.hex()
    return out


def to_json(obj: Objref | InterfacePointer) -> dict[str, Any]:
    """A JSON-ready dict (only str/int/bool/None/list/dict) with a stable schema; see docs/objref.md."""
    if isinstance(obj, InterfacePointer):
        body: dict[str, Any] = {
            "wrapper": "MInterfacePointer",
            "cnt_data": len(encode(obj.objref)),
            "wrapper_trailing": obj.trailing.hex(),
            "objref": _objref_json(obj.objref),
        }
    else:
        body = {"wrapper": None, "objref": _objref_json(obj)}
    raw = encode(obj)
    return {"schema": JSON_SCHEMA_ID, "size": len(raw), **body, "notes": notes(obj), "hex": raw.hex()}


# ---------------------------------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class FieldSpan:
    """One field's place in the encoded bytes: ``data[offset : offset + length]`` is ``name`` = ``value``."""

    offset: int
    length: int
    name: str
    value: str


class _Spans:
    def __init__(self, base: int) -> None:
        self.pos = base
        self.items: list[FieldSpan] = []

    def add(self, length: int, name: str, value: str) -> None:
        self.items.append(FieldSpan(self.pos, length, name, value))
        self.pos += length


def _dsa_spans(s: _Spans, dsa: DualStringArray) -> None:
    s.add(2, "DUALSTRINGARRAY.wNumEntries", str(dsa.num_entries))
    s.add(2, "DUALSTRINGARRAY.wSecurityOffset", str(dsa.wire_security_offset))
    if dsa.is_canonical:
        for i, sb in enumerate(dsa.string_bindings):
            s.add(2, f"STRINGBINDING[{i}].wTowerId", f"0x{sb.tower_id:04X} {tower_name(sb.tower_id) or ''}".strip())
            s.add(
                len(sb.network_addr.encode("utf-16-le", "surrogatepass")) + 2,
                f"STRINGBINDING[{i}].aNetworkAddr",
                repr(sb.network_addr),
            )
        if not dsa.string_bindings:
            s.add(2, "STRINGBINDING (empty)", "0")
        s.add(2, "nullterm1", "0")
        for i, sec in enumerate(dsa.security_bindings):
            s.add(2, f"SECURITYBINDING[{i}].wAuthnSvc", f"{sec.authn_svc} {authn_name(sec.authn_svc) or ''}".strip())
            s.add(2, f"SECURITYBINDING[{i}].Reserved", f"0x{sec.authz_svc:04X}")
            s.add(
                len(sec.principal_name.encode("utf-16-le", "surrogatepass")) + 2,
                f"SECURITYBINDING[{i}].aPrincName",
                repr(sec.principal_name),
            )
        if not dsa.security_bindings:
            s.add(2, "SECURITYBINDING (empty)", "0")
        s.add(2, "nullterm2", "0")
    elif dsa.num_entries:
        s.add(2 * dsa.num_entries, "DUALSTRINGARRAY.aStringArray", "non-canonical layout, see bindings above")


def _objref_spans(s: _Spans, obj: Objref) -> None:
    s.add(4, "OBJREF.signature", "0x574F454D 'MEOW'")
    s.add(4, "OBJREF.flags", f"{obj.FLAGS} OBJREF_{obj.FORM.upper()}")
    s.add(16, "OBJREF.iid", _guid_text(obj.iid))
    if isinstance(obj, ObjrefCustom):
        s.add(16, "OBJREF_CUSTOM.clsid", _guid_text(obj.clsid))
        s.add(4, "OBJREF_CUSTOM.cbExtension", str(obj.cb_extension))
        s.add(4, "OBJREF_CUSTOM.size", f"{obj.declared_size}" + (" (truncated)" if obj.truncated else ""))
        if obj.object_data:
            s.add(len(obj.object_data), "OBJREF_CUSTOM.pObjectData", f"{len(obj.object_data)} bytes")
        return
    std = obj.std
    s.add(4, "STDOBJREF.flags", f"0x{std.flags:08X} {' | '.join(sorf_flag_names(std.flags)) or 'SORF_NULL'}")
    s.add(4, "STDOBJREF.cPublicRefs", str(std.public_refs))
    s.add(8, "STDOBJREF.oxid", f"0x{std.oxid:016X}")
    s.add(8, "STDOBJREF.oid", f"0x{std.oid:016X}")
    s.add(16, "STDOBJREF.ipid", str(std.ipid))
    if isinstance(obj, ObjrefHandler):
        s.add(16, "OBJREF_HANDLER.clsid", _guid_text(obj.clsid))
    if isinstance(obj, ObjrefExtended):
        s.add(4, "OBJREF_EXTENDED.Signature1", f"0x{EXTENDED_SIGNATURE:08X}")
    _dsa_spans(s, obj.resolver_address)
    if isinstance(obj, ObjrefExtended):
        el = obj.element
        s.add(4, "OBJREF_EXTENDED.nElms", "1")
        s.add(4, "OBJREF_EXTENDED.Signature2", f"0x{EXTENDED_SIGNATURE:08X}")
        s.add(16, "DATAELEMENT.dataID", str(el.data_id))
        s.add(4, "DATAELEMENT.cbSize", str(el.cb_size))
        s.add(4, "DATAELEMENT.cbRounded", str(el.cb_rounded))
        if el.data:
            s.add(len(el.data), "DATAELEMENT.Data", f"{len(el.data)} bytes")
    if obj.trailing:
        s.add(len(obj.trailing), "trailing", f"{len(obj.trailing)} bytes")


def field_spans(obj: Objref | InterfacePointer) -> list[FieldSpan]:
    """Every field's offset, length, name and value in ``encode(obj)``, in order, covering all bytes."""
    if isinstance(obj, InterfacePointer):
        s = _Spans(0)
        s.add(4, "MInterfacePointer.ulCntData", str(len(encode(obj.objref))))
        _objref_spans(s, obj.objref)
        if obj.trailing:
            s.add(len(obj.trailing), "after abData", f"{len(obj.trailing)} bytes")
        return s.items
    s = _Spans(0)
    _objref_spans(s, obj)
    return s.items


def render_text(obj: Objref | InterfacePointer, *, max_bytes_per_field: int = 16) -> str:
    """A printable report: the annotated byte layout (offset, bytes, field, value), then ``explain`` lines."""
    raw = encode(obj)
    out = [f"{len(raw)} bytes", "offset  bytes" + " " * (3 * max_bytes_per_field - 4) + "field = value"]
    for span in field_spans(obj):
        chunk = raw[span.offset : span.offset + span.length]
        shown = chunk[:max_bytes_per_field].hex(" ")
        if len(chunk) > max_bytes_per_field:
            shown = shown[: 3 * max_bytes_per_field - 5] + " ..."
        out.append(f"{span.offset:06X}  {shown:<{3 * max_bytes_per_field}} {span.name} = {span.value}")
    out.append("")
    out.extend(explain(obj))
    return "\n".join(out)
