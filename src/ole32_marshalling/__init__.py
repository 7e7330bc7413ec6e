"""Apartments, marshalling tools and IMarshal implemented in Python, above the object model.

The API is the modules (nothing is imported here: they load the COM runtime); docs/marshalling.md is the map.
"""

__all__ = ["apartments", "sta", "git", "byvalue", "context", "tracer", "capture", "trace_script"]
