"""Kafka entrypoints of the slots service: decode the contract, call one handler.

It will consume OrderPlaced (to offer a slot list) and, later, the notifier's SlotMissed (to offer one again). Each consumer is
registered with `liveline_shared.consumer.register_consumer` from bootstrap.py, and its handler
here calls one function of `handlers` (see docs/architecture.md, "How a service consumes an event").
"""
