"""Hostile programs that signal the harness, PID 1 or everything: none passes, none survives.

The student's code runs with the harness's uid, so it may signal the harness (its parent)
and docker-init (PID 1), which forwards what it can catch to the harness. Whatever it
sends, the run ends within the grader's bounds with a verdict that is not `passed`: a
harness ended by its student is the student's `error`, a stopped harness ends at the
grader's outer timeout, and a program that ignores every catchable signal is still
stopped at its wall time (the harness ends it with SIGKILL). Attacks on the harness run as
Async Gather submissions through the whole pipeline (grade_hostile), at import time of the
student's module, where the process's parent is the lab's driver and the harness is the
driver's parent (HARNESS finds it).
"""

import json

import pytest

from tests.conftest import both_runtimes
from tests.python_sandbox.test_hostile import FORGED

pytestmark = pytest.mark.docker

# A passing Async Gather report, as a student would forge it.
FORGED_PASS = {
    **FORGED,
    "lab_kind": "async-gather",
    "measurements": {"problem": None, "urls": 20, "repeats": 3},
}
FORGED_PASS_LINE = "HARNESS-REPORT " + json.dumps(FORGED_PASS)
# The harness's pid, from the student's module in a driven lab: its parent's parent.
HARNESS = """\
import os
DRIVER = os.getppid()
with open(f"/proc/{DRIVER}/stat") as stat:
    HARNESS = int(stat.read().rsplit(")", 1)[1].split()[1])
"""
HONEST = """
import asyncio, lab_http

async def fetch_all(urls):
    return list(await asyncio.gather(*map(lab_http.fetch, urls)))
"""


def assert_not_passed(result, verdict: str) -> None:
    assert result.verdict == verdict, result.feedback
    assert result.gradable is True and result.score < 1


@both_runtimes
def test_killing_the_harness_after_forging_a_report_is_an_error(grade_hostile):
    # The forged line goes to the container's stdout through PID 1's and the harness's
    # descriptors (whichever the kernel lets it open), then the harness is SIGKILLed so
    # that no real report follows it.
    source = f"""{HARNESS}
import signal
for pid in (1, DRIVER, HARNESS):
    try:
        with open(f"/proc/{{pid}}/fd/1", "w") as stdout:
            stdout.write("\\n" + {FORGED_PASS_LINE!r} + "\\n")
    except OSError:
        pass
os.kill(HARNESS, signal.SIGKILL)
{HONEST}"""
    result = grade_hostile(source)

    assert_not_passed(result, "error")
    assert "ended the grader's harness" in result.feedback


@both_runtimes
def test_killing_every_process_of_the_uid_is_an_error(grade_hostile):
    # kill(-1) reaches every process the sender may signal: the harness too (PID 1 of the
    # namespace ignores it).
    result = grade_hostile(f"import os, signal\nos.kill(-1, signal.SIGKILL)\n{HONEST}")

    assert_not_passed(result, "error")


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1"])
@both_runtimes
def test_a_signal_to_the_harness_or_pid_1_is_an_error(grade_hostile, signal_name):
    # docker-init forwards the signals it can catch to the harness; SIGKILL and SIGSTOP sent
    # to a namespace's init from inside are dropped by the kernel. The program then keeps
    # running as if nothing happened.
    source = f"""{HARNESS}
import signal, time
for pid in (1, HARNESS, DRIVER):
    for sent in ("SIGKILL", "SIGSTOP", {signal_name!r}):
        if pid != 1 and sent != {signal_name!r}:
            continue
        try:
            os.kill(pid, getattr(signal, sent))
        except OSError:
            pass
time.sleep(60)
{HONEST}"""
    result = grade_hostile(source)

    assert_not_passed(result, "error")


@both_runtimes
def test_a_stopped_harness_ends_at_the_graders_outer_timeout(grade_hostile):
    # SIGSTOP cannot be caught: a stopped harness never fires its wall timeout and never
    # reports, while the program keeps running. Only the grader, outside, can end the run.
    stop = "import signal, time\nos.kill(HARNESS, signal.SIGSTOP)\ntime.sleep(99)\n"
    source = HARNESS + stop + HONEST
    result = grade_hostile(source)

    assert_not_passed(result, "timeout")
    assert "it never ended" in result.feedback


@both_runtimes
def test_a_program_deaf_to_every_catchable_signal_is_stopped_at_its_wall_time(run_python):
    # It and a child of its own (in its own session) ignore or handle every signal they can,
    # then spin: the harness's SIGKILL to the group and to every process of the uid still
    # ends them, and the report comes.
    source = """\
import os, signal, time
def deaf():
    for number in range(1, signal.NSIG):
        try:
            signal.signal(number, signal.SIG_IGN)
        except (OSError, ValueError):
            pass
deaf()
if os.fork() == 0:
    os.setsid()
    deaf()
    while True:
        time.sleep(0.01)
print("deaf to every signal", flush=True)
while True:
    pass
"""
    run = run_python(source, wall_seconds=2.0)

    assert run.report.status == "timeout"
    assert run.report.signal == "SIGKILL"
    assert run.text == "deaf to every signal\n"
    assert run.report.wall_ms < 4000  # ended near the wall time, far from the outer timeout


@both_runtimes
def test_sigint_to_the_harness_does_not_cost_the_report(run_python):
    # The harness handles SIGINT (a KeyboardInterrupt would end it without a report).
    source = "import os, signal\nos.kill(os.getppid(), signal.SIGINT)\nprint('sent')\n"
    run = run_python(source)

    assert run.report.status == "exited" and run.report.exit_code == 0
    assert run.text == "sent\n"


@both_runtimes
def test_the_harness_cannot_be_traced_or_its_memory_written(run_python, sandbox_runtime):
    # Same uid, so without more the program could ptrace its parent or open
    # /proc/<harness>/mem for writing and rewrite the report before it is printed; the
    # harness makes itself non-dumpable, which the kernel requires for both.
    source = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
harness = os.getppid()
try:
    os.close(os.open(f"/proc/{harness}/mem", os.O_RDWR))
    print("mem: opened")
except OSError as error:
    print("mem:", error.strerror)
PTRACE_ATTACH = 16
attached = libc.ptrace(PTRACE_ATTACH, harness, None, None)
print("ptrace:", "attached" if attached == 0 else os.strerror(ctypes.get_errno()))
for name in ("environ", "fd/1"):
    try:
        open(f"/proc/{harness}/{name}", "rb").close()
        print(name + ": opened")
    except OSError as error:
        print(name + ":", error.strerror)
"""
    run = run_python(source)

    # gVisor (runsc 0.0~20221219) refuses ptrace and mem too, but opens a non-dumpable
    # process's environ and fd/ to its uid. Neither gives the student anything: every
    # environment holds no secret (test_hostile_proc), fd/1 is the container's stdout,
    # which PID 1's fd/1 opens under either runtime and where a forged report is never
    # last (test_hostile), and the driver's channel, the one descriptor worth writing, is
    # signed (test_hostile_channel).
    opened = "Permission denied" if sandbox_runtime == "runc" else "opened"
    assert run.text == (
        "mem: Permission denied\n"
        "ptrace: Operation not permitted\n"
        f"environ: {opened}\n"
        f"fd/1: {opened}\n"
    )
