"""The queue-notifier service's routes, one module per resource."""
