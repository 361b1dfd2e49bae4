"""structlog, configured once per process: JSON lines tagged with the service's name.

The standard library's loggers (uvicorn, aiokafka, pymongo) go through the same renderer, so a
service writes one format only.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(service: str, *, level: str = "info", json: bool = True) -> None:
    shared_processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )

    def add_service(_: object, __: str, event: dict) -> dict:
        event.setdefault("service", service)
        return event

    structlog.configure(
        # A line below the level is dropped before any processor runs (the relay's per-event
        # debug lines cost nothing at info).
        processors=[
            structlog.stdlib.filter_by_level, *shared_processors, add_service,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared_processors, add_service],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    # Nothing in a line says where in the source it was written, or which thread or process
    # wrote it: the standard library need not find out (the logging HOWTO's "Optimization").
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request it sends at info: the gateway would write a line per relayed call.
    for noisy in ("aiokafka", "pymongo", "urllib3", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
