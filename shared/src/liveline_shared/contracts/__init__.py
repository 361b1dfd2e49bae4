"""HTTP contracts between liveline's services: the request and response models of each internal
API, kept in one place so the gateway can reuse them to describe its public API."""
