"""Kafka entrypoints of the queue-notifier service: decode the contract, call one handler.

It will consume OrderPlaced, OrderRedeemed and OrderRefunded, SlotChosen and QueueTick. Each consumer is
registered with `liveline_shared.consumer.register_consumer` from bootstrap.py, and its handler
here calls one function of `handlers` (see docs/architecture.md, "How a service consumes an event").
"""
