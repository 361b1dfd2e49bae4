"""The three servers together, started in parallel, and the settings that point services at them."""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .processes import free_port
from .servers import FerretDBServer, KafkaServer, MinioServer


def env_prefix(service: str) -> str:
    """The prefix of a service's settings: LIVELINE_QUEUE_NOTIFIER_ for queue-notifier."""
    return f"LIVELINE_{service.upper().replace('-', '_')}_"


@dataclass(frozen=True)
class Endpoints:
    """Where the servers answer; the same shape whether we started them or testcontainers did."""

    kafka_bootstrap_servers: str
    mongo_url: str
    minio_endpoint: str
    minio_access_key: str
    minio_secret_key: str

    def service_env(self, service: str) -> dict[str, str]:
        """The environment of one service process (`service` as in its env prefix, e.g. ORDER)."""
        prefix = env_prefix(service)
        env = {
            f"{prefix}KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            f"{prefix}MONGO_URL": self.mongo_url,
        }
        if service == "media":
            env |= {
                f"{prefix}MINIO_ENDPOINT": self.minio_endpoint,
                f"{prefix}MINIO_ACCESS_KEY": self.minio_access_key,
                f"{prefix}MINIO_SECRET_KEY": self.minio_secret_key,
            }
        return env


class LocalStack:
    """Kafka, FerretDB and MinIO as child processes, all state under `state_dir`.

    `LIVELINE_MONGO_URL`, when set, points at an existing MongoDB-wire server (a real MongoDB,
    say) and FerretDB is not started.
    """

    def __init__(self, state_dir: Path, *, fresh: bool = False) -> None:
        if fresh and state_dir.exists():
            shutil.rmtree(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir
        self.external_mongo_url = os.environ.get("LIVELINE_MONGO_URL")
        ports = self._remembered_ports()
        self.kafka = KafkaServer(state_dir / "kafka", port=ports["kafka"], controller_port=ports["kafka_controller"])
        self.ferretdb = None if self.external_mongo_url else FerretDBServer(state_dir / "ferretdb", port=ports["ferretdb"])
        self.minio = MinioServer(state_dir / "minio", port=ports["minio"])
        self.started_in: float | None = None

    def _remembered_ports(self) -> dict[str, int]:
        """Free ports picked on the first start of a state folder and kept with its data.

        Kafka's storage records its controller's address, so a folder reused by `make run`
        must come back on the same ports; a fresh test folder gets new free ones.
        """
        path = self.state_dir / "ports.json"
        if path.exists():
            return json.loads(path.read_text())
        ports = {name: free_port() for name in ("kafka", "kafka_controller", "ferretdb", "minio")}
        path.write_text(json.dumps(ports))
        return ports

    def _servers(self) -> list[KafkaServer | FerretDBServer | MinioServer]:
        return list(self.servers().values())

    def servers(self) -> dict[str, KafkaServer | FerretDBServer | MinioServer]:
        """The servers this stack runs, by name (no FerretDB with LIVELINE_MONGO_URL)."""
        named = {"kafka": self.kafka, "ferretdb": self.ferretdb, "minio": self.minio}
        return {name: server for name, server in named.items() if server is not None}

    def start(self) -> Endpoints:
        began = time.monotonic()
        for server in self._servers():
            server.start()
        try:
            with ThreadPoolExecutor(max_workers=3) as pool:
                for future in [pool.submit(server.wait_ready) for server in self._servers()]:
                    future.result()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self.endpoints

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(
            kafka_bootstrap_servers=self.kafka.bootstrap_servers,
            mongo_url=self.external_mongo_url or (self.ferretdb.url if self.ferretdb else ""),
            minio_endpoint=self.minio.endpoint,
            minio_access_key=self.minio.credentials.access_key,
            minio_secret_key=self.minio.credentials.secret_key,
        )

    def stop(self) -> None:
        for server in reversed(self._servers()):
            server.stop()
