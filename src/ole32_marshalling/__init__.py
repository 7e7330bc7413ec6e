"""Apartments, marshalling tools and IMarshal implemented in Python, above the object model."""
