"""Class objects, registration and servers, above the object model.

The API is the modules (nothing is imported here: they load the COM runtime). ``classobjects``: class objects
registered in this process; ``registration``: a LocalServer32 class in the registry; ``localserver``: the
LocalServer32 process; ``inproc``: InprocServer32 for Python classes; ``typelib``: type libraries from
declarations; ``tlbimport``: declarations from type libraries (``typelibs``: the package its cached modules join);
``services``: COM+'s object pooling, JIT activation, synchronization and construction strings for Python classes, by
declaration.
"""

__all__ = ["classobjects", "registration", "localserver", "inproc", "typelib", "tlbimport", "typelibs", "services"]
