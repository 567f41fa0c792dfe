"""What the host's cgroup counted for a sandbox: read for cgroup v1 and v2, and how it
classifies a death without a report (an OOM, a fork bomb) under either runtime."""

import errno
import os
import time
from pathlib import Path

import pytest

from grader import host_usage
from grader.host_usage import HostUsage, UsageWatch, cgroup_dirs, open_cgroup, read_usage
from grader.pipeline import grade_request
from grader.sandbox import SandboxRun, run_in_sandbox
from tests.grader.test_pipeline import report, request
from tests.grader.test_sandbox import JOB, FakeEngine

CONTAINER = "c0ffee" * 10


def v1_host(root: Path, parent: str = "docker", container: str = CONTAINER) -> Path:
    """A cgroup v1 tree holding the container's counters: 0.25 s throttled, 300 MiB peak,
    one OOM kill, 17 forks refused."""
    files = {
        "cpu/cpu.stat": "nr_periods 40\nnr_throttled 12\nthrottled_time 250000000\n",
        "memory/memory.max_usage_in_bytes": f"{300 << 20}\n",
        "memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
        "pids/pids.events": "max 17\n",
    }
    for name, text in files.items():
        controller, file = name.split("/")
        place = root / controller / parent / container
        place.mkdir(parents=True, exist_ok=True)
        (place / file).write_text(text)
    return root


def v2_host(root: Path, slice_dir: str = "system.slice", container: str = CONTAINER) -> Path:
    """A cgroup v2 tree (systemd driver) with the same counters as v1_host."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    place = root / slice_dir / f"docker-{container}.scope"
    place.mkdir(parents=True)
    (place / "cpu.stat").write_text(
        "usage_usec 9000\nnr_periods 40\nnr_throttled 12\nthrottled_usec 250000\n"
    )
    (place / "memory.peak").write_text(f"{300 << 20}\n")
    (place / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (place / "pids.events").write_text("max 17\n")
    return root


EXPECTED = HostUsage(
    cpu_periods=40,
    throttled_periods=12,
    throttled_ms=250.0,
    memory_peak_bytes=300 << 20,
    oom_kills=1,
    forks_refused=17,
)


@pytest.mark.parametrize("make_host", [v1_host, v2_host], ids=["cgroup-v1", "cgroup-v2"])
def test_the_counters_read_the_same_under_either_cgroup_version(tmp_path, make_host):
    assert read_usage(CONTAINER, "", make_host(tmp_path)) == EXPECTED


def test_a_cgroup_parent_the_engine_was_given_is_followed(tmp_path):
    root = v1_host(tmp_path, parent="graders/host-a")

    assert read_usage(CONTAINER, "/graders/host-a", root) == EXPECTED
    assert read_usage(CONTAINER, "", root) == HostUsage()


def test_a_host_without_the_cgroup_reports_nothing_rather_than_a_guess(tmp_path):
    # A remote Engine, or a grader in a container of its own: no figure, never a zero.
    assert read_usage(CONTAINER, "", tmp_path) == HostUsage()
    assert set(HostUsage().as_measurements().values()) == {None}


def test_v1_with_the_systemd_driver_is_read_from_the_scope(tmp_path):
    # Docker's systemd driver on a cgroup v1 host: memory/system.slice/docker-<id>.scope.
    root = v1_host(tmp_path, parent=f"system.slice/docker-{CONTAINER}.scope", container="")

    assert read_usage(CONTAINER, "", root) == EXPECTED


def test_a_slice_the_engine_was_given_is_followed_to_its_place(tmp_path):
    # systemd nests a slice under each of its dash-separated prefixes.
    root = v2_host(tmp_path, slice_dir="graders.slice/graders-node.slice")

    assert read_usage(CONTAINER, "graders-node.slice", root) == EXPECTED


@pytest.mark.parametrize("make_host", [v1_host, v2_host], ids=["cgroup-v1", "cgroup-v2"])
def test_the_sandbox_run_reads_the_host_tree_where_the_grader_mounts_it(tmp_path, make_host):
    # A grader in a container (compose): the host's /sys/fs/cgroup is mounted elsewhere
    # (GRADER_HOST_CGROUP_DIR); its own /sys/fs/cgroup shows only its own cgroup.
    mounted = make_host(tmp_path / "host" / "sys" / "fs" / "cgroup", container="f" * 64)

    run = run_in_sandbox(FakeEngine(), "img", JOB, cgroup_root=mounted)

    assert run.usage == EXPECTED
    assert run_in_sandbox(FakeEngine(), "img", JOB).usage == HostUsage()


def test_v2_places_the_systemd_scope_first(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("")
    assert cgroup_dirs("abc", "", tmp_path)[0].name == "docker-abc.scope"


def test_readings_merge_to_the_largest_of_each_counter():
    earlier = HostUsage(cpu_periods=10, memory_peak_bytes=5, forks_refused=None)
    later = HostUsage(cpu_periods=12, memory_peak_bytes=None, forks_refused=2)

    assert earlier.merged(later) == HostUsage(cpu_periods=12, memory_peak_bytes=5, forks_refused=2)


def wait_until(condition, what: str) -> None:
    """Wait for the watch's thread to get there; fail rather than hang if it never does."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"the watch never {what}"
        time.sleep(0.01)


def remove_the_cgroup(monkeypatch) -> None:
    """What a held cgroup file does once runc removes the cgroup (measured on a cgroup v1
    host): a read fails with ENODEV. Files unlinked from a test's tmpfs would stay readable."""

    def removed(fd: int, length: int, offset: int) -> bytes:
        raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))

    monkeypatch.setattr(os, "pread", removed)


def test_the_watch_keeps_what_it_read_after_the_cgroup_is_gone(tmp_path, monkeypatch):
    # runc removes the container's cgroup once it exits: the last sample must survive that.
    root = v1_host(tmp_path)
    with UsageWatch(CONTAINER, "", root) as watch:
        wait_until(lambda: watch.usage.memory_peak_bytes is not None, "read the cgroup")
        remove_the_cgroup(monkeypatch)

    assert watch.usage == EXPECTED


def test_a_cgroup_that_comes_late_is_still_read_while_it_is_there(tmp_path, monkeypatch):
    # runsc may make the container's cgroup after the first sample, a controller at a time:
    # the watch looks again until every file is there, then reads it before it goes.
    looks = []

    def look(*where):
        looks.append(where)
        return open_cgroup(*where)

    monkeypatch.setattr(host_usage, "open_cgroup", look)
    root = v1_host(tmp_path)
    pids_events = root / "pids" / "docker" / CONTAINER / "pids.events"
    pids_events.unlink()
    with UsageWatch(CONTAINER, "", root) as watch:
        wait_until(lambda: len(looks) >= 2, "looked again")
        assert watch.usage == HostUsage()  # nothing while one file is missing
        pids_events.write_text("max 17\n")
        wait_until(lambda: watch.usage.forks_refused is not None, "read the late cgroup")
        remove_the_cgroup(monkeypatch)

    assert watch.usage == EXPECTED


@pytest.mark.parametrize("make_host", [v1_host, v2_host], ids=["cgroup-v1", "cgroup-v2"])
def test_the_cgroup_files_are_closed_once_read(tmp_path, make_host):
    root = make_host(tmp_path)
    before = sorted(os.listdir("/proc/self/fd"))

    with UsageWatch(CONTAINER, "", root) as watch:
        wait_until(lambda: watch.usage.memory_peak_bytes is not None, "read the cgroup")
    read_usage(CONTAINER, "", root)

    assert sorted(os.listdir("/proc/self/fd")) == before


def died(exit_code: int, usage: HostUsage, oom_killed: bool = False, stdout: bytes = b""):
    """A runner whose sandbox ended as the Engine and the host cgroup saw it."""
    return lambda job: SandboxRun(exit_code, stdout, oom_killed, False, "t", "runsc", usage)


@pytest.mark.parametrize(
    ("run", "verdict", "says"),
    [
        # runsc: an OOM in a child process ends the whole sandbox; even without the Engine's
        # OOMKilled, the host cgroup counted the kill.
        (died(137, HostUsage(oom_kills=1)), "memory_exceeded", "used 256 MiB of 256 MiB"),
        (died(137, HostUsage(), oom_killed=True), "memory_exceeded", "used 256 MiB of 256 MiB"),
        # runsc: a fork bomb spends the Sentry's host tasks; it panics, exit 2, no output.
        (
            died(2, HostUsage(forks_refused=40)),
            "process_limit_exceeded",
            "more processes and threads",
        ),
        # A harness that ended 0 with no report because the bomb left it no process to
        # write one with: the student's doing as well.
        (died(0, HostUsage(forks_refused=3)), "process_limit_exceeded", "(at most 64)"),
        # Nothing on the host explains it: our harness broke, or the student ended it.
        (died(0, HostUsage()), "infra_error", "does not count"),
        (died(2, HostUsage()), "error", "ended the grader's harness"),
    ],
    ids=["oom-count", "oom-killed", "fork-bomb", "fork-bomb-exit-0", "no-report", "killed"],
)
def test_a_sandbox_that_died_without_a_report_gets_the_students_verdict(run, verdict, says):
    result = grade_request(request(), run)

    assert result.verdict == verdict, result.feedback
    assert says in result.feedback
    assert result.gradable is (verdict != "infra_error")


def test_a_fork_bomb_that_ran_to_the_wall_time_is_the_process_limit_not_the_clock():
    # runc: the bomb spins at the pids limit and the harness reports a timeout.
    spun = report(status="timeout", exit_code=None, signal="SIGKILL")

    result = grade_request(request(), died(0, HostUsage(forks_refused=900), stdout=spun))

    assert result.verdict == "process_limit_exceeded" and "(at most 64)" in result.feedback
    assert result.score == 0.0  # the checks that held before the bomb earn nothing
    start_here = next(check for check in result.checks if check.name == "exits_cleanly")
    assert "more processes and threads than the sandbox allows" in start_here.message


def test_a_sandbox_hung_past_the_outer_timeout_after_refused_forks_is_the_process_limit():
    # runsc: once the host refused the Sentry's forks, the sandbox can hang until the
    # grader's own timeout kills it, with no report.
    hung = lambda job: SandboxRun(  # noqa: E731
        None, b"", False, True, "t", "runsc", HostUsage(forks_refused=12)
    )

    result = grade_request(request(), hung)

    assert (result.verdict, result.gradable, result.score) == ("process_limit_exceeded", True, 0)
    assert "(at most 64)" in result.feedback


def test_a_sandbox_hung_past_the_outer_timeout_with_no_refused_fork_is_a_timeout():
    hung = lambda job: SandboxRun(None, b"", False, True, "t", "runsc", HostUsage())  # noqa: E731

    assert grade_request(request(), hung).verdict == "timeout"


@pytest.mark.parametrize(
    ("tasks", "verdict"),
    [
        ({"count": 64, "limit": 64}, "process_limit_exceeded"),
        ({"count": 12, "limit": 64}, "timeout"),  # an endless loop, far from the limit
        (None, "timeout"),  # an older harness counts nothing
    ],
    ids=["at-the-limit", "below-it", "not-counted"],
)
def test_under_runsc_the_harness_count_at_the_wall_time_tells_a_fork_bomb(tasks, verdict):
    # runsc: RLIMIT_NPROC inside gVisor held the bomb, so the host refused no fork; only the
    # harness, counting the sandbox's tasks before its kill, saw every one of them in use.
    spun = report(status="timeout", exit_code=None, signal="SIGKILL", tasks_at_stop=tasks)

    result = grade_request(request(), died(0, HostUsage(forks_refused=0), stdout=spun))

    assert result.verdict == verdict, result.feedback
    assert result.score == 0.0
    assert result.measurements.get("tasks_at_stop") == tasks


def test_a_malformed_task_count_makes_the_report_untrusted():
    spun = report(status="timeout", exit_code=None, tasks_at_stop={"count": -1, "limit": 64})

    result = grade_request(request(), died(0, HostUsage(), stdout=spun))

    assert result.verdict == "infra_error"


def test_refused_forks_never_fail_a_program_that_ended_well():
    result = grade_request(request(), died(0, HostUsage(forks_refused=1), stdout=report()))

    assert result.verdict == "passed"


def test_the_host_figures_are_in_the_measurements_with_or_without_a_report():
    usage = HostUsage(throttled_periods=3, memory_peak_bytes=1 << 28, oom_kills=1)

    reported = grade_request(request(), died(0, usage, stdout=report()))
    silent = grade_request(request(), died(137, usage))

    assert reported.measurements["host_usage"]["throttled_periods"] == 3
    assert silent.measurements["host_usage"]["memory_peak_bytes"] == 1 << 28
