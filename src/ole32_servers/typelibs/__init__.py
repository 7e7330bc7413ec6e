"""The modules :func:`ole32_servers.tlbimport.module_for` generates: their directory
(:func:`ole32_servers.tlbimport.cache_directory`) joins this package's ``__path__`` on first use, so a generated
module is ``ole32_servers.typelibs.<LibraryName>`` and the modules it imports are its siblings."""

__all__ = []  # its modules are generated: none is a name of the package itself
