"""The slots service's pure logic: models, rules and errors of usage-time slot offers and the slots buyers choose. No I/O imports."""
