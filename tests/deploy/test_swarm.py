"""deploy/swarm/stack.yml for real: a two-node Docker Swarm grades a burst on both nodes.

Two extra Docker Engines (tests/deploy/swarm_nodes.py) form a swarm; the service images
are copied into them (`docker save | docker load`, no registry), both nodes are labelled
for grading, and the stack is deployed as an operator would, from the env file's
settings. A school and students are made with the operators' CLI (`docker exec` into
web's task on the manager); the students submit Thread Lab code over HTTP (inside node
A's namespace, as the TLS proxy there would relay it), eight submissions at once.
Each one must get exactly one recorded result, and both nodes' graders must have graded
some: the web-worker's `result.recorded` lines name the GradeResult's grader_host. The
stack's Python grader (its own service, on a node of its choosing) then grades a Python
lab's request put on its queue (tests/deploy/python_grading.py).

On the same swarm, then: node B's whole Docker Engine is killed (SIGKILL, its containers
with it) while it grades, node A re-grades what B was grading, every submission is graded
once, and B's leftover sandbox containers are removed once B is back; and the stack's
autoscaler, given a minimum of one grader, scales down on an idle queue, up for a burst,
and down again.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import secrets
import subprocess
import time
from dataclasses import dataclass

import pytest

from grader.sandbox import SANDBOX_LABEL, SUBMISSION_LABEL
from tests.conftest import PYTHON_SANDBOX_IMAGE, SANDBOX_IMAGE, require
from tests.deploy.compose_stack import ROOT, ProxiedBrowser, build_images, docker_socket_gid
from tests.deploy.host_figures import assert_host_figures
from tests.deploy.python_grading import enqueue_python_grading, published_result
from tests.deploy.swarm_nodes import (  # noqa: F401 (two_node_swarm is a fixture)
    SwarmNode,
    SwarmNodes,
    connect_inside,
    two_node_swarm,
)
from tests.deploy.test_compose import SOLUTION, engine_reachable, status_of, submit

pytestmark = pytest.mark.docker

STACK_FILE = ROOT / "deploy" / "swarm" / "stack.yml"
STACK = "cp"
SCHOOL = "north"
BASE_HOST = "courses.test"
WEB_PORT = 8000  # published on node A's own network only
PASSWORD = "a long enough password"
STUDENTS = 4
SUBMISSIONS_EACH = 2
READY_SECONDS = 180
GRADING_SECONDS = 180
# The fault and autoscaling scenarios: a small burst each.
SMALL_BURST = 4
ORPHANS_GONE_SECONDS = 180
SCALING_SECONDS = 120
SCALE_DOWN_SECONDS = 10


@dataclass
class NamespacedBrowser(ProxiedBrowser):
    """A visitor of web's port inside a node's network namespace (nothing on the host's)."""

    netns: str = ""

    def _connection(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.sock = connect_inside(self.netns, self.port)
        return connection


@dataclass
class SwarmStack:
    """The deployed stack and the nodes it runs on."""

    nodes: SwarmNodes

    def container_of(self, service: str, node: SwarmNode) -> str:
        """The id of the service's running container on a node."""
        ids = node.docker(
            "ps", "--quiet", "--filter", f"label=com.docker.swarm.service.name={STACK}_{service}"
        ).split()
        assert len(ids) == 1, f"{service} on {node.name}: {len(ids)} containers"
        return ids[0]

    def cli(self, *args: str) -> str:
        """The operators' CLI, in web's container on the manager."""
        return self.in_web("flask", "--app", "portal", *args)

    def in_web(self, *command: str) -> str:
        """A command in web's container on the manager; its standard output."""
        a = self.nodes.manager
        return a.docker("exec", self.container_of("web", a), *command)

    def browser(self, host: str) -> NamespacedBrowser:
        return NamespacedBrowser(WEB_PORT, host, netns=self.nodes.manager.netns)

    def recorded_results(self) -> list[dict]:
        """The web-worker's `result.recorded` log events, oldest first."""
        a = self.nodes.manager
        logs = subprocess.run(
            ["docker", "-H", f"unix://{a.socket_path}", "logs", self.container_of("web-worker", a)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        events = []
        for line in (logs.stdout + logs.stderr).splitlines():
            if line.startswith("{") and '"result.recorded"' in line:
                events.append(json.loads(line))
        return events


@pytest.fixture(scope="module")
def images() -> dict[str, str]:
    """The service images on the host's Engine (built, or reused by Docker's cache)."""
    require(engine_reachable(), "no Docker Engine is reachable (start dockerd)")
    started = time.monotonic()
    built = build_images()
    print(f"\nimages built or reused in {time.monotonic() - started:.0f} s")
    for sandbox in (SANDBOX_IMAGE, PYTHON_SANDBOX_IMAGE):
        subprocess.run(["docker", "image", "inspect", sandbox], capture_output=True, check=True)
    return built


@pytest.fixture(scope="module")
def stack(images, request) -> SwarmStack:
    """The stack deployed on the swarm, every service up and both graders ready."""
    nodes: SwarmNodes = request.getfixturevalue("two_node_swarm")  # after the images
    a, b = nodes.manager, nodes.worker
    started = time.monotonic()
    grading = [images["GRADER_IMAGE"], SANDBOX_IMAGE, PYTHON_SANDBOX_IMAGE]
    portal = [images["WEB_IMAGE"], images["POSTGRES_IMAGE"], images["VALKEY_IMAGE"]]
    nodes.load_images({a.name: grading + portal, b.name: grading})
    print(f"images loaded into both nodes in {time.monotonic() - started:.0f} s")

    for node in nodes.nodes:
        a.docker("node", "update", "--label-add", "platform.grader=true", node.name)
    settings = {
        "PORTAL_BASE_URL": f"https://{BASE_HOST}",
        "SECRET_KEY": secrets.token_hex(32),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "VALKEY_PASSWORD": secrets.token_hex(16),
        "DOCKER_GID": str(docker_socket_gid()),
        "WEB_PORT": str(WEB_PORT),
        "GRADER_REPLICAS": "2",
        "GRADER_MAX_PER_NODE": "1",
        # The autoscaler keeps the two graders until test_the_autoscaler... lowers its minimum.
        "STACK_NAME": STACK,
        "GRADER_MIN_REPLICAS": "2",
        "GRADER_MAX_REPLICAS": "2",
        "GRADER_SCALE_DOWN_SECONDS": str(SCALE_DOWN_SECONDS),
        # Every second: a small burst on one grader may be graded in a few seconds.
        "GRADER_SCALE_INTERVAL_SECONDS": "1",
        "SANDBOX_IMAGE": SANDBOX_IMAGE,
        # One Python grader, on either node; its autoscaler keeps it at one.
        "GRADER_PYTHON_REPLICAS": "1",
        "GRADER_PYTHON_MIN_REPLICAS": "1",
        "GRADER_PYTHON_MAX_REPLICAS": "1",
        "PYTHON_SANDBOX_IMAGE": PYTHON_SANDBOX_IMAGE,
        **images,
    }
    deployed = subprocess.run(
        ["docker", "-H", f"unix://{a.socket_path}", "stack", "deploy",
         "--resolve-image", "never", "--compose-file", str(STACK_FILE), STACK],
        env={**os.environ, **settings}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert deployed.returncode == 0, f"stack deploy: {deployed.stderr[-2000:]}"
    swarm_stack = SwarmStack(nodes)
    wait_until_ready(swarm_stack)
    print(f"stack deployed and ready in {time.monotonic() - started:.0f} s (loads included)")
    return swarm_stack


def healthy_graders(stack: SwarmStack, service: str) -> dict[str, list[str]]:
    """Each node's healthy containers of a grader service."""
    return {
        node.name: node.docker(
            "ps", "--quiet", "--filter", "health=healthy",
            "--filter", f"label=com.docker.swarm.service.name={STACK}_{service}",
        ).split()
        for node in stack.nodes.nodes
    }  # fmt: skip


def wait_until_ready(stack: SwarmStack) -> None:
    """web answers /readyz, each node runs one healthy grader, and one node the Python one."""
    deadline = time.monotonic() + READY_SECONDS
    state = "nothing yet"
    while time.monotonic() < deadline:
        healthy = healthy_graders(stack, "grader")
        python = healthy_graders(stack, "grader-python")
        try:
            ready = stack.browser(BASE_HOST).get("/readyz").status
        except OSError as error:
            ready = error
        state = f"graders healthy per node: {healthy}, Python's: {python}; web /readyz: {ready}"
        if (
            ready == 200
            and all(len(ids) == 1 for ids in healthy.values())
            and sum(len(ids) for ids in python.values()) == 1
        ):
            return
        time.sleep(2)
    services = stack.nodes.manager.docker(
        "service", "ps", "--no-trunc",
        "--format", "{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}",
        *(f"{STACK}_{name}" for name in ("web", "web-worker", "grader", "grader-python",
                                         "postgres", "valkey", "autoscaler",
                                         "autoscaler-python")),
    )  # fmt: skip
    raise AssertionError(f"stack not ready in {READY_SECONDS} s: {state}\n{services[-3000:]}")


@pytest.fixture(scope="module")
def school(stack) -> str:
    """The school whose students submit, made once for the module's scenarios."""
    stack.cli("school", "create", SCHOOL, "--name", "North")
    return SCHOOL


STUDENT_NUMBERS = itertools.count()


def new_student(stack: SwarmStack, number: int | None = None) -> NamespacedBrowser:
    """A student made by the CLI, who sets a password through its link and logs in."""
    number = next(STUDENT_NUMBERS) if number is None else number
    email = f"student{number}@{SCHOOL}.test"
    output = stack.cli(
        "user", "create", "--school", SCHOOL, "--email", email,
        "--role", "student", "--name", f"Student {number}",
    )  # fmt: skip
    link = re.search(r"https://([^/\s]+)(/auth/reset\?token=(\S+))", output)
    assert link, f"no set-password link in: {output}"
    browser = stack.browser(link.group(1))
    chosen = browser.post_form(
        "/auth/reset", {"token": link.group(3), "password": PASSWORD}, form_page=link.group(2)
    )
    assert chosen.status == 302, f"set password answered {chosen.status}"
    browser.cookies.clear()
    answer = browser.post_form("/auth/login", {"email": email, "password": PASSWORD})
    assert answer.status == 302, f"login answered {answer.status}"
    return browser


def wait_for_verdicts(
    submitted: list[tuple[NamespacedBrowser, str]], seconds: float = GRADING_SECONDS
) -> dict[str, str]:
    """Poll each submission's status until all are final (or `seconds` pass)."""
    verdicts: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    while len(verdicts) < len(submitted) and time.monotonic() < deadline:
        for browser, submission_id in submitted:
            if submission_id not in verdicts:
                status = status_of(browser, submission_id)
                if status["final"]:
                    verdicts[submission_id] = status["verdict"]
        time.sleep(1)
    assert len(verdicts) == len(submitted), f"not all graded in {seconds} s: {verdicts}"
    assert "infra_error" not in verdicts.values(), verdicts
    return verdicts


def graded_once(
    stack: SwarmStack, submitted: list[tuple[NamespacedBrowser, str]], verdicts: dict[str, str]
) -> dict[str, str]:
    """Assert each submission got exactly one recorded result; the host that graded each."""
    recorded: dict[str, list[dict]] = {}
    for event in stack.recorded_results():
        recorded.setdefault(event["submission_id"], []).append(event)
    hosts = {}
    for _, submission_id in submitted:
        events = [event for event in recorded.get(submission_id, []) if event["recorded"]]
        assert len(events) == 1, f"{submission_id}: {len(events)} results recorded"
        assert events[0]["verdict"] == verdicts[submission_id]
        hosts[submission_id] = events[0]["grader_host"]
    return hosts


def test_a_burst_is_graded_on_both_nodes_each_submission_once(stack, school):
    assert SOLUTION.is_file()
    a, b = stack.nodes.manager, stack.nodes.worker
    assert stack.nodes.ready_nodes() == {a.name: "Ready", b.name: "Ready"}
    students = [new_student(stack) for _ in range(STUDENTS)]

    started = time.monotonic()
    submitted = [
        (browser, submit(browser)) for _ in range(SUBMISSIONS_EACH) for browser in students
    ]
    verdicts = wait_for_verdicts(submitted)
    print(f"{len(submitted)} submissions graded in {time.monotonic() - started:.0f} s")
    hosts = graded_once(stack, submitted, verdicts)
    print(f"verdicts: {sorted(verdicts.values())}; graded per node: "
          f"{ {name: list(hosts.values()).count(name) for name in (a.name, b.name)} }")  # fmt: skip
    assert set(hosts.values()) == {a.name, b.name}

    # The Python grader, on its own queue: its node's Engine has the Python sandbox image.
    started = time.monotonic()
    python_submission = enqueue_python_grading(stack.in_web)
    status, result = published_result(stack.in_web, python_submission, GRADING_SECONDS)
    assert result is not None, f"no GradeResult from the Python grader; its job is {status}"
    assert (status, result["verdict"]) == ("finished", "passed"), result
    (python_node,) = [name for name, ids in healthy_graders(stack, "grader-python").items() if ids]
    assert result["grader_host"] == python_node
    # Read from the node's cgroup tree, which the stack mounts into its graders.
    assert_host_figures(result["measurements"])
    print(f"a Python lab graded passed on {python_node} in {time.monotonic() - started:.0f} s")


def sandboxes_on(node: SwarmNode, *, running_only: bool) -> dict[str, str]:
    """The node's sandbox containers: id -> the submission each grades."""
    listed = node.docker(
        "ps", *(() if running_only else ("--all",)), "--no-trunc",
        "--filter", f"label={SANDBOX_LABEL}",
        "--format", f'{{{{.ID}}}} {{{{.Label "{SUBMISSION_LABEL}"}}}}',
    )  # fmt: skip
    return dict(line.split() for line in listed.splitlines() if line.strip())


def test_node_b_engine_killed_mid_burst_is_regraded_on_a_and_its_containers_removed(stack, school):
    a, b = stack.nodes.manager, stack.nodes.worker
    students = [new_student(stack) for _ in range(SMALL_BURST // 2)]
    submitted = [(browser, submit(browser)) for _ in range(2) for browser in students]

    # Node B's Engine dies while one of its sandboxes grades a submission.
    running_on_b: dict[str, str] = {}
    deadline = time.monotonic() + GRADING_SECONDS
    while not running_on_b and time.monotonic() < deadline:
        running_on_b = sandboxes_on(b, running_only=True)
    assert running_on_b, "node B never ran a sandbox of the burst"
    b.kill_engine()
    killed = time.monotonic()

    # One grader left, and the killed job requeued once B's grader is seen dead.
    cut_short = [(browser, i) for browser, i in submitted if i in running_on_b.values()]
    wait_for_verdicts(cut_short, seconds=2 * GRADING_SECONDS)
    regraded = time.monotonic() - killed
    verdicts = wait_for_verdicts(submitted, seconds=2 * GRADING_SECONDS)
    all_graded = time.monotonic() - killed
    hosts = graded_once(stack, submitted, verdicts)
    for submission_id in running_on_b.values():
        assert hosts[submission_id] == a.name, f"{submission_id} graded on {hosts[submission_id]}"
    print(f"node B killed while grading {sorted(running_on_b.values())}: re-graded on A "
          f"{regraded:.0f} s after the kill, all {len(submitted)} graded, each once, "
          f"{all_graded:.0f} s after it; per node: "
          f"{ {name: list(hosts.values()).count(name) for name in (a.name, b.name)} }")  # fmt: skip

    # B comes back: its new grader removes the sandboxes of the killed run.
    b.start()
    back = time.monotonic()
    left: set[str] = set(running_on_b)
    deadline = back + ORPHANS_GONE_SECONDS
    while left and time.monotonic() < deadline:
        left &= set(sandboxes_on(b, running_only=False))
        time.sleep(2)
    assert not left, f"sandbox containers of the killed run still on B: {sorted(left)}"
    print(f"node B's leftover sandboxes removed {time.monotonic() - back:.0f} s after its return")
    wait_until_ready(stack)  # both graders again, for what follows


def test_the_autoscaler_follows_the_queue_never_below_its_minimum(stack, school):
    a = stack.nodes.manager
    replicas_seen: list[int] = []

    def replicas() -> int:
        spec = a.docker(
            "service", "inspect", "--format", "{{.Spec.Mode.Replicated.Replicas}}",
            f"{STACK}_grader",
        )  # fmt: skip
        replicas_seen.append(int(spec))
        return replicas_seen[-1]

    def wait_for_replicas(wanted: int, why: str) -> float:
        started = time.monotonic()
        while replicas() != wanted and time.monotonic() < started + SCALING_SECONDS:
            time.sleep(1)
        assert replicas_seen[-1] == wanted, f"{why}: {replicas_seen[-1]} graders, not {wanted}"
        return time.monotonic() - started

    assert replicas() == 2
    a.docker("service", "update", "--detach", "--env-add", "GRADER_MIN_REPLICAS=1",
             f"{STACK}_autoscaler")  # fmt: skip
    try:
        down = wait_for_replicas(1, "an idle queue")
        students = [new_student(stack) for _ in range(SMALL_BURST // 2)]
        submitted = [(browser, submit(browser)) for _ in range(2) for browser in students]
        up = wait_for_replicas(2, "a burst")
        verdicts = wait_for_verdicts(submitted)
        graded_once(stack, submitted, verdicts)
        down_again = wait_for_replicas(1, "the queue idle again")
        for _ in range(3 * SCALE_DOWN_SECONDS):  # idle, past the cool-down: stays at one
            replicas()
            time.sleep(1)
        print(f"autoscaler: down to 1 in {down:.0f} s, up to 2 {up:.0f} s after the burst, "
              f"down again {down_again:.0f} s after it was graded")  # fmt: skip
        assert min(replicas_seen) == 1 and replicas_seen[-1] == 1, replicas_seen
    finally:
        a.docker("service", "update", "--detach", "--env-add", "GRADER_MIN_REPLICAS=2",
                 f"{STACK}_autoscaler")  # fmt: skip
