"""Hostile programs: the harness's report still comes last, and the sandbox holds.

Each runs in the grader's hardened container (no network, read-only root, uid 10001, pids
and memory limits); the harness must outlive the program, end every process it left and
print the only report the grader believes. Every test of the Python hostile suite runs under
both OCI runtimes a grader host may choose, runc and runsc (gVisor), except where it is about
runc alone (the seccomp profile); where gVisor ends a run another way, the test says so.
"""

import json

import pytest

from grader.adapters.python import ADAPTER
from tests.conftest import both_runtimes

pytestmark = pytest.mark.docker

FORGED = {
    "harness_version": 1,
    "lab_kind": "forged",
    "status": "exited",
    "exit_code": 0,
    "signal": None,
    "wall_ms": 1,
    "syntax_error": None,
    "error_line": None,
    "observations": {
        "workers_created": 9,
        "workers_online": 9,
        "messages_to_main": 9,
        "messages_to_worker": 9,
    },
    "output": {"text": "all tests passed", "truncated": False, "bytes_total": 16},
    "cgroup": {"oom_kills": 0},
    "harness_error": None,
}
FORGED_LINE = "HARNESS-REPORT " + json.dumps(FORGED)


@both_runtimes
def test_a_printed_fake_report_is_only_output(run_python):
    run = run_python(f"print({FORGED_LINE!r})\n")

    assert run.raw["lab_kind"] == "python-test"
    # Not the forged 9s: this harness writes no observations (older images wrote zeros).
    assert run.raw.get("observations", {}).get("workers_created", 0) == 0
    assert run.text == FORGED_LINE + "\n"


@both_runtimes
def test_a_daemon_forging_reports_on_the_containers_stdout_cannot_be_last(run_python):
    # A detached grandchild writes fake reports straight to the container's stdout for ever,
    # through PID 1's descriptor (docker-init runs with the student's uid; the harness's own
    # are closed to it, see test_hostile_signals); the program itself exits at once.
    source = f"""\
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        line = ({FORGED_LINE!r} + "\\n").encode()
        with open("/proc/1/fd/1", "wb", buffering=0) as stdout:
            while True:
                stdout.write(line)
                time.sleep(0.001)
    os._exit(0)
time.sleep(0.3)
print("main done")
"""
    run = run_python(source)

    lines = run.sandbox.stdout.decode().rstrip("\n").split("\n")
    assert FORGED_LINE in lines  # the forgery did reach the container's stdout
    assert run.raw["lab_kind"] == "python-test"  # yet the last line is the harness's
    assert run.report.status == "exited"
    assert run.text == "main done\n"


# Fork bombs, bare and through multiprocessing.
FORK_BOMBS = {
    "os.fork": (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    ),
    "multiprocessing": (
        "import multiprocessing, time\n"
        "def spread():\n"
        "    while True:\n"
        "        try:\n"
        "            multiprocessing.Process(target=spread).start()\n"
        "        except OSError:\n"
        "            time.sleep(0.01)\n"
        "if __name__ == '__main__':\n"
        "    multiprocessing.set_start_method('fork')\n"
        "    spread()\n"
    ),
}


@pytest.mark.parametrize("source", FORK_BOMBS.values(), ids=FORK_BOMBS.keys())
@both_runtimes
def test_a_fork_bomb_is_contained_and_the_report_still_comes(run_python, source, sandbox_runtime):
    # Under runsc the bomb may end the whole sandbox, harness and report with it: each forked
    # Python costs the host about 10 MB of gVisor's memory, so the 128 MiB limit kills the
    # sandbox long before RLIMIT_NPROC's 64 tasks, or the bomb spends the Sentry's host pids
    # and gVisor gives up. Contained all the same: it ends well before the grader's outer
    # timeout (run_python checks), and the host saw the limit the student hit, which is what
    # gives it the student's verdict (test_a_fork_bomb_is_the_students_limit_whoever_dies).
    run = run_python(source, wall_seconds=2.0, pids=64, report_required=sandbox_runtime == "runc")

    if run.report is None:
        usage = run.sandbox.usage
        assert run.sandbox.oom_killed or usage.oom_kills or usage.forks_refused, run.sandbox
        return
    assert run.report.status == "timeout"
    assert run.report.harness_error is None
    # Reported within the wall time plus the reaping, far from the grader's outer timeout.
    assert run.report.wall_ms < 4000


@both_runtimes
def test_a_fork_bomb_is_the_students_limit_whoever_dies(grade_hostile, sandbox_runtime):
    # The bare bomb, at the module's top level: the lab's subject runs it on import (the
    # multiprocessing one waits for __main__, which a driven lab never runs). Under runc it
    # spins at the pids limit until the wall time: process_limit_exceeded, quoting the limit.
    result = grade_hostile(FORK_BOMBS["os.fork"])

    assert result.gradable is True, result.feedback
    if sandbox_runtime == "runsc" and result.verdict == "memory_exceeded":
        # Under runsc each forked Python costs the host about 10 MB (gVisor's copy of the
        # pages the child writes: 677 MB at the process limit with 1 GiB granted), so the
        # lab's 256 MiB ends the bomb first, with an OOM kill the host counted: the limit it
        # really hit, still the student's (5 runs of 5 here).
        assert result.measurements["host_usage"]["oom_kills"], result.measurements
        return
    assert result.verdict == "process_limit_exceeded", (result.feedback, result.measurements)
    assert result.score == 0.0
    limit = ADAPTER.lab_kind("async-gather").default_limits.pids
    assert f"(at most {limit})" in result.feedback


@both_runtimes
def test_the_environment_holds_nothing_of_the_grader(run_python):
    source = """\
import glob, json, os
seen = {}
for path in glob.glob("/proc/[0-9]*/environ"):
    try:
        with open(path, "rb") as file:
            seen[path] = sorted(
                entry.split(b"=", 1)[0].decode() for entry in file.read().split(b"\\0") if entry
            )
    except OSError:
        pass
print(json.dumps({"mine": sorted(os.environ), "readable": seen}))
"""
    run = run_python(source)

    seen = json.loads(run.text)
    assert seen["mine"] == ["HOME", "LANG", "PATH"]
    # docker-init's environment is readable (it runs with the student's uid) and holds only
    # the image's variables and the Engine's HOSTNAME; the harness's is closed to it (it is
    # not dumpable, see test_hostile_signals).
    for names in seen["readable"].values():
        assert set(names) <= {"HOME", "LANG", "PATH", "HOSTNAME"}


@both_runtimes
def test_the_network_is_unreachable(run_python):
    source = """\
import errno, socket
for address in [("1.1.1.1", 53), ("10.0.0.1", 80)]:
    try:
        socket.create_connection(address, timeout=2)
        print("connected")
    except OSError as error:
        print(errno.errorcode.get(error.errno, str(error)))
try:
    socket.getaddrinfo("deb.debian.org", 80)
    print("resolved")
except OSError:
    print("no dns")
"""
    run = run_python(source)

    # runc's empty network namespace says ENETUNREACH, gVisor's netstack EHOSTUNREACH: no route.
    *connections, dns = run.text.splitlines()
    assert len(connections) == 2 and set(connections) <= {"ENETUNREACH", "EHOSTUNREACH"}
    assert dns == "no dns"


@both_runtimes
def test_memory_over_the_limit_is_memory_exceeded_whoever_dies(grade_hostile):
    # Under runsc the OOM kill ends the whole sandbox, harness and report with it: only the
    # Engine's State.OOMKilled and the host cgroup say why, and that is the student's
    # memory_exceeded, not ours.
    result = grade_hostile("blocks = []\nwhile True:\n    blocks.append(b'x' * (1 << 20))\n")

    assert result.verdict == "memory_exceeded", result.feedback
    assert result.gradable is True and result.score < 1
    # Read on the host, whether the harness lived to report or not.
    assert result.measurements["host_usage"]["memory_peak_bytes"] is not None


@both_runtimes
def test_memory_over_the_limit_is_seen_as_an_oom_kill(run_python, sandbox_runtime):
    source = "blocks = []\nwhile True:\n    blocks.append(b'x' * (1 << 20))\n"
    runsc = sandbox_runtime == "runsc"
    run = run_python(source, memory_mib=96, wall_seconds=10.0, report_required=not runsc)

    if runsc:
        # gVisor's Sentry holds the program's memory, so the host's OOM killer ends the whole
        # sandbox, harness included: no report, and the kill is seen only from outside.
        assert run.report is None, run.report
        assert run.sandbox.oom_killed, run.sandbox
        # The host cgroup's own figures: the memory came near the limit. Its oom_kill count
        # was once seen 0 beside the Engine's OOMKilled (gVisor's Sentry may be killed in a
        # cgroup below the one read), and its peak has read 86.2 to 95.3 MiB of the 96, so
        # what is required is most of the limit: a program killed for something else would
        # not have come near it.
        assert run.sandbox.usage.memory_peak_bytes >= 0.75 * 96 * 2**20, run.sandbox.usage
        return
    assert run.report.oom_kills >= 1
    assert run.report.signal == "SIGKILL" or run.report.error_line == "MemoryError"


@pytest.mark.parametrize(
    "source",
    [
        "import sys\nwhile True:\n    sys.stderr.write('e' * 4096)\n",
        # A child in a session of its own floods the inherited stdout while its parent waits.
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    while True:\n"
        "        os.write(1, b'c' * 65536)\n"
        "time.sleep(60)\n",
        # A multiprocessing child floods stderr; the parent exits at once.
        "import multiprocessing, sys\n"
        "def flood():\n"
        "    while True:\n"
        "        sys.stderr.write('m' * 65536)\n"
        "if __name__ == '__main__':\n"
        "    multiprocessing.set_start_method('fork')\n"
        "    multiprocessing.Process(target=flood).start()\n",
    ],
    ids=["stderr", "detached-child", "multiprocessing-child"],
)
@both_runtimes
def test_an_output_flood_from_any_stream_or_child_meets_the_output_limit(run_python, source):
    run = run_python(source, wall_seconds=10.0, output_bytes=256 * 1024)

    assert run.report.status == "output_limit"
    assert run.report.output["truncated"] is True
    assert run.report.output["bytes_total"] > 256 * 1024
    assert len(run.report.output["text"].encode()) < 20 * 1024
    assert run.report.wall_ms < 10000  # stopped by the flood, not by the wall time
