"""One sandbox run against a scripted Engine: the container is always removed."""

import json

import pytest
import requests
from docker.errors import APIError, ImageNotFound

from contract import Limits
from grader.sandbox import ContainerRemovals, InfrastructureError, SandboxJob, run_in_sandbox

JOB = SandboxJob(
    "7", {"main.js": "console.log(1)"}, {"entrypoint": "main.js"}, Limits(2, 256, 1, 64, 4096)
)


class FakeContainer:
    def __init__(self, engine):
        self.engine = engine
        self.id = "f" * 64  # no such cgroup here: the host figures stay None
        self.attrs = {"State": {"OOMKilled": engine.oom_killed}}
        self.removed = False
        self.killed = False

    def attach_socket(self, params):
        assert params == {"stdin": 1, "stream": 1}
        return FakeStdin(self.engine)

    def start(self):
        if self.engine.fail_on == "start":
            raise APIError("cannot start")

    def wait(self, timeout):
        self.engine.waited_with = timeout
        if self.engine.hang:
            raise requests.exceptions.ReadTimeout("read timed out")
        return {"StatusCode": self.engine.exit_code}

    def kill(self):
        self.killed = True
        if self.engine.fail_on == "kill":
            raise APIError("container is not running", response=_Response(409))

    def logs(self, stdout, stderr):
        return b"HARNESS-REPORT {}\n"

    def reload(self):
        pass

    def remove(self, force, v):
        assert force and v
        self.removed = True


class FakeStdin:
    """The attached stdin: what the grader wrote, and whether it ended it."""

    def __init__(self, engine):
        self.engine = engine
        engine.stdin = self
        self.data, self.ended, self.closed = b"", False, False

    def sendall(self, data):
        self.data += data

    def shutdown(self, how):
        self.ended = True

    def close(self):
        self.closed = True


class _Response:
    def __init__(self, status_code):
        self.status_code = status_code


class FakeEngine:
    def __init__(self, exit_code=0, oom_killed=False, hang=False, fail_on=None):
        self.exit_code, self.oom_killed, self.hang, self.fail_on = (
            exit_code,
            oom_killed,
            hang,
            fail_on,
        )
        self.created, self.options, self.stdin = [], None, None
        self.containers = self

    def create(self, image, **options):
        if self.fail_on == "create":
            raise ImageNotFound("no such image")
        self.options = options
        container = FakeContainer(self)
        self.created.append(container)
        return container


def test_normal_run_reports_exit_code_and_removes_the_container():
    engine = FakeEngine(exit_code=0)
    run = run_in_sandbox(engine, "img", JOB)
    assert run.exit_code == 0 and not run.outer_timeout and not run.oom_killed
    assert run.stdout.startswith(b"HARNESS-REPORT")
    assert engine.created[0].removed
    # The job and the files went in on the harness's stdin, which was then ended.
    sent = json.loads(engine.stdin.data)
    assert sent == {"job": JOB.harness_job, "files": JOB.files}
    assert engine.stdin.ended and engine.stdin.closed
    assert engine.options["stdin_open"]
    assert "mounts" not in engine.options  # no volume, no host path
    assert engine.options["network_mode"] == "none"


def test_hanging_container_is_killed_by_the_outer_timeout_and_removed():
    engine = FakeEngine(hang=True)
    run = run_in_sandbox(engine, "img", JOB)
    assert run.outer_timeout and run.exit_code is None
    assert engine.created[0].killed and engine.created[0].removed
    assert engine.waited_with > JOB.limits.wall_seconds


def test_container_that_ends_as_the_outer_timeout_fires_is_still_a_timeout_not_ours():
    engine = FakeEngine(hang=True, fail_on="kill")
    run = run_in_sandbox(engine, "img", JOB)
    assert run.outer_timeout and engine.created[0].removed


def test_log_keeps_two_files_so_a_report_cut_by_rotation_is_read_whole():
    engine = FakeEngine()
    run_in_sandbox(engine, "img", JOB)
    assert engine.options["log_config"]["Config"] == {"max-size": "2m", "max-file": "2"}


def test_oom_kill_is_reported():
    assert run_in_sandbox(FakeEngine(exit_code=137, oom_killed=True), "img", JOB).oom_killed


@pytest.mark.parametrize("fail_on", ["create", "start"])
def test_engine_failure_is_an_infrastructure_error_and_leaves_nothing(fail_on):
    engine = FakeEngine(fail_on=fail_on)
    with pytest.raises(InfrastructureError):
        run_in_sandbox(engine, "img", JOB)
    assert all(container.removed for container in engine.created)


def test_handed_removals_remove_the_container_when_the_caller_is_done():
    engine = FakeEngine()
    with ContainerRemovals() as removals:
        run = run_in_sandbox(engine, "img", JOB, removals=removals)
        assert not engine.created[0].removed  # the caller answers first
        assert "remove" not in run.phases_ms
    assert engine.created[0].removed and removals.all_removed


@pytest.mark.parametrize("fail_on", ["create", "start"])
def test_handed_removals_remove_a_failed_runs_container_too(fail_on):
    engine = FakeEngine(fail_on=fail_on)
    with pytest.raises(InfrastructureError), ContainerRemovals() as removals:
        run_in_sandbox(engine, "img", JOB, removals=removals)
    assert all(container.removed for container in engine.created)


def test_a_removal_that_fails_is_said_and_the_others_are_still_removed():
    engine = FakeEngine()
    with ContainerRemovals() as removals:
        run_in_sandbox(engine, "img", JOB, removals=removals)
        run_in_sandbox(engine, "img", JOB, removals=removals)
        engine.created[0].remove = _unreachable
    assert engine.created[1].removed and not removals.all_removed


def _unreachable(force, v):
    raise requests.exceptions.ConnectionError("the Engine went away")
