"""In-process servers (InprocServer32) for COM classes written in Python.

    register_inproc(CLSID_Point, "mypkg.shapes:Point", python_path=[r"C:\\src"])   # once (setup, installer)
    ... any client, C++ or Python: CoCreateInstance(CLSID_Point, NULL, CLSCTX_INPROC_SERVER, ...) ...
    unregister_inproc(CLSID_Point)

``HKCR\\CLSID\\{clsid}\\InprocServer32`` names ``python_inproc.dll`` (native/inproc, built next to this module),
with ThreadingModel, and three values of ours: PythonClass (``module:attribute``: a ComObject subclass, or a
function of no arguments returning one, for classes made at run time),
PythonPath (directories put first on sys.path, ';'-separated) and PythonDll (the Python to start when the client
process has none). COM loads the DLL; its DllGetClassObject finds the process's Python (or starts that one), takes
the GIL and calls ``class_object`` below, which imports the class once and hands out its class object.

COM's rules, as enforced here:

* The class object is a ``vtables.factory.ClassFactory`` (a ``ServicedClassFactory`` for a class with services,
  whose pool is made then, with the pool sizes and construction string registered) made once per CLSID and kept
  for the life of the process (an in-process server's class objects may be asked for at any time; a Python
  started by the DLL is never finalized, so DllCanUnloadNow says S_FALSE). Each DllGetClassObject returns a new
  reference (QueryInterface).
  The DLL keeps a reference to it after the first request and answers the next ones itself (its native
  QueryInterface: no Python call per activation); ``release_class_objects`` empties that cache as well.
* A failure becomes the HRESULT COM expects: an unregistered or unimportable class CLASS_E_CLASSNOTAVAILABLE, an
  IID the class object lacks E_NOINTERFACE; the Python traceback goes to the log, never to a MessageBox.
* ThreadingModel "Both" (the default): objects live in the apartment of the thread that creates them, so a
  caller gets the object itself, never a proxy, in whatever apartment it is.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from ole32_bindings import registry
from ole32_bindings.dlls import ffi
from ole32_bindings.guid import Guid
from ole32_bindings.hresult import ComError, to_signed
from vtables.interfaces import IUnknown

from .classobjects import class_object_for
from .registration import default_place, remove_class_identity, write_class_identity, write_services

__all__ = [
    "HOST_DLL",
    "register_inproc",
    "unregister_inproc",
    "registered_inproc",
    "class_object",
    "python_dll",
    "release_class_objects",
]

log = logging.getLogger("ole32_servers")

HOST_DLL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_inproc.dll")
"""The path of ``python_inproc.dll``, next to this module: the InprocServer32 that ``register_inproc`` names."""
CLASS_E_CLASSNOTAVAILABLE = 0x80040111

_factories: dict[Guid, tuple[Any, Any]] = {}  # clsid -> (class object, the reference we keep)
_by_text: dict[str, tuple[Any, Any]] = {}  # the same, by the text the DLL passes
_iids: dict[str, Guid] = {}
_guard = threading.Lock()


def python_dll() -> str:
    """The DLL of the running Python (what a C++ client's process should start)."""
    name = f"python{sys.version_info.major}{sys.version_info.minor}.dll"
    for base in (sys.base_prefix, os.path.dirname(sys.executable)):
        path = os.path.join(base, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name} not found next to {sys.executable}")


def _key(clsid: Guid, root: str = "") -> str:
    return "\\".join(([root] if root else []) + ["CLSID", str(clsid), "InprocServer32"])


def register_inproc(
    clsid: Guid,
    python_class: str,
    *,
    description: str | None = None,
    python_path: Iterable[str] = (),
    threading_model: str = "Both",
    place: tuple[Any, str] | None = None,
    host_dll: str = HOST_DLL,
    progid: str | None = None,
    version_independent_progid: str | None = None,
    typelib: Guid | None = None,
    typelib_version: tuple[int, int] = (1, 0),
    services: Any = None,
    construction_string: str | None = None,
) -> None:
    """Register ``python_class`` (``"module:attribute"``) as the InprocServer32 of ``clsid`` under ``place``
    (``ole32_servers.registration.HKCU_CLASSES`` or ``HKCR``; None: ``registration.default_place()``, per user
    unless ``OLE32_BINDINGS_REGISTRATION=machine``; Wine 8 reads HKCR only), with its ProgIDs and type library
    reference if given (:func:`ole32_servers.registration.write_class_identity`), and the class's ``services`` (a
    ``ServiceSet``: ``services_of(cls)``) with its ``construction_string``
    (:func:`ole32_servers.registration.write_services`). Idempotent."""
    if place is None:
        place = default_place()
    if ":" not in python_class:
        raise ValueError(f"python_class must be 'module:attribute', got {python_class!r}")
    if not os.path.exists(host_dll):
        raise FileNotFoundError(f"{host_dll} is missing: build it (make native)")
    hive, root = place
    key = _key(clsid, root)
    registry.set_value(hive, key.rsplit("\\", 1)[0], None, description or python_class)
    registry.set_value(hive, key, None, os.path.abspath(host_dll))
    registry.set_value(hive, key, "ThreadingModel", threading_model)
    registry.set_value(hive, key, "PythonClass", python_class)
    registry.set_value(hive, key, "PythonPath", ";".join(os.path.abspath(p) for p in python_path))
    registry.set_value(hive, key, "PythonDll", python_dll())
    write_class_identity(
        clsid,
        description or python_class,
        progid=progid,
        version_independent_progid=version_independent_progid,
        typelib=typelib,
        typelib_version=typelib_version,
        place=place,
    )
    if services is not None:
        write_services(clsid, services, construction_string=construction_string, place=place)


def unregister_inproc(clsid: Guid, place: tuple[Any, str] | None = None) -> bool:
    """Remove ``CLSID\\{clsid}`` entirely from ``place`` (None: ``registration.default_place()``), and the ProgID
    keys it names that still point to it; False if the CLSID was not there."""
    if place is None:
        place = default_place()
    hive, root = place
    remove_class_identity(clsid, place)
    return registry.delete_tree(hive, _key(clsid, root).rsplit("\\", 1)[0])


@contextlib.contextmanager
def registered_inproc(
    clsid: Guid, python_class: str, *, place: tuple[Any, str] | None = None, **kwargs: Any
) -> Iterator[None]:
    """``register_inproc`` for the block; on exit the registration is removed and the class object this process
    made for it (if any) released."""
    if place is None:
        place = default_place()
    register_inproc(clsid, python_class, place=place, **kwargs)
    try:
        yield
    finally:
        unregister_inproc(clsid, place)
        release_class_objects(clsid)


def _load_class(clsid: Guid) -> type:
    spec = registry.query_value(registry.HKEY_CLASSES_ROOT, _key(clsid), "PythonClass")
    if not isinstance(spec, str) or ":" not in spec:
        raise LookupError(f"{clsid}: no PythonClass value under HKCR\\{_key(clsid)}")
    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    from vtables.object import ComObject

    if not (isinstance(obj, type) and issubclass(obj, ComObject)):
        obj = obj()  # a function that makes the class
    if not (isinstance(obj, type) and issubclass(obj, ComObject)):
        raise TypeError(f"{spec} is not a ComObject class (nor a function returning one)")
    return obj


def class_object(clsid_text: str, iid_text: str) -> int:
    """Called by python_inproc.dll (GIL held): the address of a new reference to ``clsid``'s class object as
    ``iid``, or a failure HRESULT as a negative number. Called on every activation: the texts are looked up as
    given first (no parsing), the class is imported once."""
    try:
        entry = _by_text.get(clsid_text)
        if entry is None:
            clsid = Guid(clsid_text)
            with _guard:
                entry = _factories.get(clsid)
                if entry is None:
                    factory = class_object_for(_load_class(clsid), clsid=clsid)  # a class's services included
                    entry = (factory, factory.query_raw(IUnknown.iid))  # ours until release_class_objects()
                    _factories[clsid] = entry
                _by_text[clsid_text] = entry
        iid = _iids.get(iid_text)
        if iid is None:
            iid = _iids[iid_text] = Guid(iid_text)
        return int(ffi.cast("uintptr_t", entry[0].query_raw(iid)))
    except ComError as e:
        return to_signed(e.hresult)
    except Exception:
        log.exception("in-process class object %s could not be made", clsid_text)
        return to_signed(CLASS_E_CLASSNOTAVAILABLE)


_GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT = 0x2


def _release_host_cache() -> None:
    """Empty python_inproc.dll's cache of class objects (it keeps one reference per CLSID it served, and answers
    later requests from it without calling Python), when the DLL is loaded in this process."""
    from ole32_bindings.dlls import ffi, function

    module = ffi.new("HMODULE *")
    name = ffi.new("wchar_t[]", os.path.basename(HOST_DLL))
    if not function("GetModuleHandleExW")(_GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, name, module):
        return  # (not loaded: nothing cached; loading it here would not help)
    release = function("GetProcAddress")(module[0], b"PyInproc_ReleaseCache")
    if release != ffi.NULL:
        ffi.cast("LONG (*)(void)", release)()


def release_class_objects(clsid: Guid | None = None) -> int:
    """Give up the references this module keeps on the class objects it made (all, or ``clsid``'s), and those
    python_inproc.dll keeps (all of them: it asks Python again next time); returns how many of this module's. For a
    process that is also the client (a Python program, a test, the bench) and wants to end with no object alive: a
    later DllGetClassObject makes a new class object."""
    if sys.platform == "win32":
        _release_host_cache()
    with _guard:
        if clsid is None:
            entries = list(_factories.values())
            _factories.clear()
            _by_text.clear()
        else:
            entry = _factories.pop(clsid, None)
            entries = [] if entry is None else [entry]
            for text in [t for t, e in _by_text.items() if e is entry]:
                del _by_text[text]
    from ole32_bindings.pointers import release

    for _, raw in entries:
        release(raw)
    return len(entries)
