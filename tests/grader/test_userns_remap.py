"""User-namespace remapping (dockerd `--userns-remap=default`), the option deploy/README.md
offers grader hosts: the Thread Lab's reference solution still passes, and the sandbox's
root is an unprivileged uid of the host.

The test starts a second Engine of its own: its socket, data root, exec root and pidfile in
a temporary directory, no bridge, no iptables rules, no TCP listener, its own containerd
namespaces, and the host's daemon.json left unread. It runs in a network namespace of its
own: an Engine started with `--bridge none` deletes the interface `docker0` where it runs,
which in the host's namespace is the host Engine's bridge (every later `docker build` and
bridged container then fails with "could not find bridge docker0"). It loads the sandbox
image from the host's Engine (`docker save | docker load`) and grades through the grader's
own runner.
On first use dockerd adds the `dockremap` user and its subordinate id ranges to the host
(/etc/passwd, /etc/subuid, /etc/subgid), as it does on a grader host.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import docker
import pytest
import yaml

from contract import SCHEMA_VERSION, GradeRequest, Limits, SubmittedFile
from grader.adapter import load_adapter
from grader.pipeline import grade_request
from grader.sandbox import run_in_sandbox
from tests.conftest import SANDBOX_IMAGE, require

pytestmark = pytest.mark.docker

COURSE = Path(__file__).resolve().parents[2] / "content" / "courses" / "node-workers"
ENGINE_START_SECONDS = 60


def subordinate_range(user: str) -> tuple[int, int]:
    """The first host uid and the count of `user`'s range in /etc/subuid."""
    for line in Path("/etc/subuid").read_text(encoding="utf-8").splitlines():
        name, start, count = line.split(":")
        if name == user:
            return int(start), int(count)
    raise AssertionError(f"/etc/subuid has no range for {user}")


class RemappedEngine:
    """A second dockerd with --userns-remap=default, stopped and removed by close()."""

    def __init__(self, directory: Path) -> None:
        """Start dockerd in `directory` (which close() removes); return once it answers."""
        self.directory = directory
        self.socket = directory / "docker.sock"
        self.log = directory / "dockerd.log"
        config = directory / "daemon.json"
        config.write_text("{}\n")  # not the host's /etc/docker/daemon.json
        command = [
            "unshare", "--net", "--",  # a network namespace of its own (module docstring)
            "dockerd",
            "--config-file", str(config),
            "--host", f"unix://{self.socket}",
            "--data-root", str(directory / "data"),
            "--exec-root", str(directory / "exec"),
            "--pidfile", str(directory / "dockerd.pid"),
            "--containerd-namespace", "course-userns-test",
            "--containerd-plugins-namespace", "course-userns-test-plugins",
            "--userns-remap", "default",
            "--bridge", "none",
            "--iptables=false",
            "--log-level", "warn",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.client = self._wait_until_answering()

    def _wait_until_answering(self) -> docker.DockerClient:
        deadline = time.monotonic() + ENGINE_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the remapped dockerd stopped: {self.tail_of_log()}")
            if self.socket.exists():
                client = docker.DockerClient(base_url=f"unix://{self.socket}")
                try:
                    client.ping()
                    return client
                except docker.errors.DockerException:
                    client.close()
            time.sleep(0.3)
        raise AssertionError(f"the remapped dockerd did not answer: {self.tail_of_log()}")

    def tail_of_log(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:]

    def docker(self, *args: str, **options) -> subprocess.CompletedProcess:
        """A docker CLI command against this Engine."""
        return subprocess.run(
            ["docker", "-H", f"unix://{self.socket}", *args], check=True, **options
        )

    def close(self) -> None:
        """Stop dockerd (and its containerd), then remove everything it wrote."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Mounts it left (a killed Engine's overlay or volume mounts), deepest first.
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        left = [
            line.split()[1] for line in mounts if line.split()[1].startswith(str(self.directory))
        ]
        for path in sorted(left, reverse=True):
            subprocess.run(["umount", "-l", path], capture_output=True, check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def remapped_engine(docker_client, sandbox_image) -> Iterator[RemappedEngine]:
    """A remapped Engine holding the sandbox image."""
    require(os.geteuid() == 0, "a second Docker Engine needs root")
    require(shutil.which("dockerd") is not None, "dockerd is not installed")
    # Short: a unix socket's path has at most 107 bytes, and containerd's lie below.
    directory = Path(f"/tmp/userns-{uuid.uuid4().hex[:8]}")
    directory.mkdir()
    host_bridge = Path("/sys/class/net/docker0")
    had_bridge = host_bridge.exists()
    engine = RemappedEngine(directory)
    try:
        with subprocess.Popen(["docker", "save", sandbox_image], stdout=subprocess.PIPE) as saved:
            engine.docker("load", "--quiet", stdin=saved.stdout, capture_output=True)
        assert saved.returncode == 0
        yield engine
    finally:
        engine.close()
    assert host_bridge.exists() or not had_bridge, "the second Engine deleted the host's docker0"


def thread_lab_request() -> GradeRequest:
    course = yaml.safe_load((COURSE / "course.yaml").read_text(encoding="utf-8"))
    (lab,) = [lab for lab in course["labs"] if lab["id"] == "thread-lab"]
    entrypoint = load_adapter("node").entrypoint_name(Path(lab["solution"]).name)
    return GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id=f"userns-{uuid.uuid4().hex[:8]}",
        tenant_id="1",
        lab_id=lab["id"],
        lab_kind=lab["kind"],
        files=(SubmittedFile(entrypoint, (COURSE / lab["solution"]).read_text()),),
        entrypoint=entrypoint,
        limits=Limits(**lab["limits"]),
        check_config=lab.get("check_config") or {},
        queued_at=datetime.now(UTC).isoformat(),
    )


def test_a_remapped_engine_grades_the_thread_lab_as_an_unprivileged_host_uid(remapped_engine):
    client = remapped_engine.client
    assert "name=userns" in client.info()["SecurityOptions"]
    runner = functools.partial(run_in_sandbox, client, SANDBOX_IMAGE, runtime="runc")

    result = grade_request(thread_lab_request(), runner, adapter=load_adapter("node"))

    assert result.verdict == "passed", result.feedback
    # The sandbox's root (and so its user 10001) is the dockremap range of the host.
    start, count = subordinate_range("dockremap")
    uid_map = remapped_engine.docker(
        "run", "--rm", "--network=none", "--user=10001:10001", "--entrypoint=cat",
        SANDBOX_IMAGE, "/proc/self/uid_map",
        capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert [int(number) for number in uid_map] == [0, start, count]
    assert start >= 65536  # above every ordinary account of the host, root included
