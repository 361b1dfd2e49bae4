"""liveline slots service: usage-time slot lists and the slots a buyer chose."""
