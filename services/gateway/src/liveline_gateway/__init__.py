"""liveline gateway service: the public HTTP API for mobile and web clients; the only way in."""
