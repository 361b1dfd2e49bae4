"""The order service's pure logic: merchants, deals, orders and vouchers. No I/O here."""
