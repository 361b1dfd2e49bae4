"""The gateway's ties to the outside: its database, password hashing, tokens, other services."""
