"""The media service's routes, one module per resource."""
