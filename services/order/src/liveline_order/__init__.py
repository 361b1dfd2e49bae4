"""liveline order service: deals, orders, vouchers and redemption."""
