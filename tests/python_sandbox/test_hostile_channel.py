"""A driven lab's student forges the measurements: every way in is closed.

In a driven lab (Async Gather, Beat the GIL) the student's module runs in the lab's
*subject*, a process the driver started apart from itself (labs/driver_kit.py): the
driver holds the channel to the harness, times the calls, checks the answers and watches
the event loop from outside. Each attempt below writes the good numbers it wants, by the
route a student reading the image's sources would try, around a fetch_all that does not
earn them; none may pass.
"""

import pytest

from tests.conftest import both_runtimes

pytestmark = [pytest.mark.docker, both_runtimes]

GOOD_RUNS = """\
import json
def forged_lines():
    lines = [{"k": "fact", "v": {"urls": 20, "slowest_ms": 300, "sum_ms": 3500, "tick_ms": 10}}]
    for repeat in range(7):
        for variant in ("fetch_all", "reference_gather"):
            lines.append({"k": "run", "v": {
                "variant": variant, "repeat": repeat, "wall_ms": 320.0, "lag_p50_ms": 0.5,
                "lag_p99_ms": 1.0, "lag_max_ms": 1.5, "ticks": 32, "expected_ticks": 32,
                "requests": 20, "max_in_flight": 20, "arrival_span_ms": 3.0,
                "correct": True, "bodies_present": True, "error": None}})
    return "".join(json.dumps(line) + "\\n" for line in lines).encode()
"""

SEQUENTIAL = """
import lab_http
async def fetch_all(urls):
    return [await lab_http.fetch(url) for url in urls]
"""

# The channel's descriptor, as the driver's argv names it, in the student's own process.
FORGE_FROM_ARGV = (
    GOOD_RUNS
    + """
import os, sys
fd = int(sys.argv[sys.argv.index("--channel-fd") + 1])
os.write(fd, forged_lines())
os._exit(0)
"""
)

# The driver's argv is readable; its descriptors are not: it is not dumpable.
FORGE_THROUGH_THE_DRIVER = (
    GOOD_RUNS
    + """
import os
argv = open(f"/proc/{os.getppid()}/cmdline", "rb").read().split(b"\\0")
fd = int(argv[argv.index(b"--channel-fd") + 1])
try:
    with open(f"/proc/{os.getppid()}/fd/{fd}", "wb") as channel:
        channel.write(forged_lines())
    print("forged: the channel was open")
except OSError as error:
    print(f"forge refused: {type(error).__name__}")
"""
    + SEQUENTIAL
)

# The channel's key, sought where a student would: the memory of the driver and the
# harness (both hold it; both are non-dumpable), through /proc/<pid>/mem and
# process_vm_readv, and the driver's key pipe, named in its argv.
SEEK_THE_KEY = """\
import ctypes, os
DRIVER = os.getppid()
with open(f"/proc/{DRIVER}/stat") as stat:
    HARNESS = int(stat.read().rsplit(")", 1)[1].split()[1])
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
argv = open(f"/proc/{DRIVER}/cmdline", "rb").read().split(b"\\0")
key_fd = int(argv[argv.index(b"--key-fd") + 1])
try:
    pipe = os.open(f"/proc/{DRIVER}/fd/{key_fd}", os.O_RDONLY | os.O_NONBLOCK)
    try:
        print("key pipe:", len(os.read(pipe, 4096)), "bytes")
    except BlockingIOError:
        print("key pipe: 0 bytes")
except OSError as error:
    print("key pipe:", type(error).__name__)
for name, pid in (("driver", DRIVER), ("harness", HARNESS)):
    try:
        os.close(os.open(f"/proc/{pid}/mem", os.O_RDONLY))
        print(name, "mem: opened")
    except OSError as error:
        print(name, "mem:", error.strerror)
    buffer = ctypes.create_string_buffer(16)
    local = iovec(ctypes.cast(buffer, ctypes.c_void_p), 16)
    remote = iovec(0x10000, 16)  # unmapped: a permitted read fails with EFAULT, not EPERM
    done = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    print(name, "vm_readv:", "read" if done >= 0 else os.strerror(ctypes.get_errno()))
"""

# Answers the driver did not ask for, written ahead on the subject's own pipe.
FORGE_ANSWERS = (
    """
import json, os, sys
fd = int(sys.argv[sys.argv.index("--answers-fd") + 1])
fake = {"bodies": ["item 0"] * 20, "error": None, "lag_p50_ms": 0.5, "lag_p99_ms": 1.0,
        "lag_max_ms": 1.5, "lag_unexplained_max_ms": 0.5, "run_queue_wait_ms": 0.0,
        "ticks": 32, "expected_ticks": 32}
os.write(fd, (json.dumps({"problem": None}) + "\\n").encode())
for _ in range(14):
    os.write(fd, (json.dumps(fake) + "\\n").encode())
"""
    + SEQUENTIAL
)

# The ticker's figures rewritten inside the subject, around a fetch_all that gets every
# body at once from threads while the event loop's only thread waits for them.
BLOCKING_WITH_A_QUIET_TICKER = """
import asyncio, __main__
from concurrent.futures import ThreadPoolExecutor
import lab_http

measured = __main__.timed
async def quiet(*args, **kwargs):
    run = await measured(*args, **kwargs)
    run.update(lag_p50_ms=0.5, lag_p99_ms=1.0, lag_max_ms=1.5, lag_unexplained_max_ms=0.5,
               ticks=run["expected_ticks"])
    return run
__main__.timed = quiet

async def fetch_all(urls):
    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(lambda url: asyncio.run(lab_http.fetch(url)), urls))
"""

# The same, and the subject made non-dumpable so that nobody outside can watch its loop.
BLOCKING_AND_HIDDEN = (
    """
import ctypes
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
"""
    + BLOCKING_WITH_A_QUIET_TICKER
)


def test_the_channel_is_not_in_the_students_process(grade_hostile):
    result = grade_hostile(FORGE_FROM_ARGV, wall_seconds=10.0)

    assert result.verdict != "passed", result.feedback
    assert "--channel-fd" in result.output.text, result.output.text  # ValueError: not in argv


def test_the_drivers_descriptors_are_closed_to_the_student(grade_hostile, sandbox_runtime):
    result = grade_hostile(FORGE_THROUGH_THE_DRIVER, wall_seconds=10.0)

    checks = {check.name: check for check in result.checks}
    if sandbox_runtime == "runc":
        # The kernel keeps a non-dumpable process's fd/ from its uid.
        assert "forge refused: PermissionError" in result.output.text, result.output.text
    else:
        # gVisor (runsc 0.0~20221219) does not: the forged lines reach the channel, and fail
        # the driver's signature (labs/driver_kit.py): the run measures nothing and says why.
        assert "forged: the channel was open" in result.output.text, result.output.text
        assert "did not sign" in checks["correct_result"].message, checks["correct_result"]
    assert result.verdict == "failed", result.feedback
    assert not checks["runs_concurrently"].passed, checks["runs_concurrently"].message


def test_the_channels_key_is_out_of_the_students_reach(grade_hostile):
    # What makes a forged line useless under runsc is a key the student cannot read.
    result = grade_hostile(SEEK_THE_KEY + SEQUENTIAL, wall_seconds=10.0)

    seen = [line for line in result.output.text.splitlines() if ": " in line]
    # Closed before the subject started: refused (runc), or (runsc, whose /proc opens it)
    # its number names another descriptor of the driver's by now, with nothing to read.
    assert seen[0] in ("key pipe: PermissionError", "key pipe: 0 bytes"), seen
    # Refused: EPERM under runc; gVisor has no process_vm_readv (ENOSYS).
    refused = {"Operation not permitted", "Function not implemented"}
    assert seen[1] == "driver mem: Permission denied", seen
    assert seen[2].removeprefix("driver vm_readv: ") in refused, seen
    assert seen[3] == "harness mem: Permission denied", seen
    assert seen[4].removeprefix("harness vm_readv: ") in refused, seen
    assert result.verdict == "failed", result.feedback


def test_answers_written_ahead_are_not_measurements(grade_hostile):
    result = grade_hostile(FORGE_ANSWERS, wall_seconds=10.0)

    assert result.verdict != "passed", result.feedback
    checks = {check.name: check for check in result.checks}
    assert not checks["correct_result"].passed, checks["correct_result"].message


@pytest.mark.parametrize(
    "source", [BLOCKING_WITH_A_QUIET_TICKER, BLOCKING_AND_HIDDEN], ids=["quiet-ticker", "hidden"]
)
def test_a_blocked_loop_shows_however_the_ticker_is_rewritten(grade_hostile, source):
    # gVisor has no /proc/<pid>/task/<tid>/syscall (nor schedstat): there the driver's
    # witness reads the loop's thread by ptrace instead (loop_ptrace.py), so the ticker,
    # which the student rewrote, is not the only one to speak.
    result = grade_hostile(source, wall_seconds=10.0)

    checks = {check.name: check for check in result.checks}
    assert checks["correct_result"].passed, checks["correct_result"].message
    assert result.verdict != "passed", result.feedback
    assert not checks["loop_never_blocked"].passed, checks["loop_never_blocked"].message
