"""A user's script for `python -m ole32_bindings trace`: moves one Python object between apartments three ways
(CoMarshalInterThreadInterfaceInStream, the GIT, CoMarshalInterface for another process) and exits with argv[1]."""

import sys

from ole32_bindings import apartments, marshaling, streams
from ole32_bindings.constants import MSHCTX, MSHLFLAGS
from ole32_bindings.guid import Guid
from ole32_bindings.pointers import release
from ole32_marshalling.git import GlobalInterfaceTable
from ole32_marshalling.sta import StaThread
from vtables.client import client_class
from vtables.interfaces import IPersist
from vtables.object import ComObject, live_objects

CLSID_Demo = Guid("{0B4A9C52-7E1D-4F3A-8D6C-2E5F1A3B4C7D}")


class Demo(ComObject, implements=[IPersist]):
    def GetClassID(self) -> Guid:
        return CLSID_Demo


apartments.co_initialize()
with StaThread() as sta, GlobalInterfaceTable() as git:

    def make_and_park():
        obj = Demo().as_ptr(IPersist)
        try:
            stream = marshaling.marshal_inter_thread_interface_in_stream(IPersist.iid, obj.as_raw())
            cookie = git.register(obj.as_raw(), IPersist.iid)
            out = streams.create_stream_on_hglobal()  # marshaled for another process, then released unread
            try:
                marshaling.marshal_interface(out, IPersist.iid, obj.as_raw(), MSHCTX.LOCAL, MSHLFLAGS.NORMAL)
                streams.seek(out, 0)
                marshaling.release_marshal_data(out)
            finally:
                release(out)
            return stream, cookie
        finally:
            obj.release()

    stream, cookie = sta.call(make_and_park)
    p = client_class(IPersist).from_raw(marshaling.get_interface_and_release_stream(stream, IPersist.iid))
    assert p.GetClassID() == CLSID_Demo
    p.release()
    q = client_class(IPersist).from_raw(git.get(cookie, IPersist.iid))
    assert q.GetClassID() == CLSID_Demo
    q.release()
    git.revoke(cookie)
    sta.call(lambda: None)
# what is left of ours: nothing (the tracer's own unmarshaler factory lives until the trace ends)
print("left:", sorted(type(o).__name__ for o in live_objects() if type(o).__name__ != "ClassFactory"))
apartments.co_uninitialize()
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
