"""What every benchmark shares: real servers started for the run, and honest figures."""

from __future__ import annotations

import contextlib
import statistics
import tempfile
from collections.abc import Iterator
from pathlib import Path

from liveline_devstack.stack import Endpoints, LocalStack


@contextlib.contextmanager
def servers() -> Iterator[Endpoints]:
    """Kafka, FerretDB and MinIO on free ports in a scratch folder, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="liveline-bench-") as scratch:
        stack = LocalStack(Path(scratch))
        endpoints = stack.start()
        try:
            yield endpoints
        finally:
            stack.stop()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values)
