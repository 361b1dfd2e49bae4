"""The real servers liveline runs on one machine: Kafka (KRaft), FerretDB (SQLite) and MinIO.

Each is installed into the cache by deploy/local/install.sh and started here on loopback, on
ports chosen by the caller (free ones in tests), with a bounded memory footprint, its data and
its log under one state folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .processes import ManagedProcess, StartError, free_port, port_open, wait_until

DEPLOY_LOCAL = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("LIVELINE_CACHE", Path.home() / ".cache" / "liveline"))


def versions() -> dict[str, str]:
    pinned: dict[str, str] = {}
    for line in (DEPLOY_LOCAL / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pinned[name] = value
    return pinned


def _installed(path: Path) -> Path:
    if not path.exists():
        raise StartError(f"{path} is missing: run deploy/local/install.sh (make install) first")
    return path


class KafkaServer:
    """Apache Kafka, one process acting as broker and controller (KRaft, no ZooKeeper)."""

    heap = "-Xms128m -Xmx512m"

    def __init__(self, state_dir: Path, *, port: int | None = None, controller_port: int | None = None) -> None:
        self.state_dir = state_dir
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self.home = _installed(CACHE / f"kafka-{versions()['KAFKA_VERSION']}" / ".complete").parent
        self.data_dir = state_dir / "data"
        self.process: ManagedProcess | None = None
        self._log_start = 0

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _java(self) -> str:
        java = shutil.which("java")
        if not java:
            raise StartError("java is not installed: install a JDK 17 or newer")
        return java

    def _write_config(self) -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        properties = self.state_dir / "server.properties"
        properties.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={self.data_dir}",
                    "num.partitions=3",
                    # Topics are created explicitly by the services at start-up.
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    # Fewer internal partitions: a single node on two cores starts groups faster.
                    "offsets.topic.num.partitions=6",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "transaction.state.log.num.partitions=6",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "log.retention.hours=168",
                    "",
                ]
            )
        )
        log4j = self.state_dir / "log4j2.properties"
        log4j.write_text(
            "\n".join(
                [
                    "status = warn",
                    "appender.out.type = Console",
                    "appender.out.name = out",
                    "appender.out.layout.type = PatternLayout",
                    "appender.out.layout.pattern = [%d] %p %m (%c)%n",
                    "rootLogger.level = info",
                    "rootLogger.appenderRef.out.ref = out",
                    "logger.request.name = kafka.request.logger",
                    "logger.request.level = warn",
                    "",
                ]
            )
        )
        return properties

    def _format(self, properties: Path) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = "-"
        while cluster_id.startswith("-"):  # the storage tool would read a leading dash as an option
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        result = subprocess.run(
            [self._java(), "-Xmx256m", "-cp", f"{self.home}/lib/*", "kafka.tools.StorageTool",
             "format", "-t", cluster_id, "-c", str(properties), "--standalone"],
            capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0:
            raise StartError(f"kafka storage format failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        properties = self._write_config()
        self._format(properties)
        argv = [
            self._java(), *self.heap.split(), "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-XX:MaxMetaspaceSize=160m", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
            "-cp", f"{self.home}/lib/*", "kafka.Kafka", str(properties),
        ]
        self.process = ManagedProcess("kafka", argv, log_path=self.state_dir / "kafka.log")
        # The log is appended to across restarts: readiness looks only at this run's lines.
        self._log_start = self.process.log_path.stat().st_size if self.process.log_path.exists() else 0
        self.process.start()

    def wait_ready(self, timeout: float = 90.0) -> None:
        assert self.process is not None
        process = self.process

        def ready() -> bool:
            if not process.alive():
                raise StartError(f"kafka exited ({process.exit_code()}):\n{process.log_tail()}")
            if not port_open(self.port):
                return False
            with process.log_path.open("rb") as log:
                log.seek(self._log_start)
                return b"Kafka Server started" in log.read()

        wait_until(ready, timeout=timeout, what="kafka", interval=0.2)

    def stop(self) -> None:
        if self.process:
            self.process.stop(timeout=30)

    def kill(self) -> None:
        if self.process:
            self.process.kill()


class FerretDBServer:
    """FerretDB 1.x: a MongoDB-wire-protocol server storing its data in SQLite files."""

    def __init__(self, state_dir: Path, *, port: int | None = None) -> None:
        self.state_dir = state_dir
        self.port = port or free_port()
        patches = b"".join(p.read_bytes() for p in sorted((DEPLOY_LOCAL / "ferretdb").glob("*.patch")))
        patch_hash = hashlib.sha256(patches).hexdigest()[:8]
        self.binary = _installed(CACHE / "bin" / f"ferretdb-{versions()['FERRETDB_VERSION']}-{patch_hash}")
        self.process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> None:
        data = self.state_dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        argv = [
            # WAL with synchronous=NORMAL: a commit is written to the WAL but fsynced only at
            # checkpoints, as MongoDB's default journal is flushed every 100 ms rather than per write.
            # A crash of FerretDB (or of any service) loses nothing; a power cut can lose the last
            # commits. With the default (FULL) every write waited for its own fsync (5 ms on this
            # disk) behind FerretDB's write lock, which capped the database at ~200 writes/s.
            str(self.binary), "--handler=sqlite", f"--sqlite-url=file:{data}/?_pragma=synchronous(normal)",
            f"--state-dir={self.state_dir}", f"--listen-addr=127.0.0.1:{self.port}",
            f"--debug-addr=127.0.0.1:{free_port()}", "--telemetry=disable",
            "--log-level=warn", "--log-format=json",
        ]
        # GOGC=400: FerretDB allocates heavily per document it decodes, and its live heap is small
        # (~20 MiB), so at the default (100) it collected garbage every few milliseconds under
        # load: bench/backbone.py ran 15-20 % faster at 400; GOMEMLIMIT still bounds the heap.
        env = {**os.environ, "GOMEMLIMIT": "256MiB", "GOMAXPROCS": "2", "GOGC": "400"}
        self.process = ManagedProcess("ferretdb", argv, log_path=self.state_dir / "ferretdb.log", env=env)
        self.process.start()

    def wait_ready(self, timeout: float = 30.0) -> None:
        assert self.process is not None
        process = self.process

        def ready() -> bool:
            if not process.alive():
                raise StartError(f"ferretdb exited ({process.exit_code()}):\n{process.log_tail()}")
            return port_open(self.port)

        wait_until(ready, timeout=timeout, what="ferretdb")

    def stop(self) -> None:
        if self.process:
            self.process.stop()


@dataclass
class MinioCredentials:
    access_key: str = field(default_factory=lambda: "liveline-" + secrets.token_hex(4))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))


class MinioServer:
    """MinIO, an S3-compatible object store, with credentials made fresh for each state folder."""

    def __init__(self, state_dir: Path, *, port: int | None = None) -> None:
        self.state_dir = state_dir
        self.port = port or free_port()
        self.console_port = free_port()
        self.binary = _installed(CACHE / "bin" / f"minio-{versions()['MINIO_VERSION']}")
        self.credentials = self._load_or_make_credentials()
        self.process: ManagedProcess | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _load_or_make_credentials(self) -> MinioCredentials:
        # Kept beside the data (never in git): MinIO refuses a data folder with other root keys.
        path = self.state_dir / "credentials"
        if path.exists():
            access, secret = path.read_text().split()
            return MinioCredentials(access, secret)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        credentials = MinioCredentials()
        path.write_text(f"{credentials.access_key} {credentials.secret_key}\n")
        path.chmod(0o600)
        return credentials

    def start(self) -> None:
        data = self.state_dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        argv = [
            str(self.binary), "server", "--quiet", "--address", self.endpoint,
            "--console-address", f"127.0.0.1:{self.console_port}", str(data),
        ]
        env = {
            **os.environ,
            "MINIO_ROOT_USER": self.credentials.access_key,
            "MINIO_ROOT_PASSWORD": self.credentials.secret_key,
            "MINIO_BROWSER": "off",
            "MINIO_UPDATE": "off",
            "MINIO_CALLHOME_ENABLE": "off",
            "GOMEMLIMIT": "384MiB",
            "GOMAXPROCS": "2",
        }
        self.process = ManagedProcess("minio", argv, log_path=self.state_dir / "minio.log", env=env)
        self.process.start()

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        process = self.process
        import urllib.request

        def ready() -> bool:
            if not process.alive():
                raise StartError(f"minio exited ({process.exit_code()}):\n{process.log_tail()}")
            try:
                url = f"http://{self.endpoint}/minio/health/ready"
                with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
                    return response.status == 200
            except OSError:
                return False

        wait_until(ready, timeout=timeout, what="minio", interval=0.2)

    def stop(self) -> None:
        if self.process:
            self.process.stop()
