"""compose.yaml for real: the production stack on this Engine, as a school's server runs it.

The images are built (or reused) by scripts/build-service-images.sh, then one compose
project with a generated env file (random secrets, its own name, web on a free loopback
port) serves every test here. A school and a student are made with the operators' CLI
through `compose exec`; the student sets a password through the link the CLI printed,
logs in and submits Thread Lab code over HTTP (as the TLS proxy relays it), and the
grader container grades it in a sandbox container through the host's socket, reading what
the sandbox used from the host's cgroup tree mounted into it. The
grader-python container grades a Python lab's request put on its own queue
(tests/deploy/python_grading.py: the portal routes no Python lab until the Python course
is published). Caddy
with deploy/proxy/Caddyfile serves the same student over real HTTPS. The data outlives
`compose down` and `up`, and a submission made while the grader is stopped (and Valkey
restarted) is graded once it starts again. Everything the project made is removed at the end; the
images are kept (`make images` builds the same ones).
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require
from tests.deploy.compose_stack import (
    COMPOSE_BINARY,
    CaddyProxy,
    ComposeStack,
    ProxiedBrowser,
    build_images,
)
from tests.deploy.host_figures import assert_host_figures
from tests.deploy.python_grading import enqueue_python_grading, published_result

pytestmark = pytest.mark.docker

SOLUTION = Path(__file__).parents[1] / "integration" / "solutions" / "thread_lab_commonjs.js"
LAB_PATH = "/courses/node-workers/labs/thread-lab"
SCHOOL = "north"
STUDENT = "ada@north.test"
PASSWORD = "a long enough password"
GRADING_SECONDS = 240
GRADERS = ("grader", "grader-python")


def engine_reachable() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The whole stack, up and healthy; removed with its volumes after the module."""
    require(engine_reachable(), "no Docker Engine is reachable (start dockerd)")
    require(COMPOSE_BINARY.is_file(), f"no Compose v2 binary at {COMPOSE_BINARY}")
    started = time.monotonic()
    images = build_images()
    print(f"\nimages built or reused in {time.monotonic() - started:.0f} s: {images}")
    stack = ComposeStack.create(tmp_path_factory.mktemp("compose"), images)
    try:
        print(f"compose up to all healthy: {stack.up():.0f} s")
        yield stack
    finally:
        stack.remove()


@dataclass(frozen=True)
class GradedStudent:
    """A student made by the CLI, logged in, with one submission graded."""

    browser: ProxiedBrowser
    submission_id: str


@pytest.fixture(scope="module")
def graded_student(stack) -> GradedStudent:
    """The operators' path: school and student by CLI, then the student's own."""
    stack.exec("web", "flask", "--app", "portal", "school", "create", SCHOOL, "--name", "North")
    output = stack.exec(
        "web", "flask", "--app", "portal", "user", "create", "--school", SCHOOL,
        "--email", STUDENT, "--role", "student", "--name", "Ada",
    )  # fmt: skip
    link = re.search(r"(https://\S+/auth/reset\?token=\S+)", output)
    assert link, f"no set-password link in: {output}"
    host = link.group(1).split("/")[2]
    assert host == f"{SCHOOL}.{stack.base_host}"
    browser = ProxiedBrowser(stack.web_port, host)
    reset_path = link.group(1).split(host, 1)[1]
    token = reset_path.split("token=", 1)[1]
    chosen = browser.post_form(
        "/auth/reset", {"token": token, "password": PASSWORD}, form_page=reset_path
    )
    assert chosen.status == 302 and chosen.location_path == "/auth/login", chosen.text[:500]
    log_in(browser)
    submission_id = submit(browser)
    assert wait_for_verdict(browser, submission_id)["verdict"] == "passed"
    return GradedStudent(browser, submission_id)


def log_in(browser: ProxiedBrowser) -> None:
    browser.cookies.clear()
    answer = browser.post_form("/auth/login", {"email": STUDENT, "password": PASSWORD})
    assert answer.status == 302, f"login answered {answer.status}"


def submit(browser: ProxiedBrowser) -> str:
    """Submit the passing Thread Lab solution; the new submission's id."""
    answer = browser.post_form(LAB_PATH, {"code": SOLUTION.read_text()})
    assert answer.status == 302, f"submit answered {answer.status}: {answer.text[:500]}"
    return answer.location_path.rsplit("submission=", 1)[1]


def status_of(browser: ProxiedBrowser, submission_id: str) -> dict:
    answer = browser.get(f"/submissions/{submission_id}/status")
    assert answer.status == 200, f"status answered {answer.status}"
    return answer.json()


def wait_for_verdict(browser: ProxiedBrowser, submission_id: str) -> dict:
    """Poll the status the lab page polls, until the result is recorded."""
    deadline = time.monotonic() + GRADING_SECONDS
    while time.monotonic() < deadline:
        status = status_of(browser, submission_id)
        if status["final"]:
            return status
        time.sleep(2)
    raise AssertionError(f"submission {submission_id} not graded: {status}")


def queued_grading_jobs(stack: ComposeStack) -> int:
    """Jobs waiting on the grading queue, read in Valkey from the web container."""
    count = stack.exec(
        "web", "python", "-c",
        "import os, redis; from contract import GRADING_QUEUE; "
        "print(redis.Redis.from_url(os.environ['REDIS_URL']).llen(f'rq:queue:{GRADING_QUEUE}'))",
    )  # fmt: skip
    return int(count)


# Run as `python -c MEASUREMENTS <submission id>` in the web container: the submission's
# recorded measurements (JSON), as the web-worker stored the grader's result.
MEASUREMENTS = """
import json, os, sys
import sqlalchemy as sa
engine = sa.create_engine(os.environ["PORTAL_DATABASE_URL"])
with engine.connect() as connection:
    value = connection.execute(
        sa.text("SELECT measurements FROM submissions WHERE id = :id"), {"id": int(sys.argv[1])}
    ).scalar_one()
print(value if isinstance(value, str) else json.dumps(value))
"""


def recorded_measurements(stack: ComposeStack, submission_id: str) -> dict:
    """A graded submission's measurements, read from the database through the web container."""
    return json.loads(stack.exec("web", "python", "-c", MEASUREMENTS, submission_id))


def latest_mail(stack: ComposeStack) -> str:
    """The text of the last message the portal wrote to its outbox (no SMTP host set)."""
    raw = stack.exec("web", "sh", "-c", 'cat "$(ls -t /var/lib/portal/outbox/*.eml | head -n 1)"')
    message = email.message_from_string(raw, policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


def test_every_service_is_healthy_and_migrate_has_finished(stack):
    states = stack.states()
    assert states.pop("migrate") == "exited"
    assert states == dict.fromkeys(
        ["postgres", "valkey", "web", "web-worker", "sweeper", *GRADERS], "healthy"
    )
    assert "database is up to date" in stack.must("logs", "--no-color", "migrate").lower()


def test_nothing_is_seeded_in_production(stack):
    # No school, so no demo account: the operators make their own (before the next test).
    listed = stack.exec("web", "flask", "--app", "portal", "school", "list")
    assert listed.split() == ["SLUG", "NAME", "DOMAIN", "USERS", "ACTIVE"]
    default_host = ProxiedBrowser(stack.web_port, stack.base_host)
    assert default_host.get("/auth/login").status == 404


@pytest.mark.parametrize("grader", GRADERS)
def test_the_graders_have_no_database_credentials_nor_a_way_to_postgres(stack, grader):
    environment = stack.exec(grader, "env")
    assert "POSTGRES" not in environment and "DATABASE_URL" not in environment
    reach = stack.compose(
        "exec", "--no-TTY", grader, "python", "-c",
        "import socket; socket.create_connection(('postgres', 5432), timeout=3)",
    )  # fmt: skip
    assert reach.returncode != 0 and "gaierror" in reach.stderr  # not on its network
    assert stack.exec(grader, "id", "-u").strip() == "10020"
    assert stack.exec("web", "id", "-u").strip() == "10010"


def test_a_student_made_by_the_cli_is_graded_passed_by_the_grader_container(stack, graded_student):
    status = status_of(graded_student.browser, graded_student.submission_id)
    assert status["verdict"] == "passed"
    assert "main received" in status["output"]["text"]
    assert_host_figures(recorded_measurements(stack, graded_student.submission_id))
    # The session cookie is Secure and came back over the proxy's https.
    assert "session" in graded_student.browser.cookies


def test_the_python_grader_container_grades_a_python_lab_from_its_own_queue(stack):
    submission_id = enqueue_python_grading(lambda *command: stack.exec("web", *command))
    status, result = published_result(
        lambda *command: stack.exec("web", *command), submission_id, GRADING_SECONDS
    )
    assert result is not None, f"no GradeResult published; the grading job is {status}"
    assert (status, result["verdict"]) == ("finished", "passed"), result
    assert result["lab_id"] == "async-gather"
    assert_host_figures(result["measurements"])
    # Graded in grader-python's container (its host name), not in the Node grader's.
    assert result["grader_host"] == stack.exec("grader-python", "hostname").strip()


def test_through_the_example_caddyfile_the_student_is_served_over_https(
    stack, graded_student, tmp_path_factory
):
    require(shutil.which("caddy") is not None, "caddy is missing (.ci/run installs it)")
    caddy = CaddyProxy(tmp_path_factory.mktemp("caddy"), stack.base_host, stack.web_port)
    try:
        browser = ProxiedBrowser(stack.web_port, graded_student.browser.host, caddy=caddy)
        log_in(browser)
        status = status_of(browser, graded_student.submission_id)
        assert status["verdict"] == "passed"
        assert browser.get("/metrics").status == 404  # never served to the internet

        # A reset link is built from what Caddy relayed: https and the school's host.
        assert browser.post_form("/auth/forgot", {"email": STUDENT}).status == 200
        link = re.search(r"(https?://\S+/auth/reset\?token=\S+)", latest_mail(stack))
        assert link and link.group(1).startswith(f"https://{browser.host}/auth/reset?token=")
        reset_path = link.group(1).split(browser.host, 1)[1]
        token = reset_path.split("token=", 1)[1]
        chosen = browser.post_form(
            "/auth/reset", {"token": token, "password": PASSWORD}, form_page=reset_path
        )
        assert chosen.status == 302
    finally:
        caddy.stop()
    access_log = caddy.access_log.read_text()
    assert "/auth/reset" in access_log and token not in access_log


def test_school_student_and_verdict_survive_down_and_up(stack, graded_student):
    stack.must("down", "--timeout", "30")
    assert stack.states() == {}
    print(f"\ncompose up again, to all healthy: {stack.up():.0f} s")

    assert SCHOOL in stack.exec("web", "flask", "--app", "portal", "school", "list")
    browser = graded_student.browser
    log_in(browser)  # the password set through the link is still the student's
    status = status_of(browser, graded_student.submission_id)
    assert status["final"] and status["verdict"] == "passed"


def test_a_submission_made_while_the_grader_is_stopped_is_graded_when_it_starts(
    stack, graded_student
):
    browser = graded_student.browser
    log_in(browser)
    stack.must("stop", "grader")
    submission_id = submit(browser)
    # Valkey's append-only file keeps the queued job across a restart of Valkey.
    stack.must("restart", "valkey")
    assert queued_grading_jobs(stack) == 1
    assert status_of(browser, submission_id)["final"] is False

    stack.must("start", "grader")
    assert wait_for_verdict(browser, submission_id)["verdict"] == "passed"
