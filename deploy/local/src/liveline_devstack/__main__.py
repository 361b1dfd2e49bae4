"""`python -m liveline_devstack run`: the whole platform on this machine (what `make run` does).

Starts Kafka, FerretDB and MinIO, then the five services, seeds the demo data (demo.py), prints
where they answer and the demo logins, and watches them (supervisor.py): one that exits is
started again on its port and data. Ctrl-C (or SIGTERM) stops the services, then the servers,
leaving nothing running; so does a child that keeps dying, with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

import httpx

from .demo import SeedError, describe, seed
from .processes import StartError
from .services import start_services, stop_services
from .stack import LocalStack
from .supervisor import Supervisor

REPO = Path(__file__).resolve().parents[4]
STATUS_FILE = "processes.json"


def internal_token(state_dir: Path) -> str:
    """The token the services share, made once per state folder (never in git) and kept there."""
    path = state_dir / "internal-token"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def run(state_dir: Path, gateway_port: int) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    stack = LocalStack(state_dir)
    print(f"starting Kafka, FerretDB and MinIO (state and logs in {state_dir}) ...", flush=True)
    try:
        endpoints = stack.start()
    except StartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"servers ready in {stack.started_in:.1f} s; starting the services ...", flush=True)
    try:
        services = start_services(
            endpoints, state_dir / "logs", ports={"gateway": gateway_port}, internal_token=internal_token(state_dir),
            state_dir=state_dir,
        )
    except StartError as error:
        print(f"error: {error}", file=sys.stderr)
        stack.stop()
        return 1
    try:
        demo = seed(services["gateway"].url, services["gateway"].env, state_dir)
    except (SeedError, OSError, httpx.HTTPError) as error:
        print(f"error: seeding the demo data failed: {error}", file=sys.stderr)
        stop_services(services)
        stack.stop()
        return 1

    print("\nliveline is running:")
    for name, process in services.items():
        print(f"  {name:<15} {process.url}   (log: {process.process.log_path})")
    print(f"  kafka           {endpoints.kafka_bootstrap_servers}")
    print(f"  mongo (wire)    {endpoints.mongo_url}")
    print(f"  minio (S3)      http://{endpoints.minio_endpoint}")
    print(f"\nGateway: {services['gateway'].url}   (web client: {services['gateway'].url}/, "
          f"API docs: {services['gateway'].url}/docs)")
    print(describe(demo))

    supervisor = Supervisor(status_path=state_dir / STATUS_FILE)
    for name, server in stack.servers().items():
        supervisor.add(name, server, port=server.port)
    for name, service in services.items():
        supervisor.add(name, service, port=service.port)
    policy = supervisor.policy
    print(f"Watching them: one that exits is restarted on its port (back-off from {policy.first_delay_s:g} s; "
          f"after {policy.max_restarts} restarts within {policy.window_s:.0f} s everything stops). "
          f"Pids in {state_dir / STATUS_FILE}.")
    print("Press Ctrl-C to stop everything.", flush=True)

    try:
        exit_code = supervisor.run(stop)
    finally:
        print("\nstopping ...", flush=True)
        stop_services(services)
        stack.stop()
        supervisor.remove_status()
    print("stopped.", flush=True)
    return exit_code


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m liveline_devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start the servers and the five services until Ctrl-C")
    run_parser.add_argument("--state-dir", type=Path, default=REPO / ".liveline" / "run")
    run_parser.add_argument("--gateway-port", type=int, default=int(os.environ.get("LIVELINE_GATEWAY_HTTP_PORT", "8080")))
    args = parser.parse_args()
    if args.command == "run":
        return run(args.state_dir, args.gateway_port)
    return 2


if __name__ == "__main__":
    sys.exit(main())
