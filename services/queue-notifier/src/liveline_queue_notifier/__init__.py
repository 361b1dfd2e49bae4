"""liveline queue-notifier service: queue pushes before each chosen slot and re-offers after a missed one."""
