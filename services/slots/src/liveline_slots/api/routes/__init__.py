"""The slots service's routes, one module per resource."""
