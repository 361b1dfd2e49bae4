"""The order service's routes, one module per resource."""
