"""Leak accounting: live Python-implemented COM objects, and references held by client wrappers.

``live_objects()`` counts objects whose COM count is above zero; ``held_references`` counts references that
wrappers (``ComPtr``) hold right now; ``leaked_references`` counts wrappers that were garbage-collected while still
holding one (each was released then, and logged). A test scenario that ends with any of the three non-zero leaked.
"""

from __future__ import annotations

from typing import Any

__all__ = ["held_references", "leaked_references", "live_objects", "snapshot", "reset_leaked"]

held_references = 0
"""References that client wrappers (``ComPtr``) hold right now. The wrappers rebind it: read it through the module
(``leaks.held_references``), not a copy made by ``from vtables.leaks import ...``."""
leaked_references = 0
"""Wrappers garbage-collected while still holding a reference (each was released then, and logged)."""
#: the live Python COM objects, ``id(obj) -> obj``: filled and emptied by ``vtables.object`` (under its lock), kept
#: here so that this module, which the client wrappers update, imports nothing above it
live: dict[int, Any] = {}


def live_objects() -> int:
    """How many Python-implemented COM objects have a COM count above zero."""
    return len(live)


def snapshot() -> dict[str, int]:
    """The three counts, as a dict a harness can compare before and after a scenario."""
    return {"live_objects": live_objects(), "held_references": held_references, "leaked_references": leaked_references}


def reset_leaked() -> int:
    """Zero the leaked counter (returns what it was); for harnesses that report then go on."""
    global leaked_references
    n, leaked_references = leaked_references, 0
    return n
