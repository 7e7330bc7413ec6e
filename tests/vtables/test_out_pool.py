"""The client's reused [out] buffers (vtables.client._out_pool): one buffer per call in progress, whatever the
threads and the re-entrancy, and a failed call's buffer is not given back."""

import threading

import pytest

from vtables.declare import method
from vtables.interfaces import IUnknown

pytestmark = pytest.mark.runtime


class IDepth(IUnknown):
    iid = "{5B7E3C21-94A8-4E1F-8D2C-6A0B1C2D3E41}"
    Down = method("HRESULT Down([in] LONG n, [out, retval] LONG *total)")


def _pool(ptr_cls, name):
    """The list behind a generated method's pool (its ``_give_<method>_<param>`` is the list's append)."""
    return getattr(ptr_cls, name).__globals__[f"_give_{name}_total"].__self__


def test_reentrant_calls_each_take_their_own_buffer(mta):
    """Down(n) on our object, through its vtable, calls Down(n - 1) on itself through its vtable before it returns:
    n + 1 calls are in progress at once on one thread, each must read its own result, and each gives its own buffer
    back (the pool ends with n + 1 of them)."""
    from ole32_bindings.hresult import ComError
    from vtables.client import client_class
    from vtables.object import ComObject

    Ptr = client_class(IDepth)

    class Depth(ComObject, implements=[IDepth]):
        def Down(self, n):
            if n < 0:
                raise ValueError("n < 0")
            if n == 0:
                return 0
            with Ptr.from_raw(self.query_raw(IDepth.iid), direct=False) as again:
                return n + again.Down(n - 1)

    assert _pool(Ptr, "Down") == []
    with Ptr.from_raw(Depth().query_raw(IDepth.iid), direct=False) as p:
        assert p.Down(5) == 15
        assert len(_pool(Ptr, "Down")) == 6
        assert p.Down(5) == 15  # the second time every call finds a buffer in the pool
        assert len(_pool(Ptr, "Down")) == 6
        with pytest.raises(ComError):
            p.Down(-1)  # (the implementation refuses: the call fails, its buffer is not given back)
        assert len(_pool(Ptr, "Down")) == 5


def test_concurrent_calls_read_their_own_values(mta):
    """Threads reading different byte counts from their own streams at once (the GIL is released during each call):
    every pcbRead read back is the thread's own count."""
    from ole32_bindings import apartments, streams
    from ole32_bindings.dlls import ffi
    from vtables.client import client_class
    from vtables.interfaces import IStream

    data = ffi.new("char[]", 4096)
    errors = []

    def reader(count):
        apartments.co_initialize()
        try:
            with client_class(IStream).from_raw(streams.create_stream_on_hglobal()) as s:
                assert s.Write(data, 4096) == 4096
                buf = ffi.new("char[]", count)
                zero = ffi.new("LARGE_INTEGER *")[0]
                for _ in range(2000):
                    s.Seek(zero, 0, ffi.NULL)
                    hr, got = s.Read(buf, count)
                    if (hr, got) != (0, count):
                        errors.append((count, hr, got))
                        return
        except BaseException as e:
            errors.append((count, e))
        finally:
            apartments.co_uninitialize()

    threads = [threading.Thread(target=reader, args=(k + 1,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
