"""The Async Gather witness's ptrace reading (loop_ptrace.py), on this host's kernel.

Under gVisor the witness has no /proc/<pid>/task/<tid>/syscall and asks ptrace where the
loop's thread is instead; test_hostile_channel.py runs it in a runsc sandbox. Here it reads
a real child of the test's process: asleep in epoll_wait on the fd it names, or held in a
time.sleep, and the child's exit stays for its parent to collect.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import threading
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[2] / "services" / "sandbox-image-python" / "labs"
sys.path.insert(0, str(LAB / "async-gather"))
import loop_ptrace  # noqa: E402  (the image's own module)
from loop_witness import EPOLL_WAITS  # noqa: E402

sys.path.remove(str(LAB / "async-gather"))

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 registers")

# The child says its epoll fd, then sleeps in epoll_wait on it (PEP 475 retries an EINTR),
# or in time.sleep, until its stdin closes.
CHILD = """\
import os, select, sys, threading, time
poll = select.epoll()
print(poll.fileno(), flush=True)
if sys.argv[1] == "sleep":
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(7)), daemon=True).start()
    time.sleep(60)
else:
    poll.register(sys.stdin.fileno(), select.EPOLLIN)
    poll.poll(60)
    os._exit(7)
"""


def sample(pid: int, epoll_fd: int, samples: int = 5) -> list[bool | None]:
    """`samples` readings from one thread, which seizes the child and lets it go."""
    seen: list[bool | None] = []

    def watch() -> None:
        tracer = loop_ptrace.Tracer(pid)
        try:
            seen.extend(tracer.sleeping_in(EPOLL_WAITS, epoll_fd) for _ in range(samples))
        finally:
            tracer.detach()

    thread = threading.Thread(target=watch)
    thread.start()
    thread.join()
    return seen


@pytest.mark.parametrize(("where", "idle"), [("epoll", True), ("sleep", False)])
def test_the_thread_is_seen_where_it_sleeps_and_its_exit_stays_its_parents(where, idle):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, where], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        epoll_fd = int(child.stdout.readline())
        seen = sample(child.pid, epoll_fd)
        child.stdin.close()  # it still works after the samples: it ends as it should
        assert child.wait(timeout=10) == 7
    finally:
        child.kill()
        child.wait()
        child.stdout.close()

    # The first reading may catch the child on its way into the call.
    assert seen[1:] == [idle] * 4
