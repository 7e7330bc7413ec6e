"""The events example's client (README.md): a plain Python object receives the Clock's events.

    python client.py            # a Clock made in this process
    python client.py --local    # Ole32Bindings.Clock out of process (run server.py -RegServer first)

Prints each event as it arrives, then the connection's state.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from clock import PROGID, Clock, IClock, IClockBell  # noqa: E402

from ole32_bindings import apartments  # noqa: E402
from ole32_bindings.constants import CLSCTX  # noqa: E402
from vtables.latebound import Dispatch  # noqa: E402
from vtables.sinks import advise  # noqa: E402


class Printer:
    """The sink: methods named like the events (any case). It has no handler for ``Alarm``'s sibling events it
    does not care about: those are answered and ignored."""

    def tick(self, n: int) -> None:
        print(f"tick {n}", flush=True)

    def Alarm(self, text: str) -> None:
        print(f"alarm {text}", flush=True)

    def Ring(self, why: str) -> None:
        print(f"ring {why}", flush=True)


def run(local: bool) -> None:
    if local:
        clock = Dispatch(PROGID, clsctx=CLSCTX.LOCAL_SERVER)  # late-bound, through oleaut32's IDispatch proxy
    else:
        clock = Dispatch(Clock(), vtable=IClock)
    sink = Printer()
    with clock:
        # the default source (DClockEvents, a dispinterface: DISPIDs from the Clock's type information) and the
        # custom source IClockBell (a vtable: the declaration builds the sink)
        with advise(clock, sink) as ticks, advise(clock, sink, IClockBell) as bell:
            clock.Start(3)
            clock.Ring("noon")
            print(f"connected: {ticks.name} cookie {ticks.cookie}, {bell.name} cookie {bell.cookie}", flush=True)
        print(f"disconnected: {not ticks.connected and not bell.connected}; failures {clock.Failures}", flush=True)


if __name__ == "__main__":
    apartments.co_initialize()  # the MTA: events from another process arrive on COM's threads
    try:
        run("--local" in sys.argv[1:])
    finally:
        apartments.co_uninitialize()
