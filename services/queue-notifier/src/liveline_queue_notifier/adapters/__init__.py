"""The queue-notifier service's adapters: its Mongo repositories, publishers and other clients of the outside."""
