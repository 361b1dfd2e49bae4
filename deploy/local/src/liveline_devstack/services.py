"""liveline's five services as child processes of this machine, pointed at a running stack."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .processes import ManagedProcess, StartError, free_port, wait_until
from .stack import Endpoints, env_prefix

SERVICES = ("order", "slots", "queue-notifier", "media", "gateway")


def module(service: str) -> str:
    return "liveline_" + service.replace("-", "_")


def get_json(url: str, timeout: float = 2.0) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def new_internal_token() -> str:
    """The token the gateway shows the internal services; one per run, never a fixed default."""
    return secrets.token_urlsafe(32)


VAPID_KEY_FILE = "vapid-private-key.pem"
VAPID_SUBJECT = "mailto:webpush@liveline.dev"


def web_push_env(state_dir: Path) -> dict[str, str]:
    """The queue-notifier's VAPID key (Web Push), a P-256 key pair made once per state folder and
    kept there (never in git): browsers subscribed with its public key stay valid across runs."""
    path = state_dir / VAPID_KEY_FILE
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
                file.write(pem)
        except FileExistsError:
            pass  # made meanwhile by another process of this state folder
    prefix = env_prefix("queue-notifier")
    return {f"{prefix}VAPID_PRIVATE_KEY": path.read_text(), f"{prefix}VAPID_SUBJECT": VAPID_SUBJECT}


class ServiceProcess:
    def __init__(self, service: str, endpoints: Endpoints, log_dir: Path, *, port: int | None = None,
                 environment: str = "development", internal_token: str | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        self.service = service
        self.port = port or free_port()
        self.internal_token = internal_token or new_internal_token()
        prefix = env_prefix(service)
        env = {
            **os.environ,
            **endpoints.service_env(service),
            f"{prefix}HTTP_PORT": str(self.port),
            f"{prefix}ENVIRONMENT": environment,
            f"{prefix}INTERNAL_TOKEN": self.internal_token,
            **(extra_env or {}),
        }
        self.env = env
        self.process = ManagedProcess(
            service, [sys.executable, "-m", module(service)], log_path=log_dir / f"{service}.log", env=env
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process.start()

    def readiness(self) -> tuple[int, dict]:
        try:
            return get_json(f"{self.url}/readyz")
        except OSError as error:
            return 0, {"error": str(error)}

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            if not self.process.alive():
                raise StartError(f"{self.service} exited ({self.process.exit_code()}):\n{self.process.log_tail()}")
            return self.readiness()[0] == 200

        try:
            wait_until(ready, timeout=timeout, what=self.service, interval=0.2)
        except StartError as error:
            raise StartError(f"{error}; last /readyz: {self.readiness()}\n{self.process.log_tail()}") from None

    def stop(self) -> None:
        self.process.stop(timeout=15)

    @contextlib.contextmanager
    def running(self, ready_timeout: float = 90.0) -> Iterator[ServiceProcess]:
        """Started and ready for the `with` block (a test's own service), stopped after it."""
        self.start()
        try:
            self.wait_ready(timeout=ready_timeout)
            yield self
        finally:
            self.stop()


def start_services(endpoints: Endpoints, log_dir: Path, *, ports: dict[str, int] | None = None,
                   environment: str = "development", internal_token: str | None = None,
                   only: tuple[str, ...] = SERVICES, state_dir: Path | None = None,
                   settings: dict[str, dict[str, str]] | None = None) -> dict[str, ServiceProcess]:
    """Starts the services (all five unless `only` names some) and waits until each is ready.

    They all get the same internal token (a new one unless given), the gateway the addresses
    of the services it calls, and each the `settings` (environment variables) given for it by
    name. The gateway does not need them up to start: it answers 503 upstream-unavailable for
    their routes until they are. The queue-notifier gets the VAPID key kept in `state_dir`
    (default: the folder above `log_dir`).
    """
    token = internal_token or new_internal_token()
    ports = {name: (ports or {}).get(name) or free_port() for name in only}
    # Who calls whom: the gateway every service, the slots and media services the order service (merchants).
    upstream = {"order": "ORDER_URL", "slots": "SLOTS_URL", "queue-notifier": "QUEUE_NOTIFIER_URL", "media": "MEDIA_URL"}
    callers = {"gateway": upstream, "slots": {"order": "ORDER_URL"}, "queue-notifier": {"order": "ORDER_URL"}, "media": {"order": "ORDER_URL"}}
    env_of = {
        caller: {
            f"{env_prefix(caller)}{setting}": f"http://127.0.0.1:{ports[name]}"
            for name, setting in calls.items() if name in ports
        }
        for caller, calls in callers.items()
    }
    if "queue-notifier" in ports:
        env_of["queue-notifier"] |= web_push_env(state_dir or log_dir.parent)
    processes = {
        name: ServiceProcess(
            name, endpoints, log_dir, port=ports[name], environment=environment, internal_token=token,
            extra_env={**env_of.get(name, {}), **(settings or {}).get(name, {})},
        )
        for name in only
    }
    for process in processes.values():
        process.start()
    try:
        with ThreadPoolExecutor(max_workers=len(processes)) as pool:
            for future in [pool.submit(p.wait_ready) for p in processes.values()]:
                future.result()
    except BaseException:
        stop_services(processes)
        raise
    return processes


def stop_services(processes: dict[str, ServiceProcess]) -> None:
    with ThreadPoolExecutor(max_workers=len(processes) or 1) as pool:
        list(pool.map(lambda p: p.stop(), processes.values()))
