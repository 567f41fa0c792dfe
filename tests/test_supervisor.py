"""`make run` keeps serving when one of its processes dies: the dead one is restarted.

First the supervisor's backoff with real short-lived processes, then the real script: its
grader worker killed with SIGKILL, the console saying what died and what was restarted,
the web answering throughout, and Ctrl-C still stopping everything in order.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.test_run_platform_shutdown import (
    SHUTDOWN_LIMIT_SECONDS,
    descendants,
    grader_workers,
    start_platform,
    still_running,
    stop_platform,
    wait_for_graders,
    wait_for_page,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from supervisor import FIRST_BACKOFF_SECONDS, Supervisor  # noqa: E402

RESTART_LIMIT_SECONDS = 30  # a bound on a hang: the first backoff is 1 s


def test_a_ctrl_c_during_a_start_comes_after_the_process_is_recorded():
    # Ctrl-C at the moment a process is started (a newcomer stopping `make run` as its
    # first page answers): the process must be known, so that the stop reaches it.
    supervisor = Supervisor(console=io.StringIO())
    started: list[subprocess.Popen] = []

    def start_then_ctrl_c() -> subprocess.Popen:
        started.append(subprocess.Popen(["sleep", "60"], start_new_session=True))
        signal.raise_signal(signal.SIGINT)  # between the fork and the supervisor's record
        return started[0]

    try:
        try:
            supervisor.start("sleeper", start_then_ctrl_c)
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("the Ctrl-C was lost")
        assert supervisor.processes() == {"sleeper": started[0]}
    finally:
        for process in started:
            process.kill()
            process.wait()


def test_a_process_that_keeps_dying_is_restarted_ever_later():
    console = io.StringIO()
    supervisor = Supervisor(console=console)
    supervisor.start("worker", lambda: subprocess.Popen(["true"], start_new_session=True))
    supervisor.processes()["worker"].wait()

    now = time.monotonic()
    supervisor.check(now)  # noticed dead: restart in 1 s
    supervisor.check(now + FIRST_BACKOFF_SECONDS)  # restarted
    supervisor.processes()["worker"].wait()
    supervisor.check(now + FIRST_BACKOFF_SECONDS + 0.1)  # dead again at once: 2 s this time

    assert (
        console.getvalue().splitlines()[0] == "run: the worker died (exit 0): restarting it in 1 s"
    )
    assert console.getvalue().splitlines()[1].startswith("run: restarted the worker (pid ")
    assert (
        console.getvalue().splitlines()[2] == "run: the worker died (exit 0): restarting it in 2 s"
    )
    assert supervisor.supervised["worker"].restarts == 1


def grader_worker(platform_pid: int) -> int | None:
    """The Node grader's worker (the Python one runs beside it, untouched here)."""
    return grader_workers(platform_pid).get("grader")


def test_make_run_restarts_a_killed_grader_and_keeps_serving(
    docker_client, sandbox_image, python_sandbox_image, tmp_path
):
    platform, port = start_platform(tmp_path, sandbox_image, python_sandbox_image)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(platform.stdout), daemon=True)
    reader.start()
    try:
        page = f"http://127.0.0.1:{port}/"
        wait_for_page(page, platform)
        wait_for_graders(platform)
        killed = grader_worker(platform.pid)
        assert killed is not None, "no grader worker runs"
        python_grader = grader_workers(platform.pid).get("python-grader")
        os.kill(killed, signal.SIGKILL)

        deadline = time.monotonic() + RESTART_LIMIT_SECONDS
        restarted = None
        while time.monotonic() < deadline and restarted in (None, killed):
            time.sleep(0.5)
            restarted = grader_worker(platform.pid)
        assert restarted not in (None, killed), "the grader was not restarted"
        with urllib.request.urlopen(page, timeout=10) as response:
            assert response.status == 200  # the web kept serving
        assert grader_workers(platform.pid).get("python-grader") == python_grader  # untouched
        children = descendants(platform.pid)
        os.killpg(platform.pid, signal.SIGINT)  # Ctrl-C
        platform.wait(timeout=SHUTDOWN_LIMIT_SECONDS)
    finally:
        stop_platform(platform)
        reader.join(timeout=10)
        platform.stdout.close()

    output = "".join(lines)
    assert platform.returncode == 0, output
    assert "run: the grader died (killed by signal 9): restarting it in 1 s\n" in output
    assert f"run: restarted the grader (pid {restarted})\n" in output, output
    assert "run: stopping the grader, the python grader and the web-worker\n" in output, output
    assert still_running(children) == [], output
