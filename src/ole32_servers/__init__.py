"""Class objects, registration and servers, above the object model."""
