"""`make run` stops quietly and in order on Ctrl-C, and leaves no process behind.

The real script, the real children (gunicorn, the web-worker, the Node and the Python
grader workers, Valkey): started in a process group of its own, as a shell would, and sent
SIGINT the way a terminal sends Ctrl-C: to the whole group.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_LIMIT_SECONDS = 180  # migrations, seeding and image checks on a busy 2-core host
SHUTDOWN_LIMIT_SECONDS = 90  # a bound on a hang, not a speed target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(root: int) -> dict[int, str]:
    """Every live process below `root` (by parent pid), with its start time (to spot reuse)."""
    parents: dict[int, int] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)], started[int(entry.name)] = int(fields[1]), fields[19]
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = started[pid]
                frontier.append(pid)
    return found


def still_running(processes: dict[int, str]) -> list[int]:
    left = []
    for pid, start in processes.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            left.append(pid)
    return left


def grader_workers(platform_pid: int) -> dict[str, int]:
    """The grader workers below the platform, by the prefix of their RQ worker names
    (scripts/run_platform.py: `grader` for Node's, `python-grader`)."""
    workers = {}
    for pid in descendants(platform_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # `python .../bin/grader worker --name grader-<pid>-<n>` (the console script's shebang)
        if any(part.endswith(b"/bin/grader") for part in command) and b"--name" in command:
            name = command[command.index(b"--name") + 1].decode()
            # The first found is the worker; below it, its scheduler and work-horse (forks).
            workers.setdefault(name.rsplit("-", 2)[0], pid)
    return workers


def wait_for_page(url: str, platform: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        assert platform.poll() is None, "make run stopped while starting"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    raise AssertionError(f"{url} did not answer within {STARTUP_LIMIT_SECONDS} s")


def wait_for_graders(platform: subprocess.Popen) -> None:
    """Until both grader workers run: `make run` starts them after the first page answers
    (once their images are there and the janitor has run)."""
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while set(grader_workers(platform.pid)) != {"grader", "python-grader"}:
        assert platform.poll() is None, "make run stopped while starting"
        assert time.monotonic() < deadline, f"no graders within {STARTUP_LIMIT_SECONDS} s"
        time.sleep(0.5)


def start_platform(
    tmp_path: Path, sandbox_image: str, python_sandbox_image: str
) -> tuple[subprocess.Popen, int]:
    """`scripts/run_platform.py` in a process group of its own (Ctrl-C reaches only it), on
    free ports and a fresh SQLite database; the platform and its web port."""
    port = free_port()
    env = os.environ | {
        "PORT": str(port),
        "VALKEY_PORT": str(free_port()),
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "SANDBOX_IMAGE": sandbox_image,
        "PYTHON_SANDBOX_IMAGE": python_sandbox_image,
        "GRADER_METRICS_PORT": str(free_port()),  # and the next one: make run's graders
    }
    env.pop("REDIS_URL", None)  # the script's own Valkey
    platform = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run_platform.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        process_group=0,
    )
    return platform, port


def stop_platform(platform: subprocess.Popen) -> None:
    """Stop a platform a failed test left running, in order: its children lead sessions of
    their own, so SIGKILL to its group alone would orphan them; SIGKILL only on a hang."""
    if platform.poll() is not None:
        return
    os.killpg(platform.pid, signal.SIGINT)
    try:
        platform.wait(timeout=SHUTDOWN_LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(platform.pid, signal.SIGKILL)
        platform.wait()


def test_ctrl_c_stops_every_child_quietly_and_in_order(
    docker_client, sandbox_image, python_sandbox_image, tmp_path
):
    platform, port = start_platform(tmp_path, sandbox_image, python_sandbox_image)
    try:
        wait_for_page(f"http://127.0.0.1:{port}/", platform)
        wait_for_graders(platform)
        graders = grader_workers(platform.pid)
        children = descendants(platform.pid)
        os.killpg(platform.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        output, _ = platform.communicate(timeout=SHUTDOWN_LIMIT_SECONDS)
    finally:
        stop_platform(platform)
        platform.stdout.close()

    assert platform.returncode == 0, output
    assert "Traceback" not in output, output
    assert "Connection refused" not in output, output
    lines = output.splitlines()
    stopping = lines[lines.index("run: Ctrl-C: stopping the platform") :]
    steps = [line for line in stopping if line.startswith("run: ")]
    assert steps == [
        "run: Ctrl-C: stopping the platform",
        "run: stopping the grader, the python grader and the web-worker",
        "run: stopping the web server",
        "run: stopping Valkey",
        "run: stopped",
    ], output
    assert set(graders) == {"grader", "python-grader"}, graders
    assert len(children) >= 5, f"expected gunicorn, three workers and Valkey: {children}"
    assert still_running(children) == [], output
