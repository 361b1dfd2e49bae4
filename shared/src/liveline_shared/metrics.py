"""The Prometheus metrics of the event backbone, shared by every service (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter(
    "liveline_events_published_total", "Events published to Kafka (re-publications included)", ["topic"]
)
EVENTS_CONSUMED = Counter(
    "liveline_events_consumed_total", "Events a consumer applied (not counting duplicates)", ["topic", "consumer"]
)
EVENTS_DUPLICATE = Counter(
    "liveline_events_duplicate_total", "Redelivered events a consumer recognised and skipped", ["topic", "consumer"]
)
EVENTS_RETRIED = Counter(
    "liveline_events_retried_total", "Handler attempts that failed and were retried", ["topic", "consumer"]
)
EVENTS_DEAD_LETTERED = Counter(
    "liveline_events_dead_lettered_total", "Messages sent to a dead-letter topic", ["topic", "consumer"]
)
CONSUMER_LAG = Gauge(
    "liveline_consumer_lag_messages", "Messages behind the partition's end", ["topic", "partition", "consumer"]
)
OUTBOX_RELAY_LAG = Gauge(
    "liveline_outbox_relay_lag_seconds", "Age of the oldest event still waiting in an outbox", ["collection"]
)
OUTBOX_PUBLISH_DELAY = Histogram(
    "liveline_outbox_publish_delay_seconds",
    "From an event's write into its document to its acknowledgement by Kafka",
    ["topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# HTTP, counted by the service shell (http_metrics.py) for every service: the 5xx-rate alert.
HTTP_REQUESTS = Counter(
    "liveline_http_requests_total", "HTTP requests answered, by route template and status code", ["method", "route", "status"]
)
HTTP_REQUEST_DURATION = Histogram(
    "liveline_http_request_duration_seconds", "From a request's arrival to the end of its answer", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Observed by the queue-notifier when it creates a queue push: how long after the preset moment
# it was due (the push-lateness alert).
PUSH_LATENESS = Histogram(
    "liveline_push_lateness_seconds", "How long after its preset moment a queue push was created",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800),
)
# Observed by the media worker for every uploaded video it processes (the transcode alerts):
# outcome is edited, rejected (the video's fault) or failed (ours: ffmpeg crashed or timed out).
TRANSCODES = Counter("liveline_transcodes_total", "Uploaded videos processed, by outcome", ["outcome"])
TRANSCODE_DURATION = Histogram(
    "liveline_transcode_duration_seconds", "How long ffmpeg took to edit one uploaded video",
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300),
)
