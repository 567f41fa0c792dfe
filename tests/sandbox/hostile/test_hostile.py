"""Hostile Thread Lab submissions through the real grader: each ends with the verdict it earns.

Every case is a small program in this folder whose header says what it attacks. Each is graded
by a real `grader grade` process (the worker's pipeline: `grade_request` with
`run_in_sandbox`, the real image, the real Docker Engine) whose environment holds fake
secrets, and we check what a student and an operator would notice: the verdict and the limit
it quotes, what the program managed to see or do (its own output), that the run ended within
the lab's limit plus a bounded overhead, that no container and no process of it survives,
that the grader's own peak memory stays small, and that a correct submission graded right
after it passes.

Cases that end by a timeout run with a 3 s wall limit (the grader's ceiling clamps the lab's
5 s) to keep the suite short; every other limit is the Thread Lab's default.

Every case runs under both OCI runtimes a grader host may choose (SANDBOX_RUNTIME): runc and
runsc (gVisor). Where gVisor ends a run another way, or shows the program another view, the
case says what differs under runsc and why (`under_runsc`); the checks on secrets, leftovers,
the grader's memory and the correct submission after it are the same.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.adapters.node.labs.thread_lab import THREAD_LAB
from grader.limits import TMPFS_INODES, TMPFS_MIB, outer_timeout_seconds
from grader.sandbox import SUBMISSION_LABEL
from tests.conftest import both_runtimes, host_command_lines, require

pytestmark = pytest.mark.docker

HOSTILE = Path(__file__).parent
SOLUTION = HOSTILE.parents[1] / "integration" / "solutions" / "thread_lab_commonjs.js"
LAB = THREAD_LAB.default_limits
SHORT_WALL_SECONDS = 3.0
SANDBOX_UID = 10001
# The grader process's environment holds these; none may reach a container.
FAKE_SECRETS = {
    "REDIS_URL": "redis://:s3cret-redis-pass@192.0.2.10:6379/0",
    "AWS_SECRET_ACCESS_KEY": "fake-aws-secret-wJalrXUtnFEMI-K7MDENG",
    "GITHUB_TOKEN": "ghp_fakeTokenThatMustNeverLeak0123456789",
    "PORTAL_DATABASE_URL": "postgresql://portal:db-s3cret@192.0.2.11/portal",
}
# A generous cap on the grader process's peak resident memory: Python with docker-py is about
# 50 MiB; a grader that held a flood or a fake report whole would grow with it.
GRADER_PEAK_RSS_CAP_MIB = 100
# What the Engine and the grader may add after the outer timeout fired: kill, logs, removal.
AFTER_OUTER_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Graded:
    """One `grader grade` run as an operator sees it."""

    result: dict[str, Any]
    exit_status: int
    elapsed_seconds: float
    peak_rss_mib: float


@dataclass(frozen=True)
class Hostile:
    """A hostile program and what it must get."""

    program: str
    verdict: str
    says: str  # quoted in A.D.A.'s feedback
    wall_seconds: float = LAB.wall_seconds
    # Only a stopped harness needs the grader's outer timeout; everything else must be ended
    # inside the container, before it.
    needs_outer_timeout: bool = False
    check_output: Callable[[dict[str, Any]], None] | None = None
    # Another honest ending (verdict, says) where the runtime decides between two.
    or_else: tuple[str, str] | None = None
    # What differs under runsc (gVisor), field by field, for a reason the case's comment
    # gives: its own kernel shows its own /proc and cgroups, and ends some runs its own way.
    under_runsc: dict[str, Any] = dataclasses.field(default_factory=dict)

    def under(self, runtime: str) -> Hostile:
        """What this program must get under the OCI `runtime`."""
        return dataclasses.replace(self, **self.under_runsc) if runtime == "runsc" else self


def output_json(output: dict[str, Any]) -> Any:
    return json.loads(output["text"])


def check_flood(output: dict[str, Any]) -> None:
    assert output["truncated"] is True
    assert output["bytes_total"] > LAB.output_bytes
    assert output["text"].startswith("first line of the flood\nxxx")
    assert re.search(r"\n… \[\d+ bytes elided\] …\n", output["text"])
    assert len(output["text"].encode("utf-8")) < 20 * 1024, "only a head and a tail are kept"


def check_network(output: dict[str, Any]) -> None:
    seen = output_json(output)
    assert seen["interfaces"] == ["lo"]
    assert len(seen["attempts"]) == 5
    for attempt in seen["attempts"]:
        assert attempt["outcome"].startswith("blocked: "), attempt


def check_writes(output: dict[str, Any]) -> None:
    results = output_json(output)
    assert results.pop("/tmp/allowed.txt") == "written, as allowed"
    assert len(results) == 16
    for target, outcome in results.items():
        assert outcome.startswith("refused: "), (target, outcome)


def check_fill(output: dict[str, Any]) -> None:
    fill = output_json(output)
    assert fill["bytesError"] == "ENOSPC" and fill["bytes"] <= TMPFS_MIB * 1024 * 1024
    assert fill["filesError"] == "ENOSPC" and fill["files"] < TMPFS_INODES


def check_environment(output: dict[str, Any]) -> None:
    environments = output_json(output)
    assert set(environments["process.env"]) == {"PATH", "HOME", "LANG"}
    for source, variables in environments.items():
        if source == "process.env" or isinstance(variables, str):
            continue
        names = {variable.split("=", 1)[0] for variable in variables}
        assert names <= {"PATH", "HOME", "LANG", "HOSTNAME"}, (source, names)


def check_docker_socket(output: dict[str, Any]) -> None:
    for target, outcome in output_json(output).items():
        assert outcome == "absent" or outcome.startswith("blocked: "), (target, outcome)


def check_processes(output: dict[str, Any]) -> None:
    seen = output_json(output)
    assert seen["hostname"] == "sandbox"
    commands = sorted(process["command"][0] for process in seen["processes"])
    # The harness is the base image's node (/usr/local/bin, in the official image as in ours).
    assert commands == ["/sbin/docker-init", "/usr/local/bin/node", "node"], commands


def check_fork_bomb(output: dict[str, Any]) -> None:
    refused = re.search(r"forks refused by the pids limit: (\d+)", output["text"])
    assert refused and int(refused.group(1)) > 0, output["text"]


def check_cpu_share(output: dict[str, Any]) -> None:
    shares = [float(share) for share in re.findall(r"cpu share (\d+\.\d+)", output["text"])]
    assert shares, output["text"]
    # A bound on the quota, not a performance figure: 8 spinning threads get the lab's CPUs
    # (plus the slack of one CFS period per sample), never the host's.
    assert max(shares) <= LAB.cpus + 0.5, shares


def check_daemon(output: dict[str, Any]) -> None:
    assert output["text"] == "daemon started, main program done\n"


def check_binary_refused(output: dict[str, Any]) -> None:
    assert output_json(output) == {"error": "EACCES", "stdout": None}


def check_not_utf8(output: dict[str, Any]) -> None:
    text = output["text"]
    assert output["bytes_total"] == 56 and output["truncated"] is False
    assert text.startswith("before\n") and "\ufffd" in text
    assert "\x00" not in text and "nul\ufffd\ufffd\n" in text
    assert "after\ufffd" in text  # a sequence cut short; stderr may come before or after
    text.encode("utf-8")  # storable: no lone surrogate


CASES = [
    Hostile(
        "infinite_loop.js",
        "timeout",
        "Stopped after 3.0 s of wall time.",
        SHORT_WALL_SECONDS,
        check_output=lambda output: output["text"] == "spinning forever\n",
    ),
    Hostile("sleep_forever.js", "timeout", "Stopped after 3.0 s of wall time.", SHORT_WALL_SECONDS),
    # Under runsc the bomb spends the host-side pids of gVisor's Sentry (its own threads grow
    # with every task the bomb starts, whatever RLIMIT_NPROC holds inside), so runsc ends the
    # whole sandbox (exit 2) before the wall time and no report comes: the host cgroup's
    # refused forks give it the same verdict as under runc, never our `infra_error`. When
    # RLIMIT_NPROC inside holds the bomb first, it spins to the wall time and the harness's
    # count of tasks at the limit (tasks_at_stop) says so; and gVisor may hang once the host
    # refused its forks, until the grader's outer timeout, whose refused forks still make it
    # the process limit. Inside gVisor /sys/fs/cgroup is empty, so the program cannot print
    # the refused forks; the host's count decides the verdict.
    Hostile(
        "fork_bomb.js",
        "process_limit_exceeded",
        "more processes and threads than the sandbox allows (at most 64)",
        SHORT_WALL_SECONDS,
        check_output=check_fork_bomb,
        under_runsc={"check_output": None, "needs_outer_timeout": True},
    ),
    # Under runsc the storm races two limits: the workers' memory (256 MiB, as under runc) and
    # RLIMIT_NPROC, which holds it inside gVisor at the lab's 64 tasks (the grader moves the
    # process limit there, grader/limits.py); held there (a host peak of 206 MiB of 256 seen
    # on a loaded host), the refused workers are swallowed, the program never ends, and the
    # harness's count of tasks at the wall time makes it the process limit. Both are the
    # student's own limits, said as such.
    Hostile(
        "thread_storm.js",
        "memory_exceeded",
        "used 256 MiB of 256 MiB",
        under_runsc={
            "or_else": (
                "process_limit_exceeded",
                "more processes and threads than the sandbox allows (at most 64)",
            )
        },
    ),
    Hostile("memory_hog.js", "memory_exceeded", "used 256 MiB of 256 MiB"),
    Hostile(
        "output_flood.js",
        "output_limit",
        "printing more than 1.0 MiB of output",
        check_output=check_flood,
    ),
    Hostile("log_flood.js", "failed", "checks did not hold"),
    Hostile(
        "event_pipe_flood.js",
        "timeout",
        "Stopped after 3.0 s of wall time.",
        SHORT_WALL_SECONDS,
    ),
    Hostile("network_egress.js", "failed", "checks did not hold", check_output=check_network),
    Hostile("write_outside_tmp.js", "failed", "checks did not hold", check_output=check_writes),
    # Under runsc a known weakness of gVisor (runsc 0.0~20221219): its tmpfs keeps the size
    # bound (ENOSPC at 64 MiB) but not `nr_inodes` (a probe made 23,338 empty files past the
    # 16,384 bound without an error), and it makes files slowly (about 7,000 a second), so
    # the program is still making files at the lab's wall time: `timeout`, with no output.
    # What bounds it there is the memory limit (the Sentry's memory is the container's), and
    # a run that makes its files faster reaches it first: the memory limit, said as such.
    Hostile(
        "fill_tmp.js",
        "failed",
        "checks did not hold",
        check_output=check_fill,
        under_runsc={
            "verdict": "timeout",
            "says": "Stopped after 5.0 s of wall time.",
            "check_output": None,
            "or_else": ("memory_exceeded", "used 256 MiB of 256 MiB"),
        },
    ),
    Hostile("native_binary.js", "failed", "checks did not hold", check_output=check_binary_refused),
    Hostile("env_dump.js", "failed", "checks did not hold", check_output=check_environment),
    Hostile("docker_socket.js", "failed", "checks did not hold", check_output=check_docker_socket),
    Hostile("proc_host.js", "failed", "checks did not hold", check_output=check_processes),
    Hostile("fake_report.js", "failed", "checks did not hold"),
    Hostile("kill_harness.js", "error", "your program ended the grader's harness"),
    Hostile(
        "inspector_hijack.js",
        "failed",
        "checks did not hold",
        check_output=lambda output: output["text"] == "no inspector: ECONNREFUSED\n",
    ),
    Hostile("kill_pid1.js", "error", "your program ended the grader's harness"),
    Hostile(
        "stop_harness.js",
        "timeout",
        "Stopped after 3.0 s of wall time: it never ended.",
        SHORT_WALL_SECONDS,
        needs_outer_timeout=True,
    ),
    Hostile("detached_daemon.js", "failed", "checks did not hold", check_output=check_daemon),
    Hostile(
        "cpu_burner.js",
        "timeout",
        "Stopped after 3.0 s of wall time.",
        SHORT_WALL_SECONDS,
        check_output=check_cpu_share,
        # Under runsc `process.cpuUsage()` is gVisor's figure, which counts every spinning
        # thread as running (shares of 4.3 to 7.3 seen on 1 CPU), so the share bound cannot
        # be read inside; the quota is the Engine's, the same as under runc. The host
        # cgroup's throttling cannot stand in for it: on a host busy enough that the
        # container never gets its quota, nothing is throttled (0 of 68 periods seen under
        # runc), and host_usage does not record the CPU time used.
        under_runsc={"check_output": None},
    ),
    Hostile("non_utf8_output.js", "failed", "checks did not hold", check_output=check_not_utf8),
]


def test_every_hostile_program_has_a_case():
    programs = {path.name for path in HOSTILE.glob("*.js")}
    assert programs == {case.program for case in CASES}
    for case in CASES:
        header = (HOSTILE / case.program).read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("// Attacks: "), case.program


@pytest.mark.parametrize("case", CASES, ids=[case.program.removesuffix(".js") for case in CASES])
@both_runtimes
def test_hostile_program_gets_its_verdict_and_leaves_nothing_behind(
    case, sandbox_runtime, built_sandbox_image, docker_client
):
    expected = case.under(sandbox_runtime)
    graded = grade(HOSTILE / case.program, built_sandbox_image, case.wall_seconds, sandbox_runtime)
    result = graded.result
    endings = dict([(expected.verdict, expected.says), *filter(None, [expected.or_else])])
    says = endings.get(result["verdict"])

    assert graded.exit_status == 1 and says is not None, (result["verdict"], result["feedback"])
    assert result["sandbox_runtime"] == sandbox_runtime
    assert result["gradable"] is True and result["score"] < 1
    assert says in result["feedback"]
    if expected.check_output is not None:
        expected.check_output(result["output"])
    leaked = [name for name, value in FAKE_SECRETS.items() if value in json.dumps(result)]
    assert not leaked, f"secrets of the grader's host reached the sandbox: {leaked}"

    limits = dataclasses.replace(LAB, wall_seconds=case.wall_seconds)
    bound = outer_timeout_seconds(limits)
    if case.needs_outer_timeout:
        bound += AFTER_OUTER_TIMEOUT_SECONDS
    assert graded.elapsed_seconds < bound, "a termination bound, not a performance figure"
    assert graded.peak_rss_mib < GRADER_PEAK_RSS_CAP_MIB

    assert containers_of(docker_client, result["submission_id"]) == []
    # Under runc the student's processes are host processes of the sandbox's uid. Under runsc
    # they live inside gVisor's Sentry, so one of that uid on the host would be an escape,
    # and what a killed sandbox leaves shows as gVisor's own processes (sandbox, gofer) or a
    # containerd shim.
    assert sandbox_processes_outside_running_containers(docker_client) == []
    if sandbox_runtime == "runsc":
        assert runsc_processes_outside_running_containers(docker_client) == []

    after = grade(SOLUTION, built_sandbox_image, LAB.wall_seconds, sandbox_runtime).result
    assert after["verdict"] == "passed", after["feedback"]


# `grader grade` (the console script calls the same `main`), which at exit prints its own peak
# resident memory, VmHWM, on stderr. Not wait4(2)'s ru_maxrss: a child's starts from the size of
# the process it was forked from, so the test process's own memory would hide the grader's.
GRADE_AND_PRINT_PEAK_RSS = """
import atexit, sys
from grader.cli import main

def print_peak_rss():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                print('peak-rss-kib', line.split()[1], file=sys.stderr)

atexit.register(print_peak_rss)
sys.exit(main(['grade', '--lab', 'thread-lab', sys.argv[1]]))
"""


def grade(program: Path, image: str, wall_seconds: float, runtime: str = "runc") -> Graded:
    """Run `grader grade` on `program` with fake secrets in its environment, its sandbox
    under the OCI `runtime`."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SANDBOX_IMAGE": image,
        "SANDBOX_RUNTIME": runtime,
        "GRADER_MAX_WALL_SECONDS": str(wall_seconds),
        **{key: value for key, value in os.environ.items() if key.startswith("DOCKER_")},
        **FAKE_SECRETS,
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", GRADE_AND_PRINT_PEAK_RSS, str(program)],
        capture_output=True,
        env=environment,
        timeout=outer_timeout_seconds(LAB) + 60,
    )
    elapsed = time.monotonic() - started
    errors = done.stderr.decode("utf-8", "replace")
    assert done.stdout, f"grader grade printed no result (exit {done.returncode}): {errors}"
    peak = re.search(r"^peak-rss-kib (\d+)$", errors, re.MULTILINE)
    assert peak, errors
    return Graded(json.loads(done.stdout), done.returncode, elapsed, int(peak.group(1)) / 1024)


def containers_of(client, submission_id: str) -> list[str]:
    """Containers of this submission still known to the Engine, running or not.

    Keyed by the submission's label, so a concurrent suite on the same Engine cannot make
    this test fail, nor hide its leftovers.
    """
    filters = {"label": f"{SUBMISSION_LABEL}={submission_id}"}
    return [container.id for container in client.containers.list(all=True, filters=filters)]


def sandbox_processes_outside_running_containers(client) -> list[str]:
    """Host processes of the sandbox uid that no running container holds.

    Read from this host's /proc (the Engine is local in the suite). A process that escaped
    its container, or outlived its removal, would show up here; other suites' sandboxes
    running at the same time do not.
    """
    return _strays(client, _sandbox_uid_processes)


def _strays(client, processes) -> list[str]:
    """`processes()` whose container does not run, as "pid N: command"; a process caught
    between its container's removal and its own end is given a moment before it counts."""
    local = os.environ.get("DOCKER_HOST", "unix://").split("://")[0] == "unix"
    require(local, "the Engine is remote: its host's processes cannot be read here")
    for _ in range(20):
        running = {container.id for container in client.containers.list()}
        strays = [
            f"pid {pid}: {command[:120]}"
            for pid, command, container in processes()
            if container not in running
        ]
        if not strays:
            return []
        time.sleep(0.25)
    return strays


def _sandbox_uid_processes() -> list[tuple[int, str, str | None]]:
    """(pid, command, container id or None) of every process whose real uid is the sandbox's."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cgroups = (entry / "cgroup").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("latin-1")
        except OSError:
            continue  # it ended while we looked
        uid = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
        if uid is None or int(uid.group(1)) != SANDBOX_UID:
            continue
        container = re.search(r"[0-9a-f]{64}", cgroups)
        found.append((int(entry.name), command.strip(), container and container.group(0)))
    return found


def runsc_processes_outside_running_containers(client) -> list[str]:
    """gVisor's host processes (sandbox, gofer) and containerd shims of containers that do
    not run: what a failed or killed runsc sandbox would leave on the host.

    Under runsc the student's processes live inside the Sentry, not in the host's /proc, so
    this is where a leftover shows.
    """
    return _strays(client, _runtime_processes)


def _runtime_processes() -> list[tuple[int, str, str]]:
    """(pid, command, container id) of every runsc process and containerd shim."""
    runtime = ("runsc", "/usr/bin/runsc", "/usr/bin/containerd-shim")
    found = []
    for pid, command in host_command_lines():
        container = re.search(r"[0-9a-f]{64}", command)
        if command.startswith(runtime) and container:
            found.append((pid, command, container.group(0)))
    return found
