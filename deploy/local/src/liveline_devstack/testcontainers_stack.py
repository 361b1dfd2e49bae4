"""The same three servers from container images, for a developer laptop with Docker.

Used only when LIVELINE_TESTCONTAINERS=1. Not exercised on liveline's CI machines, which have no
Docker engine; there the servers run as processes (stack.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .stack import Endpoints

KAFKA_IMAGE = "apache/kafka:4.1.1"
FERRETDB_IMAGE = "ghcr.io/ferretdb/ferretdb:1.24.2"
MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z"


@contextlib.contextmanager
def containers_stack() -> Iterator[Endpoints]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.kafka import KafkaContainer
    from testcontainers.minio import MinioContainer

    ferretdb = (
        DockerContainer(FERRETDB_IMAGE)
        .with_env("FERRETDB_HANDLER", "sqlite")
        .with_env("FERRETDB_TELEMETRY", "disable")
        .with_exposed_ports(27017)
    )
    with KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka, MinioContainer(MINIO_IMAGE) as minio, ferretdb:
        wait_for_logs(ferretdb, "Listening on", timeout=60)
        minio_config = minio.get_config()
        yield Endpoints(
            kafka_bootstrap_servers=kafka.get_bootstrap_server(),
            mongo_url=f"mongodb://{ferretdb.get_container_host_ip()}:{ferretdb.get_exposed_port(27017)}/",
            minio_endpoint=minio_config["endpoint"],
            minio_access_key=minio_config["access_key"],
            minio_secret_key=minio_config["secret_key"],
        )
