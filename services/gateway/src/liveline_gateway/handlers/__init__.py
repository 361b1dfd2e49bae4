"""The gateway's use cases, one async function each: `accounts` for what the gateway owns
(accounts and sessions), `relay` for what it hands to the order service with the caller."""
