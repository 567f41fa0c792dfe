"""Fixtures for the sandbox image tests: a real Docker Engine and the real image.

The image is built once per session from services/sandbox-image/Dockerfile, on
`node:22-bookworm-slim` when that base is present locally and otherwise on the offline base
made by build-offline-base.sh. Each submission then runs in a fresh container with the same
hardening flags the grader uses. Without a Docker Engine the tests skip, except under
CI=true, where a skip would hide that nothing was tested, so they fail instead.
"""

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from contract import load_schema
from grader.seccomp import PROFILE_PATH
from tests.conftest import require

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE_CONTEXT = REPO_ROOT / "services" / "sandbox-image"
IMAGE_TAG = os.environ.get("SANDBOX_IMAGE", "course-sandbox-node:1")
DEFAULT_BASE = "node:22-bookworm-slim"
OFFLINE_BASE = "course-sandbox-base:node22-bookworm"
REPORT_PREFIX = "HARNESS-REPORT "
# The grader's limits (DESIGN.md section 5), spelled out as it passes them.
HARDENING_FLAGS = [
    "--network=none",
    "--read-only",
    "--tmpfs=/tmp:rw,nosuid,nodev,noexec,size=64m,nr_inodes=16384,mode=1777",
    "--ipc=none",
    "--user=10001:10001",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
    f"--security-opt=seccomp={PROFILE_PATH}",  # the CLI reads the file, the grader sends it
    "--pids-limit=64",
    "--memory=256m",
    "--memory-swap=256m",
    "--cpus=1",
    "--init",
    "--env=PATH=/usr/local/bin:/usr/bin:/bin",
    "--env=HOME=/tmp",
    "--env=LANG=C.UTF-8",
]
# Above the inner wall timeout, like the grader's: covers container start and teardown.
OUTER_TIMEOUT_MARGIN_SECONDS = 30


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _image_present(name: str) -> bool:
    return _docker("image", "inspect", name).returncode == 0


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A reachable Docker Engine, or a skip (a failure under CI=true) saying why not."""
    if shutil.which("docker") is None:
        require(False, "the docker CLI is not installed")
    try:
        version = _docker("version", "--format", "{{.Server.Version}}", timeout=20)
    except subprocess.TimeoutExpired:
        require(False, "the Docker Engine did not answer within 20 s")
    if version.returncode != 0:
        require(False, f"the Docker Engine is not reachable: {version.stderr.strip()}")


@pytest.fixture(scope="session")
def built_sandbox_image(docker_engine: None) -> str:
    """Build the sandbox image from the Dockerfile and return its tag."""
    base = os.environ.get("SANDBOX_BASE_IMAGE")
    if base is None:
        base = next((b for b in (DEFAULT_BASE, OFFLINE_BASE) if _image_present(b)), None)
    if base is None or not _image_present(base):
        require(
            False,
            f"no base image: neither {DEFAULT_BASE} nor {OFFLINE_BASE} is present "
            "(build one with services/sandbox-image/build-offline-base.sh)",
        )
    build = _docker(
        "build",
        "--build-arg",
        f"BASE_IMAGE={base}",
        "--tag",
        IMAGE_TAG,
        str(IMAGE_CONTEXT),
        timeout=600,
    )
    if build.returncode != 0:
        pytest.fail(f"docker build failed:\n{build.stdout}\n{build.stderr}", pytrace=False)
    return IMAGE_TAG


@dataclass(frozen=True)
class SandboxRun:
    """What the grader gets back from one container: the report and the exit code."""

    report: dict[str, Any]
    exit_code: int
    stdout_lines: list[str]
    elapsed_seconds: float


def _write_work_dir(work: Path, files: dict[str, str | bytes], job: dict[str, Any]) -> None:
    """Lay out /work as the grader does: job.json and submission/, readable, not writable."""
    submission = work / "submission"
    submission.mkdir(parents=True)
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    for name, content in files.items():
        target = submission / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)
    for path in [work, *work.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _parse_report(stdout: str) -> tuple[dict[str, Any], list[str]]:
    lines = stdout.rstrip("\n").split("\n")
    last = lines[-1]
    assert last.startswith(REPORT_PREFIX), f"last stdout line is not a report: {stdout!r}"
    report = json.loads(last[len(REPORT_PREFIX) :])
    jsonschema.Draft202012Validator(load_schema("harness-report")).validate(report)
    return report, lines


RunInSandbox = Callable[..., SandboxRun]


@dataclass(frozen=True)
class PlainRun:
    """The same program run by a plain `node`, without the harness."""

    exit_code: int
    stdout: str
    stderr: str


RunPlainNode = Callable[..., PlainRun]


def _docker_run(name: str, arguments: list[str], timeout: float) -> subprocess.CompletedProcess:
    command = [
        "docker",
        "run",
        "--rm",
        f"--name={name}",
        "--label=org.course-platform.test=sandbox",
        *HARDENING_FLAGS,
        *arguments,
    ]
    try:
        return subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        _docker("rm", "--force", name)
        pytest.fail(f"the container {name} outlived the outer timeout", pytrace=False)


@pytest.fixture
def run_in_sandbox(built_sandbox_image: str, tmp_path: Path) -> RunInSandbox:
    """Return run(files, entrypoint=..., wall_seconds=..., ...) -> SandboxRun."""
    counter = 0

    def run(
        files: dict[str, str | bytes],
        *,
        entrypoint: str = "main.js",
        wall_seconds: float = 3.0,
        output_bytes: int = 1024 * 1024,
        goal: str | None = None,
        stop_after_goal_ms: int | None = None,
        lab_kind: str = "thread-lab",
        check_config: dict[str, Any] | None = None,
        docker_flags: tuple[str, ...] = (),
    ) -> SandboxRun:
        """`docker_flags` come after the hardening flags: the last --cpus (etc.) wins."""
        nonlocal counter
        counter += 1
        work = tmp_path / f"work-{counter}"
        job = {
            "lab_kind": lab_kind,
            "entrypoint": entrypoint,
            "wall_seconds": wall_seconds,
            "output_bytes": output_bytes,
            "goal": goal,
            "stop_after_goal_ms": stop_after_goal_ms,
            "check_config": check_config or {},
        }
        _write_work_dir(work, files, job)
        started = time.monotonic()
        done = _docker_run(
            f"sandbox-test-{uuid.uuid4().hex[:12]}",
            [*docker_flags, f"--volume={work}:/work:ro", built_sandbox_image],
            timeout=wall_seconds + OUTER_TIMEOUT_MARGIN_SECONDS,
        )
        elapsed = time.monotonic() - started
        report, lines = _parse_report(done.stdout.decode("utf-8"))
        return SandboxRun(report, done.returncode, lines, elapsed)

    return run


@pytest.fixture
def run_plain_node(built_sandbox_image: str, tmp_path: Path) -> RunPlainNode:
    """Return run(files, entrypoint) -> PlainRun: `node <entrypoint>` in the same container."""

    def run(files: dict[str, str | bytes], entrypoint: str) -> PlainRun:
        work = tmp_path / f"plain-{uuid.uuid4().hex[:8]}"
        _write_work_dir(work, files, job={})
        done = _docker_run(
            f"sandbox-test-plain-{uuid.uuid4().hex[:12]}",
            [
                f"--volume={work}:/work:ro",
                "--workdir=/work/submission",
                "--entrypoint=node",
                built_sandbox_image,
                entrypoint,
            ],
            timeout=OUTER_TIMEOUT_MARGIN_SECONDS,
        )
        return PlainRun(
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
        )

    return run
