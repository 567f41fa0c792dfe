"""The host's sandbox runtime (SANDBOX_RUNTIME) on a real Engine: chosen, checked, recorded.

Under either runtime (runsc: gVisor, registered with the Engine as deploy/README.md says;
runc: with the grader's seccomp profile) the labs' reference solutions are never failed: a
measurement gVisor cannot make precise enough is inconclusive, not a fail. A runtime the
Engine lacks keeps the grader out of work with a reason an operator can act on, and a start
that fails under runsc leaves nothing behind once the janitor has run. Only a grader whose
own runtime is runsc runs that janitor: a runc grader never runs runsc.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import docker
import pytest
import yaml

from contract import SCHEMA_VERSION, GradeRequest, Limits, SubmittedFile
from grader import watch as watch_module
from grader.adapter import KNOWN_ADAPTERS, load_adapter
from grader.config import ConfigError, GraderConfig
from grader.health_server import check_docker
from grader.pipeline import grade_request
from grader.runsc_leftovers import DEFAULT_EXEC_ROOT, reap_leaked_sandboxes, runsc_root
from grader.sandbox import SANDBOX_LABEL, run_in_sandbox
from grader.watch import GraderWatch
from tests.conftest import (
    PYTHON_SANDBOX_IMAGE,
    SANDBOX_IMAGE,
    both_runtimes,
    host_command_lines,
    require,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
COURSES = REPO_ROOT / "content" / "courses"
# The content's grader names, and what grades them here.
GRADERS = {
    "node-sandbox": ("node", SANDBOX_IMAGE),
    "python-sandbox": ("python", PYTHON_SANDBOX_IMAGE),
}


def reference_labs() -> list[tuple[str, dict]]:
    """(course directory, lab) of every lab of the content that ships a reference solution."""
    labs = []
    for course_file in sorted(COURSES.glob("*/course.yaml")):
        course = yaml.safe_load(course_file.read_text(encoding="utf-8"))
        labs += [(course_file.parent.name, lab) for lab in course["labs"] if lab.get("solution")]
    return labs


REFERENCE_LABS = reference_labs()
# Each adapter's sandbox image, where every lab it grades has a directory of its own.
IMAGE_LABS = {
    "node": REPO_ROOT / "services" / "sandbox-image" / "labs",
    "python": REPO_ROOT / "services" / "sandbox-image-python" / "labs",
}


def test_every_lab_a_grader_grades_has_a_reference_solution_graded_under_both_runtimes():
    """The reference-solution test below covers every lab there is: each lab kind of each
    adapter, and each lab directory of its sandbox image, is a content lab with a solution.
    A lab added without one fails here instead of going ungraded under runsc in CI."""
    assert set(IMAGE_LABS) == set(KNOWN_ADAPTERS) == {name for name, _ in GRADERS.values()}
    graded = {(GRADERS[lab["grader"]][0], lab["kind"]) for _, lab in REFERENCE_LABS}
    for name in KNOWN_ADAPTERS:
        kinds = set(load_adapter(name).lab_kinds)
        in_image = {path.name for path in IMAGE_LABS[name].iterdir() if path.is_dir()}
        assert kinds == in_image - {"__pycache__"}, name
        assert {(name, kind) for kind in kinds} <= graded, name


def test_the_runtime_is_the_hosts_choice_among_the_known_ones():
    assert GraderConfig.from_env({}).sandbox_runtime == "runc"
    assert GraderConfig.from_env({"SANDBOX_RUNTIME": "runsc"}).sandbox_runtime == "runsc"
    with pytest.raises(ConfigError, match="SANDBOX_RUNTIME='kata'"):
        GraderConfig.from_env({"SANDBOX_RUNTIME": "kata"})


@pytest.mark.docker
def test_an_engine_without_the_runtime_is_not_ready_and_says_why(docker_client, sandbox_image):
    problem = check_docker(sandbox_image, "no-such-runtime")

    assert "no runtime 'no-such-runtime'" in problem and "daemon.json" in problem
    assert check_docker(sandbox_image, "runc") == "ok"


@pytest.mark.docker
@pytest.mark.parametrize("sandbox_runtime", ["runsc"], indirect=True)
def test_an_engine_with_runsc_registered_is_ready_for_it(sandbox_runtime, sandbox_image):
    assert check_docker(sandbox_image, sandbox_runtime) == "ok"


@pytest.mark.docker
@pytest.mark.parametrize(
    ("course", "lab"),
    REFERENCE_LABS,
    ids=[f"{course}/{lab['id']}" for course, lab in REFERENCE_LABS],
)
@both_runtimes
def test_a_reference_solution_is_never_failed_under_either_runtime(
    course, lab, sandbox_runtime, docker_client, no_leftover_containers
):
    """Under runc with the seccomp profile (grader.seccomp), which refuses no honest call."""
    adapter_name, image = GRADERS[lab["grader"]]
    require_image(docker_client, image)
    adapter = load_adapter(adapter_name)
    source = (COURSES / course / lab["solution"]).read_text(encoding="utf-8")
    entrypoint = lab.get("entrypoint") or adapter.entrypoint_name(Path(lab["solution"]).name)
    request = GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id=f"runsc-{lab['id']}-{uuid.uuid4().hex[:8]}",
        tenant_id="1",
        lab_id=lab["id"],
        lab_kind=lab["kind"],
        files=(SubmittedFile(entrypoint, source),),
        entrypoint=entrypoint,
        limits=Limits(**lab["limits"]),
        check_config=lab.get("check_config") or {},
        queued_at=datetime.now(UTC).isoformat(),
    )
    runner = functools.partial(run_in_sandbox, docker_client, image, runtime=sandbox_runtime)

    result = grade_request(request, runner, adapter=adapter)

    assert result.sandbox_runtime == sandbox_runtime
    # inconclusive: a speed check gVisor measured too coarsely to decide, never a fail.
    assert result.verdict in ("passed", "inconclusive"), result.feedback


@pytest.mark.docker
@pytest.mark.parametrize("sandbox_runtime", ["runsc"], indirect=True)
def test_the_janitor_reaps_what_a_failed_start_under_runsc_leaves(
    sandbox_runtime, docker_client, sandbox_image
):
    root = runsc_root(DEFAULT_EXEC_ROOT)
    container = docker_client.containers.create(
        sandbox_image,
        entrypoint=["/no/such/program"],
        runtime=sandbox_runtime,
        network_mode="none",
        labels={SANDBOX_LABEL: "1"},
    )
    with pytest.raises(docker.errors.APIError):
        container.start()
    container.remove(force=True)
    assert container.id in runsc_ids(root), "the failed start left no sandbox: nothing to test"
    assert host_processes_naming(container.id), "gVisor's sandbox and shim outlived the removal"

    reaped = reap_leaked_sandboxes(docker_client)

    assert container.id in reaped
    assert container.id not in runsc_ids(root)
    assert processes_gone(container.id)


@pytest.mark.docker
@pytest.mark.valkey
@pytest.mark.parametrize(("grader_runtime", "runs_runsc"), [("runc", False), ("runsc", True)])
def test_only_a_runsc_graders_watch_runs_runsc(
    grader_runtime, runs_runsc, redis_url, docker_client, monkeypatch
):
    """Only a start under runsc leaks runsc sandboxes: a runc grader's watch must not spend
    the sandboxes' CPU on `runsc list` every janitor run, even where runsc is installed."""
    require(
        shutil.which("runsc") is not None and runsc_root(DEFAULT_EXEC_ROOT).is_dir(),
        "runsc is not installed here: no grader would run it",
    )
    monkeypatch.setattr(watch_module, "_docker_client", lambda: docker_client)
    commands = []
    run = subprocess.run

    def recorded(command, *args, **kwargs):
        commands.append(command)
        return run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", recorded)
    name = uuid.uuid4().hex[:8]
    watch = GraderWatch(
        redis_url, f"grader-{name}", "grading", f"watch-{name}", sandbox_runtime=grader_runtime
    )
    try:
        watch.tick()
    finally:
        watch.connection.close()

    assert any(command[0] == "runsc" for command in commands) == runs_runsc, commands


def runsc_ids(root: Path) -> list[str]:
    listed = subprocess.run(
        ["runsc", "--root", str(root), "list", "--quiet"], capture_output=True, text=True
    )
    return listed.stdout.split()


def processes_gone(container_id: str) -> bool:
    """Whether the container's host processes end within a few seconds (a shim exits once
    containerd deleted its task, not at once)."""
    for _ in range(40):
        if not host_processes_naming(container_id):
            return True
        time.sleep(0.25)
    return False


def host_processes_naming(container_id: str) -> list[str]:
    """Host processes whose command line names the container (runsc's, its shim's)."""
    return [
        f"{pid}: {command[:100]}"
        for pid, command in host_command_lines()
        if container_id in command and "pytest" not in command
    ]


def require_image(client: docker.DockerClient, image: str) -> None:
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        require(False, f"the sandbox image {image} is missing")
