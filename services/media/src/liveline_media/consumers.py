"""Kafka entrypoints of the media service: decode the contract, call one handler.

It will consume OrderRedeemed (who may upload a video for which order). Each consumer is
registered with `liveline_shared.consumer.register_consumer` from bootstrap.py, and its handler
here calls one function of `handlers` (see docs/architecture.md, "How a service consumes an event").
"""
