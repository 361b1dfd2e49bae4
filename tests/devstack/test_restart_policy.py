"""The supervisor's restart policy: back-off that doubles, a limit per window, and giving up."""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

from liveline_devstack.processes import ManagedProcess
from liveline_devstack.supervisor import RestartBudget, RestartPolicy, Supervisor, describe_exit


def test_back_off_doubles_up_to_its_cap_then_the_limit_gives_up():
    budget = RestartBudget(RestartPolicy(first_delay_s=1, max_delay_s=5, max_restarts=4, window_s=100))
    assert [budget.next_delay(now=t) for t in (0, 1, 2, 3)] == [1, 2, 4, 5]
    assert budget.next_delay(now=4) is None


def test_restarts_older_than_the_window_no_longer_count():
    budget = RestartBudget(RestartPolicy(first_delay_s=1, max_delay_s=30, max_restarts=2, window_s=60))
    assert budget.next_delay(now=0) == 1
    assert budget.next_delay(now=10) == 2
    assert budget.next_delay(now=59) is None
    # The first restart left the window at 60, the second at 70: the back-off starts over.
    assert budget.next_delay(now=61) == 2
    assert budget.next_delay(now=200) == 1
    assert budget.total == 4


def test_exits_are_described_by_signal_name_or_code():
    assert describe_exit(-9) == "was killed by SIGKILL"
    assert describe_exit(3) == "exited with code 3"


class Snippet:
    """A child running a Python snippet; ready as soon as it is started."""

    def __init__(self, name: str, code: str, log_dir: Path) -> None:
        self.process = ManagedProcess(name, [sys.executable, "-c", code], log_path=log_dir / f"{name}.log")

    def start(self) -> None:
        self.process.start()

    def wait_ready(self) -> None:
        pass

    def stop(self) -> None:
        self.process.stop(timeout=5)


def test_a_child_that_keeps_dying_makes_the_supervisor_give_up_and_name_it(tmp_path):
    crasher = Snippet("crasher", "print('out of cheese', flush=True); raise SystemExit(3)", tmp_path)
    steady = Snippet("steady", "import time; time.sleep(600)", tmp_path)
    out = io.StringIO()
    supervisor = Supervisor(
        RestartPolicy(first_delay_s=0.05, max_delay_s=0.2, max_restarts=3, window_s=60),
        out=out, status_path=tmp_path / "processes.json", tick_s=0.02,
    )
    stop = threading.Event()
    deadline = threading.Timer(60, stop.set)  # a supervisor that never gives up fails the test, not hangs it
    steady.start()
    crasher.start()
    try:
        steady_pid = steady.process.pid
        supervisor.add("steady", steady)
        supervisor.add("crasher", crasher)
        deadline.start()
        exit_code = supervisor.run(stop)
        status = supervisor.status()["children"]
        steady_alive = steady.process.alive()
    finally:
        deadline.cancel()
        steady.stop()
        crasher.stop()

    printed = out.getvalue()
    assert exit_code == 1, printed
    assert printed.count("crasher (pid") == 4 and printed.count("exited with code 3") == 4
    assert "    | out of cheese" in printed
    assert [f"restarting crasher in {delay} s" in printed for delay in ("0.05", "0.1", "0.2")] == [True] * 3
    assert "error: crasher exited again after 3 restarts within 60 s; not restarting it again. Stopping everything." in printed
    # The healthy child was left alone; stopping it is the caller's part.
    assert steady_alive and status["steady"] == {**status["steady"], "pid": steady_pid, "restarts": 0}
    assert status["crasher"]["state"] == "given-up" and status["crasher"]["restarts"] == 3
