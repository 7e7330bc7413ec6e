"""The Enterprise Services comparison (bench/README.md): IBenchTarget, its Python implementation and servers,
and the runner behind `make bench`."""
