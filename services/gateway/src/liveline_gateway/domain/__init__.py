"""The gateway's pure rules: accounts, logins, passwords and roles. No I/O here."""
