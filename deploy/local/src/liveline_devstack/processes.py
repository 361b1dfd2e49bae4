"""A child process with its own log file, its own process group and a clean stop."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class StartError(RuntimeError):
    """A server or service did not come up before its deadline."""


def free_port() -> int:
    """A TCP port nobody listens on right now, so a stray server cannot answer for us."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise StartError(f"{what} not ready after {timeout:.0f} s")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the process that started it dies.

    So a test run or `make run` killed outright (SIGKILL, a CI time-out) leaves no server behind
    holding its ports. Linux only; elsewhere the clean stop below still applies.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


_PR_SET_PDEATHSIG = 1


class ManagedProcess:
    """Runs one command in its own process group, logging stdout and stderr to `log_path`."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None  # time.monotonic() of the last start

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self._popen = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
            self.started_at = time.monotonic()
        finally:
            log.close()

    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def exit_code(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def log_tail(self, lines: int = 30, max_bytes: int = 64 * 1024) -> str:
        """The last `lines` lines of the log, read from its last `max_bytes` only (logs grow for days)."""
        try:
            with self.log_path.open("rb") as log:
                size = log.seek(0, os.SEEK_END)
                log.seek(max(0, size - max_bytes))
                tail = log.read().decode(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        if size > max_bytes and tail:
            tail = tail[1:]  # the first line read is most likely cut
        return "\n".join(tail[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the whole group, then SIGKILL whatever is left after `timeout` seconds."""
        if not self._popen:
            return
        if self._popen.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self._popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._popen.wait(timeout=10)
        # Children that outlived the leader (none expected) go with the group.
        self._signal(signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown hooks run."""
        if self._popen and self._popen.poll() is None:
            self._signal(signal.SIGKILL)
            self._popen.wait(timeout=10)

    def _signal(self, sig: int) -> None:
        assert self._popen is not None
        try:
            os.killpg(self._popen.pid, sig)
        except ProcessLookupError:
            pass
