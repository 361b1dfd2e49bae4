"""Watches what `make run` started, as a process manager does: a child that exits is reaped,
reported with the end of its log and started again on the same port and data, after a back-off;
one that keeps dying makes the supervisor give up so that everything is stopped.

Everything happens on the calling (main) thread except the readiness waits after a restart,
which run on worker threads: a child is always spawned by the main thread, because
PR_SET_PDEATHSIG (see processes.py) fires when the *thread* that spawned a child ends, not the
process. Only an exit counts as a crash: a restarted child that is alive but not ready within
its deadline is reported and left running (a service waiting for Kafka is ready once Kafka is).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from liveline_shared.backoff import Backoff

from .processes import ManagedProcess


@dataclass(frozen=True)
class RestartPolicy:
    """How soon a child is started again, and how many restarts are too many.

    The n-th restart within `window_s` waits `first_delay_s * 2**(n-1)` (at most `max_delay_s`);
    an exit that would need more than `max_restarts` restarts within `window_s` is not restarted.
    A child that stays up longer than the window is back to the first delay.
    """

    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_restarts: int = 5
    window_s: float = 120.0

    @property
    def backoff(self) -> Backoff:
        return Backoff(first_s=self.first_delay_s, max_s=self.max_delay_s)


class RestartBudget:
    """The restarts one child had within its policy's window."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self._restarts: deque[float] = deque()
        self.total = 0

    def recent(self, now: float) -> int:
        while self._restarts and self._restarts[0] <= now - self.policy.window_s:
            self._restarts.popleft()
        return len(self._restarts)

    def next_delay(self, now: float) -> float | None:
        """The back-off before the restart that an exit at `now` calls for, or None: give up."""
        recent = self.recent(now)
        if recent >= self.policy.max_restarts:
            return None
        self._restarts.append(now)
        self.total += 1
        return self.policy.backoff.delay(recent)


class Child(Protocol):
    """A server or a service: started, waited for, stopped; `process` is its current process."""

    process: ManagedProcess | None

    def start(self) -> None: ...

    def wait_ready(self) -> None: ...

    def stop(self) -> None: ...


def describe_exit(code: int | None) -> str:
    if code is None:
        return "exited"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class _Supervised:
    name: str
    child: Child
    port: int | None
    budget: RestartBudget
    state: str = "running"  # running, backing-off, starting, given-up
    restart_at: float = 0.0
    readiness: Future[None] | None = None

    @property
    def process(self) -> ManagedProcess:
        assert self.child.process is not None, f"{self.name} was never started"
        return self.child.process


class Supervisor:
    """Keeps the children it is given running until asked to stop or until one dies too often.

    `run(stop)` returns 0 when `stop` is set and 1 after giving up; it never stops the children
    itself, so the caller stops them in its own order (services first, then servers) and no
    exit seen during that stop is taken for a crash.
    """

    def __init__(
        self,
        policy: RestartPolicy = RestartPolicy(),
        *,
        out: TextIO | None = None,
        status_path: Path | None = None,
        tick_s: float = 0.25,
        log_lines: int = 12,
    ) -> None:
        self.policy = policy
        self.out = out or sys.stdout
        self.status_path = status_path
        self.tick_s = tick_s
        self.log_lines = log_lines
        self._children: dict[str, _Supervised] = {}
        self._readiness_pool: ThreadPoolExecutor | None = None

    def add(self, name: str, child: Child, *, port: int | None = None) -> None:
        """Supervise `child`, which is already started and ready."""
        self._children[name] = _Supervised(name, child, port, RestartBudget(self.policy))

    def run(self, stop: threading.Event) -> int:
        self._readiness_pool = ThreadPoolExecutor(max_workers=len(self._children) or 1,
                                                  thread_name_prefix="readiness")
        self._write_status()
        try:
            while not stop.wait(self.tick_s):
                for supervised in self._children.values():
                    if not self._step(supervised):
                        return 1
            return 0
        finally:
            # A readiness wait still running ends by itself once the caller stops its process.
            self._readiness_pool.shutdown(wait=False, cancel_futures=True)

    def _step(self, supervised: _Supervised) -> bool:
        """Moves one child on; False when it died once too often."""
        now = time.monotonic()
        if supervised.state == "running" and not supervised.process.alive():
            return self._exited(supervised, now)
        if supervised.state == "backing-off" and now >= supervised.restart_at:
            self._restart(supervised)
        elif supervised.state == "starting" and supervised.readiness is not None and supervised.readiness.done():
            self._started(supervised, now)
        return True

    def _exited(self, supervised: _Supervised, now: float) -> bool:
        process = supervised.process
        lived = f" after {now - process.started_at:.0f} s" if process.started_at is not None else ""
        tail = process.log_tail(self.log_lines).splitlines() or ["(the log is empty)"]
        self._say(
            f"{supervised.name} (pid {process.pid}) {describe_exit(process.exit_code())}{lived}; "
            f"last lines of {process.log_path}:",
            details=tail,
        )
        delay = supervised.budget.next_delay(now)
        if delay is None:
            self._say(
                f"error: {supervised.name} exited again after {self.policy.max_restarts} restarts within "
                f"{self.policy.window_s:.0f} s; not restarting it again. Stopping everything.",
                error=True,
            )
            supervised.state = "given-up"
            self._write_status()
            return False
        self._say(
            f"restarting {supervised.name} in {delay:g} s (restart {supervised.budget.recent(now)} of at most "
            f"{self.policy.max_restarts} within {self.policy.window_s:.0f} s)"
        )
        supervised.state = "backing-off"
        supervised.restart_at = now + delay
        self._write_status()
        return True

    def _restart(self, supervised: _Supervised) -> None:
        assert self._readiness_pool is not None
        try:
            supervised.child.start()
        except Exception as error:  # noqa: BLE001 - reported, then handled as an exit
            self._say(f"{supervised.name} could not be started: {error}", error=True)
            supervised.state = "running"  # the next step sees it dead and backs off again
            return
        supervised.state = "starting"
        supervised.readiness = self._readiness_pool.submit(supervised.child.wait_ready)
        self._write_status()

    def _started(self, supervised: _Supervised, now: float) -> None:
        assert supervised.readiness is not None
        error = supervised.readiness.exception()
        supervised.readiness = None
        supervised.state = "running"
        process = supervised.process
        on_port = f", port {supervised.port}" if supervised.port else ""
        if error is None:
            took = f", ready after {now - process.started_at:.1f} s" if process.started_at is not None else ""
            self._say(f"{supervised.name} is back (pid {process.pid}{on_port}){took}")
        elif process.alive():
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            self._say(f"warning: {supervised.name} (pid {process.pid}{on_port}) is running but not ready: "
                      f"{first_line}; see {process.log_path}", error=True)
        # Dead again: the next step reports the exit and backs off.
        self._write_status()

    def _say(self, message: str, *, details: Sequence[str] = (), error: bool = False) -> None:
        stream = sys.stderr if error and self.out is sys.stdout else self.out
        lines = [f"[{time.strftime('%H:%M:%S')} supervisor] {message}", *(f"    | {line}" for line in details)]
        print("\n".join(lines), file=stream, flush=True)

    def status(self) -> dict[str, object]:
        return {
            "supervisor_pid": os.getpid(),
            "children": {
                name: {
                    "pid": supervised.child.process.pid if supervised.child.process else None,
                    "port": supervised.port,
                    "state": supervised.state,
                    "restarts": supervised.budget.total,
                    "log": str(supervised.child.process.log_path) if supervised.child.process else None,
                }
                for name, supervised in self._children.items()
            },
        }

    def _write_status(self) -> None:
        """What runs where, for people and tests: `processes.json` in the state folder."""
        if self.status_path is None:
            return
        partial = self.status_path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.status(), indent=2))
        partial.replace(self.status_path)

    def remove_status(self) -> None:
        if self.status_path is not None:
            self.status_path.unlink(missing_ok=True)
