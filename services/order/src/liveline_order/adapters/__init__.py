"""The order service's adapters: MongoDB repositories and the payment provider."""
