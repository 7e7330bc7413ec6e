"""A marshal-by-value class shared by the tests and by tests/ole32_servers/pyserver.py (-ByValue): both processes
import it, so the name it registers under is known on both sides."""

import os
import struct

from ole32_bindings.guid import Guid
from ole32_marshalling.byvalue import MarshalByValue
from vtables.interfaces import IPersist

CLSID_Point = Guid("{6F1C2D3E-4B5A-4978-8C6D-5E4F3A2B1C0D}")


class Point(MarshalByValue, implements=[IPersist], by_value_name="ole32_bindings.tests.Point"):
    """IPersist only, so any runtime can proxy it too; its state is (x, y, pid of the process that made it)."""

    def __init__(self, x: int = 0, y: int = 0, pid: int | None = None) -> None:
        self.x, self.y = x, y
        self.pid = os.getpid() if pid is None else pid

    def marshal_state(self) -> bytes:
        return struct.pack("<iiI", self.x, self.y, self.pid)

    @classmethod
    def unmarshal_state(cls, state: bytes) -> "Point":
        return cls(*struct.unpack("<iiI", state))

    def GetClassID(self) -> Guid:
        return CLSID_Point
