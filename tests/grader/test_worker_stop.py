"""A grader asked to stop (SIGTERM) stops, wherever its main thread is at that moment.

CI once lost a SIGTERM this way: RQ's handler raises StopRequested in the main thread, which
was inside docker-py asking the Engine for its version; docker-py turned it into a
DockerException, the Engine check caught that as "unreachable", and the worker went on
taking jobs from the session's Valkey for the rest of the suite. Here the "Engine" is a unix
socket that takes connections and never answers, so the worker's main thread is in that very
call whenever a new connection arrives, and that is when the signal is sent.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

GRADER = str(Path(sys.executable).parent / "grader")
STOPPED_WITHIN_SECONDS = 20  # a bound on a hang; the worker has nothing to finish


class SilentEngine:
    """A unix socket that accepts connections, counts them, and never says a word."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.accepted = 0
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(16)
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self._held.append(connection)
            self.accepted += 1

    def close(self) -> None:
        self._server.close()
        for connection in self._held:
            connection.close()


@pytest.mark.valkey
def test_a_sigterm_during_an_engine_check_stops_the_worker(redis_url, tmp_path):
    engine = SilentEngine(tmp_path / "docker.sock")
    env = {
        "PATH": "/usr/bin:/bin",
        "DOCKER_HOST": f"unix://{engine.path}",
        "SANDBOX_IMAGE": "course-sandbox-node:1",
        "GRADER_METRICS_PORT": "0",
    }
    worker = subprocess.Popen(
        [GRADER, "worker", "--redis-url", redis_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(worker.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("taking no job" in line for line in lines):
            assert worker.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "never found its Engine silent: " + "".join(lines)
            time.sleep(0.05)
        # The next connection is the main thread's next check (every 2 s): stop it there.
        seen = engine.accepted
        while engine.accepted == seen:
            assert time.monotonic() < deadline, "the worker stopped checking its Engine"
            time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=STOPPED_WITHIN_SECONDS)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        reader.join(timeout=10)
        worker.stdout.close()
        engine.close()

    assert not any("the Docker Engine and the sandbox image are back" in line for line in lines)
