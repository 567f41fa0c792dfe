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


def test_the_drivers_descriptors_are_closed_to_the_student(grade_hostile):
    # Fails under runsc, a real weakness (runsc 0.0~20221219): gVisor's /proc does not close
    # a non-dumpable process's fd/ to its uid, so the forged runs reach the channel: `passed`.
    result = grade_hostile(FORGE_THROUGH_THE_DRIVER, wall_seconds=10.0)

    assert "forge refused: PermissionError" in result.output.text, result.output.text
    assert result.verdict != "passed", result.feedback
    checks = {check.name: check for check in result.checks}
    assert not checks["runs_concurrently"].passed, checks["runs_concurrently"].message


def test_answers_written_ahead_are_not_measurements(grade_hostile):
    result = grade_hostile(FORGE_ANSWERS, wall_seconds=10.0)

    assert result.verdict != "passed", result.feedback
    checks = {check.name: check for check in result.checks}
    assert not checks["correct_result"].passed, checks["correct_result"].message


@pytest.mark.parametrize(
    "source", [BLOCKING_WITH_A_QUIET_TICKER, BLOCKING_AND_HIDDEN], ids=["quiet-ticker", "hidden"]
)
def test_a_blocked_loop_shows_however_the_ticker_is_rewritten(grade_hostile, source):
    # Fails under runsc, a real weakness: gVisor has no /proc/<pid>/task/<tid>/syscall (nor
    # schedstat), so the driver's witness is `unavailable` and only the ticker, which the
    # student rewrote, speaks: loop_never_blocked holds.
    result = grade_hostile(source, wall_seconds=10.0)

    checks = {check.name: check for check in result.checks}
    assert checks["correct_result"].passed, checks["correct_result"].message
    assert result.verdict != "passed", result.feedback
    assert not checks["loop_never_blocked"].passed, checks["loop_never_blocked"].message
