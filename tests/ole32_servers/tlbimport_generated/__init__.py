"""Modules ole32_servers.tlbimport wrote for type libraries Wine ships (tools/tlbimport-fixtures regenerates them)."""
